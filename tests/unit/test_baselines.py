"""Baselines: co2-only, sequential, first-fit — same inputs and accounting as the program."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import numpy as np
import pytest

from optimizer.baselines import (
    BASELINES,
    co2_only,
    first_fit,
    run_baseline,
    sequential,
    zone_burdens,
)
from optimizer.inputs import make_instance
from optimizer.inputs.caps import Caps, Weights, caps_from_dict
from optimizer.inputs.instance import Instance
from optimizer.inputs.signals import build_signals, default_signals, slots_from
from optimizer.inputs.workloads import Workload, default_workloads
from optimizer.model.accounting import account, lost_work
from optimizer.model.formulation import min_transfer_kwh
from optimizer.model.plan import Plan
from topology.errors import InputError
from topology.io import default_inventory
from topology.model import ChannelGrid, Fibre, Inventory, Roadm, Site

T0 = datetime(2025, 7, 1, tzinfo=UTC)
CO2_ONLY = Weights({"co2eq": 1.0, "so2eq": 0, "co": 0, "no2": 0, "pm25": 0, "price": 0, "water": 0})


def _line_network() -> Inventory:
    """a — b — c, two channels per fibre; dc-b at b (region B), dc-c at c (region C)."""
    grid = ChannelGrid(count=2)
    return Inventory(
        "line",
        (Roadm("a"), Roadm("b"), Roadm("c")),
        sites=(Site("dc-b", "b", "B", pue=1.0, wue_l_per_kwh=1.0),
               Site("dc-c", "c", "C", pue=1.0, wue_l_per_kwh=1.0)),
        fibres=(Fibre("ab", "a", "b", 100.0, 1, 0, grid), Fibre("bc", "b", "c", 100.0, 1, 0, grid)),
    )  # fmt: skip


def _line_instance(n: int = 3, deadline: int = 1, caps: Caps | None = None) -> Instance:
    sig = build_signals(
        {
            ("B", "co2eq"): [100.0, 100.0],
            ("C", "co2eq"): [10.0, 10.0],
            ("B", "no2"): [1.0, 1.0],
            ("C", "no2"): [50.0, 50.0],
        },
        slots_from(T0, 2, 1.0),
    )
    ws = [
        Workload.uniform(f"w{i}", "a", 1.0, 3600.0, release=0, deadline=deadline, data_in_gb=10.0)
        for i in range(n)
    ]
    return make_instance(_line_network(), sig, ws, caps, CO2_ONLY)


def _energy_of(inst: Instance, plan: Plan, served_only: bool = False) -> np.ndarray:
    """Rebuild energy[site, slot] from the plan's placements and lightpaths."""
    sidx = inst.site_index()
    prof = {w: c.profile_kwh for c in inst.classes for w in c.ids}
    e = np.zeros((len(inst.sites), inst.horizon))
    site_of = {}
    for p in plan.placements:
        site_of[p.workload] = sidx[p.site]
        if served_only and p.workload in plan.blocked:
            continue
        for i, u in enumerate(prof[p.workload]):
            e[sidx[p.site], p.slot + i] += u
    for lp in plan.lightpaths:
        assert lp.workload is not None
        e[site_of[lp.workload], lp.slot] += lp.energy_kwh
    return e


def _check_same_accounting(inst: Instance, plan: Plan) -> None:
    _objective, _burdens, caps = account(inst, _energy_of(inst, plan))
    # the objective: the work served, plus the value of the work not served
    served, _b, _c = account(inst, _energy_of(inst, plan, served_only=True))
    lost = lost_work(inst, [*plan.unserved, *plan.blocked])
    assert plan.objective == pytest.approx(served + lost)
    assert plan.lost_work == pytest.approx(lost)
    assert plan.served + len(plan.unserved) + len(plan.blocked) == sum(
        c.count for c in inst.classes
    )
    assert len(plan.caps) == len(caps)
    assert [c.value for c in plan.caps] == pytest.approx([c.value for c in caps])
    # one channel per fibre per slot, and only free channels
    seen = Counter((f, lp.slot, lp.channel) for lp in plan.lightpaths for f in lp.fibres)
    assert all(v == 1 for v in seen.values())
    for lp in plan.lightpaths:
        for f in lp.fibres:
            assert lp.channel in inst.network.free[f]
        routes = [r for rs in inst.network.routes.values() for r in rs]
        route = next(r for r in routes if r.fibres == lp.fibres)
        assert lp.energy_kwh == pytest.approx(lp.gb * route.energy_kwh_per_gb)
        assert lp.frequency_thz == inst.network.frequency_thz[lp.channel]


