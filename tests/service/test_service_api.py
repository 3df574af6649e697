"""The real service app on loopback (no devices): auth, validation, plan jobs with SSE
progress, cancel, extensions. Solves run in the real worker process with the real solver."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from controller.service.config import ServiceConfig
from controller.service.context import SERVICE
from controller.service.openapi import Route
from controller.service.schemas import HealthOut
from tests.service.helpers import AUTH, READ, WRITE, served

pytestmark = [pytest.mark.integration]


def cfg(tmp_path: Path, **kw: Any) -> ServiceConfig:
    return ServiceConfig(store=str(tmp_path / "fsor.sqlite"), **kw)


async def test_gets_are_open_mutations_need_a_write_token(tmp_path: Path) -> None:
    async with served(cfg(tmp_path), events=False) as s:
        for path in (
            "/topology",
            "/devices",
            "/signals",
            "/workloads",
            "/caps",
            "/plans",
            "/transactions",
            "/healthz",
            "/openapi.json",
        ):
            async with s.http.get(path) as r:
                assert r.status == 200, path
        body = {
            "workloads": [{"id": "a", "origin": "roadm-fra", "energy_kwh": 1, "duration_s": 600}]
        }
        async with s.http.post("/workloads", json=body) as r:
            assert r.status == 401
            assert r.headers["WWW-Authenticate"].startswith("Bearer")
        async with s.http.post(
            "/workloads", json=body, headers={"Authorization": "Bearer wrong"}
        ) as r:
            assert r.status == 401
        async with s.http.post(
            "/workloads", json=body, headers={"Authorization": f"Bearer {READ}"}
        ) as r:
            assert r.status == 403
            assert "viewer" in (await r.json())["error"]
        async with s.http.get("/workloads") as r:
            assert [w["id"] for w in (await r.json())["workloads"]] == ["django-unit-tests"]
        async with s.http.post(
            "/workloads", json=body, headers={"Authorization": f"Bearer {WRITE}"}
        ) as r:
            assert r.status == 201
        async with s.http.delete("/workloads/a") as r:
            assert r.status == 401
    db = sqlite3.connect(tmp_path / "fsor.sqlite")
    who = [row[0] for row in db.execute("SELECT who FROM audit")]
    db.close()
    assert who == ["ops"]  # the token's name, never the secret
    assert oct((tmp_path / "fsor.sqlite").stat().st_mode & 0o777) == "0o600"


async def test_bad_bodies_are_4xx_naming_the_field_and_change_nothing(tmp_path: Path) -> None:
    async with served(cfg(tmp_path), events=False) as s:

        async def snapshot() -> list[Any]:
            out = []
            for p in ("/workloads", "/caps", "/signals", "/plans", "/transactions"):
                async with s.http.get(p) as r:
                    out.append(await r.json())
            return out

        before = await snapshot()
        cases: list[tuple[str, str, Any, str]] = [
            (
                "POST",
                "/workloads",
                {"workloads": [{"id": "x", "origin": "roadm-fra", "energy_kwh": -1}]},
                "workloads[0].energy_kwh",
            ),
            (
                "POST",
                "/workloads",
                {
                    "workloads": [
                        {"id": "x", "origin": "nowhere", "energy_kwh": 1, "duration_s": 60}
                    ]
                },
                "workloads[0].origin",
            ),
            (
                "POST",
                "/workloads",
                {"workloads": [{"id": "x", "origin": "roadm-fra", "colour": "red"}]},
                "workloads[0].colour",
            ),
            ("PUT", "/caps", {"site_power": {"dc-fra": "3 furlongs"}}, "site_power.dc-fra"),
            ("PUT", "/caps", {"site_power": {"dc-nowhere": "3 MW"}}, "site_power.dc-nowhere"),
            ("POST", "/plans", {"time_limit_s": -5}, "time_limit_s"),
            ("POST", "/plans", {"method": "magic"}, "method"),
        ]
        for method, path, body, field in cases:
            async with s.http.request(method, path, json=body, headers=AUTH) as r:
                doc = await r.json()
                assert r.status == 422, (path, doc)
                assert doc["field"] == field, doc
                assert field.split(".")[-1].split("[")[0] in doc["error"]
        csv = "date,hour_utc,region,co2eq_g_per_kwh\n2025-07-01,00:00,XX,abc\n"
        async with s.http.put(
            "/signals", data=csv, headers={**AUTH, "Content-Type": "text/csv"}
        ) as r:
            doc = await r.json()
            assert r.status == 422 and "co2eq_g_per_kwh" in doc["field"], doc
        async with s.http.post("/plans", data=b"{not json", headers=AUTH) as r:
            assert r.status == 422
        assert await snapshot() == before


async def test_a_plan_job_reports_progress_over_sse(tmp_path: Path) -> None:
    async with served(cfg(tmp_path)) as s:
        await s.wait_event(lambda e: e["kind"] == "service-started", 30)
        async with s.http.post("/plans", json={"time_limit_s": 20}, headers=AUTH) as r:
            assert r.status == 202
            acc = await r.json()
            assert r.headers["Location"] == f"/plans/{acc['id']}"
        job = await s.job_done(acc["id"])
        assert job["status"] == "succeeded", job
        kinds = [
            (e["kind"], e["data"].get("phase"))
            for e in s.events
            if e["data"].get("job") == acc["id"]
        ]
        assert kinds[0] == ("plan-queued", None)
        phases = [p for k, p in kinds if k == "plan-progress"]
        assert phases[:4] == ["started", "instance", "compile", "solve"] and "done" in phases
        done = next(e for e in s.events if e["data"].get("phase") == "done")["data"]
        assert done["incumbent"] == job["result"]["objective"] and "bound" in done
        plan = job["result"]  # the `fsor plan --json` shape
        for key in ("status", "objective", "placements", "lightpaths", "gap", "timings"):
            assert key in plan
        assert plan["placements"][0]["workload"] == "django-unit-tests"
        # a second plan on the same inputs re-uses the compiled program (warm)
        async with s.http.post("/plans", headers=AUTH) as r:
            second = (await r.json())["id"]
        job2 = await s.job_done(second)
        assert job2["info"]["warm"] is True and job["info"]["warm"] is False
        async with s.http.get("/metrics") as r:
            text = await r.text()
        assert 'fsor_jobs_total{status="succeeded"} 2.0' in text
        assert "fsor_plan_seconds_count 2.0" in text


async def _coronet(tmp_path: Path, n: int) -> tuple[Path, list[dict[str, Any]]]:
    """A CORONET network file with 6 data-centre sites and ``n`` synthetic workloads."""
    import json

    from bench.plan import prepare
    from optimizer.inputs.workloads import synthetic_workloads
    from topology.io_native import to_native

    inv = prepare("coronet", 96, 0.3)
    net = tmp_path / "coronet.json"
    net.write_text(json.dumps(to_native(inv)))
    origins = sorted(r.id for r in inv.roadms)[:20]
    ws = [
        {
            "id": w.id,
            "origin": w.origin,
            "energy_kwh": w.energy_kwh,
            "duration_s": w.duration_s,
            "data_in_gb": w.data_in_gb,
            "release": w.release,
            "deadline": w.deadline,
        }
        for w in synthetic_workloads(n, origins, 0, horizon=24)
    ]
    return net, ws


async def test_cancel_a_running_and_a_queued_plan(tmp_path: Path) -> None:
    net, ws = await _coronet(tmp_path, 120)
    async with served(cfg(tmp_path, network=str(net))) as s:
        async with s.http.post("/workloads", json={"workloads": ws}, headers=AUTH) as r:
            assert r.status == 201, await r.text()
        svc = s.app[SERVICE]
        ids = []
        for _ in range(2):
            async with s.http.post("/plans", json={"time_limit_s": 120}, headers=AUTH) as r:
                ids.append((await r.json())["id"])
        await s.wait_event(
            lambda e: (
                e["kind"] == "plan-progress"
                and e["data"]["job"] == ids[0]
                and e["data"].get("phase") in ("compile", "solve")
            ),
            60,
        )
        pid = svc.worker.pid
        async with s.http.delete(f"/plans/{ids[1]}", headers=AUTH) as r:
            assert (await r.json())["status"] == "cancelled"
        async with s.http.delete(f"/plans/{ids[0]}", headers=AUTH) as r:
            assert r.status == 200
        first = await s.job_done(ids[0], 30)
        assert first["status"] == "cancelled"
        async with s.http.get(f"/plans/{ids[1]}") as r:
            assert (await r.json())["status"] == "cancelled"  # never ran
        assert not any(
            e["kind"] == "plan-progress" and e["data"]["job"] == ids[1] for e in s.events
        )
        # the service goes on with a fresh worker process
        async with s.http.delete("/workloads/" + ws[0]["id"], headers=AUTH) as r:
            assert r.status == 200
        async with s.http.post("/plans", json={"time_limit_s": 5}, headers=AUTH) as r:
            third = (await r.json())["id"]
        job = await s.job_done(third, 120)
        assert job["status"] == "succeeded", job["error"]
        assert svc.worker.pid != pid


async def test_extensions_add_documented_routes(tmp_path: Path) -> None:
    async def hello(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "detail": {"ext": True}})

    async def poke(request: web.Request) -> web.Response:
        return web.json_response({"status": "poked", "detail": {}})

    def ext(app: web.Application) -> list[Route]:
        return [
            Route("GET", "/ext/hello", "an extension", hello, responses={200: HealthOut}),
            Route("POST", "/ext/poke", "a mutation", poke, responses={200: HealthOut}),
        ]

    async with served(cfg(tmp_path), [ext], events=False) as s:
        async with s.http.get("/ext/hello") as r:
            assert (await r.json())["detail"] == {"ext": True}
        async with s.http.post("/ext/poke") as r:
            assert r.status == 401  # the same auth applies
        async with s.http.post("/ext/poke", headers=AUTH) as r:
            assert r.status == 200
        async with s.http.get("/openapi.json") as r:
            doc = await r.json()
        assert (
            "/ext/hello" in doc["paths"] and "401" in doc["paths"]["/ext/poke"]["post"]["responses"]
        )


async def test_fsor_serve_hosts_the_dashboard_and_the_scheduler_extender(tmp_path: Path) -> None:
    from controller.service.hosted import DEFAULT_EXTENSIONS

    def node(name: str, site: str) -> dict[str, Any]:
        return {
            "kind": "Node",
            "apiVersion": "v1",
            "metadata": {"name": name, "labels": {"fsor.io/site": site}},
        }

    pod = {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {"name": "p", "annotations": {"fsor.io/power-kw": "100000"}},
        "spec": {"containers": []},
    }
    args = {
        "Pod": pod,
        "Nodes": {"items": [node("n-fra", "dc-fra"), node("n-sjc", "dc-sjc")]},
        "NodeNames": None,
    }
    async with served(cfg(tmp_path), DEFAULT_EXTENSIONS) as s:
        async with s.http.get("/") as r:
            assert r.status == 200 and r.content_type == "text/html"
        async with s.http.post("/plans", headers=AUTH) as r:
            job = await s.job_done((await r.json())["id"])
        assert job["status"] == "succeeded"
        # kube-scheduler sends no bearer token: the extender's POSTs are open queries
        async with s.http.post("/scheduler/filter", json=args) as r:
            res = await r.json()
            assert r.status == 200 and res["Error"] == "", res
        # 100 MW for an hour breaks every site's power cap of the ORCA network
        assert set(res["FailedAndUnresolvableNodes"]) == {"n-fra", "n-sjc"}
        pod["metadata"]["annotations"]["fsor.io/power-kw"] = "1"  # type: ignore[index]
        async with s.http.post("/scheduler/filter", json=args) as r:
            assert {n["metadata"]["name"] for n in (await r.json())["Nodes"]["items"]} == {
                "n-fra",
                "n-sjc",
            }
        async with s.http.post("/scheduler/prioritize", json=args) as r:
            scores = {h["Host"]: h["Score"] for h in await r.json()}
        assert set(scores) == {"n-fra", "n-sjc"} and max(scores.values()) == 10
        async with s.http.post("/workloads", json={"workloads": []}) as r:
            assert r.status == 401  # everything else still needs a token
