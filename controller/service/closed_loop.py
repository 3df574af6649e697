"""The closed loop: notice, re-plan, decide with hysteresis, push only the diff.

Triggers: a discovery that finds devices gone (their lightpaths are at risk), a signal
ingest that moves some site's signal by more than ``signal_threshold`` (relative), and new
caps while a plan is in force. Each
queues a re-plan; the worker re-uses the compiled program when only parameters changed
(a warm re-plan). When the plan is done the loop decides:

* ``push`` (forced) when pushed lightpaths cross a device that is gone, or when the plan in
  force would break a cap under the new signals;
* ``push`` when the new plan improves the objective by more than ``margin`` and moves no
  placement that is running (its slot has started and not ended);
* ``hold`` otherwise (the reason is in the event).

A push is the diff between the devices and the new plan's slot, in one confirmed
transaction. Every decision is a ``loop-decision`` event and an audit row.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from controller.discovery import DiscoveryResult
from controller.service.config import ServiceConfig
from controller.service.devices import Change, DeviceWatch
from controller.service.events import EventBus
from controller.service.inputs import SignalShift
from controller.service.jobs import JobQueue
from controller.service.metrics import Metrics
from controller.service.push import push_slot
from controller.service.storage import ServiceStore
from topology.errors import DeviceError, FsorError
from topology.model import Inventory

__all__ = ["Applier", "ClosedLoop", "release_own", "running_moves"]

log = logging.getLogger("fsor.service.loop")


def running_moves(
    old: Mapping[str, Any], new: Mapping[str, Any], now: datetime, slot_hours: float
) -> list[str]:
    """Workloads running at ``now`` in ``old`` whose site or start differs in ``new``.

    >>> t = datetime(2025, 7, 1, 10, tzinfo=UTC)
    >>> old = {"placements": [{"workload": "w", "site": "a", "start": t.isoformat()}]}
    >>> new = {"placements": [{"workload": "w", "site": "b", "start": t.isoformat()}]}
    >>> running_moves(old, new, t + timedelta(minutes=5), 1.0)
    ['w']
    >>> running_moves(old, new, t + timedelta(hours=2), 1.0)
    []
    """
    now_new = {p["workload"]: (p["site"], p["start"]) for p in new.get("placements") or ()}
    out = []
    for p in old.get("placements") or ():
        start = datetime.fromisoformat(p["start"])
        running = start <= now < start + timedelta(hours=slot_hours)
        if running and now_new.get(p["workload"]) != (p["site"], p["start"]):
            out.append(str(p["workload"]))
    return out


def release_own(inventory: Inventory, lightpaths: Sequence[Mapping[str, Any]]) -> Inventory:
    """``inventory`` with the channels of the service's own lightpaths free again.

    Discovery reports every lit channel as occupied, the service's own too; a re-plan must
    be free to keep them (then the diff is empty) or move them.

    >>> from topology.model import Fibre, Roadm
    >>> f = Fibre("ab", "a", "b", 80.0, occupied=frozenset({0, 4}))
    >>> inv = Inventory("n", (Roadm("a"), Roadm("b")), fibres=(f,))
    >>> mhz = round(f.grid.frequency_thz(4) * 1e6)
    >>> sorted(release_own(inv, [{"path": ["a", "b"], "frequency_mhz": mhz}]).fibres[0].occupied)
    [0]
    """
    from dataclasses import replace

    free: dict[frozenset[str], set[float]] = {}
    for lp in lightpaths:
        path, mhz = lp.get("path") or [], lp.get("frequency_mhz")
        if mhz is None:
            continue
        for a, b in itertools.pairwise(path):
            free.setdefault(frozenset((a, b)), set()).add(float(mhz) / 1e6)
    if not free:
        return inventory
    fibres = []
    for f in inventory.fibres:
        thz = free.get(frozenset((f.a, f.b)))
        if thz:
            fibres.append(replace(f, occupied=f.occupied - {f.grid.channel_of(t) for t in thz}))
        else:
            fibres.append(f)
    return replace(inventory, fibres=tuple(fibres))


class Applier:
    """Pushes plans (one at a time) and remembers what is in force."""

    def __init__(
        self,
        cfg: ServiceConfig,
        store: ServiceStore,
        bus: EventBus,
        metrics: Metrics,
        devices: DeviceWatch | None,
    ) -> None:
        self.cfg, self.store, self.bus, self.metrics, self.devices = (
            cfg,
            store,
            bus,
            metrics,
            devices,
        )
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[Any]] = set()

    def applied(self) -> dict[str, Any] | None:
        """``{"plan": job id, "slot": int|None, "intents": [...], "transaction": id}``."""
        doc = self.store.state("applied")
        return doc if isinstance(doc, dict) else None

    def applied_lightpaths(self) -> list[dict[str, Any]]:
        doc = self.applied()
        return list(doc.get("intents") or ()) if doc else []

    async def apply(
        self,
        job: Mapping[str, Any],
        *,
        slot: int | None,
        dry_run: bool,
        who: str,
        confirm_timeout_s: int | None = None,
    ) -> dict[str, Any]:
        if self.devices is None:
            raise DeviceError("service", "no devices are managed (start with --lab or --devices)")
        async with self._lock:
            found = self.devices.last or await self.devices.discover("apply")
            pause = self.cfg.pause_before_confirm_s

            async def before_confirm(tid: int) -> None:
                self.bus.publish("apply-committed", {"transaction": tid, "plan": job["id"]})
                if pause > 0:
                    await asyncio.sleep(pause)

            try:
                out = await push_slot(
                    self.devices.pool,
                    found,
                    self.store,
                    job["result"],
                    job["id"],
                    slot=slot,
                    dry_run=dry_run,
                    who=who,
                    confirm_timeout_s=confirm_timeout_s or self.cfg.confirm_timeout_s,
                    before_confirm=before_confirm,
                )
            except DeviceError as exc:
                self.metrics.transactions.labels(outcome="failed").inc()
                self.bus.publish("apply", {"plan": job["id"], "ok": False, "error": str(exc)})
                # a session may be gone: look again now rather than at the next interval
                task = asyncio.create_task(self.devices.discover(f"after a failed push: {exc}"))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
                raise
            if not dry_run:
                from controller.service.push import slot_intents

                intents, _ = slot_intents(job["result"], out["slot"], found, "applied")
                self.store.set_state(
                    "applied",
                    {
                        "plan": job["id"],
                        "slot": out["slot"],
                        "transaction": out["transaction"],
                        "intents": [
                            {
                                "id": i.id,
                                "path": list(i.path),
                                "transponders": list(i.transponders),
                                "frequency_mhz": i.frequency_mhz,
                            }
                            for i in intents
                        ],
                    },
                )
                if out["transaction"] is not None:
                    self.metrics.transactions.labels(outcome="committed").inc()
                self.store.audit(who, f"apply plan {job['id']} slot {out['slot']}")
            self.bus.publish(
                "apply",
                {
                    "plan": job["id"],
                    "ok": True,
                    "dry_run": dry_run,
                    "slot": out["slot"],
                    "changed": out["changed"],
                    "transaction": out["transaction"],
                },
            )
            return out


class ClosedLoop:
    """Reacts to discoveries, signal ingests and finished jobs."""

    def __init__(
        self,
        cfg: ServiceConfig,
        store: ServiceStore,
        bus: EventBus,
        metrics: Metrics,
        jobs: JobQueue,
        applier: Applier,
        slot_hours: Any,
    ) -> None:
        self.cfg, self.store, self.bus, self.metrics = cfg, store, bus, metrics
        self.jobs, self.applier = jobs, applier
        self._slot_hours = slot_hours
        self._forced: dict[str, str] = {}  # job id -> why a push is forced

    def decide(self, decision: str, why: str, **data: Any) -> None:
        self.metrics.loop_decisions.labels(decision=decision).inc()
        self.bus.publish("loop-decision", {"decision": decision, "why": why, **data})
        self.store.audit("loop", f"{decision}: {why}")

    def _replan(self, trigger: str, why: str, force: str | None = None) -> None:
        req = {
            "time_limit_s": self.cfg.time_limit_s,
            "mip_gap": self.cfg.mip_gap,
            "method": self.cfg.method,
        }
        job = self.jobs.submit(req, "loop", trigger)
        if force:
            self._forced[job["id"]] = force
        self.decide("replan", why, job=job["id"], trigger=trigger)

    async def on_discovery(self, change: Change, found: DiscoveryResult) -> None:
        if change.first or not (change.down or change.up):
            return
        if change.down:
            force = (
                f"lightpaths {', '.join(change.at_risk)} cross {', '.join(change.down)}"
                if change.at_risk
                else None
            )
            self._replan("loop:device-down", f"devices gone: {', '.join(change.down)}", force)
        elif change.up and self.applier.applied():
            self._replan("loop:device-up", f"devices back: {', '.join(change.up)}")

    def on_caps(self) -> None:
        """New caps: re-plan when a plan is in force (it may now break a cap)."""
        if self.applier.applied() is None:
            self.decide("hold", "caps changed; no plan in force to maintain")
        else:
            self._replan("loop:caps", "caps changed")

    def on_signals(self, shift: SignalShift) -> None:
        moved = {s: round(v, 4) for s, v in shift.per_site.items() if v > self.cfg.signal_threshold}
        if shift.structural:
            self._replan("loop:signals", "signal slots/regions changed")
        elif moved:
            self._replan(
                "loop:signals", f"signals moved beyond {self.cfg.signal_threshold:g}: {moved}"
            )
        else:
            self.decide(
                "hold",
                f"signals moved at most {shift.largest:.3g} "
                f"(threshold {self.cfg.signal_threshold:g})",
            )

    async def on_job_done(self, job: dict[str, Any], out: dict[str, Any]) -> None:
        trigger = str(job.get("trigger", ""))
        if job["request"].get("apply"):
            await self._push(job, f"requested by {job['who']}", job["who"])
            return
        if not trigger.startswith("loop:"):
            return
        plan = job["result"] or {}
        applied = self.applier.applied()
        forced = self._forced.pop(job["id"], None)
        if plan.get("status") not in ("optimal", "feasible"):
            self.decide("hold", f"new plan is {plan.get('status')}", job=job["id"])
            return
        if applied is None:
            self.decide("hold", "no plan in force to maintain", job=job["id"])
            return
        prev = out.get("previous") or {}
        for c in prev.get("violated") or ():
            self.bus.publish("cap-violation", {"plan": applied["plan"], **c})
        if not forced and prev.get("violated"):
            forced = f"the plan in force would break {len(prev['violated'])} cap rows"
        old_job = self.jobs.get(applied["plan"]) or {}
        moved = running_moves(
            old_job.get("result") or {}, plan, datetime.now(UTC), float(self._slot_hours())
        )
        gain = None
        if prev.get("objective") and plan.get("objective") is not None:
            gain = (prev["objective"] - plan["objective"]) / abs(prev["objective"])
        if forced is None:
            if moved:
                self.decide("hold", f"would move running placements {moved}", job=job["id"])
                return
            if gain is None or gain <= self.cfg.margin:
                self.decide(
                    "hold",
                    f"gain {gain if gain is None else round(gain, 5)} within "
                    f"margin {self.cfg.margin:g}",
                    job=job["id"],
                    gain=gain,
                )
                return
        why = forced or f"objective improves by {gain:.4f} > margin {self.cfg.margin:g}"
        if not self.cfg.auto_apply:
            self.decide("hold", f"auto_apply is off ({why})", job=job["id"])
            return
        await self._push(job, why, "loop", gain=gain)

    async def _push(self, job: dict[str, Any], why: str, who: str, **data: Any) -> None:
        try:
            out = await self.applier.apply(job, slot=None, dry_run=False, who=who)
        except FsorError as exc:
            self.decide("push-failed", f"{why}: {exc}", job=job["id"])
            return
        self.decide(
            "push",
            why,
            job=job["id"],
            transaction=out["transaction"],
            changed=out["changed"],
            **data,
        )
