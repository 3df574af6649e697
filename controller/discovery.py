"""Discovery: ask every device concurrently what it is and build the inventory.

One ``<get>`` per device (a subtree filter holding the models its hello announces),
parsed by the adapters, assembled by :func:`controller.assemble.assemble`. A device that
does not answer, times out or answers garbage is reported unreachable with the reason
and the rest of the network is still assembled: never a crash, never silent.

>>> "<lldp " in device_filter(frozenset({"lldp", "platform"}))
True
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from controller.adapters import (
    fsor_lightpath,
    lldp,
    optical_amplifier,
    platform,
    terminal_device,
    wavelength_router,
)
from controller.adapters.capabilities import adapters_for
from controller.assemble import DeviceFacts, LinkReport, assemble, link_reports, neighbour_map
from controller.edits import DeviceState, Port
from controller.seed import DeviceSeed, Seed
from controller.session import SessionOptions, SessionPool
from topology.errors import FsorError, InputError
from topology.model import Inventory

__all__ = [
    "DeviceReport",
    "DiscoveryResult",
    "device_filter",
    "discover",
    "load_metadata",
    "read_device",
]

log = logging.getLogger("fsor.discovery")

_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class DeviceReport:
    """One device as discovery saw it; ``reason`` says why it is unreachable or stale."""

    id: str
    kind: str
    reachable: bool
    reason: str | None = None
    power_w: float | None = None
    adapters: tuple[str, ...] = ()
    ports: tuple[str, ...] = ()
    channels_in_use_thz: tuple[float, ...] = ()
    elapsed_s: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "reachable": self.reachable,
            "reason": self.reason,
            "power_w": self.power_w,
            "adapters": list(self.adapters),
            "ports": list(self.ports),
            "channels_in_use_thz": list(self.channels_in_use_thz),
        }


@dataclass(frozen=True)
class DiscoveryResult:
    """The inventory of the reachable part, a report per device, the links, raw facts."""

    inventory: Inventory
    devices: tuple[DeviceReport, ...]
    links: tuple[LinkReport, ...]
    facts: Mapping[str, DeviceFacts] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    elapsed_s: float = 0.0

    def device(self, device_id: str) -> DeviceReport:
        """The report of ``device_id`` (KeyError if absent)."""
        for d in self.devices:
            if d.id == device_id:
                return d
        raise KeyError(device_id)

    def neighbours(self) -> dict[Port, Port]:
        """(device, port) → (device, port) of every discovered link."""
        return neighbour_map(self.links)

    def states(self) -> dict[str, DeviceState]:
        """Provisioning view of every reachable device."""
        return {d: f.state() for d, f in self.facts.items()}

    def passthrough(self) -> frozenset[str]:
        """Devices a lightpath passes without configuration (amplifiers)."""
        return frozenset(d for d, f in self.facts.items() if f.kind == "amplifier")

    def to_json(self) -> dict[str, Any]:
        inv = self.inventory
        return {
            "name": inv.name,
            "devices": [d.to_json() for d in self.devices],
            "links": [ln.to_json() for ln in self.links],
            "inventory": {
                "roadms": [r.id for r in inv.roadms],
                "transponders": [{"id": t.id, "roadm": t.roadm} for t in inv.transponders],
                "amplifiers": [{"id": a.id, "fibre": a.fibre} for a in inv.amplifiers],
                "fibres": [
                    {
                        "id": f.id,
                        "a": f.a,
                        "b": f.b,
                        "length_km": f.length_km,
                        "spans": f.spans,
                        "occupied": sorted(f.occupied),
                    }
                    for f in inv.fibres
                ],
                "sites": [{"id": s.id, "roadm": s.roadm, "region": s.region} for s in inv.sites],
            },
            "notes": list(self.notes),
            "elapsed_s": round(self.elapsed_s, 4),
        }


_NS = {
    "lldp": lldp.NS,
    "platform": platform.NS,
    "terminal_device": terminal_device.NS,
    "wavelength_router": wavelength_router.NS,
    "optical_amplifier": optical_amplifier.NS,
    "fsor_lightpath": fsor_lightpath.NS,
}


def device_filter(adapters: frozenset[str]) -> str:
    """One subtree filter for every model in ``adapters`` (what discovery reads)."""
    parts = []
    if "lldp" in adapters:
        parts.append(f'<lldp xmlns="{lldp.NS}"/>')
    if "platform" in adapters or "terminal_device" in adapters:
        och = (
            f'<optical-channel xmlns="{terminal_device.NS}"/>'
            if "terminal_device" in adapters
            else ""
        )
        extra = "<state/><properties/>" if "platform" in adapters else ""
        parts.append(
            f'<components xmlns="{platform.NS}"><component><name/>{extra}{och}'
            "</component></components>"
        )
    if "wavelength_router" in adapters:
        parts.append(
            f'<wavelength-router xmlns="{wavelength_router.NS}"><media-channels/>'
            "</wavelength-router>"
        )
    if "optical_amplifier" in adapters:
        parts.append(
            f'<optical-amplifier xmlns="{optical_amplifier.NS}"><amplifiers/></optical-amplifier>'
        )
    if "fsor_lightpath" in adapters:
        parts.append(f'<lightpaths xmlns="{fsor_lightpath.NS}"/>')
    body = "".join(parts)
    return f'<filter xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" type="subtree">{body}</filter>'


def parse_device(device: str, role: str, adapters: frozenset[str], reply: str) -> DeviceFacts:
    """Facts from one discovery ``<get>`` reply (pure)."""
    info = lldp.parse_lldp(device, reply) if "lldp" in adapters else None
    return DeviceFacts(
        id=device,
        role=role,
        adapters=adapters,
        system_name=info.system_name if info else None,
        components=platform.parse_components(device, reply) if "platform" in adapters else (),
        neighbours=info.neighbours if info else (),
        optical_channels=(
            terminal_device.parse_optical_channels(device, reply)
            if "terminal_device" in adapters
            else ()
        ),
        media_channels=(
            wavelength_router.parse_media_channels(device, reply)
            if "wavelength_router" in adapters
            else ()
        ),
        amplifiers=(
            optical_amplifier.parse_amplifiers(device, reply)
            if "optical_amplifier" in adapters
            else ()
        ),
        lightpaths=(
            fsor_lightpath.parse_lightpaths(device, reply) if "fsor_lightpath" in adapters else ()
        ),
    )


async def read_device(pool: SessionPool, seed: DeviceSeed) -> DeviceFacts:
    """Capabilities, then one ``<get>``; raises :class:`DeviceError` on any failure."""
    caps = await pool.capabilities(seed.id)
    adapters = adapters_for(caps)
    reply = await pool.get(seed.id, device_filter(adapters))
    # parsed in a thread: a running controller's event loop must not stall on 50 replies
    return await asyncio.to_thread(parse_device, seed.id, seed.role, adapters, reply)


def load_metadata(path: Path | None) -> dict[str, Any]:
    """The lab's site/fibre metadata (YAML); {} when there is none."""
    if path is None:
        return {}
    try:
        # libyaml's loader when built with it: the pure-Python one cost ~0.2 s per discovery
        doc = yaml.load(path.read_text(), Loader=_SafeLoader)
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(str(path), "file", str(path), f"expected readable YAML ({exc})") from exc
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise InputError(str(path), "(document)", type(doc).__name__, "expected a mapping")
    return doc


