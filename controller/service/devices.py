"""The devices the service manages: one session pool, discovery now and on an interval.

Each discovery compares reachability with the previous one and publishes ``device-up`` /
``device-down`` events; a device that went away also yields ``lightpaths-at-risk`` (the
pushed lightpaths that cross it). The discovered inventory (reachable part only) becomes
the network the next plan uses, so a re-plan avoids a device that is gone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from controller.discovery import DiscoveryResult, discover
from controller.seed import Seed, seed_from_devices, seed_from_lab
from controller.service.config import ServiceConfig
from controller.service.events import EventBus
from controller.service.metrics import Metrics
from controller.service.storage import ServiceStore, now
from controller.session import SessionOptions, SessionPool
from topology.export import to_rfc8345

__all__ = ["Change", "DeviceWatch", "seed_of"]

log = logging.getLogger("fsor.service.devices")


@dataclass(frozen=True)
class Change:
    """What a discovery changed: devices that came and went, lightpaths now at risk."""

    up: tuple[str, ...]
    down: tuple[str, ...]
    at_risk: tuple[str, ...]
    first: bool
    reason: str


def seed_of(cfg: ServiceConfig) -> Seed | None:
    """The seed the configuration names (``None``: no devices)."""
    if cfg.lab:
        return seed_from_lab(cfg.lab, cfg.lab_instance or None)
    if cfg.devices:
        return seed_from_devices(cfg.devices)
    return None


class DeviceWatch:
    """Sessions, the last discovery, and the re-discovery loop."""

    def __init__(
        self,
        cfg: ServiceConfig,
        seed: Seed,
        store: ServiceStore,
        bus: EventBus,
        metrics: Metrics,
        applied: Callable[[], list[dict[str, Any]]],
    ) -> None:
        self.cfg, self.seed, self.store, self.bus, self.metrics = cfg, seed, store, bus, metrics
        kh = Path(cfg.known_hosts) if cfg.known_hosts else seed.known_hosts
        self.options = SessionOptions(
            rpc_timeout_s=cfg.rpc_timeout_s,
            known_hosts=kh,
            insecure_hostkeys=cfg.insecure_lab_hostkeys,
            connect_attempts=2,
        )
        self.pool = SessionPool([d.endpoint for d in seed.devices], self.options)
        self.last: DiscoveryResult | None = None
        self.last_time: str | None = None
        self.last_seen: dict[str, str] = {}
        self._applied = applied
        self._lock = asyncio.Lock()
        self.listeners: list[Callable[[Change, DiscoveryResult], Awaitable[None]]] = []

    async def discover(self, reason: str = "request") -> DiscoveryResult:
        """Discover now (one at a time); publish what changed; tell the listeners."""
        async with self._lock:
            before = {d.id: d.reachable for d in self.last.devices} if self.last else {}
            self.bus.publish("discovery-started", {"reason": reason})
            found = await discover(
                self.seed,
                self.options,
                pool=self.pool,
                device_timeout_s=10.0,
                concurrency=max(1, self.cfg.discovery_concurrency),
            )
            stamp = now()
            for d in found.devices:
                if d.reachable:
                    self.last_seen[d.id] = stamp
            first = self.last is None
            self.last, self.last_time = found, stamp
            after = {d.id: d.reachable for d in found.devices}
            up = tuple(sorted(d for d, ok in after.items() if ok and not before.get(d, False)))
            down = tuple(sorted(d for d, ok in after.items() if not ok and before.get(d, True)))
            if first:
                up = ()
            for dev in up:
                self.bus.publish("device-up", {"device": dev})
            at_risk: tuple[str, ...] = ()
            for dev in down:
                rep = found.device(dev)
                self.bus.publish("device-down", {"device": dev, "reason": rep.reason})
            if down:
                gone = set(down)
                at_risk = tuple(
                    lp["id"]
                    for lp in self._applied()
                    if gone & {*lp.get("path", ()), *lp.get("transponders", ())}
                )
                if at_risk:
                    self.bus.publish(
                        "lightpaths-at-risk", {"devices": list(down), "lightpaths": list(at_risk)}
                    )
            reachable = sum(after.values())
            self.metrics.devices_reachable.set(reachable)
            self.metrics.devices_total.set(len(after))
            await asyncio.to_thread(self._snapshot, reason, found)
            self.bus.publish(
                "discovery",
                {
                    "reason": reason,
                    "devices": len(after),
                    "reachable": reachable,
                    "elapsed_s": round(found.elapsed_s, 3),
                    "up": list(up),
                    "down": list(down),
                },
            )
            change = Change(up, down, at_risk, first, reason)
        for fn in self.listeners:
            await fn(change, found)
        return found

    def _snapshot(self, reason: str, found: DiscoveryResult) -> None:
        self.store.add_snapshot(f"discovery ({reason})", to_rfc8345(found.inventory))

    async def run(self) -> None:
        """Re-discover every ``rediscover_s`` seconds (errors are logged, the loop goes on)."""
        if self.cfg.rediscover_s <= 0:
            return
        while True:
            await asyncio.sleep(self.cfg.rediscover_s)
            try:
                await self.discover("interval")
            except Exception:  # keep the loop alive; the next round retries
                log.exception("re-discovery failed")

    def devices_json(self) -> list[dict[str, Any]]:
        if self.last is None:
            return [
                {
                    "id": d.id,
                    "kind": d.role or "unknown",
                    "reachable": False,
                    "reason": "not discovered yet",
                    "last_seen": None,
                    "power_w": None,
                }
                for d in self.seed.devices
            ]
        return [
            {
                "id": d.id,
                "kind": d.kind,
                "reachable": d.reachable,
                "reason": d.reason,
                "last_seen": self.last_seen.get(d.id),
                "power_w": d.power_w,
            }
            for d in self.last.devices
        ]

    async def close(self) -> None:
        await self.pool.close()


def with_options(watch: DeviceWatch, **kw: Any) -> None:
    """Change session options (tests, tuning)."""
    watch.options = replace(watch.options, **kw)
