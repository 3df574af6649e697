"""Request and response schemas: the same pydantic models validate requests and generate
``/openapi.json`` (:mod:`controller.service.openapi`).

Structural checks (types, ranges, unknown keys) happen here; domain checks (an origin that is
not a node, a site that does not exist, a unit that does not convert) in the loaders the
CLI uses, so the API and the command line refuse the same inputs with the same messages.

>>> PlanIn.model_validate({"time_limit_s": 5}).method
'auto'
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ApplyIn",
    "CapsIn",
    "DeviceOut",
    "ErrorOut",
    "EventOut",
    "HealthOut",
    "JobOut",
    "PlanIn",
    "SignalsOut",
    "TransactionOut",
    "WorkloadIn",
    "WorkloadsIn",
]

Quantity = float | str  # a canonical number or a quantity with a unit ("6.9 Wh")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WorkloadIn(_Strict):
    """One workload (the keys of ``--workloads`` files; see docs/model.md)."""

    id: str = Field(min_length=1, max_length=200)
    origin: str = Field(min_length=1, description="network node the data comes from")
    energy: Quantity | None = None
    energy_kwh: float | None = Field(default=None, gt=0)
    duration: Quantity | None = None
    duration_s: float | None = Field(default=None, gt=0)
    profile_kwh: list[float] | None = Field(default=None, min_length=1)
    interval: Quantity | None = None
    interval_s: float | None = Field(default=None, gt=0)
    allowed_sites: list[str] | None = None
    release: str | int | None = None
    deadline: str | int | None = None
    data_in: Quantity | None = None
    data_in_gb: float | None = Field(default=None, ge=0)
    data_out: Quantity | None = None
    data_out_gb: float | None = Field(default=None, ge=0)


class WorkloadsIn(_Strict):
    """``POST /workloads`` body: workloads to add (an existing id is replaced)."""

    workloads: list[WorkloadIn] = Field(min_length=1, max_length=10000)


class CapsIn(_Strict):
    """``PUT /caps`` body (the layout of ``--caps`` files); replaces the caps."""

    site_power: dict[str, Quantity] = Field(default_factory=dict)
    site_water_per_day: dict[str, Quantity] = Field(default_factory=dict)
    carbon_per_day: dict[str, Quantity] = Field(default_factory=dict)
    zone_caps: dict[str, Any] = Field(default_factory=dict)


class PlanIn(_Strict):
    """``POST /plans`` body (all optional)."""

    time_limit_s: float | None = Field(default=None, gt=0, le=3600)
    mip_gap: float | None = Field(default=None, ge=0, lt=1)
    method: Literal["auto", "lns", "milp"] = "auto"
    apply: bool = Field(default=False, description="push the plan when it is done")


class ApplyIn(_Strict):
    """``POST /plans/{id}/apply`` body (optional)."""

    slot: int | None = Field(default=None, ge=0, description="slot to push (default: first)")
    confirm_timeout_s: int | None = Field(default=None, ge=1, le=3600)


class ErrorOut(BaseModel):
    """An error: ``field`` names the offending field when there is one."""

    error: str
    field: str | None = None
    detail: list[dict[str, Any]] | None = None


class JobOut(BaseModel):
    """A plan job."""

    id: str
    seq: int
    kind: str
    status: Literal["queued", "running", "succeeded", "failed", "cancelled", "interrupted"]
    who: str
    trigger: str
    created: str
    started: str | None = None
    finished: str | None = None
    attempts: int = 0
    request: dict[str, Any]
    progress: list[dict[str, Any]]
    result: dict[str, Any] | None = Field(
        default=None, description="the plan, in the `fsor plan --json` shape"
    )
    error: str | None = None
    info: dict[str, Any] = Field(default_factory=dict)


class JobsOut(BaseModel):
    jobs: list[JobOut]


class DeviceOut(BaseModel):
    """A device as the service last saw it."""

    id: str
    kind: str
    reachable: bool
    reason: str | None = None
    last_seen: str | None = None
    power_w: float | None = None


class DevicesOut(BaseModel):
    devices: list[DeviceOut]
    discovered: str | None = None


class SignalsOut(BaseModel):
    """The signals in use."""

    source: str
    regions: list[str]
    dims: list[str]
    slots: list[str]
    slot_hours: float
    units: dict[str, str]
    filled: int
    data: dict[str, dict[str, list[float]]] | None = None


class WorkloadsOut(BaseModel):
    workloads: list[dict[str, Any]]


class CapsOut(BaseModel):
    caps: dict[str, Any]
    source: str


class TransactionOut(BaseModel):
    id: int
    started: str
    finished: str | None = None
    who: str
    devices: list[str]
    outcome: str
    device_outcomes: dict[str, str]
    diff: Any = None
    plan_digest: str | None = None
    rollback_of: int | None = None


class TransactionsOut(BaseModel):
    transactions: list[TransactionOut]


class ApplyOut(BaseModel):
    """What an apply did (or would do with ``dry_run``)."""

    dry_run: bool
    plan: str
    slot: int | None
    lightpaths: int
    changed: list[str]
    devices: dict[str, dict[str, Any]]
    transaction: int | None = None
    not_pushed: list[str] = Field(default_factory=list)
    timings: dict[str, float] = Field(default_factory=dict)


class HealthOut(BaseModel):
    status: str
    detail: dict[str, Any] = Field(default_factory=dict)


class EventOut(BaseModel):
    """One Server-Sent Event's ``data`` (``id`` and ``event`` lines carry id and kind)."""

    id: int
    kind: str
    time: float
    data: dict[str, Any]


class Accepted(BaseModel):
    """``202``: the job was queued."""

    id: str
    status: str
    location: str
