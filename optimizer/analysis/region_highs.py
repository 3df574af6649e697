"""A warm LP for map cells: one persistent HiGHS model, row bounds moved in place.

cvxpy compiles the scale program once (DPP). For every cell,
``Problem.get_problem_data`` only re-applies the Parameters (the caps) and
returns new right-hand sides; only what changed is written into the same
``highspy.Highs`` object: no recompile, no new model, and HiGHS re-solves from
the previous cell's simplex basis.

cvxpy hands every bound (``x >= 0``, ``x <= ub``, a site's power cap on its
energy variable) to HiGHS as a row of its own. Presolve turns those into column
bounds, but a warm re-solve skips presolve, so the dual simplex would carry
them all in its basis (on germany50 with 5 sites, 9,378 of 16,113 rows). The
model loaded here does that one reduction itself: every inequality row with a
single non-zero becomes a bound on its column (the tightest row wins), and its
dual is read back from the column's reduced cost. The other rows are passed as
they are. cvxpy's own inversion (``Problem.unpack_results``) then gives variable
values, the status and the constraint duals exactly as after ``Problem.solve``
(docs/region.md measures the effect). When the matrix itself changes (a
coefficient Parameter moved) the model is loaded again.

>>> import cvxpy as cp
>>> x, b = cp.Variable(2), cp.Parameter(nonneg=True, value=1.0)
>>> p = cp.Problem(cp.Maximize(x[0] + 2 * x[1]), [x >= 0, x[0] + x[1] <= b, x[1] <= 0.5])
>>> lp = PersistentLP(p)
>>> lp.solve(), round(float(p.value), 6), round(float(p.constraints[1].dual_value), 6)
('optimal', 1.5, 1.0)
>>> round(float(p.constraints[2].dual_value), 6)  # x[1] <= 0.5: a bound in HiGHS, a dual here
1.0
>>> b.value = 3.0
>>> lp.solve(), round(float(p.value), 6), lp.warm
('optimal', 3.5, True)
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import cvxpy as cp
import highspy
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from optimizer.solve.highs import quiet_banner

__all__ = ["Bounds", "PersistentLP", "single_threaded_highs", "singleton_bounds"]

_INF = highspy.kHighsInf
Arr = npt.NDArray[np.float64]
Idx = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Bounds:
    """Column bounds implied by singleton rows ``a·x_j ≤ b`` and which row gives each.

    ``upper_row[j]`` / ``lower_row[j]``: the singleton row (index into the full
    row list) that sets column j's upper / lower bound, −1 when the column's own
    bound (or none) does.
    """

    lower: Arr
    upper: Arr
    lower_row: Idx
    upper_row: Idx


def singleton_bounds(rows: Idx, cols: Idx, coef: Arr, b: Arr, lower: Arr, upper: Arr) -> Bounds:
    """Tightest bounds from the singleton rows ``coef[k]·x[cols[k]] ≤ b[rows[k]]``.

    ``lower``/``upper``: the columns' own bounds. A tie between a row and the
    column's own bound goes to the row (cvxpy reports no dual for the latter).

    >>> bd = singleton_bounds(np.array([0, 1, 2]), np.array([0, 0, 1]),
    ...                       np.array([2.0, -1.0, 1.0]), np.array([4.0, 0.0, 9.0]),
    ...                       np.full(2, -np.inf), np.array([np.inf, 5.0]))
    >>> bd.lower.tolist(), bd.upper.tolist(), bd.lower_row.tolist(), bd.upper_row.tolist()
    ([0.0, -inf], [2.0, 5.0], [1, -1], [0, -1])
    """
    val = b[rows] / coef + 0.0  # no -0.0
    up_k, lo_k = np.flatnonzero(coef > 0), np.flatnonzero(coef < 0)
    upper, lower = upper.copy(), lower.copy()
    upper_row = np.full(upper.size, -1, dtype=np.int64)
    lower_row = np.full(lower.size, -1, dtype=np.int64)
    # tightest first, so the last write per column is its binding row
    for ks, bound, which, sign in ((up_k, upper, upper_row, 1.0), (lo_k, lower, lower_row, -1.0)):
        ks = ks[np.argsort(-sign * val[ks], kind="stable")]
        np.minimum.at(bound, cols[ks], val[ks]) if sign > 0 else np.maximum.at(
            bound, cols[ks], val[ks]
        )
        hit = ks[val[ks] == bound[cols[ks]]]
        which[cols[hit]] = rows[hit]
    return Bounds(lower, upper, lower_row, upper_row)


def single_threaded_highs() -> bool:
    """Start this process's HiGHS thread scheduler with one thread; True if it now has one.

    HiGHS >= 1.16 keeps one thread scheduler per process, started by the first
    ``run`` with that run's ``threads`` option (0: half the cores, rounded up, plus
    the caller: two threads on a 2-core machine). A sweep worker that owns its
    process calls this before its first solve: one tiny LP run with ``threads=1``
    starts the scheduler with one thread, and every later instance, which sets
    no ``threads``, runs on it. Where the scheduler already runs (another solve came
    first) the tiny run is refused and nothing changes (False).
    """
    quiet_banner()
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = 1, 0
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = np.ones(1), np.zeros(1), np.ones(1)
    h.passModel(lp)
    return bool(h.run() == highspy.HighsStatus.kOk)


class _Solution:
    """What cvxpy's HiGHS inversion reads from a ``HighsSolution``: primal columns, row duals."""

    def __init__(self, col_value: Arr, row_dual: Arr) -> None:
        self.col_value = col_value
        self.row_dual = row_dual


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
        self.warm = False  # the last solve started from the previous run's basis
        self.solved = False

    def _data(self) -> tuple[dict[str, Any], Any, Any]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return self.problem.get_problem_data(cp.HIGHS)  # type: ignore[no-any-return]

    def _load(self, data: dict[str, Any]) -> None:
        A = data["A"].tocsc()
        b = np.asarray(data["b"], dtype=float)
        zero = int(data["dims"].zero)
        m, n = A.shape
        lo, up = data.get("lower_bounds"), data.get("upper_bounds")
        self.col_lo = np.full(n, -np.inf) if lo is None else np.asarray(lo, float)
        self.col_up = np.full(n, np.inf) if up is None else np.asarray(up, float)
        R = A.tocsr()
        nnz = np.diff(R.indptr)
        single = np.flatnonzero((nnz == 1) & (np.arange(m) >= zero))
        single = single[R.data[R.indptr[single]] != 0]
        self.s_rows = single
        self.s_cols = R.indices[R.indptr[single]].astype(np.int64)
        self.s_coef = R.data[R.indptr[single]].astype(float)
        keep = np.ones(m, dtype=bool)
        keep[single] = False
        self.keep = np.flatnonzero(keep)
        self.pos = np.full(m, -1, dtype=np.int64)  # full row -> row of the HiGHS model
        self.pos[self.keep] = np.arange(self.keep.size)
        K = R[self.keep].tocsc()
        bd = self._bounds(b)
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = int(n), int(self.keep.size)
        lp.col_cost_ = np.asarray(data["c"], dtype=float)
        lp.col_lower_ = np.maximum(bd.lower, -_INF)
        lp.col_upper_ = np.minimum(bd.upper, _INF)
        kb = b[self.keep]
        lp.row_lower_ = np.where(self.keep < zero, kb, -_INF)
        lp.row_upper_ = kb
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = K.indptr
        lp.a_matrix_.index_ = K.indices
        lp.a_matrix_.value_ = K.data
        quiet_banner()  # HiGHS 1.16 prints a banner on stdout at its first construction
        h = highspy.Highs()  # type: ignore[no-untyped-call]
        h.setOptionValue("output_flag", False)
        if self.threads is not None:
            # HiGHS >= 1.16 keeps one thread scheduler per process: an instance asking for
            # another count than the running scheduler's stops (kNotset), so by default none
            h.setOptionValue("threads", int(self.threads))
        h.passModel(lp)
        self.highs, self.A, self.zero, self.bounds = h, A, zero, bd
        self.solved = False  # no basis yet: the next run presolves and solves from scratch
        self.cost = np.asarray(data["c"], dtype=float)
        self.b = b

    def _bounds(self, b: Arr) -> Bounds:
        return singleton_bounds(self.s_rows, self.s_cols, self.s_coef, b, self.col_lo, self.col_up)

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

    def _update(self, data: dict[str, Any]) -> None:
        """Write the right-hand sides and costs that changed into the HiGHS model."""
        h = self.highs
        assert h is not None
        b = np.asarray(data["b"], dtype=float)
        changed = np.flatnonzero(b != self.b)  # usually only the swept cap's rows
        rows = self.pos[changed]
        rows = rows[rows >= 0]
        if rows.size:
            full = self.keep[rows]
            lo = np.where(full < self.zero, b[full], -_INF)
            h.changeRowsBounds(rows.size, rows.astype(np.int32), lo, b[full])  # type: ignore[attr-defined]
        if rows.size < changed.size:  # a singleton row moved: its column's bound
            bd = self._bounds(b)
            old = self.bounds
            cols = np.flatnonzero((bd.lower != old.lower) | (bd.upper != old.upper))
            if cols.size:
                h.changeColsBounds(
                    cols.size,
                    cols.astype(np.int32),
                    np.maximum(bd.lower[cols], -_INF),
                    np.minimum(bd.upper[cols], _INF),
                )
            self.bounds = bd
        self.b = b
        c = np.asarray(data["c"], dtype=float)
        if not np.array_equal(c, self.cost):
            h.changeColsCost(c.size, np.arange(c.size, dtype=np.int32), c)
            self.cost = c

    def _row_duals(self, row_dual: Arr, col_dual: Arr) -> Arr:
        """HiGHS's row duals of every cvxpy row: a singleton row takes its column's reduced
        cost (÷ its coefficient) when it is the bound the column sits at, else 0."""
        full = np.zeros(self.pos.size)
        full[self.keep] = row_dual
        bd = self.bounds
        at_up = (col_dual < 0) & (bd.upper_row >= 0)
        at_lo = (col_dual > 0) & (bd.lower_row >= 0)
        for mask, which in ((at_up, bd.upper_row), (at_lo, bd.lower_row)):
            j = np.flatnonzero(mask)
            r = which[j]
            full[r] = col_dual[j] / self.s_coef[np.searchsorted(self.s_rows, r)]
        return full

    def prepare(self) -> None:
        """Compile (cvxpy) and load the HiGHS model now, without solving: the one-off cost a
        sweep worker pays before its first cell (that cell still solves from scratch)."""
        data, _chain, _inv = self._checked_data()
        if self.highs is None or not self._same_matrix(data):
            self._load(data)

    def _checked_data(self) -> tuple[dict[str, Any], Any, Any]:
        data, chain, inv = self._data()
        if data.get("int_vars_idx") or data.get("bool_vars_idx"):
            raise ValueError("PersistentLP: expected an LP (no integer variables)")
        return data, chain, inv

    def solve(self) -> str:
        """Solve at the current Parameter values; the cvxpy status (values/duals unpacked)."""
        data, chain, inv = self._checked_data()
        if self.highs is None or not self._same_matrix(data):
            self._load(data)
        else:
            self._update(data)
        h = self.highs
        assert h is not None
        # HiGHS's time limit runs on the instance's cumulative clock: limit this run only
        h.setOptionValue("time_limit", float(h.getRunTime() + self.time_limit))
        if not self.keep_basis:
            h.clearSolver()  # presolve and solve from scratch
        self.warm = self.keep_basis and self.solved  # from the last run's basis
        h.run()
        self.solved = True
        sol = h.getSolution()
        col_dual = np.asarray(sol.col_dual, dtype=float)
        results: dict[str, Any] = {
            "solution": _Solution(
                np.asarray(sol.col_value, dtype=float),
                self._row_duals(np.asarray(sol.row_dual, dtype=float), col_dual),
            ),
            "info": h.getInfo(),
            "model_status": h.getModelStatus().name,
            "run_time": h.getRunTime(),
        }
        if results["model_status"] == "kInfeasible":
            st, has, ray = h.getDualRay()  # type: ignore[attr-defined]
            full = np.zeros(self.pos.size)
            full[self.keep] = np.asarray(ray, dtype=float)[: self.keep.size]
            results["dual_ray"] = (st, has, full)
        self.problem.unpack_results(results, chain, inv)
        return str(self.problem.status)
