"""ORCA's Table V case study: CO2-only vs zone-aware placement, per start hour.

For every hour of Table V (2025-07-01, 24 hours; 2026-01-01, 00:00 and 01:00)
the case-study job (Django unit tests, 6.905 Wh, 883 s, 51.7 MB from
Frankfurt) is pinned to start in that hour (release = hour, deadline = hour + 1)
and placed twice on the embedded ORCA network:

* **co2-only** — :func:`optimizer.baselines.co2_only`: the data centre with the
  lowest CO2-eq burden I_co2 (execution + transfer), caps not enforced;
* **zone-aware** — the joint program (:class:`optimizer.solve.program.Planner`, HiGHS,
  gap 0): minimum Σ_e ω_e·I_e/s_e over every Table V dimension (co2eq, so2eq,
  co, no2, pm25, price, water), equal weights ω_e = 1 by default.

The scales s_e are the mean of dimension e over the **whole table** (both dates,
all regions and hours, N/A cells filled by ``ffill`` first), so the 2026 hours
are normalised like the 2025 ones. One program per date holds one job per
hour; no cap binds (the job is a few Wh), so the joint plan is the per-hour
argmin and each (site, hour) row of the plan's burdens is exactly one job's I_e.

>>> case = orca_case()
>>> len(case.hours), case.hours[0].date, case.hours[0].start
(26, '2025-07-01', '00:00')
>>> case.hours[0].co2_only, case.counts["co2_only"]["CA"] + case.counts["co2_only"]["JP"] > 0
('CA', True)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from optimizer.baselines import co2_only
from optimizer.inputs import make_instance
from optimizer.inputs.caps import Scales, Weights
from optimizer.inputs.instance import BURDEN_DIMS
from optimizer.inputs.signals import default_signals
from optimizer.inputs.workloads import default_workloads
from optimizer.model.accounting import burden_factor
from optimizer.model.plan import Plan
from optimizer.solve.program import Planner
from topology.errors import InputError
from topology.io import default_inventory

__all__ = ["ORCA_DATES", "HourChoice", "OrcaCase", "orca_case", "parse_weights", "table_scales"]

#: the dates of Table V (2025-07-01: 24 hours; 2026-01-01: 2 hours)
ORCA_DATES: tuple[str, ...] = ("2025-07-01", "2026-01-01")
POLICIES: tuple[str, ...] = ("co2_only", "zone_aware")


@dataclass(frozen=True)
class HourChoice:
    """One start hour: the region each policy picks, and both jobs' burdens I_e and scores."""

    date: str
    start: str
    co2_only: str
    zone_aware: str
    burdens: Mapping[str, Mapping[str, float]]
    score: Mapping[str, float]

    @property
    def differ(self) -> bool:
        """Whether the two policies pick different data centres."""
        return self.co2_only != self.zone_aware

    def difference(self, dim: str) -> float:
        """I_e(zone-aware) − I_e(co2-only): negative = zone-aware bears less."""
        return self.burdens["zone_aware"][dim] - self.burdens["co2_only"][dim]

    def to_json(self) -> dict[str, Any]:
        return {
            "date": self.date,
            "start": self.start,
            "co2_only": self.co2_only,
            "zone_aware": self.zone_aware,
            "differ": self.differ,
            "burdens": {p: dict(self.burdens[p]) for p in POLICIES},
            "score": dict(self.score),
            "difference": {d: self.difference(d) for d in self.burdens["co2_only"]},
        }


@dataclass(frozen=True)
class OrcaCase:
    """The case study: every hour, counts per region, weights and scales used."""

    hours: tuple[HourChoice, ...]
    weights: Mapping[str, float]
    scales: Mapping[str, float]
    units: Mapping[str, str]
    regions: tuple[str, ...]

    @property
    def dims(self) -> tuple[str, ...]:
        return tuple(self.weights)

    @property
    def counts(self) -> dict[str, dict[str, int]]:
        """Allocations per region under each policy (every region listed, zeros included)."""
        out = {p: dict.fromkeys(self.regions, 0) for p in POLICIES}
        for h in self.hours:
            out["co2_only"][h.co2_only] += 1
            out["zone_aware"][h.zone_aware] += 1
        return out

    def totals(self) -> dict[str, dict[str, float]]:
        """Σ over hours of each policy's burdens and scores (key ``score``)."""
        out: dict[str, dict[str, float]] = {}
        for p in POLICIES:
            tot = {d: sum(h.burdens[p][d] for h in self.hours) for d in self.dims}
            tot["score"] = sum(h.score[p] for h in self.hours)
            out[p] = tot
        return out

    def to_json(self) -> dict[str, Any]:
        tot = self.totals()
        return {
            "experiment": "orca",
            "hours": [h.to_json() for h in self.hours],
            "counts": self.counts,
            "differing_hours": [f"{h.date} {h.start}" for h in self.hours if h.differ],
            "totals": tot,
            "total_difference": {
                k: tot["zone_aware"][k] - tot["co2_only"][k] for k in tot["co2_only"]
            },
            "weights": dict(self.weights),
            "scales": dict(self.scales),
            "units": dict(self.units),
        }


