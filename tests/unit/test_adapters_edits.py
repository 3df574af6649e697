"""Plan → per-device edits (controller.edits): ports per hop, removal, idempotence."""

from __future__ import annotations

import doctest
import importlib

import pytest
from lxml import etree

from controller.adapters import fsor_lightpath, terminal_device, wavelength_router
from controller.adapters._xml import NC_NS
from controller.adapters.terminal_device import OpticalChannel
from controller.edits import DeviceEdit, DeviceState, LightpathIntent, Port, intent_id, plan_edits
from topology.errors import InputError

# t1:line-1 -- r1:add-1 ; r1:line-1 -- a1:in ; a1:out -- r2:line-1 ; r2:add-1 -- t2:line-1
# r2:line-2 -- c1:p1 (a netconfd conformance node) ; c1:p2 -- t3:line-1
LINKS = [
    (("t1", "line-1"), ("r1", "add-1")),
    (("r1", "line-1"), ("a1", "in")),
    (("a1", "out"), ("r2", "line-1")),
    (("r2", "add-1"), ("t2", "line-1")),
    (("r2", "line-2"), ("c1", "p1")),
    (("c1", "p2"), ("t3", "line-1")),
]
NBRS = {Port(*a): Port(*b) for a, b in LINKS} | {Port(*b): Port(*a) for a, b in LINKS}
OP = f"{{{NC_NS}}}operation"
FREE = tuple(OpticalChannel(f"och-{i}", None, None, None, "line-1") for i in (1, 2))


def states() -> dict[str, DeviceState]:
    td, wr = frozenset({"terminal_device"}), frozenset({"wavelength_router"})
    return {
        "t1": DeviceState("t1", td, optical_channels=FREE),
        "t2": DeviceState("t2", td, optical_channels=FREE),
        "t3": DeviceState("t3", td, optical_channels=FREE),
        "r1": DeviceState("r1", wr),
        "r2": DeviceState("r2", wr),
        "c1": DeviceState("c1", frozenset({"fsor_lightpath"})),
        "a1": DeviceState("a1", frozenset({"optical_amplifier"})),
    }


def intent(path: tuple[str, ...], f: int, ends: tuple[str, str]) -> LightpathIntent:
    return LightpathIntent(intent_id("w", path, f), path, f, ends, power_dbm=1.5, mode=2)


def applied(st: dict[str, DeviceState], edits: dict[str, DeviceEdit]) -> dict[str, DeviceState]:
    """What the devices hold after the edits (replace/delete/remove as a server does them)."""
    out = dict(st)
    for dev, edit in edits.items():
        root = etree.fromstring(edit.config_xml.encode())
        gone = []
        for e in root.iter():
            if e.get(OP) in ("delete", "remove"):
                gone.append(e)
        s = out[dev]
        mcs = {m.index: m for m in s.media_channels}
        lps = {lp.id: lp for lp in s.lightpaths}
        ochs = {o.component: o for o in s.optical_channels}
        for e in gone:
            parent = e.getparent()
            assert parent is not None
            key = str(e.findtext("{*}index") or e.findtext("{*}id") or parent.findtext("{*}name"))
            if etree.QName(e).localname == "channel":
                mcs.pop(int(key), None)
            elif etree.QName(e).localname == "lightpath":
                lps.pop(key, None)
            else:  # a removed optical-channel leaf: the channel is freed
                comp = next(a for a in e.iterancestors() if etree.QName(a).localname == "component")
                name = str(comp.findtext("{*}name"))
                ochs[name] = OpticalChannel(name, None, None, None, "line-1")
            parent.remove(e)
        for m in wavelength_router.parse_media_channels(dev, root):
            mcs[m.index] = m
        for lp in fsor_lightpath.parse_lightpaths(dev, root):
            lps[lp.id] = lp
        for o in terminal_device.parse_optical_channels(dev, root):
            ochs[o.component] = OpticalChannel(
                o.component,
                o.frequency_mhz,
                o.target_output_power_dbm,
                o.operational_mode,
                "line-1",
            )
        out[dev] = DeviceState(
            dev, s.adapters, tuple(ochs.values()), tuple(mcs.values()), tuple(lps.values())
        )
    return out


