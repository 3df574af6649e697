"""The FSOR as a product: α along the workload mix, the caps that bind, investment signals.

:class:`ScaleModel` compiles the scale program of
:func:`optimizer.model.formulation.build` (``elastic="scale"``, LP relaxation) once
and changes only its Parameters afterwards (DPP): a cap moved for a map cell
or a finite-difference check is a parameter write and a re-solve, never a
recompile. At the optimum it reads, for every cap row (power per site and
slot, water per site and day, carbon per zone and day, zone caps, free
channels per fibre and slot), the use, the limit and the LP dual. For
``max α`` subject to ``A·z ≤ b`` the dual ``y_r ≥ 0`` of row r is ∂α/∂b_r: the
investment signal of that cap in the cap's own unit (α per kW, per L, per g,
per channel). :func:`region` reports α, the binding rows, and the signals
ranked by their elasticity (α gained for +1 % of the limit), each checked by
a re-solve with the cap raised (a finite difference).

>>> from optimizer.inputs import make_instance
>>> from optimizer.inputs.signals import default_signals
>>> from optimizer.inputs.workloads import default_workloads
>>> from optimizer.inputs.caps import Caps
>>> from topology.io import default_inventory
>>> caps = Caps(site_power_kw={"dc-fra": 0.01, "dc-tyo": 0.01, "dc-sjc": 0.01})
>>> inst = make_instance(default_inventory(), default_signals(), default_workloads(), caps)
>>> r = region(inst, max_signals=2)
>>> round(r.alpha, 1), r.binding[0].cap, r.binding[0].unit
(80.5, 'power', 'kW')
>>> s = r.signals[0]  # raising one site's power cap in every slot
>>> s.scope, s.cap, round(s.d_alpha_per_unit, 1), abs(s.d_alpha_fd - s.d_alpha_per_unit) < 1e-3
('cap', 'power dc-sjc', 2896.0, True)
"""

from __future__ import annotations

import math
import warnings
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import cvxpy as cp
import numpy as np
import numpy.typing as npt

from optimizer.analysis.region_highs import PersistentLP
from optimizer.inputs.instance import Instance
from optimizer.model.formulation import CapRow, Formulation, build, set_parameters
from optimizer.solve.highs import FsorHighs

__all__ = [
    "BindingRow",
    "Region",
    "ScaleModel",
    "Signal",
    "objective_duals",
    "region",
]

Arr = npt.NDArray[np.float64]

#: per-option bound standing in for "unbounded" (an unbounded LP gives no α)
ARTIFICIAL = 1e9
#: a row binds when its slack is below this share of its limit (or 1e-9 absolute)
TIGHT = 1e-7
#: elasticities this close (relative) are one tie in :meth:`ScaleModel.dominant`
TIE = 1e-4


@dataclass(frozen=True)
class BindingRow:
    """One cap row at α: what it caps, where, when, its use and limit, and ∂α/∂limit."""

    cap: str
    where: str
    slot: str | None
    use: float
    limit: float
    unit: str
    dual: float

    @property
    def label(self) -> str:
        """``"power dc-sjc 2025-07-01T17:00:00+00:00"`` (cap, site or zone, slot or day)."""
        return " ".join(p for p in (self.cap, self.where, self.slot) if p)

    def to_json(self) -> dict[str, Any]:
        return {
            "cap": self.cap,
            "site_or_zone": self.where,
            "slot": self.slot,
            "use": self.use,
            "limit": self.limit,
            "unit": self.unit,
            "d_alpha_per_unit": self.dual,
        }


