"""The joint program on small real instances: DPP, wavelengths, caps, re-plan, grouping."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pytest

from optimizer.baselines import sequential
from optimizer.inputs import make_instance
from optimizer.inputs.caps import Caps, ZoneCap
from optimizer.inputs.instance import Instance
from optimizer.inputs.signal_series import Signals, build_signals, slots_from
from optimizer.inputs.workloads import Workload
from optimizer.model.accounting import lost_work
from optimizer.model.plan import Plan, Relaxation, Timings
from optimizer.solve.program import Planner, _solve
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


def test_the_gap_counts_unserved_work_when_one_workload_cannot_fit() -> None:
    caps = Caps(
        site_power_kw={"dcA": 15.0, "dcC": 15.0},
        zone_caps=(ZoneCap("co2eq", "global", 1e9, "g", "day"),),
    )
    # 5 jobs of 10 kW for one slot, 2 sites x 2 slots x 15 kW: one job per site-slot, 4 fit;
    # the fifth needs one site-slot raised by 5 kW (plus its tiny transfer energy). The LP
    # relaxation fits (fractional jobs fill 50 of 60 kW); no integral plan serves all 5
    inst = make_instance(
        line_network(8), signals([100.0, 100.0], [10.0, 20.0]), jobs(5), caps, site_caps=False
    )
    for method in ("milp", "lns"):
        plan = Planner(inst).solve(time_limit=5 if method == "lns" else 20, method=method)
        assert plan.status == "infeasible" and not plan.violated, method
        assert plan.served == 4 and len(plan.unserved) == 1 and len(plan.placements) == 4
        doc = plan.to_json()
        assert doc["served"] == 4 and doc["unserved"] == list(plan.unserved)
        assert doc["blocked"] == []
        lost = lost_work(inst, plan.unserved)
        assert plan.lost_work == pytest.approx(lost) and lost > 0
        # one objective: the served work's burdens plus the lost work; bound and gap of it
        energy = sum(b.burdens["co2eq"] for b in plan.burdens)
        assert plan.objective is not None and plan.bound is not None and plan.gap is not None
        assert plan.objective > lost and plan.objective - lost < energy  # burdens scaled
        assert plan.bound <= plan.objective * (1 + 1e-9)
        assert plan.gap == pytest.approx((plan.objective - plan.bound) / plan.objective, abs=1e-6)
        if method == "milp":  # HiGHS's dual bound prices the lost work as well: 1 %
            assert plan.gap <= 0.01
        else:  # the LP bound serves the fractional fifth job: an honest, wide gap
            assert plan.status == "infeasible" and plan.gap > 0.01
        power = [r for r in plan.diagnosis if r.cap == "power"]
        assert len(power) == 1 and power[0].needed_relaxation == pytest.approx(5.0, rel=1e-3)
        shed = [r for r in plan.diagnosis if r.cap == "workload" and r.unit == "workloads"]
        assert [r.needed_relaxation for r in shed] == [1.0]


def test_a_workload_left_out_is_explained() -> None:
    from optimizer.solve.unserved import why_unserved

    caps = Caps(site_power_kw={"dcA": 15.0, "dcC": 15.0})
    inst = make_instance(
        line_network(8), signals([100.0, 100.0], [10.0, 20.0]), jobs(5), caps, site_caps=False
    )
    plan = Planner(inst).solve(time_limit=20)
    why = why_unserved(inst, plan.placements, plan.lightpaths, plan.unserved)
    power = [r for r in why if r.cap == "power"]
    assert len(power) == 1 and power[0].needed_relaxation == pytest.approx(5.0, rel=1e-3)
    assert why[-1] == Relaxation("workload", "all", None, 1.0, "workloads")


def test_infeasible_is_a_result_with_diagnosis() -> None:
    caps = Caps(site_power_kw={"dcA": 12.0, "dcC": 12.0})
    # 5 jobs of 10 kW on 2 sites x 2 slots x 12 kW: even fractionally 50 kW do not fit in 48
    inst = make_instance(
        line_network(8), signals([100.0, 100.0], [10.0, 20.0]), jobs(5), caps, site_caps=False
    )
    plan = Planner(inst).solve(time_limit=20)
    assert plan.status == "infeasible"
    doc = plan.to_json()
    assert doc["diagnosis"] and doc["served"] == 4 and len(doc["unserved"]) == 1
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


def warm_case() -> tuple[Instance, Plan]:
    """Three transfers, four slots, a power cap: the sequential baseline's complete plan."""
    caps = Caps(site_power_kw={"dcA": 25.0, "dcC": 25.0})
    inst = make_instance(
        line_network(4),
        signals([100.0, 60.0, 80.0, 90.0], [80.0, 90.0, 20.0, 30.0]),
        jobs(3, gb=200.0),
        caps,
        site_caps=False,
    )
    seq = sequential(inst, time_limit=10)
    assert seq.status == "feasible" and seq.objective is not None and not seq.unassigned
    return inst, seq


