"""``fsor plan`` and signal files: fills are reported, --strict refuses them, floors hold."""

from __future__ import annotations

from pathlib import Path

import pytest

from controller.cli import main


def _csv(tmp_path: Path, name: str, gap: bool = False, negative: bool = False) -> Path:
    rows = ["timestamp,region,dimension,value"]
    for h in range(24):
        for region, base in (("DE", 350), ("JP", 450), ("CA", 200)):
            value = "" if gap and region == "DE" and 3 <= h < 12 else str(base + h)
            if negative and region == "CA" and h == 5:
                value = "-5"
            rows.append(f"2025-07-01T{h:02d}:00:00Z,{region},co2eq,{value}")
    p = tmp_path / name
    p.write_text("\n".join(rows) + "\n")
    return p


def test_nine_missing_hours_are_counted_in_the_human_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plan", "--signals", str(_csv(tmp_path, "gap.csv", gap=True))]) == 0
    out = capsys.readouterr().out
    assert "filled 9 missing signal values (ffill): DE/co2eq 9" in out


def test_strict_refuses_any_fill(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = _csv(tmp_path, "gap.csv", gap=True)
    assert main(["plan", "--signals", str(f), "--strict"]) == 2
    err = capsys.readouterr().err
    assert "gap.csv: DE/co2eq[2025-07-01T03:00:00+00:00]" in err and "9 missing" in err


def test_negative_intensity_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--signals", str(_csv(tmp_path, "neg.csv", negative=True))]) == 2
    assert "CA/co2eq[2025-07-01T05:00:00+00:00]: expected a finite value >= 0" in (
        capsys.readouterr().err
    )


def test_an_absurd_workload_is_exit_2_not_a_solver_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = tmp_path / "w.yaml"
    w.write_text(
        "workloads:\n  - {id: huge, origin: roadm-fra, energy_kwh: 1.0e+15, duration: 883.26 s}\n"
    )
    assert main(["plan", "--workloads", str(w)]) == 2
    assert "workloads[0].energy_kwh" in capsys.readouterr().err
