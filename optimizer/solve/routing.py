"""Route a given placement exactly: the start of the LNS when channels are exact.

The placement stage places the workloads on a much smaller program without routes or
channels (``build(network=False)``: each transfer charged its cheapest route's energy,
and channel-set rows on those routes keep it from stacking more transfers on a fibre than
its channels carry). With exact channel variables the routing of a fixed placement is a
small MILP: only the options the placement uses are free (a workload may be dropped, at
the price of lost work, never moved), and only the routes and channels of their transfer
groups. It routes as many transfers as the channels allow, on the cheapest routes; what it
drops the LNS places again first (:func:`route_placement` then frees the dropped
workloads' classes, everything else held, and returns the classes still unserved as the
search's focus). A placement that ignores the network entirely (volumes set to 0, the
sequential baseline's) lost 0.9-1.0 % of the objective here on germany50, 8 channels
half lit: at sites whose power caps bind, a transfer moved to a longer route for want of a
channel has no energy to spare, so work is dropped and placed again elsewhere.
"""

from __future__ import annotations

import time

import numpy as np
import numpy.typing as npt

from optimizer.inputs.instance import Instance
from optimizer.model.formulation import Formulation
from optimizer.model.plan import Plan
from optimizer.solve.highs_model import SUB_OPTIONS, HighsModel

__all__ = ["route_placement"]

Vec = npt.NDArray[np.float64]


def route_placement(
    model: HighsModel,
    form: Formulation,
    inst: Instance,
    plan: Plan,
    time_limit: float,
    seed: int = 0,
) -> tuple[Vec, list[int]] | None:
    """A full column vector routing ``plan``'s placements, and the classes it dropped.

    ``None`` when HiGHS finds no solution in ``time_limit`` (the plan is then not a
    start). The vector meets every row of the model: it is a complete plan, with the
    dropped workloads priced as lost work.
    """
    xs = model.column(form.x)
    opt = {o: j for j, o in enumerate(form.options)}
    cls_of = {w: c for c, cls in enumerate(inst.classes) for w in cls.ids}
    sidx = inst.site_index()
    x = np.zeros(xs.stop - xs.start)
    for p in plan.placements:
        j = opt.get((cls_of[p.workload], sidx[p.site], p.slot))
        if j is None:
            return None
        x[j] += 1
    base = np.zeros(model.n_cols)
    base[xs] = x
    used = np.flatnonzero(x > 0.5)
    fixed = np.zeros(model.n_cols, dtype=bool)
    fixed[xs.start + np.flatnonzero(x < 0.5)] = True  # unused options stay unused
    _hold_routes(model, form, fixed, [form.group_of_option[j] for j in used])
    t0 = time.perf_counter()
    r = model.solve_sub(fixed, base, time_limit * 0.5, 1e-4, seed=seed, options=SUB_OPTIONS)
    if r.values is None or not model.feasible(r.values):
        return None
    cls = np.array([c for c, _d, _t in form.options], dtype=int)
    per_class = np.zeros(len(inst.classes))
    np.add.at(per_class, cls, x - np.rint(r.values[xs]))
    dropped = np.flatnonzero(per_class > 0.5)
    if dropped.size == 0:
        return r.values, []
    # the dropped workloads: every option of their classes, the rest of the plan held
    cur = r.values
    free = np.isin(cls, dropped)
    fixed = np.zeros(model.n_cols, dtype=bool)
    fixed[xs.start + np.flatnonzero(~free)] = True
    if form.lost is not None:
        lost = model.column(form.lost)
        fixed[lost.start + np.setdiff1d(np.arange(len(inst.classes)), dropped)] = True
    _hold_routes(model, form, fixed, [form.group_of_option[j] for j in np.flatnonzero(free)])
    left = max(time_limit - (time.perf_counter() - t0), 0.1)
    r2 = model.solve_sub(fixed, cur, left, 1e-3, max_nodes=500, seed=seed, options=SUB_OPTIONS)
    if r2.values is not None and model.feasible(r2.values):
        cur = r2.values
    per_class = np.zeros(len(inst.classes))
    if form.lost is not None:
        per_class = np.rint(cur[model.column(form.lost)])
    return cur, [int(c) for c in np.flatnonzero(per_class > 0.5)]


def _hold_routes(
    model: HighsModel, form: Formulation, fixed: npt.NDArray[np.bool_], groups: list[int]
) -> None:
    """Hold (in ``fixed``) the routes and channels of every transfer group not in ``groups``."""
    route_group = np.array([g for g, _r in form.route_cols], dtype=int)
    if not route_group.size:
        return
    free_groups = np.unique([g for g in groups if g >= 0])
    held = ~np.isin(route_group, free_groups)
    for var in (form.n, form.v):
        if var is not None:
            fixed[model.column(var).start + np.flatnonzero(held)] = True
    if form.y is not None:
        y_group = route_group[[k for k, _ in form.chan_cols]]
        ys = model.column(form.y)
        fixed[ys.start + np.flatnonzero(~np.isin(y_group, free_groups))] = True
