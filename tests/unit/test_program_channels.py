"""Exact channel variables: every plan is a wavelength assignment, chosen by the program.

Real HiGHS on germany50 (topohub) with 8 channels per fibre, half of them lit, where the
aggregated counts often cannot be coloured.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

import pytest

from bench.plan import instance as bench_instance
from bench.plan import prepare
from optimizer.inputs.instance import Instance
from optimizer.model.formulation import build, exact_channels
from optimizer.model.plan import Plan
from optimizer.solve.heuristics import sequential
from optimizer.solve.highs_model import HighsModel, load
from optimizer.solve.program import Planner
from optimizer.solve.routing import route_placement


def scarce(n: int) -> Instance:
    return bench_instance(prepare("germany50", 8, 0.5, seed=3), n, 2.0, seed=3)


def exact_model(inst: Instance) -> tuple[Planner, HighsModel]:
    """An exact-channel planner and its program loaded in HiGHS, lightpath counts continuous
    (as the LNS has them)."""
    planner = Planner(inst, seed=0, channels="exact")
    hm = load(planner.form.problem)
    assert planner.form.n is not None
    hm.relax(hm.column(planner.form.n))
    return planner, hm


def _check_spectrum(inst: Instance, plan: Plan) -> None:
    """Continuity, free channels only, each channel once per fibre and slot."""
    used: dict[tuple[str, int], list[int]] = defaultdict(list)
    for lp in plan.lightpaths:
        for f in lp.fibres:
            free = inst.network.free[f] - inst.busy.get((f, lp.slot), frozenset())
            assert lp.channel in free, (lp.workload, f, lp.channel)
            used[(f, lp.slot)].append(lp.channel)
    assert all(len(v) == len(set(v)) for v in used.values())


def test_auto_picks_exact_channels_where_spectrum_is_scarce() -> None:
    inst = scarce(40)
    form = build(inst, channels="auto")
    assert form.y is not None and form.chan_cols and form.chan_rows
    # one column per (route column, channel free on every fibre of the route)
    for k, lam in form.chan_cols:
        g, r = form.route_cols[k]
        o, d, _t = form.groups[g]
        route = inst.network.routes[(o, inst.sites[d].id)][r]
        assert all(lam in inst.network.free[f] for f in route.fibres)
    assert build(inst, channels="aggregate").y is None
    with pytest.raises(ValueError, match="channels"):
        exact_channels("exactly", 1, 1)


def test_exact_plan_is_coloured_by_the_program_and_never_blocks() -> None:
    inst = scarce(60)
    plan = Planner(inst, seed=1, channels="exact").solve(time_limit=30, method="lns")
    assert plan.status in ("optimal", "feasible")
    assert not plan.blocked and not plan.unassigned and not plan.unserved
    assert "without a wavelength" not in plan.message
    _check_spectrum(inst, plan)
    assert len(plan.lightpaths) == sum(
        1 for p in plan.placements if any(lp.workload == p.workload for lp in plan.lightpaths)
    )


def test_exact_and_aggregated_report_the_same_valid_bound() -> None:
    inst = scarce(60)
    exact = Planner(inst, seed=1, channels="exact").solve(time_limit=10, method="lns")
    agg = Planner(inst, seed=1, channels="aggregate").solve(time_limit=10, method="lns")
    # the bound of the exact program is the aggregated LP: a relaxation of it
    assert exact.bound == pytest.approx(agg.bound, rel=1e-6)
    assert exact.objective is not None and exact.bound is not None
    assert exact.objective >= exact.bound - 1e-6 * abs(exact.bound)


def test_routing_a_network_blind_placement_drops_nothing_it_can_route() -> None:
    inst = scarce(60)
    planner, hm = exact_model(inst)
    # stopped by rounds, not by the clock: the same placement on a loaded machine
    blind = sequential(inst, time_limit=60, repair=False, planner=Planner, max_rounds=3)
    assert "time limit" not in blind.message
    routed = route_placement(hm, planner.form, inst, blind, 20.0)
    assert routed is not None
    vec, dropped = routed
    assert hm.feasible(vec)
    assert dropped == []  # the few it had to drop were placed again around the rest
    xs = hm.column(planner.form.x)
    assert round(float(vec[xs].sum())) == len(blind.placements)


def test_warm_values_carry_the_channels_of_a_plan() -> None:
    inst = scarce(40)
    planner = Planner(inst, seed=0, channels="exact")
    plan = planner.solve(time_limit=20, method="lns")
    vals = planner.warm.values(inst, plan)
    assert vals is not None and planner.form.y is not None
    y = vals[0][planner.form.y.id]
    assert round(float(y.sum())) == len(plan.lightpaths)
    # a lightpath moved to a channel its route does not have free is not a start
    bad = next(lp for lp in plan.lightpaths if lp.fibres)
    taken = {c for f in bad.fibres for c in range(8) if c not in inst.network.free[f]}
    assert taken  # half the channels are lit
    moved = replace(bad, channel=min(taken))
    other = tuple(moved if lp is bad else lp for lp in plan.lightpaths)
    assert planner.warm.values(inst, replace(plan, lightpaths=other)) is None


def test_place_unserved_fits_a_left_out_workload_around_the_plan() -> None:
    from optimizer.model.accounting import account
    from optimizer.solve.repair import place_unserved

    inst = scarce(40)
    plan = Planner(inst, seed=0).solve(time_limit=20, method="lns")
    assert not plan.unserved
    out = plan.placements[0].workload
    kept = [p for p in plan.placements if p.workload != out]
    lps = [lp for lp in plan.lightpaths if lp.workload != out]
    pl, lps2, left, energy = place_unserved(inst, kept, lps, [out])
    assert left == [] and {p.workload for p in pl} == {p.workload for p in plan.placements}
    _obj, _burdens, caps = account(inst, energy)
    assert all(c.value <= c.limit * (1 + 1e-9) for c in caps)
    _check_spectrum(inst, replace(plan, placements=tuple(pl), lightpaths=tuple(lps2)))
