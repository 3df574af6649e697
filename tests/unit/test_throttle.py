"""Throttling: a reduced variant is chosen exactly when it loses less value than dropping."""

from __future__ import annotations

import itertools
import warnings
from dataclasses import replace

import cvxpy as cp
import pytest

from optimizer.analysis.throttle import (
    FULL,
    expand,
    select_variants,
    throttle_report,
    throttled_plan,
)
from optimizer.inputs import make_instance
from optimizer.inputs.caps import Caps
from optimizer.inputs.signals import default_signals
from optimizer.inputs.workload_types import Variant, Workload
from optimizer.inputs.workloads import default_workloads
from optimizer.model.formulation import build, set_parameters
from optimizer.solve.highs import FsorHighs
from topology.io import default_inventory

PUE_FRA = next(s.pue for s in default_inventory().sites if s.id == "dc-fra")


def _jobs(n: int, lite: Variant) -> list[Workload]:
    base = default_workloads()[0]
    return [
        replace(
            base, id=f"j{i}", profile_kwh=(1.0,), interval_s=3600.0, data_in_gb=0.0,
            allowed_sites=("dc-fra",), release=0, deadline=1, variants=(lite,),
        )
        for i in range(n)
    ]  # fmt: skip


def _caps(kw: float) -> Caps:
    return Caps(site_power_kw={"dc-fra": kw})


def _fits(ws: list[Workload], caps: Caps) -> bool:
    if not ws:
        return True
    inst = make_instance(default_inventory(), default_signals(), ws, caps, site_caps=False)
    form = build(inst, integer=True)
    set_parameters(form, inst, strict=True)  # fits = every workload served
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        form.problem.solve(solver=FsorHighs(), time_limit=30.0)  # type: ignore[no-untyped-call]
    return form.problem.status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE)


def _brute(ws: list[Workload], caps: Caps) -> float:
    """Least value lost over every (full | lite | drop) choice per workload."""
    best = float("inf")
    for choice in itertools.product([*variants(ws[0]), None], repeat=len(ws)):
        kept = [v.apply(w) for w, v in zip(ws, choice, strict=True) if v is not None]
        lost = sum(1.0 if v is None else 1.0 - v.value for v in choice)
        if lost < best and _fits(kept, caps):
            best = lost
    return best


def variants(w: Workload) -> list[Variant]:
    return [FULL, *w.variants]


@pytest.mark.parametrize(
    ("cap_jobs", "value", "expect"),
    [
        (2.05, 0.7, {"full": 2}),  # room for both: nothing throttled
        (1.6, 0.7, {"full": 1, "lite": 1}),  # lite (loses 0.3) beats dropping (loses 1)
        (1.6, 0.0, {"full": 1, None: 1}),  # a worthless variant: dropping is as good, cheaper
        (1.2, 0.7, {"lite": 2}),  # two lites lose 0.6 < 1 for a drop
        (1.2, 0.4, {"full": 1, None: 1}),  # two lites lose 1.2 > 1: drop one instead
    ],
)
def test_throttling_chosen_exactly_when_it_beats_dropping(
    cap_jobs: float, value: float, expect: dict[str | None, int]
) -> None:
    lite = Variant("lite", 0.6, value)
    ws = _jobs(2, lite)
    caps = _caps(cap_jobs * PUE_FRA)
    inst = make_instance(default_inventory(), default_signals(), ws, caps, site_caps=False)
    sel = select_variants(expand(inst, ws, default_signals()))
    got: dict[str | None, int] = {}
    for v in sel.chosen.values():
        key = v.name if v is not None else None
        got[key] = got.get(key, 0) + 1
    assert got == expect
    assert sel.value_lost == pytest.approx(_brute(ws, caps), abs=1e-9)


def test_plan_names_variants_and_value_lost() -> None:
    ws = _jobs(2, Variant("lite", 0.5, 0.8, duration_factor=1.0))
    caps = _caps(1.5 * PUE_FRA)
    plan, sel = throttled_plan(default_inventory(), default_signals(), ws, caps, None, None)
    assert plan.status in ("optimal", "feasible")
    assert sorted(p.variant or "" for p in plan.placements) == ["full", "lite"]
    assert sel.value_lost == pytest.approx(0.2)
    assert "value lost 0.2" in plan.message
    doc = sel.to_json()
    assert {w["variant"] for w in doc["workloads"]} == {"full", "lite"}


def test_region_reports_alpha_with_and_without_throttling() -> None:
    ws = _jobs(4, Variant("lite", 0.5, 0.5))
    rep = throttle_report(default_inventory(), default_signals(), ws, _caps(2 * PUE_FRA),
                          None, None)  # fmt: skip
    assert rep is not None
    # one slot, 2 kWh of room: 4 full jobs fit at α = 0.5, 4 half-power ones at α = 1
    assert rep["without"] == pytest.approx(0.5, rel=1e-6)
    assert rep["with"] == pytest.approx(1.0, rel=1e-6)


def test_variant_longer_than_window_is_left_out() -> None:
    ws = _jobs(1, Variant("slow", 0.5, 0.9, duration_factor=2.0))  # 2 h in a 1-slot window
    inst = make_instance(default_inventory(), default_signals(), ws, _caps(10.0), site_caps=False)
    ex = expand(inst, ws, default_signals())
    assert ex.skipped == ("j0:slow",)
    assert [v.name for v in ex.variant] == ["full"]
