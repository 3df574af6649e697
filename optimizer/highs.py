"""HiGHS through cvxpy, keeping the incumbent at a time limit and reporting the bound.

cvxpy's own HiGHS interface maps ``kTimeLimit`` to ``user_limit`` and drops
the incumbent; :class:`FsorHighs` keeps it (status ``optimal_inaccurate``)
when HiGHS has a feasible primal solution, so a time-limited MILP still
yields a plan, its gap and its dual bound (``HighsInfo.mip_dual_bound``).
"""

from __future__ import annotations

from typing import Any

import cvxpy.settings as s
from cvxpy.reductions.solvers.conic_solvers.highs_conif import HIGHS

__all__ = ["FsorHighs"]

_LIMITS = ("kTimeLimit", "kIterationLimit", "kSolutionLimit", "kObjectiveBound")


class FsorHighs(HIGHS):  # type: ignore[misc]
    """cvxpy's conic HiGHS interface that keeps the incumbent at a limit."""

    def name(self) -> str:
        return "FSOR_HIGHS"

    def invert(self, results: dict[str, Any], inverse_data: Any) -> Any:
        info = results.get("info")
        if (
            results.get("model_status") in _LIMITS
            and info is not None
            and int(getattr(info, "primal_solution_status", 0)) == 2
        ):
            results = dict(results, model_status="kOptimal")
            sol = super().invert(results, inverse_data)  # type: ignore[no-untyped-call]
            sol.status = s.OPTIMAL_INACCURATE
            return sol
        return super().invert(results, inverse_data)  # type: ignore[no-untyped-call]
