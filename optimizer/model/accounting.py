"""Same accounting for every planner: site energy → burdens, cap use, objective.

The joint program and the baselines are judged by the same function:
:func:`account` takes the energy each site draws per slot (compute plus the
transfer energy of the lightpaths that deliver to it) and returns the
objective Σ_e ω_e·I_e/s_e, the per-site-per-slot burdens and every cap's use.

>>> import numpy as np
>>> from datetime import datetime, timezone
>>> from optimizer.inputs.instance import CapSpec, Instance, SiteSpec, Weights
>>> from optimizer.inputs.network import NetworkData
>>> t = (datetime(2025, 7, 1, tzinfo=timezone.utc),)
>>> inst = Instance(t, 1.0, (SiteSpec("dc", "r", "DE"),), {("dc", "co2eq"): np.array([100.0])},
...                 (), NetworkData({}, {}, 96, ()), CapSpec(carbon_g_per_day={"DE": 50.0}),
...                 Weights({"co2eq": 1.0}, {"co2eq": 100.0}))
>>> obj, burdens, caps = account(inst, np.array([[1.0]]))
>>> obj, burdens[0].carbon_g, caps[0].value, caps[0].limit
(1.0, 100.0, 100.0, 50.0)
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from optimizer.inputs.instance import Instance, zone_key
from optimizer.model.plan import CapUse, SiteSlotBurden

__all__ = [
    "BURDEN_FACTOR",
    "account",
    "burden_factor",
    "burden_unit",
    "lost_work",
    "lost_work_values",
]

#: A burden is Σ kWh × signal × factor: prices are per MWh, so kWh × EUR/MWh × 0.001 = EUR.
BURDEN_FACTOR: dict[str, float] = {"price": 1e-3}
_BURDEN_UNIT: dict[str, str] = {"price": "EUR"}


def burden_factor(dim: str) -> float:
    """What kWh × signal is multiplied by to give the burden in its unit.

    >>> burden_factor("price"), burden_factor("co2eq")
    (0.001, 1.0)
    """
    return BURDEN_FACTOR.get(dim, 1.0)


def burden_unit(dim: str) -> str:
    """The unit of a zone-cap burden of ``dim`` (price: EUR; others: signal unit × kWh).

    >>> burden_unit("price"), burden_unit("no2")
    ('EUR', 'no2*kWh')
    """
    return _BURDEN_UNIT.get(dim, f"{dim}*kWh")


def lost_work_values(inst: Instance) -> npt.NDArray[np.float64]:
    """The value of one lost (unserved) workload of each class, in objective units.

    λ × the workload's IT energy × the dearest objective coefficient over sites
    and slots (λ = ``inst.lost_work_factor``, default 10): serving a workload
    anywhere costs at most a tenth of losing it, so a plan leaves work out only
    where no option fits, and the bound and the incumbent price the same work.
    """
    cost = inst.cost()
    top = float(cost.max()) if cost.size else 0.0
    top = top if top > 0 else 1.0
    lam = float(inst.lost_work_factor)
    return np.array([lam * sum(c.profile_kwh) * top for c in inst.classes], dtype=float)


def lost_work(inst: Instance, workloads: Iterable[str]) -> float:
    """The value of the lost work of ``workloads`` (ids), see :func:`lost_work_values`."""
    per = lost_work_values(inst)
    cls_of = {w: c for c, cls in enumerate(inst.classes) for w in cls.ids}
    return float(sum(per[cls_of[w]] for w in set(workloads) if w in cls_of))


def _limit(value: float | tuple[float, ...], t: int) -> float:
    return float(value[t]) if isinstance(value, tuple) else float(value)


def account(
    inst: Instance, energy: npt.NDArray[np.float64]
) -> tuple[float, tuple[SiteSlotBurden, ...], tuple[CapUse, ...]]:
    """(objective, burdens, cap use) of ``energy[site, slot]`` kWh (IT + transfer)."""
    S, T = len(inst.sites), inst.horizon
    days = inst.days()
    dims = inst.dims()
    objective = float((inst.cost() * energy).sum())
    burdens: list[SiteSlotBurden] = []
    for d, s in enumerate(inst.sites):
        for t in range(T):
            e = float(energy[d, t])
            if e <= 0:
                continue
            b = {dim: e * float(inst.signal[(s.id, dim)][t]) * burden_factor(dim) for dim in dims}
            burdens.append(
                SiteSlotBurden(
                    site=s.id,
                    slot=t,
                    start=inst.slots[t],
                    power_kw=e * s.pue / inst.slot_hours,
                    water_l=e * s.wue_l_per_kwh,
                    carbon_g=b.get("co2eq", float("nan")),
                    burdens=b,
                )
            )
    caps = inst.caps
    out: list[CapUse] = []
    for d, s in enumerate(inst.sites):
        if s.id in caps.power_kw:
            head = inst.signal.get((s.id, "power_headroom"))
            for t in range(T):
                lim = _limit(caps.power_kw[s.id], t)
                if head is not None:
                    lim = min(lim, float(head[t]))
                val = float(energy[d, t]) * s.pue / inst.slot_hours
                out.append(CapUse("power", s.id, inst.slots[t].isoformat(), val, lim, "kW"))
    uniq_days = list(dict.fromkeys(days))

    def day_sum(sites: list[int], weight: str | None, day: str) -> float:
        tot = 0.0
        for d in sites:
            for t in range(T):
                if days[t] == day:
                    f = (
                        inst.sites[d].wue_l_per_kwh
                        if weight is None
                        else float(inst.signal[(inst.sites[d].id, weight)][t])
                        * burden_factor(weight)
                    )
                    tot += f * float(energy[d, t])
        return tot

    for d, s in enumerate(inst.sites):
        if s.id in caps.water_l_per_day:
            for day in uniq_days:
                lim = caps.water_l_per_day[s.id]
                out.append(CapUse("water", s.id, day, day_sum([d], None, day), lim, "L"))
    for zone, lim in caps.carbon_g_per_day.items():
        members = [d for d, s in enumerate(inst.sites) if s.region == zone]
        for day in uniq_days:
            out.append(CapUse("carbon", zone, day, day_sum(members, "co2eq", day), lim, "gCO2eq"))
    if caps.carbon_total_g_per_day is not None:
        for day in uniq_days:
            val = day_sum(list(range(S)), "co2eq", day)
            out.append(CapUse("carbon", "total", day, val, caps.carbon_total_g_per_day, "gCO2eq"))
    for (dim, zk), lim in caps.zone_per_day.items():
        members = [d for d, s in enumerate(inst.sites) if zone_key(dim, s) == zk]
        if not members or dim not in dims:
            continue
        for day in uniq_days:
            val = day_sum(members, dim, day)
            out.append(CapUse(f"zone:{dim}", zk, day, val, lim, burden_unit(dim)))
    for (dim, zk), lim in caps.zone_horizon.items():
        members = [d for d, s in enumerate(inst.sites) if zone_key(dim, s) == zk]
        if not members or dim not in dims:
            continue
        val = sum(day_sum(members, dim, day) for day in uniq_days)
        out.append(CapUse(f"zone:{dim}", zk, None, val, lim, burden_unit(dim)))
    return objective, tuple(burdens), tuple(out)
