"""The scheduler extender speaks k8s.io/kube-scheduler/extender/v1 with the Go field names.

Requests are built from the Go struct field names (the structs carry no JSON
tags, so encoding/json uses the field names as keys); every response field is
checked. The HTTP routes run on a real aiohttp server on loopback.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from controller.k8s import (
    MAX_EXTENDER_PRIORITY,
    ExtenderConfig,
    SiteNow,
    filter_nodes,
    green_scores,
    make_app,
    prioritize_nodes,
    sites_from_plan,
    sites_from_plan_json,
)
from optimizer.inputs import make_instance
from optimizer.inputs.signals import default_signals
from optimizer.inputs.workloads import default_workloads
from optimizer.solve.program import Planner
from topology.io import default_inventory

# k8s.io/kube-scheduler/extender/v1 (types.go): struct fields, in declaration order
EXTENDER_ARGS = ("Pod", "Nodes", "NodeNames")
EXTENDER_FILTER_RESULT = ("Nodes", "NodeNames", "FailedNodes", "FailedAndUnresolvableNodes",
                          "Error")
HOST_PRIORITY = ("Host", "Score")

SITES = {
    "dc-fra": SiteNow("dc-fra", power_kw=95.0, power_cap_kw=100.0, pue=1.25,
                      intensity={"co2eq": 300.0}),
    "dc-tyo": SiteNow("dc-tyo", power_kw=10.0, power_cap_kw=100.0, pue=1.4,
                      water_l=995.0, water_cap_l_per_day=1000.0, wue_l_per_kwh=1.5,
                      intensity={"co2eq": 450.0}),
    "dc-sjc": SiteNow("dc-sjc", power_kw=0.0, power_cap_kw=None, pue=1.2,
                      intensity={"co2eq": 80.0}),
}


def node(name: str, site: str | None) -> dict[str, Any]:
    labels = {"kubernetes.io/hostname": name} | ({"fsor.io/site": site} if site else {})
    return {"kind": "Node", "apiVersion": "v1", "metadata": {"name": name, "labels": labels}}


def pod(kw: float | None = None, cpu: str | None = None, hours: float = 1.0) -> dict[str, Any]:
    notes = {"fsor.io/duration-h": str(hours)}
    if kw is not None:
        notes["fsor.io/power-kw"] = str(kw)
    resources = {"requests": {"cpu": cpu}} if cpu else {}
    return {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {"name": "job", "namespace": "default", "annotations": notes},
        "spec": {"containers": [{"name": "c", "image": "busybox", "resources": resources}]},
    }


NODES = [node("n-fra", "dc-fra"), node("n-tyo", "dc-tyo"), node("n-sjc", "dc-sjc"),
         node("n-plain", None)]
NODE_SITES = {"n-fra": "dc-fra", "n-tyo": "dc-tyo", "n-sjc": "dc-sjc"}


def args_nodes(p: dict[str, Any]) -> dict[str, Any]:
    """nodeCacheCapable: false — full Node objects in Nodes, NodeNames null."""
    return dict(zip(EXTENDER_ARGS, (p, {"kind": "NodeList", "apiVersion": "v1",
                                        "metadata": {}, "items": NODES}, None), strict=True))


def args_names(p: dict[str, Any]) -> dict[str, Any]:
    """nodeCacheCapable: true — names only in NodeNames, Nodes null."""
    names = [n["metadata"]["name"] for n in NODES]
    return dict(zip(EXTENDER_ARGS, (p, None, names), strict=True))


def test_filter_with_node_objects_moves_capped_nodes_to_unresolvable() -> None:
    # 5 kW IT x PUE 1.25 = 6.25 kW on top of 95 kW breaks dc-fra's 100 kW power cap;
    # 5 kWh x WUE 1.5 = 7.5 L on top of 995 L breaks dc-tyo's 1000 L/day water cap
    res = filter_nodes(args_nodes(pod(kw=5.0)), SITES, ExtenderConfig())
    assert tuple(res) == EXTENDER_FILTER_RESULT
    assert res["NodeNames"] is None
    assert res["Nodes"]["kind"] == "NodeList"
    assert res["Nodes"]["items"] == [NODES[2], NODES[3]]  # whole objects, request order
    assert res["FailedNodes"] == {}
    assert res["FailedAndUnresolvableNodes"] == {
        "n-fra": "fsor: power cap of site dc-fra: 95 + 6.25 kW > 100 kW",
        "n-tyo": "fsor: water cap of site dc-tyo: 995 + 7.5 L > 1000 L/day",
    }
    assert res["Error"] == ""


def test_filter_with_node_names_uses_the_configured_map() -> None:
    res = filter_nodes(args_names(pod(kw=5.0)), SITES, ExtenderConfig(node_sites=NODE_SITES))
    assert tuple(res) == EXTENDER_FILTER_RESULT
    assert res["Nodes"] is None
    assert res["NodeNames"] == ["n-sjc", "n-plain"]
    assert set(res["FailedAndUnresolvableNodes"]) == {"n-fra", "n-tyo"}
    assert res["FailedNodes"] == {} and res["Error"] == ""


def test_small_pod_passes_everywhere_and_cpu_requests_count() -> None:
    # 2 CPUs x 0.01 kW = 0.02 kW: fits every cap
    res = filter_nodes(args_names(pod(cpu="2")), SITES, ExtenderConfig(node_sites=NODE_SITES))
    assert res["NodeNames"] == ["n-fra", "n-tyo", "n-sjc", "n-plain"]
    assert res["FailedAndUnresolvableNodes"] == {}
    # 400 CPUs x 0.01 kW x 1.25 = 5 kW: fra (95 + 5 = 100) is at its cap, not over it
    res = filter_nodes(args_names(pod(cpu="400000m", hours=0.001)), SITES,
                       ExtenderConfig(node_sites=NODE_SITES))
    assert "n-fra" in res["NodeNames"]


def test_unknown_site_label_fails_with_reason_unlabelled_passes() -> None:
    args = args_nodes(pod(kw=0.001))
    args["Nodes"]["items"] = [node("n-x", "dc-nowhere"), node("n-plain", None)]
    res = filter_nodes(args, SITES, ExtenderConfig())
    assert [n["metadata"]["name"] for n in res["Nodes"]["items"]] == ["n-plain"]
    assert res["FailedAndUnresolvableNodes"] == {
        "n-x": "fsor: site dc-nowhere of node n-x is not a site fsor manages"
    }


def test_prioritize_scores_green_score_in_range() -> None:
    for args, cfg in ((args_nodes(pod(kw=1.0)), ExtenderConfig()),
                      (args_names(pod(kw=1.0)), ExtenderConfig(node_sites=NODE_SITES))):
        res = prioritize_nodes(args, SITES, cfg)
        assert [tuple(h) for h in res] == [HOST_PRIORITY] * 4
        assert [h["Host"] for h in res] == ["n-fra", "n-tyo", "n-sjc", "n-plain"]
        scores = {h["Host"]: h["Score"] for h in res}
        assert all(isinstance(s, int) and 0 <= s <= MAX_EXTENDER_PRIORITY for s in scores.values())
        # Green Score over co2eq now: sjc 80 (cleanest) -> 100 -> 10, tyo 450 -> 0,
        # fra 300 -> 100·(1 − 220/370) = 40.5 -> 4
        assert scores == {"n-fra": 4, "n-tyo": 0, "n-sjc": 10, "n-plain": 0}


def test_green_score_weights_price_too() -> None:
    sites = [SiteNow("a", pue=1.0, intensity={"co2eq": 100.0, "price": 300.0}),
             SiteNow("b", pue=1.0, intensity={"co2eq": 300.0, "price": 100.0})]
    assert green_scores(sites, ExtenderConfig()) == {"a": 10, "b": 0}
    both = ExtenderConfig(weights={"co2eq": 1.0, "price": 1.0})
    assert green_scores(sites, both) == {"a": 5, "b": 5}  # each is cleanest in one of two
    assert green_scores(sites, ExtenderConfig(weights={"water": 1.0})) == {"a": 0, "b": 0}


def test_sites_from_a_real_plan_drive_the_filter() -> None:
    """The ORCA day planned by the joint program; the network's caps (dc-fra 1500 kW)."""
    inst = make_instance(default_inventory(), default_signals(), default_workloads())
    plan = Planner(inst).solve(time_limit=30, warm=None)
    (pl,) = plan.placements
    now = sites_from_plan(inst, plan, pl.slot)
    assert set(now) == {"dc-fra", "dc-tyo", "dc-sjc"}
    assert now[pl.site].power_kw > 0 and now["dc-fra"].power_cap_kw == 1500.0
    assert now["dc-fra"].intensity["co2eq"] == pytest.approx(
        float(inst.signal[("dc-fra", "co2eq")][pl.slot]))
    big = pod(kw=1500.0 / 1.3 + 1.0)  # over dc-fra's cap with its PUE 1.3, under dc-sjc's
    res = filter_nodes(args_nodes(big), now, ExtenderConfig())
    assert "n-fra" in res["FailedAndUnresolvableNodes"]
    assert "power cap of site dc-fra" in res["FailedAndUnresolvableNodes"]["n-fra"]
    assert "n-sjc" in [n["metadata"]["name"] for n in res["Nodes"]["items"]]


