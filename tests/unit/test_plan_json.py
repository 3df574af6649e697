"""The Plan result type and its JSON (DESIGN.md "Contracts")."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import pytest

from optimizer.model.plan import CapUse, Lightpath, Placement, Plan, Relaxation, Timings

T0 = datetime(2025, 7, 1, 3, tzinfo=UTC)


def test_contract_keys_and_types() -> None:
    plan = Plan(
        status="feasible",
        objective=2.5,
        placements=(Placement("w1", "dc-fra", T0, 3),),
        lightpaths=(Lightpath("w1", ("r1", "r2"), ("f1",), 4, 191.55, ("t1", "t2"), 3),),
        gap=0.02,
        bound=2.45,
        timings=Timings(0.5, 1.5),
    )
    doc = json.loads(json.dumps(plan.to_json()))
    assert doc["status"] == "feasible" and doc["objective"] == 2.5
    assert doc["placements"][0] == {
        "workload": "w1",
        "site": "dc-fra",
        "start": "2025-07-01T03:00:00+00:00",
        "slot": 3,
    }
    lp = doc["lightpaths"][0]
    assert (lp["workload"], lp["path"], lp["frequency_thz"]) == ("w1", ["r1", "r2"], 191.55)
    assert doc["gap"] == 0.02 and doc["timings"]["compile_s"] == 0.5
    assert doc["timings"]["solve_s"] == 1.5
    assert "diagnosis" not in doc


def test_infeasible_carries_diagnosis_and_nulls() -> None:
    plan = Plan(
        status="infeasible",
        objective=math.inf,
        diagnosis=(Relaxation("power", "dc-fra", "2025-07-01T03:00:00+00:00", 12.5, "kW"),),
    )
    doc = json.loads(json.dumps(plan.to_json()))
    assert doc["objective"] is None and doc["gap"] is None
    assert doc["diagnosis"] == [
        {
            "cap": "power",
            "site_or_zone": "dc-fra",
            "slot": "2025-07-01T03:00:00+00:00",
            "needed_relaxation": 12.5,
            "unit": "kW",
        }
    ]


def test_status_is_checked_and_violations_listed() -> None:
    with pytest.raises(ValueError, match=r"Plan\.status"):
        Plan(status="unknown")
    caps = (
        CapUse("power", "a", None, 11.0, 10.0, "kW"),
        CapUse("power", "b", None, 9.0, 10.0, "kW"),
        CapUse("water", "b", None, 5.0, math.inf, "L"),
    )
    plan = Plan(status="feasible", caps=caps)
    assert [c.site_or_zone for c in plan.violated] == ["a"]
    assert caps[0].utilisation == pytest.approx(1.1) and caps[2].utilisation is None
