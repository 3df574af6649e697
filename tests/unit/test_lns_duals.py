"""Dual-guided neighbourhoods of the LNS: where the incumbent loses against the LP bound.

Real HiGHS on the small line instance of ``test_program_lns`` (power caps and two
channels both bind)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from optimizer.inputs.instance import Instance
from optimizer.model.formulation import Formulation, build
from optimizer.solve.highs_model import HighsModel, MipResult, load
from optimizer.solve.lns import _Neighbourhoods
from tests.unit.test_program_lns import case


def _setup() -> tuple[Instance, Formulation, HighsModel, MipResult, np.ndarray, np.ndarray]:
    inst = case()
    form = build(inst, channels="aggregate")
    model = load(form.problem)
    lp = model.solve(10.0, relaxation=True)
    assert lp.col_dual is not None and lp.row_dual is not None
    return inst, form, model, lp, lp.col_dual, lp.row_dual


def test_an_lp_solve_returns_its_duals_and_a_mip_solve_does_not() -> None:
    _inst, _form, model, lp, _cd, _rd = _setup()
    assert lp.col_dual is not None and lp.row_dual is not None
    assert lp.col_dual.shape == (model.n_cols,)
    assert model.A is not None and lp.row_dual.shape == (model.A.shape[0],)
    # the power caps bind in this instance: some row has a non-zero dual
    assert np.abs(lp.row_dual).max() > 1e-9
    mip = model.solve(10.0)
    assert mip.col_dual is None and mip.row_dual is None


def test_a_power_row_reaches_the_options_of_its_site_and_slot() -> None:
    inst, form, model, _lp, cd, rd = _setup()
    xs = model.column(form.x)
    nbh = _Neighbourhoods(form, inst, seed=0)
    nbh.set_duals(model, xs, cd, rd)
    assert nbh.duals is not None
    # find the row of the power cap of site 0, slot 1: it holds E[0, 1] only; the options
    # reach it through E's energy row
    e = model.column(form.energy)
    T = inst.horizon
    col = e.start + 0 * T + 1
    A = nbh.duals.A_cols
    rows = A.indices[A.indptr[col] : A.indptr[col + 1]]
    want = {
        j
        for j, (c, d, t) in enumerate(form.options)
        if d == 0 and t <= 1 < t + len(inst.classes[c].profile_kwh)
    }
    assert want, "the instance has options running at site 0 in slot 1"
    for r in rows:
        got = set(nbh.duals.options_of_row(int(r)).tolist())
        assert want <= got
        # and nothing at another site
        assert all(form.options[j][1] == 0 for j in got)


def test_dual_neighbourhoods_are_seeded_and_hold_at_most_k_classes() -> None:
    inst, form, model, _lp, cd, rd = _setup()
    xs = model.column(form.x)
    res = model.solve(10.0)
    assert res.values is not None
    picks = []
    for _ in range(2):
        nbh = _Neighbourhoods(form, inst, seed=3)
        nbh.set_duals(model, xs, cd, rd)
        x = res.values[xs]
        picks.append([nbh.pick(x, 3, None, res.values) for _ in range(8)])
    assert picks[0] == picks[1]
    n_cls = len(inst.classes)
    assert all(0 < len(p) <= 3 and all(0 <= c < n_cls for c in p) for p in picks[0])


def test_solver_noise_in_lost_counts_never_breaks_the_regret_draw() -> None:
    inst, form, _model, _lp, _cd, _rd = _setup()
    nbh = _Neighbourhoods(form, inst, seed=0)
    x = np.zeros(len(form.options))
    x[0] = 1.0
    lost = np.full(len(inst.classes), -1e-10)  # what HiGHS may return for a zero
    for _ in range(8):  # every mode, including the regret draw
        assert len(nbh.pick(x, 2, lost)) <= 2


def test_bound_rows_fold_into_the_reduced_costs_of_their_options() -> None:
    # cvxpy writes x >= 0 and x <= count as rows: their duals are the options' reduced
    # costs, which the neighbourhoods rank by (and whose losses are their classes')
    inst, form, model, _lp, cd, rd = _setup()
    xs = model.column(form.x)
    nbh = _Neighbourhoods(form, inst, seed=0)
    nbh.set_duals(model, xs, cd, rd)
    du = nbh.duals
    assert du is not None and du.reduced is not None and du.bound_opt is not None
    assert model.A is not None and model.cost is not None
    A = model.A.tocsr()
    single = np.diff(A.indptr) == 1
    on_x = np.zeros(A.shape[0], dtype=bool)
    for r in np.flatnonzero(single):
        on_x[r] = xs.start <= A.indices[A.indptr[r]] < xs.stop
    assert on_x.any(), "the program has bound rows on its placement columns"
    assert (du.bound_opt >= 0).tolist() == on_x.tolist()
    # c - A'y over the rows that are not bounds, for each placement column
    other = sp.diags((~on_x).astype(float)) @ A
    want = np.abs(model.cost - other.T @ rd)[xs]
    assert du.reduced[xs] == pytest.approx(want, abs=1e-7)
    # the LP prices some option above zero: the ranking is not all ties
    assert want.max() > 1e-6
