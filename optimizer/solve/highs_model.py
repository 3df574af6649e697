"""The compiled joint program on one persistent HiGHS instance.

cvxpy compiles the problem once (DPP); :func:`load` asks it for the solver
data of the *current* parameter values (``Problem.get_problem_data``, which
after the first call only re-applies parameters) and hands them to a
``highspy.Highs`` object that is then re-solved many times with changed column
bounds — the fix-and-optimise neighbourhoods of :mod:`optimizer.solve.lns` — without
going through cvxpy again. Columns are addressed by cvxpy variable id
(:attr:`HighsModel.cols`).

The data are cvxpy's HiGHS format: ``min cᵀz`` subject to ``A z = b`` on the
first ``dims.zero`` rows and ``A z ≤ b`` on the rest, integrality by index.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Any

import cvxpy as cp
import highspy
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from optimizer.solve.highs import quiet_banner

__all__ = ["SCARCE_SUB_OPTIONS", "SUB_OPTIONS", "HighsModel", "MipResult", "load", "solve_arrays"]

Vec = npt.NDArray[np.float64]

_INF = highspy.kHighsInf
#: HiGHS options of the LNS's neighbourhood sub-MILPs (each has a feasible MIP start)
SUB_OPTIONS: dict[str, Any] = {
    # the start is given and the neighbourhood is small: HiGHS's primal heuristics and
    # symmetry detection cost more at the root than they find (CORONET 300 x 96, HiGHS 1.16:
    # 2-3 x faster sub-MILPs without them)
    "mip_heuristic_run_feasibility_jump": False,
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_root_reduced_cost": False,
    "mip_detect_symmetry": False,
    "mip_heuristic_effort": 0.0,
}
#: the sub-MILPs of scarce programs (exact channels, and their placement stage): their
#: knapsack-like neighbourhoods (power caps binding at 96-100 %) end at the node limit, and
#: RINS with a little effort finds their improvements earlier (germany50 300 x 8: 6 of 6
#: seeds proven within 1 % in 60 s, 4 of 5 without)
SCARCE_SUB_OPTIONS: dict[str, Any] = {
    **SUB_OPTIONS,
    "mip_heuristic_run_rins": True,
    "mip_heuristic_effort": 0.1,
}
#: HiGHS model statuses that carry a usable primal solution when one is valid
_LIMITS = {
    highspy.HighsModelStatus.kTimeLimit,
    highspy.HighsModelStatus.kIterationLimit,
    highspy.HighsModelStatus.kSolutionLimit,
    highspy.HighsModelStatus.kInterrupt,
}


@dataclass(frozen=True)
class MipResult:
    """One HiGHS run: ``status`` optimal | feasible | infeasible | error."""

    status: str
    objective: float | None
    bound: float | None
    values: Vec | None
    seconds: float
    limit: str = ""  # what stopped it short of optimal: "time", "nodes" or ""
    nodes: int = 0  # branch-and-bound nodes HiGHS explored
    iterations: int = 0  # simplex iterations (a measure of work that does not depend on load)
    #: an LP's duals when HiGHS has them: reduced costs per column, row duals
    col_dual: Vec | None = None
    row_dual: Vec | None = None


@dataclass(eq=False)
class HighsModel:
    """A HiGHS instance holding the program, plus how to read and fix its columns."""

    highs: highspy.Highs
    cols: dict[int, tuple[int, int]]  # cvxpy variable id -> (first column, size)
    lower: Vec  # the model's own column bounds (restored by :meth:`free_all`)
    upper: Vec
    integer: npt.NDArray[np.bool_]
    offset: float
    A: sp.csc_matrix | None = None  # the constraint matrix, cost and row bounds (sub-models)
    cost: Vec | None = None
    row_lower: Vec | None = None
    row_upper: Vec | None = None

    @property
    def n_cols(self) -> int:
        return int(self.lower.size)

    def column(self, var: cp.Variable) -> slice:
        """The columns of ``var``."""
        start, size = self.cols[var.id]
        return slice(start, start + size)

    def vector(self, values: dict[int, npt.NDArray[np.float64]]) -> Vec:
        """A full column vector from values per variable id (missing variables: 0)."""
        out = np.zeros(self.n_cols)
        for vid, (start, size) in self.cols.items():
            if vid in values:
                out[start : start + size] = np.asarray(values[vid], float).ravel(order="F")
        return out

    def objective(self, vec: Vec) -> float:
        """The program's objective at the full column vector ``vec``."""
        assert self.cost is not None
        return float(self.cost @ vec) + self.offset

    def fix(self, idx: npt.NDArray[np.intp], vals: Vec) -> None:
        """Fix columns ``idx`` at ``vals``; every other column gets its own bounds back."""
        lo, up = self.lower.copy(), self.upper.copy()
        lo[idx] = vals
        up[idx] = vals
        self.highs.changeColsBounds(self.n_cols, np.arange(self.n_cols, dtype=np.int32), lo, up)

    def clone(self) -> HighsModel:
        """An independent copy (own HiGHS instance) for a parallel worker."""
        h = _new()
        for key, val in self._options().items():
            h.setOptionValue(key, val)
        h.passModel(self.highs.getLp())
        return HighsModel(
            h,
            self.cols,
            self.lower,
            self.upper,
            self.integer.copy(),
            self.offset,
            self.A,
            self.cost,
            self.row_lower,
            self.row_upper,
        )

    def feasible(self, vec: Vec, tol: float = 1e-6) -> bool:
        """Whether ``vec`` meets every bound, row and integrality of the model."""
        assert self.A is not None and self.row_lower is not None and self.row_upper is not None
        if vec.shape != self.lower.shape or not np.all(np.isfinite(vec)):
            return False
        scale = 1.0 + np.abs(vec)
        if np.any(vec < self.lower - tol * scale) or np.any(vec > self.upper + tol * scale):
            return False
        if np.any(np.abs(vec[self.integer] - np.rint(vec[self.integer])) > 1e-6):
            return False
        act = self.A @ vec
        rs = tol * (1.0 + np.abs(act))
        return bool(np.all(act >= self.row_lower - rs) and np.all(act <= self.row_upper + rs))

    def update(self, problem: cp.Problem) -> None:
        """Take the problem's current parameter values (costs, row bounds, coefficients).

        Costs and row bounds change in place, so the LP's basis is kept (a warm
        re-solve); changed coefficients (signal-weighted caps) reload the model.
        """
        new = load(problem, **self._options())
        same = (
            self.A is not None
            and new.A is not None
            and new.A.shape == self.A.shape
            and np.array_equal(new.A.indices, self.A.indices)
            and np.array_equal(new.A.indptr, self.A.indptr)
            and np.array_equal(new.A.data, self.A.data)
            and np.array_equal(new.lower, self.lower)
            and np.array_equal(new.upper, self.upper)
        )
        if not same:
            # changed coefficients (signal-weighted caps): a new model, the LP basis kept
            # when the shape is the same, so the LP re-solve stays warm
            basis = self.highs.getBasis()
            shape_same = self.A is not None and new.A is not None and new.A.shape == self.A.shape
            self.__dict__.update(new.__dict__)
            if shape_same and basis.valid:
                self.highs.setBasis(basis)
            return
        assert new.cost is not None and new.row_lower is not None and new.row_upper is not None
        idx_c = np.arange(new.cost.size, dtype=np.int32)
        self.highs.changeColsCost(new.cost.size, idx_c, new.cost)
        idx_r = np.arange(new.row_upper.size, dtype=np.int32)
        self.highs.changeRowsBounds(  # type: ignore[attr-defined]
            new.row_upper.size, idx_r, new.row_lower, new.row_upper
        )
        self.cost, self.row_lower, self.row_upper = new.cost, new.row_lower, new.row_upper
        self.offset = new.offset

    def _options(self) -> dict[str, Any]:
        return {
            key: self.highs.getOptionValue(key)[1]
            for key in ("mip_heuristic_effort", "random_seed")
        }

    def solve_sub(
        self,
        fixed: npt.NDArray[np.bool_],
        base: Vec,
        time_limit: float,
        mip_gap: float = 1e-5,
        integer: npt.NDArray[np.bool_] | None = None,
        max_nodes: int | None = None,
        seed: int = 0,
        options: dict[str, Any] | None = None,
    ) -> MipResult:
        """Solve with the ``fixed`` columns held at ``base`` as a smaller model.

        The fixed columns are moved to the right-hand side and rows left without a
        free column are dropped, so HiGHS presolves a model of the neighbourhood's
        size, not the program's; ``base`` (feasible) is the MIP start. The result's
        ``values`` is a full column vector (``base`` outside the neighbourhood).
        ``integer`` overrides which columns are integral (default: the model's).
        ``max_nodes`` stops the branch and bound after that many nodes: unlike the time
        limit, the same inputs and ``seed`` (HiGHS ``random_seed``) then give the same
        result on a loaded machine. ``options``: further HiGHS options (e.g.
        :data:`SUB_OPTIONS`).
        """
        assert self.A is not None and self.cost is not None
        assert self.row_lower is not None and self.row_upper is not None
        t0 = time.perf_counter()
        keep = np.flatnonzero(~fixed)
        shift = self.A[:, np.flatnonzero(fixed)] @ base[fixed]
        sub = self.A[:, keep].tocsr()
        rows = np.flatnonzero(np.diff(sub.indptr) > 0)
        sub = sub[rows].tocsc()
        lo = self.row_lower[rows] - shift[rows]
        lp = _lp(
            self.cost[keep],
            self.lower[keep],
            self.upper[keep],
            np.where(np.isfinite(self.row_lower[rows]), lo, -_INF),
            self.row_upper[rows] - shift[rows],
            sub,
            (self.integer if integer is None else integer)[keep],
        )
        h = _new()  # no per-instance `threads`: HiGHS >= 1.16 has one scheduler per process
        h.setOptionValue("time_limit", max(float(time_limit), 0.01))
        h.setOptionValue("mip_rel_gap", float(mip_gap))
        h.setOptionValue("random_seed", int(seed))
        for key, val in (options or {}).items():
            h.setOptionValue(key, val)
        if max_nodes is not None:
            h.setOptionValue("mip_max_nodes", int(max_nodes))
        h.passModel(lp)
        status, has_x = _run(h, base[keep])
        secs = time.perf_counter() - t0
        limit = "time" if status == highspy.HighsModelStatus.kTimeLimit else ""
        if status in _LIMITS and not limit:
            limit = "nodes"
        nodes = int(h.getInfo().mip_node_count)
        iters = int(h.getInfo().simplex_iteration_count)
        if not (status == highspy.HighsModelStatus.kOptimal or status in _LIMITS) or not has_x:
            return MipResult("error", None, None, None, secs, limit, nodes, iters)
        full = base.copy()
        full[keep] = np.asarray(h.getSolution().col_value, dtype=float)
        obj = float(self.cost @ full) + self.offset
        exact = status == highspy.HighsModelStatus.kOptimal
        return MipResult(
            "optimal" if exact else "feasible", obj, None, full, secs, limit, nodes, iters
        )

    def solve_without(self, cols: slice, time_limit: float) -> MipResult:
        """The LP relaxation with columns ``cols`` and every row they appear in left out.

        Used for the bound of a program with exact channels: without the channel
        columns and their rows it is the aggregated program, a relaxation of it (its LP
        bound is valid, a little weaker, and several times faster to solve). The model's
        bounds are restored afterwards; the returned values have ``cols`` at 0.
        """
        assert self.A is not None and self.row_lower is not None and self.row_upper is not None
        idx = np.arange(cols.start, cols.stop)
        rows = np.unique(self.A[:, idx].tocoo().row).astype(np.int32)
        h = self.highs
        inf = np.full(rows.size, _INF)
        h.changeRowsBounds(rows.size, rows, -inf, inf)  # type: ignore[attr-defined]
        self.fix(idx, np.zeros(idx.size))
        try:
            return self.solve(time_limit, relaxation=True)
        finally:
            h.changeRowsBounds(  # type: ignore[attr-defined]
                rows.size, rows, self.row_lower[rows], self.row_upper[rows]
            )
            self.free_all()

    def relax(self, cols: slice) -> None:
        """Make columns ``cols`` continuous for good (the model's own integrality changes)."""
        idx = np.arange(cols.start, cols.stop)
        self.set_integer(idx, False)
        self.integer[idx] = False

    def set_integer(self, idx: npt.NDArray[np.intp], integer: bool) -> None:
        """Make columns ``idx`` integral (as the model has them) or continuous."""
        idx = idx[self.integer[idx]]
        if idx.size:
            kind = highspy.HighsVarType.kInteger if integer else highspy.HighsVarType.kContinuous
            kinds = np.full(idx.size, int(kind), dtype=np.uint8)
            self.highs.changeColsIntegrality(idx.size, idx.astype(np.int32), kinds)

    def free_all(self) -> None:
        """Every column back to its own bounds."""
        self.fix(np.zeros(0, dtype=np.intp), np.zeros(0))

    def solve(
        self,
        time_limit: float,
        mip_gap: float = 1e-4,
        start: Vec | None = None,
        relaxation: bool = False,
    ) -> MipResult:
        """Run HiGHS (the MILP, or its LP relaxation) under ``time_limit`` seconds."""
        h = self.highs
        t0 = time.perf_counter()
        if not relaxation:
            h.clearSolver()  # an LP keeps its basis: a re-solve after a change is warm
        h.setOptionValue("time_limit", max(float(time_limit), 0.01))
        h.setOptionValue("mip_rel_gap", float(mip_gap))
        h.setOptionValue("solve_relaxation", bool(relaxation))
        status, has_x = _run(h, None if relaxation else start)
        if relaxation and status == highspy.HighsModelStatus.kOptimal and not has_x:
            # HiGHS 1.16 may report an LP optimal from its kept basis without a primal
            # solution (seen after row bounds were changed and changed back): solve afresh
            h.clearSolver()
            status, has_x = _run(h, None)
        secs = time.perf_counter() - t0
        info = h.getInfo()
        ok = status == highspy.HighsModelStatus.kOptimal or (status in _LIMITS and has_x)
        if status == highspy.HighsModelStatus.kInfeasible:
            return MipResult("infeasible", None, None, None, secs)
        if not ok or not has_x:
            return MipResult("error", None, None, None, secs)
        values = np.asarray(h.getSolution().col_value, dtype=float)
        obj = float(info.objective_function_value) + self.offset
        if relaxation or not self.integer.any():
            bound: float | None = obj
        else:
            bound = float(info.mip_dual_bound) + self.offset
        exact = status == highspy.HighsModelStatus.kOptimal
        cd = rd = None
        if relaxation and int(info.dual_solution_status) == 2:
            sol = h.getSolution()
            cd = np.asarray(sol.col_dual, dtype=float)
            rd = np.asarray(sol.row_dual, dtype=float)
        return MipResult(
            "optimal" if exact else "feasible", obj, bound, values, secs, col_dual=cd, row_dual=rd
        )