def parse_weights(text: str) -> dict[str, float]:
    """``"co2eq=2,water=0.5"`` → weights; dimensions not named keep ω = 1.

    >>> parse_weights("co2eq=2, water=0")["water"], parse_weights("")["price"]
    (0.0, 1.0)
    >>> parse_weights("smell=1")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    topology.errors.InputError: --weights: smell: expected a dimension in co2eq, ..., got 'smell'
    """
    out = dict.fromkeys(BURDEN_DIMS, 1.0)
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        name = name.strip()
        if name not in out:
            raise InputError(
                "--weights", name, name, f"expected a dimension in {', '.join(BURDEN_DIMS)}"
            )
        try:
            w = float(value) if sep else float("nan")
        except ValueError:
            w = float("nan")
        if not w >= 0:
            raise InputError("--weights", name, value, "expected a number >= 0")
        out[name] = w
    return out


def table_scales() -> dict[str, float]:
    """s_e = mean of dimension e over all of Table V (both dates, all regions and hours)."""
    vals: dict[str, list[float]] = {}
    for date in ORCA_DATES:
        sig = default_signals(date)
        for dim in sig.dims:
            for r in sig.regions:
                if sig.has(r, dim):
                    vals.setdefault(dim, []).extend(float(v) for v in sig.series(r, dim))
    return {d: (abs(sum(v) / len(v)) or 1.0) for d, v in vals.items()}


def _by_job(plan: Plan, region: Mapping[str, str]) -> dict[str, tuple[str, int]]:
    return {p.workload: (region[p.site], p.slot) for p in plan.placements}


def orca_case(weights: Mapping[str, float] | None = None) -> OrcaCase:
    """Run the case study (see the module docstring); deterministic, a few seconds."""
    omega = dict(weights) if weights is not None else dict.fromkeys(BURDEN_DIMS, 1.0)
    scales = table_scales()
    inventory = default_inventory()
    region = {s.id: s.region for s in inventory.sites}
    (job,) = default_workloads()
    hours: list[HourChoice] = []
    units: dict[str, str] = {}
    for date in ORCA_DATES:
        sig = default_signals(date)
        units.update({d: sig.unit(d) for d in sig.dims})
        jobs = [
            replace(job, id=f"{job.id}@{t:%H:%M}", release=i, deadline=i + 1)
            for i, t in enumerate(sig.slots)
        ]
        inst = make_instance(
            inventory, sig, jobs, weights=Weights(omega), scales=Scales(scales), site_caps=False
        )
        plans = {
            "zone_aware": Planner(inst).solve(time_limit=30, mip_gap=0.0, warm=None),
            "co2_only": co2_only(inst),
        }
        if plans["zone_aware"].status != "optimal":
            raise InputError("orca", "zone_aware", plans["zone_aware"].status, "expected optimal")
        at = {p: _by_job(plans[p], region) for p in POLICIES}
        rows = {p: {(b.site, b.slot): b.burdens for b in plans[p].burdens} for p in POLICIES}
        site_of = {s.region: s.id for s in inventory.sites}
        dims = [d for d in inst.weights.weight]
        for t, w in zip(sig.slots, jobs, strict=True):
            burdens: dict[str, dict[str, float]] = {}
            score: dict[str, float] = {}
            for p in POLICIES:
                reg, slot = at[p][w.id]
                b = rows[p][(site_of[reg], slot)]
                burdens[p] = {d: float(b[d]) for d in dims}
                # the objective's terms: burden / (scale x the accounting's unit factor)
                score[p] = sum(
                    inst.weights.weight[d] * burdens[p][d]
                    / (inst.weights.scale[d] * burden_factor(d))
                    for d in dims
                )
            hours.append(
                HourChoice(
                    date, f"{t:%H:%M}", at["co2_only"][w.id][0], at["zone_aware"][w.id][0],
                    burdens, score,
                )
            )
    dims_all = [d for d in BURDEN_DIMS if d in units]
    return OrcaCase(
        hours=tuple(hours),
        weights={d: omega.get(d, 1.0) for d in dims_all},
        scales={d: scales[d] for d in dims_all},
        units={d: units[d] for d in dims_all},
        regions=tuple(sorted(region.values())),
    )
