"""For one job the joint program is ORCA's decision model (Table V, the case-study job)."""

from __future__ import annotations

import numpy as np
import pytest

from optimizer.inputs import make_instance
from optimizer.inputs.instance import Instance
from optimizer.inputs.signals import default_signals
from optimizer.inputs.workloads import default_workloads
from optimizer.model.accounting import burden_factor
from optimizer.solve.program import Planner
from topology.io import default_inventory


@pytest.fixture(scope="module")
def inst() -> Instance:
    return make_instance(default_inventory(), default_signals(), default_workloads())


def orca_burden(inst: Instance, d: int, t: int, dim: str) -> float:
    """I_e(d, τ) = Σ_i u(i)·g_{d,e}(τ+i) + T_e(o, d), T_e = E_transfer · g_{d,e}(τ)."""
    cls = inst.classes[0]
    site = inst.sites[d]
    g = inst.signal[(site.id, dim)]
    origin = inst.network.roadm(cls.origin)
    e_tr = 0.0
    if origin != site.roadm:
        e_tr = cls.volume_gb * min(
            r.energy_kwh_per_gb for r in inst.network.routes[(origin, site.id)]
        )
    total = sum(u * float(g[t + i]) for i, u in enumerate(cls.profile_kwh)) + e_tr * float(g[t])
    return total * burden_factor(dim)  # price: EUR/MWh x kWh -> EUR


def orca_objective(inst: Instance, d: int, t: int) -> float:
    w, s = inst.weights.weight, inst.weights.scale
    # the objective weighs the signals themselves (scales are their means), not EUR
    return sum(w[e] * orca_burden(inst, d, t, e) / burden_factor(e) / s[e] for e in w)


def test_default_job_is_one_class_over_three_sites_and_24_slots(inst: Instance) -> None:
    assert len(inst.classes) == 1 and inst.classes[0].count == 1
    assert [s.region for s in inst.sites] == ["DE", "JP", "CA"]
    assert inst.horizon == 24
    assert set(inst.weights.weight) == {"co2eq", "so2eq", "co", "no2", "pm25", "price", "water"}


def test_program_choice_is_orca_argmin(inst: Instance) -> None:
    plan = Planner(inst).solve(time_limit=30, mip_gap=0.0, warm=None)
    assert plan.status == "optimal"
    table = {
        (d, t): orca_objective(inst, d, t)
        for d in range(len(inst.sites))
        for t in range(inst.horizon)
    }
    best = min(table, key=lambda k: table[k])
    (pl,) = plan.placements
    assert (pl.site, pl.slot) == (inst.sites[best[0]].id, best[1])
    assert plan.objective == pytest.approx(table[best], rel=1e-9)


@pytest.mark.slow
def test_every_option_matches_orca_burdens(inst: Instance) -> None:
    """Force each (d, τ) in turn (parameter change, no recompile) and compare every I_e."""
    planner = Planner(inst)
    problem = planner.form.problem
    ub = planner.form.params["ub"]
    seen = 0
    for j, (_c, d, t) in enumerate(planner.form.options):
        only = np.zeros(len(planner.form.options))
        only[j] = 1.0
        ub.value = only
        plan = planner.form.problem and Planner.solve(
            planner, time_limit=30, mip_gap=0.0, warm=None
        )
        assert planner.form.problem is problem
        assert plan.status == "optimal", (d, t)
        (pl,) = plan.placements
        assert (pl.site, pl.slot) == (inst.sites[d].id, t)
        (burden,) = plan.burdens
        for dim in inst.weights.weight:
            assert burden.burdens[dim] == pytest.approx(orca_burden(inst, d, t, dim), rel=1e-9)
        assert plan.objective == pytest.approx(orca_objective(inst, d, t), rel=1e-9)
        seen += 1
    assert seen == len(inst.sites) * inst.horizon == 72
