"""The chance-constrained (SOCP) program with the real ECOS solver, and σ from real 2023 data."""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

import numpy as np
import pytest

from optimizer.analysis.fsor_region import max_scale
from optimizer.analysis.robust import (
    cap_confidence,
    estimate_rho,
    estimate_sigma,
    hourly_sigma,
    normal_quantile,
    plan_energy,
    robust_plan,
    robust_region,
)
from optimizer.inputs import make_instance
from optimizer.inputs.caps import Caps, ZoneCap
from optimizer.inputs.instance import Instance
from optimizer.inputs.signal_grid import GRID_2023_DIR, load_electricity_maps
from optimizer.inputs.signals import default_signals
from optimizer.inputs.workloads import default_workloads, synthetic_workloads
from optimizer.solve.program import Planner
from topology.io import default_inventory

GRID = GRID_2023_DIR
ORIGINS = ["roadm-fra", "roadm-tyo", "roadm-sjc"]
SOLVED = ("optimal", "inaccurate")  # inaccurate = ECOS "close to optimal" (relgap ~1e-6)


def make(carbon_factor: float = 1.0) -> Instance:
    """Default network and Table V signals, 12 synthetic jobs (953.98 kWh), carbon caps bind."""
    ws = synthetic_workloads(12, ORIGINS, seed=3, power_kw=(5, 50), data_in_gb=(1, 50))
    f = carbon_factor
    caps = Caps(
        zone_carbon_g_per_day={"DE": 30000.0 * f, "JP": 45000.0 * f, "CA": 45000.0 * f},
        total_carbon_g_per_day=90000.0 * f,
        zone_caps=(ZoneCap("pm25", "dc-tyo", 20000.0, "ug/m3*kWh", "day"),),
    )
    return make_instance(default_inventory(), default_signals(), ws, caps)


@pytest.fixture(scope="module")
def inst() -> Instance:
    return make()


def test_sigma_zero_equals_the_deterministic_lp(inst: Instance) -> None:
    det = max_scale(inst)  # HiGHS, linear caps
    r = robust_region(inst, 0.0, 0.05)
    assert r.status in SOLVED
    assert r.alpha == pytest.approx(det, rel=1e-5)
    assert 1.0 < det < 2.0  # the carbon caps bind (without them α is about 56)
    # ε = 0.5 means z = 0: the mean constraint whatever σ is
    half = robust_region(inst, 0.3, 0.5)
    assert half.alpha == pytest.approx(det, rel=1e-5)


def test_no_uncertain_caps_equals_max_scale_doctest() -> None:
    caps = Caps(site_power_kw={"dc-fra": 0.01, "dc-tyo": 0.01, "dc-sjc": 0.01})
    one = make_instance(default_inventory(), default_signals(), default_workloads(), caps)
    r = robust_region(one, 0.2, 0.01)
    assert r.status in SOLVED and r.rows == ()
    assert r.alpha == pytest.approx(max_scale(one), rel=1e-5)  # 80.5


def test_alpha_falls_as_epsilon_shrinks_or_sigma_grows(inst: Instance) -> None:
    by_eps = [robust_region(inst, 0.2, e) for e in (0.5, 0.1, 0.05, 0.01)]
    assert all(r.status in SOLVED for r in by_eps)
    alphas = [r.alpha or 0.0 for r in by_eps]
    assert all(a > b * (1 + 1e-4) for a, b in itertools.pairwise(alphas))
    by_sigma = [robust_region(inst, s, 0.05).alpha or 0.0 for s in (0.0, 0.1, 0.3)]
    assert by_sigma[0] > by_sigma[1] * (1 + 1e-4) > by_sigma[2] * (1 + 1e-4)
    # perfectly correlated errors are the conservative end
    full = robust_region(inst, 0.2, 0.05, correlation="full")
    assert full.status in SOLVED and (full.alpha or 0.0) < alphas[2] * (1 - 1e-4)


def row_check(inst: Instance, energy: np.ndarray, rel: float, z: float) -> dict[str, float]:
    """μᵀE + z·‖σ∘E‖ − cap per carbon row, recomputed with numpy (one site per region, 1 day)."""
    g = {s.id: np.asarray(inst.signal[(s.id, "co2eq")]) for s in inst.sites}
    slack: dict[str, float] = {}
    for d, s in enumerate(inst.sites):
        mean = float(g[s.id] @ energy[d])
        sd = float(np.linalg.norm(rel * g[s.id] * energy[d]))
        slack[s.region] = mean + z * sd - inst.caps.carbon_g_per_day[s.region]
    mean = sum(float(g[s.id] @ energy[d]) for d, s in enumerate(inst.sites))
    sd = math.sqrt(
        sum(float(np.sum((rel * g[s.id] * energy[d]) ** 2)) for d, s in enumerate(inst.sites))
    )
    assert inst.caps.carbon_total_g_per_day is not None
    slack["total"] = mean + z * sd - inst.caps.carbon_total_g_per_day
    return slack


