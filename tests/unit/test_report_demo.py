"""The pure demo report: text lines and the figure from a small constructed demo document."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from controller.report import BINDING, burden_totals, cap_rows, report_text, write_figure
from optimizer.model.plan import CapUse, Placement, Plan, Relaxation, SiteSlotBurden, Unassigned

T0 = datetime(2025, 7, 1, tzinfo=UTC)


def _burden(site: str, slot: int, kw: float, co2: float, no2: float) -> SiteSlotBurden:
    return SiteSlotBurden(
        site, slot, T0 + timedelta(hours=slot), kw, 0.0, co2, {"co2eq": co2, "no2": no2}
    )


def _doc() -> dict[str, Any]:
    joint = Plan(
        "optimal",
        objective=2.0,
        placements=(
            Placement("w1", "dc-a", T0, 0),
            Placement("w2", "dc-b", T0 + timedelta(hours=1), 1),
            Placement("w3", "dc-b", T0 + timedelta(hours=1), 1),
        ),
        burdens=(
            _burden("dc-a", 0, 100.0, 1000.0, 10.0),
            _burden("dc-b", 1, 200.0, 3000.0, 30.0),
        ),
        caps=(
            CapUse("power", "dc-b", (T0 + timedelta(hours=1)).isoformat(), 198.0, 200.0, "kW"),
            CapUse("power", "dc-a", T0.isoformat(), 100.0, 400.0, "kW"),
        ),
        gap=0.001,
    )
    co2 = Plan(
        "infeasible",
        objective=1.5,
        placements=joint.placements,
        burdens=(_burden("dc-b", 1, 300.0, 2000.0, 60.0),),
        caps=(CapUse("power", "dc-b", T0.isoformat(), 300.0, 200.0, "kW"),),
        diagnosis=(Relaxation("power", "dc-b", T0.isoformat(), 100.0, "kW"),),
        planner="co2-only",
    )
    ff = Plan(
        "infeasible",
        objective=2.5,
        burdens=(_burden("dc-a", 0, 100.0, 4000.0, 40.0),),
        diagnosis=(Relaxation("workload", "all", None, 1.0, "workloads"),),
        unassigned=(Unassigned("w3", "r-a", "dc-b", 1, "no option within caps"),),
        planner="first-fit",
    )
    return {
        "lab": "x.clab.yml",
        "lab_name": "x.clab.yml",
        "instance": "demo-1",
        "backend": "loopback",
        "inputs": {"date": "2025-07-01", "summary": ["workloads: 3 SYNTHETIC"]},
        "discovery_summary": {"devices": 4, "reachable": 4, "roadms": 2, "sites": 2},
        "sites": [{"id": "dc-a", "power_cap_kw": 400.0}, {"id": "dc-b", "power_cap_kw": 200.0}],
        "n_slots": 3,
        "plan": joint.to_json(),
        "baselines": {"co2-only": co2.to_json(), "first-fit": ff.to_json()},
        "zone_burdens": {
            "joint": {"no2": {"dc-a": 10.0, "dc-b": 30.0}},
            "co2-only": {"no2": {"dc-b": 60.0}},
        },
        "push": {
            "slots": [{"slot": 0, "pushed": 1, "read_back": 1}],
            "planned": 2,
            "pushed": 1,
            "read_back": 1,
            "not_pushed": ["w3 slot 01:00 r-a->r-b: no free transponder channel at r-b"],
            "per_device": {"r-a": 1, "r-b": 1},
        },
        "timings": {"up_s": 1.0, "discover_s": 0.5, "plan_s": 0.2, "down_s": 0.3},
    }


def test_burden_totals_and_binding_caps() -> None:
    doc = _doc()
    assert burden_totals(doc["plan"]) == {"co2eq": 4000.0, "no2": 40.0}
    rows = cap_rows(doc["plan"])
    assert [(r["zone"], r["binding"]) for r in rows] == [("dc-b", True), ("dc-a", False)]
    assert rows[0]["util"] >= BINDING > rows[1]["util"]


def test_report_text_lines() -> None:
    text = report_text(_doc())
    lines = text.splitlines()
    assert lines[0].startswith("fsor demo: x.clab.yml as demo-1 (loopback backend)")
    assert "inputs: workloads: 3 SYNTHETIC" in lines
    assert "  00:00  dc-a: w1" in lines
    assert "  01:00  dc-b: w2 w3" in lines
    # co2-only: co2eq 2000 vs joint 4000 -> -50 %; first-fit: +0 %
    co2_row = next(ln for ln in lines if ln.strip().startswith("co2eq"))
    assert "-50.0%" in co2_row and "+0.0%" in co2_row
    assert any("co2-only: infeasible; breaks power@dc-b" in ln for ln in lines)
    assert any(
        "first-fit: infeasible; breaks none; rejected 1; blocked transfers 0" in ln for ln in lines
    )
    assert any(ln.startswith("  * power dc-b") and "(99.0 %)" in ln for ln in lines)
    assert any(ln.startswith("    power dc-a") for ln in lines)
    assert "push: 1 of 2 lightpaths" in text and "not pushed: w3 slot 01:00" in text
    assert "no2@dc-b +0%" not in text and "no2@dc-b -50%" in text
    assert len(lines) < 40


def test_write_figure_png(tmp_path: Path) -> None:
    out = write_figure(_doc(), tmp_path / "demo.png")
    data = out.read_bytes()
    assert out == tmp_path / "demo.png"
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


def test_infeasible_joint_plan_says_which_cap_must_move(tmp_path: Path) -> None:
    doc = _doc()
    doc["plan"] = Plan(
        "infeasible", diagnosis=(Relaxation("power", "dc-a", None, 5.0, "kW"),)
    ).to_json()
    lines = report_text(doc).splitlines()
    assert any(ln.startswith("joint plan: infeasible, objective n/a") for ln in lines)
    assert any(ln.startswith("  must move: power dc-a") and "by 5 kW" in ln for ln in lines)
    assert write_figure(doc, tmp_path / "f.png").stat().st_size > 0
