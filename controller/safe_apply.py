"""Apply lightpath intents safely: checked before the wire, diffed under the locks, recorded.

The order is the safety argument:

1. the intents are checked against the discovered network (:mod:`controller.validate`:
   ranges, grid, band, loops, hops, transponder ends) -- nothing is locked yet;
2. a device the intents need that is unreachable aborts;
3. the candidate datastore of EVERY managed device is locked (waiting up to
   ``lock_wait_s`` for another controller to finish), and only then is the running state
   read: a concurrent apply cannot slip between the read and the edit;
4. lightpaths on the devices that the intents drop are removals: any removal with an
   unreachable managed device aborts (it may hold a part of them), and more removals
   than ``allow_removals`` need ``yes`` -- except those the plan itself ends (lightpaths
   of its other slots, ``planned``);
5. spectrum is checked against what the devices carry; every per-device payload is
   checked against the YANG models;
6. the edits go out as one confirmed-commit transaction (:func:`controller.provision.transact`),
   recorded in the store with the state they replace (for ``fsor rollback``).
"""

from __future__ import annotations

import asyncio
import getpass
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from controller.discovery import DiscoveryResult
from controller.edits import PREFIX, DeviceEdit, DeviceState, LightpathIntent, plan_edits
from controller.provision import ApplyResult, read_states, transact
from controller.restore import restore_edits, state_from_json, state_to_json
from controller.session import SessionPool
from controller.store import TransactionStore
from controller.validate import (
    BAND_MHZ,
    check_grid,
    check_paths,
    check_ranges,
    check_spectrum,
    roadm_ports,
)
from controller.validate_yang import check_payload
from topology.errors import DeviceError, InputError

__all__ = ["MANAGED", "ApplyOptions", "UnreachableError", "apply_safely", "rollback"]

log = logging.getLogger("fsor.apply")

#: adapters whose devices hold configuration fsor manages
MANAGED = frozenset({"terminal_device", "wavelength_router", "fsor_lightpath"})
_MANAGED_ROLES = frozenset({"", "roadm", "transponder", "conformance"})


class UnreachableError(DeviceError):
    """A device the transaction needs cannot be reached: nothing was changed."""


@dataclass(frozen=True)
class ApplyOptions:
    """How to apply: checks, thresholds, who is asking."""

    source: str = "plan"
    dry_run: bool = False
    confirm_timeout_s: int = 60
    allow_removals: int = 0
    yes: bool = False
    lock_wait_s: float = 60.0
    who: str = field(default_factory=getpass.getuser)
    plan_digest: str | None = None
    #: lightpath ids the plan itself ends (those of its other slots): removed without consent
    planned: frozenset[str] = frozenset()


def _band(discovery: DiscoveryResult) -> tuple[int, int]:
    lo, hi = BAND_MHZ
    for f in discovery.inventory.fibres:
        g = f.grid
        half = g.spacing_ghz * 500
        lo = max(lo, round(g.frequency_thz(0) * 1e6 - half))
        hi = min(hi, round(g.frequency_thz(g.count - 1) * 1e6 + half))
    return lo, hi


def check_static(
    intents: Sequence[LightpathIntent], discovery: DiscoveryResult, opts: ApplyOptions
) -> None:
    """Checks that need the topology but no device state."""
    inv = discovery.inventory
    check_ranges(intents, opts.source, confirm_timeout_s=None)
    check_ranges([], "--confirm-timeout", confirm_timeout_s=opts.confirm_timeout_s)
    check_grid(intents, opts.source, _band(discovery))
    down = _unreachable(discovery)
    for it in intents:
        for dev in (*it.transponders, *it.path):
            if dev in down:
                raise UnreachableError(
                    dev, f"needed by lightpath {it.workload or it.id}: {down[dev]}; nothing changed"
                )
    fibres = {frozenset((f.a, f.b)) for f in inv.fibres}
    check_paths(
        intents, opts.source, fibres=fibres, attached={t.id: t.roadm for t in inv.transponders}
    )
    check_spectrum(intents, opts.source)


def _unreachable(discovery: DiscoveryResult) -> dict[str, str]:
    """Devices that may hold managed configuration but did not answer: id -> reason."""
    return {
        d.id: d.reason or "unreachable"
        for d in discovery.devices
        if not d.reachable and d.kind in _MANAGED_ROLES | {"unknown"}
    }


async def _lock_all(pool: SessionPool, devices: Sequence[str], wait_s: float) -> None:
    """Take the pool's device locks and every candidate lock, all or none, waiting if busy."""
    for d in devices:
        await pool.device_lock(d).acquire()
    deadline = time.monotonic() + wait_s
    delay = 0.2
    try:
        while True:
            got: list[str] = []
            denied: tuple[str, Exception] | None = None
            for d in devices:  # in a fixed order: two controllers cannot deadlock
                try:
                    await pool.call(d, lambda m: m.lock(target="candidate"), retry=False)
                    got.append(d)
                except DeviceError as exc:
                    denied = (d, exc)
                    break
            if denied is None:
                return
            await _unlock(pool, got)
            if time.monotonic() + delay > deadline:
                raise DeviceError(
                    denied[0],
                    f"candidate lock not granted within {wait_s:g} s (another transaction "
                    f"holds it?): {denied[1]}; nothing was changed",
                )
            log.info("%s: candidate locked by someone else, waiting", denied[0])
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
    except BaseException:
        for d in devices:
            pool.device_lock(d).release()
        raise


async def _unlock(pool: SessionPool, devices: Sequence[str]) -> None:
    for d in devices:
        try:
            await pool.call(d, lambda m: m.unlock(target="candidate"), retry=False)
        except DeviceError as exc:  # the session dropping releases the lock anyway
            log.warning("%s: unlock failed: %s", d, exc)


