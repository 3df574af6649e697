"""Candidate paths, wavelength continuity, reach and energy against hand-computed values."""

from __future__ import annotations

import pytest

from topology import (
    DEFAULT_MODES,
    ChannelGrid,
    EnergyParams,
    Fibre,
    InputError,
    Inventory,
    Roadm,
    Site,
    TransceiverMode,
    Transponder,
    build,
    candidate_paths,
    energy_kwh_per_gb,
    first_fit,
    lightpath_power_breakdown_w,
    lightpath_power_w,
    transfer_energy_kwh,
)

G8 = ChannelGrid(count=8)
FAST = TransceiverMode("fast", 400.0, 500.0, 300.0)
SLOW = TransceiverMode("slow", 100.0, 5000.0, 200.0)


def _square(share: bool = True) -> Inventory:
    """a-b-c-d ring plus a long a-c chord; occupancy chosen to test continuity."""
    energy = EnergyParams(
        amplifier_w=100.0,
        roadm_degree_w=80.0,
        roadm_base_w=120.0,
        share_line_equipment=share,
        modes=(FAST, SLOW),
    )
    return Inventory(
        "square",
        tuple(Roadm(x) for x in "abcd"),
        transponders=(Transponder("ta", "a"), Transponder("tc", "c")),
        sites=(Site("dc-a", "a", "DE"), Site("dc-c", "c", "JP")),
        fibres=(
            Fibre("ab", "a", "b", 200.0, 3, 2, G8, frozenset({0, 1})),
            Fibre("bc", "b", "c", 200.0, 3, 2, G8, frozenset({2})),
            Fibre("ad", "a", "d", 300.0, 4, 3, G8, frozenset({0, 1, 2, 3, 4, 5, 6, 7})),
            Fibre("dc", "d", "c", 300.0, 4, 3, G8),
            Fibre("ac", "a", "c", 1000.0, 13, 12, G8, frozenset({7})),
        ),
        energy=energy,
    )


def test_k_shortest_paths_in_length_order_with_continuity() -> None:
    g = build(_square())
    paths = candidate_paths(g, "dc-a", "dc-c", k=5)
    assert [p.nodes for p in paths] == [("a", "b", "c"), ("a", "d", "c"), ("a", "c")]
    assert [p.length_km for p in paths] == [400.0, 600.0, 1000.0]
    assert [p.hops for p in paths] == [2, 2, 1]
    assert [p.spans for p in paths] == [6, 8, 13]
    assert paths[0].fibres == ("ab", "bc")
    # continuity: a channel must be free on every fibre of the path
    assert paths[0].free_channels == frozenset({3, 4, 5, 6, 7})
    assert paths[1].free_channels == frozenset()  # "ad" is full
    assert paths[2].free_channels == frozenset(range(7))
    assert first_fit(paths[0].free_channels) == 3
    assert first_fit(paths[1].free_channels) is None


def test_reach_selects_fastest_feasible_mode() -> None:
    paths = candidate_paths(build(_square()), "a", "c", k=3)
    assert [p.mode for p in paths] == ["fast", "slow", "slow"]
    assert all(p.reach_ok for p in paths)
    assert [p.line_rate_gbps for p in paths] == [400.0, 100.0, 100.0]
    short = (TransceiverMode("tiny", 10.0, 450.0, 10.0),)
    p0, p1, _ = candidate_paths(build(_square()), "a", "c", k=3, reach_table=short)
    assert (p0.mode, p0.reach_ok) == ("tiny", True)
    assert (p1.mode, p1.reach_ok) == (None, False)


def test_energy_matches_hand_computation() -> None:
    g = build(_square())
    # path a-b-c in "fast": 2 transponders * 300 W
    #   amplifiers: (2 + 2) * 100 W / 8 channels = 50 W
    #   ROADMs: degree(a)=3, degree(b)=2, degree(c)=3; each pass = 2 * (120/deg + 80) / 8
    roadms = sum(2 * (120.0 / d + 80.0) / 8 for d in (3, 2, 3))
    expected = 600.0 + 50.0 + roadms
    parts = lightpath_power_breakdown_w(g, ("a", "b", "c"), "fast")
    assert parts["transponders"] == pytest.approx(600.0)
    assert parts["amplifiers"] == pytest.approx(50.0)
    assert parts["roadms"] == pytest.approx(roadms)
    assert lightpath_power_w(g, ("a", "b", "c"), FAST) == pytest.approx(expected)
    # 1 GB at 400 Gb/s takes 0.02 s
    per_gb = expected * 0.02 / 3.6e6
    assert energy_kwh_per_gb(g, ("a", "b", "c"), "fast") == pytest.approx(per_gb)
    assert transfer_energy_kwh(g, ("a", "b", "c"), 500.0, "fast") == pytest.approx(500 * per_gb)
    p = candidate_paths(g, "a", "c", k=1)[0]
    assert p.power_w == pytest.approx(expected)
    assert p.energy_kwh_per_gb == pytest.approx(per_gb)


def test_unshared_line_equipment_charges_whole_devices() -> None:
    g = build(_square(share=False))
    parts = lightpath_power_breakdown_w(g, ("a", "c"), "slow")
    assert parts["amplifiers"] == pytest.approx(12 * 100.0)
    assert parts["roadms"] == pytest.approx(2 * 2 * (120.0 / 3 + 80.0))


def test_same_roadm_and_disconnected_and_bad_nodes() -> None:
    inv = Inventory("two", (Roadm("x"), Roadm("y")), sites=(Site("s", "x", "DE"),))
    g = build(inv)
    same = candidate_paths(g, "s", "x")
    assert len(same) == 1 and same[0].nodes == ("x",) and same[0].hops == 0
    assert candidate_paths(g, "x", "y") == ()
    with pytest.raises(InputError, match="node"):
        candidate_paths(g, "x", "nowhere")
    with pytest.raises(InputError, match="fibre"):
        lightpath_power_w(g, ("x", "y"), DEFAULT_MODES[0])
    with pytest.raises(InputError, match="mode"):
        lightpath_power_w(g, ("x",), "no-such-mode")
    with pytest.raises(InputError, match="k"):
        candidate_paths(g, "x", "y", k=0)


def test_default_reach_table_has_long_haul_and_subsea_modes() -> None:
    reach = {m.name: m.reach_km for m in DEFAULT_MODES}
    assert max(reach.values()) >= 12000.0
    assert min(reach.values()) <= 1000.0
    assert all(m.power_w > 0 and m.line_rate_gbps > 0 for m in DEFAULT_MODES)


def test_translucent_path_regenerates_and_charges_extra_transponders() -> None:
    g = build(_square())
    tiny = TransceiverMode("tiny", 10.0, 250.0, 10.0)
    p = candidate_paths(g, "a", "c", k=1, reach_table=(tiny,))[0]
    assert (p.nodes, p.reach_ok, p.mode) == (("a", "b", "c"), False, None)
    assert p.regen_at == ("b",)
    assert p.energy_mode == "tiny"
    assert p.power_w == pytest.approx(lightpath_power_w(g, p.nodes, tiny) + 2 * 10.0)
    # the chord a-c (1000 km) is longer than the reach on its own: impossible
    chord = candidate_paths(g, "a", "c", k=3, reach_table=(tiny,))[2]
    assert chord.nodes == ("a", "c") and chord.regen_at is None
