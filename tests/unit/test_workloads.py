"""Workloads: profiles over slots, windows, YAML/JSON loading, bad input, synthetic sets."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from optimizer.inputs.signals import default_signals, slots_from
from optimizer.inputs.workloads import (
    DEFAULT_ORIGIN,
    Variant,
    Workload,
    check_workloads,
    default_workloads,
    load_workloads,
    synthetic_workloads,
    workloads_from_dict,
)
from topology.errors import InputError

T0 = datetime(2025, 7, 1, tzinfo=UTC)
SLOTS = slots_from(T0, 24, 1.0)


def test_default_workload_is_orca_case_study() -> None:
    (w,) = default_workloads()
    assert w.id == "django-unit-tests" and w.origin == DEFAULT_ORIGIN
    assert w.energy_kwh == 0.00690528
    assert w.duration_s == 883.26
    assert w.data_in_gb == pytest.approx(0.0517) and w.data_out_gb == 0.0
    assert w.allowed_sites is None and w.variants == ()
    assert w.slots_needed(1.0) == 1
    assert w.energy_per_slot(1.0) == (0.00690528,)
    # 883.26 s spans three 6-minute slots; the energy is spread by time
    u = w.energy_per_slot(0.1)
    assert len(u) == 3 and sum(u) == pytest.approx(0.00690528)
    assert u[0] == pytest.approx(0.00690528 * 360 / 883.26)
    assert u[2] == pytest.approx(0.00690528 * (883.26 - 720) / 883.26)
    assert w.start_window(default_signals().slots, 1.0) == range(0, 24)


def test_profile_redistribution() -> None:
    w = Workload("p", "n", (1.0, 2.0, 3.0), 1800.0)  # three half hours
    assert w.slots_needed(1.0) == 2
    assert w.energy_per_slot(1.0) == (3.0, 3.0)
    assert w.power_kw_per_slot(1.0) == (3.0, 3.0)
    assert w.energy_per_slot(0.5) == (1.0, 2.0, 3.0)
    assert Workload("q", "n", (4.0,), 7200.0).energy_per_slot(1.0) == (2.0, 2.0)
    quarter = Workload("r", "n", (1.0, 1.0), 2700.0)  # 45 min intervals over 1 h slots
    assert quarter.energy_per_slot(1.0) == pytest.approx((4 / 3, 2 / 3))


def test_windows_by_offset_and_time() -> None:
    w = Workload.uniform("w", "n", 2.0, 7200.0, release=3, deadline=8)
    assert w.start_window(SLOTS, 1.0) == range(3, 7)
    t = Workload.uniform(
        "t",
        "n",
        1.0,
        3600.0,
        release=datetime(2025, 7, 1, 5, 30, tzinfo=UTC),
        deadline=datetime(2025, 7, 1, 9, tzinfo=UTC),
    )
    assert t.start_window(SLOTS, 1.0) == range(6, 9)  # start at 06..08, done by 09:00
    open_end = Workload.uniform("o", "n", 1.0, 3 * 3600.0)
    assert open_end.start_window(SLOTS, 1.0) == range(0, 22)


def test_window_too_long_for_horizon_names_the_workload() -> None:
    w = Workload.uniform("big", "n", 1.0, 30 * 3600.0, source="w.yaml", ref="workloads[2]")
    with pytest.raises(InputError) as err:
        w.start_window(SLOTS, 1.0)
    msg = str(err.value)
    assert msg.startswith("w.yaml: workloads[2].release/deadline: expected a window that fits 30")
    assert "24-slot horizon" in msg
    tight = Workload.uniform("tight", "n", 1.0, 7200.0, release=5, deadline=6)
    with pytest.raises(InputError, match="workload tight: release/deadline"):
        tight.start_window(SLOTS, 1.0)


def _write(tmp: Path, name: str, text: str) -> Path:
    p = tmp / name
    p.write_text(text, encoding="utf-8")
    return p


def test_load_yaml_with_units_profile_and_variants(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        "w.yaml",
        """
workloads:
  - id: train
    origin: roadm-ber
    profile_kwh: [10, 20, 30]
    interval: 1 h
    allowed_sites: [dc-fra, dc-ber]
    release: 2025-07-01T02:00:00Z
    deadline: 12
    data_in: 2 TB
    data_out: 500 MB
    variants:
      - {name: full, energy_factor: 1.0, value: 1.0}
      - {name: lite, energy_factor: 0.6, value: 0.7}
  - id: 7
    origin: roadm-fra
    energy: 2 MWh
    duration: 90 min
