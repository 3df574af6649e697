"""One plan per day over real 2023 signals: joint vs sequential(+repair), first-fit, co2-only.

A *task* is one day: a plain dict (picklable, JSON-able) naming the scenario,
the day, the seed and the solver limit. :func:`run_day` turns it into a plain
dict of results, so any ``map``-like executor (a process pool, Ray) can run the
days, and a results file can resume a run. Nothing here touches the disk except
reading the package's own data (cached once per process).

Scenarios
---------
``year`` — the embedded ORCA network (dc-fra/DE, dc-tyo/JP, dc-sjc/CA;
96 channels, nothing occupied). Per day ``d`` (index ``i`` in 2023):
:func:`optimizer.inputs.workloads.synthetic_workloads` with ``n = 40`` workloads,
seed ``seed·1000 + i``, origins uniform over the network's 9 ROADMs, 1–4 h
long, 5–50 kW, 10–500 GB in (10 % out), release/deadline slack 0–8 h, all
within the UTC day. Caps: facility power ``90 kW × PUE`` per site per hour
(the mean load is ~38 kW IT per site, one job at most 50 kW, so the caps bind
where the clean hours cluster) and the network's water caps.
``backbone`` — GNPy's CORONET Global (100 ROADMs, 136 fibre pairs) with
**4 channels per fibre** (scarce) and data centres at Frankfurt and Berlin
(DE-LU), Tokyo (JP-TK), San Francisco and San Diego (US-CAL-CISO); 60
workloads a day from 20 seeded origin ROADMs, caps ``60 kW × PUE`` per site.

Signals: the real 2023 hourly carbon intensity (direct, g/kWh) and day-ahead
price (EUR/MWh at ECB 2023 rates) of DE-LU, JP-TK and US-CAL-CISO, the UTC day
of the task; the objective weighs co2eq and price equally (ω = 1), each scaled
by its mean over that day (``optimizer.inputs.caps.default_scales``).
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from optimizer.analysis.fsor_region import max_scale
from optimizer.analysis.region import region
from optimizer.baselines import co2_only, first_fit, sequential
from optimizer.inputs import make_instance
from optimizer.inputs.caps import Caps
from optimizer.inputs.instance import Instance
from optimizer.inputs.signal_grid import GRID_2023_DIR, load_grid_directory
from optimizer.inputs.signal_series import Signals
from optimizer.inputs.workload_types import Workload
from optimizer.inputs.workloads import synthetic_workloads
from optimizer.model.plan import Plan
from optimizer.solve.program import Planner
from topology.errors import InputError
from topology.io import default_inventory, load_named
from topology.model import ChannelGrid, Inventory, Site

__all__ = [
    "PLANNERS",
    "SCENARIOS",
    "day_tasks",
    "grid_2023_dir",
    "run_day",
    "scenario_inventory",
]

PLANNERS: tuple[str, ...] = ("joint", "sequential+repair", "first-fit", "co2-only")
YEAR_START = datetime(2023, 1, 1, tzinfo=UTC)

#: scenario -> workloads per day, IT power cap per site (kW, × PUE), origins
SCENARIOS: Mapping[str, Mapping[str, Any]] = {
    "year": {"types": 8, "rate": 4.0, "cap_kw": 90.0, "origins": None},
    "backbone": {"types": 12, "rate": 4.0, "cap_kw": 90.0, "origins": 20, "channels": 4},
}

BACKBONE_SITES: tuple[tuple[str, str, str, float, float], ...] = (
    # id, CORONET node, grid region, PUE, WUE (L/kWh)
    ("dc-frankfurt", "roadm Frankfurt", "DE", 1.3, 0.6),
    ("dc-berlin", "roadm Berlin", "DE", 1.25, 0.5),
    ("dc-tokyo", "roadm Tokyo", "JP", 1.4, 1.5),
    ("dc-san-francisco", "roadm San_Francisco", "CA", 1.2, 1.8),
    ("dc-san-diego", "roadm San_Diego", "CA", 1.3, 2.0),
)


def grid_2023_dir() -> Path:
    """The 2023 Electricity Maps files shipped in ``optimizer/data/grid-2023`` (gzip)."""
    return GRID_2023_DIR


@functools.cache
def _year_signals(folder: str) -> Signals:
    return load_grid_directory(folder, start=YEAR_START, hours=365 * 24)


@functools.cache
def scenario_inventory(name: str) -> Inventory:
    """The network of scenario ``name`` (see the module docstring)."""
    if name == "year":
        return default_inventory()
    if name != "backbone":
        raise InputError("experiment", "scenario", name, f"expected one of {sorted(SCENARIOS)}")
    inv = load_named("gnpy:coronet-global")
    grid = ChannelGrid(count=int(SCENARIOS["backbone"]["channels"]), spacing_ghz=50.0)
    sites = tuple(Site(i, r, reg, pue=p, wue_l_per_kwh=w) for i, r, reg, p, w in BACKBONE_SITES)
    fibres = tuple(replace(f, grid=grid, occupied=frozenset()) for f in inv.fibres)
    return replace(inv, sites=sites, fibres=fibres)


def day_tasks(
    scenario: str, seed: int, days: int | None, time_limit: float, grid_dir: Path
) -> list[dict[str, Any]]:
    """The tasks of a run: one per day (``days``: the first N days of 2023, or spread)."""
    if scenario not in SCENARIOS:
        raise InputError("experiment", "scenario", scenario, f"expected one of {sorted(SCENARIOS)}")
    if scenario == "year":
        idx = list(range(365 if days is None else min(days, 365)))
    else:  # a few days spread over the year (the 15th of evenly spaced months)
        n = 4 if days is None else min(days, 12)
        idx = [(datetime(2023, 1 + (12 * k) // n, 15, tzinfo=UTC) - YEAR_START).days
               for k in range(n)]
    return [
        {
            "key": f"{scenario}:v3:{seed}:{time_limit:g}:{i}",
            "scenario": scenario,
            "day": (YEAR_START + timedelta(days=i)).date().isoformat(),
            "index": i,
            "seed": seed,
            "time_limit": time_limit,
            "grid_dir": str(grid_dir),
        }
        for i in idx
    ]


def day_workloads(
    origins: list[str], seed: int, index: int, spec: Mapping[str, Any]
) -> tuple[Workload, ...]:
    """Day ``index``'s stream: ``types`` recurring job types, each ~Poisson(``rate``) times.

    The job types are :func:`optimizer.inputs.workloads.synthetic_workloads` with ``seed``
    (fixed for the year: origin, length, power, volume, window); the counts are
    drawn per day with ``numpy.random.default_rng(seed·1000 + index)``. Copies of
    a type are identical jobs (ids ``<type>-<k>``), so the program groups them.
    """
    types = synthetic_workloads(int(spec["types"]), origins, seed, horizon=24)
    counts = np.random.default_rng(seed * 1000 + index).poisson(float(spec["rate"]), len(types))
    return tuple(
        replace(t, id=f"{t.id}-{k}", ref=f"{t.ref}[{k}]")
        for t, c in zip(types, counts, strict=True)
        for k in range(int(c))
    )


def day_instance(task: Mapping[str, Any]) -> Instance:
    """The program input of one task (deterministic in the task)."""
    spec = SCENARIOS[task["scenario"]]
    inv = scenario_inventory(task["scenario"])
    start = datetime.fromisoformat(task["day"]).replace(tzinfo=UTC)
    signals = _year_signals(task["grid_dir"]).between(start, start + timedelta(days=1))
    roadms = sorted(r.id for r in inv.roadms)
    if spec["origins"] is not None:
        rng = np.random.default_rng(int(task["seed"]))
        roadms = sorted(str(o) for o in rng.choice(roadms, size=spec["origins"], replace=False))
    ws = day_workloads(roadms, int(task["seed"]), int(task["index"]), spec)
    caps = Caps(site_power_kw={s.id: float(spec["cap_kw"]) * s.pue for s in inv.sites})
    return make_instance(inv, signals, ws, caps)


def _metrics(inst: Instance, plan: Plan, wall_s: float) -> dict[str, Any]:
    dims = list(inst.weights.weight)
    placed = {p.workload for p in plan.placements} - {u.workload for u in plan.unassigned}
    excess = [(c.value - c.limit) / c.limit for c in plan.violated if c.limit]
    return {
        "status": plan.status,
        "objective": plan.objective,
        "burdens": {d: plan.total_burden(d) for d in dims},
        "energy_kwh": sum(b.power_kw * inst.slot_hours for b in plan.burdens),
        "water_l": sum(b.water_l for b in plan.burdens),
        "network_kwh": sum(lp.energy_kwh for lp in plan.lightpaths),
        "lightpaths": len(plan.lightpaths),
        "violations": len(plan.violated),
        "max_excess": max(excess, default=0.0),
        "blocked": len(plan.unassigned),
        "placed": len(placed),
        "gap": plan.gap,
        "wall_s": wall_s,
    }


def run_day(task: Mapping[str, Any]) -> dict[str, Any]:
    """Plan one day with every planner of :data:`PLANNERS`; a JSON-able dict of metrics.

    The joint program is warm-started from the sequential+repair plan (HiGHS keeps it
    when it is complete and feasible for the program), so joint ≤ sequential+repair
    unless that plan is rejected as a start; the joint wall time includes the start's.
    Also ``fsor_alpha``: the largest α such that α × the day's workload mix still fits
    every cap (:func:`optimizer.analysis.fsor_region.max_scale`, LP relaxation; ``None`` =
    unbounded) — the day's headroom, an investment signal when it nears 1.
    """
    t0 = time.perf_counter()
    inst = day_instance(task)
    limit = float(task["time_limit"])
    out: dict[str, Any] = {
        "key": task["key"], "day": task["day"], "index": task["index"],
        "workloads": sum(c.count for c in inst.classes),
    }
    plans: dict[str, tuple[Plan, float]] = {}
    runs: dict[str, Callable[[], Plan]] = {
        "sequential+repair": lambda: sequential(inst, time_limit=limit, repair=True),
        # the joint program starts from the sequential+repair plan (used when it is complete
        # and meets every constraint, so the joint plan is never worse than it)
        "joint": lambda: Planner(inst, threads=1).solve(
            time_limit=limit, diagnose=False, warm=plans["sequential+repair"][0]
        ),
        "first-fit": lambda: first_fit(inst),
        "co2-only": lambda: co2_only(inst),
    }
    for name, fn in runs.items():
        t = time.perf_counter()
        plans[name] = (fn(), time.perf_counter() - t)
    for name in PLANNERS:
        plan, wall = plans[name]
        if name == "joint":  # its start is part of its cost
            wall += plans["sequential+repair"][1]
        out[name] = _metrics(inst, plan, wall)
    if task["scenario"] == "backbone":  # the region issue's investment signals at α
        t = time.perf_counter()
        reg = region(inst, time_limit=limit, max_signals=3, with_objective=False)
        out["region"] = {
            "alpha": reg.alpha if math.isfinite(reg.alpha) else None,
            "status": reg.status,
            "binding": len(reg.binding),
            "signals": [sig.to_json() for sig in reg.signals],
            "wall_s": time.perf_counter() - t,
        }
    t = time.perf_counter()
    alpha = max_scale(inst)
    out["fsor_alpha"] = alpha if math.isfinite(alpha) else None
    out["fsor_alpha_s"] = time.perf_counter() - t
    out["wall_s"] = time.perf_counter() - t0
    return out
