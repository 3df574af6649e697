"""Warm starts of the joint MILP: baseline or relax-and-fix plans as complete MIP starts.

:class:`WarmStarts` is the part of :class:`optimizer.solve.program.Planner` that turns a
plan into values for every variable of the compiled program (``x``, ``n``, ``v``,
``E``), checks them against every constraint with the current parameters, and
computes the named starts (:data:`AUTO_WARM`). A start that misses a workload,
routes off the candidate list or breaks a cap is not used.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import numpy as np

from optimizer.inputs.instance import Instance
from optimizer.model.accounting import account, lost_work
from optimizer.model.formulation import Formulation
from optimizer.model.plan import Plan, Timings
from optimizer.solve.heuristics import PlannerFactory, co2_only, first_fit, sequential
from optimizer.solve.relax_fix import PlannerParts, relax_fix
from optimizer.solve.unserved import unserved_ids

__all__ = ["AUTO_WARM", "STARTS", "WarmStarts"]

_WARMING: contextvars.ContextVar[bool] = contextvars.ContextVar("fsor_warming", default=False)
#: the heuristics a named warm start runs (``"relax-fix"`` is the planner's own)
#: (``"sequential"`` too: :func:`~optimizer.solve.heuristics.sequential` with the planner)
STARTS: dict[str, Callable[[Instance], Plan]] = {"co2-only": co2_only, "first-fit": first_fit}
#: the warm starts ``warm="auto"`` computes, keeping the best complete feasible one
AUTO_WARM: tuple[str, ...] = ("relax-fix", "first-fit", "sequential")


@dataclass(frozen=True)
class _Warm:
    """A warm-start plan, its MILP variable values, energy[site, slot] and objective."""

    name: str
    plan: Plan
    values: dict[int, np.ndarray]
    energy: np.ndarray
    objective: float


class WarmStarts:
    """The warm starts of one planner: a collaborator it holds (``planner.warm``), not a base.

    ``planner`` gives the compiled ``form`` and, for relax-and-fix, the parts of
    :class:`~optimizer.solve.relax_fix.PlannerParts`; a named ``"sequential"`` start is
    solved by a new planner of the same class on the network-blind instance.
    """

    def __init__(self, planner: PlannerParts) -> None:
        self.planner = planner

    @property
    def form(self) -> Formulation:
        """The planner's compiled program (it changes when the planner recompiles)."""
        return self.planner.form

    @staticmethod
    def from_warm(
        inst: Instance,
        w: _Warm,
        bound: float | None,
        mip_gap: float,
        lp: float | None,
        timings: Timings,
        why: str,
    ) -> Plan:
        """The warm-start plan, re-accounted, as the joint planner's answer."""
        _obj, burdens, caps = account(inst, w.energy)
        objective = w.objective
        unserved = unserved_ids(inst, w.plan.placements)
        gap = None
        if bound is not None and np.isfinite(bound):
            gap = max(objective - bound, 0.0) / max(abs(objective), 1e-12)
        ok = gap is not None and gap <= mip_gap + 1e-9 and not unserved
        status = "optimal" if ok else "feasible"
        return Plan(
            status=status,
            objective=objective,
            placements=w.plan.placements,
            lightpaths=w.plan.lightpaths,
            burdens=burdens,
            caps=caps,
            gap=gap,
            bound=bound,
            lp_bound=lp,
            timings=timings,
            filled=inst.filled,
            planner="joint",
            message=f"incumbent from the {w.name} warm start ({why})",
            unassigned=tuple(u for u in w.plan.unassigned if u.workload in set(unserved)),
            served=len(w.plan.placements),
            unserved=unserved,
            lost_work=lost_work(inst, unserved),
        )

    # -- warm start ------------------------------------------------------------

    @staticmethod
    def complete(inst: Instance, p: Plan) -> bool:
        """Usable as a start: within every cap, every placed transfer routed (work may be
        left out: the program prices it)."""
        placed = {q.workload for q in p.placements}
        blocked = any(u.workload in placed for u in p.unassigned) or bool(p.blocked)
        return not blocked and not p.violated

    def start(
        self, inst: Instance, warm: Plan | str | None, time_limit: float = 60.0
    ) -> _Warm | None:
        """The warm-start plan (given, or a named baseline's) with its MILP values.

        ``"auto"``: the best complete plan of :data:`AUTO_WARM` (relax-and-fix and
        sequential's placement MILP a quarter of the time limit each). ``None`` when there is
        no start or it is not feasible in the joint model (see :meth:`values`).
        """
        if warm is None or not self.form.integer:
            return None
        if not isinstance(warm, str):
            vals = self.values(inst, warm)
            return None if vals is None else _Warm(warm.planner, warm, *vals)
        if _WARMING.get():
            return None  # a baseline solving its own program: no nested warm start
        names = AUTO_WARM if warm == "auto" else (warm,)
        best: _Warm | None = None
        for name in names:
            if name == "relax-fix":
                # LP + the fixed MILP
                rf = relax_fix(self.planner, inst, time_limit / 4)
                vals = None if rf is None else self.values(inst, rf)
                if (
                    rf is not None
                    and vals is not None
                    and (best is None or vals[2] < best.objective)
                ):
                    best = _Warm(name, rf, *vals)
                continue
            if name not in STARTS and name != "sequential":
                return None
            # the sequential start is exactly the sequential baseline (its placement MILP
            # warm-starts itself); its network-blind program has no transfers, so this ends
            token = _WARMING.set(not (name == "sequential" and self.form.groups))
            try:
                if name == "sequential":
                    same = cast(PlannerFactory, type(self.planner))
                    cand = sequential(inst, time_limit=time_limit / 4, planner=same)
                else:
                    cand = STARTS[name](inst)
            finally:
                _WARMING.reset(token)
            if not self.complete(inst, cand):
                continue
            vals = self.values(inst, cand)
            if vals is not None and (best is None or vals[2] < best.objective):
                best = _Warm(name, cand, *vals)
        return best

    def values(
        self, inst: Instance, warm: Plan
    ) -> tuple[dict[int, np.ndarray], np.ndarray, float] | None:
        """(variable values, energy[site, slot], objective) of ``warm`` in the joint model.

        Every variable is set (x, n, v, E, and the channels y when the program has them);
        ``None`` unless the plan is complete
        (all workloads placed, every transfer on one of its candidate routes) and
        the values satisfy every constraint of the compiled problem with the
        current parameters (caps, free channels, per-option bounds).
        """
        if not self.complete(inst, warm):
            return None
        form, net = self.form, inst.network
        cls_of = {w: c for c, cls in enumerate(inst.classes) for w in cls.ids}
        opt = {o: j for j, o in enumerate(form.options)}
        sidx = inst.site_index()
        x = np.zeros(form.x.shape[0])
        S, T = len(inst.sites), inst.horizon
        energy = np.zeros(S * T)
        for p in warm.placements:
            c, d = cls_of[p.workload], sidx[p.site]
            j = opt.get((c, d, p.slot))
            if j is None:
                return None
            x[j] += 1
            for i, u in enumerate(inst.classes[c].profile_kwh):
                energy[d * T + p.slot + i] += u
        out: dict[int, np.ndarray] = {form.x.id: x}
        carried: set[str] = set()
        if form.n is not None and form.v is not None:
            col = {gr: k for k, gr in enumerate(form.route_cols)}
            grp = {g: k for k, g in enumerate(form.groups)}
            n = np.zeros(len(form.route_cols))
            v = np.zeros(len(form.route_cols))
            ycol = {kl: j for j, kl in enumerate(form.chan_cols)}
            y = np.zeros(len(form.chan_cols))
            where = {p.workload: sidx[p.site] for p in warm.placements}
            for lp in warm.lightpaths:
                if lp.workload is None or lp.workload in carried or lp.workload not in where:
                    return None
                carried.add(lp.workload)
                c, d = cls_of[lp.workload], where[lp.workload]
                o = net.roadm(inst.classes[c].origin)
                g = grp.get((o, d, lp.slot))
                routes = net.routes.get((o, inst.sites[d].id), ())
                r = next((i for i, rt in enumerate(routes) if rt.fibres == lp.fibres), None)
                if g is None or r is None:
                    return None
                n[col[(g, r)]] += 1
                if form.y is not None:
                    j = ycol.get((col[(g, r)], lp.channel))
                    if j is None:
                        return None  # a channel the route does not have free
                    y[j] += 1
                vol = inst.classes[c].volume_gb
                v[col[(g, r)]] += vol
                energy[d * T + lp.slot] += vol * routes[r].energy_kwh_per_gb
            out[form.n.id] = n
            out[form.v.id] = v
            if form.y is not None:
                out[form.y.id] = y
        placed_need = {
            p.workload
            for p in warm.placements
            if form.group_of_option[opt[(cls_of[p.workload], sidx[p.site], p.slot)]] >= 0
        }
        if placed_need - carried:
            return None  # a transfer without its lightpath
        out[form.energy.id] = energy
        if form.lost is not None:
            lost = np.array([c.count for c in inst.classes], dtype=float)
            for p in warm.placements:
                lost[cls_of[p.workload]] -= 1
            out[form.lost.id] = lost
        if not self.satisfies(out):
            return None
        e2 = energy.reshape(S, T)
        return out, e2, account(inst, e2)[0] + lost_work(inst, unserved_ids(inst, warm.placements))

    def satisfies(self, values: dict[int, np.ndarray], tol: float = 1e-6) -> bool:
        """Whether ``values`` (one array per variable) meet every constraint of the problem."""
        prob = self.form.problem
        variables = prob.variables()
        if any(var.id not in values for var in variables):
            return False
        for var in variables:
            var.value = values[var.id].reshape(var.shape)
        try:
            for con in prob.constraints:
                viol = np.asarray(con.violation(), dtype=np.float64)  # type: ignore[no-untyped-call]
                if not viol.size:
                    continue
                scale = max(float(np.max(np.abs(np.asarray(a.value)))) for a in con.args)
                if float(np.max(viol)) > tol * (1.0 + scale):
                    return False
        finally:
            for var in variables:
                var.value = None
        return True
