"""Work a plan does not serve: who, and why the rest did not fit.

A plan may leave workloads out (the program prices lost work, see
:func:`optimizer.model.accounting.lost_work_values`). :func:`unserved_ids` lists
them; :func:`why_unserved` says, for each, what stands in the way: the
workload is tried at every option around everything the plan keeps (same cap
rows as the accounting, same first-fit channels as the baselines), and the
option that needs the least is reported — each cap row it would break and by
how much (in the cap's unit), or the fibre and slot with no common free
channel.

>>> from optimizer.model.plan import Relaxation
>>> Relaxation("power", "dc1", "2025-07-01T03:00:00+00:00", 2.5, "kW").needed_relaxation
2.5
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from optimizer.inputs.instance import Instance
from optimizer.model.plan import Lightpath, Placement, Relaxation
from optimizer.solve.greedy import (
    REL_TOL,
    committed,
    needs_path,
    options,
    per_job_ok,
    routes_of,
)

__all__ = ["unserved_ids", "why_unserved"]

_UNIT = {"power": "kW", "water": "L", "carbon": "gCO2eq"}


def unserved_ids(inst: Instance, placements: Iterable[Placement]) -> tuple[str, ...]:
    """Ids of the instance's workloads that ``placements`` do not place (input order)."""
    placed = {p.workload for p in placements}
    return tuple(w for cls in inst.classes for w in cls.ids if w not in placed)


def why_unserved(
    inst: Instance,
    placements: Sequence[Placement],
    lightpaths: Sequence[Lightpath],
    unserved: Sequence[str],
) -> tuple[Relaxation, ...]:
    """What keeps each unserved workload out, around everything the plan keeps.

    Per workload, its option with the smallest largest relative excess over any
    cap row is taken; every row that option breaks is reported with the excess
    in the row's unit (the largest over the workloads when several share a row),
    a missing channel as ``channels`` on the route's fullest fibre, and at the
    end the count of unserved workloads (``workload``/``workloads``). Rows are
    ordered largest excess first.
    """
    if not unserved:
        return ()
    ledger, chans = committed(inst, placements, lightpaths)
    cls_of = {w: c for c, cls in enumerate(inst.classes) for w in cls.ids}
    need: dict[tuple[str, str, str | None, str], float] = {}
    for w in unserved:
        c = cls_of[w]
        cls = inst.classes[c]
        best: tuple[float, list[tuple[tuple[str, str, str | None, str], float]]] | None = None
        for d, t in options(inst, c):
            if not per_job_ok(inst, c, d, t):
                continue
            charges = [(d, t + i, u) for i, u in enumerate(cls.profile_kwh)]
            rows: list[tuple[tuple[str, str, str | None, str], float]] = []
            worst = 0.0
            if needs_path(inst, c, d):
                routes = routes_of(inst, c, d)
                hit = chans.first_fit(routes, t)
                if hit is None:
                    fib = min(
                        (f for r in routes for f in r.fibres),
                        key=lambda f: (len(chans.free(f, t)), f),
                    )
                    rows.append((("channels", fib, inst.slots[t].isoformat(), "channels"), 1.0))
                    worst = max(worst, 1.0)
                else:
                    charges.append((d, t, cls.volume_gb * hit[0].energy_kwh_per_gb))
            add: dict[tuple[str, ...], float] = {}
            lims: dict[tuple[str, ...], float] = {}
            for dd, tt, kwh in charges:
                for key, val, lim in ledger.rows(dd, tt, kwh):
                    add[key] = add.get(key, 0.0) + val
                    lims[key] = lim
            for key, val in add.items():
                excess = ledger.use[key] + val - lims[key] * (1 + REL_TOL)
                if excess > 1e-9:
                    rows.append((_row(inst, key), excess))
                    worst = max(worst, excess / max(abs(lims[key]), 1e-9))
            if best is None or worst < best[0]:
                best = (worst, rows)
        for row, excess in best[1] if best is not None else []:
            need[row] = max(need.get(row, 0.0), excess)
    out = [
        Relaxation(cap, where, slot, float(v), unit)
        for (cap, where, slot, unit), v in sorted(need.items(), key=lambda kv: -kv[1])
    ]
    out.append(Relaxation("workload", "all", None, float(len(unserved)), "workloads"))
    return tuple(out)


def _row(inst: Instance, key: tuple[str, ...]) -> tuple[str, str, str | None, str]:
    """A ledger row key as (cap, site or zone, slot or day, unit) of the accounting."""
    from optimizer.model.accounting import burden_unit

    kind = key[0]
    if kind == "power":
        return ("power", key[1], inst.slots[int(key[2])].isoformat(), "kW")
    if kind in ("water", "carbon"):
        return (kind, key[1], key[2], _UNIT[kind])
    if kind == "zone":
        return (f"zone:{key[1]}", key[2], key[3], burden_unit(key[1]))
    return (f"zone:{key[1]}", key[2], None, burden_unit(key[1]))
