"""The persistent HiGHS model: load, fix, sub-models, feasibility, in-place updates."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest

from optimizer.solve.highs_model import load


def knapsack() -> tuple[cp.Problem, cp.Variable, cp.Variable, cp.Parameter]:
    """Pick items (binary) under two capacities, a continuous slack that costs."""
    x = cp.Variable(6, integer=True, name="x")
    s = cp.Variable(2, nonneg=True, name="s")
    price = cp.Parameter(6, name="price")
    price.value = -np.array([5.0, 4.0, 3.0, 7.0, 2.0, 6.0])
    w = np.array([[2.0, 3.0, 1.0, 4.0, 1.0, 3.0], [1.0, 1.0, 2.0, 3.0, 2.0, 1.0]])
    cons = [x >= 0, x <= 1, w @ x <= np.array([6.0, 4.0]) + s, s <= 1.0]
    return cp.Problem(cp.Minimize(price @ x + 3 * (np.ones(2) @ s)), cons), x, s, price


def test_full_solve_matches_cvxpy_and_relaxation_is_a_bound() -> None:
    prob, x, _s, _p = knapsack()
    m = load(prob)
    r = m.solve(10.0, 0.0)
    ref = prob.solve(solver=cp.HIGHS)  # type: ignore[no-untyped-call]
    assert r.status == "optimal" and r.objective == pytest.approx(ref, abs=1e-6)
    assert r.values is not None and m.feasible(r.values)
    lp = m.solve(10.0, relaxation=True)
    assert lp.objective is not None and r.objective is not None
    assert lp.objective <= r.objective + 1e-9
    assert np.allclose(r.values[m.column(x)], np.rint(r.values[m.column(x)]))


def test_sub_model_equals_fixing_bounds_on_the_full_model() -> None:
    prob, x, _s, _p = knapsack()
    m = load(prob)
    base = m.solve(10.0, 0.0)
    assert base.values is not None
    xs = m.column(x)
    # hold items 0 and 3 out (a feasible base: all zero placements, zero slack)
    start = np.zeros(m.n_cols)
    assert m.feasible(start)
    fixed = np.zeros(m.n_cols, dtype=bool)
    fixed[[xs.start + 0, xs.start + 3]] = True
    sub = m.solve_sub(fixed, start, 10.0, 0.0)
    m.fix(np.array([xs.start, xs.start + 3]), np.zeros(2))
    full = m.solve(10.0, 0.0)
    m.free_all()
    assert sub.values is not None and full.objective is not None
    assert sub.objective == pytest.approx(full.objective, abs=1e-6)
    assert sub.values[xs.start] == 0 and sub.values[xs.start + 3] == 0
    assert m.feasible(sub.values)
    # freeing everything again gives back the unrestricted optimum (never worse than held)
    assert m.solve(10.0, 0.0).objective == pytest.approx(base.objective, abs=1e-6)
    assert base.objective is not None and base.objective <= full.objective + 1e-9


def test_feasible_rejects_broken_rows_bounds_and_fractions() -> None:
    prob, x, s, _p = knapsack()
    m = load(prob)
    r = m.solve(10.0, 0.0)
    assert r.values is not None
    v = r.values.copy()
    v[m.column(x)] = 1.0  # every item: both capacities overrun beyond the slack
    assert not m.feasible(v)
    v = r.values.copy()
    v[m.column(x).start] = 0.5
    assert not m.feasible(v)
    v = r.values.copy()
    v[m.column(s).start] = -1.0
    assert not m.feasible(v)
    assert not m.feasible(r.values[:-1])


def test_update_changes_costs_in_place_and_matches_a_fresh_load() -> None:
    prob, _x, _s, price = knapsack()
    m = load(prob)
    m.solve(10.0, relaxation=True)
    highs = m.highs
    price.value = -np.array([1.0, 9.0, 3.0, 2.0, 8.0, 1.0])
    m.update(prob)
    assert m.highs is highs  # same coefficients: changed in place (the LP basis is kept)
    fresh = load(prob)
    a, b = m.solve(10.0, 0.0), fresh.solve(10.0, 0.0)
    assert a.objective == pytest.approx(b.objective, abs=1e-6)
    la, lb = m.solve(10.0, relaxation=True), fresh.solve(10.0, relaxation=True)
    assert la.objective == pytest.approx(lb.objective, abs=1e-6)


def test_relax_makes_columns_continuous_for_good() -> None:
    prob, x, _s, _p = knapsack()
    m = load(prob)
    m.relax(m.column(x))
    assert not m.integer[m.column(x)].any()
    r = m.solve(10.0, 0.0)
    lp = m.solve(10.0, relaxation=True)
    assert r.objective == pytest.approx(lp.objective, abs=1e-6)
