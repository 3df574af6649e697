"""The typed result of a plan: placements, lightpaths, burdens, caps, bound, diagnosis.

A :class:`Plan` is what every planner returns (the joint program and the
baselines alike). ``status`` is one of ``optimal`` (proven within the MIP gap
tolerance), ``feasible`` (an incumbent whose gap is above the tolerance, e.g. at
the time limit), ``infeasible`` (answered: the caps cannot all hold; see
``diagnosis``) and ``error`` (the solver failed; see ``message``).

>>> from datetime import datetime, timezone
>>> t0 = datetime(2025, 7, 1, tzinfo=timezone.utc)
>>> p = Plan(status="optimal", objective=1.5,
...          placements=(Placement("w1", "DE", t0, 0),),
...          timings=Timings(compile_s=0.1, solve_s=0.2))
>>> doc = p.to_json()
>>> doc["placements"]
[{'workload': 'w1', 'site': 'DE', 'start': '2025-07-01T00:00:00+00:00', 'slot': 0}]
>>> doc["timings"]["solve_s"], doc["gap"]
(0.2, None)
>>> Plan(status="nope")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: Plan.status: expected one of ('optimal', 'feasible', 'infeasible', 'error'), got 'nope'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from optimizer.inputs.instance import Filled

__all__ = [
    "STATUSES",
    "CapUse",
    "Filled",
    "Lightpath",
    "Placement",
    "Plan",
    "Relaxation",
    "SiteSlotBurden",
    "Status",
    "Timings",
    "Unassigned",
]

Status = Literal["optimal", "feasible", "infeasible", "error"]
STATUSES: tuple[str, ...] = ("optimal", "feasible", "infeasible", "error")


def _num(x: float | None) -> float | None:
    """A JSON-safe float: ``None`` for missing or non-finite values."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


@dataclass(frozen=True)
class Placement:
    """Workload ``workload`` runs at ``site`` from ``start`` (slot index ``slot``)."""

    workload: str
    site: str
    start: datetime
    slot: int
    variant: str | None = None

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "workload": self.workload,
            "site": self.site,
            "start": self.start.isoformat(),
            "slot": self.slot,
        }
        if self.variant is not None:
            doc["variant"] = self.variant
        return doc


@dataclass(frozen=True)
class Lightpath:
    """One lightpath: node path, fibres, channel index and centre frequency, transponders.

    ``workload`` is ``None`` for a lightpath that carries no single workload (e.g.
    a shared one). ``slot`` is the slot the transfer happens in, ``energy_kwh``
    the transfer energy charged for it, ``gb`` the volume it carries.
    """

    workload: str | None
    path: tuple[str, ...]
    fibres: tuple[str, ...]
    channel: int
    frequency_thz: float
    transponders: tuple[str, ...] = ()
    slot: int = 0
    gb: float = 0.0
    energy_kwh: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "workload": self.workload,
            "path": list(self.path),
            "fibres": list(self.fibres),
            "channel": self.channel,
            "frequency_thz": self.frequency_thz,
            "transponders": list(self.transponders),
            "slot": self.slot,
            "gb": self.gb,
            "energy_kwh": self.energy_kwh,
        }


@dataclass(frozen=True)
class SiteSlotBurden:
    """What a site bears in one slot: power (compute + network, with PUE), water, carbon.

    ``burdens`` maps each signal dimension (co2eq, so2eq, co, no2, pm25, price,
    water, ...) to the burden I_e of the plan's energy at this site in this slot.
    """

    site: str
    slot: int
    start: datetime
    power_kw: float
    water_l: float
    carbon_g: float
    burdens: Mapping[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "slot": self.slot,
            "start": self.start.isoformat(),
            "power_kw": self.power_kw,
            "water_l": self.water_l,
            "carbon_g": self.carbon_g,
            "burdens": {k: _num(v) for k, v in self.burdens.items()},
        }


@dataclass(frozen=True)
class CapUse:
    """How much of one cap the plan uses: ``value`` of ``limit`` (``unit``)."""

    cap: str
    site_or_zone: str
    slot: str | None
    value: float
    limit: float
    unit: str

    @property
    def utilisation(self) -> float | None:
        """value / limit, ``None`` for a zero or infinite limit."""
        if self.limit == 0 or not math.isfinite(self.limit):
            return None
        return self.value / self.limit

    def to_json(self) -> dict[str, Any]:
        return {
            "cap": self.cap,
            "site_or_zone": self.site_or_zone,
            "slot": self.slot,
            "value": _num(self.value),
            "limit": _num(self.limit),
            "unit": self.unit,
            "utilisation": _num(self.utilisation),
        }


@dataclass(frozen=True)
class Relaxation:
    """A binding cap and how far it must move for the instance to become feasible.

    ``cap`` is a cap name (``power``, ``water``, ``carbon``, ``zone:<dim>``, ...)
    or ``workload`` for workload that has to go (``needed_relaxation`` is then the
    amount to shed, in ``unit``).
    """

    cap: str
    site_or_zone: str
    slot: str | None
    needed_relaxation: float
    unit: str

    def to_json(self) -> dict[str, Any]:
        return {
            "cap": self.cap,
            "site_or_zone": self.site_or_zone,
            "slot": self.slot,
            "needed_relaxation": float(self.needed_relaxation),
            "unit": self.unit,
        }


