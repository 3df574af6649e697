"""The three baselines the joint program is judged against, on the same inputs.

Each takes the same :class:`~optimizer.inputs.instance.Instance` as the joint program
and returns a :class:`~optimizer.model.plan.Plan` scored by the same
:func:`optimizer.model.accounting.account` (same energy → burdens, caps, objective).
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
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from optimizer.inputs.instance import Instance, zone_key
from optimizer.model.accounting import account, lost_work
from optimizer.model.formulation import min_transfer_kwh, option_burden
from optimizer.model.plan import (
    CapUse,
    Plan,
    Relaxation,
    Timings,
    Unassigned,
)
from optimizer.solve.greedy import (
    REL_TOL,
    Job,
    Result,
    greedy,
    jobs,
    options,
    route_all,
    unplaceable,
)
from optimizer.solve.repair import repair_result
from topology.errors import InputError

__all__ = [
    "BASELINES",
    "BASELINE_NAMES",
    "LOCAL_DIMS",
    "co2_only",
    "first_fit",
    "run_baseline",
    "sequential",
    "zone_burdens",
]

#: Dimensions whose burden falls in a local zone (production region or data centre).
LOCAL_DIMS: tuple[str, ...] = ("so2eq", "co", "no2", "pm25", "water", "price")


def _violations(caps: Sequence[CapUse]) -> list[Relaxation]:
    out = []
    for c in caps:
        if np.isfinite(c.limit) and c.value > c.limit * (1 + REL_TOL) + 1e-9:
            out.append(Relaxation(c.cap, c.site_or_zone, c.slot, c.value - c.limit, c.unit))
    return out


def zone_burdens(inst: Instance, plan: Plan) -> dict[tuple[str, str], float]:
    """(dimension, zone key) → the plan's burden there, from ``plan.burdens``.

    Zone keys as in the caps: ``global`` for co2eq, the grid region for
    so2eq/co, the site id for no2, pm25, price, water. Compare two plans'
    results to see which local burdens one raises over the other.
    """
    sites = {s.id: s for s in inst.sites}
    out: dict[tuple[str, str], float] = defaultdict(float)
    for b in plan.burdens:
        for dim, v in b.burdens.items():
            out[(dim, zone_key(dim, sites[b.site]))] += float(v)
    return dict(out)


def _local_summary(inst: Instance, energy: npt.NDArray[np.float64]) -> str:
    """'dim zone=value' for the local dimensions, largest zone first."""
    parts = []
    dims = inst.dims()
    for dim in LOCAL_DIMS:
        if dim not in dims:
            continue
        per: dict[str, float] = defaultdict(float)
        for d, s in enumerate(inst.sites):
            per[zone_key(dim, s)] += float(energy[d] @ np.asarray(inst.signal[(s.id, dim)]))
        top = sorted(((v, z) for z, v in per.items() if v > 0), reverse=True)
        if top:
            parts.append(f"{dim} " + ", ".join(f"{z}={v:.4g}" for v, z in top))
    return "; ".join(parts)


def _served_energy(inst: Instance, res: Result, blocked: set[str]) -> npt.NDArray[np.float64]:
    """The plan's energy without the compute of its blocked (unserved) workloads."""
    energy = np.array(res.energy, dtype=float, copy=True)
    if not blocked:
        return energy
    sidx = inst.site_index()
    cls_of = {w: c for c, cls in enumerate(inst.classes) for w in cls.ids}
    for p in res.placements:
        if p.workload in blocked:
            for i, u in enumerate(inst.classes[cls_of[p.workload]].profile_kwh):
                energy[sidx[p.site], p.slot + i] -= u
    return energy


def _finish(
    inst: Instance, res: Result, planner: str, t0: float, notes: Sequence[str] = ()
) -> Plan:
    _obj, burdens, caps = account(inst, res.energy)
    rejected = set(res.rejected)
    blocked_ids = sorted({u.workload for u in res.unassigned if u.workload not in rejected})
    unserved = sorted(rejected)
    # like with like: the work it serves, plus the value of the work it does not
    lost = lost_work(inst, [*unserved, *blocked_ids])
    objective = account(inst, _served_energy(inst, res, set(blocked_ids)))[0] + lost
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
        served=len(res.placements) - len(blocked_ids),
        unserved=tuple(unserved),
        blocked=tuple(blocked_ids),
        lost_work=lost,
    )


def co2_only(inst: Instance) -> Plan:
    """Minimum CO2-eq (d, τ) per workload, caps NOT enforced; then first-fit routing."""
    t0 = time.perf_counter()
    if "co2eq" not in inst.dims():
        raise InputError("signals", "co2eq", "missing", "expected a co2eq signal for every site")
    chosen: list[tuple[Job, int, int]] = []
    orphans: list[Unassigned] = []
    best: dict[int, tuple[int, int] | None] = {}
    for job in jobs(inst):
        c = job.cls
        if c not in best:
            opts = options(inst, c)
            score = [
                (option_burden(inst, c, d, t, "co2eq", min_transfer_kwh(inst, c, d)), d, t)
                for d, t in opts
            ]
            best[c] = min(score)[1:] if score else None
        pick = best[c]
        if pick is None:
            orphans.append(unplaceable(inst, job, "no allowed site is reachable"))
            continue
        chosen.append((job, *pick))
    res = route_all(inst, chosen)
    res.unassigned += orphans
    res.rejected += [u.workload for u in orphans]
    return _finish(inst, res, "co2-only", t0, ["caps not enforced (CO2-eq only)"])


