"""Channel grid, dataclasses and build(): pure unit tests on small hand-made networks."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from topology import (
    Amplifier,
    ChannelGrid,
    Fibre,
    InputError,
    Inventory,
    Roadm,
    Site,
    Transponder,
    build,
    check,
)


def test_default_grid_is_c_band_96_by_50ghz() -> None:
    g = ChannelGrid()
    assert g.count == 96
    assert g.frequency_thz(0) == pytest.approx(191.35)
    assert g.frequency_thz(95) == pytest.approx(196.10)
    assert g.frequency_thz(35) == pytest.approx(193.1)  # the G.694.1 anchor
    assert all(g.channel_of(g.frequency_thz(c)) == c for c in range(96))


def test_grid_is_configurable() -> None:
    g = ChannelGrid(count=40, spacing_ghz=100.0, first_index=-10)
    assert g.frequency_thz(1) - g.frequency_thz(0) == pytest.approx(0.1)
    assert g.channel_of(193.1) == 10


@pytest.mark.parametrize("freq", [193.125, 190.0, 200.0])
def test_off_grid_or_out_of_band_frequency_is_input_error(freq: float) -> None:
    with pytest.raises(InputError) as exc:
        ChannelGrid().channel_of(freq)
    assert exc.value.field == "frequency_thz"
    assert exc.value.value == freq


def test_bad_grid_and_channel_numbers() -> None:
    with pytest.raises(InputError):
        ChannelGrid(count=0)
    with pytest.raises(InputError):
        ChannelGrid().frequency_thz(96)


def _line() -> Inventory:
    grid = ChannelGrid(count=8)
    return Inventory(
        "line",
        (Roadm("r1"), Roadm("r2"), Roadm("r3")),
        transponders=(Transponder("t1", "r1", line_ports=2),),
        amplifiers=(Amplifier("a1", "f12", power_w=50.0),),
        sites=(Site("dc1", "r1", "DE", pue=1.3),),
        fibres=(
            Fibre("f12", "r1", "r2", 160.0, 2, 1, grid, frozenset({0, 5})),
            Fibre("f23", "r2", "r3", 80.0, 1, 0, grid),
        ),
    )


def test_build_nodes_edges_and_attributes() -> None:
    g = build(_line())
    kinds = {n: k for n, k in g.nodes(data="kind")}
    assert kinds == {
        "r1": "roadm",
        "r2": "roadm",
        "r3": "roadm",
        "t1": "transponder",
        "a1": "amplifier",
        "dc1": "site",
    }
    e = g.edges["r2", "r1"]  # undirected: either orientation
    assert (e["id"], e["length_km"], e["spans"], e["amplifiers"]) == ("f12", 160.0, 2, 1)
    assert e["free"] == frozenset({1, 2, 3, 4, 6, 7})
    assert e["amplifier_ids"] == ("a1",)
    assert g.edges["t1", "r1"]["kind"] == "add-drop"
    assert g.edges["dc1", "r1"]["kind"] == "access"
    assert g.nodes["r2"]["degree"] == 2
    assert g.degree("a1") == 0


def test_inventory_lookups_and_occupancy_copy() -> None:
    inv = _line()
    assert inv.roadm("r2").id == "r2"
    assert inv.site("dc1").pue == 1.3
    assert inv.transponders_at("r1")[0].id == "t1"
    assert inv.fibres_between("r2", "r1")[0].id == "f12"
    inv2 = inv.with_occupied({"f23": frozenset({7})})
    assert inv2.fibre("f23").occupied == {7}
    assert inv.fibre("f23").occupied == frozenset()  # original untouched
    with pytest.raises(KeyError):
        inv.roadm("nope")


_BAD: list[tuple[str, object, str]] = [
    ("roadms", Roadm("r1"), "roadms[r1].id"),
    ("fibres", Fibre("f9", "r1", "rX", 1.0), "fibres[f9].b"),
    ("fibres", Fibre("f9", "r1", "r3", -1.0), "fibres[f9].length_km"),
    ("fibres", Fibre("f9", "r3", "r1", 5.0, spans=0), "fibres[f9].spans"),
    ("fibres", Fibre("f9", "r2", "r1", 5.0), "fibres[f9].b"),  # parallel to f12
    ("fibres", Fibre("f9", "r2", "r2", 5.0), "fibres[f9].b"),  # self-loop
    ("sites", Site("dc9", "rX", "JP"), "sites[dc9].roadm"),
    ("sites", Site("dc9", "r1", "JP", pue=0.5), "sites[dc9].pue"),
    ("sites", Site("t1", "r1", "JP"), "sites[t1].id"),
    ("amplifiers", Amplifier("a2", "f12"), "fibres[f12].amplifiers"),
    ("amplifiers", Amplifier("a2", "fX"), "amplifiers[a2].fibre"),
    ("transponders", Transponder("t9", "r9"), "transponders[t9].roadm"),
]


@pytest.mark.parametrize(("section", "item", "field"), _BAD)
def test_inconsistent_inventory_names_element_and_field(
    section: str, item: object, field: str
) -> None:
    base = _line()
    changes: dict[str, Any] = {section: (*getattr(base, section), item)}
    inv = replace(base, **changes)
    with pytest.raises(InputError) as exc:
        build(inv)
    assert exc.value.field == field
    assert exc.value.source == "line"
    with pytest.raises(InputError, match=r"^net\.json: "):
        check(inv, "net.json")


def test_occupied_channel_outside_grid_is_rejected() -> None:
    inv = Inventory(
        "x",
        (Roadm("a"), Roadm("b")),
        fibres=(Fibre("f", "a", "b", 1.0, grid=ChannelGrid(count=4), occupied=frozenset({4})),),
    )
    with pytest.raises(InputError, match=r"fibres\[f\]\.occupied"):
        check(inv, "x.json")


def test_importing_the_build_submodule_keeps_the_public_build_function() -> None:
    import importlib

    importlib.import_module("topology.build")
    importlib.import_module("topology.build").fibre_graph  # noqa: B018 - the module loads
    from topology import build as public

    assert callable(public) and public.__name__ == "build"