@dataclass(frozen=True)
class Unassigned:
    """A transfer request that got no lightpath (blocked), with the reason."""

    workload: str
    origin: str
    site: str
    slot: int
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "workload": self.workload,
            "origin": self.origin,
            "site": self.site,
            "slot": self.slot,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Timings:
    """Wall-clock seconds: cvxpy compile, solver, wavelength assignment, total."""

    compile_s: float = 0.0
    solve_s: float = 0.0
    assign_s: float = 0.0
    total_s: float = 0.0

    def to_json(self) -> dict[str, float]:
        return {
            "compile_s": self.compile_s,
            "solve_s": self.solve_s,
            "assign_s": self.assign_s,
            "total_s": self.total_s,
        }


@dataclass(frozen=True)
class Plan:
    """The answer of a planner.

    Attributes
    ----------
    status : {"optimal", "feasible", "infeasible", "error"}
    objective : Σ_e ω_e·I_e/s_e of the work the plan serves plus ``lost_work``, the value
        of the work it does not serve (``None`` unless a plan exists); its ``gap`` and
        ``bound`` are of this one objective.
    placements, lightpaths : the decisions.
    burdens : per-site-per-slot power, water, carbon and per-dimension burdens.
    caps : utilisation of every cap the instance has.
    gap : relative MIP gap (|obj - bound| / |obj|) as reported, ``None`` if unknown.
    bound : best proven lower bound (MIP dual bound; the LP relaxation if no better).
    lp_bound : the LP-relaxation objective (``None`` if not computed).
    timings : compile / solve / assign seconds.
    filled : every signal value that was missing and filled.
    diagnosis : for ``infeasible``: which caps bind and how far they must move.
    unassigned : workloads left without a site (``site == ""``) or whose transfer got no
        wavelength (blocked), with the reason.
    served : how many workloads the plan serves (placed, and their transfer routed).
    unserved : ids of workloads the plan does not place.
    blocked : ids of workloads placed but whose transfer has no wavelength (not served).
    lost_work : the value of the work not served (unserved and blocked), included in
        ``objective`` (:func:`optimizer.model.accounting.lost_work_values`).
    planner : who made it (``joint``, ``co2-only``, ``sequential``, ``first-fit``).
    message : a human note (solver message, approximation notes).
    """

    status: str
    objective: float | None = None
    placements: tuple[Placement, ...] = ()
    lightpaths: tuple[Lightpath, ...] = ()
    burdens: tuple[SiteSlotBurden, ...] = ()
    caps: tuple[CapUse, ...] = ()
    gap: float | None = None
    bound: float | None = None
    lp_bound: float | None = None
    timings: Timings = field(default_factory=Timings)
    filled: tuple[Filled, ...] = ()
    diagnosis: tuple[Relaxation, ...] = ()
    unassigned: tuple[Unassigned, ...] = ()
    planner: str = "joint"
    message: str = ""
    served: int = 0
    unserved: tuple[str, ...] = ()
    blocked: tuple[str, ...] = ()
    lost_work: float = 0.0

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"Plan.status: expected one of {STATUSES}, got {self.status!r}")

    @property
    def violated(self) -> tuple[CapUse, ...]:
        """Caps the plan exceeds (value above limit by more than a 1e-6 relative margin)."""
        return tuple(
            c for c in self.caps if math.isfinite(c.limit) and c.value > c.limit * (1 + 1e-6) + 1e-9
        )

    def total_burden(self, dimension: str) -> float:
        """Sum over sites and slots of the plan's burden in ``dimension``."""
        return sum(b.burdens.get(dimension, 0.0) for b in self.burdens)

    def to_json(self) -> dict[str, Any]:
        """The plan as the JSON document of DESIGN.md "Contracts" (plus extra keys)."""
        doc: dict[str, Any] = {
            "status": self.status,
            "objective": _num(self.objective),
            "placements": [p.to_json() for p in self.placements],
            "lightpaths": [lp.to_json() for lp in self.lightpaths],
            "gap": _num(self.gap),
            "bound": _num(self.bound),
            "lp_bound": _num(self.lp_bound),
            "timings": self.timings.to_json(),
            "burdens": [b.to_json() for b in self.burdens],
            "caps": [c.to_json() for c in self.caps],
            "filled": [f.to_json() for f in self.filled],
            "unassigned": [u.to_json() for u in self.unassigned],
            "planner": self.planner,
            "message": self.message,
            "served": self.served,
            "unserved": list(self.unserved),
            "blocked": list(self.blocked),
            "lost_work": _num(self.lost_work),
        }
        if self.status == "infeasible" or self.diagnosis:
            doc["diagnosis"] = [r.to_json() for r in self.diagnosis]
        return doc
