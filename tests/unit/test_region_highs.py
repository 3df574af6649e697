"""The persistent LP of map cells: warm re-solves agree with cvxpy, the time limit is per run."""

from __future__ import annotations

import subprocess
import sys

import cvxpy as cp
import numpy as np
import pytest

from optimizer.analysis.region_highs import PersistentLP, single_threaded_highs


def _lp() -> tuple[cp.Problem, cp.Parameter]:
    rng = np.random.default_rng(3)
    A = rng.uniform(0.1, 1.0, size=(30, 40))
    b = cp.Parameter(30, nonneg=True, value=np.full(30, 10.0))
    x = cp.Variable(40, nonneg=True)
    return cp.Problem(cp.Maximize(np.ones(40) @ x), [cp.Constant(A) @ x <= b]), b


def test_warm_resolves_match_a_fresh_cvxpy_solve() -> None:
    prob, b = _lp()
    lp = PersistentLP(prob)
    rng = np.random.default_rng(4)
    for _ in range(5):
        b.value = rng.uniform(1.0, 20.0, size=30)
        assert lp.solve() == "optimal"
        got, duals = float(prob.value), np.asarray(prob.constraints[0].dual_value)
        ref, rb = _lp()
        rb.value = b.value
        ref.solve(solver=cp.HIGHS)  # type: ignore[no-untyped-call]
        assert got == pytest.approx(float(ref.value), rel=1e-9)
        assert duals @ b.value == pytest.approx(got, rel=1e-7)  # strong duality
    assert lp.warm


def test_time_limit_applies_to_each_run_not_the_instance_lifetime() -> None:
    prob, b = _lp()
    lp = PersistentLP(prob, time_limit=0.05)
    highs_time = 0.0
    n = 0
    while highs_time < 0.2 or n < 3:  # far more than one time limit in total
        b.value = np.full(30, 5.0 + n % 7)
        assert lp.solve() == "optimal", n
        assert lp.highs is not None
        highs_time = lp.highs.getRunTime()
        n += 1


def test_solves_after_another_highs_user_started_the_scheduler() -> None:
    # HiGHS >= 1.16 has one thread scheduler per process: a model that asked for its own
    # thread count after a solve elsewhere in the process stopped at kNotset (α nan in
    # `fsor region` maps run inline after a plan). A MILP first, then the persistent LP.
    y = cp.Variable(3, integer=True)
    cp.Problem(cp.Minimize(np.ones(3) @ y), [y >= 1.5]).solve(solver=cp.HIGHS)  # type: ignore[no-untyped-call]
    prob, _b = _lp()
    assert PersistentLP(prob).solve() == "optimal" and np.isfinite(float(prob.value))


def _bounded_lp() -> tuple[cp.Problem, cp.Parameter, cp.Parameter, cp.Parameter]:
    """An LP whose bounds cvxpy hands to HiGHS as singleton rows: two on one column."""
    rng = np.random.default_rng(5)
    A = rng.uniform(0.1, 1.0, size=(8, 12))
    b = cp.Parameter(8, nonneg=True, value=np.full(8, 6.0))
    lo = cp.Parameter(12, value=np.zeros(12))
    up = cp.Parameter(12, value=np.full(12, 2.0))
    x = cp.Variable(12)
    cons = [
        cp.Constant(A) @ x <= b,
        x >= lo,  # a lower bound per column (coefficient -1)
        x <= up,
        2 * x[0] <= 3.0,  # a second upper bound on column 0 (coefficient 2)
    ]
    c = rng.uniform(0.5, 1.5, size=12)
    return cp.Problem(cp.Maximize(c @ x), cons), b, lo, up


def test_bound_rows_become_column_bounds_with_their_duals() -> None:
    prob, b, lo, up = _bounded_lp()
    lp = PersistentLP(prob)
    rng = np.random.default_rng(6)
    for k in range(6):
        b.value = rng.uniform(2.0, 9.0, size=8)
        lo.value = rng.uniform(-0.5, 0.2, size=12)
        up.value = rng.uniform(0.5, 2.5, size=12)
        up.value[0] = 1.0 if k % 2 else 2.0  # which of column 0's two bounds binds moves
        assert lp.solve() == "optimal"
        ref, rb, rlo, rup = _bounded_lp()
        rb.value, rlo.value, rup.value = b.value, lo.value, up.value
        ref.solve(solver=cp.HIGHS)  # type: ignore[no-untyped-call]
        assert float(prob.value) == pytest.approx(float(ref.value), rel=1e-9)
        for mine, theirs in zip(prob.constraints, ref.constraints, strict=True):
            got = np.asarray(mine.dual_value, dtype=float)
            assert got == pytest.approx(np.asarray(theirs.dual_value, dtype=float), abs=1e-8)
    assert lp.warm
    assert lp.highs is not None and lp.highs.getNumRow() == 8  # only A's rows are rows


def test_single_threaded_highs_in_a_fresh_process() -> None:
    # a fresh process: the tiny run starts HiGHS's one scheduler with one thread, and
    # later instances (no `threads` set) run on it; a count of 2 is then refused
    code = (
        "import cvxpy as cp, numpy as np, highspy\n"
        "from optimizer.analysis.region_highs import single_threaded_highs, PersistentLP\n"
        "print(single_threaded_highs())\n"
        "x = cp.Variable(2)\n"
        "p = cp.Problem(cp.Maximize(x[0] + x[1]), [x >= 0, x[0] + 2 * x[1] <= 1])\n"
        "print(PersistentLP(p).solve())\n"
        "h = highspy.Highs(); h.setOptionValue('output_flag', False)\n"
        "h.setOptionValue('threads', 2); h.addVars(1, np.zeros(1), np.ones(1))\n"
        "print(h.run() == highspy.HighsStatus.kOk)\n"
        "print(single_threaded_highs())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout.split()
    assert out[-4:] == ["True", "optimal", "False", "True"]


def test_single_threaded_highs_leaves_a_running_scheduler_alone() -> None:
    y = cp.Variable(2, integer=True)
    cp.Problem(cp.Minimize(np.ones(2) @ y), [y >= 0.5]).solve(solver=cp.HIGHS)  # type: ignore[no-untyped-call]
    prob, _b = _lp()
    if single_threaded_highs():  # only when this process's scheduler already had one thread
        pytest.skip("this process's HiGHS scheduler already runs one thread")
    assert PersistentLP(prob).solve() == "optimal"
