"""The real service app against a real lab (the ORCA lab's 28 NETCONF devices): apply +
read-back, a device killed → event + re-plan around it, a signal ingest → warm re-plan →
diff pushed. Nothing mocked: device state is read back over separate NETCONF sessions."""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from bench.api import dirtier
from containerlab.status import LabStatus, NodeStatus
from controller.discovery import discover
from controller.seed import seed_from_lab
from controller.service.config import ServiceConfig
from controller.service.push import held, intents_of
from controller.session import SessionOptions, SessionPool
from tests.conftest import LabFactory
from tests.service.helpers import AUTH, Served, served

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def lab_cfg(tmp_path: Path, st: LabStatus, **kw: Any) -> ServiceConfig:
    base: dict[str, Any] = {"rediscover_s": 0.0, "confirm_timeout_s": 30, "time_limit_s": 20.0}
    base.update(kw)
    return ServiceConfig(
        store=str(tmp_path / "fsor.sqlite"), lab=st.file, lab_instance=st.instance, **base
    )


def kill_node(node: NodeStatus) -> None:
    """SIGKILL every process of a lab node (a netconfd node is sshd + netconfd + sessions)."""
    import subprocess

    from containerlab.status import descendants

    pids: set[int] = set()
    if node.namespace:
        out = subprocess.run(
            ["ip", "netns", "pids", node.namespace], capture_output=True, text=True, check=True
        )
        pids |= {int(p) for p in out.stdout.split()}
    if node.pid is not None:
        pids |= {node.pid, *descendants(node.pid)}
    assert pids, node
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


async def devices_hold(st: LabStatus, intents_doc: list[dict[str, Any]]) -> bool:
    """Read the devices back over our own sessions: do they hold exactly these lightpaths?"""
    seed = seed_from_lab(st.file, st.instance)
    opts = SessionOptions(known_hosts=seed.known_hosts, connect_attempts=2)
    async with SessionPool([d.endpoint for d in seed.devices], opts) as pool:
        found = await discover(seed, opts, pool=pool)
        return await held(pool, found, intents_of(intents_doc))


async def ready(s: Served) -> None:
    await s.wait_event(lambda e: e["kind"] == "discovery", 120)
    async with s.http.get("/readyz") as r:
        assert r.status == 200, await r.text()


async def plan_and_apply(s: Served) -> tuple[str, dict[str, Any]]:
    async with s.http.post("/plans", json={"time_limit_s": 20}, headers=AUTH) as r:
        job_id = (await r.json())["id"]
    job = await s.job_done(job_id)
    assert job["status"] == "succeeded" and job["result"]["lightpaths"], job
    async with s.http.post(f"/plans/{job_id}/apply", headers=AUTH) as r:
        out = await r.json()
        assert r.status == 200, out
    return job_id, out


async def last_transaction(s: Served) -> dict[str, Any]:
    async with s.http.get("/transactions") as r:
        tx: dict[str, Any] = (await r.json())["transactions"][0]
    return tx


async def test_apply_dry_run_then_push_and_read_back(
    tmp_path: Path, lab: LabFactory, labs_dir: Path
) -> None:
    st = lab(labs_dir / "orca.clab.yml")
    async with served(lab_cfg(tmp_path, st)) as s:
        await ready(s)
        async with s.http.get("/devices") as r:
            devs = (await r.json())["devices"]
        assert len(devs) == len(st.nodes) and all(d["reachable"] and d["last_seen"] for d in devs)
        async with s.http.post("/plans", headers=AUTH) as r:
            job_id = (await r.json())["id"]
        await s.job_done(job_id)
        async with s.http.post(f"/plans/{job_id}/apply?dry_run=true", headers=AUTH) as r:
            dry = await r.json()
        assert dry["dry_run"] is True and dry["changed"] and dry["transaction"] is None
        assert all("<config" in d["diff"] or d["diff"] for d in dry["devices"].values())
        async with s.http.get("/transactions") as r:
            assert (await r.json())["transactions"] == []  # a dry run pushes nothing
        async with s.http.post(f"/plans/{job_id}/apply", headers=AUTH) as r:
            out = await r.json()
        assert out["changed"] == dry["changed"] and out["transaction"] is not None
        tx = await last_transaction(s)
        assert tx["outcome"] == "committed" and tx["who"] == "ops"
        assert await devices_hold(st, tx["diff"]["intents"])
        async with s.http.post(f"/plans/{job_id}/apply", headers=AUTH) as r:
            again = await r.json()
        assert again["changed"] == [] and again["transaction"] is None  # idempotent
        kinds = [e["kind"] for e in s.events]
        assert "apply-committed" in kinds and "apply" in kinds


