"""Operational state derived from the running configuration and the startup profile (pure).

Rules (documented in docs/device.md):

* every ``config`` container gets a ``state`` sibling mirroring its leaves;
* components get ``state/type``; power is in integer watts: CHASSIS ``used-power`` = idle
  (+ ``per_channel_w`` per media channel on a ROADM), ``allocated-power`` = budget;
  POWER_SUPPLY ``allocated-power`` = capacity (no ``used-power``, so summing ``used-power`` over
  all components gives the device draw); a *lit* optical channel (frequency and
  target-output-power configured) draws its mode's power; an enabled amplifier draws
  ``per_amplifier_w``;
* channel occupancy per port is served by ``openconfig-channel-monitor``: the monitor named
  after a port lists one channel per occupied slot with its power (dBm);
* LLDP neighbours come from the startup file.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from containerlab.device.config import (
    AMP,
    CM,
    IF,
    LLDP,
    PLAT,
    PLAT_TYPES,
    TERM,
    TTYPES,
    WR,
    identity,
    leaf,
    q,
)
from containerlab.device.profile import DeviceProfile, Mode

__all__ = ["Occupancy", "lit_channels", "occupancy", "operational", "text_at"]


@dataclass(frozen=True)
class Occupancy:
    """A slot of spectrum in use on a port."""

    port: str
    lower_mhz: int
    upper_mhz: int
    power_dbm: float


def text_at(el: etree._Element | None, *path: tuple[str, str]) -> str | None:
    """Text of the descendant reached by ``(ns, tag)`` steps, or None."""
    cur = el
    for ns, tag in path:
        if cur is None:
            return None
        cur = cur.find(q(ns, tag))
    return None if cur is None or cur.text is None else cur.text.strip()


def _int(text: str | None) -> int | None:
    try:
        return None if text is None else int(text)
    except ValueError:
        return None


def _float(text: str | None) -> float | None:
    try:
        return None if text is None else float(text)
    except ValueError:
        return None


def _components(root: etree._Element) -> Iterator[etree._Element]:
    comps = root.find(q(PLAT, "components"))
    if comps is not None:
        yield from comps.findall(q(PLAT, "component"))


@dataclass(frozen=True)
class LitChannel:
    """A lit transponder optical channel."""

    component: str
    port: str
    frequency_mhz: int
    power_dbm: float
    mode: Mode | None


def _mode(p: DeviceProfile, mode_id: int | None) -> Mode | None:
    if mode_id is None:
        return p.modes[0] if p.modes else None
    return next((m for m in p.modes if m.id == mode_id), None)


def lit_channels(root: etree._Element, p: DeviceProfile) -> list[LitChannel]:
    """Transponder optical channels with a frequency and a target output power configured."""
    out = []
    for comp in _components(root):
        cfg = comp.find(f"{q(TERM, 'optical-channel')}/{q(TERM, 'config')}")
        freq = _int(text_at(cfg, (TERM, "frequency")))
        power = _float(text_at(cfg, (TERM, "target-output-power")))
        if cfg is None or freq is None or power is None:
            continue
        mode = _mode(p, _int(text_at(cfg, (TERM, "operational-mode"))))
        out.append(
            LitChannel(
                text_at(comp, (PLAT, "name")) or "",
                text_at(cfg, (TERM, "line-port")) or "",
                freq,
                power,
                mode,
            )
        )
    return out


def _media_channels(root: etree._Element) -> Iterator[etree._Element]:
    wr = root.find(f"{q(WR, 'wavelength-router')}/{q(WR, 'media-channels')}")
    if wr is not None:
        for ch in wr.findall(q(WR, "channel")):
            if text_at(ch, (WR, "config"), (WR, "admin-status")) != "DISABLED":
                yield ch


def occupancy(root: etree._Element, p: DeviceProfile) -> list[Occupancy]:
    """Spectrum in use per port, from the configuration."""
    out = []
    for lit in lit_channels(root, p):
        half = round((lit.mode.width_ghz if lit.mode else 50.0) * 500)
        out.append(
            Occupancy(lit.port, lit.frequency_mhz - half, lit.frequency_mhz + half, lit.power_dbm)
        )
    for ch in _media_channels(root):
        lo = _int(text_at(ch, (WR, "config"), (WR, "lower-frequency")))
        hi = _int(text_at(ch, (WR, "config"), (WR, "upper-frequency")))
        if lo is None or hi is None:
            continue
        for end in ("source", "dest"):
            port = text_at(ch, (WR, end), (WR, "config"), (WR, "port-name"))
            if port:
                out.append(Occupancy(port, lo, hi, p.power.channel_power_dbm))
    return out


def _mirror_config(root: etree._Element) -> None:
    for cfg in list(root.iter()):
        if not isinstance(cfg.tag, str) or etree.QName(cfg).localname != "config":
            continue
        parent = cfg.getparent()
        ns = etree.QName(cfg).namespace or ""
        if parent is None or parent.find(q(ns, "state")) is not None:
            continue
        state = etree.Element(q(ns, "state"))
        for c in cfg:
            state.append(copy.deepcopy(c))
        cfg.addnext(state)


def _state(entry: etree._Element, ns: str) -> etree._Element:
    st = entry.find(q(ns, "state"))
    return st if st is not None else leaf(entry, "state", ns=None)


def operational(
    running: etree._Element, p: DeviceProfile, down_ports: frozenset[str] = frozenset()
) -> etree._Element:
    """The full data tree served by ``<get>``: running configuration plus state.

    ``down_ports`` (injected port or fibre faults) are INACTIVE, their interface is
    oper-status DOWN and LLDP shows no neighbour on them.
    """
    root = copy.deepcopy(running)
    _mirror_config(root)
    lit = {c.component: c for c in lit_channels(running, p)}
    n_media = sum(1 for _ in _media_channels(running))
    ports = set(p.port_names())
    amps = {a.name for a in p.amplifiers}
    amp_enabled = _amp_enabled(running)
    for comp in _components(root):
        name = text_at(comp, (PLAT, "name")) or ""
        st = _state(comp, PLAT)
        och = comp.find(q(TERM, "optical-channel"))
        if name == p.name:
            identity(st, "type", PLAT_TYPES, "CHASSIS")
            leaf(st, "mfg-name", "fsor")
            leaf(st, "model-name", f"fsor-device {p.kind}")
            used = p.power.idle_w + p.power.per_channel_w * n_media
            leaf(st, "allocated-power", round(p.power.budget_w))
            leaf(st, "used-power", round(used))
        elif name == "psu-1":
            identity(st, "type", PLAT_TYPES, "POWER_SUPPLY")
            leaf(st, "allocated-power", round(p.power.psu_w))
        elif och is not None:
            identity(st, "type", TTYPES, "OPTICAL_CHANNEL")
            ch = lit.get(name)
            drawn = ch.mode.power_w if ch and ch.mode else 0.0
            leaf(st, "allocated-power", round(max((m.power_w for m in p.modes), default=0.0)))
            leaf(st, "used-power", round(drawn))
            och_state = _state(och, TERM)
            if ch is not None:
                leaf(leaf(och_state, "output-power"), "instant", ch.power_dbm)
        elif name in ports:
            identity(st, "type", PLAT_TYPES, "PORT")
            identity(st, "oper-status", PLAT_TYPES, "INACTIVE" if name in down_ports else "ACTIVE")
        elif name in amps:
            identity(st, "type", PLAT_TYPES, "LINECARD")
            leaf(st, "description", "optical amplifier")
            leaf(st, "used-power", round(p.power.per_amplifier_w if amp_enabled.get(name) else 0))
            leaf(st, "allocated-power", round(p.power.per_amplifier_w))
    _interfaces_state(root, down_ports)
    _lldp_state(root, p, down_ports)
    _monitors_state(root, occupancy(running, p))
    if p.kind == "transponder":
        _modes_state(root, p)
    if p.kind == "amplifier":
        _amps_state(root, amp_enabled)
    return root


def _amp_enabled(running: etree._Element) -> dict[str, bool]:
    out = {}
    amps = running.find(f"{q(AMP, 'optical-amplifier')}/{q(AMP, 'amplifiers')}")
    for a in [] if amps is None else amps.findall(q(AMP, "amplifier")):
        enabled = text_at(a, (AMP, "config"), (AMP, "enabled")) != "false"
        out[text_at(a, (AMP, "name")) or ""] = enabled
    return out


def _interfaces_state(root: etree._Element, down_ports: frozenset[str]) -> None:
    ifs = root.find(q(IF, "interfaces"))
    for itf in [] if ifs is None else ifs.findall(q(IF, "interface")):
        st = _state(itf, IF)
        up = text_at(itf, (IF, "config"), (IF, "enabled")) != "false"
        leaf(st, "admin-status", "UP" if up else "DOWN")
        lit = up and (text_at(itf, (IF, "name")) or "") not in down_ports
        leaf(st, "oper-status", "UP" if lit else "DOWN")


def _lldp_state(root: etree._Element, p: DeviceProfile, down_ports: frozenset[str]) -> None:
    lldp = root.find(q(LLDP, "lldp"))
    if lldp is None:
        return
    by_port = {port.name: port for port in p.ports}
    ifs = lldp.find(q(LLDP, "interfaces"))
    for itf in [] if ifs is None else ifs.findall(q(LLDP, "interface")):
        port = by_port.get(text_at(itf, (LLDP, "name")) or "")
        if port is None or not port.neighbor_device or port.name in down_ports:
            continue
        nb = leaf(leaf(itf, "neighbors"), "neighbor")
        leaf(nb, "id", "1")
        st = leaf(nb, "state")
        leaf(st, "id", "1")
        leaf(st, "system-name", port.neighbor_device)
        leaf(st, "chassis-id", port.neighbor_device)
        leaf(st, "port-id", port.neighbor_port or "")


def _monitors_state(root: etree._Element, occ: list[Occupancy]) -> None:
    mons = root.find(q(CM, "channel-monitors"))
    for mon in [] if mons is None else mons.findall(q(CM, "channel-monitor")):
        port = text_at(mon, (CM, "config"), (CM, "monitor-port"))
        slots = sorted(
            {(o.lower_mhz, o.upper_mhz): o for o in occ if o.port == port}.values(),
            key=lambda o: o.lower_mhz,
        )
        if not slots:
            continue
        chans = leaf(mon, "channels")
        for o in slots:
            ch = leaf(chans, "channel")
            leaf(ch, "lower-frequency", o.lower_mhz)
            leaf(ch, "upper-frequency", o.upper_mhz)
            st = leaf(ch, "state")
            leaf(st, "lower-frequency", o.lower_mhz)
            leaf(st, "upper-frequency", o.upper_mhz)
            leaf(st, "power", o.power_dbm)


def _modes_state(root: etree._Element, p: DeviceProfile) -> None:
    td = root.find(q(TERM, "terminal-device"))
    if td is None:
        td = leaf(root, "terminal-device", ns=TERM)
    modes = leaf(td, "operational-modes")
    for m in p.modes:
        mode = leaf(modes, "mode")
        leaf(mode, "mode-id", m.id)
        st = leaf(mode, "state")
        leaf(st, "mode-id", m.id)
        leaf(st, "description", m.description or f"{m.rate_gbps:g}G, {m.power_w:g} W")
        leaf(st, "vendor-id", "fsor-device")


def _amps_state(root: etree._Element, enabled: dict[str, bool]) -> None:
    amps = root.find(f"{q(AMP, 'optical-amplifier')}/{q(AMP, 'amplifiers')}")
    for a in [] if amps is None else amps.findall(q(AMP, "amplifier")):
        name = text_at(a, (AMP, "name")) or ""
        gain = _float(text_at(a, (AMP, "config"), (AMP, "target-gain"))) or 0.0
        leaf(leaf(_state(a, AMP), "actual-gain"), "instant", gain if enabled.get(name) else 0.0)