@dataclass(frozen=True)
class Signal:
    """An investment signal: α gained per unit of one cap (LP dual), checked by a re-solve.

    ``scope`` "row": one row (one slot or day); "cap": every row of the cap as the
    user wrote it (e.g. a site's power cap in all slots). ``d_alpha_fd`` is
    (α(limit + step) − α) / step from a re-solve; ``d_objective_per_unit`` the change
    of the objective at α = 1 per unit (None when α < 1: no plan at α = 1).
    """

    cap: str
    scope: str
    unit: str
    limit: float
    d_alpha_per_unit: float
    d_alpha_fd: float | None
    step: float
    d_objective_per_unit: float | None = None

    @property
    def elasticity(self) -> float:
        """α gained for +1 % of the limit (the ranking key: comparable across units)."""
        return self.d_alpha_per_unit * abs(self.limit) / 100.0

    def sentence(self) -> str:
        """``"+10 kW power dc-sjc → α +0.04"`` for a raise of 10 % of the limit."""
        raise_by = abs(self.limit) * 0.10 if self.limit else self.step
        return f"+{raise_by:.4g} {self.unit} {self.cap} → α {self.d_alpha_per_unit * raise_by:+.4g}"

    def to_json(self) -> dict[str, Any]:
        return {
            "cap": self.cap,
            "scope": self.scope,
            "unit": self.unit,
            "limit": self.limit,
            "d_alpha_per_unit": self.d_alpha_per_unit,
            "d_alpha_fd": self.d_alpha_fd,
            "fd_step": self.step,
            "d_alpha_per_pct": self.elasticity,
            "d_objective_per_unit": self.d_objective_per_unit,
            "text": self.sentence(),
        }


@dataclass(frozen=True)
class Region:
    """α (LP relaxation), the binding rows at α and the ranked investment signals."""

    alpha: float
    status: str
    binding: tuple[BindingRow, ...] = ()
    signals: tuple[Signal, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)


def _family(key: str) -> str:
    return "channels" if key == "free" else key[4:]


