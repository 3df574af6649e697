"""The LNS path of the planner on small real instances (real HiGHS, no mocks)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from optimizer.inputs import make_instance
from optimizer.inputs.caps import Caps
from optimizer.inputs.instance import Instance
from optimizer.solve.highs_model import load
from optimizer.solve.lns import search
from optimizer.solve.program import Planner
from tests.unit.test_program_core import channels_ok, jobs, line_network, signals


def case(power_kw: float = 25.0) -> Instance:
    """7 transfers on a 2-channel line, 25 kW per site-slot: caps and channels both bind."""
    caps = Caps(site_power_kw={"dcA": power_kw, "dcC": power_kw})
    return make_instance(
        line_network(2),
        signals([300.0, 200.0, 250.0, 220.0], [10.0, 30.0, 20.0, 40.0]),
        jobs(7),
        caps,
        site_caps=False,
    )


def test_lns_plan_is_complete_valid_and_honest_about_its_gap() -> None:
    inst = case()
    exact = Planner(inst).solve(time_limit=20, mip_gap=0.0, method="milp", warm=None)
    planner = Planner(inst)
    plan = planner.solve(time_limit=4, mip_gap=0.0, method="lns", with_lp_bound=True)
    assert plan.message.startswith("LNS:")
    assert sorted(p.workload for p in plan.placements) == [f"w{i}" for i in range(7)]
    assert not plan.unassigned and not plan.violated
    channels_ok(plan)
    assert plan.objective is not None and plan.bound is not None and plan.gap is not None
    assert exact.objective is not None
    assert plan.objective >= exact.objective - 1e-6  # nothing beats the optimum
    assert plan.bound == pytest.approx(plan.lp_bound)  # the bound is the LP relaxation
    assert plan.bound <= exact.objective + 1e-6
    assert plan.gap == pytest.approx((plan.objective - plan.bound) / plan.objective)
    assert plan.status == ("optimal" if plan.gap <= 1e-12 else "feasible")


def test_replan_starts_from_the_previous_plan_and_rebounds_on_new_signals() -> None:
    inst = case()
    planner = Planner(inst)
    first = planner.solve(time_limit=10, method="lns")
    assert first.objective is not None
    cheaper = replace(
        inst, signal={k: v * (0.5 if k[0] == "dcA" else 1.0) for k, v in inst.signal.items()}
    )
    again = planner.solve(cheaper, time_limit=10, method="lns", with_lp_bound=True)
    assert "from the previous plan start" in again.message
    fresh = Planner(cheaper).solve(time_limit=10, method="lns", with_lp_bound=True)
    assert again.lp_bound == pytest.approx(fresh.lp_bound, rel=1e-9)  # the LP was re-solved
    assert again.objective is not None and fresh.objective is not None
    assert again.objective <= first.objective  # cheaper signals, same plan still feasible
    # a tighter cap the previous plan breaks: it is repaired, not used as it is
    tight = replace(cheaper, caps=replace(cheaper.caps, power_kw={"dcA": 20.0, "dcC": 20.0}))
    third = planner.solve(tight, time_limit=10, method="lns")
    assert "from the repaired previous plan start" in third.message
    assert not third.violated and third.status in ("optimal", "feasible")


def test_search_never_worsens_and_its_values_meet_every_row() -> None:
    inst = case()
    planner = Planner(inst)
    model = load(planner.form.problem)
    res = search(model, planner.form, inst, time_limit=5, mip_gap=0.0, size=3, workers=2)
    assert res.values is not None and res.objective is not None and res.bound is not None
    assert model.feasible(res.values)
    objs = [o for _t, o in res.trace]
    assert objs == sorted(objs, reverse=True) and objs[-1] == pytest.approx(res.objective)
    assert all(o >= res.bound - 1e-6 for o in objs)
    cost = np.asarray(model.highs.getLp().col_cost_, dtype=float)
    assert float(cost @ res.values) + model.offset == pytest.approx(res.objective, rel=1e-9)


def test_infeasible_caps_are_reported_as_infeasible_by_the_lns_path() -> None:
    plan = Planner(case(power_kw=1.0)).solve(time_limit=10, method="lns", diagnose=False)
    assert plan.status == "infeasible"


def test_zone_cap_needs_its_signal_only_at_the_sites_it_caps() -> None:
    from optimizer.inputs.caps import BURDEN_UNITS, ZoneCap
    from optimizer.inputs.signal_series import build_signals, slots_from
    from tests.unit.test_program_core import T0
    from topology.errors import InputError

    sig = build_signals(
        {
            ("DE", "co2eq"): [100.0, 60.0],
            ("DE", "no2"): [5.0, 50.0],
            ("JP", "co2eq"): [80.0, 90.0],
        },
        slots_from(T0, 2, 1.0),
    )
    # no2 is a data-centre burden: the zone of dcA is dcA, which has the signal; JP has none
    ok = Caps(zone_caps=(ZoneCap("no2", "dcA", 100.0, BURDEN_UNITS["no2"], "day"),))
    inst = make_instance(line_network(4), sig, jobs(2), ok, site_caps=False)
    plan = Planner(inst).solve(time_limit=10, method="milp")
    assert plan.status == "optimal" and not plan.violated
    bad = Caps(
        zone_caps=(ZoneCap("no2", "dcC", 100.0, BURDEN_UNITS["no2"], "day"),), source="caps.yaml"
    )
    with pytest.raises(InputError) as err:
        make_instance(line_network(4), sig, jobs(2), bad, site_caps=False)
    assert "caps.yaml" in str(err.value) and "dcC" in str(err.value) and "no2" in str(err.value)
