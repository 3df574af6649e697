"""The joint program on small real instances: DPP, wavelengths, caps, re-plan, grouping."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pytest

from optimizer.caps import Caps, ZoneCap
from optimizer.inputs import make_instance
from optimizer.plan import Plan
from optimizer.program import Planner
from optimizer.signal_series import Signals, build_signals, slots_from
from optimizer.workloads import Workload
from topology.model import ChannelGrid, Fibre, Inventory, Roadm, Site

T0 = datetime(2025, 7, 1, tzinfo=UTC)


def line_network(channels: int = 2, occupied: frozenset[int] = frozenset()) -> Inventory:
    """a — b — c, a data centre at a (DE) and one at c (JP); origins at b."""
    grid = ChannelGrid(count=channels, spacing_ghz=100.0, first_index=0)
    return Inventory(
        "line",
        (Roadm("a"), Roadm("b"), Roadm("c")),
        sites=(
            Site("dcA", "a", "DE", pue=1.0, wue_l_per_kwh=1.0),
            Site("dcC", "c", "JP", pue=1.0, wue_l_per_kwh=1.0),
        ),
        fibres=(
            Fibre("ab", "a", "b", 80.0, 1, 0, grid, occupied),
            Fibre("bc", "b", "c", 80.0, 1, 0, grid, occupied),
        ),
    )


def signals(de: list[float], jp: list[float]) -> Signals:
    return build_signals(
        {("DE", "co2eq"): de, ("JP", "co2eq"): jp},
        slots_from(T0, len(de), 1.0),
    )


def jobs(n: int, origin: str = "b", gb: float = 1.0, kwh: float = 10.0) -> tuple[Workload, ...]:
    return tuple(Workload(f"w{i}", origin, (kwh,), 3600.0, data_in_gb=gb) for i in range(n))


def channels_ok(plan: Plan) -> None:
    """No channel twice on a fibre in a slot; every lightpath has one channel end to end."""
    used: dict[tuple[str, int], list[int]] = defaultdict(list)
    for lp in plan.lightpaths:
        for f in lp.fibres:
            used[(f, lp.slot)].append(lp.channel)
    for key, chans in used.items():
        assert len(chans) == len(set(chans)), key


def test_problem_is_dpp_and_groups_identical_workloads() -> None:
    inst = make_instance(line_network(), signals([100.0, 50.0], [80.0, 90.0]), jobs(3))
    planner = Planner(inst)
    assert planner.form.problem.is_dpp()
    assert len(inst.classes) == 1 and inst.classes[0].count == 3
    plan = planner.solve(time_limit=20)
    assert plan.status == "optimal"
    assert sorted(p.workload for p in plan.placements) == ["w0", "w1", "w2"]


def test_wavelength_capacity_moves_work_in_time() -> None:
    # JP is cleanest in slot 0 but the b-c fibre has 2 channels: only 2 transfers per slot
    inst = make_instance(line_network(2), signals([500.0, 500.0], [10.0, 20.0]), jobs(4))
    plan = Planner(inst).solve(time_limit=20, mip_gap=0.0)
    assert plan.status == "optimal"
    slots = sorted(p.slot for p in plan.placements if p.site == "dcC")
    assert slots == [0, 0, 1, 1]
    assert len(plan.lightpaths) == 4 and not plan.unassigned
    channels_ok(plan)
    assert {lp.frequency_thz for lp in plan.lightpaths} == {193.1, 193.2}


def test_existing_occupancy_is_respected() -> None:
    inst = make_instance(
        line_network(3, frozenset({0, 1})), signals([500.0, 500.0], [10.0, 20.0]), jobs(2)
    )
    plan = Planner(inst).solve(time_limit=20, mip_gap=0.0)
    assert {lp.channel for lp in plan.lightpaths} == {2}
    assert sorted(lp.slot for lp in plan.lightpaths) == [0, 1]


def test_power_cap_binds_and_is_reported() -> None:
    caps = Caps(site_power_kw={"dcC": 15.0})
    inst = make_instance(
        line_network(8), signals([500.0, 500.0], [10.0, 20.0]), jobs(2), caps, site_caps=False
    )
    plan = Planner(inst).solve(time_limit=20, mip_gap=0.0)
    assert plan.status == "optimal" and not plan.violated
    power = [c for c in plan.caps if c.cap == "power" and c.site_or_zone == "dcC"]
    assert [round(c.value, 6) for c in power] == [pytest.approx(10.0, rel=1e-3)] * 2
    assert all(c.utilisation is not None and c.utilisation <= 1 + 1e-6 for c in power)


def test_infeasible_is_a_result_with_diagnosis() -> None:
    caps = Caps(
        site_power_kw={"dcA": 15.0, "dcC": 15.0},
        zone_caps=(ZoneCap("co2eq", "global", 1e9, "g", "day"),),
    )
    # 5 jobs of 10 kW for one slot, 2 sites x 2 slots x 15 kW: one job per site-slot, 4 fit;
    # the fifth needs one site-slot raised by 5 kW (plus its tiny transfer energy)
    inst = make_instance(
        line_network(8), signals([100.0, 100.0], [10.0, 20.0]), jobs(5), caps, site_caps=False
    )
    plan = Planner(inst).solve(time_limit=20)
    assert plan.status == "infeasible"
    doc = plan.to_json()
    assert doc["objective"] is None and doc["diagnosis"]
    power = [r for r in plan.diagnosis if r.cap == "power"]
    assert len(power) == 1 and power[0].needed_relaxation == pytest.approx(5.0, rel=1e-3)
    assert all(r.unit == "kW" and r.slot is not None for r in power)
    shed = [r for r in plan.diagnosis if r.cap == "workload" and r.unit == "workloads"]
    assert [r.needed_relaxation for r in shed] == [1.0]


def test_replan_rewrites_parameters_without_recompiling() -> None:
    inst = make_instance(line_network(8), signals([100.0, 100.0], [10.0, 20.0]), jobs(2))
    planner = Planner(inst)
    first = planner.solve(time_limit=20)
    assert {p.site for p in first.placements} == {"dcC"}
    problem = planner.form.problem
    sig = dict(inst.signal)
    sig[("dcC", "co2eq")] = np.array([900.0, 900.0])
    again = planner.solve(replace(inst, signal=sig), time_limit=20)
    assert planner.form.problem is problem
    assert {p.site for p in again.placements} == {"dcA"}
    assert {lp.path for lp in again.lightpaths} == {("b", "a")}


def test_local_origin_needs_no_lightpath() -> None:
    inst = make_instance(line_network(8), signals([1.0, 1.0], [900.0, 900.0]), jobs(2, "a"))
    plan = Planner(inst).solve(time_limit=20)
    assert {p.site for p in plan.placements} == {"dcA"} and not plan.lightpaths


def test_per_job_zone_cap_excludes_options() -> None:
    caps = Caps(zone_caps=(ZoneCap("co2eq", "global", 500.0, "g", "workload"),))
    # JP slot 0: 10 kWh x 10 g/kWh = 100 g plus transfer; DE 10 x 100 = 1000 g > cap
    inst = make_instance(
        line_network(8), signals([100.0, 100.0], [10.0, 90.0]), jobs(1), caps, site_caps=False
    )
    plan = Planner(inst).solve(time_limit=20)
    assert [(p.site, p.slot) for p in plan.placements] == [("dcC", 0)]