class ScaleModel:
    """The scale LP compiled once; caps are moved by Parameter writes (DPP).

    ``keys`` are the parameter names of the cap families (``cap_power``,
    ``cap_water``, ``cap_carbon``, ``cap_zone_no2``, ``free``, ...); ``rows[key]``
    their :class:`~optimizer.model.formulation.CapRow` (fibre rows for ``free``).
    """

    def __init__(
        self, inst: Instance, *, time_limit: float = 60.0, groups: list[int] | None = None
    ) -> None:
        self.inst = inst
        self.time_limit = time_limit
        self.form: Formulation = build(inst, integer=False, elastic="scale", class_groups=groups)
        ub = np.asarray(self.form.params["ub"].value, dtype=float)
        self._open = ub > 0
        self.form.params["ub"].value = np.where(self._open, ARTIFICIAL, 0.0)
        self.cons: dict[str, cp.Constraint] = {}
        for c in self.form.problem.constraints:
            for p in c.parameters():
                name = p.name()
                if name.startswith("cap_") or name == "free":
                    self.cons[name] = c
        self.rows: dict[str, list[CapRow]] = {}
        for key in self.cons:
            if key == "free":
                self.rows[key] = [
                    CapRow("channels", f, t, None, "channels") for f, t in self.form.fibre_rows
                ]
            else:
                self.rows[key] = self.form.cap_rows[key[4:]]
        self.lp = PersistentLP(self.form.problem, time_limit=time_limit)
        self.base: dict[str, Arr] = {
            k: np.asarray(self.form.params[k].value, dtype=float).copy() for k in self.cons
        }

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(self.cons)

    def limits(self, key: str) -> Arr:
        return np.asarray(self.form.params[key].value, dtype=float)

    def set_limits(self, key: str, values: Arr) -> None:
        """Write the limits of family ``key`` (no recompile)."""
        self.form.params[key].value = np.maximum(np.asarray(values, dtype=float), 0.0)

    def reset(self) -> None:
        """Every limit back to the instance's."""
        for k, v in self.base.items():
            self.form.params[k].value = v.copy()

    def _run(self, bound: float) -> float:
        self.form.params["ub"].value = np.where(self._open, bound, 0.0)
        try:
            st = self.lp.solve()
        except (cp.error.SolverError, ValueError):
            return float("nan")
        if st in (cp.UNBOUNDED, cp.settings.INFEASIBLE_OR_UNBOUNDED):
            return math.inf
        if st not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
            return float("nan")
        return float(np.asarray(self.form.slacks["scale"].value, dtype=float))

    def solve(self) -> float:
        """α at the current limits: ``inf`` when unbounded, ``nan`` when the solver failed."""
        alpha = self._run(ARTIFICIAL)
        if math.isfinite(alpha) and alpha > 0:
            x = np.asarray(self.form.x.value, dtype=float)
            if np.any(x >= ARTIFICIAL * (1 - 1e-6)):
                again = self._run(10 * ARTIFICIAL)
                if again > alpha * 1.01:
                    return math.inf
                self._run(ARTIFICIAL)  # keep the duals of the first bound
        return alpha

    def binding(self) -> list[BindingRow]:
        """Rows that are tight or carry a positive dual at the last solve, largest dual first."""
        out: list[BindingRow] = []
        inst = self.inst
        for key, con in self.cons.items():
            use = np.asarray(con.args[0].value, dtype=float).ravel()
            lim = self.limits(key)
            dual = np.asarray(con.dual_value, dtype=float).ravel()
            for k, row in enumerate(self.rows[key]):
                tight = lim[k] - use[k] <= max(TIGHT * abs(lim[k]), 1e-9)
                if dual[k] > 1e-9 or (tight and use[k] > 1e-12):
                    slot = inst.slots[row.slot].isoformat() if row.slot is not None else row.day
                    out.append(
                        BindingRow(
                            _display(_family(key)),
                            row.where,
                            slot,
                            float(use[k]),
                            float(lim[k]),
                            row.unit,
                            float(max(dual[k], 0.0)),
                        )
                    )
        out.sort(key=lambda r: (-r.dual * abs(r.limit), r.label))
        return out

    def dominant(self) -> str:
        """The (cap, site or zone) with the largest elasticity at the last solve ('' if none).

        Caps whose elasticities agree to :data:`TIE` (0.01 %, relative) bind together and are
        named together, e.g. ``"power dc1,dc2"`` (sites with the same cap and the same
        marginal value): a tie is not decided by rounding noise.
        """
        score: dict[tuple[str, str], float] = defaultdict(float)
        for key, con in self.cons.items():  # duals only: no constraint expression evaluated
            dual = np.asarray(con.dual_value, dtype=float).ravel()
            lim = self.limits(key)
            family = _display(_family(key))
            for k in np.flatnonzero(dual > 1e-9):
                score[(family, self.rows[key][k].where)] += dual[k] * abs(lim[k])
        if not score:
            return ""
        top = max(score.values())
        return _name_tie(sorted(k for k, v in score.items() if v >= top * (1 - TIE)))

    def raise_rows(self, key: str, idx: Sequence[int], step: float) -> float:
        """α with the rows ``idx`` of family ``key`` raised by ``step`` (restored after)."""
        before = self.limits(key).copy()
        raised = before.copy()
        raised[list(idx)] += step
        self.set_limits(key, raised)
        try:
            return self.solve()
        finally:
            self.set_limits(key, before)


def _name_tie(caps: Sequence[tuple[str, str]]) -> str:
    """``[("power", "dc1"), ("power", "dc2")]`` → ``"power dc1,dc2"``; families joined by ``+``.

    >>> _name_tie([("carbon", "total"), ("power", "dc1"), ("power", "dc2")])
    'carbon total + power dc1,dc2'
    """
    by: dict[str, list[str]] = defaultdict(list)
    for family, where in caps:
        by[family].append(where)
    return " + ".join(f"{f} {','.join(w)}" for f, w in sorted(by.items()))


def _display(family: str) -> str:
    if family.startswith("zonetot_"):
        return f"zone:{family[8:]}"
    if family.startswith("zone_"):
        return f"zone:{family[5:]}"
    if family == "carbon_total":
        return "carbon"
    return family


