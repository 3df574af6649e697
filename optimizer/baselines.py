"""The three baselines the joint program is judged against, on the same inputs.

Each takes the same :class:`~optimizer.instance.Instance` as the joint program
and returns a :class:`~optimizer.plan.Plan` scored by the same
:func:`optimizer.accounting.account` (same energy → burdens, caps, objective).
Transfers follow the program's conventions: a workload whose origin ROADM is
not its site's ROADM and that moves data (in + out > 0) needs one lightpath in
its start slot, on one of the candidate routes of ``inst.network`` (k shortest,
reach-feasible, cheapest first), on a channel free on every fibre of the route
in that slot; the transfer energy (GB × kWh/GB of the route) is charged to the
site in that slot.

* :func:`co2_only` — every workload at its minimum CO2-eq option
  (I_co2 = Σ_i u(i)·g_co2(τ+i) + E_tr·g_co2(τ), cheapest route), no caps; then
  first-fit routing. Its message lists the caps it breaks and the local
  burdens (so2eq, co, no2, pm25, water, price) it causes, per zone.
* :func:`sequential` — the placement the joint objective gives when the
  network is ignored (the same MILP with no transfer and no wavelengths:
  a compute scheduler that respects the caps), then first-fit routing
  (k shortest, lowest common channel). Reports blocked transfers, the
  transfer energy the placement did not see and the caps that energy breaks.
* :func:`first_fit` — requests in arrival order (release slot, then input
  order); each takes its cheapest option (objective incl. transfer) that
  still fits every cap given the requests before it and that has a route
  with a common free channel (first fit) — the way optical controllers
  serve requests one at a time. Requests that fit nowhere are rejected.

Status: ``feasible`` when every workload is placed, every transfer has a
wavelength and every cap holds; otherwise ``infeasible`` with the plan kept
for comparison and ``diagnosis`` listing each broken cap (excess in the cap's
unit) and the rejected workloads (cap ``workload``). Placement is heuristic,
so a baseline is never ``optimal``.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from optimizer.accounting import account
from optimizer.formulation import min_transfer_kwh, option_burden
from optimizer.instance import Instance, zone_key
from optimizer.network import Route
from optimizer.plan import (
    CapUse,
    Lightpath,
    Placement,
    Plan,
    Relaxation,
    Timings,
    Unassigned,
)
from topology.errors import InputError

__all__ = ["BASELINES", "LOCAL_DIMS", "co2_only", "first_fit", "run_baseline", "sequential"]

#: Dimensions whose burden falls in a local zone (production region or data centre).
LOCAL_DIMS: tuple[str, ...] = ("so2eq", "co", "no2", "pm25", "water", "price")

_REL_TOL = 1e-6


@dataclass(frozen=True)
class _Job:
    """One workload of the instance, in arrival order."""

    wid: str
    cls: int
    order: int


def _jobs(inst: Instance) -> list[_Job]:
    """Workloads in arrival order: release slot, then input order.

    The instance groups identical workloads into classes (in order of first
    appearance), so "input order" is class order, then order within the class.
    """
    out = [_Job(w, c, k) for c, cls in enumerate(inst.classes) for k, w in enumerate(cls.ids)]
    return sorted(out, key=lambda j: (inst.classes[j.cls].release, j.cls, j.order))


def _needs_path(inst: Instance, c: int, d: int) -> bool:
    cls = inst.classes[c]
    return cls.volume_gb > 0 and inst.network.roadm(cls.origin) != inst.sites[d].roadm


def _routes(inst: Instance, c: int, d: int) -> tuple[Route, ...]:
    o = inst.network.roadm(inst.classes[c].origin)
    return tuple(inst.network.routes.get((o, inst.sites[d].id), ()))


class _Channels:
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


def _lightpath(inst: Instance, wid: str, c: int, d: int, t: int, r: Route, ch: int) -> Lightpath:
    net = inst.network
    o = net.roadm(inst.classes[c].origin)
    vol = inst.classes[c].volume_gb
    tps = (*net.transponders.get(o, ())[:1], *net.transponders.get(inst.sites[d].roadm, ())[:1])
    freq = net.frequency_thz[ch] if 0 <= ch < len(net.frequency_thz) else 0.0
    return Lightpath(wid, r.nodes, r.fibres, ch, freq, tps, t, vol, vol * r.energy_kwh_per_gb)


@dataclass
class _Result:
    placements: list[Placement]
    lightpaths: list[Lightpath]
    unassigned: list[Unassigned]
    rejected: list[str]
    energy: npt.NDArray[np.float64]


def _route_all(inst: Instance, chosen: Sequence[tuple[_Job, int, int]]) -> _Result:
    """Charge compute energy of ``chosen`` (job, site, start) and route first-fit in order."""
    energy = np.zeros((len(inst.sites), inst.horizon))
    chans = _Channels(inst)
    res = _Result([], [], [], [], energy)
    for job, d, t in chosen:
        cls = inst.classes[job.cls]
        for i, u in enumerate(cls.profile_kwh):
            energy[d, t + i] += u
        res.placements.append(Placement(job.wid, inst.sites[d].id, inst.slots[t], t))
        if not _needs_path(inst, job.cls, d):
            continue
        hit = chans.first_fit(_routes(inst, job.cls, d), t)
        if hit is None:
            reason = "no route" if not _routes(inst, job.cls, d) else "no common free channel"
            o = inst.network.roadm(cls.origin)
            res.unassigned.append(Unassigned(job.wid, o, inst.sites[d].id, t, reason))
            continue
        r, ch = hit
        chans.take(r, t, ch)
        lp = _lightpath(inst, job.wid, job.cls, d, t, r, ch)
        res.lightpaths.append(lp)
        energy[d, t] += lp.energy_kwh
    return res


def _violations(caps: Sequence[CapUse]) -> list[Relaxation]:
    out = []
    for c in caps:
        if np.isfinite(c.limit) and c.value > c.limit * (1 + _REL_TOL) + 1e-9:
            out.append(Relaxation(c.cap, c.site_or_zone, c.slot, c.value - c.limit, c.unit))
    return out


def _local_summary(inst: Instance, energy: npt.NDArray[np.float64]) -> str:
    """'dim zone=value' for the local dimensions, largest zone first."""
    parts = []
    for dim in LOCAL_DIMS:
        if dim not in inst.dims():
            continue
        per: dict[str, float] = defaultdict(float)
        for d, s in enumerate(inst.sites):
            per[zone_key(dim, s)] += float(energy[d] @ np.asarray(inst.signal[(s.id, dim)]))
        top = sorted(((v, z) for z, v in per.items() if v > 0), reverse=True)
        if top:
            parts.append(f"{dim} " + ", ".join(f"{z}={v:.4g}" for v, z in top))
    return "; ".join(parts)


def _finish(
    inst: Instance, res: _Result, planner: str, t0: float, notes: Sequence[str] = ()
) -> Plan:
    objective, burdens, caps = account(inst, res.energy)
    diag = _violations(caps)
    if res.rejected:
        diag.append(Relaxation("workload", "all", None, float(len(res.rejected)), "workloads"))
    ok = not diag and not res.unassigned
    msg = list(notes)
    if diag:
        broken = [r for r in diag if r.cap != "workload"]
        if broken:
            kinds = sorted({f"{r.cap}@{r.site_or_zone}" for r in broken})
            msg.append(f"breaks {len(broken)} cap row(s): {', '.join(kinds)}")
    if res.rejected:
        msg.append(f"rejected {len(res.rejected)} workload(s): {', '.join(res.rejected[:10])}")
    blocked = [u for u in res.unassigned if u.workload not in set(res.rejected)]
    if blocked:
        msg.append(f"{len(blocked)} transfer(s) blocked (no route/common channel)")
    msg.append(f"local burdens: {_local_summary(inst, res.energy) or 'none'}")
    elapsed = time.perf_counter() - t0
    return Plan(
        status="feasible" if ok else "infeasible",
        objective=objective,
        placements=tuple(sorted(res.placements, key=lambda p: p.workload)),
        lightpaths=tuple(sorted(res.lightpaths, key=lambda lp: (lp.slot, lp.workload or ""))),
        burdens=burdens,
        caps=caps,
        timings=Timings(solve_s=elapsed, total_s=elapsed),
        filled=inst.filled,
        diagnosis=tuple(diag),
        unassigned=tuple(res.unassigned),
        planner=planner,
        message="; ".join(msg),
    )


def _options(inst: Instance, c: int) -> list[tuple[int, int]]:
    sidx = inst.site_index()
    out = []
    for sid in inst.classes[c].sites:
        d = sidx[sid]
        if _needs_path(inst, c, d) and not _routes(inst, c, d):
            continue  # unreachable, as in the program
        out += [(d, t) for t in inst.classes[c].starts(inst.horizon)]
    return out


def _unplaceable(inst: Instance, job: _Job, why: str) -> Unassigned:
    return Unassigned(job.wid, inst.classes[job.cls].origin, "", -1, why)


def co2_only(inst: Instance) -> Plan:
    """Minimum CO2-eq (d, τ) per workload, caps NOT enforced; then first-fit routing."""
    t0 = time.perf_counter()
    if "co2eq" not in inst.dims():
        raise InputError("signals", "co2eq", "missing", "expected a co2eq signal for every site")
    chosen: list[tuple[_Job, int, int]] = []
    orphans: list[Unassigned] = []
    best: dict[int, tuple[int, int] | None] = {}
    for job in _jobs(inst):
        c = job.cls
        if c not in best:
            opts = _options(inst, c)
            score = [
                (option_burden(inst, c, d, t, "co2eq", min_transfer_kwh(inst, c, d)), d, t)
                for d, t in opts
            ]
            best[c] = min(score)[1:] if score else None
        pick = best[c]
        if pick is None:
            orphans.append(_unplaceable(inst, job, "no allowed site is reachable"))
            continue
        chosen.append((job, *pick))
    res = _route_all(inst, chosen)
    res.unassigned += orphans
    res.rejected += [u.workload for u in orphans]
    return _finish(inst, res, "co2-only", t0, ["caps not enforced (CO2-eq only)"])


def sequential(
    inst: Instance, *, time_limit: float = 60.0, mip_gap: float = 0.01, placement: str = "milp"
) -> Plan:
    """Place with the joint objective and caps but no network, then route first-fit.

    ``placement="milp"``: the joint program without transfers and wavelengths
    (falls back to greedy when it finds no plan within ``time_limit``);
    ``"greedy"``: the first-fit placement without the network.
    """
    from optimizer.program import Planner

    t0 = time.perf_counter()
    if placement not in ("milp", "greedy"):
        raise InputError("sequential", "placement", placement, "expected milp or greedy")
    blind = replace(inst, classes=tuple(replace(c, volume_gb=0.0) for c in inst.classes))
    placed = (
        Planner(blind).solve(time_limit=time_limit, mip_gap=mip_gap, diagnose=False)
        if placement == "milp"
        else Plan("error", message="no plan: greedy placement asked for")
    )
    notes = []
    rejected: list[str] = []
    if placed.status == "error" and placed.message.startswith("no plan"):
        # greedy compute scheduler: asked for, or the MILP had no incumbent in time
        pre = _greedy(blind)
        placements, rejected = pre.placements, pre.rejected
        if placement == "milp":
            notes.append(f"placement MILP found no plan in {time_limit:g} s; greedy used")
        else:
            notes.append("greedy placement (network ignored)")
        objective = float((inst.cost() * pre.energy).sum())
    elif placed.status in ("infeasible", "error"):
        return replace(
            placed,
            planner="sequential",
            message=f"placement stage (network ignored): {placed.status}; " + placed.message,
        )
    else:
        placements = list(placed.placements)
        objective = placed.objective if placed.objective is not None else 0.0
    at = {p.workload: p for p in placements}
    sidx = inst.site_index()
    chosen = [(j, sidx[at[j.wid].site], at[j.wid].slot) for j in _jobs(inst) if j.wid in at]
    res = _route_all(inst, chosen)
    extra = sum(lp.energy_kwh for lp in res.lightpaths)
    compute = float(res.energy.sum()) - extra
    share = f" ({100 * extra / compute:.3g} % of compute)" if compute > 0 else ""
    notes.append(
        f"placement ignored the network: transfer energy {extra:.6g} kWh{share} unseen, "
        f"placement objective {objective:.6g}"
    )
    res.rejected += rejected
    res.unassigned += [
        _unplaceable(inst, j, "no option within caps") for j in _jobs(inst) if j.wid in rejected
    ]
    plan = _finish(inst, res, "sequential", t0, notes)
    if placed.status == "error":  # greedy placement: its own wall time is in solve_s
        return plan
    stage = placed.timings
    timings = replace(plan.timings, compile_s=stage.compile_s, solve_s=stage.solve_s)
    return replace(plan, gap=placed.gap, timings=timings)


class _Ledger:
    """Running cap usage for greedy cap checks (same rows as the accounting)."""

    def __init__(self, inst: Instance) -> None:
        self.inst = inst
        self.energy = np.zeros((len(inst.sites), inst.horizon))
        self.days = inst.days()
        self.use: dict[tuple[str, ...], float] = defaultdict(float)
        self.dims = inst.dims()

    def _rows(self, d: int, t: int, kwh: float) -> list[tuple[tuple[str, ...], float, float]]:
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
            return float(inst.signal[(s.id, dim)][t])

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
            for key, val, lim in self._rows(d, t, kwh):
                add[key] += val
                lims[key] = lim
        return all(self.use[k] + v <= lims[k] * (1 + _REL_TOL) + 1e-9 for k, v in add.items())

    def add(self, charges: Sequence[tuple[int, int, float]]) -> None:
        for d, t, kwh in charges:
            self.energy[d, t] += kwh
            for key, val, _ in self._rows(d, t, kwh):
                self.use[key] += val


def _per_job_ok(inst: Instance, c: int, d: int, t: int) -> bool:
    s = inst.sites[d]
    for (dim, zk), lim in inst.caps.per_job.items():
        if (s.id, dim) in inst.signal and zone_key(dim, s) == zk:
            burden = option_burden(inst, c, d, t, dim, min_transfer_kwh(inst, c, d))
            if burden > lim * (1 + 1e-9):
                return False
    return True


def first_fit(inst: Instance) -> Plan:
    """Requests one at a time in arrival order: cheapest option that fits caps and a channel."""
    t0 = time.perf_counter()
    res = _greedy(inst)
    return _finish(inst, res, "first-fit", t0, ["greedy, arrival order, caps checked greedily"])


def _greedy(inst: Instance) -> _Result:
    """The first-fit core (workloads without a transfer need no channel)."""
    cost = inst.cost()
    ledger = _Ledger(inst)
    chans = _Channels(inst)
    res = _Result([], [], [], [], ledger.energy)
    ranked: dict[int, list[tuple[float, int, int]]] = {}
    for job in _jobs(inst):
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
                for d, t in _options(inst, c)
                if _per_job_ok(inst, c, d, t)
            )
        placed = False
        for _score, d, t in ranked[c]:
            charges = [(d, t + i, u) for i, u in enumerate(cls.profile_kwh)]
            hit = None
            if _needs_path(inst, c, d):
                hit = chans.first_fit(_routes(inst, c, d), t)
                if hit is None:
                    continue
                charges.append((d, t, cls.volume_gb * hit[0].energy_kwh_per_gb))
            if not ledger.fits(charges):
                continue
            ledger.add(charges)
            res.placements.append(Placement(job.wid, inst.sites[d].id, inst.slots[t], t))
            if hit is not None:
                chans.take(hit[0], t, hit[1])
                res.lightpaths.append(_lightpath(inst, job.wid, c, d, t, *hit))
            placed = True
            break
        if not placed:
            res.rejected.append(job.wid)
            res.unassigned.append(_unplaceable(inst, job, "no option within caps with a channel"))
    return res


BASELINES: dict[str, Callable[[Instance], Plan]] = {
    "co2-only": co2_only,
    "sequential": sequential,
    "first-fit": first_fit,
}


def run_baseline(name: str, inst: Instance) -> Plan:
    """Run the baseline called ``name`` (``co2-only``, ``sequential``, ``first-fit``)."""
    try:
        fn = BASELINES[name]
    except KeyError:
        raise InputError(
            "--baseline", "baseline", name, f"expected one of {', '.join(BASELINES)}"
        ) from None
    return fn(inst)
