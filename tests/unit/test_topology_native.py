"""fsor's own network format: parsing, round trip and each bad-input case."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from topology import InputError, default_inventory, parse_network
from topology.io_native import parse_native, to_native

GOOD: dict[str, Any] = {
    "format": "fsor-network/1",
    "name": "mini",
    "energy": {"amplifier_w": 90.0},
    "roadms": [{"id": "r1", "region": "DE"}, {"id": "r2"}],
    "transponders": [{"id": "t1", "roadm": "r1", "modes": ["dp-qpsk-100g"]}],
    "sites": [{"id": "dc1", "roadm": "r1", "region": "DE", "power_cap_kw": 100}],
    "fibres": [{"id": "f1", "a": "r1", "b": "r2", "length_km": 250, "occupied": [3]}],
    "amplifiers": [{"id": "a1", "fibre": "f1"}],
    "demands": [{"id": "d1", "source": "r1", "target": "r2", "value": 10}],
}


def test_parse_good_document() -> None:
    inv = parse_native(GOOD, "mini.yaml")
    f = inv.fibre("f1")
    assert (f.length_km, f.spans, f.amplifiers, f.occupied) == (250.0, 4, 3, frozenset({3}))
    assert inv.energy.amplifier_w == 90.0
    assert inv.energy.roadm_degree_w == 85.0  # default kept
    assert inv.transponder("t1").modes[0].line_rate_gbps == 100.0
    assert inv.site("dc1").power_cap_kw == 100.0
    assert inv.roadm("r2").degrees == ("f1",)
    assert inv.demands[0].value == 10.0


def test_round_trip_of_embedded_orca() -> None:
    inv = default_inventory()
    assert parse_native(to_native(inv), "rt") == inv


def _bad(path: list[Any], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(GOOD)
    node: Any = doc
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (["fibres", 0, "b"], "r9", "fibres[f1].b"),  # unknown node in a link
        (["fibres", 0, "length_km"], -5, "fibres[f1].length_km"),  # negative length
        (["fibres", 0, "length_km"], KeyError, "fibres[f1].length_km"),  # missing length
        (["fibres", 0, "length_km"], "far", "fibres[f1].length_km"),
        (["roadms", 1, "id"], "r1", "roadms[r1].id"),  # duplicate id
        (["sites", 0, "id"], "f1", "fibres[f1].id"),  # duplicate across kinds
        (["switches"], [], "switches"),  # unknown element type
        (["fibres", 0, "colour"], "red", "fibres[0].colour"),  # unknown field
        (["transponders", 0, "modes"], ["warp-9"], "transponders[t1].modes"),
        (["sites", 0, "roadm"], "r7", "sites[dc1].roadm"),
        (["fibres", 0, "occupied"], [200], "fibres[f1].occupied"),
        (["energy", "amplifier_w"], -1, "energy.amplifier_w"),
        (["demands", 0, "target"], "zz", "demands[d1].target"),
        (["format"], "other/2", "format"),
    ],
)
def test_bad_input_names_file_element_and_field(path: list[Any], value: Any, field: str) -> None:
    with pytest.raises(InputError) as exc:
        parse_network(_bad(path, value), "bad.json")
    assert exc.value.source == "bad.json"
    assert exc.value.field == field
    assert str(exc.value).startswith(f"bad.json: {field}: expected")


def test_unknown_document_shape() -> None:
    with pytest.raises(InputError, match="expected a GNPy"):
        parse_network({"hello": 1}, "x.json")
    with pytest.raises(InputError):
        parse_network([1, 2], "x.json")
