"""LiveNetwork: device events folded into a discovery (pure, no devices needed).

r0 ══(amp)══ r1 ── r2: fibre f01 through amplifier node ``amp`` (ports a1/a2), fibre f12
direct. Lightpath fsor-x runs r0 → r1 → r2 (media channels on all three); fsor-y only
r1 → r2.
"""

from __future__ import annotations

from controller.adapters.wavelength_router import MediaChannel
from controller.assemble import DeviceFacts, LinkReport
from controller.discovery import DeviceReport, DiscoveryResult
from controller.edits import Port
from controller.live import LiveNetwork, fibre_ports
from controller.notifications import DeviceEvent, parse_notification
from topology.model import Fibre, Inventory, Roadm


def mc(index: int, name: str, src: str, dst: str) -> MediaChannel:
    return MediaChannel(index, name, 193_075_000, 193_125_000, "ENABLED", src, dst)


def network() -> DiscoveryResult:
    facts = {
        "r0": DeviceFacts(
            "r0",
            "roadm",
            frozenset({"wavelength_router"}),
            media_channels=(mc(1, "fsor-x", "add1", "e1"),),
        ),
        "r1": DeviceFacts(
            "r1",
            "roadm",
            frozenset({"wavelength_router"}),
            media_channels=(mc(1, "fsor-x", "e1", "e2"), mc(2, "fsor-y", "add1", "e2")),
        ),
        "r2": DeviceFacts(
            "r2",
            "roadm",
            frozenset({"wavelength_router"}),
            media_channels=(mc(1, "fsor-x", "e1", "drop1"), mc(2, "fsor-y", "e1", "drop2")),
        ),
        "amp": DeviceFacts("amp", "amplifier", frozenset({"optical_amplifier"})),
    }
    links = (
        LinkReport("amp", "a1", "r0", "e1"),
        LinkReport("amp", "a2", "r1", "e1"),
        LinkReport("r1", "e2", "r2", "e1"),
    )
    inv = Inventory(
        "t",
        (Roadm("r0", ("f01",)), Roadm("r1", ("f01", "f12")), Roadm("r2", ("f12",))),
        fibres=(Fibre("f01", "r0", "r1", 160.0, 2, 1), Fibre("f12", "r1", "r2", 80.0)),
    )
    reports = tuple(DeviceReport(d, f.kind, True) for d, f in facts.items())
    return DiscoveryResult(inv, reports, links, facts)


def test_chains_are_walked_through_amplifiers() -> None:
    ports = fibre_ports(network())
    assert ports[Port("r0", "e1")] == ports[Port("amp", "a2")] == ports[Port("r1", "e1")] == "f01"
    assert ports[Port("r1", "e2")] == ports[Port("r2", "e1")] == "f12"
    assert Port("r0", "add1") not in ports


def test_cut_on_the_amplifier_puts_the_fibre_down_and_its_lightpaths_at_risk() -> None:
    live = LiveNetwork.from_discovery(network())
    assert live.fibres_down() == () and live.lightpaths_at_risk() == ()
    cut = live.apply(DeviceEvent("amp", "port-down", "a2", "fibre"))
    assert cut.fibres_down() == ("f01",)
    risk = {a.lightpath: a for a in cut.lightpaths_at_risk()}
    assert set(risk) == {"fsor-x"} and risk["fsor-x"].fibres == ("f01",)
    assert {f.id for f in cut.inventory().fibres} == {"f12"}
    assert next(r for r in cut.inventory().roadms if r.id == "r1").degrees == ("f12",)
    g = cut.graph()
    assert g.edges["r0", "r1"]["up"] is False and g.edges["r1", "r2"]["up"] is True
    assert cut.apply(DeviceEvent("amp", "port-up", "a2", "fibre")).fibres_down() == ()
    assert live.fibres_down() == ()  # apply returns a new state


def test_a_dark_add_port_risks_only_its_lightpath() -> None:
    live = LiveNetwork.from_discovery(network()).apply(
        DeviceEvent("r1", "port-down", "add1", "port")
    )
    assert live.fibres_down() == ()
    assert [(a.lightpath, a.ports) for a in live.lightpaths_at_risk()] == [
        ("fsor-y", (Port("r1", "add1"),))
    ]


def test_alarms_config_changes_and_unknown_events() -> None:
    live = LiveNetwork.from_discovery(network())
    live = live.apply(DeviceEvent("amp", "amplifier-alarm", "ila-1"))
    live = live.apply(DeviceEvent("r2", "config-changed", cause="7"))
    live = live.apply(DeviceEvent("r0", "other"))
    assert live.alarms() == (("amp", "amplifier", "ila-1"),) and live.stale() == ("r2",)
    assert live.apply(DeviceEvent("amp", "amplifier-clear", "ila-1")).alarms() == ()
    assert live.events == 3 and live.to_json()["stale"] == ["r2"]


def test_netconfd_config_change_and_garbage_parse() -> None:
    x = (
        '<notification xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0">'
        "<eventTime>2026-12-03T07:48:32Z</eventTime>"
        '<netconf-config-change xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-notifications">'
        "<changed-by><username>admin</username><session-id>2</session-id></changed-by>"
        "<edit><target>/x</target><operation>create</operation></edit>"
        "</netconf-config-change></notification>"
    )
    ev = parse_notification("roadm-lon", x)
    assert (ev.kind, ev.cause, ev.time) == ("config-changed", "2", "2026-12-03T07:48:32Z")
    assert parse_notification("d", "<not xml").kind == "other"
