"""A warm LP for map cells: one persistent HiGHS model, row bounds moved in place.

cvxpy compiles the scale program once (DPP). For every cell,
``Problem.get_problem_data`` only re-applies the Parameters (the caps) and
returns new right-hand sides; only the rows that changed are written into the
same ``highspy.Highs`` object (``changeRowBounds``): no recompile, no new model,
and HiGHS re-solves from the previous cell's simplex basis. On germany50 with 5
sites that took 0.18 CPU s per cell against 0.37 s when presolving each cell
from scratch (``keep_basis=False``: 13,400 vs 59,375 simplex iterations over
40 cells; docs/region.md).
The answer goes back through cvxpy's own inversion (``Problem.unpack_results``):
variable values, the status and the constraint duals read exactly as after
``Problem.solve``. When the matrix
itself changes (a coefficient Parameter moved) the model is loaded again.

>>> import cvxpy as cp
>>> x, b = cp.Variable(2), cp.Parameter(nonneg=True, value=1.0)
>>> p = cp.Problem(cp.Maximize(x[0] + 2 * x[1]), [x >= 0, x[0] + x[1] <= b, x[1] <= 0.5])
>>> lp = PersistentLP(p)
>>> lp.solve(), round(float(p.value), 6), round(float(p.constraints[1].dual_value), 6)
('optimal', 1.5, 1.0)
>>> b.value = 3.0
>>> lp.solve(), round(float(p.value), 6), lp.warm
('optimal', 3.5, True)
"""

from __future__ import annotations

import warnings
from typing import Any

import cvxpy as cp
import highspy
import numpy as np
import scipy.sparse as sp

from optimizer.solve.highs import quiet_banner

__all__ = ["PersistentLP"]

_INF = highspy.kHighsInf


class PersistentLP:
    """``problem`` (an LP) on one HiGHS instance; :meth:`solve` after Parameter changes."""

    def __init__(
        self,
        problem: cp.Problem,
        *,
        threads: int | None = None,
        time_limit: float = 60.0,
        keep_basis: bool = True,
    ) -> None:
        self.problem = problem
        self.keep_basis = keep_basis
        self.threads = threads
        self.time_limit = time_limit
        self.highs: highspy.Highs | None = None
        self.A: sp.csc_matrix | None = None
        self.warm = False

    def _data(self) -> tuple[dict[str, Any], Any, Any]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return self.problem.get_problem_data(cp.HIGHS)  # type: ignore[no-any-return]

    def _load(self, data: dict[str, Any]) -> None:
        A = data["A"].tocsc()
        b = np.asarray(data["b"], dtype=float)
        zero = int(data["dims"].zero)
        n = A.shape[1]
        lo, up = data.get("lower_bounds"), data.get("upper_bounds")
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = int(n), int(A.shape[0])
        lp.col_cost_ = np.asarray(data["c"], dtype=float)
        lp.col_lower_ = np.full(n, -_INF) if lo is None else np.asarray(lo, float)
        lp.col_upper_ = np.full(n, _INF) if up is None else np.asarray(up, float)
        lp.row_lower_ = np.concatenate([b[:zero], np.full(b.size - zero, -_INF)])
        lp.row_upper_ = b
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = A.indptr
        lp.a_matrix_.index_ = A.indices
        lp.a_matrix_.value_ = A.data
        quiet_banner()  # HiGHS 1.16 prints a banner on stdout at its first construction
        h = highspy.Highs()  # type: ignore[no-untyped-call]
        h.setOptionValue("output_flag", False)
        if self.threads is not None:
            # HiGHS >= 1.16 keeps one thread scheduler per process: an instance asking for
            # another count than the running scheduler's stops (kNotset), so by default none
            h.setOptionValue("threads", int(self.threads))
        h.passModel(lp)
        self.highs, self.A, self.zero = h, A, zero
        self.cost = np.asarray(data["c"], dtype=float)
        self.b = b

    def _same_matrix(self, data: dict[str, Any]) -> bool:
        A = data["A"].tocsc()
        old = self.A
        return (
            old is not None
            and A.shape == old.shape
            and np.array_equal(A.indptr, old.indptr)
            and np.array_equal(A.indices, old.indices)
            and np.array_equal(A.data, old.data)
            and int(data["dims"].zero) == self.zero
        )

    def solve(self) -> str:
        """Solve at the current Parameter values; the cvxpy status (values/duals unpacked)."""
        data, chain, inv = self._data()
        if data.get("int_vars_idx") or data.get("bool_vars_idx"):
            raise ValueError("PersistentLP: expected an LP (no integer variables)")
        if self.highs is None or not self._same_matrix(data):
            self._load(data)
            self.warm = False
        else:
            assert self.highs is not None
            b = np.asarray(data["b"], dtype=float)
            for r in np.flatnonzero(b != self.b):  # usually only the swept cap's rows
                lo = b[r] if r < self.zero else -_INF
                self.highs.changeRowBounds(int(r), float(lo), float(b[r]))
            self.b = b
            c = np.asarray(data["c"], dtype=float)
            if not np.array_equal(c, self.cost):
                self.highs.changeColsCost(c.size, np.arange(c.size, dtype=np.int32), c)
                self.cost = c
            self.warm = True
        h = self.highs
        assert h is not None
        # HiGHS's time limit runs on the instance's cumulative clock: limit this run only
        h.setOptionValue("time_limit", float(h.getRunTime() + self.time_limit))
        if not self.keep_basis:
            h.clearSolver()  # presolve and solve from scratch
        h.run()
        results: dict[str, Any] = {
            "solution": h.getSolution(),
            "basis": h.getBasis(),
            "info": h.getInfo(),
            "model_status": h.getModelStatus().name,
            "run_time": h.getRunTime(),
        }
        if results["model_status"] == "kInfeasible":
            results["dual_ray"] = h.getDualRay()  # type: ignore[attr-defined]
        self.problem.unpack_results(results, chain, inv)
        return str(self.problem.status)
