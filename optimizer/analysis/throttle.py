"""Service throttling (EXIGENCE): run a reduced variant of a workload instead of dropping it.

A workload may list variants (:class:`optimizer.inputs.workload_types.Variant`: power × f,
duration × g, value v ∈ [0, 1]); the workload as written is the variant ``full``
(value 1) unless a variant of that name is listed. Dropping a workload loses
its whole value (1); running variant k loses 1 − v_k.

The throttle program expands every class of identical workloads into one
class per variant (same origin, sites, window and volume; the variant's
profile) and counts them per *group* (:func:`optimizer.model.formulation.build` with
``groups``): Σ_k placed_k + dropped = m per group. It minimises the value lost

    L = Σ_groups dropped + Σ_classes (1 − v_k) · placed_k

with every cap hard and placements integral, then, with L fixed at its
minimum, the usual objective (lexicographic: value first, burden second). So a
reduced variant is chosen exactly when it loses less value than the best
alternative (full service where it fits, dropping otherwise). The chosen
variants are then planned (routes, wavelengths, accounting) by the usual
:class:`optimizer.solve.program.Planner`; the plan's placements name their variant.
A variant whose longer duration leaves no start in its window is left out.

:func:`throttled_alpha` is α of :mod:`optimizer.analysis.region` when each workload may
run any of its variants (α "with throttling"; the plain α is "without").
"""

from __future__ import annotations

import math
import warnings
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import cvxpy as cp
import numpy as np
import scipy.sparse as sp
from cvxpy.atoms.affine.sum import sum as cp_sum

from optimizer.analysis.region import ScaleModel
from optimizer.inputs import classes_of, make_instance
from optimizer.inputs.caps import Caps, Scales, Weights
from optimizer.inputs.instance import Instance, JobClass
from optimizer.inputs.signal_series import Signals
from optimizer.inputs.workload_types import Variant, Workload
from optimizer.model.formulation import build
from optimizer.model.plan import Plan
from optimizer.solve.highs import FsorHighs
from topology.errors import InputError
from topology.model import Inventory

__all__ = [
    "Expanded",
    "Selection",
    "expand",
    "select_variants",
    "throttle_report",
    "throttled_alpha",
    "throttled_plan",
]

FULL = Variant("full", 1.0, 1.0, 1.0)


def variants_of(w: Workload) -> tuple[Variant, ...]:
    """``full`` first (unless listed), then the listed variants."""
    listed = tuple(w.variants)
    if any(v.name == "full" for v in listed):
        return listed
    return (FULL, *listed)


@dataclass(frozen=True, eq=False)
class Expanded:
    """The instance with one class per (group, variant): ``group[c]``, ``variant[c]``."""

    inst: Instance
    group: list[int]
    variant: list[Variant]
    group_ids: list[tuple[str, ...]]
    skipped: tuple[str, ...]


def expand(inst: Instance, workloads: Sequence[Workload], signals: Signals) -> Expanded:
    """One class per variant of every group of identical workloads (same variants too)."""
    site_ids = [s.id for s in inst.sites]
    by_variants: dict[tuple[Variant, ...], list[Workload]] = defaultdict(list)
    for w in workloads:
        by_variants[variants_of(w)].append(w)
    classes: list[JobClass] = []
    group: list[int] = []
    variant: list[Variant] = []
    group_ids: list[tuple[str, ...]] = []
    skipped: list[str] = []
    for vs, ws in by_variants.items():
        base = {w.id: w for w in ws}
        for cls in classes_of(ws, signals, site_ids):
            g = len(group_ids)
            group_ids.append(cls.ids)
            for v in vs:
                try:
                    (vc,) = classes_of([v.apply(base[i]) for i in cls.ids], signals, site_ids)
                except InputError:
                    skipped.append(f"{cls.ids[0]}:{v.name}")
                    continue
                classes.append(vc)
                group.append(g)
                variant.append(v)
    return Expanded(
        replace(inst, classes=tuple(classes)), group, variant, group_ids, tuple(skipped)
    )


@dataclass(frozen=True)
class Selection:
    """Per workload id: the variant chosen, or ``None`` when dropped; the value lost."""

    chosen: dict[str, Variant | None]
    value_lost: float
    status: str

    def planned(self, workloads: Sequence[Workload]) -> list[Workload]:
        """The workloads kept, each as its chosen variant."""
        out: list[Workload] = []
        for w in workloads:
            v = self.chosen.get(w.id)
            if v is not None:
                out.append(v.apply(w))
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "value_lost": self.value_lost,
            "workloads": [
                {
                    "workload": w,
                    "variant": v.name if v is not None else None,
                    "value_lost": 1.0 if v is None else 1.0 - v.value,
                }
                for w, v in self.chosen.items()
            ],
        }