def _report(
    seed: DeviceSeed, facts: DeviceFacts | None, reason: str | None, dt: float
) -> DeviceReport:
    if facts is None:
        return DeviceReport(seed.id, seed.role or "unknown", False, reason, elapsed_s=dt)
    if facts.system_name is not None and facts.system_name != seed.id:
        reason = f"stale: device reports system-name {facts.system_name!r}"
    used = sorted(
        {round((m.lower_mhz + m.upper_mhz) / 2e6, 6) for m in facts.media_channels}
        | {o.frequency_mhz / 1e6 for o in facts.optical_channels if o.frequency_mhz}
        | {lp.frequency_mhz / 1e6 for lp in facts.lightpaths}
    )
    ports = sorted({n.local_port for n in facts.neighbours})
    return DeviceReport(
        seed.id,
        facts.kind,
        True,
        reason,
        facts.power_w,
        tuple(sorted(facts.adapters)),
        tuple(ports),
        tuple(used),
        dt,
    )


async def discover(
    seed: Seed,
    options: SessionOptions | None = None,
    *,
    pool: SessionPool | None = None,
    device_timeout_s: float = 20.0,
    concurrency: int | None = None,
) -> DiscoveryResult:
    """Discover every device of ``seed`` (concurrently; ``concurrency=1`` for sequential).

    Uses ``pool`` when given (sessions stay open for a following transaction), else opens
    its own and closes each session as soon as its device is read (an open ncclient
    session polls its transport every TICK, which would tax the devices still to read).
    Host keys are checked against ``seed.known_hosts`` unless
    ``options.insecure_hostkeys``.
    """
    started = time.perf_counter()
    opts = options or SessionOptions(known_hosts=seed.known_hosts)
    if opts.known_hosts is None and seed.known_hosts is not None:
        from dataclasses import replace

        opts = replace(opts, known_hosts=seed.known_hosts)
    own = pool is None
    the_pool = pool or SessionPool([d.endpoint for d in seed.devices], opts)
    limit = asyncio.Semaphore(concurrency or max(1, len(seed.devices)))

    async def one(d: DeviceSeed) -> tuple[DeviceSeed, DeviceFacts | None, str | None, float]:
        async with limit:
            t0 = time.perf_counter()
            try:
                facts = await asyncio.wait_for(read_device(the_pool, d), device_timeout_s)
                if own:  # nobody keeps this pool: close now, not idle-poll until the last device
                    with contextlib.suppress(TimeoutError):  # closing is best effort
                        await asyncio.wait_for(the_pool.disconnect(d.id), device_timeout_s)
                return d, facts, None, time.perf_counter() - t0
            except TimeoutError:
                reason = f"unreachable: no answer within {device_timeout_s:g} s"
            except FsorError as exc:
                reason = f"unreachable: {exc}"
            log.warning("%s: %s", d.id, reason)
            return d, None, reason, time.perf_counter() - t0

    try:
        results = await asyncio.gather(*(one(d) for d in seed.devices))
    finally:
        if own:
            await the_pool.close()
    def build() -> DiscoveryResult:
        facts = {d.id: f for d, f, _, _ in results if f is not None}
        reports = tuple(_report(d, f, r, dt) for d, f, r, dt in results)
        links = link_reports(facts)
        meta = load_metadata(seed.metadata)
        inv, notes = assemble(seed.name, facts, links, meta, str(seed.metadata or "metadata"))
        return DiscoveryResult(inv, reports, links, facts, notes, time.perf_counter() - started)

    return await asyncio.to_thread(build)  # CPU work off the event loop
