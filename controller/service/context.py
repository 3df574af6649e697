"""The components of one running service, under one typed app key (handlers and extensions
reach them as ``request.app[SERVICE]``)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from controller.service.closed_loop import Applier, ClosedLoop
from controller.service.config import ServiceConfig
from controller.service.devices import DeviceWatch
from controller.service.events import EventBus
from controller.service.inputs import Inputs
from controller.service.jobs import JobQueue
from controller.service.metrics import Metrics
from controller.service.openapi import Route
from controller.service.storage import ServiceStore
from controller.service.worker import SolveWorker

__all__ = ["SERVICE", "Service"]


@dataclass
class Service:
    """The components of one running service (what handlers and extensions use)."""

    cfg: ServiceConfig
    store: ServiceStore
    bus: EventBus
    metrics: Metrics
    inputs: Inputs
    worker: SolveWorker
    jobs: JobQueue
    applier: Applier
    loop: ClosedLoop
    devices: DeviceWatch | None
    routes: list[Route] = field(default_factory=list)
    ready: dict[str, bool] = field(default_factory=dict)
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    openapi: dict[str, Any] | None = None
    #: small per-service caches (e.g. the serialised topology of the current inventory)
    cache: dict[str, Any] = field(default_factory=dict)
    #: serialises input mutations (validated in a thread, off the event loop)
    mutate: asyncio.Lock = field(default_factory=asyncio.Lock)

    def is_ready(self) -> bool:
        return all(self.ready.values())


SERVICE = web.AppKey("fsor.service", Service)