def _lp(
    cost: Vec,
    lower: Vec,
    upper: Vec,
    row_lower: Vec,
    row_upper: Vec,
    A: sp.csc_matrix,
    integer: npt.NDArray[np.bool_],
) -> highspy.HighsLp:
    """A HiGHS model (columnwise matrix) from arrays."""
    lp = highspy.HighsLp()
    lp.num_col_ = int(cost.size)
    lp.num_row_ = int(A.shape[0])
    lp.col_cost_ = cost
    lp.col_lower_ = lower
    lp.col_upper_ = upper
    lp.row_lower_ = row_lower
    lp.row_upper_ = row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr
    lp.a_matrix_.index_ = A.indices
    lp.a_matrix_.value_ = A.data
    if integer.any():
        kinds = (highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger)
        lp.integrality_ = [kinds[int(i)] for i in integer]
    return lp


def _run(h: highspy.Highs, start: Vec | None) -> tuple[highspy.HighsModelStatus, bool]:
    """Run ``h`` (with ``start`` as its MIP start if given): model status, primal values?"""
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = list(start)
        sol.value_valid = True
        h.setSolution(sol)
    h.run()
    return h.getModelStatus(), int(h.getInfo().primal_solution_status) == 2


def _new() -> highspy.Highs:
    quiet_banner()
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    return h