@pytest.fixture
async def client() -> AsyncIterator[TestClient[Any, Any]]:
    app = make_app(lambda: SITES, ExtenderConfig(node_sites=NODE_SITES))
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        yield c


async def test_http_filter_and_prioritize_on_loopback(client: TestClient[Any, Any]) -> None:
    assert client.server.host == "127.0.0.1"
    for args in (args_nodes(pod(kw=5.0)), args_names(pod(kw=5.0))):
        resp = await client.post("/scheduler/filter", json=args)
        assert resp.status == 200 and resp.content_type == "application/json"
        res: Mapping[str, Any] = await resp.json()
        assert tuple(res) == EXTENDER_FILTER_RESULT
        assert set(res["FailedAndUnresolvableNodes"]) == {"n-fra", "n-tyo"}
        assert res["Error"] == "" and res["FailedNodes"] == {}
        assert (res["Nodes"] is None) == (args["NodeNames"] is not None)
        resp = await client.post("/scheduler/prioritize", json=args)
        assert resp.status == 200
        prio = await resp.json()
        assert [(h["Host"], h["Score"]) for h in prio] == [
            ("n-fra", 4), ("n-tyo", 0), ("n-sjc", 10), ("n-plain", 0)]


async def test_http_bad_requests(client: TestClient[Any, Any]) -> None:
    resp = await client.post("/scheduler/filter", data=b"not json",
                             headers={"Content-Type": "application/json"})
    assert resp.status == 400
    assert "expected a JSON body" in await resp.text()
    bad: dict[str, Any] = {"Pod": pod(kw=1.0), "Nodes": None, "NodeNames": "n-fra"}
    resp = await client.post("/scheduler/filter", json=bad)
    res = await resp.json()
    assert resp.status == 200 and tuple(res) == EXTENDER_FILTER_RESULT
    assert res["Error"].startswith("ExtenderArgs: NodeNames:")
    assert res["Nodes"] is None and res["NodeNames"] is None
    resp = await client.post("/scheduler/prioritize", json=bad)
    assert resp.status == 400
    assert "ExtenderArgs: NodeNames:" in await resp.text()
    bad = {"Pod": pod(cpu="lots"), "Nodes": None, "NodeNames": ["n-fra"]}
    resp = await client.post("/scheduler/filter", json=bad)
    assert "Pod.spec.containers[0].resources.requests.cpu" in (await resp.json())["Error"]
    resp = await client.get("/scheduler/filter")
    assert resp.status == 405


def test_sites_from_the_plan_json_match_the_instance_view() -> None:
    """What fsor serve stores (the plan's JSON) gives the same site states as the Instance."""
    inv = default_inventory()
    inst = make_instance(inv, default_signals(), default_workloads())
    plan = Planner(inst).solve(time_limit=30, warm=None)
    (pl,) = plan.placements
    direct = sites_from_plan(inst, plan, pl.slot)
    at = inst.slots[pl.slot] + timedelta(minutes=30)
    intensity = {k: dict(v.intensity) for k, v in direct.items()}
    from_json = sites_from_plan_json(plan.to_json(), inv.sites, at, intensity)
    assert from_json == direct
    later = sites_from_plan_json(plan.to_json(), inv.sites, at + timedelta(hours=1))
    assert later[pl.site].power_kw == 0.0  # the job ran in the slot before
    assert later["dc-fra"].power_cap_kw == 1500.0  # the network's cap when no plan row
