"""``fsor plan`` end to end: real files, real HiGHS, exit codes and the JSON contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from controller.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["plan", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_default_plan_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["status"] == "optimal"
    (p,) = doc["placements"]
    assert p["workload"] == "django-unit-tests" and p["site"] in {"dc-fra", "dc-tyo", "dc-sjc"}
    assert p["start"].startswith("2025-07-01T")
    assert isinstance(doc["timings"]["compile_s"], float) and doc["gap"] is not None
    for lp in doc["lightpaths"]:
        assert lp["path"][0] == "roadm-fra" and 191.0 < lp["frequency_thz"] < 197.0


def test_infeasible_exits_zero_with_diagnosis(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    caps = tmp_path / "caps.yaml"
    caps.write_text("site_power: {dc-fra: 1 W, dc-tyo: 1 W, dc-sjc: 1 W}\n", encoding="utf-8")
    code, out, _ = run(capsys, "--caps", str(caps), "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["status"] == "infeasible"
    assert doc["served"] == 0 and doc["unserved"] == ["django-unit-tests"]
    assert any(r["cap"] == "power" and r["unit"] == "kW" for r in doc["diagnosis"])
    assert any(r["cap"] == "workload" for r in doc["diagnosis"])


def test_unknown_origin_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wl = tmp_path / "w.yaml"
    wl.write_text(
        "workloads:\n  - {id: j1, origin: nowhere, energy_kwh: 1.0, duration: 1 h}\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "--workloads", str(wl), "--json")
    assert code == 2 and out == ""
    assert str(wl) in err and "nowhere" in err


def test_baseline_reported_beside_joint(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--baseline", "co2-only", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["baseline"]["planner"] == "co2-only"
    assert "objective_change" in doc["vs_baseline"]
    # the joint objective is never worse than a baseline's on the same accounting
    assert doc["objective"] <= doc["baseline"]["objective"] * (1 + 1e-9)


def test_lns_method_and_cap_confidence_audit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # per-region daily carbon caps: the plan is audited against each of them
    caps = tmp_path / "caps.yaml"
    caps.write_text("carbon_per_day: {DE: 5 g, JP: 5 g, CA: 5 g}\n", encoding="utf-8")
    code, out, _ = run(
        capsys, "--caps", str(caps), "--method", "lns", "--uncertainty", "0.1", "--json"
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["status"] == "optimal" and doc["message"].startswith("LNS:")
    rows = doc["cap_confidence"]
    assert {r["where"] for r in rows} == {"DE", "JP", "CA"}
    assert all(0.0 <= r["probability"] <= 1.0 for r in rows)
    # the job runs in one region: the others carry nothing and hold for sure
    assert sorted(r["probability"] for r in rows)[1:] == [1.0, 1.0]
    code, _, err = run(capsys, "--uncertainty", "-1")
    assert code == 2 and "--uncertainty" in err


def test_replan_from_a_previous_plan_and_like_with_like_baseline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "--json", "--seed", "3")
    assert code == 0
    first = json.loads(out)
    assert first["served"] == 1 and first["unserved"] == [] and first["blocked"] == []
    prev = tmp_path / "previous.json"
    prev.write_text(out, encoding="utf-8")
    # the previous plan still holds: the re-plan keeps it
    code, out, _ = run(
        capsys, "--json", "--seed", "3", "--from", str(prev), "--baseline", "sequential+repair"
    )
    assert code == 0
    again = json.loads(out)
    assert again["placements"] == first["placements"]
    assert again["baseline"]["planner"] == "sequential+repair"
    vs = again["vs_baseline"]
    assert vs["served_joint"] == 1 and vs["served_baseline"] == 1 and vs["same_served"]
    # a caps file the previous plan breaks: repaired, still an answer (exit 0)
    site = first["placements"][0]["site"]
    caps = tmp_path / "caps.yaml"
    caps.write_text(f"site_power: {{{site}: 1 W}}\n", encoding="utf-8")
    code, out, _ = run(capsys, "--json", "--from", str(prev), "--caps", str(caps))
    assert code == 0
    moved = json.loads(out)
    assert moved["served"] == 1 and moved["placements"][0]["site"] != site
    # bad input: a missing or malformed previous plan is exit 2, naming the file
    bad = tmp_path / "bad.json"
    bad.write_text('{"placements": [{"workload": "x"}]}', encoding="utf-8")
    code, _, err = run(capsys, "--from", str(bad))
    assert code == 2 and "bad.json" in err and "placements[0].site" in err
    code, _, err = run(capsys, "--from", str(tmp_path / "missing.json"))
    assert code == 2 and "missing.json" in err


def test_channels_option_gives_the_same_plan_on_plentiful_spectrum(
    capsys: pytest.CaptureFixture[str],
) -> None:
    docs = {}
    for mode in ("exact", "aggregate", "auto"):
        code, out, _ = run(capsys, "--channels", mode, "--json")
        assert code == 0
        docs[mode] = json.loads(out)
    # one workload on the embedded network: the same placement and objective either way
    assert docs["exact"]["objective"] == pytest.approx(docs["aggregate"]["objective"], rel=1e-9)
    assert docs["exact"]["placements"] == docs["aggregate"]["placements"]
    assert all(doc["status"] == "optimal" for doc in docs.values())
    with pytest.raises(SystemExit) as exc:
        run(capsys, "--channels", "exactly")
    assert exc.value.code == 2
    assert "--channels" in capsys.readouterr().err
