"""Provisioning: push a plan's lightpaths as ONE confirmed-commit transaction.

Phases over every touched device (each concurrently across devices):
lock candidate → discard stale candidate → edit-config → ``commit confirmed timeout`` →
verify with ``<get>`` → confirming ``commit`` → unlock. On any failure before the
confirm, committed devices get ``cancel-commit`` (or, where a server lacks it, their
session is dropped, which reverts a confirmed commit), candidates are discarded and locks
released: every device returns to its prior running configuration. If the controller
dies after the commit and before the confirm, the devices revert by themselves when the
confirm timeout expires (or when its session drops).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from controller.discovery import DiscoveryResult, device_filter, parse_device
from controller.edits import DeviceEdit, DeviceState, LightpathIntent, intent_id, plan_edits
from controller.session import SessionPool
from topology.errors import DeviceError, InputError

__all__ = [
    "ApplyResult",
    "TransactionError",
    "apply_intents",
    "intents_from_plan",
    "read_states",
    "transact",
]

log = logging.getLogger("fsor.provision")

Hook = Callable[[], Awaitable[None]]
Verify = Callable[[Sequence[str]], Awaitable[None]]


class TransactionError(DeviceError):
    """A transaction failed on ``device`` in ``phase``; ``reverted`` lists what was undone."""

    def __init__(
        self,
        cause: DeviceError,
        phase: str,
        reverted: Sequence[str] = (),
        problems: Sequence[str] = (),
    ) -> None:
        self.phase = phase
        self.reverted = tuple(reverted)
        self.problems = tuple(problems)
        msg = str(cause).split(": ", 1)[-1] if cause.device else str(cause)
        super().__init__(
            cause.device,
            f"{phase} failed: {msg} (rolled back on {len(self.reverted)} devices)",
            cause.xpath,
        )


@dataclass(frozen=True)
class ApplyResult:
    """What an apply did (or, with ``dry_run``, would do)."""

    dry_run: bool
    edits: Mapping[str, DeviceEdit]
    lightpaths: int
    timings: Mapping[str, float] = field(default_factory=dict)

    @property
    def changed(self) -> tuple[str, ...]:
        """Devices whose running config changed (would change)."""
        return tuple(sorted(self.edits))

    def to_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "lightpaths": self.lightpaths,
            "changed": list(self.changed),
            "devices": {
                d: {"changes": list(e.changes), "diff": e.diff}
                for d, e in sorted(self.edits.items())
            },
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
        }


def with_transponders(
    lps: Sequence[Mapping[str, Any]], found: DiscoveryResult, where: str = ""
) -> tuple[list[dict[str, Any]], list[str]]:
    """Each lightpath's ends on discovered transponders with a free optical channel.

    The program names the first transponder of each end ROADM; here every lightpath gets
    its own transponder channel at each end. Lightpaths that find none are returned as
    reasons (``where``, e.g. the slot, is put in them), not as lightpaths.
    """
    free: dict[str, list[str]] = {}  # ROADM -> one entry per free optical channel
    for t in found.inventory.transponders:
        facts = found.facts.get(t.id)
        free.setdefault(t.roadm, [])
        for _ in facts.optical_channels if facts is not None else ():
            free[t.roadm].append(t.id)
    docs: list[dict[str, Any]] = []
    skipped: list[str] = []
    for lp in lps:
        a, z = lp["path"][0], lp["path"][-1]
        fa, fz = free.setdefault(a, []), free.setdefault(z, [])
        if fa and fz and (a != z or len(fa) > 1):
            docs.append({**lp, "transponders": [fa.pop(0), fz.pop(0)]})
        else:
            full = a if not fa else z
            at = f" {where}" if where else ""
            skipped.append(
                f"{lp.get('workload')}{at} {a}->{z}: no free transponder channel at {full}"
            )
    return docs, skipped


def intents_from_plan(
    doc: Mapping[str, Any],
    source: str,
    *,
    width_mhz: int = 50_000,
    power_dbm: float = 0.0,
    mode: int | None = None,
) -> tuple[LightpathIntent, ...]:
    """Lightpath intents from a plan document (``fsor plan --json`` / ``Plan.to_json()``).

    Each lightpath needs ``path`` (ROADM ids), ``frequency_thz`` and two ``transponders``.

    >>> lp = {"workload": "w", "path": ["r1", "r2"], "frequency_thz": 193.1,
    ...       "transponders": ["t1", "t2"]}
    >>> it, = intents_from_plan({"lightpaths": [lp]}, "plan.json")
    >>> it.frequency_mhz, it.transponders
    (193100000, ('t1', 't2'))
    """
    lps = doc.get("lightpaths")
    if not isinstance(lps, list):
        raise InputError(source, "lightpaths", lps, "expected a list of lightpaths")
    out: list[LightpathIntent] = []
    seen: set[str] = set()
    for i, lp in enumerate(lps):
        where = f"lightpaths[{i}]"
        if not isinstance(lp, Mapping):
            raise InputError(source, where, lp, "expected a mapping")
        path = lp.get("path")
        if not isinstance(path, list) or not path or not all(isinstance(p, str) for p in path):
            raise InputError(source, f"{where}.path", path, "expected a non-empty list of nodes")
        f = lp.get("frequency_thz")
        if not isinstance(f, int | float) or not 150.0 < float(f) < 250.0:
            raise InputError(source, f"{where}.frequency_thz", f, "expected a frequency in THz")
        trx = lp.get("transponders")
        if not isinstance(trx, list) or len(trx) != 2 or not all(isinstance(t, str) for t in trx):
            raise InputError(source, f"{where}.transponders", trx, "expected two transponder ids")
        fm = round(float(f) * 1e6)
        workload = lp.get("workload")
        lid = intent_id(str(workload) if workload is not None else None, path, fm)
        if lid in seen:
            continue  # the same lightpath listed twice (e.g. in two slots) is one lightpath
        seen.add(lid)
        m = lp.get("mode", mode)
        out.append(
            LightpathIntent(
                lid,
                tuple(path),
                fm,
                (trx[0], trx[1]),
                width_mhz,
                float(lp.get("power_dbm", power_dbm)),
                int(m) if m is not None else None,
                str(workload) if workload is not None else None,
            )
        )
    return tuple(out)


async def read_states(
    pool: SessionPool, adapters: Mapping[str, frozenset[str]], *, running: bool = True
) -> dict[str, DeviceState]:
    """Current state of devices: ``get-config`` running (or ``get`` when not ``running``)."""

    async def one(dev: str) -> tuple[str, DeviceState]:
        flt = device_filter(adapters[dev] - {"lldp", "platform", "optical_amplifier"})
        reply = await (pool.get_config(dev, flt) if running else pool.get(dev, flt))
        return dev, parse_device(dev, "", adapters[dev], reply).state()

    return dict(await asyncio.gather(*(one(d) for d in adapters)))


async def _each(devices: Sequence[str], fn: Callable[[str], Awaitable[Any]]) -> dict[str, Any]:
    """Run ``fn`` on every device concurrently; map device → exception (or None)."""
    results = await asyncio.gather(*(fn(d) for d in devices), return_exceptions=True)
    out = {}
    for d, r in zip(devices, results, strict=True):
        if isinstance(r, BaseException) and not isinstance(r, Exception):
            raise r
        out[d] = r if isinstance(r, Exception) else None
    return out


def _first_error(errors: Mapping[str, Exception | None]) -> tuple[str, DeviceError] | None:
    for d, e in sorted(errors.items()):
        if e is not None:
            return d, e if isinstance(e, DeviceError) else DeviceError(
                d, f"{type(e).__name__}: {e}"
            )
    return None


async def transact(
    pool: SessionPool,
    edits: Mapping[str, DeviceEdit],
    *,
    confirm_timeout_s: int = 60,
    verify: Verify | None = None,
    before_confirm: Hook | None = None,
    held: bool = False,
) -> dict[str, float]:
    """Apply ``edits`` as one confirmed-commit transaction; phase timings on success.

    Raises :class:`TransactionError` naming the first failing device (and the server's
    error path) after rolling every device back. With ``held`` the caller already holds
    the pool's device locks and the candidate locks of every device in ``edits`` (see
    :mod:`controller.safe_apply`) and keeps them: no lock is taken or released here.
    """
    devices = sorted(edits)
    timings: dict[str, float] = {}
    locked: list[str] = list(devices) if held else []
    committed: list[str] = []
    if not held:
        for d in devices:
            await pool.device_lock(d).acquire()
    t0 = time.perf_counter()

    async def rpc(d: str, fn: Callable[[Any], Any]) -> Any:
        return await pool.call(d, fn, retry=False)

    async def rollback() -> list[str]:
        reverted = []
        for d, e in (await _each(committed, lambda d: rpc(d, lambda m: m.cancel_commit()))).items():
            if e is None:
                reverted.append(d)
            else:  # no cancel-commit (1.0 server) or broken session: dropping it reverts
                log.warning("%s: cancel-commit failed (%s); dropping the session", d, e)
                pool._drop(d)
                reverted.append(d)
        await _each(locked, lambda d: rpc(d, lambda m: m.discard_changes()))
        return sorted(set(reverted) | set(locked))

    phase = "lock"
    try:

        async def lock(d: str) -> None:
            await rpc(d, lambda m: m.lock(target="candidate"))
            locked.append(d)

        err = None if held else _first_error(await _each(devices, lock))
        if err is None:
            phase = "edit-config"
            await _each(locked, lambda d: rpc(d, lambda m: m.discard_changes()))
            err = _first_error(
                await _each(
                    devices,
                    lambda d: rpc(
                        d, lambda m: m.edit_config(config=edits[d].config_xml, target="candidate")
                    ),
                )
            )
        timings["edit_s"] = time.perf_counter() - t0
        if err is None:
            phase = "commit"

            async def commit(d: str) -> None:
                await rpc(d, lambda m: m.commit(confirmed=True, timeout=str(confirm_timeout_s)))
                committed.append(d)

            err = _first_error(await _each(devices, commit))
            timings["commit_s"] = time.perf_counter() - t0
        if err is None and before_confirm is not None:
            await before_confirm()
        if err is None and verify is not None:
            phase = "verify"
            try:
                await verify(devices)
            except DeviceError as exc:
                err = (exc.device, exc)
            timings["verify_s"] = time.perf_counter() - t0
        if err is not None:
            reverted = await rollback()
            raise TransactionError(err[1], phase, reverted)
        phase = "confirm"
        confirm_errors = await _each(devices, lambda d: rpc(d, lambda m: m.commit()))
        err = _first_error(confirm_errors)
        if err is not None:
            # some devices may already be confirmed; the others revert on their own
            done = [d for d, e in confirm_errors.items() if e is None]
            raise TransactionError(
                err[1], phase, [], [f"confirmed before the failure: {', '.join(done) or 'none'}"]
            )
        timings["total_s"] = time.perf_counter() - t0
        return timings
    finally:
        if not held:
            await _each(list(locked), lambda d: rpc(d, lambda m: m.unlock(target="candidate")))
            for d in devices:
                pool.device_lock(d).release()


async def apply_intents(
    pool: SessionPool,
    discovery: DiscoveryResult,
    intents: Sequence[LightpathIntent],
    *,
    dry_run: bool = False,
    confirm_timeout_s: int = 60,
    before_confirm: Hook | None = None,
) -> ApplyResult:
    """Diff ``intents`` against the devices' running configs and push the difference.

    Devices fsor manages are all reachable devices that carry transponder, ROADM or
    fsor-lightpath models (so lightpaths a new plan drops are removed in the same go).
    """
    t0 = time.perf_counter()
    reports = {d.id: d for d in discovery.devices}
    for it in intents:
        for dev in (*it.transponders, *it.path):
            rep = reports.get(dev)
            if rep is not None and not rep.reachable:
                raise DeviceError(dev, f"cannot provision lightpath {it.id}: {rep.reason}")
    adapters = {
        d: f.adapters
        for d, f in discovery.facts.items()
        if f.adapters & {"terminal_device", "wavelength_router", "fsor_lightpath"}
    }
    states = await read_states(pool, adapters)
    nbrs, passthrough = discovery.neighbours(), discovery.passthrough()
    edits = plan_edits(states, intents, nbrs, passthrough)
    timings = {"read_s": time.perf_counter() - t0}
    if dry_run or not edits:
        return ApplyResult(dry_run, edits, len(intents), timings)

    async def verify(devices: Sequence[str]) -> None:
        after = await read_states(pool, {d: adapters[d] for d in devices}, running=False)
        left = plan_edits({**states, **after}, intents, nbrs, passthrough)
        for d in devices:
            if d in left:
                raise DeviceError(d, f"verify: device does not hold the edit ({left[d].changes})")

    phases = await transact(
        pool,
        edits,
        confirm_timeout_s=confirm_timeout_s,
        verify=verify,
        before_confirm=before_confirm,
    )
    timings.update({k: v + timings["read_s"] for k, v in phases.items()})
    return ApplyResult(False, edits, len(intents), timings)