def load(problem: cp.Problem, **options: Any) -> HighsModel:
    """The problem with its current parameter values as a persistent HiGHS model.

    >>> x = cp.Variable(2, integer=True)
    >>> m = load(cp.Problem(cp.Minimize(-x[0] - 2 * x[1]), [x >= 0, x[0] + x[1] <= 1.5]))
    >>> r = m.solve(10.0)
    >>> r.status, r.objective, r.values[m.column(x)].round().tolist()
    ('optimal', -2.0, [0.0, 1.0])
    >>> round(m.solve(10.0, relaxation=True).objective, 6)
    -3.0
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        data, _chain, _inv = problem.get_problem_data(cp.HIGHS)
    prog = data["param_prob"]
    zero = int(data["dims"].zero)
    A = data["A"].tocsc()
    b = np.asarray(data["b"], dtype=float)
    c = np.asarray(data["c"], dtype=float)
    n = A.shape[1]
    row_lo = np.concatenate([b[:zero], np.full(b.size - zero, -_INF)])
    lo = data.get("lower_bounds")
    up = data.get("upper_bounds")
    lower = np.full(n, -_INF) if lo is None else np.asarray(lo, float).copy()
    upper = np.full(n, _INF) if up is None else np.asarray(up, float).copy()
    integer = np.zeros(n, dtype=bool)
    for idx in list(data["int_vars_idx"]) + list(data["bool_vars_idx"]):
        integer[idx] = True
    for idx in data["bool_vars_idx"]:
        lower[idx] = max(lower[idx], 0.0)
        upper[idx] = min(upper[idx], 1.0)
    lp = _lp(c, lower, upper, row_lo, b, A, integer)
    h = _new()
    for key, val in options.items():
        h.setOptionValue(key, val)
    h.passModel(lp)
    cols = {
        int(vid): (int(start), int(np.prod(var.shape)) if var.shape else 1)
        for var in prog.variables
        for vid, start in [(var.id, prog.var_id_to_col[var.id])]
    }
    offset = float(np.asarray(prog.apply_parameters()[1]))
    return HighsModel(h, cols, lower, upper, integer, offset, A, c, row_lo, b)


def solve_arrays(
    cost: Vec,
    upper: Vec,
    A: sp.csc_matrix,
    row_upper: Vec,
    time_limit: float,
    start: Vec | None = None,
    seed: int = 0,
) -> Vec | None:
    """Minimise ``cost @ x`` over integral ``0 <= x <= upper``, ``A @ x <= row_upper``.

    The values of the best solution found (the MIP ``start``, if feasible, at worst), or
    ``None``. Seeded (``random_seed``); the time limit is a safety net.

    >>> x = solve_arrays(np.array([-1.0, -1.0]), np.ones(2),
    ...                  sp.csc_matrix(np.array([[1.0, 1.0]])), np.array([1.0]), 5.0)
    >>> float(x.sum())
    1.0
    """
    h = _new()
    h.setOptionValue("time_limit", max(float(time_limit), 0.01))
    h.setOptionValue("random_seed", int(seed))
    n = int(cost.size)
    lp = _lp(
        np.asarray(cost, float),
        np.zeros(n),
        np.asarray(upper, float),
        np.full(A.shape[0], -_INF),
        np.asarray(row_upper, float),
        A,
        np.ones(n, dtype=bool),
    )
    h.passModel(lp)
    status, has_x = _run(h, start)
    if not has_x or not (status == highspy.HighsModelStatus.kOptimal or status in _LIMITS):
        return None
    return np.asarray(h.getSolution().col_value, dtype=float)