def test_one_lightpath_through_an_amplifier_sets_ports_per_hop() -> None:
    lp = intent(("r1", "r2"), 193_100_000, ("t1", "t2"))
    edits = plan_edits(states(), [lp], NBRS, frozenset({"a1"}))
    assert sorted(edits) == ["r1", "r2", "t1", "t2"]
    (m1,) = wavelength_router.parse_media_channels("r1", edits["r1"].config_xml)
    assert (m1.source_port, m1.dest_port, m1.name) == ("add-1", "line-1", lp.id)
    assert (m1.lower_mhz, m1.upper_mhz) == (193_075_000, 193_125_000)
    (m2,) = wavelength_router.parse_media_channels("r2", edits["r2"].config_xml)
    assert (m2.source_port, m2.dest_port) == ("line-1", "add-1")
    (o,) = terminal_device.parse_optical_channels("t1", edits["t1"].config_xml)
    assert (o.component, o.frequency_mhz, o.target_output_power_dbm, o.operational_mode) == (
        "och-1",
        193_100_000,
        1.5,
        2,
    )
    assert "+" in edits["r1"].diff and "193075000" in edits["r1"].diff


def test_reapplying_the_same_plan_changes_nothing() -> None:
    lps = [
        intent(("r1", "r2"), 193_100_000, ("t1", "t2")),
        intent(("r2", "c1"), 193_150_000, ("t2", "t3")),
    ]
    after = applied(states(), plan_edits(states(), lps, NBRS, frozenset({"a1"})))
    (clp,) = after["c1"].lightpaths
    assert (clp.source_port, clp.destination_port, clp.frequency_mhz) == ("p1", "p2", 193_150_000)
    assert plan_edits(after, lps, NBRS, frozenset({"a1"})) == {}


def test_dropped_lightpath_is_removed_in_the_same_edit() -> None:
    keep = intent(("r1", "r2"), 193_100_000, ("t1", "t2"))
    drop = intent(("r2", "c1"), 193_150_000, ("t2", "t3"))
    after = applied(states(), plan_edits(states(), [keep, drop], NBRS, frozenset({"a1"})))
    edits = plan_edits(after, [keep], NBRS, frozenset({"a1"}))
    assert sorted(edits) == ["c1", "r2", "t2", "t3"]
    assert f"delete media-channel {drop.id}" in edits["r2"].changes
    assert edits["t2"].config_xml.count('operation="remove"') == 3
    final = applied(after, edits)
    assert final["c1"].lightpaths == ()
    assert {o.frequency_mhz for o in final["t2"].optical_channels} == {193_100_000, None}
    assert plan_edits(final, [keep], NBRS, frozenset({"a1"})) == {}


@pytest.mark.parametrize("f_new", [193_200_000, 193_100_000])
def test_dropping_a_and_adding_b_on_the_same_transponder_is_one_edit(f_new: int) -> None:
    """B reuses the only channel of t1/t2 that A (dropped by the same intents) holds."""
    st = states()
    for t in ("t1", "t2"):
        st[t] = DeviceState(t, st[t].adapters, FREE[:1])
    a = LightpathIntent(
        intent_id("a", ("r1", "r2"), 193_100_000),
        ("r1", "r2"),
        193_100_000,
        ("t1", "t2"),
        power_dbm=1.5,
        mode=2,
    )
    b = LightpathIntent(
        intent_id("b", ("r1", "r2"), f_new),
        ("r1", "r2"),
        f_new,
        ("t1", "t2"),
        power_dbm=0.5,
        mode=2,
    )
    assert a.id != b.id
    after_a = applied(st, plan_edits(st, [a], NBRS, frozenset({"a1"})))
    edits = plan_edits(after_a, [b], NBRS, frozenset({"a1"}))
    assert sorted(edits) == ["r1", "r2", "t1", "t2"]
    for r in ("r1", "r2"):  # one edit: the old media channel goes, the new one comes
        assert f"delete media-channel {a.id}" in edits[r].changes
        assert f"add media-channel {b.id}" in edits[r].changes
        xml = edits[r].config_xml
        assert 'operation="delete"' in xml and 'operation="replace"' in xml
    for t in ("t1", "t2"):  # the channel is retuned in place, not freed
        (o,) = terminal_device.parse_optical_channels(t, edits[t].config_xml)
        assert (o.component, o.frequency_mhz, o.target_output_power_dbm) == ("och-1", f_new, 0.5)
        assert 'operation="remove"' not in edits[t].config_xml
    final = applied(after_a, edits)
    assert {m.name for m in final["r1"].media_channels} == {b.id}
    assert [o.frequency_mhz for o in final["t1"].optical_channels] == [f_new]
    assert plan_edits(final, [b], NBRS, frozenset({"a1"})) == {}


