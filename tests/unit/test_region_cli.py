"""``fsor region``: the JSON contract, a resumable map, the PNG, and bad input (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from controller.cli import main

CAPS = "site_power: {dc-fra: 0.01, dc-tyo: 0.01, dc-sjc: 0.01}\n"


def _caps(tmp_path: Path) -> str:
    p = tmp_path / "caps.yaml"
    p.write_text(CAPS)
    return str(p)


def test_json_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["region", "--caps", _caps(tmp_path), "--max-signals", "3", "--json"])
    assert rc == 0
    doc = json.loads(capsys.readouterr().out)
    assert isinstance(doc["alpha"], float) and doc["alpha"] == pytest.approx(80.514, abs=1e-3)
    assert doc["binding"] and all(isinstance(b, str) for b in doc["binding"])
    assert len(doc["signals"]) == 3
    for s in doc["signals"]:
        assert s["unit"] == "kW" and isinstance(s["cap"], str)
        assert s["d_alpha_per_unit"] == pytest.approx(s["d_alpha_fd"], rel=1e-6)
    assert doc["grid"] == []


def test_map_resumes_from_results_and_draws_png(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    res, png = tmp_path / "cells.jsonl", tmp_path / "map.png"
    argv = [
        "region", "--caps", _caps(tmp_path), "--max-signals", "0", "--json", "--backend",
        "inline", "--no-progress", "--x", "power:dc-fra=0.004:0.04:3", "--y", "scale=20:200:3",
        "--results", str(res), "--png", str(png),
    ]  # fmt: skip
    assert main(argv) == 0
    first = json.loads(capsys.readouterr().out)
    assert len(first["grid"]) == 9 and first["sweep"]["resumed"] == 0
    assert png.stat().st_size > 10_000
    # scale axis: α of the cell = α at the caps / scale; the cell is inside when α >= 1
    for c in first["grid"]:
        assert c["feasible"] == (c["alpha"] >= 1 - 1e-9)
    cells = {(c["i"], c["j"]): c["alpha"] for c in first["grid"]}
    assert cells[(0, 0)] == pytest.approx(cells[(0, 2)] * 10, rel=1e-9)
    lines = res.read_text().splitlines()
    assert len(lines) == 10  # header + 9 cells
    res.write_text("\n".join(lines[:5]) + "\n")  # as if interrupted after 4 cells
    assert main(argv) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["sweep"]["resumed"] == 4 and second["grid"] == first["grid"]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["sweep"]["resumed"] == 9


def test_results_of_another_sweep_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    res = tmp_path / "cells.jsonl"
    res.write_text('{"sweep": "something-else"}\n')
    rc = main(["region", "--x", "power:dc-fra=1:2:2", "--backend", "inline", "--no-progress",
               "--results", str(res), "--max-signals", "0"])  # fmt: skip
    assert rc == 2
    assert "sweep" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("axis", "field"),
    [
        (["--x", "power:dc-nowhere=1:2:3"], "--x: cap: expected a site"),
        (["--x", "bogus:dc-fra=1:2:3"], "--x: cap: expected power:SITE"),
        (["--x", "power:dc-fra=1:2:0"], "--x: n: expected a whole number of values >= 1"),
        (["--x", "power:dc-fra=5:2:3"], "--x: range: expected LO <= HI (reversed range)"),
        (["--x", "power:dc-fra=2:2:3"], "--x: range: expected LO < HI"),
        (["--x", "power:dc-fra=1:2:2", "--y", "scale=-1:2:3"], "--y: lo: expected a workload"),
        (["--x", "water:dc-fra=-5:2:3"], "--x: lo: expected a cap value >= 0"),
        (["--y", "scale=1:2:3"], "--y: axis: expected --x as well"),
    ],
)
def test_bad_axis_exits_2_naming_the_field(
    axis: list[str], field: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["region", "--max-signals", "0", *axis]) == 2
    err = capsys.readouterr().err
    assert field in err, err


def test_variant_factor_not_positive_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wl = tmp_path / "w.yaml"
    wl.write_text(
        "- {id: a, origin: roadm-fra, energy: 1 kWh, duration: 1 h,\n"
        "   variants: [{name: lite, power_factor: 0, value: 0.5}]}\n"
    )
    assert main(["region", "--workloads", str(wl)]) == 2
    err = capsys.readouterr().err
    assert "variants[0].power_factor" in err and "expected a number > 0" in err
    wl.write_text(
        "- {id: a, origin: roadm-fra, energy: 1 kWh, duration: 1 h,\n"
        "   variants: [{name: lite, duration_factor: -2, value: 0.5}]}\n"
    )
    assert main(["plan", "--workloads", str(wl)]) == 2
    assert "variants[0].duration_factor" in capsys.readouterr().err
