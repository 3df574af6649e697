"""Caps, weights and scales: unit conversion, layouts, validation, bad input."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from optimizer.inputs.caps import (
    DEFAULT_WEIGHTS,
    Caps,
    Scales,
    ZoneCap,
    caps_from_dict,
    default_scales,
    load_caps,
    load_scales,
    load_weights,
    parse_quantity,
    with_site_caps,
)
from optimizer.inputs.signals import default_signals
from topology.errors import InputError


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("120 kW", "power", 120.0),
        ("2 MW", "power", 2000.0),
        ("500W", "power", 0.5),
        (7, "power", 7.0),
        ("5 t", "mass", 5e6),
        ("500 kg", "mass", 5e5),
        ("12.5", "mass", 12.5),
        ("3000 L", "volume", 3000.0),
        ("3 m3", "volume", 3000.0),
        ("250 ml", "volume", 0.25),
        ("6.90528 Wh", "energy", 0.00690528),
        ("1 MWh", "energy", 1000.0),
        ("3.6 MJ", "energy", 1.0),
        ("51.70 MB", "data", 0.0517),
        ("2 TB", "data", 2000.0),
        ("90 min", "duration", 5400.0),
        ("1e3 s", "duration", 1000.0),
    ],
)
def test_parse_quantity_converts(text: object, kind: str, value: float) -> None:
    assert parse_quantity(text, kind) == pytest.approx(value)


def test_parse_quantity_case_matters_for_si_prefixes() -> None:
    assert parse_quantity("1 mW", "power") == pytest.approx(1e-6)
    assert parse_quantity("1 MW", "power") == 1000.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3 furlongs", "expected a mass in g, kg, t, mg"),
        ("-5 kg", "expected a finite mass >= 0"),
        ("kg", "expected a mass in"),
        (True, "expected a mass in"),
        ([5], "expected a mass in"),
    ],
)
def test_parse_quantity_rejects(value: object, expected: str) -> None:
    with pytest.raises(InputError) as err:
        parse_quantity(value, "mass", source="caps.yaml", field="carbon_per_day.DE")
    assert str(err.value).startswith(f"caps.yaml: carbon_per_day.DE: {expected}")
    assert repr(value) in str(err.value)


def _write(tmp: Path, name: str, text: str) -> Path:
    p = tmp / name
    p.write_text(text, encoding="utf-8")
    return p


CAPS_YAML = """
site_power: {dc-fra: 120 kW, dc-tyo: 2 MW}
site_water_per_day: {dc-fra: 3 m3}
carbon_per_day: {DE: 5 t, total: 500 kg}
zone_caps:
  co2eq: {global: 1 kg}
  so2eq: {DE: 2 g}
  no2: {dc-fra: 50}
