"""`fsor experiment orca`: Table V's per-hour minima, weights, report files, JSON contract."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import pytest

from controller.cli import main
from optimizer.analysis.experiment_orca import OrcaCase, orca_case

TABLE = Path(__file__).resolve().parents[2] / "optimizer" / "data" / "orca_table_v.csv"
DIMS = ("co2eq", "so2eq", "co", "no2", "pm25", "price", "water")
COLS = {
    "co2eq": "co2eq_g_per_kwh",
    "so2eq": "so2eq_g_per_kwh",
    "co": "co_g_per_kwh",
    "no2": "no2_ug_per_m3",
    "pm25": "pm25_ug_per_m3",
    "price": "price_eur_per_mwh",
    "water": "water",
}


def table_rows() -> dict[tuple[str, str], dict[str, dict[str, str]]]:
    """(date, hour) -> region -> raw Table V row, read with the csv module only."""
    out: dict[tuple[str, str], dict[str, dict[str, str]]] = defaultdict(dict)
    with TABLE.open(newline="") as fh:
        for row in csv.DictReader(fh):
            out[(row["date"], row["hour_utc"])][row["region"]] = row
    return out


@pytest.fixture(scope="module")
def case() -> OrcaCase:
    return orca_case()


def test_co2_only_hours_are_table_v_per_hour_minima(case: OrcaCase) -> None:
    rows = table_rows()
    expected = {
        key: min(regions, key=lambda r: float(regions[r]["co2eq_g_per_kwh"]))
        for key, regions in rows.items()
    }
    got = {(h.date, h.start): h.co2_only for h in case.hours}
    assert got == expected
    assert len(got) == 26


def test_zone_aware_is_the_equal_weight_argmin_of_the_table(case: OrcaCase) -> None:
    """Independent: Σ_e E·g_e/mean_e over the raw table (ffill for N/A), transfer ignored."""
    rows = table_rows()
    energy = 0.00690528
    values: dict[str, list[float]] = defaultdict(list)
    last: dict[tuple[str, str], float] = {}
    filled: dict[tuple[str, str, str, str], float] = {}
    for key in sorted(rows):
        for region in sorted(rows[key]):
            for dim, col in COLS.items():
                raw = rows[key][region][col]
                v = float(raw) if raw else last[(region, dim)]
                last[(region, dim)] = v
                filled[(*key, region, dim)] = v
                values[dim].append(v)
    scale = {d: sum(v) / len(v) for d, v in values.items()}
    for h in case.hours:
        score = {
            r: sum(energy * filled[(h.date, h.start, r, d)] / scale[d] for d in DIMS)
            for r in ("CA", "DE", "JP")
        }
        assert h.zone_aware == min(score, key=lambda r: score[r]), (h.date, h.start)
        # the reported score is the objective's: Σ_e E·g_e/s_e (+ a tiny transfer term)
        assert h.score["zone_aware"] == pytest.approx(score[h.zone_aware], rel=1e-3)
        assert h.score["zone_aware"] <= h.score["co2_only"] + 1e-12
        assert h.burdens["co2_only"]["co2eq"] <= h.burdens["zone_aware"]["co2eq"] + 1e-12


def test_co2_only_weights_make_the_policies_agree() -> None:
    only = dict.fromkeys(DIMS, 0.0) | {"co2eq": 1.0}
    case = orca_case(only)
    assert all(not h.differ for h in case.hours)
    assert case.counts["co2_only"] == case.counts["zone_aware"]


def test_cli_writes_report_figures_and_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "orca"
    assert main(["experiment", "orca", "--out", str(out), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {p.name for p in out.iterdir()} == {
        "report.md", "orca.json", "orca-hourly-choice.png", "orca-allocation-counts.png"
    }
    assert json.loads((out / "orca.json").read_text()) == doc
    for f in doc["figures"]:
        assert (out / f).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    h0 = doc["hours"][0]
    assert (h0["date"], h0["start"], h0["co2_only"]) == ("2025-07-01", "00:00", "CA")
    assert set(h0["burdens"]) == {"co2_only", "zone_aware"}
    assert set(h0["burdens"]["co2_only"]) == set(DIMS)
    counts = doc["counts"]
    assert sum(counts["co2_only"].values()) == sum(counts["zone_aware"].values()) == 26
    report = (out / "report.md").read_text()
    assert "How it was computed" in report and "does **not** win" in report
    # every differing hour is in the report; the totals' signs are printed
    for hour in doc["differing_hours"]:
        date, start = hour.split()
        assert f"| {date} | {start} |" in report
    assert f"{doc['total_difference']['co2eq']:+.4g}" in report


def test_cli_is_deterministic(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("a", "b"):
        assert main(["experiment", "orca", "--out", str(tmp_path / name)]) == 0
    capsys.readouterr()
    for f in ("orca.json", "report.md", "orca-hourly-choice.png"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f


@pytest.mark.parametrize(
    ("weights", "needle"),
    [("smell=1", "--weights: smell"), ("co2eq=-1", "expected a number >= 0"),
     ("co2eq", "expected a number >= 0")],
)
def test_bad_weights_exit_2_and_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], weights: str, needle: str
) -> None:
    out = tmp_path / "never"
    assert main(["experiment", "orca", "--out", str(out), "--weights", weights]) == 2
    assert needle in capsys.readouterr().err
    assert not out.exists()
