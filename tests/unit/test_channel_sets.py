"""Channel-set rows (Hall's condition) of a scarce spectrum: valid, and as tight as exact
channels in the LP. Real HiGHS on germany50 (topohub), 8 channels, half of them lit."""

from __future__ import annotations

from collections import defaultdict

import cvxpy as cp
import pytest

from optimizer.model.formulation import build
from optimizer.solve.program import Planner
from tests.unit.test_program_channels import scarce


def _lp(channels: str, channel_sets: bool = True) -> float:
    form = build(scarce(300), integer=False, channels=channels, channel_sets=channel_sets)
    form.problem.solve(solver=cp.HIGHS)  # type: ignore[no-untyped-call]
    assert form.problem.status == "optimal"
    return float(form.problem.value)


def test_channel_set_rows_are_built_on_a_scarce_spectrum_only() -> None:
    inst = scarce(60)
    form = build(inst, channels="aggregate")
    assert form.hall_rows and "hall" in form.params
    assert not build(inst, channels="aggregate", channel_sets=False).hall_rows
    # the rows' right-hand side: the set's channels still free on the fibre in that slot
    hall = form.params["hall"].value
    assert hall is not None
    for (f, t, chans), cap in zip(form.hall_rows, hall, strict=True):
        free = inst.network.free[f] - inst.busy.get((f, t), frozenset())
        assert cap == len(chans & free)
        assert chans != inst.network.free[f]  # that one is the fibre row


def test_channel_sets_raise_the_aggregated_lp_to_the_exact_one() -> None:
    # 300 workloads: where the channels bind in the LP (108,057 -> 108,117)
    plain = _lp(channels="aggregate", channel_sets=False)
    sets = _lp(channels="aggregate")
    exact = _lp(channels="exact", channel_sets=False)
    assert plain < sets - 1e-6 * abs(sets)  # a tighter relaxation here ...
    assert sets <= exact + 1e-6 * abs(exact)  # ... and still a relaxation of the exact one
    assert sets == pytest.approx(exact, rel=1e-6)


def test_every_coloured_plan_meets_the_channel_set_rows() -> None:
    inst = scarce(60)
    form = build(inst, channels="aggregate")
    plan = Planner(inst, seed=1, channels="exact").solve(time_limit=10, method="lns")
    assert plan.lightpaths and not plan.blocked
    net = inst.network
    load: dict[tuple[str, int, frozenset[int]], int] = defaultdict(int)
    for lp in plan.lightpaths:
        if not lp.fibres:
            continue
        common = frozenset.intersection(*(net.free[f] for f in lp.fibres))
        for f, t, chans in form.hall_rows:
            if f in lp.fibres and t == lp.slot and common <= chans:
                load[(f, t, chans)] += 1
    hall = form.params["hall"].value
    assert hall is not None
    assert load  # the plan's lightpaths are in some of the rows
    for row, cap in zip(form.hall_rows, hall, strict=True):
        assert load.get(row, 0) <= cap
