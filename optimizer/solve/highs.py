"""HiGHS through cvxpy: MIP start, incumbent kept at a time limit, bound reported.

cvxpy's own HiGHS interface maps ``kTimeLimit`` to ``user_limit`` and drops
the incumbent; :class:`FsorHighs` keeps it (status ``optimal_inaccurate``)
when HiGHS has a feasible primal solution, so a time-limited MILP still
yields a plan, its gap and its dual bound (``HighsInfo.mip_dual_bound``).
``start`` (variable id -> values) is handed to HiGHS as a MIP start
(``Highs.setSolution``); HiGHS keeps it as the first incumbent when it is
feasible and ignores it otherwise.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
from typing import Any

import cvxpy.settings as s
import highspy
import numpy as np
from cvxpy.reductions.solvers.conic_solvers.highs_conif import HIGHS

__all__ = ["FsorHighs", "quiet_banner"]

_BANNER_LOCK = threading.Lock()
_banner_done = False


def quiet_banner() -> None:
    """Keep HiGHS's once-per-process start-up banner off stdout.

    HiGHS 1.16 prints ``Running HiGHS …`` and a licence line on the C-level
    stdout when the first ``Highs`` object of a process is constructed, before
    any option (``output_flag``) can be set. stdout is fsor's JSON contract, so
    the first construction happens here, once, with file descriptor 1 pointing
    at the null device (the banner is not a log line worth keeping: every fsor
    HiGHS instance runs with ``output_flag`` off); later constructions print
    nothing. Earlier HiGHS versions print
    nothing at construction, so this is a no-op for them. Called on import of
    :mod:`optimizer.solve.highs` (every HiGHS user in fsor imports it).
    """
    global _banner_done
    with _BANNER_LOCK:
        if _banner_done:
            return
        _banner_done = True
        sys.stdout.flush()
        try:
            saved = os.dup(1)
        except OSError:  # no stdout at all: nothing to protect
            highspy.Highs()  # type: ignore[no-untyped-call]
            return
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, 1)
            highspy.Highs()  # type: ignore[no-untyped-call]
            _flush_c_stdio()  # the banner sits in C's stdout buffer until flushed
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(null)


def _flush_c_stdio() -> None:
    """``fflush(NULL)``: push C stdio buffers to their file descriptors now."""
    try:
        libc = ctypes.CDLL(None)
        libc.fflush(None)
    except (OSError, AttributeError):  # no C library handle here: nothing buffered we can reach
        pass


quiet_banner()

_LIMITS = ("kTimeLimit", "kIterationLimit", "kSolutionLimit", "kObjectiveBound")


class FsorHighs(HIGHS):  # type: ignore[misc]
    """cvxpy's conic HiGHS interface that keeps the incumbent at a limit."""

    def __init__(self) -> None:
        super().__init__()
        self.start: dict[int, np.ndarray] | None = None

    def name(self) -> str:
        return "FSOR_HIGHS"

    def solve_via_data(
        self,
        data: dict[str, Any],
        warm_start: bool,
        verbose: bool,
        solver_opts: dict[str, Any],
        solver_cache: dict[str, Any] | None = None,
    ) -> Any:
        start, self.start = self.start, None
        if start:
            prog = data[s.PARAM_PROB]
            vec = np.zeros(int(prog.x.size))
            for var in prog.variables:
                if var.id in start:
                    col = prog.var_id_to_col[var.id]
                    vals = np.asarray(start[var.id], dtype=float).ravel(order="F")
                    vec[col : col + vals.size] = vals
            sol = highspy.HighsSolution()
            sol.col_value = list(vec)
            sol.value_valid = True
            solver_cache = {} if solver_cache is None else solver_cache
            solver_cache[self.name()] = (None, None, {"model_status": "kOptimal", "solution": sol})
            warm_start = True
        return super().solve_via_data(  # type: ignore[no-untyped-call]
            data, warm_start, verbose, solver_opts, solver_cache
        )

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