""",
    )
    a, b = load_workloads(p, nodes=["roadm-ber", "roadm-fra"], sites=["dc-fra", "dc-ber"])
    assert a.profile_kwh == (10.0, 20.0, 30.0) and a.interval_s == 3600.0
    assert a.allowed_sites == ("dc-fra", "dc-ber")
    assert a.release == datetime(2025, 7, 1, 2, tzinfo=UTC) and a.deadline == 12
    assert a.data_in_gb == 2000.0 and a.data_out_gb == 0.5
    assert a.variants == (Variant("full", 1.0, 1.0), Variant("lite", 0.6, 0.7))
    assert a.start_window(SLOTS, 1.0) == range(2, 10)
    assert (
        b.id == "7"
        and b.energy_kwh == 2000.0
        and b.energy_per_slot(1.0) == pytest.approx((2000 * 2 / 3, 2000 / 3))
    )
    assert a.ref == "workloads[0]" and a.source == str(p)


def test_load_json_bare_list(tmp_path: Path) -> None:
    doc = [{"id": "j", "origin": "n", "energy_kwh": 1.5, "duration_s": 60, "data_in_gb": 3}]
    p = _write(tmp_path, "w.json", json.dumps(doc))
    (w,) = load_workloads(p)
    assert (w.energy_kwh, w.duration_s, w.data_in_gb) == (1.5, 60.0, 3.0)


BASE: dict[str, object] = {"id": "a", "origin": "n", "energy_kwh": 1, "duration_s": 1}
PROFILE: dict[str, object] = {"id": "a", "origin": "n"}
V0 = [{"name": "v", "energy_factor": 0}]


@pytest.mark.parametrize(
    ("item", "field", "expected"),
    [
        ({**BASE, "id": ""}, "id", "expected a workload id"),
        ({**BASE, "origin": None}, "origin", "expected a network node"),
        ({**PROFILE, "duration_s": 1}, "energy", "expected energy"),
        ({**PROFILE, "energy": "3 parsecs", "duration_s": 1}, "energy", "expected an energy in"),
        ({**BASE, "energy_kwh": -1}, "energy_kwh", "expected a number >= 0"),
        ({**PROFILE, "energy_kwh": 1, "duration": "0 s"}, "duration", "expected a duration > 0"),
        ({**BASE, "release": "noon"}, "release", "expected an ISO-8601"),
        ({**BASE, "deadline": -2}, "deadline", "expected a slot offset >= 0"),
        ({**BASE, "allowed_sites": "dc"}, "allowed_sites", "expected a list of site ids"),
        ({**BASE, "data_in": "5 parsecs"}, "data_in", "expected a data in"),
        ({**BASE, "colour": "red"}, "colour", "expected a key in"),
        ({**PROFILE, "profile_kwh": [1, 2]}, "interval_s", "expected an interval > 0 s"),
        ({**PROFILE, "profile_kwh": [1, "x"], "interval_s": 60}, "profile_kwh[1]", "a number"),
        ({**BASE, "variants": V0}, "variants[0].energy_factor", "expected a number > 0"),
    ],
)
def test_bad_workload_names_file_field_value(
    tmp_path: Path, item: dict[str, object], field: str, expected: str
) -> None:
    p = _write(tmp_path, "bad.json", json.dumps({"workloads": [item]}))
    with pytest.raises(InputError) as err:
        load_workloads(p)
    assert err.value.source == str(p)
    assert err.value.field == f"workloads[0].{field}"
    assert expected in str(err.value)


def test_duplicate_ids_and_empty_documents(tmp_path: Path) -> None:
    item = {"id": "a", "origin": "n", "energy_kwh": 1, "duration_s": 1}
    with pytest.raises(InputError, match=r"workloads\[1\].id: expected a unique workload id"):
        workloads_from_dict([item, item], "w.json")
    with pytest.raises(InputError, match=r"w.json: workloads: expected a non-empty list"):
        workloads_from_dict({"workloads": []}, "w.json")
    bad_yaml = _write(tmp_path, "b.yaml", "workloads: [\n")
    with pytest.raises(InputError, match=r"document: expected valid YAML/JSON, got 'while parsing"):
        load_workloads(bad_yaml)


def test_unknown_node_and_site(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        "w.yaml",
        "- {id: a, origin: roadm-x, energy_kwh: 1, duration_s: 60, allowed_sites: [dc-a, dc-z]}\n",
    )
    with pytest.raises(InputError) as err:
        load_workloads(p, nodes=["roadm-y"])
    assert str(err.value).startswith(f"{p}: workloads[0].origin: expected a node of the network")
    assert "'roadm-x'" in str(err.value)
    (w,) = load_workloads(p)
    with pytest.raises(InputError, match=r"workloads\[0\].allowed_sites\[1\]: expected a site"):
        check_workloads([w], sites=["dc-a"])


def test_synthetic_is_deterministic_and_within_bounds() -> None:
    ws = synthetic_workloads(
        200, ["a", "b", "c"], seed=7, sites=["s1", "s2", "s3"], sites_per_workload=2
    )
    assert ws == synthetic_workloads(
        200, ["a", "b", "c"], seed=7, sites=["s1", "s2", "s3"], sites_per_workload=2
    )
    assert ws != synthetic_workloads(200, ["a", "b", "c"], seed=8)
    assert len({w.id for w in ws}) == 200
    for w in ws:
        n = w.slots_needed(1.0)
        assert 1 <= n <= 4
        assert 5.0 * n <= w.energy_kwh <= 50.0 * n
        assert 10.0 <= w.data_in_gb <= 500.0 and w.data_out_gb == pytest.approx(0.1 * w.data_in_gb)
        assert w.allowed_sites is not None and len(w.allowed_sites) == 2
        window = w.start_window(SLOTS, 1.0)  # always fits the 24-slot horizon
        assert len(window) >= 1 and window.stop - 1 + n <= 24
    assert {w.origin for w in ws} == {"a", "b", "c"}
    with pytest.raises(InputError, match="synthetic_workloads"):
        synthetic_workloads(1, [], seed=0)
