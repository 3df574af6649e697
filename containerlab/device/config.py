"""The initial running configuration of a device, built from its startup profile.

Configuration trees are lxml elements: a ``<data>`` root (NETCONF base namespace) holding the
top-level OpenConfig containers. Everything here is pure (no I/O).

>>> from containerlab.device.profile import parse_startup
>>> p = parse_startup({"name": "r1", "kind": "roadm", "ports": [{"name": "a"}, {"name": "b"}]}, "x")
>>> root = initial_config(p)
>>> [etree.QName(c).localname for c in root]
['components', 'interfaces', 'lldp', 'channel-monitors', 'wavelength-router']
"""

from __future__ import annotations

from functools import cache
from typing import Any

from lxml import etree

from containerlab.device.profile import DeviceProfile
from containerlab.device.yangmeta import module_meta
from yang import openconfig_directory

__all__ = [
    "AMP",
    "CM",
    "IF",
    "LLDP",
    "NC",
    "PLAT",
    "PLAT_TYPES",
    "TERM",
    "TTYPES",
    "WR",
    "empty_like",
    "identity",
    "initial_config",
    "leaf",
    "new_data",
    "prefix_for",
    "q",
]

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
PLAT = "http://openconfig.net/yang/platform"
PLAT_TYPES = "http://openconfig.net/yang/platform-types"
TERM = "http://openconfig.net/yang/terminal-device"
TTYPES = "http://openconfig.net/yang/transport-types"
WR = "http://openconfig.net/yang/wavelength-router"
AMP = "http://openconfig.net/yang/optical-amplfier"  # sic, as in the module
IF = "http://openconfig.net/yang/interfaces"
IANAIFT = "urn:ietf:params:xml:ns:yang:iana-if-type"
LLDP = "http://openconfig.net/yang/lldp"
CM = "http://openconfig.net/yang/channel-monitor"

_PREFIXES = {
    PLAT_TYPES: "oc-platform-types",
    TTYPES: "oc-opt-types",
    AMP: "oc-opt-amp",
    IANAIFT: "ianaift",
}


def q(ns: str, tag: str) -> str:
    """Clark notation ``{ns}tag``."""
    return f"{{{ns}}}{tag}"


@cache
def _prefix_map() -> dict[str, str]:
    paths = sorted(openconfig_directory().glob("*.yang"))
    metas = [module_meta(p.stem) for p in paths if not _is_submodule(p.read_text("utf-8"))]
    return {m.prefix: m.namespace for m in metas}


def _is_submodule(text: str) -> bool:
    return text.lstrip().startswith("submodule")


def prefix_for(namespace: str) -> str | None:
    """The canonical (module) prefix of a vendored module namespace."""
    return next((p for p, ns in _prefix_map().items() if ns == namespace), None)


def new_data() -> etree._Element:
    """An empty ``<data>`` root declaring every vendored module's prefix.

    Identityref values in the tree use these canonical prefixes (``oc-platform-types:PORT``), so
    they stay resolvable wherever their elements are moved.
    """
    nsmap: dict[Any, str] = {None: NC, **_prefix_map()}
    return etree.Element(q(NC, "data"), nsmap=nsmap)


def empty_like(el: etree._Element) -> etree._Element:
    """A new element with ``el``'s tag and namespace declarations, no content."""
    nsmap: Any = el.nsmap
    return etree.Element(el.tag, nsmap=nsmap)


def leaf(
    parent: etree._Element, tag: str, text: object = None, ns: str | None = None
) -> etree._Element:
    """Append child ``tag`` (in ``ns`` or the parent's namespace) with optional text."""
    space = ns if ns is not None else etree.QName(parent).namespace
    nsmap: Any = {None: space} if ns else None
    el = etree.SubElement(parent, q(space, tag) if space else tag, nsmap=nsmap)
    if text is not None:
        el.text = text if isinstance(text, str) else _fmt(text)
    return el


def identity(parent: etree._Element, tag: str, ns: str, name: str) -> etree._Element:
    """Append an identityref leaf ``prefix:name`` (canonical prefix of module namespace ``ns``).

    The prefix is declared on the :func:`new_data` root the tree hangs from.
    """
    return leaf(parent, tag, f"{_PREFIXES[ns]}:{name}")