def test_default_instance_all_baselines_pick_min_co2_option() -> None:
    inst = make_instance(default_inventory(), default_signals(), default_workloads())
    sig = default_signals()
    (w,) = default_workloads()
    # brute force ORCA's CO2-eq burden over every (site, start) of Table V
    best = None
    for c in inst.classes:
        for s in inst.sites:
            d = inst.site_index()[s.id]
            tr = min_transfer_kwh(inst, 0, d)
            g = sig.series(s.region, "co2eq")
            for t in range(24):
                val = w.energy_kwh * g[t] + tr * g[t]
                best = min(best or (val, s.id, t), (val, s.id, t))
        assert c.ids == (w.id,)
    assert best is not None
    p = co2_only(inst)
    assert p.status == "feasible" and p.planner == "co2-only"
    assert (p.placements[0].site, p.placements[0].slot) == best[1:]
    assert p.total_burden("co2eq") == pytest.approx(best[0])
    assert len(p.lightpaths) == 1 and p.lightpaths[0].path[0] == "roadm-fra"
    _check_same_accounting(inst, p)
    for name in ("sequential", "first-fit"):
        q = run_baseline(name, inst)
        assert q.status == "feasible" and q.planner == name
        assert len(q.placements) == 1
        _check_same_accounting(inst, q)


def test_co2_only_breaks_caps_and_blocks_and_says_so() -> None:
    caps = caps_from_dict({"site_power": {"dc-c": "1.5 kW"}, "zone_caps": {"no2": {"dc-c": 60}}})
    inst = _line_instance(n=3, deadline=1, caps=caps)
    p = co2_only(inst)
    assert {x.site for x in p.placements} == {"dc-c"}  # greenest site for all three
    assert p.status == "infeasible"
    broken = {(r.cap, r.site_or_zone) for r in p.diagnosis}
    assert broken == {("power", "dc-c"), ("zone:no2", "dc-c")}
    power = next(r for r in p.diagnosis if r.cap == "power")
    assert power.needed_relaxation == pytest.approx(3.0 + 2 * 10 * _kwh_per_gb(inst) - 1.5)
    assert len(p.lightpaths) == 2 and len(p.unassigned) == 1  # two channels on a-b-c
    assert p.unassigned[0].reason == "no common free channel"
    assert "breaks" in p.message and "no2 dc-c=" in p.message
    assert {c.cap for c in p.violated} == {"power", "zone:no2"}
    _check_same_accounting(inst, p)


def _kwh_per_gb(inst: Instance) -> float:
    return inst.network.routes[("a", "dc-c")][0].energy_kwh_per_gb


def test_first_fit_respects_caps_and_rejects_what_does_not_fit() -> None:
    caps = caps_from_dict({"site_power": {"dc-c": "1.5 kW"}})
    inst = _line_instance(n=3, deadline=1, caps=caps)
    p = first_fit(inst)
    assert p.violated == ()
    got = {x.workload: x.site for x in p.placements}
    assert got == {"w0": "dc-c", "w1": "dc-b"}  # arrival order; w1 no longer fits dc-c
    assert [u.workload for u in p.unassigned] == ["w2"]  # a-b has no third channel
    assert p.status == "infeasible"
    assert ("workload", 1.0) in {(r.cap, r.needed_relaxation) for r in p.diagnosis}
    assert [lp.channel for lp in p.lightpaths] == [0, 1]
    _check_same_accounting(inst, p)


def test_first_fit_uses_the_second_slot_when_allowed() -> None:
    inst = _line_instance(n=3, deadline=2)
    p = first_fit(inst)
    assert p.status == "feasible" and len(p.placements) == 3 and p.violated == ()
    assert Counter(x.slot for x in p.placements) == Counter({0: 2, 1: 1})
    _check_same_accounting(inst, p)


