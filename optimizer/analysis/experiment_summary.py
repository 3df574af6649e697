"""Summaries of per-day experiment results: totals, per-period sums, signed differences.

Input: the dicts :func:`optimizer.analysis.experiment_year.run_day` returns. A day counts
in the totals when the joint program returned a plan (``optimal`` or
``feasible``); other days are listed, not summed. Differences are
``joint − planner``: negative = the joint plan bears less. A planner's objective
is only comparable with the joint one on days when it placed every workload
and kept every cap (the objective of a plan that drops work or breaks a cap is
lower for that reason alone), so wins and losses are counted on those days only
(the others are ``not_comparable``); violations and blocking are summed apart.

>>> day = {"day": "2023-01-01", "workloads": 2, "wall_s": 0.2}
>>> m = {"status": "optimal", "objective": 1.0, "burdens": {"co2eq": 5.0}, "energy_kwh": 1.0,
...      "water_l": 0.0, "network_kwh": 0.1, "lightpaths": 1, "violations": 0,
...      "max_excess": 0.0, "blocked": 0, "placed": 2, "gap": 0.0, "wall_s": 0.1}
>>> r = dict(day, joint=m, other=dict(m, objective=2.0, violations=1))
>>> s = summarise([r], ("joint", "other"), "month")
>>> s["vs_joint"]["other"]["objective"], s["wins"]["other"]["not_comparable"]
(-1.0, 1)
>>> r = dict(day, joint=m, other=dict(m, objective=2.0))
>>> summarise([r], ("joint", "other"))["wins"]["other"]["joint_lower"]
1
>>> s["periods"][0]["period"], s["periods"][0]["other"]["violations"]
('2023-01', 1.0)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["METRICS", "summarise"]

#: summed per planner (besides each burden dimension)
METRICS: tuple[str, ...] = (
    "objective", "energy_kwh", "water_l", "network_kwh", "lightpaths", "violations",
    "blocked", "placed", "wall_s",
)
_REL_TIE = 1e-6


def _sum(rows: Sequence[Mapping[str, Any]], planner: str, dims: Sequence[str]) -> dict[str, float]:
    out: dict[str, float] = {d: 0.0 for d in dims}
    out.update(dict.fromkeys(METRICS, 0.0))
    out["violation_days"] = 0.0
    for r in rows:
        m = r[planner]
        for d in dims:
            out[d] += float(m["burdens"].get(d, 0.0))
        for k in METRICS:
            out[k] += float(m[k] or 0.0)
        out["violation_days"] += 1.0 if m["violations"] else 0.0
    return out


def summarise(
    results: Sequence[Mapping[str, Any]], planners: Sequence[str], period: str = "month"
) -> dict[str, Any]:
    """Totals, signed differences vs joint, wins/losses and per-period sums.

    ``period``: ``"month"`` (YYYY-MM) or ``"day"`` (YYYY-MM-DD) for the per-period rows.
    """
    ok = [r for r in results if r["joint"]["status"] in ("optimal", "feasible")]
    dims = sorted({d for r in ok for p in planners for d in r[p]["burdens"]})
    totals = {p: _sum(ok, p, dims) for p in planners}
    vs = {
        p: {k: totals["joint"][k] - totals[p][k] for k in totals[p]}
        for p in planners if p != "joint"
    }
    rel = {
        p: {k: (v / abs(totals[p][k]) if totals[p][k] else None) for k, v in vs[p].items()}
        for p in vs
    }
    wins: dict[str, dict[str, int]] = {}
    losses: dict[str, list[dict[str, Any]]] = {}
    for p in vs:
        w = {"joint_lower": 0, "joint_higher": 0, "equal": 0, "days_compared": 0,
             "not_comparable": 0}
        lost = []
        for r in ok:
            m = r[p]
            if m["placed"] < r["workloads"] or m["objective"] is None or m["violations"]:
                w["not_comparable"] += 1
                continue
            a, b = float(r["joint"]["objective"]), float(r[p]["objective"])
            w["days_compared"] += 1
            if abs(a - b) <= _REL_TIE * max(abs(a), abs(b), 1.0):
                w["equal"] += 1
            elif a < b:
                w["joint_lower"] += 1
            else:
                w["joint_higher"] += 1
                lost.append({"day": r["day"], "joint": a, p: b, "difference": a - b,
                             "joint_gap": r["joint"]["gap"]})
        wins[p], losses[p] = w, lost
    width = 7 if period == "month" else 10
    keys = sorted({r["day"][:width] for r in ok})
    periods = []
    for k in keys:
        rows = [r for r in ok if r["day"][:width] == k]
        periods.append({"period": k, "days": len(rows),
                        **{p: _sum(rows, p, dims) for p in planners}})
    for row in periods:
        row["fsor_alpha"] = _alpha([r for r in results if r["day"][:width] == row["period"]])
    statuses = {
        p: {s: sum(1 for r in results if r[p]["status"] == s)
            for s in sorted({r[p]["status"] for r in results})}
        for p in planners
    }
    return {
        "planners": list(planners),
        "dims": dims,
        "days": len(results),
        "days_compared": len(ok),
        "days_without_joint_plan": [r["day"] for r in results if r not in ok],
        "days_infeasible": [r["day"] for r in results if r["joint"]["status"] == "infeasible"],
        "workloads": sum(int(r["workloads"]) for r in ok),
        "totals": totals,
        "vs_joint": vs,
        "vs_joint_relative": rel,
        "wins": wins,
        "joint_higher_days": losses,
        "statuses": statuses,
        "period": period,
        "periods": periods,
        "fsor_alpha": _alpha(results),  # every day, infeasible ones too
        "task_wall_s": sum(float(r["wall_s"]) for r in results),
    }


def _alpha(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """min / mean of the days' FSOR headroom α; days with α < 1 and < 1.2 (under 20 %)."""
    vals = [float(r["fsor_alpha"]) for r in rows if r.get("fsor_alpha") is not None]
    return {
        "min": min(vals, default=None),
        "mean": sum(vals) / len(vals) if vals else None,
        "days_below_1": sum(1 for v in vals if v < 1.0),
        "days_below_1_2": sum(1 for v in vals if v < 1.2),
        "days_unbounded": sum(1 for r in rows if "fsor_alpha" in r and r["fsor_alpha"] is None),
    }
