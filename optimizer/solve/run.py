"""One HiGHS run of a compiled program through cvxpy, read into a :class:`Raw` result.

Shared by the Planner (:mod:`optimizer.solve.program`) and relax-and-fix
(:mod:`optimizer.solve.relax_fix`); below both, so neither imports the other.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Any

import cvxpy as cp
import numpy as np

from optimizer.model.formulation import Formulation
from optimizer.solve.highs import FsorHighs

__all__ = ["HIGHS_OPTIONS", "Raw", "solve_form"]

_SOLVER = FsorHighs()
#: extra HiGHS options for every solve (tuning hook used by bench/plan.py)
HIGHS_OPTIONS: dict[str, object] = {}


@dataclass(frozen=True)
class Raw:
    """What one HiGHS run of a compiled program gave: status, x (and n), gap, bound, times."""

    status: str
    x: np.ndarray
    n: np.ndarray | None
    gap: float | None
    bound: float | None
    compile_s: float
    solve_s: float
    message: str
    values: np.ndarray | None = None  # the LNS's full column vector of this plan
    y: np.ndarray | None = None  # exact channels (``Formulation.y``), when the program has them


def solve_form(
    form: Formulation,
    time_limit: float,
    mip_gap: float,
    threads: int | None,
    start: dict[int, np.ndarray] | None = None,
    seed: int = 0,
) -> Raw:
    """Solve ``form`` once with HiGHS (``start``: a MIP start, variable id -> values)."""
    t0 = time.perf_counter()
    _SOLVER.start = start
    opts: dict[str, object] = {"time_limit": float(time_limit)}
    if threads is not None:
        # HiGHS keeps one global thread scheduler: reset it so this count takes effect
        import highspy

        highspy.Highs.resetGlobalScheduler(True)
        opts["threads"] = threads
    opts["random_seed"] = seed
    opts.update(HIGHS_OPTIONS)
    if form.integer:
        opts["mip_rel_gap"] = float(mip_gap)
    try:
        with warnings.catch_warnings():
            # cvxpy warns on optimal_inaccurate, which is how a time-limited incumbent returns
            warnings.simplefilter("ignore", UserWarning)
            form.problem.solve(solver=_SOLVER, **opts)  # type: ignore[no-untyped-call]
    except cp.error.SolverError as exc:
        wall = time.perf_counter() - t0
        return Raw("error", np.zeros(0), None, None, None, 0.0, wall, f"solver: {exc}")
    wall = time.perf_counter() - t0
    stats = form.problem.solver_stats
    solve_s = float(stats.solve_time or 0.0)
    compile_s = float(getattr(form.problem, "compilation_time", None) or max(wall - solve_s, 0.0))
    st = form.problem.status
    info: Any = stats.extra_stats
    gap = bound = None
    if form.integer and info is not None:
        gap = float(info.mip_gap)
        bound = float(info.mip_dual_bound)
    if st in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
        x = np.rint(np.asarray(form.x.value, dtype=float)).astype(int)
        n = None
        if form.n is not None:
            n = np.asarray(form.n.value, dtype=float)
        y = None if form.y is None else np.asarray(form.y.value, dtype=float)
        if not form.integer:
            bound = float(form.problem.value)
            gap = 0.0
            x = np.asarray(form.x.value, dtype=float)
        status = (
            "optimal" if st == cp.OPTIMAL and (gap is None or gap <= mip_gap + 1e-9) else "feasible"
        )
        return Raw(status, x, n, gap, bound, compile_s, solve_s, "", y=y)
    if st in (cp.INFEASIBLE, cp.settings.INFEASIBLE_OR_UNBOUNDED):
        return Raw("infeasible", np.zeros(0), None, None, None, compile_s, solve_s, "")
    msg = f"no plan: solver status {st}" + (
        " (time limit, no incumbent)" if st == "user_limit" else ""
    )
    return Raw("error", np.zeros(0), None, gap, bound, compile_s, solve_s, msg)