def test_sequential_reports_blocked_transfers_and_unseen_energy() -> None:
    caps = caps_from_dict({"site_power": {"dc-c": "1.5 kW"}})
    inst = _line_instance(n=3, deadline=1, caps=caps)
    p = sequential(inst, time_limit=20.0)
    assert p.planner == "sequential"
    assert Counter(x.site for x in p.placements) == Counter({"dc-c": 1, "dc-b": 2})
    assert len(p.unassigned) == 1 and p.status == "infeasible"
    assert "transfer energy" in p.message and "unseen" in p.message
    assert "1 transfer(s) blocked" in p.message
    _check_same_accounting(inst, p)


def test_sequential_keeps_an_infeasible_placement_stage() -> None:
    caps = caps_from_dict({"site_power": {"dc-b": "0.5 kW", "dc-c": "0.5 kW"}})
    p = sequential(_line_instance(n=1, deadline=1, caps=caps), time_limit=10.0)
    assert p.status == "infeasible" and p.placements == ()
    assert p.message.startswith("placement stage (network ignored): infeasible")


def test_unknown_baseline_is_bad_input() -> None:
    assert set(BASELINES) == {"co2-only", "sequential", "first-fit"}
    with pytest.raises(InputError, match="baseline: expected one of co2-only"):
        run_baseline("random", _line_instance())


def test_sequential_greedy_placement_matches_first_fit_without_network() -> None:
    caps = caps_from_dict({"site_power": {"dc-c": "1.5 kW"}})
    inst = _line_instance(n=3, deadline=1, caps=caps)
    p = sequential(inst, placement="greedy")
    assert "greedy placement (network ignored)" in p.message
    # greedy without the network: w0 → dc-c, w1 and w2 → dc-b (dc-c is full); then a—b
    # has two channels for three transfers (one to dc-c crosses a—b too): one blocked
    assert Counter(x.site for x in p.placements) == Counter({"dc-c": 1, "dc-b": 2})
    assert len(p.unassigned) == 1 and p.timings.solve_s > 0
    _check_same_accounting(inst, p)
    with pytest.raises(InputError, match="placement: expected milp or greedy"):
        sequential(inst, placement="magic")


def test_zone_burdens_show_which_local_burdens_co2_only_raises() -> None:
    inst = _line_instance(n=2, deadline=2)
    greedy = co2_only(inst)
    zb = zone_burdens(inst, greedy)
    assert zb[("co2eq", "global")] == pytest.approx(greedy.total_burden("co2eq"))
    # everything went to the green site: its local NO2 burden is 50 µg/m³ per kWh
    assert zb[("no2", "dc-c")] == pytest.approx(
        50.0 * sum(b.burdens["co2eq"] / 10.0 for b in greedy.burdens)
    )
    assert ("no2", "dc-b") not in zb


def test_sequential_repair_places_blocked_transfers_again_first_fit() -> None:
    # deadline 2: the network-blind placement puts 3 transfers in slot 0 on 2 channels
    inst = _line_instance(n=3, deadline=2)
    plain = sequential(inst, time_limit=20.0)
    assert len(plain.unassigned) >= 1
    fixed = sequential(inst, time_limit=20.0, repair=True)
    assert sorted(p.workload for p in fixed.placements) == ["w0", "w1", "w2"]
    assert not fixed.unassigned and fixed.status == "feasible"
    assert "placed again first-fit" in fixed.message
    # the workloads routed in the first pass keep their placement and lightpath
    blocked = {u.workload for u in plain.unassigned}
    kept = {lp.workload: lp for lp in plain.lightpaths}
    for lp in fixed.lightpaths:
        if lp.workload not in blocked:
            assert kept[lp.workload] == lp
    _check_same_accounting(inst, fixed)


def test_repair_blocked_places_a_plans_blocked_transfers_around_the_rest() -> None:
    from optimizer.solve.repair import repair_blocked

    inst = _line_instance(n=3, deadline=2)
    plain = sequential(inst, time_limit=20.0)
    assert plain.unassigned
    placements, lightpaths, left, energy = repair_blocked(
        inst, plain.placements, plain.lightpaths, plain.unassigned
    )
    assert sorted(p.workload for p in placements) == ["w0", "w1", "w2"] and not left
    assert {lp.workload for lp in lightpaths} == {"w0", "w1", "w2"}
    objective, _b, caps = account(inst, energy)
    served = (plain.objective or 0.0) - plain.lost_work
    assert objective >= served - 1e-9  # more work served, never cheaper
    assert not [c for c in caps if c.value > c.limit * (1 + 1e-9)]
