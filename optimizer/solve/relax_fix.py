"""LP-based relax-and-fix primal heuristic: a feasible joint plan to warm-start the MILP.

Solve the LP relaxation of the compiled joint program, fix every placement
count ``x_j`` whose LP value is a positive integer (for single-workload
classes: the whole class), and solve the remaining MILP (the other classes
keep every option). Fixing every integral count (zeros too) was tried first:
on CORONET 300 x 96 that MILP is infeasible (the LP packs fractional
workloads against the power caps), and so is fixing only the zeros. The
result is read like any MILP solution (wavelength assignment, accounting)
and must pass the planner's own completeness and feasibility check before it is used as a MIP start.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Protocol

import cvxpy as cp
import numpy as np

from optimizer.inputs.instance import Instance
from optimizer.model.formulation import Formulation, build, set_parameters
from optimizer.model.plan import Lightpath, Placement, Plan, Unassigned
from optimizer.solve.run import Raw, solve_form

__all__ = ["PlannerParts", "fixings", "relax_fix"]


class PlannerParts(Protocol):
    """What relax-and-fix uses of the planner it works for (the Planner has all of it)."""

    form: Formulation
    _lp: Formulation | None
    threads: int | None
    network: bool
    route_of: Mapping[tuple[str, int, int], int] | None

    def _placements(self, inst: Instance, raw: Raw) -> tuple[Placement, ...]: ...

    def _assign(
        self, inst: Instance, raw: Raw
    ) -> tuple[list[Lightpath], list[Unassigned], dict[tuple[str, int], int]]: ...

    def _energy(self, inst: Instance, raw: Raw, lightpaths: list[Lightpath]) -> np.ndarray: ...


def fixings(
    x_lp: np.ndarray, tol: float = 1e-6, with_zeros: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Indices and values of the integral LP placement counts to fix (zeros only if asked).

    >>> idx, val = fixings(np.array([0.0, 2.0, 0.5, 1e-9, 1.0]))
    >>> idx.tolist(), val.tolist()
    ([1, 4], [2.0, 1.0])
    >>> fixings(np.array([0.0, 2.0, 0.5]), with_zeros=True)[0].tolist()
    [0, 1]
    """
    r = np.rint(x_lp)
    ok = np.abs(x_lp - r) <= tol
    if not with_zeros:
        ok &= r > 0
    idx = np.flatnonzero(ok)
    return idx, r[idx]


def relax_fix(
    planner: PlannerParts, inst: Instance, time_limit: float = 60.0, mip_gap: float = 0.01
) -> Plan | None:
    """A complete feasible plan from relax-and-fix, or ``None`` (no LP, infeasible, blocked).

    ``time_limit`` bounds the LP plus the fixed MILP together (roughly).
    """
    from optimizer.model.accounting import account, lost_work
    from optimizer.solve.unserved import unserved_ids

    t0 = time.perf_counter()
    form = planner.form
    if planner._lp is None:
        planner._lp = build(inst, integer=False, network=planner.network, route_of=planner.route_of)
    else:
        set_parameters(planner._lp, inst)
    lp = solve_form(planner._lp, time_limit, 0.0, planner.threads)
    if lp.status not in ("optimal", "feasible") or lp.x.size != form.x.shape[0]:
        return None
    left = time_limit - (time.perf_counter() - t0)
    if left <= 1.0:
        return None
    idx, val = fixings(lp.x)
    cons = list(form.problem.constraints)
    if idx.size:
        cons.append(form.x[idx] == val)
    sub = replace(form, problem=cp.Problem(form.problem.objective, cons))
    raw = solve_form(sub, left, mip_gap, planner.threads)
    if raw.status not in ("optimal", "feasible"):
        return None
    lightpaths, blocked, _ = planner._assign(inst, raw)
    if blocked:
        return None
    energy = planner._energy(inst, raw, lightpaths)
    objective, burdens, caps = account(inst, energy)
    placements = planner._placements(inst, raw)
    unserved = unserved_ids(inst, placements)
    objective += lost_work(inst, unserved)
    return Plan(
        status="feasible",
        objective=objective,
        placements=placements,
        unserved=unserved,
        served=len(placements),
        lost_work=lost_work(inst, unserved),
        lightpaths=tuple(lightpaths),
        burdens=burdens,
        caps=caps,
        filled=inst.filled,
        planner="relax-fix",
        message=f"relax-and-fix ({idx.size} of {lp.x.size} placement counts fixed)",
    )