"""


def test_load_caps_mapping_layout(tmp_path: Path) -> None:
    c = load_caps(
        _write(tmp_path, "caps.yaml", CAPS_YAML),
        sites=["dc-fra", "dc-tyo"],
        regions=["DE", "JP"],
    )
    assert c.site_power_kw == {"dc-fra": 120.0, "dc-tyo": 2000.0}
    assert c.site_water_l_per_day == {"dc-fra": 3000.0}
    assert c.zone_carbon_g_per_day == {"DE": 5e6} and c.total_carbon_g_per_day == 5e5
    assert c.zone_cap("co2eq", "global") == ZoneCap("co2eq", "global", 1000.0, "g")
    assert c.zone_cap("so2eq", "DE") == ZoneCap("so2eq", "DE", 2.0, "g")
    assert c.zone_cap("no2", "dc-fra") == ZoneCap("no2", "dc-fra", 50.0, "ug/m3*kWh")
    assert c.zone_cap("no2", "dc-tyo") is None
    assert not c.empty and Caps().empty


def test_load_caps_list_layout_json(tmp_path: Path) -> None:
    doc = {
        "zone_caps": [
            {"dimension": "pm25", "zone": "dc-a", "limit": 3.5, "scope": "workload"},
            {"dimension": "co2eq", "limit": "2 kg", "scope": "day"},
        ]
    }
    c = load_caps(_write(tmp_path, "c.json", json.dumps(doc)))
    assert c.zone_caps == (
        ZoneCap("pm25", "dc-a", 3.5, "ug/m3*kWh", "workload"),
        ZoneCap("co2eq", "global", 2000.0, "g", "day"),
    )
    assert c.zone_cap("pm25", "dc-a", scope="horizon") is None


@pytest.mark.parametrize(
    ("doc", "field", "expected"),
    [
        ({"site_power": {"dc-fra": "120 furlongs"}}, "site_power.dc-fra", "expected a power in"),
        ({"site_power": {"dc-x": "1 kW"}}, "site_power.dc-x", "expected a site in"),
        ({"site_water_per_day": {"dc-fra": "3 kg"}}, "site_water_per_day.dc-fra", "a volume"),
        ({"carbon_per_day": {"XX": "1 t"}}, "carbon_per_day.XX", "expected a zone in"),
        ({"carbon_per_day": {"DE": "1 kWh"}}, "carbon_per_day.DE", "expected a mass in"),
        ({"zone_caps": {"nox": {"DE": 1}}}, "zone_caps.nox.DE.dimension", "expected one of"),
        ({"zone_caps": {"co2eq": {"DE": 1}}}, "zone_caps.co2eq.DE.zone", "expected 'global'"),
        ({"zone_caps": {"so2eq": {"FR": 1}}}, "zone_caps.so2eq.FR.zone", "expected a zone in"),
        ({"zone_caps": {"no2": {"DE": 1}}}, "zone_caps.no2.DE.zone", "expected a site in"),
        ({"zone_caps": {"no2": {"dc-fra": "5 kg"}}}, "zone_caps.no2.dc-fra", "a number >= 0"),
        ({"zone_caps": [{"dimension": "co", "zone": "DE"}]}, "zone_caps[0].limit", "a limit"),
        (
            {"zone_caps": [{"dimension": "co", "zone": "DE", "limit": 1, "scope": "year"}]},
            "zone_caps[0].scope",
            "expected horizon, day or workload",
        ),
        ({"carbon": 1}, "carbon", "expected a key in"),
        ({"site_power": [1]}, "site_power", "expected a mapping"),
    ],
)
def test_bad_caps_name_file_field_value(
    tmp_path: Path, doc: dict[str, object], field: str, expected: str
) -> None:
    p = _write(tmp_path, "caps.json", json.dumps(doc))
    with pytest.raises(InputError) as err:
        load_caps(p, sites=["dc-fra"], regions=["DE"])
    assert err.value.source == str(p) and err.value.field == field
    assert expected in str(err.value)


def test_caps_without_known_sites_are_not_validated() -> None:
    c = caps_from_dict({"site_power": {"anything": 3}}, "x")
    assert c.site_power_kw == {"anything": 3.0} and c.source == "x"


@dataclass(frozen=True)
class _Site:
    id: str
    power_cap_kw: float | None
    water_cap_l_per_day: float | None


def test_with_site_caps_file_wins() -> None:
    c = caps_from_dict({"site_power": {"a": "1 kW"}})
    merged = with_site_caps(c, [_Site("a", 9.0, None), _Site("b", 5.0, 100.0)])
    assert merged.site_power_kw == {"a": 1.0, "b": 5.0}
    assert merged.site_water_l_per_day == {"b": 100.0}


def test_weights_and_scales(tmp_path: Path) -> None:
    flat = load_weights(_write(tmp_path, "w.yaml", "co2eq: 2\nno2: 0.5\n"))
    assert flat.get("co2eq") == 2.0 and flat.get("no2") == 0.5 and flat.get("water") == 1.0
    assert flat.get("power_headroom") == 0.0 == DEFAULT_WEIGHTS["power_headroom"]
    p = _write(tmp_path, "ws.yaml", "weights: {price: 0}\nscales: {co2eq: 100, price: 50}\n")
    assert load_weights(p).get("price") == 0.0 and load_weights(p).get("co2eq") == 1.0
    sc = load_scales(p)
    assert sc is not None and sc.get("co2eq") == 100.0
    assert load_scales(_write(tmp_path, "n.yaml", "co2eq: 1\n")) is None
    with pytest.raises(InputError, match=r"weights.nox: expected a dimension"):
        load_weights(_write(tmp_path, "b.yaml", "weights: {nox: 1}\n"))
    with pytest.raises(InputError, match=r"co2eq: expected a number >= 0, got -1"):
        load_weights(_write(tmp_path, "c.yaml", "co2eq: -1\n"))
    with pytest.raises(InputError, match=r"scales.co2eq: expected a number > 0, got 0"):
        load_scales(_write(tmp_path, "d.yaml", "scales: {co2eq: 0}\n"))


def test_default_scales_are_signal_means() -> None:
    s = default_signals()
    sc = default_scales(s)
    values = [v for r in s.regions for v in s.series(r, "co2eq")]
    assert sc.get("co2eq") == pytest.approx(sum(values) / len(values))
    assert set(sc.values) == set(s.dims)
    given = default_scales(s, Scales({"co2eq": 1.0}))
    assert given.get("co2eq") == 1.0 and given.get("no2") == sc.get("no2")
