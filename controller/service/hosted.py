"""Extensions ``fsor serve`` hosts by default: the operator dashboard at ``/`` and the
Kubernetes scheduler extender at ``/scheduler/filter`` and ``/scheduler/prioritize``.

The extender's site states come from the plan in force (the last pushed), else the newest
plan that succeeded, else no plan (every site idle): :func:`controller.k8s.sites_from_plan_json`
at the current time, with the current signals as intensities. Its POSTs are queries, open
like GETs (kube-scheduler sends no bearer token; put the service behind TLS or a network
policy instead). docs/k8s.md describes both.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from controller.service.auth import OPEN_PATHS
from controller.service.context import SERVICE, Service

__all__ = ["DEFAULT_EXTENSIONS", "current_plan", "dashboard", "scheduler_extender"]


def current_plan(svc: Service) -> Mapping[str, Any]:
    """The plan document in force, else the newest that succeeded, else ``{}``."""
    applied = svc.applier.applied()
    if applied is not None:
        job = svc.jobs.get(applied["plan"])
        if job is not None and job.get("result"):
            return dict(job["result"])
    for job in svc.store.jobs(limit=50):
        if job["status"] == "succeeded" and job.get("result"):
            return dict(job["result"])
    return {}


def _intensity(svc: Service, at: datetime) -> dict[str, dict[str, float]]:
    sig = svc.inputs.signals
    past = [i for i, t in enumerate(sig.slots) if t <= at]
    slot = past[-1] if past else 0
    out: dict[str, dict[str, float]] = {}
    for s in svc.inputs.network.sites:
        out[s.id] = {d: float(v[slot]) for (r, d), v in sig.data.items() if r == s.region}
    return out


def scheduler_extender(app: web.Application) -> list[Any]:
    """Host :mod:`controller.k8s`'s extender on the service, fed by the plan in force."""
    from controller.k8s import add_routes, sites_from_plan_json

    def provider() -> Any:
        svc = app[SERVICE]
        now = datetime.now(UTC)
        return sites_from_plan_json(
            current_plan(svc), svc.inputs.network.sites, now, _intensity(svc, now)
        )

    add_routes(app, provider)
    app[OPEN_PATHS].update({"/scheduler/filter", "/scheduler/prioritize"})
    return []


def dashboard(app: web.Application) -> list[Any]:
    """The operator dashboard (:mod:`controller.dashboard`)."""
    from controller.dashboard import add_dashboard

    return list(add_dashboard(app))


DEFAULT_EXTENSIONS = (dashboard, scheduler_extender)