def _solve(problem: cp.Problem, time_limit: float) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        try:
            problem.solve(  # type: ignore[no-untyped-call]
                solver=FsorHighs(), time_limit=time_limit, mip_rel_gap=1e-9
            )
        except cp.error.SolverError:
            return False
    return problem.status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE)


def select_variants(ex: Expanded, *, time_limit: float = 60.0) -> Selection:
    """The lexicographic throttle MILP (module docstring): which variant each workload runs."""
    form = build(ex.inst, integer=True, elastic="workload", class_groups=ex.group)
    nc = len(ex.inst.classes)
    rows = [o[0] for o in form.options]
    Cc = sp.csr_matrix((np.ones(len(rows)), (rows, range(len(rows)))), shape=(nc, form.x.shape[0]))
    placed = Cc @ form.x
    loss = np.array([1.0 - v.value for v in ex.variant])
    lost = cp_sum(form.slacks["workload"]) + loss @ placed
    cons = list(form.problem.constraints)
    first = cp.Problem(cp.Minimize(lost), cons)
    if not _solve(first, time_limit):
        return Selection({}, math.nan, "error")
    best = float(first.value)
    cost = form.params["cost"] @ form.energy
    second = cp.Problem(cp.Minimize(cost), [*cons, lost <= best + 1e-6 * max(1.0, abs(best))])
    status = "optimal"
    if not _solve(second, time_limit):
        _solve(first, time_limit)  # keep the value-optimal placement
        status = "value-optimal"
    counts = np.rint(np.asarray(placed.value, dtype=float)).astype(int)
    chosen: dict[str, Variant | None] = {}
    per_group: dict[int, list[int]] = defaultdict(list)
    for c, g in enumerate(ex.group):
        per_group[g].append(c)
    for g, ids in enumerate(ex.group_ids):
        k = 0
        for c in per_group[g]:
            for _ in range(int(counts[c])):
                if k < len(ids):
                    chosen[ids[k]] = ex.variant[c]
                    k += 1
        for wid in ids[k:]:
            chosen[wid] = None
    value_lost = sum(1.0 if v is None else 1.0 - v.value for v in chosen.values())
    return Selection(chosen, value_lost, status)


def throttled_alpha(ex: Expanded, *, time_limit: float = 60.0) -> float:
    """α when every workload may run any of its variants (LP relaxation)."""
    return ScaleModel(ex.inst, time_limit=time_limit, groups=ex.group).solve()


def throttled_plan(
    inventory: Inventory,
    signals: Signals,
    workloads: Sequence[Workload],
    caps: Caps | None,
    weights: Weights | None,
    scales: Scales | None,
    *,
    k: int = 3,
    time_limit: float = 60.0,
    mip_gap: float = 0.01,
    method: str = "auto",
) -> tuple[Plan, Selection]:
    """Choose variants (:func:`select_variants`), then plan the chosen ones as usual."""
    from optimizer.solve.program import Planner

    inst = make_instance(inventory, signals, workloads, caps, weights, scales, k=k)
    sel = select_variants(expand(inst, workloads, signals), time_limit=time_limit)
    kept = sel.planned(workloads)
    if not kept:
        msg = "throttling: every workload dropped (no variant fits the caps)"
        return Plan(status="infeasible", planner="joint", message=msg), sel
    sub = make_instance(inventory, signals, kept, caps, weights, scales, k=k)
    plan = Planner(sub).solve(time_limit=time_limit, mip_gap=mip_gap, method=method)
    names = {w: v.name for w, v in sel.chosen.items() if v is not None}
    placements = tuple(replace(p, variant=names.get(p.workload)) for p in plan.placements)
    dropped = [w for w, v in sel.chosen.items() if v is None]
    note = f"throttling: value lost {sel.value_lost:.6g}"
    if dropped:
        note += f"; dropped {', '.join(dropped[:10])}{' ...' if len(dropped) > 10 else ''}"
    msg = f"{plan.message}; {note}" if plan.message else note
    return replace(plan, placements=placements, message=msg), sel


def throttle_report(
    inventory: Inventory,
    signals: Signals,
    workloads: Sequence[Workload],
    caps: Caps | None,
    weights: Weights | None,
    scales: Scales | None,
    k: int = 3,
) -> dict[str, Any] | None:
    """α with and without throttling (None when no workload has variants)."""
    if not any(w.variants for w in workloads):
        return None
    inst = make_instance(inventory, signals, workloads, caps, weights, scales, k=k)
    ex = expand(inst, workloads, signals)
    without = ScaleModel(inst).solve()
    with_ = throttled_alpha(ex)

    def num(x: float) -> float | str | None:
        return x if math.isfinite(x) else ("inf" if x > 0 else None)

    return {"with": num(with_), "without": num(without), "skipped_variants": list(ex.skipped)}
