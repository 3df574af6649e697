"""Caps that must hold under forecast uncertainty: the conic (SOCP) variant, solved with ECOS.

Length: over 400 lines on purpose: the SOCP model, its solve and the σ estimation from data
share the cap-row layout; a split into robust_lp.py is a noted next step.

The signal-weighted caps (carbon per region and day, carbon in total per day,
zone caps per dimension per day or horizon) depend on forecast signals g. With
a Gaussian forecast error of standard deviation σ per (site, slot, dimension),
shared by the sites of a region, the chance constraint P(Σ g·E ≤ cap) ≥ 1 − ε
is the second-order cone constraint μᵀE + Φ⁻¹(1 − ε)·‖σ∘E‖₂ ≤ cap for
independent slots (an AR(1) ρ or perfect correlation change only the norm's
matrix; see ``docs/robust.md``). Power and water caps stay linear (energy is a
decision, not a forecast). The LP part is the formulation's relaxation with
per-workload routes, rebuilt well scaled for ECOS (``_model``).

* :func:`estimate_sigma` / :func:`estimate_rho`: σ per hour of day and the
  hour-to-hour error correlation from a history (day-ahead persistence);
* :func:`robust_region`: the largest multiple α of the workload mix with every
  cap holding with probability ≥ 1 − ε (the chance-constrained
  :func:`optimizer.analysis.fsor_region.max_scale`);
* :func:`robust_plan`: the minimum expected-objective fractional placement
  under the chance-constrained caps;
* :func:`cap_confidence`: the probability that each uncertain cap holds for a
  given energy[site, slot] (e.g. an integral HiGHS plan, via :func:`plan_energy`).

Pure: no I/O, no clock (solve times are the solver's own report).

>>> round(normal_quantile(0.05), 4), round(soc_margin([3.0, 4.0], [1.0, 1.0], 0.05), 4)
(1.6449, 8.2243)
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal

import cvxpy as cp
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from cvxpy.atoms.affine.binary_operators import multiply
from cvxpy.atoms.norm import norm
from scipy.special import ndtr, ndtri

from optimizer.inputs.instance import Instance, zone_key
from optimizer.model.accounting import burden_factor, burden_unit
from optimizer.model.formulation import CapRow, Formulation, build
from optimizer.model.plan import Plan
from topology.errors import InputError

__all__ = [
    "ECOS_OPTS",
    "RobustResult",
    "RowCheck",
    "UncertainRow",
    "cap_confidence",
    "estimate_rho",
    "estimate_sigma",
    "hourly_sigma",
    "normal_quantile",
    "plan_energy",
    "resolve_sigma",
    "robust_plan",
    "robust_region",
    "soc_margin",
    "uncertain_rows",
]

Arr = npt.NDArray[np.float64]
Correlation = Literal["independent", "full"] | float
Sigma = float | Mapping[tuple[str, str], npt.ArrayLike]
RobustStatus = Literal["optimal", "inaccurate", "infeasible", "unbounded", "error"]
_SRC = "robust"

#: ECOS settings unless overridden: with its default gap tolerances (1e-8) the scale LP
#: stalls at a gap of ~5e-8 and ends "close to optimal" (status ``inaccurate``).
ECOS_OPTS: Mapping[str, float] = {"abstol": 1e-6, "reltol": 1e-6, "feastol": 1e-8, "max_iters": 200}


def estimate_sigma(series: npt.ArrayLike, period: int = 24) -> Arr:
    """Forecast-error σ per phase of ``period`` of a day-ahead persistence forecast.

    The forecast of ``series[t]`` is ``series[t - period]``; the result's entry
    h is the root-mean-square of the residual ``series[t] - series[t - period]``
    over every t ≡ h (mod ``period``), i.e. its standard deviation about zero
    (a bias counts as error). NaNs are skipped. For an hourly series starting at
    00:00 UTC and ``period=24``, entry h is the σ of hour h UTC.

    >>> s = np.array([10.0, 20.0, 12.0, 20.0, 8.0, 20.0])
    >>> estimate_sigma(s, period=2)  # residuals (2, -4) at phase 0, (0, 0) at phase 1
    array([3.16227766, 0.        ])
    """
    x = np.asarray(series, dtype=float)
    if period < 1:
        raise InputError(_SRC, "period", period, "expected a period >= 1")
    if x.ndim != 1 or x.size <= period:
        raise InputError(_SRC, "series", x.shape, f"expected a 1-D series longer than {period}")
    res = x[period:] - x[:-period]
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a phase with no residual: NaN
        out = np.array([np.sqrt(np.nanmean(res[h::period] ** 2)) for h in range(period)])
    if not np.all(np.isfinite(out)):
        raise InputError(_SRC, "series", "NaN", "expected a finite residual at every phase")
    return out


def estimate_rho(series: npt.ArrayLike, period: int = 24) -> float:
    """Lag-1 autocorrelation of the persistence residual (about zero, like the σ).

    An AR(1) ``correlation`` for :func:`uncertain_rows`: errors an hour apart
    are this correlated, ρ^k for k hours (an approximation of the real decay).

    >>> estimate_rho(np.arange(30.0), period=3)  # a trend: the same error every hour
    1.0
    """
    x = np.asarray(series, dtype=float)
    if period < 1 or x.ndim != 1 or x.size <= period + 1:
        raise InputError(_SRC, "series", x.shape, f"expected a 1-D series longer than {period + 1}")
    res = x[period:] - x[:-period]
    a, b = res[:-1], res[1:]
    ok = np.isfinite(a) & np.isfinite(b)
    den = float(np.sqrt(np.sum(a[ok] ** 2) * np.sum(b[ok] ** 2)))
    return float(np.clip(np.sum(a[ok] * b[ok]) / den, 0.0, 1.0)) if den > 0 else 0.0


def normal_quantile(epsilon: float) -> float:
    """z = Φ⁻¹(1 − ε) for 0 < ε ≤ 0.5 (z ≥ 0: the chance constraint is convex)."""
    if not (0.0 < float(epsilon) <= 0.5):
        raise InputError(_SRC, "epsilon", epsilon, "expected 0 < epsilon <= 0.5")
    return float(ndtri(1.0 - float(epsilon)))


def soc_margin(
    energy: npt.ArrayLike, sigma: npt.ArrayLike, epsilon: float, full: bool = False
) -> float:
    """The robust margin Φ⁻¹(1 − ε)·‖σ∘E‖₂ (``full``: Φ⁻¹(1 − ε)·Σ σ·E, perfect correlation)."""
    s = np.asarray(sigma, dtype=float) * np.asarray(energy, dtype=float)
    std = float(np.abs(s.sum())) if full else float(np.linalg.norm(s))
    return normal_quantile(epsilon) * std


def resolve_sigma(inst: Instance, sigma: Sigma) -> dict[tuple[str, str], Arr]:
    """σ arrays per (site, dimension) from a relative float (σ = r·|g|) or absolute arrays.

    Absolute arrays are keyed like ``inst.signal``, one value ≥ 0 per slot; a
    (site, dimension) without an entry has σ = 0 (its signal is taken as exact).
    """
    T = inst.horizon
    if isinstance(sigma, int | float):
        r = float(sigma)
        if not (np.isfinite(r) and r >= 0):
            raise InputError(_SRC, "sigma", sigma, "expected a relative sigma >= 0")
        return {k: r * np.abs(np.asarray(g, dtype=float)) for k, g in inst.signal.items()}
    out: dict[tuple[str, str], Arr] = {}
    for key, arr in sigma.items():
        if key not in inst.signal:
            raise InputError(_SRC, "sigma", key, "expected a (site, dimension) with a signal")
        a = np.asarray(arr, dtype=float)
        if a.shape != (T,) or not np.all(np.isfinite(a)) or np.any(a < 0):
            field = f"sigma[{key[0]}.{key[1]}]"
            raise InputError(_SRC, field, a.shape, f"expected {T} finite values >= 0")
        out[key] = a
    return out


def hourly_sigma(
    inst: Instance, profiles: Mapping[tuple[str, str], npt.ArrayLike]
) -> dict[tuple[str, str], Arr]:
    """Absolute σ per (site, dim) from 24-value profiles per (region, dim) (e.g. estimate_sigma).

    Slot t takes the profile value of its start's UTC hour.
    """
    hours = np.array([s.hour for s in inst.slots], dtype=int)
    out: dict[tuple[str, str], Arr] = {}
    for (region, dim), prof in profiles.items():
        p = np.asarray(prof, dtype=float)
        if p.shape != (24,):
            raise InputError(_SRC, f"profiles[{region}.{dim}]", p.shape, "expected 24 values")
        for s in inst.sites:
            if s.region == region and (s.id, dim) in inst.signal:
                out[(s.id, dim)] = p[hours]
    return out


@dataclass(frozen=True, eq=False)
class UncertainRow:
    """One signal-weighted cap row: burden = ``mean``·E ± N(0, ‖``spread``·E‖²), E flat (S·T)."""

    row: CapRow
    dim: str
    limit: float
    mean: Arr  # (S*T,) forecast signal on the row's sites and slots, 0 elsewhere
    spread: sp.csr_matrix  # (k, S*T): one row per independent error source


@dataclass(frozen=True)
class RowCheck:
    """A cap row evaluated at an energy: expected burden, its σ, the margin z·σ, P(holds)."""

    row: CapRow
    dim: str
    limit: float
    mean: float
    std: float
    margin: float
    probability: float


def uncertain_rows(
    inst: Instance, sigma: Sigma, correlation: Correlation = "independent"
) -> tuple[UncertainRow, ...]:
    """The signal-weighted cap rows of ``inst`` (same rows as the formulation's) with σ.

    Sites of one region share their region's error (they read the same forecast);
    regions are independent. ``correlation`` across slots: ``independent``
    (ρ = 0), a float ρ in [0, 1] (AR(1): corr(ξ_t, ξ_s) = ρ^|t−s|), or ``full``:
    every error of a row perfectly correlated, regions too (σ_row = Σ σ·E, an
    upper bound for any correlation since E ≥ 0).
    """
    rho = 0.0 if correlation == "independent" else correlation
    if rho != "full" and not (isinstance(rho, int | float) and 0.0 <= rho <= 1.0):
        raise InputError(_SRC, "correlation", correlation, "expected independent, full or 0..1")
    sig = resolve_sigma(inst, sigma)
    S, T, days, caps = len(inst.sites), inst.horizon, inst.days(), inst.caps
    L = np.eye(T)  # factor of the slot correlation: R = L·Lᵀ
    if rho != "full" and rho > 0:
        lam, V = np.linalg.eigh(float(rho) ** np.abs(np.subtract.outer(np.arange(T), range(T))))
        keep = lam > 1e-12 * lam.max()
        L = V[:, keep] * np.sqrt(lam[keep])
    dims = inst.dims()
    fams: list[tuple[str, str, str, list[int], float, bool]] = []  # cap, where, dim, ...
    regions: dict[str, list[int]] = defaultdict(list)
    for d, s in enumerate(inst.sites):
        regions[s.region].append(d)
    for z, lim in caps.carbon_g_per_day.items():
        if z in regions:
            fams.append(("carbon", z, "co2eq", regions[z], lim, False))
    if caps.carbon_total_g_per_day is not None:
        fams.append(
            ("carbon", "total", "co2eq", list(range(S)), caps.carbon_total_g_per_day, False)
        )
    for scoped, whole in ((caps.zone_per_day, False), (caps.zone_horizon, True)):
        for (dim, zk), lim in scoped.items():
            members = [d for d, s in enumerate(inst.sites) if zone_key(dim, s) == zk]
            if members and dim in dims:
                fams.append((f"zone:{dim}", zk, dim, members, lim, whole))
    out: list[UncertainRow] = []
    for cap, where, dim, members, lim, whole in fams:
        unit = "gCO2eq" if cap == "carbon" else burden_unit(dim)
        for day in ["horizon"] if whole else list(dict.fromkeys(days)):
            mean = np.zeros(S * T)
            src: dict[tuple[str, int], int] = {}
            r_, c_, v_ = [], [], []
            for d in members:
                s = inst.sites[d]
                g = np.asarray(inst.signal[(s.id, dim)], dtype=float) * burden_factor(dim)
                sd = sig.get((s.id, dim), np.zeros(T))
                for t in range(T):
                    if not (whole or days[t] == day):
                        continue
                    mean[d * T + t] = g[t]
                    for k in [0] if rho == "full" else np.flatnonzero(L[t]):
                        if sd[t] > 0:
                            key = ("", 0) if rho == "full" else (s.region, int(k))
                            r_.append(src.setdefault(key, len(src)))
                            c_.append(d * T + t)
                            v_.append(float(sd[t]) * (1.0 if rho == "full" else L[t, k]))
            spread = sp.csr_matrix((v_, (r_, c_)), shape=(len(src), S * T))
            row = CapRow(cap, where, None, day, unit)
            out.append(UncertainRow(row, dim, float(lim), mean, spread))
    return tuple(out)


def _check(rows: tuple[UncertainRow, ...], energy: Arr, z: float) -> tuple[RowCheck, ...]:
    e = np.asarray(energy, dtype=float).reshape(-1)
    out: list[RowCheck] = []
    for u in rows:
        mean = float(u.mean @ e)
        std = float(np.linalg.norm(u.spread @ e)) if u.spread.shape[0] else 0.0
        if std > 0:
            prob = float(ndtr((u.limit - mean) / std))
        else:
            prob = 1.0 if mean <= u.limit * (1 + 1e-9) + 1e-9 else 0.0
        out.append(RowCheck(u.row, u.dim, u.limit, mean, std, z * std, prob))
    return tuple(out)


def cap_confidence(
    inst: Instance,
    energy: npt.ArrayLike,
    sigma: Sigma,
    correlation: Correlation = "independent",
) -> dict[CapRow, float]:
    """P(cap holds) of every signal-weighted cap row for ``energy[site, slot]`` kWh.

    Φ((cap − μᵀE)/σ_row) under the Gaussian error model; a row with σ_row = 0
    holds with probability 1 or 0.
    """
    e = np.asarray(energy, dtype=float)
    shape = (len(inst.sites), inst.horizon)
    if e.shape != shape or not np.all(np.isfinite(e)):
        raise InputError(_SRC, "energy", e.shape, f"expected finite energy of shape {shape}")
    return {c.row: c.probability for c in _check(uncertain_rows(inst, sigma, correlation), e, 0.0)}


def plan_energy(inst: Instance, plan: Plan) -> Arr:
    """energy[site, slot] kWh (compute + transfer) of a :class:`Plan`, from its burdens."""
    sidx = inst.site_index()
    out = np.zeros((len(inst.sites), inst.horizon))
    for b in plan.burdens:
        d = sidx[b.site]
        out[d, b.slot] += b.power_kw * inst.slot_hours / inst.sites[d].pue
    return out


@dataclass(frozen=True, eq=False)
class RobustResult:
    """Answer of :func:`robust_region` / :func:`robust_plan` (a fractional placement).

    Attributes
    ----------
    status : optimal | inaccurate (ECOS: reduced accuracy) | infeasible | unbounded | error
    epsilon, z : the allowed violation probability and the z used: Φ⁻¹(1 − ε) per row,
        Φ⁻¹(1 − ε/k) with ``joint`` (k uncertain rows: all hold together w.p. ≥ 1 − ε).
    alpha : the largest workload scale (:func:`robust_region`; ``inf`` if unbounded), else None.
    objective : Σ cost·E of the solution (expected objective: cost is linear in the signals).
    energy : energy[site, slot] kWh of the solution (None without a solution).
    placements : (class index, site id, start slot) -> fractional number of workloads.
    rows : every uncertain cap row at the solution: expected burden, σ, margin z·σ, P(holds).
    solve_s : ECOS's reported solve time; compile_s : cvxpy's compilation time.
    """

    status: RobustStatus
    epsilon: float
    z: float
    correlation: str | float
    joint: bool = False
    alpha: float | None = None
    objective: float | None = None
    energy: Arr | None = None
    placements: Mapping[tuple[int, str, int], float] | None = None
    rows: tuple[RowCheck, ...] = ()
    solve_s: float | None = None
    compile_s: float | None = None
    message: str = ""


_STATUS: Mapping[str, RobustStatus] = {
    cp.OPTIMAL: "optimal",
    cp.OPTIMAL_INACCURATE: "inaccurate",
    cp.INFEASIBLE: "infeasible",
    cp.INFEASIBLE_INACCURATE: "infeasible",
    cp.UNBOUNDED: "unbounded",
    cp.UNBOUNDED_INACCURATE: "unbounded",
}


def _ecos_note(prob: cp.Problem) -> str:
    info = (prob.solver_stats.extra_stats or {}).get("info", {})
    note = f"ECOS {prob.status} after {prob.solver_stats.num_iters} iterations"
    if "relgap" in info:
        note += f" (relgap {info['relgap']:.1e}, pres {info['pres']:.1e}, dres {info['dres']:.1e})"
    return note


def _scaled(
    rc: list[tuple[int, int]], vals: list[float], limits: Arr, ncols: int
) -> tuple[sp.csr_matrix, Arr]:
    """``M ≤ b`` from (row, col) entries, every row divided by its limit (ECOS does no presolve)."""
    k = 1.0 / np.where(limits > 0, limits, 1.0)
    r, c = [a for a, _ in rc], [b for _, b in rc]
    M = sp.csr_matrix((vals, (r, c)), shape=(len(limits), ncols))
    return sp.diags(k) @ M, limits * k


def _model(
    inst: Instance, region: bool, alpha_max: float
) -> tuple[Formulation, cp.Variable, cp.Expression, list[cp.Constraint], cp.Variable]:
    """The LP part, rebuilt from ``build``'s index maps and parameter values, well scaled.

    Variables: x per option (class, site, start), y per (option, candidate route)
    (workloads of the option sent over that route, one lightpath each):
    E = Σ u·x + Σ volume·kWh/GB·y; channel rows per (fibre, slot) and multi-fibre
    route bound Σ y. The formulation's LP with per-workload routes instead of its
    per-group GB variables v (kWh/GB ~1e-5 coefficients left ECOS off by up to
    3e-4 in α); the two differ only where channels bind.
    """
    caps = replace(  # the signal-weighted caps become the chance-constrained rows
        inst.caps, carbon_g_per_day={}, carbon_total_g_per_day=None, zone_per_day={}
    )
    form = build(replace(inst, caps=replace(caps, zone_horizon={})), integer=False)
    par = {k: np.asarray(v.value, dtype=float) for k, v in form.params.items()}
    S, T, days, sidx = len(inst.sites), inst.horizon, inst.days(), inst.site_index()
    opts, J = form.options, form.x.shape[0]  # J ≥ 1 (build pads an empty option list)
    x, alpha = cp.Variable(J, nonneg=True, name="x"), cp.Variable(nonneg=True, name="alpha")
    ent = [
        (d * T + t + i, j, u)
        for j, (c, d, t) in enumerate(opts)
        for i, u in enumerate(inst.classes[c].profile_kwh)
    ]
    Ac = sp.csr_matrix(
        ([u for *_, u in ent], ([a for a, *_ in ent], [j for _, j, _ in ent])), shape=(S * T, J)
    )
    energy = Ac @ x
    frow = {ft: i for i, ft in enumerate(form.fibre_rows)}
    rrow = {rt: i for i, rt in enumerate(form.route_rows)}
    routes: dict[int, list[int]] = defaultdict(list)
    for g, r in form.route_cols:
        routes[g].append(r)
    ys: list[tuple[int, float, tuple[str, ...], int]] = []  # option, kWh, fibres, slot
    for j, g in enumerate(form.group_of_option):
        c, d, t = opts[j]
        for r in routes[g] if g >= 0 else ():
            rt = inst.network.routes[(form.groups[g][0], inst.sites[d].id)][r]
            ys.append((j, inst.classes[c].volume_gb * rt.energy_kwh_per_gb, rt.fibres, t))
    cons: list[cp.Constraint] = []
    if ys:
        Y = len(ys)
        y = cp.Variable(Y, nonneg=True, name="y")
        pick = sp.csr_matrix((np.ones(Y), ([q[0] for q in ys], range(Y))), shape=(J, Y))
        routed = np.array([g >= 0 for g in form.group_of_option], dtype=float)
        cons.append(pick @ y == multiply(routed, x))
        cols = [opts[q[0]][1] * T + opts[q[0]][2] for q in ys]
        energy = energy + sp.csr_matrix(([q[1] for q in ys], (cols, range(Y))), (S * T, Y)) @ y
        fr = [(frow[(f, q[3])], m) for m, q in enumerate(ys) for f in q[2]]
        F, b = _scaled(fr, [1.0] * len(fr), par["free"], Y)
        cons.append(F @ y <= b)
        rm = [(rrow[(q[2], q[3])], m) for m, q in enumerate(ys) if (q[2], q[3]) in rrow]
        if rm:
            R, b = _scaled(rm, [1.0] * len(rm), par["common"], Y)
            cons.append(R @ y <= b)
    nopt = len(opts)
    C = sp.csr_matrix((np.ones(nopt), ([o[0] for o in opts], range(nopt))), (len(inst.classes), J))
    counts = np.array([c.count for c in inst.classes], dtype=float)
    if region:  # x ≤ m_c becomes α ≤ alpha_max (x_j ≤ α·m_c holds anyway); exclusions stay
        cons += [C @ x == alpha * counts, alpha <= alpha_max]
        if np.any(par["ub"] <= 0):
            cons.append(x[np.flatnonzero(par["ub"] <= 0)] == 0)
    else:
        cons += [C @ x == counts, x <= par["ub"]]
    for name in ("power", "water"):
        ent2: list[tuple[int, int]] = []
        vals: list[float] = []
        for i, row in enumerate(form.cap_rows.get(name, [])):
            d = sidx[row.where]
            s = inst.sites[d]
            power = name == "power"
            for t in [row.slot or 0] if power else [t for t in range(T) if days[t] == row.day]:
                ent2.append((i, d * T + t))
                vals.append(s.pue / inst.slot_hours if power else s.wue_l_per_kwh)
        if ent2:
            M, b = _scaled(ent2, vals, par[f"cap_{name}"], S * T)
            cons.append(M @ energy <= b)
    return form, x, energy, cons, alpha


def _solve(
    inst: Instance,
    sigma: Sigma,
    epsilon: float,
    correlation: Correlation,
    region: bool,
    joint: bool,
    solver_opts: Mapping[str, float] | None,
    alpha_max: float = 1e4,
) -> RobustResult:
    z = normal_quantile(epsilon)
    rows = uncertain_rows(inst, sigma, correlation)
    if joint:  # Bonferroni: ε split over the rows that are uncertain
        z = normal_quantile(epsilon / max(sum(u.spread.nnz > 0 for u in rows), 1))
    form, x, e, cons, alpha = _model(inst, region, alpha_max)
    for u in rows:  # each row divided by its limit
        k = 1.0 / abs(u.limit) if u.limit != 0 else 1.0
        lhs = e @ (k * u.mean)
        if z > 0 and u.spread.nnz:
            lhs = lhs + z * norm((k * u.spread) @ e, 2)
        cons.append(lhs <= k * u.limit)
    cost = np.asarray(form.params["cost"].value, dtype=float)
    objective = cp.Maximize(alpha) if region else cp.Minimize(e @ cost)
    prob = cp.Problem(objective, cons)
    base = RobustResult("error", float(epsilon), z, correlation, joint)
    try:
        with warnings.catch_warnings():  # "may be inaccurate": reported as the status instead
            warnings.simplefilter("ignore", UserWarning)
            prob.solve(solver=cp.ECOS, **{**ECOS_OPTS, **dict(solver_opts or {})})  # type: ignore[no-untyped-call]
    except cp.error.SolverError as exc:
        return replace(base, message=f"ECOS failed: {exc}")
    base = replace(
        base,
        status=_STATUS.get(str(prob.status), "error"),
        solve_s=prob.solver_stats.solve_time,
        compile_s=prob.compilation_time,
        message=_ecos_note(prob),
    )
    if base.status == "unbounded" and region:
        return replace(base, alpha=float("inf"))
    if base.status not in ("optimal", "inaccurate") or e.value is None:
        return base
    S, T = len(inst.sites), inst.horizon
    energy = np.maximum(np.asarray(e.value, dtype=float), 0.0)
    xs = np.asarray(x.value, dtype=float)
    placements = {
        (c, inst.sites[d].id, t): float(xs[j])
        for j, (c, d, t) in enumerate(form.options)
        if xs[j] > 1e-9
    }
    a = float(np.asarray(alpha.value, dtype=float)) if region else None
    if a is not None and a >= alpha_max * (1 - 1e-6):
        return replace(base, status="unbounded", alpha=float("inf"))
    return replace(
        base,
        alpha=a,
        objective=float(inst.cost().reshape(-1) @ energy),
        energy=energy.reshape(S, T),
        placements=placements,
        rows=_check(rows, energy, z),
    )


def robust_region(
    inst: Instance,
    sigma: Sigma,
    epsilon: float,
    *,
    correlation: Correlation = "independent",
    joint: bool = False,
    solver_opts: Mapping[str, float] | None = None,
    alpha_max: float = 1e4,
) -> RobustResult:
    """Largest α with α × the workload mix placeable and every cap holding w.p. ≥ 1 − ε.

    The LP relaxation of :func:`optimizer.analysis.fsor_region.max_scale` with the
    signal-weighted caps as second-order cone constraints (ECOS). At σ = 0 it
    equals ``max_scale``; α falls as ε shrinks or σ grows. Each row holds with
    probability ≥ 1 − ε on its own; ``joint``: all together (Bonferroni, ε/k per
    row). α ≤ ``alpha_max``; reaching it is reported as ``unbounded``, α = inf.
    """
    return _solve(inst, sigma, epsilon, correlation, True, joint, solver_opts, alpha_max)


def robust_plan(
    inst: Instance,
    sigma: Sigma,
    epsilon: float,
    *,
    correlation: Correlation = "independent",
    joint: bool = False,
    solver_opts: Mapping[str, float] | None = None,
) -> RobustResult:
    """Minimum expected-objective fractional placement under the chance-constrained caps (ECOS).

    The continuous relaxation of :func:`optimizer.model.formulation.build` (placement,
    lightpath counts, power and water caps linear) plus one SOC constraint per
    signal-weighted cap row. Infeasible or failed solves return a status.
    """
    return _solve(inst, sigma, epsilon, correlation, False, joint, solver_opts)