def objective_duals(inst: Instance, *, time_limit: float = 60.0) -> dict[tuple[str, int], float]:
    """∂objective/∂limit per (family key, row) of the LP at α = 1 (empty when infeasible).

    Raising a binding cap can only lower the minimum, so the values are ≤ 0.
    """
    form = build(inst, integer=False)
    set_parameters(form, inst, strict=True)  # α = 1 means every workload served
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        try:
            form.problem.solve(solver=FsorHighs(), time_limit=time_limit)  # type: ignore[no-untyped-call]
        except cp.error.SolverError:
            return {}
    if form.problem.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
        return {}
    out: dict[tuple[str, int], float] = {}
    for c in form.problem.constraints:
        for p in c.parameters():
            name = p.name()
            if name.startswith("cap_") or name == "free":
                dual = np.asarray(c.dual_value, dtype=float).ravel()
                for k, y in enumerate(dual):
                    out[(name, k)] = -float(y)
    return out


def _step(limit: float, rel: float) -> float:
    return max(abs(limit) * rel, 1e-6)


def region(
    inst: Instance,
    *,
    time_limit: float = 60.0,
    max_signals: int = 10,
    fd_rel: float = 1e-3,
    with_objective: bool = True,
) -> Region:
    """α, the binding rows at α and up to ``max_signals`` ranked, re-solve-checked signals.

    Signals come in two scopes: each binding row alone, and each cap as the user
    wrote it (all its rows raised together, e.g. a site's power cap in every slot).
    ``fd_rel``: the finite-difference step as a share of the limit.
    """
    model = ScaleModel(inst, time_limit=time_limit)
    alpha = model.solve()
    if math.isnan(alpha):
        return Region(alpha, "error")
    if math.isinf(alpha):
        return Region(alpha, "unbounded")
    rows = model.binding()
    # candidates: every row with a dual, and every (family, where) aggregate
    cands: list[tuple[str, str, list[int], str, float, float]] = []
    agg: dict[tuple[str, str], list[int]] = defaultdict(list)
    for key in model.keys:
        dual = np.asarray(model.cons[key].dual_value, dtype=float).ravel()
        lim = model.limits(key)
        for k, row in enumerate(model.rows[key]):
            if dual[k] > 1e-9:
                slot = inst.slots[row.slot].isoformat() if row.slot is not None else row.day
                cands.append(
                    (
                        key,
                        "row",
                        [k],
                        f"{_display(_family(key))} {row.where} {slot}",
                        float(dual[k]),
                        float(lim[k]),
                    )
                )
                agg[(key, row.where)].append(k)
    for (key, where), _idx in agg.items():
        every = [k for k, r in enumerate(model.rows[key]) if r.where == where]
        dual = np.asarray(model.cons[key].dual_value, dtype=float).ravel()
        lim = model.limits(key)
        if len(every) > 1:
            cands.append(
                (
                    key,
                    "cap",
                    every,
                    f"{_display(_family(key))} {where}",
                    float(dual[every].sum()),
                    float(np.max(lim[every])),
                )
            )
    cands.sort(key=lambda c: (-c[4] * abs(c[5]), c[3]))
    odual = objective_duals(inst, time_limit=time_limit) if with_objective and alpha >= 1 else {}
    signals: list[Signal] = []
    for key, scope, idx, label, d, limit in cands[:max_signals]:
        step = _step(limit, fd_rel)
        a2 = model.raise_rows(key, idx, step)
        fd = (a2 - alpha) / step if math.isfinite(a2) else None
        dobj = sum(odual[(key, k)] for k in idx) if odual else None
        unit = model.rows[key][idx[0]].unit
        signals.append(Signal(label, scope, unit, limit, d, fd, step, dobj))
    model.solve()
    return Region(alpha, "optimal", tuple(rows), tuple(signals))
