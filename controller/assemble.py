"""Discovered device facts → :class:`topology.Inventory` and link list (pure).

ROADMs (wavelength-router or fsor-lightpath devices) become :class:`~topology.Roadm`;
chains ROADM—amplifier…—ROADM seen through LLDP become one :class:`~topology.Fibre`
(length and spans from the amplifier's CHASSIS properties ``length-km``/``spans``/
``amplifiers``, else from the lab metadata, else unknown → 0 km with a note); transponders
attach to the ROADM their line ports reach; media channels crossing a fibre's end ports
mark its channels occupied. Sites come from the metadata only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from controller.adapters.fsor_lightpath import Lightpath
from controller.adapters.lldp import Neighbour
from controller.adapters.optical_amplifier import Amplifier as AmpState
from controller.adapters.platform import Component, total_power_w
from controller.adapters.terminal_device import OpticalChannel
from controller.adapters.wavelength_router import MediaChannel
from controller.edits import DeviceState, Port
from topology.errors import InputError
from topology.model import Amplifier, ChannelGrid, Fibre, Inventory, Roadm, Site, Transponder

__all__ = ["DeviceFacts", "LinkReport", "assemble", "link_reports", "neighbour_map"]


@dataclass(frozen=True)
class DeviceFacts:
    """Everything one reachable device said, parsed."""

    id: str
    role: str
    adapters: frozenset[str]
    system_name: str | None = None
    components: tuple[Component, ...] = ()
    neighbours: tuple[Neighbour, ...] = ()
    optical_channels: tuple[OpticalChannel, ...] = ()
    media_channels: tuple[MediaChannel, ...] = ()
    amplifiers: tuple[AmpState, ...] = ()
    lightpaths: tuple[Lightpath, ...] = field(default_factory=tuple)

    @property
    def kind(self) -> str:
        """roadm, transponder, amplifier or conformance (a fsor-lightpath ROADM-like node)."""
        if self.role in ("roadm", "transponder", "amplifier", "conformance"):
            return self.role
        if self.amplifiers or "optical_amplifier" in self.adapters:
            return "amplifier" if not self.optical_channels else "transponder"
        if self.optical_channels:
            return "transponder"
        if "wavelength_router" in self.adapters:
            return "roadm"
        if "fsor_lightpath" in self.adapters:
            return "conformance"
        return "unknown"

    @property
    def power_w(self) -> float | None:
        """Electrical draw reported by the platform components (None if not reported)."""
        return total_power_w(self.components)

    def state(self) -> DeviceState:
        """The provisioning view of this device."""
        return DeviceState(
            self.id, self.adapters, self.optical_channels, self.media_channels, self.lightpaths
        )


@dataclass(frozen=True)
class LinkReport:
    """A physical link seen by LLDP (from either end); a < b by (device, port)."""

    a: str
    a_port: str | None
    b: str
    b_port: str | None

    def to_json(self) -> dict[str, Any]:
        return {"a": self.a, "a_port": self.a_port, "b": self.b, "b_port": self.b_port}


def link_reports(facts: Mapping[str, DeviceFacts]) -> tuple[LinkReport, ...]:
    """Distinct links from every device's LLDP neighbours (one entry per physical link)."""
    seen: dict[tuple[tuple[str, str | None], ...], LinkReport] = {}
    for f in facts.values():
        for nb in f.neighbours:
            ends = sorted([(f.id, nb.local_port), (nb.system_name, nb.port_id)], key=str)
            key = tuple(ends)
            if key in seen:
                continue
            # the other end may report the link with a port this end does not know
            alt = [
                k
                for k in seen
                if {k[0][0], k[1][0]} == {f.id, nb.system_name} and (f.id, nb.local_port) in k
            ]
            if alt:
                continue
            (a, ap), (b, bp) = ends
            seen[key] = LinkReport(a, ap, b, bp)
    return tuple(sorted(seen.values(), key=lambda r: (r.a, str(r.a_port), r.b, str(r.b_port))))


def neighbour_map(links: Sequence[LinkReport]) -> dict[Port, Port]:
    """(device, port) → (device, port) both ways, for links whose ports are known."""
    out: dict[Port, Port] = {}
    for ln in links:
        if ln.a_port is None or ln.b_port is None:
            continue
        out[Port(ln.a, ln.a_port)] = Port(ln.b, ln.b_port)
        out[Port(ln.b, ln.b_port)] = Port(ln.a, ln.a_port)
    return out