def sequential(
    inst: Instance,
    *,
    time_limit: float = 60.0,
    mip_gap: float = 0.01,
    placement: str = "milp",
    repair: bool = False,
    seed: int = 0,
    max_rounds: int | None = None,
) -> Plan:
    """Place with the joint objective and caps but no network, then route first-fit.

    ``placement="milp"``: the joint program without transfers and wavelengths
    (falls back to greedy when it finds no plan within ``time_limit``);
    ``"greedy"``: the first-fit placement without the network. ``repair``: workloads
    whose transfer is blocked are taken back and placed again first-fit (cheapest
    option that still fits the caps and has a channel, given everything routed) — how
    an operator would retry them; those that fit nowhere are rejected.
    """
    from optimizer.solve.program import Planner

    t0 = time.perf_counter()
    if placement not in ("milp", "greedy"):
        raise InputError("sequential", "placement", placement, "expected milp or greedy")
    blind = replace(inst, classes=tuple(replace(c, volume_gb=0.0) for c in inst.classes))
    placed = (
        Planner(blind, seed=seed, max_rounds=max_rounds).solve(
            time_limit=time_limit, mip_gap=mip_gap, diagnose=False
        )
        if placement == "milp"
        else Plan("error", message="no plan: greedy placement asked for")
    )
    notes = []
    rejected: list[str] = []
    if placed.status == "error" and placed.message.startswith("no plan"):
        # greedy compute scheduler: asked for, or the MILP had no incumbent in time
        pre = greedy(blind)
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
        rejected = list(placed.unserved)  # a partial placement: the rest fit nowhere
        if "machine's speed" in placed.message:
            notes.append("placement search stopped at the time limit")
        objective = placed.objective if placed.objective is not None else 0.0
    at = {p.workload: p for p in placements}
    sidx = inst.site_index()
    chosen = [(j, sidx[at[j.wid].site], at[j.wid].slot) for j in jobs(inst) if j.wid in at]
    res = route_all(inst, chosen)
    if repair and res.unassigned:
        res, n_blocked = repair_result(inst, res), len(res.unassigned)
        notes.append(f"{n_blocked} blocked transfer(s) placed again first-fit")
    extra = sum(lp.energy_kwh for lp in res.lightpaths)
    compute = float(res.energy.sum()) - extra
    share = f" ({100 * extra / compute:.3g} % of compute)" if compute > 0 else ""
    notes.append(
        f"placement ignored the network: transfer energy {extra:.6g} kWh{share} unseen, "
        f"placement objective {objective:.6g}"
    )
    res.rejected += rejected
    res.unassigned += [
        unplaceable(inst, j, "no option within caps") for j in jobs(inst) if j.wid in rejected
    ]
    plan = _finish(inst, res, "sequential", t0, notes)
    if placed.status == "error":  # greedy placement: its own wall time is in solve_s
        return plan
    stage = placed.timings
    timings = replace(plan.timings, compile_s=stage.compile_s, solve_s=stage.solve_s)
    return replace(plan, gap=placed.gap, timings=timings)


def first_fit(inst: Instance) -> Plan:
    """Requests one at a time in arrival order: cheapest option that fits caps and a channel."""
    t0 = time.perf_counter()
    res = greedy(inst)
    return _finish(inst, res, "first-fit", t0, ["greedy, arrival order, caps checked greedily"])


BASELINES: dict[str, Callable[[Instance], Plan]] = {
    "co2-only": co2_only,
    "sequential": sequential,
    "first-fit": first_fit,
}


#: every name :func:`run_baseline` takes
BASELINE_NAMES: tuple[str, ...] = ("co2-only", "sequential", "sequential+repair", "first-fit")


def run_baseline(name: str, inst: Instance, time_limit: float = 60.0) -> Plan:
    """Run the baseline called ``name`` (:data:`BASELINE_NAMES`) within ``time_limit``.

    ``sequential`` and ``sequential+repair`` give their placement MILP the time limit;
    ``co2-only`` and ``first-fit`` are single greedy passes (no search to stop).
    """
    if name == "sequential+repair":
        return replace(
            sequential(inst, time_limit=time_limit, repair=True), planner="sequential+repair"
        )
    if name == "sequential":
        return sequential(inst, time_limit=time_limit)
    try:
        fn = BASELINES[name]
    except KeyError:
        raise InputError(
            "--baseline", "baseline", name, f"expected one of {', '.join(BASELINE_NAMES)}"
        ) from None
    return fn(inst)
