"""The persistent LP of map cells: warm re-solves agree with cvxpy, the time limit is per run."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest

from optimizer.analysis.region_highs import PersistentLP


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