def _num(meta: Mapping[str, Any], key: str, default: float | None, src: str) -> float | None:
    v = meta.get(key, default)
    if v is None:
        return None
    try:
        return float(v)
    except (TypeError, ValueError) as exc:
        raise InputError(src, key, v, "expected a number") from exc


def _sites(metadata: Mapping[str, Any], roadms: set[str], src: str) -> tuple[Site, ...]:
    raw = metadata.get("sites") or []
    items = list(raw.items()) if isinstance(raw, Mapping) else [(s.get("id"), s) for s in raw]
    out = []
    for sid, s in items:
        if not isinstance(s, Mapping) or not sid:
            raise InputError(src, "sites", s, "expected site entries with an id")
        roadm = str(s.get("roadm", ""))
        if roadm not in roadms:
            continue  # its ROADM is not (yet) discovered: no site without its node
        out.append(
            Site(
                id=str(sid),
                roadm=roadm,
                region=str(s.get("region", "")),
                pue=_num(s, "pue", 1.2, f"{src}: sites.{sid}") or 1.2,
                wue_l_per_kwh=_num(s, "wue_l_per_kwh", 1.8, f"{src}: sites.{sid}") or 1.8,
                power_cap_kw=_num(s, "power_cap_kw", None, f"{src}: sites.{sid}"),
                water_cap_l_per_day=_num(s, "water_cap_l_per_day", None, f"{src}: sites.{sid}"),
                name=str(s.get("name", "")),
            )
        )
    return tuple(out)


def _fibre_meta(metadata: Mapping[str, Any], a: str, b: str) -> Mapping[str, Any]:
    raw = metadata.get("fibres") or metadata.get("links") or []
    items = raw.values() if isinstance(raw, Mapping) else raw
    for f in items:
        if isinstance(f, Mapping) and {str(f.get("a")), str(f.get("b"))} == {a, b}:
            return f
    return {}


def _walk(start: Port, nbrs: Mapping[Port, Port], amps: set[str]) -> tuple[str | None, list[str]]:
    """The ROADM reached from ``start`` and the amplifier devices passed on the way."""
    passed: list[str] = []
    cur = nbrs.get(start)
    for _ in range(64):
        if cur is None:
            return None, passed
        if cur.device not in amps:
            return cur.device, passed
        if cur.device in passed:
            return None, passed
        passed.append(cur.device)
        nxt = [r for loc, r in nbrs.items() if loc.device == cur.device and loc.port != cur.port]
        cur = nxt[0] if len(nxt) == 1 else None
    return None, passed