def _fmt(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _component(comps: etree._Element, name: str) -> etree._Element:
    c = leaf(comps, "component")
    leaf(c, "name", name)
    leaf(leaf(c, "config"), "name", name)
    return c


def _named(parent: etree._Element, tag: str, name: str) -> tuple[etree._Element, etree._Element]:
    """Append a list entry keyed by ``name``; return it and its ``config``."""
    e = leaf(parent, tag)
    leaf(e, "name", name)
    cfg = leaf(e, "config")
    leaf(cfg, "name", name)
    return e, cfg


def initial_config(p: DeviceProfile) -> etree._Element:
    """The running configuration a device starts with (before any ``config_xml`` merge)."""
    root = new_data()
    comps = leaf(root, "components", ns=PLAT)
    chassis = _component(comps, p.name)
    if p.kind == "amplifier":
        props = leaf(chassis, "properties")
        for key, value in (
            ("spans", p.spans),
            ("length-km", p.length_km),
            ("amplifiers", len(p.amplifiers)),
        ):
            _, cfg = _named(props, "property", key)
            leaf(cfg, "value", value)
    _component(comps, "psu-1")
    for port in p.ports:
        _component(comps, port.name)
    for och in p.optical_channels:
        c = _component(comps, och.name)
        cfg = leaf(leaf(c, "optical-channel", ns=TERM), "config")
        if och.frequency_mhz is not None:
            leaf(cfg, "frequency", och.frequency_mhz)
        if och.target_output_power_dbm is not None:
            leaf(cfg, "target-output-power", och.target_output_power_dbm)
        if och.operational_mode is not None:
            leaf(cfg, "operational-mode", och.operational_mode)
        leaf(cfg, "line-port", och.line_port)
    for amp in p.amplifiers:
        _component(comps, amp.name)

    ifs = leaf(root, "interfaces", ns=IF)
    for port in p.ports:
        _, cfg = _named(ifs, "interface", port.name)
        identity(
            cfg, "type", IANAIFT, "ethernetCsmacd" if port.role == "client" else "opticalChannel"
        )
        leaf(cfg, "enabled", True)

    lldp = leaf(root, "lldp", ns=LLDP)
    lcfg = leaf(lldp, "config")
    leaf(lcfg, "enabled", True)
    leaf(lcfg, "system-name", p.name)
    lifs = leaf(lldp, "interfaces")
    for port in p.ports:
        _, cfg = _named(lifs, "interface", port.name)
        leaf(cfg, "enabled", True)

    mons = leaf(root, "channel-monitors", ns=CM)
    for port in p.ports:
        _, cfg = _named(mons, "channel-monitor", port.name)
        leaf(cfg, "monitor-port", port.name)

    if p.kind == "transponder":
        chans = leaf(leaf(root, "terminal-device", ns=TERM), "logical-channels")
        for i, och in enumerate(p.optical_channels, start=1):
            ch = leaf(chans, "channel")
            leaf(ch, "index", i)
            cfg = leaf(ch, "config")
            leaf(cfg, "index", i)
            leaf(cfg, "description", f"line channel on {och.name}")
            leaf(cfg, "admin-state", "ENABLED")
            asg = leaf(leaf(ch, "logical-channel-assignments"), "assignment")
            leaf(asg, "index", 1)
            acfg = leaf(asg, "config")
            leaf(acfg, "index", 1)
            leaf(acfg, "assignment-type", "OPTICAL_CHANNEL")
            leaf(acfg, "optical-channel", och.name)
    elif p.kind == "roadm":
        mcs = leaf(leaf(root, "wavelength-router", ns=WR), "media-channels")
        for mc in p.media_channels:
            ch = leaf(mcs, "channel")
            leaf(ch, "index", mc.index)
            cfg = leaf(ch, "config")
            leaf(cfg, "index", mc.index)
            if mc.name:
                leaf(cfg, "name", mc.name)
            leaf(cfg, "lower-frequency", mc.lower_mhz)
            leaf(cfg, "upper-frequency", mc.upper_mhz)
            leaf(cfg, "admin-status", "ENABLED")
            leaf(leaf(leaf(ch, "source"), "config"), "port-name", mc.source)
            leaf(leaf(leaf(ch, "dest"), "config"), "port-name", mc.dest)
    else:
        amps = leaf(leaf(root, "optical-amplifier", ns=AMP), "amplifiers")
        for amp in p.amplifiers:
            _, cfg = _named(amps, "amplifier", amp.name)
            identity(cfg, "type", AMP, amp.type)
            leaf(cfg, "target-gain", amp.gain_db)
            leaf(cfg, "enabled", True)
    return root
