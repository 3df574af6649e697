"""α, investment signals and the integral α checked against brute force (real HiGHS)."""

from __future__ import annotations

import math
import warnings
from dataclasses import replace

import cvxpy as cp
import numpy as np
import pytest

from optimizer.analysis.fsor_region import max_scale
from optimizer.analysis.region import ScaleModel, objective_duals, region
from optimizer.analysis.region_integral import breakpoints, integral_alpha
from optimizer.inputs import make_instance
from optimizer.inputs.caps import Caps
from optimizer.inputs.instance import Instance
from optimizer.inputs.signals import default_signals
from optimizer.inputs.workloads import Workload, default_workloads
from optimizer.model.formulation import build, set_parameters
from optimizer.solve.highs import FsorHighs
from topology.io import default_inventory


def _jobs(n: int, *, energy: float = 1.0, origin: str = "roadm-fra") -> list[Workload]:
    base = default_workloads()[0]
    return [
        replace(base, id=f"j{i}", origin=origin, profile_kwh=(energy,), data_in_gb=0.0)
        for i in range(n)
    ]


def _inst(workloads: list[Workload], caps: Caps) -> Instance:
    return make_instance(default_inventory(), default_signals(), workloads, caps, site_caps=False)


def _lp_feasible(inst: Instance, integer: bool = False) -> bool:
    form = build(inst, integer=integer, integer_lightpaths=integer)
    set_parameters(form, inst, strict=True)  # feasible = every workload served
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        form.problem.solve(solver=FsorHighs(), time_limit=30.0)  # type: ignore[no-untyped-call]
    return form.problem.status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE)


CAPS = Caps(site_power_kw={"dc-fra": 30.0, "dc-tyo": 20.0, "dc-sjc": 25.0})


def test_alpha_matches_brute_force_scan_of_scales() -> None:
    # 4 identical 1 kWh jobs; α·4 must lie between the largest and smallest counts the
    # plain LP (no α variable) finds feasible / infeasible
    inst = _inst(_jobs(4), CAPS)
    alpha = ScaleModel(inst).solve()
    assert alpha == pytest.approx(max_scale(inst), rel=1e-9)
    feasible = [k for k in range(1, 2000, 25) if _lp_feasible(_inst(_jobs(k), CAPS))]
    top = max(feasible)
    assert top <= alpha * 4 < top + 25
    exact = [k for k in range(top, top + 26) if _lp_feasible(_inst(_jobs(k), CAPS))]
    assert max(exact) <= alpha * 4 < max(exact) + 1


def test_unbounded_mix_is_inf() -> None:
    assert math.isinf(ScaleModel(_inst(_jobs(2), Caps())).solve())


def test_each_signal_matches_an_independent_finite_difference() -> None:
    inst = _inst(_jobs(3), CAPS)
    r = region(inst, max_signals=40)
    assert r.signals and r.binding
    alpha = max_scale(inst)
    assert r.alpha == pytest.approx(alpha, rel=1e-9)
    checked = 0
    for s in r.signals:
        assert s.d_alpha_fd == pytest.approx(s.d_alpha_per_unit, rel=1e-4, abs=1e-9)
        if s.scope == "cap":  # a site's power cap in every slot: re-solve from the caps file
            site = s.cap.split()[1]
            h = 0.05
            raised = dict(CAPS.site_power_kw)
            raised[site] += h
            a2 = max_scale(_inst(_jobs(3), Caps(site_power_kw=raised)))
            assert (a2 - alpha) / h == pytest.approx(s.d_alpha_per_unit, rel=1e-4)
            checked += 1
    assert checked == 3
    # ranked by α per +1 % of the limit
    el = [s.elasticity for s in r.signals]
    assert el == sorted(el, reverse=True)


def test_objective_signal_matches_finite_difference_at_alpha_one() -> None:
    # α ≥ 1 but the cheapest site is capped: raising its cap lowers the objective
    inst = _inst(_jobs(6), Caps(site_power_kw={"dc-fra": 1.5, "dc-tyo": 1.5, "dc-sjc": 1.5}))
    duals = objective_duals(inst)

    def objective(caps: Caps) -> float:
        inst = _inst(_jobs(6), caps)
        form = build(inst, integer=False)
        set_parameters(form, inst, strict=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            form.problem.solve(solver=FsorHighs())  # type: ignore[no-untyped-call]
        return float(form.problem.value)

    base = Caps(site_power_kw={"dc-fra": 1.5, "dc-tyo": 1.5, "dc-sjc": 1.5})
    model = ScaleModel(inst)
    assert model.solve() >= 1
    moved = 0
    for d, site in enumerate(["dc-fra", "dc-tyo", "dc-sjc"]):
        rows = [k for k, r in enumerate(model.rows["cap_power"]) if r.where == site]
        dsum = sum(duals[("cap_power", k)] for k in rows)
        raised = dict(base.site_power_kw)
        raised[site] += 0.01
        fd = (objective(Caps(site_power_kw=raised)) - objective(base)) / 0.01
        assert fd == pytest.approx(dsum, rel=1e-4, abs=1e-9), site
        moved += dsum < -1e-9
        assert d >= 0
    assert moved >= 1


def test_integral_bounds_bracket_brute_force() -> None:
    caps = Caps(site_power_kw={"dc-fra": 2.5, "dc-tyo": 1.7, "dc-sjc": 1.9})
    jobs = [*_jobs(2, energy=1.0), *_jobs(3, energy=0.7, origin="roadm-sjc")]
    jobs = [replace(w, id=f"w{i}") for i, w in enumerate(jobs)]
    inst = _inst(jobs, caps)
    res = integral_alpha(inst, time_limit=30.0)
    counts = [c.count for c in inst.classes]
    assert sorted(counts) == [2, 3]
    # brute force: every breakpoint, the integral program with ⌈α·m_c⌉ workloads per class
    best = 0.0
    for b in breakpoints(counts, res.lp_alpha):
        ws: list[Workload] = []
        for c in inst.classes:
            proto = next(w for w in jobs if w.id == c.ids[0])
            ws += [replace(proto, id=f"{proto.id}-{i}") for i in range(math.ceil(b * c.count))]
        if not ws or _lp_feasible(_inst(ws, caps), integer=True):
            best = max(best, float(b))
    assert res.lower <= best <= res.upper <= res.lp_alpha + 1e-9
    assert res.exact and res.lower == best
    assert res.lower < res.lp_alpha  # integrality costs something here


def test_binding_rows_name_cap_site_slot_and_use() -> None:
    inst = _inst(_jobs(3), CAPS)
    r = region(inst, max_signals=1)
    row = r.binding[0]
    assert row.cap == "power" and row.unit == "kW" and row.slot is not None
    assert row.use == pytest.approx(row.limit, rel=1e-6)
    assert np.isfinite(row.dual) and row.dual > 0