async def _release(pool: SessionPool, devices: Sequence[str]) -> None:
    await _unlock(pool, devices)
    for d in devices:
        pool.device_lock(d).release()


def _managed_ids(states: Mapping[str, DeviceState]) -> set[str]:
    ids = {str(m.name) for st in states.values() for m in st.media_channels}
    ids |= {lp.id for st in states.values() for lp in st.lightpaths}
    return {i for i in ids if i.startswith(PREFIX)}


def _check_payloads(edits: Mapping[str, DeviceEdit]) -> None:
    for dev, edit in edits.items():
        check_payload(dev, edit.config_xml)


async def _record_and_push(
    pool: SessionPool,
    store: TransactionStore | None,
    edits: Mapping[str, DeviceEdit],
    states: Mapping[str, DeviceState],
    opts: ApplyOptions,
    verify: Any = None,
    rollback_of: int | None = None,
) -> tuple[dict[str, float], int | None]:
    tid = None
    if store is not None:
        tid = store.begin(
            opts.who,
            sorted(edits),
            diff={d: list(e.changes) for d, e in sorted(edits.items())},
            previous={d: state_to_json(states[d]) for d in sorted(edits)},
            plan_digest=opts.plan_digest,
            rollback_of=rollback_of,
        )
    try:
        timings = await transact(
            pool, edits, confirm_timeout_s=opts.confirm_timeout_s, verify=verify, held=True
        )
    except DeviceError:
        if store is not None and tid is not None:
            store.finish(tid, "rolled-back", {d: "rolled-back" for d in edits})
        raise
    if store is not None and tid is not None:
        store.finish(tid, "committed", {d: "committed" for d in edits})
    return timings, tid


async def apply_safely(
    pool: SessionPool,
    discovery: DiscoveryResult,
    intents: Sequence[LightpathIntent],
    opts: ApplyOptions,
    store: TransactionStore | None = None,
) -> tuple[ApplyResult, int | None]:
    """Check, lock, diff, guard, push, record; returns the result and the transaction id."""
    t0 = time.perf_counter()
    check_static(intents, discovery, opts)
    down = _unreachable(discovery)
    adapters = {d: f.adapters for d, f in discovery.facts.items() if f.adapters & MANAGED}
    devices = sorted(adapters)
    await _lock_all(pool, devices, opts.lock_wait_s)
    try:
        states = await read_states(pool, adapters)
        removals = sorted(_managed_ids(states) - {it.id for it in intents})
        if removals and down:
            raise UnreachableError(
                sorted(down)[0],
                f"the plan removes {len(removals)} lightpaths and {len(down)} managed devices "
                f"are unreachable ({', '.join(sorted(down))}): they may hold parts of them; "
                "nothing changed",
            )
        unplanned = [r for r in removals if r not in opts.planned]
        if len(unplanned) > opts.allow_removals and not opts.yes:
            raise InputError(
                opts.source,
                "lightpaths",
                unplanned,
                f"expected no more than {opts.allow_removals} removals; this plan drops "
                f"{len(unplanned)} lightpaths the devices carry that it does not schedule "
                f"(pass --allow-removals {len(unplanned)} or --yes to remove them)",
            )
        nbrs, passthrough = discovery.neighbours(), discovery.passthrough()
        roadms = {r.id for r in discovery.inventory.roadms}
        check_spectrum(
            intents, opts.source, states=states, ports=roadm_ports(nbrs, passthrough, roadms)
        )
        edits = plan_edits(states, intents, nbrs, passthrough)
        _check_payloads(edits)
        timings = {"read_s": time.perf_counter() - t0}
        if opts.dry_run or not edits:
            return ApplyResult(opts.dry_run, edits, len(intents), timings), None

        async def verify(changed: Sequence[str]) -> None:
            after = await read_states(pool, {d: adapters[d] for d in changed}, running=False)
            left = plan_edits({**states, **after}, intents, nbrs, passthrough)
            for d in changed:
                if d in left:
                    raise DeviceError(d, f"verify: device does not hold the edit {left[d].changes}")

        phases, tid = await _record_and_push(pool, store, edits, states, opts, verify)
        timings.update({k: v + timings["read_s"] for k, v in phases.items()})
        return ApplyResult(False, edits, len(intents), timings), tid
    finally:
        await _release(pool, devices)


async def rollback(
    pool: SessionPool,
    discovery: DiscoveryResult,
    store: TransactionStore,
    tid: int,
    opts: ApplyOptions,
) -> tuple[ApplyResult, int | None]:
    """Re-apply the state transaction ``tid`` replaced, as a new transaction."""
    t = store.transaction(tid)
    if t.outcome != "committed":
        raise InputError("rollback", "id", tid, f"expected a committed transaction ({t.outcome})")
    previous = {d: state_from_json(s) for d, s in t.previous.items()}
    down = _unreachable(discovery)
    for d in previous:
        if d in down or d not in discovery.facts:
            raise UnreachableError(d, f"needed to roll back {tid}: {down.get(d, 'not found')}")
    adapters = {d: discovery.facts[d].adapters for d in previous}
    devices = sorted(adapters)
    await _lock_all(pool, devices, opts.lock_wait_s)
    try:
        states = await read_states(pool, adapters)
        edits = restore_edits(states, previous)
        _check_payloads(edits)
        if opts.dry_run or not edits:
            return ApplyResult(opts.dry_run, edits, 0, {}), None
        phases, new = await _record_and_push(pool, store, edits, states, opts, rollback_of=tid)
        return ApplyResult(False, edits, 0, phases), new
    finally:
        await _release(pool, devices)
