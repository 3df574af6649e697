"""What the emulator reports through RFC 5277 notifications, and the lab's injectable events.

Operational events are injected by the lab (``fsor lab inject``, the ``inject-event`` RPC of
``yang/fsor-device-events.yang``); configuration changes come from commits and rollbacks.
Each becomes one ``<notification>`` on every session with a subscription:

==================  ===========================================  =============================
injected event      notification (``fsor-ev`` = fsor-device-events)  device state afterwards
==================  ===========================================  =============================
port-down/up PORT   ``fsor-ev:port-oper-status`` cause ``port``   port oper-status, LLDP peer
fibre-down/up PORT  ``fsor-ev:port-oper-status`` cause ``fibre``  same
amp-alarm/-clear A  ``fsor-ev:amplifier-alarm``                   (notification only)
los/los-clear OCH   ``fsor-ev:loss-of-signal``                    (notification only)
(commit/rollback)   ``ncn:netconf-config-change`` (RFC 6470)      running
==================  ===========================================  =============================

>>> ev = parse_injection("fibre-down", "eth1")
>>> n = notification(ev, "admin", 0.0)
>>> etree.QName(n[1]).localname, n[1].findtext(f"{{{EVENTS_NS}}}cause")
('port-oper-status', 'fibre')
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from lxml import etree

__all__ = [
    "EVENTS",
    "EVENTS_NS",
    "NCN_NS",
    "NOTIFICATION_NS",
    "DeviceEvent",
    "config_changed",
    "notification",
    "parse_injection",
]

NOTIFICATION_NS = "urn:ietf:params:xml:ns:netconf:notification:1.0"
NCN_NS = "urn:ietf:params:xml:ns:yang:ietf-netconf-notifications"
EVENTS_NS = "urn:fsor:params:xml:ns:yang:fsor-device-events"

#: injectable event name → (kind, active)
EVENTS: dict[str, tuple[str, bool]] = {
    "port-down": ("port", True),
    "port-up": ("port", False),
    "fibre-down": ("fibre", True),
    "fibre-up": ("fibre", False),
    "amp-alarm": ("amplifier", True),
    "amp-clear": ("amplifier", False),
    "los": ("los", True),
    "los-clear": ("los", False),
}


@dataclass(frozen=True)
class DeviceEvent:
    """One event: ``kind`` port | fibre | amplifier | los | config; ``active`` = the fault is
    present (port down, alarm raised); ``session`` = who changed the config (0 = the server)."""

    kind: str
    target: str = ""
    active: bool = True
    session: int = 0


def parse_injection(name: str, target: str) -> DeviceEvent:
    """The event ``name`` (a key of :data:`EVENTS`) on ``target``; ValueError otherwise."""
    if name not in EVENTS:
        raise ValueError(f"event {name!r}: expected one of {', '.join(EVENTS)}")
    if not target:
        raise ValueError(f"event {name!r}: expected a target (port, amplifier or channel)")
    kind, active = EVENTS[name]
    return DeviceEvent(kind, target, active)


def config_changed(session: int) -> DeviceEvent:
    """Running changed (commit by ``session``; 0 = a rollback by the server)."""
    return DeviceEvent("config", "running", True, session)


def _leaf(parent: etree._Element, ns: str, name: str, text: str | None = None) -> etree._Element:
    el = etree.SubElement(parent, f"{{{ns}}}{name}")
    if text is not None:
        el.text = text
    return el


def _default_ns(ns: str) -> Any:
    return {None: ns}  # lxml's default-namespace key (its stubs want str keys)


def _body(root: etree._Element, ns: str, name: str) -> etree._Element:
    return etree.SubElement(root, f"{{{ns}}}{name}", nsmap=_default_ns(ns))


def _event_time(when: float) -> str:
    t = time.gmtime(when)
    return time.strftime("%Y-%m-%dT%H:%M:%S", t) + f".{int(when % 1 * 1e6):06d}Z"


def notification(event: DeviceEvent, username: str, when: float | None = None) -> etree._Element:
    """The ``<notification>`` (RFC 5277) carrying ``event``."""
    root = etree.Element(f"{{{NOTIFICATION_NS}}}notification", nsmap=_default_ns(NOTIFICATION_NS))
    _leaf(root, NOTIFICATION_NS, "eventTime", _event_time(time.time() if when is None else when))
    if event.kind == "config":
        body = _body(root, NCN_NS, "netconf-config-change")  # type: ignore[dict-item]
        by = _leaf(body, NCN_NS, "changed-by")
        if event.session:
            _leaf(by, NCN_NS, "username", username)
            _leaf(by, NCN_NS, "session-id", str(event.session))
        else:
            _leaf(by, NCN_NS, "server")
        _leaf(body, NCN_NS, "datastore", "running")
        return root
    if event.kind in ("port", "fibre"):
        body = _body(root, EVENTS_NS, "port-oper-status")  # type: ignore[dict-item]
        _leaf(body, EVENTS_NS, "port", event.target)
        _leaf(body, EVENTS_NS, "oper-status", "down" if event.active else "up")
        _leaf(body, EVENTS_NS, "cause", event.kind)
    elif event.kind == "amplifier":
        body = _body(root, EVENTS_NS, "amplifier-alarm")  # type: ignore[dict-item]
        _leaf(body, EVENTS_NS, "amplifier", event.target)
        _leaf(body, EVENTS_NS, "active", "true" if event.active else "false")
    elif event.kind == "los":
        body = _body(root, EVENTS_NS, "loss-of-signal")  # type: ignore[dict-item]
        _leaf(body, EVENTS_NS, "component", event.target)
        _leaf(body, EVENTS_NS, "active", "true" if event.active else "false")
    else:
        raise ValueError(f"event kind {event.kind!r}")
    return root