def test_robust_plan_meets_its_soc_constraints(inst: Instance) -> None:
    eps, rel = 0.05, 0.2
    r = robust_plan(inst, rel, eps)
    assert r.status in SOLVED and r.energy is not None and r.placements
    z = normal_quantile(eps)
    slack = row_check(inst, r.energy, rel, z)
    assert max(slack.values()) <= 0.05  # g: ECOS tolerance, ~1e-6 of the caps (3e4..9e4 g)
    assert min(abs(v) for v in slack.values()) < 1.0  # some cap binds (CA)
    # every workload placed exactly once (fractionally), within its class count
    counts: dict[int, float] = {}
    for (c, _site, _t), k in r.placements.items():
        counts[c] = counts.get(c, 0.0) + k
    assert counts == pytest.approx({c: float(cl.count) for c, cl in enumerate(inst.classes)})
    # the margin reported per row is z·sd and each row holds with probability ≥ 1 − ε
    for row in r.rows:
        assert row.margin == pytest.approx(z * row.std)
    conf = cap_confidence(inst, r.energy, rel)
    assert len(conf) == 5 and min(conf.values()) >= 1 - eps - 1e-5


def test_price_of_robustness_and_audit_of_the_highs_plan(inst: Instance) -> None:
    det = robust_plan(inst, 0.0, 0.5)
    rob = [robust_plan(inst, 0.1, e) for e in (0.1, 0.01)]
    assert det.status in SOLVED and all(r.status in SOLVED for r in rob)
    objs = [det.objective or 0.0] + [r.objective or 0.0 for r in rob]
    assert objs[0] < objs[1] < objs[2]  # robustness costs expected objective
    # the deterministic integral plan (HiGHS): its binding CA carbon cap is a coin toss
    plan = Planner(inst).solve(time_limit=20, warm=None, diagnose=False)
    assert plan.status == "optimal"
    energy = plan_energy(inst, plan)
    conf = {(r.where, r.cap): p for r, p in cap_confidence(inst, energy, 0.1).items()}
    ca = next(c for c in plan.caps if c.cap == "carbon" and c.site_or_zone == "CA")
    assert ca.utilisation is not None and ca.utilisation > 0.99
    assert 0.3 < conf[("CA", "carbon")] < 0.7
    assert conf[("JP", "carbon")] > 0.999


def test_infeasible_is_a_status_not_an_error() -> None:
    tight = make(carbon_factor=0.05)
    r = robust_plan(tight, 0.1, 0.05)
    assert r.status == "infeasible" and r.energy is None and r.rows == ()


def test_estimate_sigma_on_real_2023_carbon_intensity() -> None:
    for zone, region in (("DE-LU", "DE"), ("JP-TK", "JP"), ("US-CAL-CISO", "CA")):
        ci = GRID / f"{zone}_2023_carbon_intensity_hourly.csv.gz"
        sig = load_electricity_maps(ci, hours=8760)
        series = sig.series(sig.regions[0], "co2eq")
        assert series.shape == (8760,)
        sigma = estimate_sigma(series)
        assert sigma.shape == (24,) and np.all(np.isfinite(sigma)) and np.all(sigma > 0)
        assert sigma.max() < series.mean()  # persistence is a usable forecast
        assert sigma.max() < 2 * series.std()  # day-to-day change within the spread
        rho = estimate_rho(series)
        assert 0.9 < rho < 1.0  # persistence errors an hour apart are strongly correlated
        # robust α with σ (and ρ) estimated from the data is below the deterministic one
        if region == "DE":
            inst = make()
            prof = hourly_sigma(inst, {("DE", "co2eq"): sigma})
            alphas = [
                robust_region(inst, prof, 0.05, correlation=c).alpha or 0.0
                for c in ("independent", rho, "full")
            ]
            assert max_scale(inst) * (1 - 1e-4) > alphas[0] > alphas[1] >= alphas[2] * (1 - 1e-6)


def test_joint_chance_constraint_is_more_conservative(inst: Instance) -> None:
    single = robust_plan(inst, 0.1, 0.05)
    joint = robust_plan(inst, 0.1, 0.05, joint=True)
    assert joint.status in SOLVED and joint.energy is not None
    assert joint.z == pytest.approx(normal_quantile(0.05 / 5))  # 5 uncertain rows
    assert (joint.objective or 0.0) >= (single.objective or 0.0)
    conf = cap_confidence(inst, joint.energy, 0.1)
    # union bound: all five rows hold together with probability ≥ 1 − Σ P(row breaks)
    assert 1 - sum(1 - p for p in conf.values()) >= 0.95 - 1e-5
    region = robust_region(inst, 0.1, 0.05, joint=True)
    assert (region.alpha or 0.0) < (robust_region(inst, 0.1, 0.05).alpha or 0.0)


def test_uncapped_mix_is_unbounded() -> None:
    ws = synthetic_workloads(3, ORIGINS, seed=1)
    free = make_instance(default_inventory(), default_signals(), ws, Caps(), site_caps=False)
    r = robust_region(free, 0.1, 0.05)
    assert r.status == "unbounded" and r.alpha == math.inf and r.energy is None


def test_no_workloads_is_a_trivial_answer() -> None:
    inst = make()
    empty = replace(inst, classes=())
    r = robust_plan(empty, 0.1, 0.05)
    assert r.status in SOLVED and r.energy is not None and float(r.energy.sum()) == 0.0
    assert all(c.probability == 1.0 for c in r.rows)
    assert robust_region(empty, 0.1, 0.05).status == "unbounded"
