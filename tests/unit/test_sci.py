"""SCI against a hand computation of the GSF formula, and the Green Score formula."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from controller.cli import main
from optimizer.analysis.sci import green_scores
from optimizer.inputs.signals import default_signals


def test_plan_json_sci_matches_hand_computation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wl = tmp_path / "w.yaml"
    # 2 kWh over 2 h from slot 3, only at dc-fra (local to its origin: no transfer)
    wl.write_text(
        "- id: job\n  origin: roadm-fra\n  energy: 2 kWh\n  duration: 2 h\n"
        "  allowed_sites: [dc-fra]\n  release: 3\n  deadline: 5\n"
        "  sci: {embodied: 2 t, lifespan_years: 5, resource_share: 0.25,\n"
        "        functional_unit: 1000, functional_unit_name: request}\n"
    )
    assert main(["plan", "--workloads", str(wl), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    (row,) = doc["sci"]
    # ORCA Table V co2eq of DE (dc-fra's region) at 03:00 and 04:00 UTC, 1 kWh in each
    g = default_signals().series("DE", "co2eq")
    e_times_i = 1.0 * float(g[3]) + 1.0 * float(g[4])
    m = 2e6 * (7200 / (5 * 365 * 24 * 3600)) * 0.25
    assert row["M_g"] == pytest.approx(m, rel=1e-12)
    assert row["operational_g"] == pytest.approx(e_times_i, rel=1e-12)
    assert row["sci"] == pytest.approx((e_times_i + m) / 1000, rel=1e-12)
    assert row["unit"] == "gCO2eq/request" and row["E_kwh"] == pytest.approx(2.0)
    assert row["E_transfer_kwh"] == 0.0
    scores = doc["green_score"]
    assert len(scores) == 3 * 24 and all(0 <= s["score"] <= 100 for s in scores)
    assert min(s["score"] for s in scores) >= 0 and max(s["score"] for s in scores) <= 100


def test_green_score_formula_two_dimensions() -> None:
    sig = {
        ("a", "co2eq"): [100.0, 300.0],
        ("b", "co2eq"): [300.0, 100.0],
        ("a", "no2"): [10.0, 10.0],
        ("b", "no2"): [20.0, 30.0],
    }
    gs = green_scores(sig, ["a", "b"], {"co2eq": 1.0, "no2": 3.0})
    # n_co2 = (0, 1 | 1, 0); n_no2 = (0, 0 | 0.5, 1); GS = 100 (1 - (n_co2 + 3 n_no2) / 4)
    assert gs == {("a", 0): 100.0, ("a", 1): 75.0, ("b", 0): 37.5, ("b", 1): 25.0}
