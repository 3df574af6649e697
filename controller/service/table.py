"""The route table: every operation with the schemas that validate it and document it in
``/openapi.json`` (docs/api.md "Resources")."""

from __future__ import annotations

from controller.service.openapi import Route
from controller.service.routes import (
    apply_plan,
    delete_plan,
    delete_workload,
    get_caps,
    get_devices,
    get_events,
    get_plan,
    get_plans,
    get_signals,
    get_topology,
    get_transactions,
    get_workloads,
    healthz,
    metrics,
    openapi,
    post_discover,
    post_plans,
    post_workloads,
    put_caps,
    put_signals,
    readyz,
)
from controller.service.schemas import (
    Accepted,
    ApplyIn,
    ApplyOut,
    CapsIn,
    CapsOut,
    DevicesOut,
    HealthOut,
    JobOut,
    JobsOut,
    PlanIn,
    SignalsOut,
    TransactionsOut,
    WorkloadsIn,
    WorkloadsOut,
)

__all__ = ["ROUTES"]

_ID = [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]
_LIMIT = [
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}
]
_TEXT = {"description": "text", "content": {"text/plain": {"schema": {"type": "string"}}}}
_ANY = {"description": "JSON", "content": {"application/json": {"schema": {"type": "object"}}}}

ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/topology",
        "The network in use (RFC 8345 ietf-network JSON)",
        get_topology,
        responses={200: _ANY},
    ),
    Route(
        "GET",
        "/devices",
        "Devices: reachable, last seen, reason",
        get_devices,
        responses={200: DevicesOut},
    ),
    Route(
        "POST",
        "/devices/discover",
        "Discover the devices now",
        post_discover,
        responses={200: DevicesOut, 409: _ANY},
    ),
    Route(
        "GET",
        "/signals",
        "The signals in use",
        get_signals,
        responses={200: SignalsOut},
        params=[{"name": "data", "in": "query", "schema": {"type": "boolean"}}],
    ),
    Route(
        "PUT",
        "/signals",
        "Ingest signals (any format `fsor plan --signals` reads)",
        put_signals,
        raw_body={"text/csv": {"schema": {"type": "string"}}, "application/json": {"schema": {}}},
        params=[
            {"name": "date", "in": "query", "schema": {"type": "string", "format": "date"}},
            {
                "name": "policy",
                "in": "query",
                "schema": {"enum": ["ffill", "interpolate", "worst"]},
            },
        ],
        responses={200: SignalsOut},
    ),
    Route("GET", "/workloads", "Workloads", get_workloads, responses={200: WorkloadsOut}),
    Route(
        "POST",
        "/workloads",
        "Add (or replace) workloads",
        post_workloads,
        body=WorkloadsIn,
        responses={201: WorkloadsOut},
    ),
    Route(
        "DELETE",
        "/workloads/{id}",
        "Remove a workload",
        delete_workload,
        params=_ID,
        responses={200: WorkloadsOut},
    ),
    Route("GET", "/caps", "Caps in force", get_caps, responses={200: CapsOut}),
    Route("PUT", "/caps", "Replace the caps", put_caps, body=CapsIn, responses={200: CapsOut}),
    Route(
        "POST",
        "/plans",
        "Queue a plan (202 + job id)",
        post_plans,
        body=PlanIn,
        body_required=False,
        responses={202: Accepted, 503: _ANY},
    ),
    Route(
        "GET",
        "/plans",
        "Plan jobs, newest first",
        get_plans,
        params=_LIMIT,
        responses={200: JobsOut},
    ),
    Route(
        "GET",
        "/plans/{id}",
        "A plan job: status, progress, result",
        get_plan,
        params=_ID,
        responses={200: JobOut},
    ),
    Route(
        "DELETE",
        "/plans/{id}",
        "Cancel a plan job",
        delete_plan,
        params=_ID,
        responses={200: JobOut},
    ),
    Route(
        "POST",
        "/plans/{id}/apply",
        "Push a plan's slot in one confirmed transaction",
        apply_plan,
        body=ApplyIn,
        body_required=False,
        params=[*_ID, {"name": "dry_run", "in": "query", "schema": {"type": "boolean"}}],
        responses={200: ApplyOut, 409: _ANY, 502: _ANY},
    ),
    Route(
        "GET",
        "/transactions",
        "Transactions, newest first",
        get_transactions,
        params=_LIMIT,
        responses={200: TransactionsOut},
    ),
    Route(
        "GET",
        "/events",
        "Server-Sent Events (Last-Event-ID resumes)",
        get_events,
        params=[{"name": "Last-Event-ID", "in": "header", "schema": {"type": "integer"}}],
        responses={
            200: {
                "description": "an event stream",
                "content": {"text/event-stream": {"schema": {"type": "string"}}},
            }
        },
    ),
    Route("GET", "/healthz", "Liveness", healthz, responses={200: HealthOut}),
    Route(
        "GET",
        "/readyz",
        "Readiness (worker up, first discovery done)",
        readyz,
        responses={200: HealthOut, 503: HealthOut},
    ),
    Route("GET", "/metrics", "Prometheus metrics", metrics, responses={200: _TEXT}),
    Route("GET", "/openapi.json", "This document", openapi, responses={200: _ANY}),
)
