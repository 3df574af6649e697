"""The handlers of the resources (docs/api.md "HTTP API"); :mod:`.table` lists each with the
schemas that validate it, which also generate ``/openapi.json``."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from controller.service.auth import WHO
from controller.service.context import SERVICE, Service
from controller.service.errors import json_error
from controller.service.events import sse
from controller.service.metrics import CONTENT_TYPE
from controller.service.openapi import BodyError, validate_body
from controller.service.schemas import (
    ApplyIn,
    CapsIn,
    PlanIn,
    WorkloadsIn,
)
from topology.export import to_rfc8345

__all__ = [
    "apply_plan",
    "delete_plan",
    "delete_workload",
    "get_caps",
    "get_devices",
    "get_events",
    "get_plan",
    "get_plans",
    "get_signals",
    "get_topology",
    "get_transactions",
    "get_workloads",
    "healthz",
    "metrics",
    "openapi",
    "post_discover",
    "post_plans",
    "post_workloads",
    "put_caps",
    "put_signals",
    "readyz",
]


def _svc(request: web.Request) -> Service:
    return request.app[SERVICE]


def _bool(request: web.Request, name: str) -> bool:
    raw = request.query.get(name)
    if raw is None:
        return False
    if raw.lower() in ("1", "true", "yes"):
        return True
    if raw.lower() in ("0", "false", "no"):
        return False
    raise BodyError(f"{name}: expected true or false, got {raw!r}", name)


def _int(request: web.Request, name: str, default: int | None, lo: int, hi: int) -> int | None:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        v = int(raw)
    except ValueError:
        raise BodyError(f"{name}: expected an integer, got {raw!r}", name) from None
    if not lo <= v <= hi:
        raise BodyError(f"{name}: expected {lo}..{hi}, got {v}", name)
    return v


# -- read-only resources ----------------------------------------------------------------
async def get_topology(request: web.Request) -> web.Response:
    svc = _svc(request)
    inv = svc.inputs.network
    cached = svc.cache.get("topology")
    if cached is None or cached[0] is not inv:  # serialised once per inventory
        cached = (inv, json.dumps(to_rfc8345(inv)).encode())
        svc.cache["topology"] = cached
    return web.Response(body=cached[1], content_type="application/json")


async def get_devices(request: web.Request) -> web.Response:
    svc = _svc(request)
    if svc.devices is None:
        return web.json_response({"devices": [], "discovered": None})
    return web.json_response(
        {"devices": svc.devices.devices_json(), "discovered": svc.devices.last_time}
    )


async def post_discover(request: web.Request) -> web.Response:
    svc = _svc(request)
    if svc.devices is None:
        return json_error(409, "no devices are managed (start with --lab or --devices)")
    svc.store.audit(request[WHO], "discover")
    await svc.devices.discover(f"requested by {request[WHO]}")
    return web.json_response(
        {"devices": svc.devices.devices_json(), "discovered": svc.devices.last_time}
    )


async def get_signals(request: web.Request) -> web.Response:
    return web.json_response(_svc(request).inputs.signals_json(_bool(request, "data")))


async def put_signals(request: web.Request) -> web.Response:
    svc = _svc(request)
    body = await request.read()
    params = {k: request.query[k] for k in ("date", "policy") if k in request.query}
    if params.get("policy") not in (None, "ffill", "interpolate", "worst"):
        raise BodyError(
            f"policy: expected ffill, interpolate or worst, got {params['policy']!r}", "policy"
        )
    ctype = request.content_type
    async with svc.mutate:  # parsing a large file must not stall the loop
        _, shift = await asyncio.to_thread(
            svc.inputs.put_signals, body, ctype, params, request[WHO]
        )
    svc.store.audit(request[WHO], "put signals", body)
    svc.bus.publish(
        "signals",
        {"who": request[WHO], "largest_move": shift.largest, "per_site": dict(shift.per_site)},
    )
    svc.loop.on_signals(shift)
    return web.json_response(svc.inputs.signals_json())


async def get_workloads(request: web.Request) -> web.Response:
    return web.json_response({"workloads": _svc(request).inputs.workload_docs()})


async def post_workloads(request: web.Request) -> web.Response:
    svc = _svc(request)
    raw = await request.read()
    body = validate_body(WorkloadsIn, raw)
    items = [w.model_dump(exclude_none=True) for w in body.workloads]
    async with svc.mutate:
        await asyncio.to_thread(svc.inputs.add_workloads, items, request[WHO])
    svc.store.audit(request[WHO], f"add workloads {[w['id'] for w in items][:20]}", raw)
    return web.json_response({"workloads": svc.inputs.workload_docs()}, status=201)


async def delete_workload(request: web.Request) -> web.Response:
    svc = _svc(request)
    wid = request.match_info["id"]
    if not svc.inputs.delete_workload(wid):
        return json_error(404, f"no workload {wid!r}", "id")
    svc.store.audit(request[WHO], f"delete workload {wid}")
    return web.json_response({"workloads": svc.inputs.workload_docs()})


async def get_caps(request: web.Request) -> web.Response:
    doc = _svc(request).inputs.caps_doc
    return web.json_response({"caps": doc["caps"], "source": doc["source"]})


async def put_caps(request: web.Request) -> web.Response:
    svc = _svc(request)
    raw = await request.read()
    body = validate_body(CapsIn, raw)
    async with svc.mutate:
        await asyncio.to_thread(
            svc.inputs.put_caps, body.model_dump(exclude_defaults=True), request[WHO]
        )
    svc.store.audit(request[WHO], "put caps", raw)
    svc.loop.on_caps()
    doc = svc.inputs.caps_doc
    return web.json_response({"caps": doc["caps"], "source": doc["source"]})


# -- plans --------------------------------------------------------------------------------
async def post_plans(request: web.Request) -> web.Response:
    svc = _svc(request)
    raw = await request.read()
    body = validate_body(PlanIn, raw, optional=True)
    job = svc.jobs.submit(body.model_dump(exclude_none=True), request[WHO])
    svc.store.audit(request[WHO], f"queue plan {job['id']}", raw)
    loc = f"/plans/{job['id']}"
    return web.json_response(
        {"id": job["id"], "status": job["status"], "location": loc},
        status=202,
        headers={"Location": loc},
    )


async def get_plans(request: web.Request) -> web.Response:
    limit = _int(request, "limit", 50, 1, 1000)
    jobs = _svc(request).store.jobs(limit=limit or 50)
    return web.json_response({"jobs": jobs})


def _job(request: web.Request) -> dict[str, Any]:
    job = _svc(request).jobs.get(request.match_info["id"])
    if job is None:
        raise web.HTTPNotFound(
            text=json.dumps({"error": f"no plan {request.match_info['id']!r}", "field": "id"}),
            content_type="application/json",
        )
    return job


async def get_plan(request: web.Request) -> web.Response:
    return web.json_response(_job(request))


async def delete_plan(request: web.Request) -> web.Response:
    svc = _svc(request)
    job = _job(request)
    out = svc.jobs.cancel(job["id"], request[WHO]) or job
    svc.store.audit(request[WHO], f"cancel plan {job['id']}")
    return web.json_response(out)


async def apply_plan(request: web.Request) -> web.Response:
    svc = _svc(request)
    dry = _bool(request, "dry_run")
    raw = await request.read()
    body = validate_body(ApplyIn, raw, optional=True)
    job = _job(request)
    if job["status"] != "succeeded" or not job.get("result"):
        return json_error(409, f"plan {job['id']} is {job['status']}, expected succeeded", "id")
    if job["result"].get("status") not in ("optimal", "feasible"):
        return json_error(
            409, f"plan {job['id']} is {job['result'].get('status')}: nothing to push"
        )
    if svc.devices is None:
        return json_error(409, "no devices are managed (start with --lab or --devices)")
    if not dry:
        svc.store.audit(request[WHO], f"apply plan {job['id']} (requested)", raw)
    out = await svc.applier.apply(
        job, slot=body.slot, dry_run=dry, who=request[WHO], confirm_timeout_s=body.confirm_timeout_s
    )
    return web.json_response(out)


async def get_transactions(request: web.Request) -> web.Response:
    limit = _int(request, "limit", 50, 1, 1000)
    return web.json_response({"transactions": _svc(request).store.transaction_docs(limit or 50)})


# -- events, health, metrics, the document ------------------------------------------------
async def get_events(request: web.Request) -> web.StreamResponse:
    svc = _svc(request)
    last = request.headers.get("Last-Event-ID") or request.query.get("since")
    try:
        last_id = int(last) if last is not None else None
    except ValueError:
        raise BodyError(
            f"Last-Event-ID: expected an integer, got {last!r}", "Last-Event-ID"
        ) from None
    resp = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    await resp.prepare(request)
    await resp.write(b": fsor events\n\n")
    async for event in svc.bus.subscribe(last_id, keepalive_s=15.0):
        await resp.write(b": keepalive\n\n" if event is None else sse(event).encode())
    return resp


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "detail": {}})


async def readyz(request: web.Request) -> web.Response:
    svc = _svc(request)
    ok = svc.is_ready() and svc.jobs.accepting
    return web.json_response(
        {"status": "ready" if ok else "not ready", "detail": dict(svc.ready)},
        status=200 if ok else 503,
    )


async def metrics(request: web.Request) -> web.Response:
    svc = _svc(request)
    svc.metrics.queue_depth.set(svc.jobs.depth)
    return web.Response(body=svc.metrics.render(), headers={"Content-Type": CONTENT_TYPE})


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(_svc(request).openapi)
