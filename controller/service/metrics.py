"""Prometheus metrics of one service instance (its own registry, no process globals).

>>> m = Metrics()
>>> m.transactions.labels(outcome="committed").inc()
>>> b"fsor_transactions_total" in m.render()
True
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["CONTENT_TYPE", "Metrics", "watch_loop_lag"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    """The service's metrics, registered in a registry of their own."""

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.plan_seconds = Histogram(
            "fsor_plan_seconds",
            "Wall time of a plan job in the worker process",
            buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300),
            registry=r,
        )
        self.plan_gap = Gauge("fsor_plan_gap", "Relative MIP gap of the last plan", registry=r)
        self.plan_objective = Gauge("fsor_plan_objective", "Objective of the last plan", registry=r)
        self.cap_utilisation = Gauge(
            "fsor_cap_utilisation",
            "Highest utilisation of each cap in the last plan (value/limit)",
            ["cap", "site_or_zone"],
            registry=r,
        )
        self.devices_reachable = Gauge("fsor_devices_reachable", "Reachable devices", registry=r)
        self.devices_total = Gauge("fsor_devices", "Devices the service manages", registry=r)
        self.transactions = Counter(
            "fsor_transactions", "Transactions by outcome", ["outcome"], registry=r
        )
        self.loop_decisions = Counter(
            "fsor_loop_decisions", "Closed-loop decisions", ["decision"], registry=r
        )
        self.jobs = Counter("fsor_jobs", "Plan jobs by final status", ["status"], registry=r)
        self.queue_depth = Gauge("fsor_jobs_queued", "Plan jobs waiting", registry=r)
        self.loop_lag = Gauge(
            "fsor_event_loop_lag_seconds", "Worst event-loop lag in the last second", registry=r
        )
        self.loop_lag_max = Gauge(
            "fsor_event_loop_lag_max_seconds", "Worst event-loop lag since start", registry=r
        )

    def observe_plan(self, plan: Mapping[str, Any], wall_s: float) -> None:
        """Record a finished plan's time, gap, objective and cap utilisation."""
        self.plan_seconds.observe(wall_s)
        if plan.get("gap") is not None:
            self.plan_gap.set(float(plan["gap"]))
        if plan.get("objective") is not None:
            self.plan_objective.set(float(plan["objective"]))
        worst: dict[tuple[str, str], float] = {}
        for c in plan.get("caps") or ():
            u = c.get("utilisation")
            if u is None:
                continue
            key = (str(c["cap"]), str(c["site_or_zone"]))
            worst[key] = max(worst.get(key, 0.0), float(u))
        for (cap, where), u in worst.items():
            self.cap_utilisation.labels(cap=cap, site_or_zone=where).set(u)

    def render(self) -> bytes:
        """The exposition text."""
        return generate_latest(self.registry)


async def watch_loop_lag(metrics: Metrics, period_s: float = 0.02) -> None:
    """Measure how late the loop wakes a ``period_s`` sleep; publish the worst per second."""
    loop = asyncio.get_running_loop()
    worst = 0.0
    window_start = loop.time()
    overall = 0.0
    while True:
        t0 = time.perf_counter()
        await asyncio.sleep(period_s)
        lag = max(0.0, time.perf_counter() - t0 - period_s)
        worst = max(worst, lag)
        overall = max(overall, lag)
        if loop.time() - window_start >= 1.0:
            metrics.loop_lag.set(worst)
            metrics.loop_lag_max.set(overall)
            worst, window_start = 0.0, loop.time()
