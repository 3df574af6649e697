"""From lightpath intents and the devices' current state to per-device edits (pure).

Length: over 400 lines on purpose: the desired-state computation and the diff are one sans-
IO function family over the same device model.

This is the sans-IO heart of provisioning (:mod:`controller.provision` does the I/O).
The desired state of the parts fsor manages is computed for every device and diffed
against what the device has: transponder optical channels (frequency, power, mode),
ROADM media channels named ``fsor-<id>`` (one per hop, from the port facing the previous
hop to the port facing the next), and ``fsor-lightpath`` entries on conformance nodes.
Lightpaths the intents no longer hold are removed in the same edit, and the transponder
channels they held are free for the intents' new lightpaths (retuned in that edit; the
devices check the resulting configuration as a whole, so a dropped media channel and a new
one overlapping it on a port may share one edit). Applying the edits
and re-running :func:`plan_edits` on the new state yields no edits (idempotence).
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from controller.adapters import fsor_lightpath, terminal_device, wavelength_router
from controller.adapters._xml import config_document
from controller.adapters.fsor_lightpath import Lightpath
from controller.adapters.terminal_device import OpticalChannel
from controller.adapters.wavelength_router import MediaChannel
from topology.errors import InputError

__all__ = [
    "PREFIX",
    "DeviceEdit",
    "DeviceState",
    "LightpathIntent",
    "Port",
    "chain_end",
    "intent_id",
    "plan_edits",
]

PREFIX = "fsor-"
_POWER_TOL = 0.005


@dataclass(frozen=True)
class Port:
    """One end of a discovered link: device id and its port name."""

    device: str
    port: str


@dataclass(frozen=True)
class LightpathIntent:
    """A lightpath to exist: ROADM path, centre frequency/width (MHz), two transponders."""

    id: str
    path: tuple[str, ...]
    frequency_mhz: int
    transponders: tuple[str, str]
    width_mhz: int = 50_000
    power_dbm: float = 0.0
    mode: int | None = None
    workload: str | None = None


@dataclass(frozen=True)
class DeviceState:
    """What a device holds of the parts fsor manages, and which adapters it speaks."""

    device: str
    adapters: frozenset[str]
    optical_channels: tuple[OpticalChannel, ...] = ()
    media_channels: tuple[MediaChannel, ...] = ()
    lightpaths: tuple[Lightpath, ...] = ()


@dataclass(frozen=True)
class DeviceEdit:
    """The edit of one device: the ``<config>`` to send, a readable diff and a summary."""

    device: str
    config_xml: str
    diff: str
    changes: tuple[str, ...] = field(default_factory=tuple)


def intent_id(workload: str | None, path: Sequence[str], frequency_mhz: int) -> str:
    """A stable lightpath id: ``fsor-`` + 10 hex digits of (workload, path, frequency).

    >>> intent_id("w1", ["r1", "r2"], 193_100_000)
    'fsor-baa86bd308'
    """
    key = f"{workload or ''}|{'/'.join(path)}|{frequency_mhz}"
    return PREFIX + hashlib.sha1(key.encode()).hexdigest()[:10]


Neighbours = Mapping[Port, Port]


def chain_end(start: Port, nbrs: Neighbours, passthrough: frozenset[str]) -> str | None:
    """The first non-passthrough device reached from local port ``start``."""
    cur = nbrs.get(start)
    seen = {start.device}
    for _ in range(64):  # bounded walk along amplifier chains
        if cur is None:
            return None
        if cur.device not in passthrough:
            return cur.device
        if cur.device in seen:
            return None
        seen.add(cur.device)
        nxt = [
            r
            for loc, r in nbrs.items()
            if loc.device == cur.device and loc.port != cur.port and r.device not in seen
        ]
        if len(nxt) != 1:
            return None
        cur = nxt[0]
    return None


def _port_towards(
    device: str,
    target: str,
    nbrs: Neighbours,
    passthrough: frozenset[str],
    prefer: Port | None = None,
) -> str | None:
    """The port of ``device`` leading to ``target`` (the one wired to ``prefer`` if several)."""
    ports = sorted(
        loc.port
        for loc in nbrs
        if loc.device == device and chain_end(loc, nbrs, passthrough) == target
    )
    for port in ports:
        if prefer is not None and nbrs.get(Port(device, port)) == prefer:
            return port
    return ports[0] if ports else None


def _need_port(
    device: str, target: str, nbrs: Neighbours, passthrough: frozenset[str], prefer: Port | None
) -> str:
    port = _port_towards(device, target, nbrs, passthrough, prefer)
    if port is None:
        raise InputError(
            "plan",
            f"lightpath hop {device}->{target}",
            target,
            f"expected a discovered link from {device} towards {target}",
        )
    return port


Allocation = dict[str, dict[int, tuple[OpticalChannel, LightpathIntent]]]


def _allocate(
    states: Mapping[str, DeviceState],
    intents: Sequence[LightpathIntent],
    nbrs: Neighbours,
    passthrough: frozenset[str],
) -> Allocation:
    """Per transponder: frequency → (optical channel to carry it, intent).

    A channel already tuned to the frequency is reused (idempotence); otherwise the first
    free channel (by name) whose line port leads to the lightpath's end ROADM. Channels
    held by ``fsor-*`` lightpaths that ``intents`` drop count as free (after the truly free
    ones): they are retuned in the same edit instead of being released.
    """
    out: Allocation = {}
    for t in sorted({t for it in intents for t in it.transponders}):
        st = states.get(t)
        if st is None or "terminal_device" not in st.adapters:
            raise InputError(
                "plan", "lightpaths[].transponders", t, "expected a discovered transponder"
            )
        by_freq = {o.frequency_mhz: o for o in st.optical_channels if o.in_use}
        wanted = {i.frequency_mhz for i in intents if t in i.transponders}
        droppable = _managed_frequencies(st, nbrs, states) - wanted
        free = sorted(
            (o for o in st.optical_channels if not o.in_use or o.frequency_mhz in droppable),
            key=lambda o: (o.in_use, o.component),
        )
        for it in sorted((i for i in intents if t in i.transponders), key=lambda i: i.id):
            roadm = it.path[0] if t == it.transponders[0] else it.path[-1]
            och = by_freq.get(it.frequency_mhz)
            if och is None:
                fit = [
                    o
                    for o in free
                    if o.line_port is None
                    or chain_end(Port(t, o.line_port), nbrs, passthrough) == roadm
                ]
                if not fit:
                    raise InputError(
                        "plan",
                        f"lightpaths[{it.id}].transponders",
                        t,
                        f"expected a transponder with a free optical channel towards {roadm}",
                    )
                och = fit[0]
                free.remove(och)
            out.setdefault(t, {})[it.frequency_mhz] = (och, it)
    return out


def _desired(
    states: Mapping[str, DeviceState],
    intents: Sequence[LightpathIntent],
    nbrs: Neighbours,
    passthrough: frozenset[str],
) -> tuple[dict[str, dict[str, MediaChannel | Lightpath]], Allocation]:
    """Per ROADM-ish device: name → entry; per transponder: the allocation."""
    xc: dict[str, dict[str, MediaChannel | Lightpath]] = {}
    alloc = _allocate(states, intents, nbrs, passthrough)
    for it in intents:
        a, z = it.transponders
        hops = [a, *it.path, z]
        ends = {
            1: _line(alloc[a][it.frequency_mhz][0], a),
            len(hops) - 2: _line(alloc[z][it.frequency_mhz][0], z),
        }
        for i in range(1, len(hops) - 1):
            dev = hops[i]
            st = states.get(dev)
            if st is None:
                raise InputError(
                    "plan",
                    f"lightpaths[{it.id}].path",
                    dev,
                    "expected a discovered, reachable device",
                )
            src = _need_port(dev, hops[i - 1], nbrs, passthrough, ends.get(i) if i == 1 else None)
            last = len(hops) - 2
            dst = _need_port(
                dev, hops[i + 1], nbrs, passthrough, ends.get(i) if i == last else None
            )
            lo = it.frequency_mhz - it.width_mhz // 2
            hi = it.frequency_mhz + it.width_mhz // 2
            entry: MediaChannel | Lightpath
            if "wavelength_router" in st.adapters:
                entry = MediaChannel(0, it.id, lo, hi, "ENABLED", src, dst)
            elif "fsor_lightpath" in st.adapters:
                entry = Lightpath(
                    it.id,
                    it.frequency_mhz,
                    it.width_mhz,
                    src,
                    dst,
                    it.power_dbm,
                    "enabled",
                    it.workload,
                )
            else:
                raise InputError(
                    "plan",
                    f"lightpaths[{it.id}].path",
                    dev,
                    "expected a ROADM (wavelength-router or fsor-lightpath)",
                )
            xc.setdefault(dev, {})[it.id] = entry
    return xc, alloc


def _line(och: OpticalChannel, transponder: str) -> Port | None:
    return None if och.line_port is None else Port(transponder, och.line_port)


def _same_mc(a: MediaChannel, b: MediaChannel) -> bool:
    return (a.name, a.lower_mhz, a.upper_mhz, a.source_port, a.dest_port) == (
        b.name,
        b.lower_mhz,
        b.upper_mhz,
        b.source_port,
        b.dest_port,
    )


def _same_lp(a: Lightpath, b: Lightpath) -> bool:
    pa, pb = a.target_output_power_dbm, b.target_output_power_dbm
    power_ok = (pa is None) == (pb is None) and (pa is None or abs(pa - (pb or 0.0)) < _POWER_TOL)
    return power_ok and (a.frequency_mhz, a.width_mhz, a.source_port, a.destination_port) == (
        b.frequency_mhz,
        b.width_mhz,
        b.source_port,
        b.destination_port,
    )


def _same_och(cur: OpticalChannel, it: LightpathIntent) -> bool:
    p = cur.target_output_power_dbm
    return (
        cur.frequency_mhz == it.frequency_mhz
        and p is not None
        and abs(p - it.power_dbm) < _POWER_TOL
        and (it.mode is None or cur.operational_mode == it.mode)
    )


def _diff(device: str, before: str, after: str) -> str:
    lines = difflib.unified_diff(
        before.splitlines(),
        after.splitlines(),
        f"{device} (running)",
        f"{device} (planned)",
        lineterm="",
    )
    return "\n".join(lines)


def _managed_frequencies(
    st: DeviceState, nbrs: Neighbours, states: Mapping[str, DeviceState]
) -> set[int]:
    """Frequencies of fsor cross-connects on ROADMs adjacent to transponder ``st``."""
    out: set[int] = set()
    for local, remote in nbrs.items():
        if local.device != st.device or remote.device not in states:
            continue
        r = states[remote.device]
        for mc in r.media_channels:
            if (mc.name or "").startswith(PREFIX) and remote.port in (mc.source_port, mc.dest_port):
                out.add((mc.lower_mhz + mc.upper_mhz) // 2)
        for lp in r.lightpaths:
            if lp.id.startswith(PREFIX) and remote.port in (lp.source_port, lp.destination_port):
                out.add(lp.frequency_mhz)
    return out


def plan_edits(
    states: Mapping[str, DeviceState],
    intents: Sequence[LightpathIntent],
    neighbours: Neighbours,
    passthrough: frozenset[str] = frozenset(),
) -> dict[str, DeviceEdit]:
    """Per-device edits turning ``states`` into the state ``intents`` ask for.

    ``neighbours`` maps each discovered (device, port) to the (device, port) at the other
    end; ``passthrough`` devices (amplifiers) are walked through when looking for the port
    that faces a hop. Devices needing no change are absent from the result.
    """
    xc, och = _desired(states, intents, neighbours, passthrough)
    edits: dict[str, DeviceEdit] = {}
    for dev in sorted(states):
        st = states[dev]
        frags, before, after, changes = [], [], [], []
        want = xc.get(dev, {})
        # media channels (ROADMs)
        cur_mc = {
            str(mc.name): mc for mc in st.media_channels if (mc.name or "").startswith(PREFIX)
        }
        used = {mc.index for mc in st.media_channels}
        set_mc: list[MediaChannel] = []
        for name, e in sorted(want.items()):
            if not isinstance(e, MediaChannel):
                continue
            old = cur_mc.get(name)
            if old is not None and _same_mc(old, e):
                continue
            index = old.index if old is not None else min(set(range(1, len(used) + 2)) - used)
            used.add(index)
            set_mc.append(_with_index(e, index))
            changes.append(f"{'replace' if old else 'add'} media-channel {name}")
        del_mc = sorted(mc.index for n, mc in cur_mc.items() if n not in want)
        changes += [f"delete media-channel {n}" for n in sorted(cur_mc) if n not in want]
        if set_mc or del_mc:
            frags += wavelength_router.edit_fragments(set_mc, del_mc)
            before += wavelength_router.edit_fragments(list(cur_mc.values()))
            after += wavelength_router.edit_fragments(
                [
                    *[
                        m
                        for n, m in cur_mc.items()
                        if n in want and m.index not in {s.index for s in set_mc}
                    ],
                    *set_mc,
                ]
            )
        # fsor-lightpath entries (conformance nodes)
        cur_lp = {lp.id: lp for lp in st.lightpaths if lp.id.startswith(PREFIX)}
        set_lp = [
            e
            for n, e in sorted(want.items())
            if isinstance(e, Lightpath) and not (n in cur_lp and _same_lp(cur_lp[n], e))
        ]
        del_lp = sorted(n for n in cur_lp if n not in want)
        if set_lp or del_lp:
            frags += fsor_lightpath.edit_fragments(set_lp, del_lp)
            before += fsor_lightpath.edit_fragments(list(cur_lp.values()))
            kept = [lp for n, lp in cur_lp.items() if n in want and lp not in set_lp]
            after += fsor_lightpath.edit_fragments([*kept, *set_lp])
            changes += [f"set lightpath {e.id}" for e in set_lp]
            changes += [f"delete lightpath {n}" for n in del_lp]
        # optical channels (transponders)
        if "terminal_device" in st.adapters:
            w = och.get(dev, {})
            managed = _managed_frequencies(st, neighbours, states)
            by_freq = {o.frequency_mhz: o for o in st.optical_channels if o.in_use}
            set_och: list[OpticalChannel] = []
            for f, (cur, it) in sorted(w.items()):
                if cur.in_use and _same_och(cur, it):
                    continue
                set_och.append(OpticalChannel(cur.component, f, it.power_dbm, it.mode, None))
                was = (
                    f" (was {cur.frequency_mhz} MHz)" if cur.frequency_mhz not in (None, f) else ""
                )
                changes.append(f"tune {cur.component} to {f} MHz{was}")
            retuned = {o.component for o in set_och}
            drop = sorted(
                (
                    o
                    for f, o in by_freq.items()
                    if f in managed and f not in w and o.component not in retuned
                ),
                key=lambda o: o.component,
            )
            changes += [f"free {o.component}" for o in drop]
            if set_och or drop:
                frags += terminal_device.edit_fragments(set_och, drop)
                touched = {o.component for o in set_och} | {o.component for o in drop}
                before += terminal_device.edit_fragments(
                    [o for o in st.optical_channels if o.component in touched and o.in_use]
                )
                after += terminal_device.edit_fragments(set_och)
        if frags:
            edits[dev] = DeviceEdit(
                dev,
                config_document(frags),
                _diff(dev, config_document(before), config_document(after)),
                tuple(changes),
            )
    return edits


def _with_index(mc: MediaChannel, index: int) -> MediaChannel:
    return MediaChannel(
        index, mc.name, mc.lower_mhz, mc.upper_mhz, mc.admin_status, mc.source_port, mc.dest_port
    )