async def test_device_killed_gives_an_event_and_a_replan_around_it(
    tmp_path: Path, lab: LabFactory, labs_dir: Path
) -> None:
    st = lab(labs_dir / "orca.clab.yml")
    async with served(lab_cfg(tmp_path, st, rediscover_s=1.0)) as s:
        await ready(s)
        _, _out = await plan_and_apply(s)
        tx = await last_transaction(s)
        path = tx["diff"]["intents"][0]["path"]
        # an emulator node on the path (killing a netconfd node's launcher leaves its sshd up)
        kinds = {n.name: n.kind for n in st.nodes}
        inner = [p for p in path[1:-1] if kinds[p] != "netconfd"]
        victim = inner[0] if inner else path[0]
        node = next(n for n in st.nodes if n.name == victim)
        mark = s.events[-1]["id"]
        kill_node(node)
        down = await s.wait_event(lambda e: e["kind"] == "device-down", 60, mark)
        assert down["data"]["device"] == victim
        risk = await s.wait_event(lambda e: e["kind"] == "lightpaths-at-risk", 10, mark)
        assert tx["diff"]["intents"][0]["id"] in risk["data"]["lightpaths"]
        replan = await s.wait_event(
            lambda e: e["kind"] == "loop-decision" and e["data"]["decision"] == "replan", 10, mark
        )
        push = await s.wait_event(
            lambda e: e["kind"] == "loop-decision" and e["data"]["decision"] != "replan",
            120,
            replan["id"],
        )
        assert push["data"]["decision"] == "push", push
        assert "cross" in push["data"]["why"]  # forced: the lightpath crossed the dead device
        new = await last_transaction(s)
        assert new["id"] != tx["id"] and new["outcome"] == "committed"
        for it in new["diff"]["intents"]:
            assert victim not in it["path"]
        assert await devices_hold(st, new["diff"]["intents"])
        async with s.http.get("/devices") as r:
            gone = [d for d in (await r.json())["devices"] if not d["reachable"]]
        assert [d["id"] for d in gone] == [victim] and gone[0]["reason"]


async def test_signal_ingest_warm_replans_and_pushes_only_the_diff(
    tmp_path: Path, lab: LabFactory, labs_dir: Path
) -> None:
    st = lab(labs_dir / "orca.clab.yml")
    async with served(lab_cfg(tmp_path, st)) as s:
        await ready(s)
        job_id, _ = await plan_and_apply(s)
        first = await last_transaction(s)
        async with s.http.get(f"/plans/{job_id}") as r:
            site = (await r.json())["result"]["placements"][0]["site"]
        region = {"dc-sjc": "CA", "dc-fra": "DE", "dc-tyo": "JP"}[site]
        # a bad ingest: 422 naming the field; nothing stored, nothing re-planned, nothing pushed
        mark = s.events[-1]["id"]
        bad = "date,hour_utc,region,co2eq_g_per_kwh\n2025-07-01,00:00,CA,lots\n"
        async with s.http.put(
            "/signals", data=bad, headers={**AUTH, "Content-Type": "text/csv"}
        ) as r:
            assert r.status == 422 and "co2eq" in (await r.json())["field"]
        async with s.http.put(
            "/signals", data=dirtier(region, 1.0), headers={**AUTH, "Content-Type": "text/csv"}
        ) as r:
            assert r.status == 200
        hold = await s.wait_event(lambda e: e["kind"] == "loop-decision", 10, mark)
        assert hold["data"]["decision"] == "hold"  # no move: below the threshold
        mark = s.events[-1]["id"]
        async with s.http.put(
            "/signals", data=dirtier(region, 25.0), headers={**AUTH, "Content-Type": "text/csv"}
        ) as r:
            assert r.status == 200
        replan = await s.wait_event(lambda e: e["kind"] == "loop-decision", 10, mark)
        assert (
            replan["data"]["decision"] == "replan" and replan["data"]["trigger"] == "loop:signals"
        )
        push = await s.wait_event(
            lambda e: e["kind"] == "loop-decision" and e["id"] > replan["id"], 120, mark
        )
        assert push["data"]["decision"] == "push", push
        assert push["data"]["gain"] > 0.01
        async with s.http.get(f"/plans/{replan['data']['job']}") as r:
            job = await r.json()
        assert job["info"]["warm"] is True  # the compiled program was re-used
        assert job["result"]["placements"][0]["site"] != site
        new = await last_transaction(s)
        assert new["id"] == first["id"] + 1 and new["outcome"] == "committed"
        assert set(new["devices"]) <= set(first["devices"]) | {
            d for it in new["diff"]["intents"] for d in (*it["path"], *it["transponders"])
        }
        assert await devices_hold(st, new["diff"]["intents"])
        async with s.http.get("/transactions") as r:
            assert len((await r.json())["transactions"]) == 2  # the bad ingest pushed nothing


async def test_a_cap_that_the_plan_in_force_would_break_forces_a_push(
    tmp_path: Path, lab: LabFactory, labs_dir: Path
) -> None:
    st = lab(labs_dir / "orca.clab.yml")
    async with served(lab_cfg(tmp_path, st, margin=10.0)) as s:  # no gain is ever enough
        await ready(s)
        job_id, _ = await plan_and_apply(s)
        async with s.http.get(f"/plans/{job_id}") as r:
            site = (await r.json())["result"]["placements"][0]["site"]
        mark = s.events[-1]["id"]
        async with s.http.put("/caps", json={"site_power": {site: "1 W"}}, headers=AUTH) as r:
            assert r.status == 200, await r.text()
        push = await s.wait_event(
            lambda e: e["kind"] == "loop-decision" and e["data"]["decision"] != "replan", 120, mark
        )
        assert push["data"]["decision"] == "push", push
        assert "break" in push["data"]["why"]
        broken = [e for e in s.events if e["id"] > mark and e["kind"] == "cap-violation"]
        assert broken and all(e["data"]["site_or_zone"] == site for e in broken)
        async with s.http.get(f"/plans/{push['data']['job']}") as r:
            new = (await r.json())["result"]
        assert new["placements"][0]["site"] != site and not any(
            c["utilisation"] is not None and c["utilisation"] > 1 + 1e-6 for c in new["caps"]
        )
        tx = await last_transaction(s)
        assert tx["outcome"] == "committed"
        assert await devices_hold(st, tx["diff"]["intents"])
