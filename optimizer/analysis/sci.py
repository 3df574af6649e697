"""Software Carbon Intensity per workload and a Green Score per site and slot (pure).

**SCI** (Green Software Foundation, ISO/IEC 21031:2024): ``SCI = (E·I + M) / R``.

* ``E·I`` — the workload's energy at the grid intensity where and when it runs:
  Σ_i u(i)·g_co2eq(site, τ+i) over its slots (IT energy, as the plan's carbon
  burdens and caps count it) plus its lightpath's transfer energy × g(site, τ)
  (the transfer is charged to the destination site in the start slot);
* ``M = TE · (TiR / EL) · (RR / ToR)`` — embodied emissions of the hardware TE,
  amortised over its life EL for the time reserved TiR (the workload's
  duration), times the share of the hardware reserved RR/ToR;
* ``R`` — the functional units one run delivers (default 1 "run").

The inputs beyond the plan come from the workload file (``sci:`` section,
:class:`optimizer.inputs.workload_types.SciInputs`, documented defaults).

**Green Score** of site d in slot t, 0–100 (100 = the cleanest site and slot of
the plan's horizon in every dimension, 0 = the dirtiest in every one): with the
objective weights ω_e over the burden dimensions e with a signal at every site,

    n_e(d, t) = (g_e(d, t) − min_e) / (max_e − min_e)     (0 when max_e = min_e)
    GS(d, t)  = 100 · (1 − Σ_e ω_e · n_e(d, t) / Σ_e ω_e)

where min/max run over all sites and slots of the horizon: a relative score.

>>> round(sci_value(e_times_i=2.0, embodied_g=1.5e6, reserved_s=883.26,
...                 lifespan_s=4 * 365 * 24 * 3600.0, share=1.0, units=1.0), 4)
12.503
>>> green_scores({("a", "co2eq"): [100.0, 300.0], ("b", "co2eq"): [200.0, 200.0]},
...              ["a", "b"], {"co2eq": 1.0})
{('a', 0): 100.0, ('a', 1): 0.0, ('b', 0): 50.0, ('b', 1): 50.0}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from optimizer.inputs.instance import Instance
from optimizer.inputs.workload_types import Workload
from optimizer.model.plan import Plan

__all__ = ["SciRow", "green_score_rows", "green_scores", "plan_sci", "sci_value"]


def sci_value(
    *,
    e_times_i: float,
    embodied_g: float,
    reserved_s: float,
    lifespan_s: float,
    share: float,
    units: float,
) -> float:
    """``(E·I + TE·(TiR/EL)·(RR/ToR)) / R`` in g CO2-eq per functional unit."""
    m = embodied_g * (reserved_s / lifespan_s) * share
    return (e_times_i + m) / units


@dataclass(frozen=True)
class SciRow:
    """SCI of one placed workload and its terms."""

    workload: str
    site: str
    energy_kwh: float
    transfer_kwh: float
    intensity_g_per_kwh: float
    operational_g: float
    embodied_g: float
    functional_units: float
    unit: str
    sci: float

    def to_json(self) -> dict[str, Any]:
        return {
            "workload": self.workload,
            "site": self.site,
            "E_kwh": self.energy_kwh + self.transfer_kwh,
            "E_compute_kwh": self.energy_kwh,
            "E_transfer_kwh": self.transfer_kwh,
            "I_g_per_kwh": self.intensity_g_per_kwh,
            "operational_g": self.operational_g,
            "M_g": self.embodied_g,
            "R": self.functional_units,
            "sci": self.sci,
            "unit": f"gCO2eq/{self.unit}",
        }


def plan_sci(inst: Instance, workloads: Sequence[Workload], plan: Plan) -> list[SciRow]:
    """One :class:`SciRow` per placement of ``plan`` (workloads as planned, i.e. variants
    applied); ``I`` is the energy-weighted mean intensity (E·I / E). A placed workload
    missing from ``workloads`` is taken from its class in ``inst`` (its per-slot energy,
    whole slots as its duration, the default SCI inputs)."""
    by_id = {w.id: w for w in workloads}
    for c in inst.classes:  # a workload not given: its class's slots, the default inputs
        for wid in c.ids:
            if wid not in by_id:
                by_id[wid] = Workload(
                    wid, c.origin, c.profile_kwh, inst.slot_hours * 3600.0,
                )  # fmt: skip
    transfer: dict[str, float] = {}
    for lp in plan.lightpaths:
        if lp.workload is not None:
            transfer[lp.workload] = transfer.get(lp.workload, 0.0) + lp.energy_kwh
    out: list[SciRow] = []
    for p in plan.placements:
        w = by_id.get(p.workload)
        if w is None or (p.site, "co2eq") not in inst.signal:
            continue
        g = np.asarray(inst.signal[(p.site, "co2eq")], dtype=float)
        u = w.energy_per_slot(inst.slot_hours)
        tr = transfer.get(w.id, 0.0)
        ei = sum(e * float(g[min(p.slot + i, len(g) - 1)]) for i, e in enumerate(u))
        ei += tr * float(g[p.slot])
        energy = float(sum(u))
        s = w.sci
        m = s.embodied_g * (w.duration_s / s.lifespan_s) * s.resource_share
        total_e = energy + tr
        out.append(
            SciRow(
                w.id,
                p.site,
                energy,
                tr,
                ei / total_e if total_e > 0 else float(g[p.slot]),
                ei,
                m,
                s.functional_unit,
                s.unit_name,
                (ei + m) / s.functional_unit,
            )
        )
    return out


def green_scores(
    signal: Mapping[tuple[str, str], npt.ArrayLike],
    sites: Sequence[str],
    weights: Mapping[str, float],
) -> dict[tuple[str, int], float]:
    """GS(site, slot) of the module docstring for the dimensions in ``weights`` (ω > 0)."""
    dims = [d for d, w in weights.items() if w > 0 and all((s, d) in signal for s in sites)]
    total = sum(weights[d] for d in dims)
    if not sites:
        return {}
    T = len(np.asarray(signal[(sites[0], dims[0])])) if dims else 0
    acc = {(s, t): 0.0 for s in sites for t in range(T)}
    for d in dims:
        arr = np.array([np.asarray(signal[(s, d)], dtype=float) for s in sites])
        lo, hi = float(arr.min()), float(arr.max())
        span = hi - lo
        for k, s in enumerate(sites):
            for t in range(T):
                n = (arr[k, t] - lo) / span if span > 0 else 0.0
                acc[(s, t)] += weights[d] * n
    return {k: float(round(100.0 * (1 - v / total), 1)) if total else 100.0 for k, v in acc.items()}


def green_score_rows(inst: Instance) -> list[dict[str, Any]]:
    """``[{"site", "slot", "start", "score"}]`` for every site and slot of ``inst``."""
    sites = [s.id for s in inst.sites]
    dims = inst.dims()
    weights = {d: float(inst.weights.weight.get(d, 0.0)) for d in dims}
    gs = green_scores(inst.signal, sites, weights)
    return [
        {"site": s, "slot": t, "start": inst.slots[t].isoformat(), "score": v}
        for (s, t), v in sorted(gs.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    ]