def test_mip_start_sets_every_variable_and_highs_keeps_it() -> None:
    inst, seq = warm_case()
    planner = Planner(inst)
    w = planner._warm(inst, seq)
    assert w is not None and w.name == "sequential"
    # every variable of the compiled problem has a start value, and they meet every constraint
    assert {v.id for v in planner.form.problem.variables()} == set(w.values)
    assert w.objective == pytest.approx(seq.objective, rel=1e-9)
    # a time limit too short to search: HiGHS's incumbent is the start itself (or better)
    assert seq.objective is not None
    raw = _solve(planner.form, 1e-3, 0.01, 1, w.values)
    assert raw.status in ("optimal", "feasible")
    assert float(planner.form.problem.value) <= seq.objective * (1 + 1e-9)
    plan = planner.solve(time_limit=0.01, warm=seq)
    assert plan.objective is not None and plan.objective <= seq.objective * (1 + 1e-9)
    assert plan.planner == "joint" and not plan.unassigned and not plan.violated


def test_warm_start_plan_as_the_answer_is_reaccounted_with_an_honest_gap() -> None:
    inst, seq = warm_case()
    assert seq.objective is not None
    planner = Planner(inst)
    w = planner._warm(inst, seq)
    assert w is not None
    raw = _solve(planner.form, 5.0, 0.0, 1, None)  # HiGHS's own dual bound, no start
    assert raw.bound is not None
    plan = planner._from_warm(inst, w, raw.bound, 0.01, None, Timings(), "test")
    assert plan.planner == "joint" and "sequential warm start" in plan.message
    assert plan.objective == pytest.approx(seq.objective, rel=1e-9)
    assert plan.placements == seq.placements and plan.lightpaths == seq.lightpaths
    assert plan.caps == seq.caps and not plan.violated
    assert plan.objective is not None and plan.gap is not None
    assert plan.gap == pytest.approx(max(plan.objective - raw.bound, 0.0) / plan.objective)
    assert plan.status == ("optimal" if plan.gap <= 0.01 else "feasible")
    # no bound: no gap claimed
    assert planner._from_warm(inst, w, None, 0.01, None, Timings(), "x").gap is None
    # a start that breaks the model is not used: a workload missing, or a cap it exceeds
    assert planner._warm(inst, replace(seq, placements=seq.placements[1:])) is None
    tight = replace(inst, caps=replace(inst.caps, power_kw={"dcA": 1.0, "dcC": 1.0}))
    assert Planner(tight)._warm(tight, seq) is None


def test_relax_fix_start_is_feasible_between_lp_bound_and_first_fit() -> None:
    from optimizer.baselines import first_fit
    from optimizer.solve.relax_fix import relax_fix

    # 2 channels on b-c and 25 kW per site-slot: JP is cleanest but cannot take everything
    caps = Caps(site_power_kw={"dcA": 25.0, "dcC": 25.0})
    inst = make_instance(
        line_network(2),
        signals([300.0, 200.0, 250.0], [10.0, 30.0, 20.0]),
        jobs(7),
        caps,
        site_caps=False,
    )
    planner = Planner(inst)
    lp = planner.lp_bound()
    rf = relax_fix(planner, inst, time_limit=20)
    assert rf is not None and rf.objective is not None and lp is not None
    assert planner._values(inst, rf) is not None  # complete and meets every constraint
    channels_ok(rf)
    ff = first_fit(inst)
    assert ff.objective is not None
    assert lp - 1e-6 * abs(lp) <= rf.objective <= ff.objective + 1e-9
    assert sorted(p.workload for p in rf.placements) == [f"w{i}" for i in range(7)]
