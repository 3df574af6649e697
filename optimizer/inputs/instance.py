"""The plain, slot-resolved input of the joint program.

An :class:`Instance` is what :func:`optimizer.model.formulation.build` compiles:
sites, the signal grid, workloads grouped into classes of identical jobs, the
network data, the caps and the objective weights, all indexed by slot. The
front ends (CLI, API, benchmark) make one from the richer input types of
:mod:`optimizer.inputs.signals`, :mod:`optimizer.inputs.workloads` and :mod:`optimizer.inputs.caps`.

>>> c = JobClass(("a", "b"), "r1", (1.0, 0.5), ("DE",), 0, 4, 0.0)
>>> c.count, c.length, c.starts(24)
(2, 2, (0, 1, 2))
>>> zone_key("co2eq", SiteSpec("dc", "r", "DE")), zone_key("no2", SiteSpec("dc", "r", "DE"))
('global', 'dc')
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from optimizer.inputs.network import NetworkData

__all__ = [
    "BURDEN_DIMS",
    "CapSpec",
    "Filled",
    "Instance",
    "JobClass",
    "SiteSpec",
    "Weights",
    "zone_key",
]

#: dimensions that are burdens (I_e); ``power_headroom`` is a cap, not a burden
BURDEN_DIMS: tuple[str, ...] = ("co2eq", "so2eq", "co", "no2", "pm25", "price", "water")

_ZONE_OF: Mapping[str, str] = {
    "co2eq": "global",
    "so2eq": "production",
    "co": "production",
    "no2": "datacentre",
    "pm25": "datacentre",
    "price": "datacentre",
    "water": "datacentre",
}


@dataclass(frozen=True)
class Filled:
    """One signal value the plan used that was missing and filled by a policy."""

    site: str
    dimension: str
    at: str
    value: float
    policy: str

    def to_json(self) -> dict[str, Any]:
        value = float(self.value)
        return {
            "site": self.site,
            "dimension": self.dimension,
            "at": self.at,
            "value": value if math.isfinite(value) else None,
            "policy": self.policy,
        }


@dataclass(frozen=True)
class SiteSpec:
    """A data-centre site: its ROADM, grid/signal region, PUE and WUE (L/kWh of IT energy)."""

    id: str
    roadm: str
    region: str
    pue: float = 1.2
    wue_l_per_kwh: float = 1.8


def zone_key(dim: str, site: SiteSpec) -> str:
    """Where the burden of ``dim`` at ``site`` falls: ``global``, the region, or the site."""
    zone = _ZONE_OF.get(dim, "datacentre")
    if zone == "global":
        return "global"
    return site.region if zone == "production" else site.id


@dataclass(frozen=True)
class JobClass:
    """Identical workloads (same origin, profile, sites, window, volume) planned as one count.

    ``profile_kwh[i]`` is the IT energy in the i-th slot after the start; a
    start τ is allowed when ``release <= τ`` and ``τ + length <= deadline``
    (``deadline`` is the exclusive end slot).
    """

    ids: tuple[str, ...]
    origin: str
    profile_kwh: tuple[float, ...]
    sites: tuple[str, ...]
    release: int
    deadline: int
    volume_gb: float = 0.0

    @property
    def count(self) -> int:
        return len(self.ids)

    @property
    def length(self) -> int:
        return len(self.profile_kwh)

    def starts(self, horizon: int) -> tuple[int, ...]:
        """Allowed start slots within ``horizon`` slots."""
        last = min(self.deadline, horizon) - self.length
        return tuple(range(max(self.release, 0), last + 1))


@dataclass(frozen=True)
class CapSpec:
    """Hard caps, resolved to sites, zones, slots and days. Missing key = uncapped.

    Attributes
    ----------
    power_kw : site -> kW per slot (one value for all slots or one per slot);
        facility power (IT x PUE) of compute and network charged to the site.
    water_l_per_day : site -> litres per UTC day (WUE x IT energy).
    carbon_g_per_day : zone (grid region) -> g CO2-eq per UTC day.
    carbon_total_g_per_day : g CO2-eq per UTC day over all sites.
    zone_per_day : (dimension, zone key) -> burden per UTC day in that zone.
    zone_horizon : (dimension, zone key) -> burden over the whole horizon in that zone.
    per_job : (dimension, zone key) -> cap on one workload's I_e (ORCA's constraint layer).
    """

    power_kw: Mapping[str, float | tuple[float, ...]] = field(default_factory=dict)
    water_l_per_day: Mapping[str, float] = field(default_factory=dict)
    carbon_g_per_day: Mapping[str, float] = field(default_factory=dict)
    carbon_total_g_per_day: float | None = None
    zone_per_day: Mapping[tuple[str, str], float] = field(default_factory=dict)
    zone_horizon: Mapping[tuple[str, str], float] = field(default_factory=dict)
    per_job: Mapping[tuple[str, str], float] = field(default_factory=dict)


@dataclass(frozen=True)
class Weights:
    """Objective Σ_e ω_e·I_e/s_e: ``weight`` ω_e and normalisation ``scale`` s_e per dim."""

    weight: Mapping[str, float]
    scale: Mapping[str, float]


@dataclass(frozen=True, eq=False)
class Instance:
    """One planning instance, slot-resolved.

    ``signal[(site, dim)]`` holds one value per slot for the site's region;
    ``busy[(fibre, slot)]`` lists channels occupied in that slot beyond
    ``network.free`` (e.g. lightpaths of an earlier plan). ``lost_work_factor``
    λ prices a workload the plan does not serve at λ × its energy × the
    dearest objective coefficient (:func:`optimizer.model.accounting.lost_work_values`).
    """

    slots: tuple[datetime, ...]
    slot_hours: float
    sites: tuple[SiteSpec, ...]
    signal: Mapping[tuple[str, str], npt.NDArray[np.float64]]
    classes: tuple[JobClass, ...]
    network: NetworkData
    caps: CapSpec
    weights: Weights
    filled: tuple[Filled, ...] = ()
    busy: Mapping[tuple[str, int], frozenset[int]] = field(default_factory=dict)
    lost_work_factor: float = 10.0

    @property
    def horizon(self) -> int:
        return len(self.slots)

    def site_index(self) -> dict[str, int]:
        return {s.id: i for i, s in enumerate(self.sites)}

    def days(self) -> tuple[str, ...]:
        """UTC day (ISO date) of each slot."""
        return tuple(t.date().isoformat() for t in self.slots)

    def dims(self) -> tuple[str, ...]:
        """Burden dimensions with a signal at every site."""
        return tuple(d for d in BURDEN_DIMS if all((s.id, d) in self.signal for s in self.sites))

    def cost(self) -> npt.NDArray[np.float64]:
        """Objective coefficient per (site, slot) and kWh: Σ_e ω_e·g_{d,e}(t)/s_e."""
        out = np.zeros((len(self.sites), self.horizon))
        for dim, w in self.weights.weight.items():
            if w == 0:
                continue
            scale = self.weights.scale.get(dim, 1.0)
            for i, s in enumerate(self.sites):
                out[i] += w * np.asarray(self.signal[(s.id, dim)], dtype=float) / scale
        return out
