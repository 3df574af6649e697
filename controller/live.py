"""The network as a running controller sees it between discoveries: a discovery result plus
the device events received since (:mod:`controller.notifications`). Pure: no I/O.

:meth:`LiveNetwork.apply` folds one event in and returns the new state; the answers are

* :meth:`~LiveNetwork.fibres_down` — fibres with a dark port anywhere on their chain (either
  ROADM end or an in-line amplifier node);
* :meth:`~LiveNetwork.lightpaths_at_risk` — the lightpaths (fsor's media channels and
  ``fsor-lightpath`` entries, by name) with a cross-connect on a dark port or a down fibre,
  naming the fibres/ports that put them at risk;
* :meth:`~LiveNetwork.inventory` — the discovered inventory without the down fibres (what a
  re-plan should route on), and :meth:`~LiveNetwork.graph` — the full graph with ``up``
  on every fibre edge;
* :meth:`~LiveNetwork.alarms` — active amplifier alarms and losses of signal;
* :meth:`~LiveNetwork.stale` — devices whose config changed or whose session was lost and
  restored since the discovery (re-read them).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import networkx as nx

from controller.assemble import DeviceFacts
from controller.discovery import DiscoveryResult
from controller.edits import Port
from controller.notifications import DeviceEvent
from topology.build import build
from topology.model import Inventory

__all__ = ["AtRisk", "LiveNetwork", "fibre_ports"]


@dataclass(frozen=True)
class AtRisk:
    """A lightpath (by name) that crosses a down fibre or a dark port."""

    lightpath: str
    device: str
    fibres: tuple[str, ...]
    ports: tuple[Port, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "lightpath": self.lightpath,
            "device": self.device,
            "fibres": list(self.fibres),
            "ports": [f"{p.device}:{p.port}" for p in self.ports],
        }


def fibre_ports(result: DiscoveryResult) -> dict[Port, str]:
    """Every port on a fibre's chain (ROADM ends and amplifier ports) → the fibre's id.

    Walks each ROADM port's LLDP neighbour through amplifier nodes to the far ROADM, as
    :func:`controller.assemble.assemble` does, and names the chain after the inventory's
    fibre between those two ROADMs.
    """
    nbrs = result.neighbours()
    amps = result.passthrough()
    by_pair: dict[frozenset[str], str] = {}
    for f in result.inventory.fibres:
        by_pair.setdefault(frozenset((f.a, f.b)), f.id)
    roadms = {r.id for r in result.inventory.roadms}
    out: dict[Port, str] = {}
    for start in sorted((p for p in nbrs if p.device in roadms), key=lambda p: (p.device, p.port)):
        chain = [start]
        cur = nbrs.get(start)
        while cur is not None and cur.device in amps and len(chain) < 128:
            chain.append(cur)
            nxt = [p for p in nbrs if p.device == cur.device and p.port != cur.port]
            if len(nxt) != 1:
                cur = None
                break
            chain.append(nxt[0])
            cur = nbrs.get(nxt[0])
        if cur is None or cur.device not in roadms or cur.device == start.device:
            continue
        fid = by_pair.get(frozenset((start.device, cur.device)))
        if fid is not None:
            for p in (*chain, cur):
                out[p] = fid
    return out


def _cross_connects(facts: DeviceFacts) -> list[tuple[str, str]]:
    """(lightpath name, port) of every cross-connect end on a device."""
    out = []
    for m in facts.media_channels:
        name = m.name or f"media-channel-{m.index}"
        out += [(name, p) for p in (m.source_port, m.dest_port) if p]
    for lp in facts.lightpaths:
        out += [(lp.id, lp.source_port), (lp.id, lp.destination_port)]
    return out


@dataclass(frozen=True)
class LiveNetwork:
    """A discovery plus the events since (see the module docstring)."""

    discovery: DiscoveryResult
    down_ports: frozenset[Port] = frozenset()
    active_alarms: frozenset[tuple[str, str, str]] = frozenset()  # (device, kind, target)
    changed: frozenset[str] = frozenset()
    events: int = 0
    _ports: dict[Port, str] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_discovery(cls, result: DiscoveryResult) -> LiveNetwork:
        """The live view right after ``result``."""
        return cls(result, _ports=fibre_ports(result))

    def apply(self, ev: DeviceEvent) -> LiveNetwork:
        """The state after ``ev`` (unknown devices and kinds only count as events)."""
        n = self.events + 1
        if ev.kind in ("port-down", "port-up") and ev.target:
            p = Port(ev.device, ev.target)
            down = self.down_ports | {p} if ev.kind == "port-down" else self.down_ports - {p}
            return replace(self, down_ports=frozenset(down), events=n)
        alarm_kinds = {
            "amplifier-alarm": ("amplifier", True),
            "amplifier-clear": ("amplifier", False),
            "loss-of-signal": ("los", True),
            "signal-restored": ("los", False),
        }
        if ev.kind in alarm_kinds and ev.target:
            kind, on = alarm_kinds[ev.kind]
            key = (ev.device, kind, ev.target)
            alarms = self.active_alarms | {key} if on else self.active_alarms - {key}
            return replace(self, active_alarms=frozenset(alarms), events=n)
        if ev.kind in ("config-changed", "session-restored"):
            return replace(self, changed=self.changed | {ev.device}, events=n)
        return replace(self, events=n)

    def fibres_down(self) -> tuple[str, ...]:
        """Ids of the fibres with a dark port on their chain, sorted."""
        return tuple(sorted({self._ports[p] for p in self.down_ports if p in self._ports}))

    def lightpaths_at_risk(self) -> tuple[AtRisk, ...]:
        """Lightpaths with a cross-connect on a dark port or on a down fibre's end port."""
        down = set(self.fibres_down())
        hits: dict[str, tuple[str, set[str], set[Port]]] = {}
        for device, facts in sorted(self.discovery.facts.items()):
            for name, port in _cross_connects(facts):
                p = Port(device, port)
                fid = self._ports.get(p)
                if p not in self.down_ports and fid not in down:
                    continue
                entry = hits.setdefault(name, (device, set(), set()))
                if fid in down and fid is not None:
                    entry[1].add(fid)
                if p in self.down_ports:
                    entry[2].add(p)
        return tuple(
            AtRisk(name, dev, tuple(sorted(f)), tuple(sorted(ps, key=lambda x: (x.device, x.port))))
            for name, (dev, f, ps) in sorted(hits.items())
        )

    def inventory(self) -> Inventory:
        """The discovered inventory without the down fibres (degrees updated)."""
        inv = self.discovery.inventory
        down = set(self.fibres_down())
        if not down:
            return inv
        fibres = tuple(f for f in inv.fibres if f.id not in down)
        roadms = tuple(
            replace(r, degrees=tuple(d for d in r.degrees if d not in down)) for r in inv.roadms
        )
        amps = tuple(a for a in inv.amplifiers if a.fibre not in down)
        return replace(inv, roadms=roadms, fibres=fibres, amplifiers=amps)

    def graph(self) -> nx.Graph:
        """The discovered network's graph, every fibre edge with ``up`` True/False."""
        g = build(self.discovery.inventory)
        down = set(self.fibres_down())
        for _, _, data in g.edges(data=True):
            if data.get("kind") == "fibre":
                data["up"] = data["id"] not in down
        return g

    def alarms(self) -> tuple[tuple[str, str, str], ...]:
        """Active alarms: (device, ``amplifier`` | ``los``, target), sorted."""
        return tuple(sorted(self.active_alarms))

    def stale(self) -> tuple[str, ...]:
        """Devices to re-read (config changed, or a session lost and restored), sorted."""
        return tuple(sorted(self.changed))

    def to_json(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "ports_down": sorted(f"{p.device}:{p.port}" for p in self.down_ports),
            "fibres_down": list(self.fibres_down()),
            "lightpaths_at_risk": [a.to_json() for a in self.lightpaths_at_risk()],
            "alarms": [list(a) for a in self.alarms()],
            "stale": list(self.stale()),
        }
