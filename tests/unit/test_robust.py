"""Pure parts of optimizer.analysis.robust: σ estimate, SOC margin, cap confidence by hand."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from optimizer.analysis.robust import (
    cap_confidence,
    estimate_rho,
    estimate_sigma,
    hourly_sigma,
    normal_quantile,
    plan_energy,
    resolve_sigma,
    robust_plan,
    soc_margin,
    uncertain_rows,
)
from optimizer.inputs.instance import CapSpec, Instance, SiteSpec, Weights
from optimizer.inputs.network import NetworkData
from optimizer.model.accounting import account
from optimizer.model.plan import Plan, SiteSlotBurden
from topology.errors import InputError

T0 = datetime(2025, 7, 1, tzinfo=UTC)


def phi(x: float) -> float:
    """Standard normal CDF, written out (independent of scipy)."""
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def instance(
    sites: tuple[SiteSpec, ...],
    co2: dict[str, list[float]],
    caps: CapSpec,
    slots: int = 2,
    pm25: dict[str, list[float]] | None = None,
) -> Instance:
    signal = {(s, "co2eq"): np.array(v, dtype=float) for s, v in co2.items()}
    for s, v in (pm25 or {}).items():
        signal[(s, "pm25")] = np.array(v, dtype=float)
    times = tuple(T0 + timedelta(hours=h) for h in range(slots))
    return Instance(
        times,
        1.0,
        sites,
        signal,
        (),
        NetworkData({}, {}, 96, ()),
        caps,
        Weights({"co2eq": 1.0}, {"co2eq": 100.0}),
    )


ONE = (SiteSpec("dc", "r", "DE"),)


# --- estimate_sigma -----------------------------------------------------------------


def test_estimate_sigma_by_hand() -> None:
    s = np.array([10.0, 20.0, 12.0, 20.0, 8.0, 20.0])
    # phase 0: residuals 12-10 = 2, 8-12 = -4 -> sqrt((4+16)/2); phase 1: all zero
    np.testing.assert_allclose(estimate_sigma(s, period=2), [math.sqrt(10.0), 0.0])


def test_estimate_sigma_periodic_series_has_no_error() -> None:
    day = np.sin(np.arange(24) / 24 * 2 * np.pi) * 50 + 300
    assert np.all(estimate_sigma(np.tile(day, 10)) == 0.0)


def test_estimate_sigma_recovers_noise_level() -> None:
    rng = np.random.default_rng(7)
    day = np.linspace(200.0, 400.0, 24)
    series = np.tile(day, 2000) + rng.normal(0.0, 10.0, 24 * 2000)
    sig = estimate_sigma(series)
    # persistence residual of iid noise: sd 10·√2 per hour of day
    assert sig.shape == (24,)
    np.testing.assert_allclose(sig, 10.0 * math.sqrt(2.0), rtol=0.06)


def test_estimate_sigma_skips_nan_and_rejects_bad_input() -> None:
    s = np.array([1.0, 2.0, np.nan, 2.0, 3.0, 2.0, 5.0, 2.0])
    # phase 0 residuals: nan, nan, 5-3 = 2 -> 2.0
    np.testing.assert_allclose(estimate_sigma(s, period=2), [2.0, 0.0])
    with pytest.raises(InputError, match="series"):
        estimate_sigma(np.ones((3, 30)))
    with pytest.raises(InputError, match="longer than 24"):
        estimate_sigma(np.ones(24))
    with pytest.raises(InputError, match="period"):
        estimate_sigma(np.ones(10), period=0)
    with pytest.raises(InputError, match="finite residual"):
        estimate_sigma(np.array([1.0, np.nan, 2.0, np.nan]), period=2)


def test_estimate_rho_of_ar1_noise() -> None:
    rng = np.random.default_rng(3)
    n = 24 * 3000
    white = rng.normal(0.0, 1.0, n)
    assert estimate_rho(white) < 0.03  # persistence residual of white noise: lag-1 corr 0
    ar = np.zeros(n)
    for t in range(1, n):
        ar[t] = 0.8 * ar[t - 1] + white[t]
    # r_t = a_t − a_{t−24}: corr(r_t, r_{t+1}) ≈ 2γ(1) / 2γ(0) = 0.8 (γ(23), γ(24) ≈ 0)
    assert estimate_rho(ar) == pytest.approx(0.8, abs=0.03)
    with pytest.raises(InputError, match="series"):
        estimate_rho(np.ones(25))


# --- z and the SOC margin -----------------------------------------------------------


def test_normal_quantile_values_and_range() -> None:
    assert normal_quantile(0.5) == 0.0
    assert normal_quantile(0.05) == pytest.approx(1.6448536, abs=1e-6)
    assert normal_quantile(0.01) == pytest.approx(2.3263479, abs=1e-6)
    for bad in (0.0, -0.1, 0.6, 1.0):
        with pytest.raises(InputError, match="epsilon"):
            normal_quantile(bad)


def test_soc_margin_arithmetic() -> None:
    z = normal_quantile(0.05)
    # independent: z·‖(3·1, 4·1)‖ = 5z; perfectly correlated: z·(3 + 4) = 7z
    assert soc_margin([3.0, 4.0], [1.0, 1.0], 0.05) == pytest.approx(5 * z)
    assert soc_margin([3.0, 4.0], [1.0, 1.0], 0.05, full=True) == pytest.approx(7 * z)
    assert soc_margin([3.0, 4.0], [1.0, 1.0], 0.5) == 0.0
    assert soc_margin([0.0, 2.0], [9.0, 0.5], 0.01) == pytest.approx(normal_quantile(0.01))


# --- sigma inputs -------------------------------------------------------------------


def test_resolve_sigma_relative_absolute_and_errors() -> None:
    inst = instance(ONE, {"dc": [100.0, 200.0]}, CapSpec())
    rel = resolve_sigma(inst, 0.1)
    np.testing.assert_allclose(rel[("dc", "co2eq")], [10.0, 20.0])
    ab = resolve_sigma(inst, {("dc", "co2eq"): [1.0, 2.0]})
    np.testing.assert_allclose(ab[("dc", "co2eq")], [1.0, 2.0])
    with pytest.raises(InputError, match=r"sigma\[dc.co2eq\]"):
        resolve_sigma(inst, {("dc", "co2eq"): [1.0, 2.0, 3.0]})
    with pytest.raises(InputError, match=r"sigma\[dc.co2eq\]"):
        resolve_sigma(inst, {("dc", "co2eq"): [1.0, -2.0]})
    with pytest.raises(InputError, match="with a signal"):
        resolve_sigma(inst, {("dc", "no2"): [1.0, 2.0]})
    with pytest.raises(InputError, match="relative sigma"):
        resolve_sigma(inst, -0.1)


def test_hourly_sigma_maps_profile_by_utc_hour() -> None:
    sites = (SiteSpec("a", "r", "DE"), SiteSpec("b", "r", "JP"))
    inst = instance(sites, {"a": [1.0] * 3, "b": [1.0] * 3}, CapSpec(), slots=3)
    prof = np.arange(24, dtype=float)
    out = hourly_sigma(inst, {("DE", "co2eq"): prof})
    np.testing.assert_allclose(out[("a", "co2eq")], [0.0, 1.0, 2.0])
    assert ("b", "co2eq") not in out
    with pytest.raises(InputError, match="24 values"):
        hourly_sigma(inst, {("DE", "co2eq"): prof[:12]})


# --- cap confidence by hand ---------------------------------------------------------


def test_cap_confidence_one_site_by_hand() -> None:
    caps = CapSpec(carbon_g_per_day={"DE": 50.0}, carbon_total_g_per_day=40.0)
    inst = instance(ONE, {"dc": [100.0, 200.0]}, caps)
    energy = np.array([[0.2, 0.1]])
    # mean 0.2·100 + 0.1·200 = 40 g; σ = 10 % of g: sd = √((10·0.2)² + (20·0.1)²) = √8
    conf = cap_confidence(inst, energy, 0.1)
    rows = {(r.cap, r.where): p for r, p in conf.items()}
    assert rows[("carbon", "DE")] == pytest.approx(phi(10.0 / math.sqrt(8.0)), abs=1e-12)
    assert rows[("carbon", "total")] == pytest.approx(0.5, abs=1e-12)  # mean = cap exactly
    # perfectly correlated errors: sd = 2 + 2 = 4
    full = cap_confidence(inst, energy, 0.1, correlation="full")
    assert full[next(r for r in full if r.where == "DE")] == pytest.approx(phi(2.5), abs=1e-12)
    assert 0.9997 < rows[("carbon", "DE")] < 0.9999  # Φ(3.536) = 0.99980
    # AR(1) across slots, ρ = 0.5: var = 2² + 2² + 2·0.5·2·2 = 12
    ar = cap_confidence(inst, energy, 0.1, correlation=0.5)
    assert ar[next(r for r in ar if r.where == "DE")] == pytest.approx(phi(10 / math.sqrt(12)))
    one = cap_confidence(inst, energy, 0.1, correlation=1.0)  # ρ = 1 is "full" in one region
    assert one[next(r for r in one if r.where == "DE")] == pytest.approx(phi(2.5))


def test_cap_confidence_sigma_zero_thresholds() -> None:
    caps = CapSpec(carbon_g_per_day={"DE": 50.0}, carbon_total_g_per_day=70.0)
    inst = instance(ONE, {"dc": [100.0, 200.0]}, caps)
    conf = cap_confidence(inst, np.array([[0.2, 0.2]]), 0.0)  # 60 g
    assert {r.where: p for r, p in conf.items()} == {"DE": 0.0, "total": 1.0}


def test_sites_of_one_region_share_their_error() -> None:
    sites = (SiteSpec("a", "r1", "DE"), SiteSpec("b", "r2", "DE"), SiteSpec("c", "r3", "JP"))
    co2 = {"a": [100.0], "b": [100.0], "c": [100.0]}
    caps = CapSpec(carbon_g_per_day={"DE": 230.0}, carbon_total_g_per_day=330.0)
    inst = instance(sites, co2, caps, slots=1)
    energy = np.ones((3, 1))
    conf = {r.where: p for r, p in cap_confidence(inst, energy, 0.1).items()}
    # DE: a and b read the same forecast: sd = 10 + 10 = 20 (not √200); mean 200
    assert conf["DE"] == pytest.approx(phi(30.0 / 20.0), abs=1e-12)
    # total: DE error (sd 20) and JP error (sd 10) independent: sd √500; mean 300
    assert conf["total"] == pytest.approx(phi(30.0 / math.sqrt(500.0)), abs=1e-12)


def test_rows_match_accounting_caps() -> None:
    sites = (SiteSpec("a", "r1", "DE"), SiteSpec("b", "r2", "JP"))
    caps = CapSpec(
        carbon_g_per_day={"DE": 1.0, "JP": 2.0},
        carbon_total_g_per_day=3.0,
        zone_per_day={("pm25", "a"): 4.0},
        zone_horizon={("co2eq", "global"): 5.0},
        power_kw={"a": 9.0},
    )
    pm = {"a": [5.0] * 30, "b": [6.0] * 30}
    inst = instance(sites, {"a": [1.0] * 30, "b": [2.0] * 30}, caps, slots=30, pm25=pm)
    energy = np.arange(60, dtype=float).reshape(2, 30) / 10
    rows = uncertain_rows(inst, 0.2)
    _, _, uses = account(inst, energy)
    want = {(u.cap, u.site_or_zone, u.slot or "horizon"): u.value for u in uses}
    got = {(u.row.cap, u.row.where, str(u.row.day)): float(u.mean @ energy.ravel()) for u in rows}
    assert len(rows) == 2 * 2 + 2 + 2 + 1  # 2 regions × 2 days, total × 2, pm25 × 2, horizon
    assert set(got) == {k for k in want if k[0] != "power"}
    for k, v in got.items():
        assert v == pytest.approx(want[k])


def test_bad_energy_shape_and_epsilon_raise() -> None:
    inst = instance(ONE, {"dc": [100.0, 200.0]}, CapSpec(carbon_g_per_day={"DE": 1.0}))
    with pytest.raises(InputError, match="energy"):
        cap_confidence(inst, np.ones((2, 2)), 0.1)
    with pytest.raises(InputError, match="epsilon"):
        robust_plan(inst, 0.1, 0.75)
    with pytest.raises(InputError, match="correlation"):
        cap_confidence(inst, np.ones((1, 2)), 0.1, correlation="some")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="correlation"):
        cap_confidence(inst, np.ones((1, 2)), 0.1, correlation=1.5)


def test_plan_energy_from_burdens() -> None:
    sites = (SiteSpec("a", "r1", "DE", pue=1.5), SiteSpec("b", "r2", "JP"))
    inst = instance(sites, {"a": [1.0, 1.0], "b": [1.0, 1.0]}, CapSpec())
    b = SiteSlotBurden("a", 1, T0, power_kw=3.0, water_l=0.0, carbon_g=0.0)
    energy = plan_energy(inst, Plan("optimal", burdens=(b,)))
    np.testing.assert_allclose(energy, [[0.0, 2.0], [0.0, 0.0]])


def test_ar1_row_std_matches_the_dense_covariance() -> None:
    sites = (SiteSpec("a", "r1", "DE"), SiteSpec("b", "r2", "DE"), SiteSpec("c", "r3", "JP"))
    co2 = {"a": [100.0, 50.0, 80.0], "b": [100.0, 50.0, 80.0], "c": [30.0, 60.0, 90.0]}
    inst = instance(sites, co2, CapSpec(carbon_total_g_per_day=1e9), slots=3)
    sigma = {
        ("a", "co2eq"): [1.0, 2.0, 3.0],
        ("b", "co2eq"): [0.5, 0.5, 0.5],
        ("c", "co2eq"): [4.0, 0.0, 1.0],
    }
    energy = np.array([[1.0, 2.0, 0.5], [3.0, 0.0, 1.0], [0.2, 0.7, 0.4]])
    rho = 0.6
    (row,) = uncertain_rows(inst, sigma, correlation=rho)
    got = float(np.linalg.norm(row.spread @ energy.ravel()))
    # dense: the error of (site, slot) is σ·Z_region(slot); corr = ρ^|t−s| in a region
    s = np.array([sigma[(x.id, "co2eq")] for x in sites])
    region = ["DE", "DE", "JP"]
    v = (s * energy).ravel()
    cov = np.zeros((9, 9))
    for i in range(9):
        for j in range(9):
            if region[i // 3] == region[j // 3]:
                cov[i, j] = rho ** abs(i % 3 - j % 3)
    assert got == pytest.approx(math.sqrt(v @ cov @ v), rel=1e-10)