def assemble(
    name: str,
    facts: Mapping[str, DeviceFacts],
    links: Sequence[LinkReport],
    metadata: Mapping[str, Any] | None = None,
    metadata_source: str = "metadata",
) -> tuple[Inventory, tuple[str, ...]]:
    """The inventory of the reachable devices, plus notes on what had to be approximated."""
    meta = metadata or {}
    notes: list[str] = []
    nbrs = neighbour_map(links)
    kinds = {d: f.kind for d, f in facts.items()}
    roadm_ids = {d for d, k in kinds.items() if k in ("roadm", "conformance")}
    amp_ids = {d for d, k in kinds.items() if k == "amplifier"}
    grid = ChannelGrid()
    fibres: dict[str, Fibre] = {}
    fibre_ports: dict[str, list[Port]] = {}
    amp_on: dict[str, str] = {}
    for r in sorted(roadm_ids):
        for loc in sorted((p for p in nbrs if p.device == r), key=lambda p: p.port):
            other, passed = _walk(loc, nbrs, amp_ids)
            if other is None or other not in roadm_ids or other == r:
                continue
            key = (min(r, other), max(r, other))
            fm = _fibre_meta(meta, r, other)
            fid = str(fm.get("id") or (f"{key[0]}~{key[1]}" + (f"~{passed[0]}" if passed else "")))
            fibre_ports.setdefault(fid, []).append(loc)
            if fid in fibres:
                continue
            length, spans, n_amp = None, 1, 0
            for amp in passed:
                chassis = [c for c in facts[amp].components if c.type == "CHASSIS"]
                props = dict(chassis[0].properties) if chassis else {}
                if "length-km" in props:
                    length = (length or 0.0) + float(props["length-km"])
                spans = max(spans, int(float(props.get("spans", 1))))
                n_amp += int(float(props.get("amplifiers", len(facts[amp].amplifiers) or 1)))
                amp_on[amp] = fid
            if length is None:
                length = _num(fm, "length_km", None, f"{metadata_source}: fibres {r}-{other}")
            if length is None:
                notes.append(f"fibre {fid}: length unknown (no amplifier property, no metadata)")
                length = 0.0
            spans = int(_num(fm, "spans", spans, metadata_source) or spans)
            fibres[fid] = Fibre(fid, key[0], key[1], length, spans, n_amp, grid)
    # occupancy: fsor or foreign media channels on a fibre's end ports
    occupied: dict[str, set[int]] = {}
    for fid, ports in fibre_ports.items():
        for p in ports:
            f = facts[p.device]
            centres = [
                (m.lower_mhz + m.upper_mhz) // 2
                for m in f.media_channels
                if p.port in (m.source_port, m.dest_port)
            ]
            centres += [
                lp.frequency_mhz
                for lp in f.lightpaths
                if p.port in (lp.source_port, lp.destination_port)
            ]
            for c in centres:
                try:
                    occupied.setdefault(fid, set()).add(grid.channel_of(c / 1e6))
                except InputError:
                    notes.append(f"fibre {fid}: channel at {c} MHz is off the 50 GHz grid")
    fib = tuple(
        Fibre(
            f.id,
            f.a,
            f.b,
            f.length_km,
            f.spans,
            f.amplifiers,
            f.grid,
            frozenset(occupied.get(f.id, set())),
        )
        for f in sorted(fibres.values(), key=lambda f: f.id)
    )
    degrees = {r: tuple(f.id for f in fib if r in (f.a, f.b)) for r in roadm_ids}
    for r in sorted(roadm_ids):
        if kinds[r] == "conformance" and not degrees[r]:
            roadm_ids.discard(r)  # a conformance node wired to nothing is not part of the graph
            notes.append(f"{r}: conformance node without fibres; not in the inventory")
    regions = {str(s.get("roadm")): str(s.get("region", "")) for s in _site_list(meta)}
    rmeta = {str(x.get("id")): x for x in meta.get("roadms") or [] if isinstance(x, Mapping)}
    roadms = tuple(
        Roadm(
            r,
            degrees[r],
            region=str(rmeta.get(r, {}).get("region") or regions.get(r, "")),
            lat=_num(rmeta.get(r, {}), "lat", None, metadata_source),
            lon=_num(rmeta.get(r, {}), "lon", None, metadata_source),
        )
        for r in sorted(roadm_ids)
    )
    trx = []
    for t in sorted(d for d, k in kinds.items() if k == "transponder"):
        ends: set[str] = set()
        for loc in [p for p in nbrs if p.device == t]:
            end = _walk(loc, nbrs, amp_ids)[0]
            if end is not None and end in roadm_ids:
                ends.add(end)
        if not ends:
            notes.append(f"transponder {t}: no ROADM neighbour discovered; left out")
            continue
        trx.append(
            Transponder(t, sorted(ends)[0], line_ports=max(1, len(facts[t].optical_channels)))
        )
    amps = tuple(
        Amplifier(
            f"{a}:{st.name}",
            amp_on[a],
            gain_db=st.target_gain_db or 20.0,
            power_w=_amp_power(facts[a], st.name),
        )
        for a in sorted(amp_ids)
        if a in amp_on
        for st in facts[a].amplifiers
    )
    inv = Inventory(name, roadms, tuple(trx), amps, _sites(meta, roadm_ids, metadata_source), fib)
    return inv, tuple(notes)


def _site_list(meta: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    raw = meta.get("sites") or []
    if isinstance(raw, Mapping):
        return [v for v in raw.values() if isinstance(v, Mapping)]
    return [s for s in raw if isinstance(s, Mapping)]


def _amp_power(f: DeviceFacts, name: str) -> float | None:
    """``used-power`` of the platform component named like the amplifier, if reported."""
    for c in f.components:
        if c.name == name and c.used_power_w is not None:
            return c.used_power_w
    return None
