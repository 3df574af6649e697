"""The application factory: ``init(config) -> web.Application``.

Background work lives in ``cleanup_ctx``: the worker process, the job runner, the start-up
reconcile of unfinished transactions, the first discovery, the re-discovery loop and the
event-loop lag probe. Extensions (a scheduler extender, a dashboard) add routes with
``init(cfg, extensions=[fn])``: ``fn(app)`` may add routes to ``app.router`` itself (they
get the same auth middleware) and may return :class:`~controller.service.openapi.Route`
objects, which are registered and documented in ``/openapi.json``. ``app[SERVICE]`` gives
them the components (store, inputs, jobs, events, devices).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from typing import Any

from aiohttp import web

from controller import __version__
from controller.service.auth import OPEN_PATHS, auth_middleware
from controller.service.closed_loop import Applier, ClosedLoop, release_own
from controller.service.config import ServiceConfig
from controller.service.context import SERVICE, Service
from controller.service.devices import DeviceWatch, seed_of
from controller.service.errors import error_middleware
from controller.service.events import EventBus
from controller.service.inputs import Inputs
from controller.service.jobs import JobQueue
from controller.service.metrics import Metrics, watch_loop_lag
from controller.service.openapi import Route, document
from controller.service.push import reconcile
from controller.service.storage import SqliteServiceStore
from controller.service.table import ROUTES
from controller.service.worker import SolveRequest, SolveWorker
from controller.store import default_store_path

__all__ = ["SERVICE", "Extension", "Service", "init"]

log = logging.getLogger("fsor.service")
Extension = Callable[[web.Application], Iterable[Route] | None]


def _store_path(cfg: ServiceConfig) -> str:
    """``--store`` → ``FSOR_STORE`` → ``$XDG_STATE_HOME/fsor/fsor.sqlite``."""
    return str(default_store_path(cfg.store or None))


def build_service(cfg: ServiceConfig) -> Service:
    """Open the store and wire the components (no I/O beyond the store and input files)."""
    store = SqliteServiceStore(_store_path(cfg))
    bus = EventBus()
    metrics = Metrics()
    inputs = Inputs(cfg, store)
    worker = SolveWorker()
    seed = seed_of(cfg)
    holder: dict[str, Any] = {}
    devices = (
        DeviceWatch(cfg, seed, store, bus, metrics, lambda: holder["applier"].applied_lightpaths())
        if seed is not None
        else None
    )
    applier = Applier(cfg, store, bus, metrics, devices)
    holder["applier"] = applier

    def build(job_id: str, request: Mapping[str, Any]) -> SolveRequest:
        applied = applier.applied()
        inv = release_own(inputs.network, (applied or {}).get("intents") or [])
        prev = jobs.get(applied["plan"]) if applied else None
        return SolveRequest(
            job_id=job_id,
            inventory=inv,
            signals=inputs.signals,
            workloads=inputs.workloads(inv),
            caps=inputs.caps(),
            time_limit_s=float(request.get("time_limit_s") or cfg.time_limit_s),
            mip_gap=float(
                request["mip_gap"] if request.get("mip_gap") is not None else cfg.mip_gap
            ),
            method=str(request.get("method") or cfg.method),
            previous=(prev or {}).get("result"),
        )

    jobs = JobQueue(store, bus, metrics, worker, build)
    loop = ClosedLoop(cfg, store, bus, metrics, jobs, applier, lambda: inputs.signals.slot_hours)
    jobs.on_done = loop.on_job_done
    if devices is not None:
        devices.listeners.append(loop.on_discovery)
    return Service(cfg, store, bus, metrics, inputs, worker, jobs, applier, loop, devices)


async def _first_discovery(svc: Service) -> None:
    assert svc.devices is not None
    while True:
        try:
            found = await svc.devices.discover("start")
            svc.inputs.inventory = found.inventory
            break
        except Exception:  # keep trying: the devices may come up after the service
            log.exception("first discovery failed; retrying in 2 s")
            await asyncio.sleep(2)
    svc.ready["discovery"] = True
    devices = svc.devices
    if svc.store.transaction_docs(limit=1, outcome="running"):

        def say(kind: str, data: dict[str, Any]) -> None:
            svc.bus.publish(kind, data)

        await reconcile(devices.pool, lambda: devices.discover("reconcile"), svc.store, say)
    svc.ready["reconcile"] = True
    svc.tasks.append(asyncio.create_task(svc.devices.run(), name="fsor-rediscovery"))


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    svc = app[SERVICE]
    svc.ready.update({"worker": False})
    if svc.devices is not None:
        svc.ready.update({"discovery": False, "reconcile": False})

        async def keep_inventory(change: Any, found: Any) -> None:
            svc.inputs.inventory = found.inventory

        svc.devices.listeners.insert(0, keep_inventory)
        svc.tasks.append(asyncio.create_task(_first_discovery(svc), name="fsor-first-discovery"))
    svc.tasks.append(asyncio.create_task(watch_loop_lag(svc.metrics), name="fsor-lag"))
    await svc.worker.start()
    svc.ready["worker"] = True
    requeued = svc.jobs.resume()
    if requeued:
        svc.bus.publish("jobs-resumed", {"jobs": requeued})
    svc.jobs.start()
    svc.bus.publish("service-started", {"version": __version__, "pid": _pid()})
    yield
    # graceful: no new jobs, finish or cancel the running one, close sessions, flush the store
    await svc.jobs.stop(svc.cfg.shutdown_grace_s)
    for t in svc.tasks:
        t.cancel()
    for t in svc.tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await t
    await svc.worker.close()
    if svc.devices is not None:
        await svc.devices.close()
    svc.store.close()


async def _on_shutdown(app: web.Application) -> None:
    app[SERVICE].bus.close()  # ends the SSE streams so the server can stop


def _pid() -> int:
    import os

    return os.getpid()


def init(cfg: ServiceConfig | None = None, extensions: Sequence[Extension] = ()) -> web.Application:
    """The aiohttp application of ``fsor serve`` (see the module docstring)."""
    cfg = cfg or ServiceConfig()
    svc = build_service(cfg)
    app = web.Application(
        middlewares=[error_middleware, auth_middleware(cfg.tokens)], client_max_size=32 * 2**20
    )
    app[SERVICE] = svc
    app[OPEN_PATHS] = set()
    table = list(ROUTES)
    for ext in extensions:
        table.extend(ext(app) or ())
    for r in table:
        app.router.add_route(r.method, r.path, r.handler)
    svc.routes = table
    svc.openapi = document(table, __version__)
    app.cleanup_ctx.append(_lifecycle)
    app.on_shutdown.append(_on_shutdown)
    return app