def test_a_kept_lightpath_keeps_its_channel() -> None:
    """Only channels of DROPPED lightpaths are reclaimed: a third lightpath still fails."""
    st = states()
    a = intent(("r1", "r2"), 193_100_000, ("t1", "t2"))
    b = intent(("r1", "r2"), 193_150_000, ("t1", "t2"))
    after = applied(st, plan_edits(st, [a, b], NBRS, frozenset({"a1"})))
    c = intent(("r1", "r2"), 193_200_000, ("t1", "t2"))
    with pytest.raises(InputError, match="free optical channel"):
        plan_edits(after, [a, b, c], NBRS, frozenset({"a1"}))
    edits = plan_edits(after, [a, c], NBRS, frozenset({"a1"}))
    (o,) = terminal_device.parse_optical_channels("t1", edits["t1"].config_xml)
    held = {x.frequency_mhz: x.component for x in after["t1"].optical_channels}
    assert (o.component, o.frequency_mhz) == (held[193_150_000], 193_200_000)


def test_second_channel_uses_the_add_port_wired_to_its_line_port() -> None:
    st = states()
    ochs = (
        OpticalChannel("och-1", None, None, None, "line-1"),
        OpticalChannel("och-2", None, None, None, "line-2"),
    )
    st["t1"] = DeviceState("t1", st["t1"].adapters, ochs)
    nbrs = dict(NBRS) | {
        Port("t1", "line-2"): Port("r1", "add-2"),
        Port("r1", "add-2"): Port("t1", "line-2"),
    }
    lps = [intent(("r1", "r2"), f, ("t1", "t2")) for f in (193_100_000, 193_150_000)]
    lps[1] = LightpathIntent(lps[1].id, lps[1].path, lps[1].frequency_mhz, ("t1", "t3"))
    lps[1] = LightpathIntent(lps[1].id, ("r1", "r2", "c1"), lps[1].frequency_mhz, ("t1", "t3"))
    edits = plan_edits(st, lps, nbrs, frozenset({"a1"}))
    ports = {
        m.name: m.source_port
        for m in wavelength_router.parse_media_channels("r1", edits["r1"].config_xml)
    }
    ochs_set = terminal_device.parse_optical_channels("t1", edits["t1"].config_xml)
    by_och = {o.frequency_mhz: o.component for o in ochs_set}
    line = {"och-1": "add-1", "och-2": "add-2"}
    assert sorted(str(p) for p in ports.values()) == ["add-1", "add-2"]
    for lp in lps:
        assert ports[lp.id] == line[by_och[lp.frequency_mhz]]


def test_unmanaged_channels_are_left_alone() -> None:
    st = states()
    foreign = OpticalChannel("och-2", 192_000_000, 0.0, 1, "line-1")
    st["t1"] = DeviceState("t1", st["t1"].adapters, (FREE[0], foreign))
    assert plan_edits(st, [], NBRS, frozenset({"a1"})) == {}


def test_hop_without_a_link_is_bad_input() -> None:
    with pytest.raises(InputError, match="r1->c1"):
        plan_edits(states(), [intent(("r1", "c1"), 193_100_000, ("t1", "t3"))], NBRS)


def test_transponder_without_free_channel_is_bad_input() -> None:
    lps = [intent(("r1", "r2"), f, ("t1", "t2")) for f in (193_100_000, 193_150_000, 193_200_000)]
    with pytest.raises(InputError, match="free optical channel"):
        plan_edits(states(), lps, NBRS, frozenset({"a1"}))


@pytest.mark.parametrize(
    "name",
    [
        "_xml",
        "platform",
        "lldp",
        "terminal_device",
        "wavelength_router",
        "optical_amplifier",
        "capabilities",
        "fsor_lightpath",
    ],
)
def test_adapter_doctests(name: str) -> None:
    mod = importlib.import_module(f"controller.adapters.{name}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
