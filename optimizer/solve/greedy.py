"""The greedy machinery of the baselines: arrival order, first-fit channels, cap ledger.

Pure helpers shared by :mod:`optimizer.baselines`; every function takes the
program's :class:`~optimizer.inputs.instance.Instance` and follows its conventions
(one lightpath per transferring workload in its start slot, charged to the
destination site; caps as :func:`optimizer.model.accounting.account` counts them).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from optimizer.inputs.instance import Instance, zone_key
from optimizer.inputs.network import Route
from optimizer.model.accounting import burden_factor
from optimizer.model.formulation import min_transfer_kwh, option_burden
from optimizer.model.plan import Lightpath, Placement, Unassigned

__all__ = [
    "REL_TOL",
    "Channels",
    "Job",
    "Ledger",
    "Result",
    "committed",
    "greedy",
    "jobs",
    "lightpath",
    "needs_path",
    "options",
    "per_job_ok",
    "route_all",
    "routes_of",
    "unplaceable",
]

REL_TOL = 1e-6


@dataclass(frozen=True)
class Job:
    """One workload of the instance, in arrival order."""

    wid: str
    cls: int
    order: int


def jobs(inst: Instance) -> list[Job]:
    """Workloads in arrival order: release slot, then input order.

    The instance groups identical workloads into classes (in order of first
    appearance), so "input order" is class order, then order within the class.
    """
    out = [Job(w, c, k) for c, cls in enumerate(inst.classes) for k, w in enumerate(cls.ids)]
    return sorted(out, key=lambda j: (inst.classes[j.cls].release, j.cls, j.order))


def needs_path(inst: Instance, c: int, d: int) -> bool:
    cls = inst.classes[c]
    return cls.volume_gb > 0 and inst.network.roadm(cls.origin) != inst.sites[d].roadm


def routes_of(inst: Instance, c: int, d: int) -> tuple[Route, ...]:
    o = inst.network.roadm(inst.classes[c].origin)
    return tuple(inst.network.routes.get((o, inst.sites[d].id), ()))


class Channels:
    """Free channels per (fibre, slot), consumed first-fit."""

    def __init__(self, inst: Instance) -> None:
        self.inst = inst
        self.used: dict[tuple[str, int], set[int]] = defaultdict(set)

    def free(self, fibre: str, t: int) -> set[int]:
        base = self.inst.network.free.get(fibre, frozenset())
        busy = self.inst.busy.get((fibre, t), frozenset())
        return set(base - busy) - self.used[(fibre, t)]

    def first_fit(self, routes: Sequence[Route], t: int) -> tuple[Route, int] | None:
        """The first route (in order) with a common free channel, and its lowest one."""
        for r in routes:
            common: set[int] | None = None
            for f in r.fibres:
                fr = self.free(f, t)
                common = fr if common is None else common & fr
            if common:
                return r, min(common)
        return None

    def take(self, route: Route, t: int, ch: int) -> None:
        for f in route.fibres:
            self.used[(f, t)].add(ch)


def lightpath(inst: Instance, wid: str, c: int, d: int, t: int, r: Route, ch: int) -> Lightpath:
    net = inst.network
    o = net.roadm(inst.classes[c].origin)
    vol = inst.classes[c].volume_gb
    tps = (*net.transponders.get(o, ())[:1], *net.transponders.get(inst.sites[d].roadm, ())[:1])
    freq = net.frequency_thz[ch] if 0 <= ch < len(net.frequency_thz) else 0.0
    return Lightpath(wid, r.nodes, r.fibres, ch, freq, tps, t, vol, vol * r.energy_kwh_per_gb)


@dataclass
class Result:
    placements: list[Placement]
    lightpaths: list[Lightpath]
    unassigned: list[Unassigned]
    rejected: list[str]
    energy: npt.NDArray[np.float64]


def route_all(inst: Instance, chosen: Sequence[tuple[Job, int, int]]) -> Result:
    """Charge compute energy of ``chosen`` (job, site, start) and route first-fit in order."""
    energy = np.zeros((len(inst.sites), inst.horizon))
    chans = Channels(inst)
    res = Result([], [], [], [], energy)
    for job, d, t in chosen:
        cls = inst.classes[job.cls]
        for i, u in enumerate(cls.profile_kwh):
            energy[d, t + i] += u
        res.placements.append(Placement(job.wid, inst.sites[d].id, inst.slots[t], t))
        if not needs_path(inst, job.cls, d):
            continue
        hit = chans.first_fit(routes_of(inst, job.cls, d), t)
        if hit is None:
            reason = "no route" if not routes_of(inst, job.cls, d) else "no common free channel"
            o = inst.network.roadm(cls.origin)
            res.unassigned.append(Unassigned(job.wid, o, inst.sites[d].id, t, reason))
            continue
        r, ch = hit
        chans.take(r, t, ch)
        lp = lightpath(inst, job.wid, job.cls, d, t, r, ch)
        res.lightpaths.append(lp)
        energy[d, t] += lp.energy_kwh
    return res


def options(inst: Instance, c: int) -> list[tuple[int, int]]:
    sidx = inst.site_index()
    out = []
    for sid in inst.classes[c].sites:
        d = sidx[sid]
        if needs_path(inst, c, d) and not routes_of(inst, c, d):
            continue  # unreachable, as in the program
        out += [(d, t) for t in inst.classes[c].starts(inst.horizon)]
    return out


def unplaceable(inst: Instance, job: Job, why: str) -> Unassigned:
    return Unassigned(job.wid, inst.classes[job.cls].origin, "", -1, why)


class Ledger:
    """Running cap usage for greedy cap checks (same rows as the accounting)."""

    def __init__(self, inst: Instance) -> None:
        self.inst = inst
        self.energy = np.zeros((len(inst.sites), inst.horizon))
        self.days = inst.days()
        self.use: dict[tuple[str, ...], float] = defaultdict(float)
        self.dims = inst.dims()

    def rows(self, d: int, t: int, kwh: float) -> list[tuple[tuple[str, ...], float, float]]:
        """(row key, added value, limit) of every cap row that kWh at (d, t) touches."""
        inst, caps, s = self.inst, self.inst.caps, self.inst.sites[d]
        day = self.days[t]
        rows: list[tuple[tuple[str, ...], float, float]] = []
        if s.id in caps.power_kw:
            cap = caps.power_kw[s.id]
            lim = float(cap[t]) if isinstance(cap, tuple) else float(cap)
            head = inst.signal.get((s.id, "power_headroom"))
            if head is not None:
                lim = min(lim, float(head[t]))
            rows.append((("power", s.id, str(t)), kwh * s.pue / inst.slot_hours, lim))
        if s.id in caps.water_l_per_day:
            rows.append((("water", s.id, day), kwh * s.wue_l_per_kwh, caps.water_l_per_day[s.id]))

        def g(dim: str) -> float:
            return float(inst.signal[(s.id, dim)][t]) * burden_factor(dim)

        dims = self.dims
        if "co2eq" in dims:
            if s.region in caps.carbon_g_per_day:
                rows.append(
                    (("carbon", s.region, day), kwh * g("co2eq"), caps.carbon_g_per_day[s.region])
                )
            if caps.carbon_total_g_per_day is not None:
                rows.append(
                    (("carbon", "total", day), kwh * g("co2eq"), caps.carbon_total_g_per_day)
                )
        for (dim, zk), lim in caps.zone_per_day.items():
            if dim in dims and zone_key(dim, s) == zk:
                rows.append((("zone", dim, zk, day), kwh * g(dim), lim))
        for (dim, zk), lim in caps.zone_horizon.items():
            if dim in dims and zone_key(dim, s) == zk:
                rows.append((("zonetot", dim, zk), kwh * g(dim), lim))
        return rows

    def fits(self, charges: Sequence[tuple[int, int, float]]) -> bool:
        add: dict[tuple[str, ...], float] = defaultdict(float)
        lims: dict[tuple[str, ...], float] = {}
        for d, t, kwh in charges:
            for key, val, lim in self.rows(d, t, kwh):
                add[key] += val
                lims[key] = lim
        return all(self.use[k] + v <= lims[k] * (1 + REL_TOL) + 1e-9 for k, v in add.items())

    def add(self, charges: Sequence[tuple[int, int, float]]) -> None:
        for d, t, kwh in charges:
            self.energy[d, t] += kwh
            for key, val, _ in self.rows(d, t, kwh):
                self.use[key] += val


def per_job_ok(inst: Instance, c: int, d: int, t: int) -> bool:
    s = inst.sites[d]
    for (dim, zk), lim in inst.caps.per_job.items():
        if (s.id, dim) in inst.signal and zone_key(dim, s) == zk:
            burden = option_burden(inst, c, d, t, dim, min_transfer_kwh(inst, c, d))
            if burden > lim * (1 + 1e-9):
                return False
    return True


def committed(
    inst: Instance, placements: Sequence[Placement], lightpaths: Sequence[Lightpath]
) -> tuple[Ledger, Channels]:
    """The cap ledger and the channels in use once ``placements`` and ``lightpaths`` are
    committed (compute energy per site and slot, transfer energy, channels per fibre)."""
    ledger, chans = Ledger(inst), Channels(inst)
    sidx = inst.site_index()
    cls_of = {w: c for c, cls in enumerate(inst.classes) for w in cls.ids}
    lps = {lp.workload: lp for lp in lightpaths}
    for p in placements:
        prof = inst.classes[cls_of[p.workload]].profile_kwh
        charges = [(sidx[p.site], p.slot + i, u) for i, u in enumerate(prof)]
        lp = lps.get(p.workload)
        if lp is not None:
            charges.append((sidx[p.site], lp.slot, lp.energy_kwh))
            for f in lp.fibres:
                chans.used[(f, lp.slot)].add(lp.channel)
        ledger.add(charges)
    return ledger, chans


def greedy(
    inst: Instance, order: Sequence[Job] | None = None, before: Result | None = None
) -> Result:
    """The first-fit core (workloads without a transfer need no channel).

    ``order``: the jobs to place (default: all, arrival order); ``before``: placements
    and lightpaths already committed (their energy and channels are taken first,
    and the result extends them) — the repair step of the sequential baseline.
    """
    cost = inst.cost()
    ledger, chans = committed(
        inst, before.placements if before else (), before.lightpaths if before else ()
    )
    res = Result([], [], [], [], ledger.energy)
    if before is not None:
        res.placements += before.placements
        res.lightpaths += before.lightpaths
        res.unassigned += before.unassigned
        res.rejected += before.rejected
    ranked: dict[int, list[tuple[float, int, int]]] = {}
    for job in jobs(inst) if order is None else order:
        c = job.cls
        cls = inst.classes[c]
        if c not in ranked:
            ranked[c] = sorted(
                (
                    float(sum(u * cost[d, t + i] for i, u in enumerate(cls.profile_kwh)))
                    + min_transfer_kwh(inst, c, d) * float(cost[d, t]),
                    d,
                    t,
                )
                for d, t in options(inst, c)
                if per_job_ok(inst, c, d, t)
            )
        placed = False
        for _score, d, t in ranked[c]:
            charges = [(d, t + i, u) for i, u in enumerate(cls.profile_kwh)]
            hit = None
            if needs_path(inst, c, d):
                hit = chans.first_fit(routes_of(inst, c, d), t)
                if hit is None:
                    continue
                charges.append((d, t, cls.volume_gb * hit[0].energy_kwh_per_gb))
            if not ledger.fits(charges):
                continue
            ledger.add(charges)
            res.placements.append(Placement(job.wid, inst.sites[d].id, inst.slots[t], t))
            if hit is not None:
                chans.take(hit[0], t, hit[1])
                res.lightpaths.append(lightpath(inst, job.wid, c, d, t, *hit))
            placed = True
            break
        if not placed:
            res.rejected.append(job.wid)
            res.unassigned.append(unplaceable(inst, job, "no option within caps with a channel"))
    return res
