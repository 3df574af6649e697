"""Warm re-plans: start from the previous plan, keep what still holds, move the rest.

When signals, caps or occupancy change, most of a plan usually still holds.
:func:`repair_from` keeps every placement and lightpath of the previous plan
that is still valid in the new instance (allowed option, route still a
candidate, channel still free), then looks at the cap rows the change broke:
largest relative violation first, it takes workloads off the row (the
smallest one whose removal clears the row, else the largest) until no row is
broken, and places those workloads, plus any the old plan did not have,
again first-fit around everything kept (:func:`optimizer.solve.greedy.greedy`).
The result is a complete (or, where nothing fits, partial) plan within every
cap: the joint planner's start for the re-plan's search.

:func:`plan_from_json` reads a previous plan from its JSON document
(``fsor plan --json``), for ``fsor plan --from PREVIOUS.json``.

>>> plan_from_json({"placements": []}, None, "p.json").placements
()
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from optimizer.inputs.instance import Instance
from optimizer.model.plan import Lightpath, Placement, Plan
from optimizer.solve.greedy import (
    REL_TOL,
    Job,
    Ledger,
    Result,
    greedy,
    jobs,
    needs_path,
    per_job_ok,
    routes_of,
)
from topology.errors import InputError

__all__ = ["plan_from_json", "repair_from"]


def _field(doc: Mapping[str, Any], key: str, where: str, source: str) -> Any:
    if key not in doc:
        raise InputError(source, f"{where}.{key}", "missing", f"expected a value for {key}")
    return doc[key]


def plan_from_json(doc: Any, inst: Instance | None, source: str = "<plan>") -> Plan:
    """The placements and lightpaths of a plan JSON document (other keys are ignored).

    Start times are read from ``start`` (ISO-8601) and mapped to the slots of
    ``inst`` when given (a placement whose start is not a slot of ``inst`` keeps
    its ``slot`` index and is then judged by :func:`repair_from`).
    """
    if not isinstance(doc, Mapping) or not isinstance(doc.get("placements"), list):
        raise InputError(source, "placements", type(doc).__name__, "a plan with a placements list")
    slot_of = {t: i for i, t in enumerate(inst.slots)} if inst is not None else {}
    placements: list[Placement] = []
    for i, p in enumerate(doc["placements"]):
        where = f"placements[{i}]"
        if not isinstance(p, Mapping):
            raise InputError(source, where, p, "an object")
        wid, site = _field(p, "workload", where, source), _field(p, "site", where, source)
        raw = _field(p, "start", where, source)
        try:
            start = datetime.fromisoformat(str(raw))
        except ValueError:
            raise InputError(source, f"{where}.start", raw, "an ISO-8601 time") from None
        slot = slot_of.get(start, p.get("slot", -1))
        if not isinstance(slot, int):
            raise InputError(source, f"{where}.slot", slot, "an integer slot")
        placements.append(Placement(str(wid), str(site), start, slot))
    lightpaths: list[Lightpath] = []
    for i, lp in enumerate(doc.get("lightpaths") or []):
        where = f"lightpaths[{i}]"
        if not isinstance(lp, Mapping):
            raise InputError(source, where, lp, "an object")
        try:
            lightpaths.append(
                Lightpath(
                    workload=None if lp.get("workload") is None else str(lp["workload"]),
                    path=tuple(str(n) for n in _field(lp, "path", where, source)),
                    fibres=tuple(str(f) for f in _field(lp, "fibres", where, source)),
                    channel=int(_field(lp, "channel", where, source)),
                    frequency_thz=float(lp.get("frequency_thz", 0.0)),
                    slot=int(_field(lp, "slot", where, source)),
                    gb=float(lp.get("gb", 0.0)),
                    energy_kwh=float(lp.get("energy_kwh", 0.0)),
                )
            )
        except (TypeError, ValueError) as exc:
            raise InputError(source, where, lp, f"a lightpath ({exc})") from None
    status = doc.get("status", "feasible")
    gap = doc.get("gap")
    return Plan(
        status=status if status in ("optimal", "feasible", "infeasible", "error") else "feasible",
        placements=tuple(placements),
        lightpaths=tuple(lightpaths),
        planner=str(doc.get("planner", "joint")),
        gap=float(gap) if isinstance(gap, (int, float)) else None,
    )


def repair_from(inst: Instance, previous: Plan) -> tuple[Plan, int]:
    """The previous plan made valid for ``inst``; returns (plan, workloads moved).

    See the module docstring. ``moved`` counts the previous plan's workloads
    that were placed again (invalid option or lightpath, or taken off a broken
    row); workloads the previous plan did not serve are placed too.
    """
    sidx = inst.site_index()
    cls_of = {w: c for c, cls in enumerate(inst.classes) for w in cls.ids}
    lps = {old.workload: old for old in previous.lightpaths if old.workload is not None}
    used: set[tuple[str, int, int]] = set()
    kept: dict[str, tuple[Placement, Lightpath | None]] = {}
    for p in previous.placements:
        c, d = cls_of.get(p.workload), sidx.get(p.site)
        if c is None or d is None or p.workload in kept:
            continue
        cls = inst.classes[c]
        if p.site not in cls.sites or p.slot not in cls.starts(inst.horizon):
            continue
        if not per_job_ok(inst, c, d, p.slot):
            continue
        lp: Lightpath | None = lps.get(p.workload)
        if needs_path(inst, c, d):
            ok = lp is not None and lp.slot == p.slot
            route = None
            if lp is not None:
                route = next((r for r in routes_of(inst, c, d) if r.fibres == lp.fibres), None)
            if not ok or route is None or lp is None:
                continue
            free = all(
                lp.channel in inst.network.free.get(f, frozenset())
                and lp.channel not in inst.busy.get((f, lp.slot), frozenset())
                and (f, lp.slot, lp.channel) not in used
                for f in lp.fibres
            )
            if not free:
                continue
            used.update((f, lp.slot, lp.channel) for f in lp.fibres)
            vol = cls.volume_gb
            lp = Lightpath(
                p.workload,
                route.nodes,
                route.fibres,
                lp.channel,
                lp.frequency_thz,
                lp.transponders,
                lp.slot,
                vol,
                vol * route.energy_kwh_per_gb,
            )
        else:
            lp = None
        start = inst.slots[p.slot]
        kept[p.workload] = (Placement(p.workload, p.site, start, p.slot), lp)
    # the rows the change broke, largest relative violation first
    ledger = Ledger(inst)
    limit: dict[tuple[str, ...], float] = {}
    on_row: dict[tuple[str, ...], dict[str, float]] = defaultdict(dict)
    charges_of: dict[str, list[tuple[int, int, float]]] = {}
    for wid, (p, lp) in kept.items():
        d = sidx[p.site]
        ch = [(d, p.slot + i, u) for i, u in enumerate(inst.classes[cls_of[wid]].profile_kwh)]
        if lp is not None:
            ch.append((d, lp.slot, lp.energy_kwh))
        charges_of[wid] = ch
        for dd, tt, kwh in ch:
            for key, val, lim in ledger.rows(dd, tt, kwh):
                limit[key] = lim
                on_row[key][wid] = on_row[key].get(wid, 0.0) + val
        ledger.add(ch)
    moved: list[str] = []
    while True:
        over = {
            k: ledger.use[k] - lim * (1 + REL_TOL) - 1e-9
            for k, lim in limit.items()
            if ledger.use[k] > lim * (1 + REL_TOL) + 1e-9
        }
        if not over:
            break
        key = max(over, key=lambda k: (over[k] / max(abs(limit[k]), 1e-9), k))
        cands = sorted(on_row[key].items(), key=lambda kv: (kv[1], kv[0]))
        enough = [kv for kv in cands if kv[1] >= over[key]]
        wid = (enough[0] if enough else cands[-1])[0]
        ledger.add([(d, t, -kwh) for d, t, kwh in charges_of.pop(wid)])
        for rows in on_row.values():
            rows.pop(wid, None)
        kept.pop(wid)
        moved.append(wid)
    before = Result(
        [p for p, _lp in kept.values()],
        [lp for _p, lp in kept.values() if lp is not None],
        [],
        [],
        ledger.energy,
    )
    prev_ids = {p.workload for p in previous.placements}
    order: list[Job] = [j for j in jobs(inst) if j.wid not in kept]
    res = greedy(inst, order, before)
    n_moved = sum(1 for j in order if j.wid in prev_ids)
    plan = Plan(
        status="feasible",
        placements=tuple(sorted(res.placements, key=lambda p: p.workload)),
        lightpaths=tuple(sorted(res.lightpaths, key=lambda lp: (lp.slot, lp.workload or ""))),
        unassigned=tuple(res.unassigned),
        planner="repair",
        message=f"kept {len(kept)} placement(s), moved {n_moved}, {len(res.rejected)} fit nowhere",
    )
    return plan, n_moved
