"""Why an instance is infeasible: which caps bind, by how much, and what must go.

Three answers, each a :class:`~optimizer.model.plan.Relaxation`:

1. ORCA per-job caps that exclude every option of some workload (by how much
   the cap must rise for that workload's best option);
2. an elastic program: every cap row and every fibre-capacity row gets a slack
   ≥ 0; minimising Σ slack/|limit| says which caps must move and by how much
   (in the cap's own unit) for all workloads to be placed;
3. a shedding program: caps hard, workloads may be left out; the minimum
   number of workloads that must go (cap ``workload``, unit ``workloads``).

Both programs are MILPs solved with HiGHS under the given time limit (the
relaxation amounts are those of the best solution found).
"""

from __future__ import annotations

import warnings

import cvxpy as cp
import numpy as np

from optimizer.inputs.instance import Instance, zone_key
from optimizer.model.accounting import burden_unit
from optimizer.model.formulation import build, min_transfer_kwh, option_burden
from optimizer.model.plan import Relaxation
from optimizer.solve.highs import FsorHighs

__all__ = ["diagnose"]

_TOL = 1e-6


def _per_job(inst: Instance) -> list[Relaxation]:
    out: list[Relaxation] = []
    if not inst.caps.per_job:
        return out
    for c, cls in enumerate(inst.classes):
        best: dict[tuple[str, str], float] = {}
        any_ok = False
        for sid in cls.sites:
            d = next(i for i, s in enumerate(inst.sites) if s.id == sid)
            tr = min_transfer_kwh(inst, c, d)
            for t in cls.starts(inst.horizon):
                over: dict[tuple[str, str], float] = {}
                for (dim, zk), lim in inst.caps.per_job.items():
                    s = inst.sites[d]
                    if (s.id, dim) in inst.signal and zone_key(dim, s) == zk:
                        excess = option_burden(inst, c, d, t, dim, tr) - lim
                        if excess > 0:
                            over[(dim, zk)] = excess
                if not over:
                    any_ok = True
                for key, v in over.items():
                    best[key] = min(best.get(key, np.inf), v)
        if not any_ok:
            for (dim, zk), v in sorted(best.items()):
                out.append(
                    Relaxation(f"zone:{dim}:per-workload", zk, None, float(v), burden_unit(dim))
                )
    return out


def _run(problem: cp.Problem, time_limit: float) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            problem.solve(  # type: ignore[no-untyped-call]
                solver=FsorHighs(), time_limit=time_limit, mip_rel_gap=0.01
            )
    except cp.error.SolverError:
        return False
    return problem.status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE)


def diagnose(inst: Instance, *, time_limit: float = 30.0) -> tuple[Relaxation, ...]:
    """The relaxations that would make ``inst`` feasible (see the module docstring)."""
    out = _per_job(inst)
    form = build(inst, elastic="caps")
    form.params["ub"].value = np.array(
        [inst.classes[c].count for c, _d, _t in form.options], dtype=float
    )
    if form.slacks and _run(form.problem, time_limit):
        for name, var in form.slacks.items():
            vals = np.asarray(var.value, dtype=float)
            for k, v in enumerate(vals):
                if v <= _TOL:
                    continue
                if name == "channels":
                    f, t = form.fibre_rows[k]
                    out.append(
                        Relaxation("channels", f, inst.slots[t].isoformat(), float(v), "channels")
                    )
                    continue
                row = form.cap_rows[name][k]
                slot = inst.slots[row.slot].isoformat() if row.slot is not None else row.day
                out.append(Relaxation(row.cap, row.where, slot, float(v), row.unit))
    shed_form = build(inst, elastic="workload")
    if _run(shed_form.problem, time_limit):
        shed = np.asarray(shed_form.slacks["workload"].value, dtype=float)
        total = float(np.rint(shed).sum())
        if total > 0:
            out.append(Relaxation("workload", "all", None, total, "workloads"))
            energy = sum(
                float(np.rint(shed[c])) * sum(cls.profile_kwh) for c, cls in enumerate(inst.classes)
            )
            out.append(Relaxation("workload", "all", None, energy, "kWh"))
    return tuple(out)
