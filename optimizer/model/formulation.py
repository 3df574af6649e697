"""The joint program as one DPP cvxpy problem (aggregated lightpath counts).

Length: over 400 lines on purpose: the program is one cvxpy problem built in one function
(docs/model.md follows it row family by row family).

See ``docs/model.md`` for the model written out. In short, with options
o = (class c, site d, start τ) and transfer groups g = (origin ROADM, site, τ):

* ``x[o]`` integer: how many workloads of class c start at (d, τ);
* ``n[g, r]`` integer: lightpaths of group g on candidate route r;
* ``v[g, r]`` ≥ 0: GB carried on route r (each lightpath carries one workload);
* ``E[d, t]``: kWh charged to site d in slot t (compute + transfer);
* ``lost[c]`` ≥ 0: workloads of class c left unserved, priced at the value of
  lost work (:func:`optimizer.model.accounting.lost_work_values`), so the program
  always has a plan and its bound and its plans price the same work.

Everything that changes between re-plans is a :class:`cvxpy.Parameter`: the
objective coefficient per (site, slot) (signals and weights), every cap, the
free channels per fibre and slot (occupancy), the per-option upper bound
(ORCA's per-job caps) and the dimension signals used by carbon/zone caps.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

import cvxpy as cp
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from cvxpy.atoms.affine.binary_operators import multiply
from cvxpy.atoms.affine.sum import sum as cp_sum

from optimizer.inputs.instance import Instance, zone_key
from optimizer.inputs.network import Route
from optimizer.model.accounting import burden_factor, burden_unit, lost_work_values

__all__ = [
    "CHANNEL_MODES",
    "CapRow",
    "Formulation",
    "build",
    "exact_channels",
    "set_parameters",
    "transfer_kwh",
    "transfer_route",
]

Arr = npt.NDArray[np.float64]
#: ``build(channels=...)``: aggregated counts, exact channel variables, or chosen by size
CHANNEL_MODES = ("auto", "exact", "aggregate")
#: ``channels="auto"`` adds exact channel variables up to this many columns ...
EXACT_MAX_COLS = 120_000
#: ... when routes have at most this many common free channels on average (scarce spectrum,
#: where the aggregated counts often cannot be coloured)
EXACT_MAX_MEAN_FREE = 16.0


def exact_channels(mode: str, route_cols: int, chan_cols: int) -> bool:
    """Whether ``build`` adds exact channel variables (``mode`` one of :data:`CHANNEL_MODES`).

    >>> exact_channels("auto", 7311, 16159), exact_channels("auto", 9000, 540000)
    (True, False)
    >>> exact_channels("exact", 9000, 540000), exact_channels("aggregate", 10, 20)
    (True, False)
    """
    if mode not in CHANNEL_MODES:
        raise ValueError(f"channels: expected one of {CHANNEL_MODES}, got {mode!r}")
    if mode != "auto":
        return mode == "exact" and chan_cols > 0
    if not route_cols or not chan_cols:
        return False
    return chan_cols <= EXACT_MAX_COLS and chan_cols / route_cols <= EXACT_MAX_MEAN_FREE


@dataclass(frozen=True)
class CapRow:
    """One row of a cap constraint family: what it caps, where, when, in which unit."""

    cap: str
    where: str
    slot: int | None
    day: str | None
    unit: str


@dataclass(eq=False)
class Formulation:
    """The compiled-once problem and the index maps to read its solution."""

    problem: cp.Problem
    x: cp.Variable
    n: cp.Variable | None
    v: cp.Variable | None
    energy: cp.Variable
    options: list[tuple[int, int, int]]  # (class, site, start)
    groups: list[tuple[str, int, int]]  # (origin roadm, site, slot)
    group_of_option: list[int]  # -1 when the option needs no lightpath
    route_cols: list[tuple[int, int]]  # n/v column -> (group, route index)
    cap_rows: dict[str, list[CapRow]]
    params: dict[str, cp.Parameter]
    fibre_rows: list[tuple[str, int]]  # free-capacity rows: (fibre, slot)
    integer: bool
    route_rows: list[tuple[tuple[str, ...], int]] = field(default_factory=list)
    slacks: dict[str, cp.Variable] = field(default_factory=dict)
    lost: cp.Variable | None = None  # unserved workloads per class (the plain program only)
    #: exact channels: ``y[j]`` = 1 when route column ``chan_cols[j][0]`` uses channel
    #: ``chan_cols[j][1]``; one row per (fibre, slot, channel) in ``chan_rows``
    y: cp.Variable | None = None
    chan_cols: list[tuple[int, int]] = field(default_factory=list)
    chan_rows: list[tuple[str, int, int]] = field(default_factory=list)
    #: scarce spectrum: one row per (fibre, slot, channel set S) bounding the lightpaths
    #: whose routes' common free channels lie in S (:func:`_hall_rows`)
    hall_rows: list[tuple[str, int, frozenset[int]]] = field(default_factory=list)


def _routes(inst: Instance, origin: str, site: str) -> tuple[object, ...]:
    return tuple(inst.network.routes.get((origin, site), ()))


def _options(
    inst: Instance, network: bool = True
) -> tuple[list[tuple[int, int, int]], list[tuple[str, int, int]], list[int]]:
    sidx = inst.site_index()
    options: list[tuple[int, int, int]] = []
    groups: dict[tuple[str, int, int], int] = {}
    gof: list[int] = []
    for c, cls in enumerate(inst.classes):
        o = inst.network.roadm(cls.origin)
        for sid in cls.sites:
            d = sidx[sid]
            local = o == inst.sites[d].roadm
            needs = cls.volume_gb > 0 and not local
            if needs and not _routes(inst, o, sid):
                continue
            for t in cls.starts(inst.horizon):
                if needs and not network and transfer_kwh(inst, c, d, t) is None:
                    continue  # no route has a channel free end to end in that slot
                options.append((c, d, t))
                if needs and network:
                    gof.append(groups.setdefault((o, d, t), len(groups)))
                else:
                    gof.append(-1)
    return options, list(groups), gof


def build(
    inst: Instance,
    integer: bool = True,
    elastic: str | None = None,
    integer_lightpaths: bool = False,
    class_groups: list[int] | None = None,
    channels: str = "aggregate",
    channel_sets: bool = True,
    network: bool = True,
    route_of: Mapping[tuple[str, int, int], int] | None = None,
) -> Formulation:
    """Build the cvxpy problem for ``inst`` (parameters set from ``inst``).

    ``elastic="caps"``: every cap row (and fibre capacity) gets a slack ≥ 0 and
    the objective becomes Σ slack/|limit| (diagnosis); ``elastic="workload"``:
    caps stay hard, workloads may be left out and the objective is their count;
    ``elastic="scale"``: class counts become ``alpha * m_c`` and alpha is maximised
    (use with ``integer=False``: the FSOR region along the workload mix).
    ``integer_lightpaths``: lightpath counts ``n`` integral too (default: continuous;
    placements are integral, routes are chosen by the assignment step).
    ``class_groups[c]``: the count constraint holds per group of classes, not per class
    (the service variants of one set of workloads: :mod:`optimizer.analysis.throttle`);
    every class of a group has the group's count. Unserved work is then not priced here
    (the throttling program prices its variants itself).
    ``channels``: ``"exact"`` adds a variable per (route column, channel free on every
    fibre of the route) with one row per (fibre, slot, channel), so every solution is a
    wavelength assignment (no colouring step, no cuts); ``"auto"`` does so when the
    spectrum is scarce and the model stays small (:func:`exact_channels`); ``"aggregate"``
    (default) keeps only the counts. Only the plain program (``elastic=None``).
    ``channel_sets``: add the channel-set rows of a scarce spectrum (:func:`_hall_rows`;
    plain program only).
    ``network=False``: no routes, channels or fibres; each transfer's energy on its route
    (:func:`transfer_route`: ``route_of[group]`` or the cheapest with a free channel; fixed
    when built) is charged to its site in its start slot.
    A relaxation of the program (a transfer's energy is at least that, no row is added),
    much smaller: the placement stage of the exact-channel start
    (:mod:`optimizer.solve.routing`), which then only routes it.
    """
    slacks: dict[str, cp.Variable] = {}
    lost: cp.Variable | None = None
    y: cp.Variable | None = None
    chan_cols: list[tuple[int, int]] = []
    chan_rows: list[tuple[str, int, int]] = []
    hall_rows: list[tuple[str, int, frozenset[int]]] = []
    S, T = len(inst.sites), inst.horizon
    options, groups, gof = _options(inst, network)
    nx_ = max(len(options), 1)
    x = cp.Variable(nx_, integer=integer, name="x")
    energy = cp.Variable(S * T, name="E")
    params: dict[str, cp.Parameter] = {}
    cons: list[cp.Constraint] = []

    # each class placed exactly: Σ_{d,τ} x[c,d,τ] = m_c
    rows, cols = [o[0] for o in options], list(range(len(options)))
    C = sp.csr_matrix((np.ones(len(options)), (rows, cols)), shape=(len(inst.classes), nx_))
    counts = np.array([c.count for c in inst.classes], dtype=float)
    if class_groups is not None:
        cg = list(class_groups)
        ng = max(cg) + 1
        Gc = sp.csr_matrix((np.ones(len(cg)), (cg, range(len(cg)))), shape=(ng, len(cg)))
        C = sp.csr_matrix(Gc @ C)
        counts = np.array([counts[cg.index(g)] for g in range(ng)], dtype=float)
    ub = cp.Parameter(nx_, nonneg=True, name="ub")
    params["ub"] = ub
    if elastic == "scale":
        alpha = cp.Variable(nonneg=True, name="alpha")
        slacks["scale"] = alpha
        cons += [C @ x == alpha * counts, x >= 0, x <= ub]
    elif elastic == "workload":
        shed = cp.Variable(len(counts), nonneg=True, name="shed")
        slacks["workload"] = shed
        cons += [C @ x + shed == counts, x >= 0, x <= ub]
    elif elastic is None and inst.classes and class_groups is None:
        # unserved work is allowed and priced: lost[c] ≤ lost_ub[c] (m_c, or 0 when strict)
        lost = cp.Variable(len(inst.classes), nonneg=True, name="lost")
        params["lost_ub"] = cp.Parameter(len(inst.classes), nonneg=True, name="lost_ub")
        params["lost_price"] = cp.Parameter(len(inst.classes), nonneg=True, name="lost_price")
        cons += [C @ x + lost == counts, x >= 0, x <= ub, lost <= params["lost_ub"]]
    else:
        cons += [C @ x == counts, x >= 0, x <= ub]

    # compute energy per (site, slot)
    er, ec, ev = [], [], []
    for j, (c, d, t) in enumerate(options):
        for i, u in enumerate(inst.classes[c].profile_kwh):
            er.append(d * T + t + i)
            ec.append(j)
            ev.append(u)
        if not network:
            tr_kwh = transfer_kwh(inst, c, d, t, route_of) or 0.0
            if tr_kwh > 0:
                er.append(d * T + t)
                ec.append(j)
                ev.append(tr_kwh)
    Ac = sp.csr_matrix((ev, (er, ec)), shape=(S * T, nx_))
    e_expr: cp.Expression = Ac @ x

    # lightpath counts per (group, route)
    route_cols: list[tuple[int, int]] = []
    for g, (o, d, _t) in enumerate(groups):
        for r in range(len(_routes(inst, o, inst.sites[d].id))):
            route_cols.append((g, r))
    n = v = None
    fibre_rows: list[tuple[str, int]] = []
    route_rows: list[tuple[tuple[str, ...], int]] = []
    if route_cols:
        nn = len(route_cols)
        n = cp.Variable(nn, integer=integer and integer_lightpaths, name="n")
        v = cp.Variable(nn, nonneg=True, name="v")
        G = len(groups)
        Gn = sp.csr_matrix((np.ones(nn), ([g for g, _ in route_cols], range(nn))), shape=(G, nn))
        gx_r = [gof[j] for j in range(len(options)) if gof[j] >= 0]
        gx_c = [j for j in range(len(options)) if gof[j] >= 0]
        Gx = sp.csr_matrix((np.ones(len(gx_c)), (gx_r, gx_c)), shape=(G, nx_))
        vols = [inst.classes[options[j][0]].volume_gb for j in gx_c]
        Gv = sp.csr_matrix((vols, (gx_r, gx_c)), shape=(G, nx_))
        vmax_g = np.zeros(G)
        for j in gx_c:
            vmax_g[gof[j]] = max(vmax_g[gof[j]], inst.classes[options[j][0]].volume_gb)
        vmax = np.array([vmax_g[g] for g, _ in route_cols])
        cons += [Gn @ n == Gx @ x, Gn @ v == Gv @ x, n >= 0, v <= multiply(vmax, n)]
        # transfer energy charged to the destination site in the transfer slot
        tr, tc, tv = [], [], []
        frows: dict[tuple[str, int], int] = {}
        fr, fc = [], []
        for k, (g, r) in enumerate(route_cols):
            o, d, t = groups[g]
            route = inst.network.routes[(o, inst.sites[d].id)][r]
            tr.append(d * T + t)
            tc.append(k)
            tv.append(route.energy_kwh_per_gb)
            for f in route.fibres:
                fr.append(frows.setdefault((f, t), len(frows)))
                fc.append(k)
        e_expr = e_expr + sp.csr_matrix((tv, (tr, tc)), shape=(S * T, nn)) @ v
        fibre_rows = list(frows)
        F = sp.csr_matrix((np.ones(len(fr)), (fr, fc)), shape=(len(frows), nn))
        free = cp.Parameter(len(frows), nonneg=True, name="free")
        params["free"] = free
        # valid inequality: lightpaths on one route fit in its common free channels
        rrows: dict[tuple[tuple[str, ...], int], int] = {}
        rr, rc = [], []
        for k, (g, r) in enumerate(route_cols):
            o, d, t = groups[g]
            fib = inst.network.routes[(o, inst.sites[d].id)][r].fibres
            if len(fib) > 1:
                rr.append(rrows.setdefault((fib, t), len(rrows)))
                rc.append(k)
        route_rows = list(rrows)
        if route_rows:
            R = sp.csr_matrix((np.ones(len(rr)), (rr, rc)), shape=(len(rrows), nn))
            common = cp.Parameter(len(rrows), nonneg=True, name="common")
            params["common"] = common
            cons.append(R @ n <= common)
        if elastic == "caps":
            slacks["channels"] = cp.Variable(len(frows), nonneg=True, name="s_channels")
            cons.append(F @ n <= free + slacks["channels"])
        else:
            cons.append(F @ n <= free)
        if elastic is None and channel_sets:
            hall_rows, H = _hall_rows(inst, groups, route_cols)
            if H is not None:
                params["hall"] = cp.Parameter(len(hall_rows), nonneg=True, name="hall")
                cons.append(H @ n <= params["hall"])
        if elastic is None and channels != "aggregate":
            y, chan_cols, chan_rows, ycons, chfree = _channel_rows(
                inst, groups, route_cols, n, channels, integer
            )
            cons += ycons
            if chfree is not None:
                params["chfree"] = chfree
    if not network:
        A1, b1 = _cheapest_route_rows(inst, options, route_of)
        if A1 is not None:
            cons.append(A1 @ x <= b1)
    cons.append(energy == e_expr)

    cost = cp.Parameter(S * T, name="cost")
    params["cost"] = cost
    cap_rows: dict[str, list[CapRow]] = {}
    days = inst.days()
    caps = inst.caps

    def add_family(
        name: str, rows_: list[CapRow], M: sp.csr_matrix, weighted_by: str | None
    ) -> None:
        if not rows_:
            return
        limit: cp.Expression = cp.Parameter(len(rows_), name=f"cap_{name}")
        params[f"cap_{name}"] = limit  # type: ignore[assignment]
        if elastic == "caps":
            slacks[name] = cp.Variable(len(rows_), nonneg=True, name=f"s_{name}")
            limit = limit + slacks[name]
        if weighted_by is None:
            cons.append(M @ energy <= limit)
        else:
            key = f"g_{weighted_by}"
            if key not in params:
                params[key] = cp.Parameter(S * T, nonneg=True, name=key)
            cons.append(M @ multiply(params[key], energy) <= limit)
        cap_rows[name] = rows_

    # power per site and slot (facility kW = kWh/slot x PUE / slot hours)
    prow: list[CapRow] = []
    pr, pc, pv = [], [], []
    for d, s in enumerate(inst.sites):
        if s.id in caps.power_kw:
            for t in range(T):
                pr.append(len(prow))
                pc.append(d * T + t)
                pv.append(s.pue / inst.slot_hours)
                prow.append(CapRow("power", s.id, t, days[t], "kW"))
    add_family("power", prow, sp.csr_matrix((pv, (pr, pc)), shape=(len(prow), S * T)), None)

    def per_day(
        selector: list[tuple[str, list[int], float]], cap: str, unit: str, whole: bool = False
    ) -> tuple[list[CapRow], sp.csr_matrix]:
        rows_: list[CapRow] = []
        r_, c_, v_ = [], [], []
        for where, sites_, factor in selector:
            for day in ["horizon"] if whole else list(dict.fromkeys(days)):
                k = len(rows_)
                rows_.append(CapRow(cap, where, None, day, unit))
                for d in sites_:
                    for t in range(T):
                        if whole or days[t] == day:
                            r_.append(k)
                            c_.append(d * T + t)
                            v_.append(factor if factor > 0 else inst.sites[d].wue_l_per_kwh)
        return rows_, sp.csr_matrix((v_, (r_, c_)), shape=(len(rows_), S * T))

    wsel = [(s.id, [d], 0.0) for d, s in enumerate(inst.sites) if s.id in caps.water_l_per_day]
    add_family("water", *per_day(wsel, "water", "L"), None)
    regions: dict[str, list[int]] = defaultdict(list)
    for d, s in enumerate(inst.sites):
        regions[s.region].append(d)
    csel = [(z, regions[z], 1.0) for z in caps.carbon_g_per_day if z in regions]
    add_family("carbon", *per_day(csel, "carbon", "gCO2eq"), "co2eq")
    if caps.carbon_total_g_per_day is not None:
        tsel = [("total", list(range(S)), 1.0)]
        add_family("carbon_total", *per_day(tsel, "carbon", "gCO2eq"), "co2eq")
    zones: dict[str, list[tuple[str, list[int], float]]] = defaultdict(list)
    for dim, zk in caps.zone_per_day:
        members = [d for d, s in enumerate(inst.sites) if zone_key(dim, s) == zk]
        if members:
            zones[dim].append((zk, members, 1.0))
    for dim, sel in zones.items():
        add_family(f"zone_{dim}", *per_day(sel, f"zone:{dim}", burden_unit(dim)), dim)
    ztot: dict[str, list[tuple[str, list[int], float]]] = defaultdict(list)
    for dim, zk in caps.zone_horizon:
        members = [d for d, s in enumerate(inst.sites) if zone_key(dim, s) == zk]
        if members:
            ztot[dim].append((zk, members, 1.0))
    for dim, sel in ztot.items():
        add_family(f"zonetot_{dim}", *per_day(sel, f"zone:{dim}", burden_unit(dim), True), dim)

    objective: cp.Expression = cost @ energy
    if lost is not None:
        objective = objective + params["lost_price"] @ lost
    problem = cp.Problem(cp.Minimize(objective), cons)
    form = Formulation(
        problem,
        x,
        n,
        v,
        energy,
        options,
        groups,
        gof,
        route_cols,
        cap_rows,
        params,
        fibre_rows,
        integer,
        route_rows=route_rows,
        slacks=slacks,
        lost=lost,
        y=y,
        chan_cols=chan_cols,
        chan_rows=chan_rows,
        hall_rows=hall_rows,
    )
    set_parameters(form, inst)
    if elastic == "scale":
        form.problem = cp.Problem(cp.Maximize(slacks["scale"]), cons)
    elif elastic == "workload":
        form.problem = cp.Problem(cp.Minimize(cp_sum(slacks["workload"])), cons)
    elif elastic == "caps":
        terms = []
        for name, var in slacks.items():
            key = "free" if name == "channels" else f"cap_{name}"
            lim = np.abs(np.asarray(params[key].value, dtype=float))
            terms.append(cp_sum(multiply(1.0 / np.maximum(lim, 1e-6), var)))
        # a tiny cost keeps the placement sensible among equally small relaxations
        form.problem = cp.Problem(cp.Minimize(cp_sum(terms) + 1e-6 * (cost @ energy)), cons)
    return form


def _channel_rows(
    inst: Instance,
    groups: list[tuple[str, int, int]],
    route_cols: list[tuple[int, int]],
    n: cp.Variable,
    mode: str,
    integer: bool,
) -> tuple[
    cp.Variable | None,
    list[tuple[int, int]],
    list[tuple[str, int, int]],
    list[cp.Constraint],
    cp.Parameter | None,
]:
    """Exact channels: ``y[k, λ]`` for each route column ``k`` and channel ``λ`` free on every
    fibre of its route (in the inventory; a slot's busy channels are cut by the
    ``chfree`` parameter), ``Σ_λ y[k, λ] = n[k]`` and ``Σ_{k ∋ f, slot t} y[k, λ] ≤
    chfree[f, t, λ]`` (1 when λ is free on f in t, else 0): each channel of a fibre carries at
    most one lightpath per slot, and a lightpath keeps one channel end to end."""
    cols: list[tuple[int, int]] = []
    rows: dict[tuple[str, int, int], int] = {}
    ar: list[int] = []
    ac: list[int] = []
    for k, (g, r) in enumerate(route_cols):
        o, d, t = groups[g]
        fib = inst.network.routes[(o, inst.sites[d].id)][r].fibres
        common = frozenset.intersection(*(inst.network.free.get(f, frozenset()) for f in fib))
        for lam in sorted(common):
            for f in fib:
                ar.append(rows.setdefault((f, t, lam), len(rows)))
                ac.append(len(cols))
            cols.append((k, lam))
    if not exact_channels(mode, len(route_cols), len(cols)):
        return None, [], [], [], None
    ny = len(cols)
    y = cp.Variable(ny, integer=integer, name="y")
    K = sp.csr_matrix((np.ones(ny), ([k for k, _ in cols], range(ny))), shape=(len(route_cols), ny))
    A = sp.csr_matrix((np.ones(len(ar)), (ar, ac)), shape=(len(rows), ny))
    chfree = cp.Parameter(len(rows), nonneg=True, name="chfree")
    return y, cols, list(rows), [K @ y == n, y >= 0, A @ y <= chfree], chfree


def _hall_rows(
    inst: Instance, groups: list[tuple[str, int, int]], route_cols: list[tuple[int, int]]
) -> tuple[list[tuple[str, int, frozenset[int]]], sp.csr_matrix | None]:
    """Channel-set rows of a scarce spectrum (valid inequalities, Hall's condition).

    A lightpath on route ``k`` uses a channel of ``C_k``, the channels free on every fibre
    of the route. So on fibre ``f`` in slot ``t``, the lightpaths of the routes with
    ``C_k ⊆ S`` need distinct channels of ``S`` there: ``Σ_{k ∋ f, C_k ⊆ S} n_k ≤
    |S ∩ Φ_f(t)|``, one row per set ``S`` that is some route's ``C_k`` (rows of one
    column, and ``S`` = every free channel of ``f``, repeat the route and fibre rows).
    When most routes share the same few free channels (first-fit background traffic
    leaves the top of the band free: germany50, 8 channels half lit, has ``C_k = {6, 7}``
    on 313 of 363 routes), the fibre rows allow every free channel of a fibre where only
    those few fit; these rows raise the aggregated LP to the exact-channel LP
    (117,016 → 117,036 there) and leave few lightpaths the colouring cannot place.
    Added only when the spectrum is scarce (:data:`EXACT_MAX_MEAN_FREE`).
    """
    net = inst.network
    commons: list[frozenset[int]] = []
    by_ft: dict[tuple[str, int], list[int]] = defaultdict(list)
    total = 0
    for k, (g, r) in enumerate(route_cols):
        o, d, t = groups[g]
        fib = net.routes[(o, inst.sites[d].id)][r].fibres
        common = (
            frozenset.intersection(*(net.free.get(f, frozenset()) for f in fib))
            if fib
            else frozenset()
        )
        commons.append(common)
        total += len(common)
        for f in fib:
            by_ft[(f, t)].append(k)
    if not route_cols or total / len(route_cols) > EXACT_MAX_MEAN_FREE:
        return [], None
    rows: list[tuple[str, int, frozenset[int]]] = []
    rr: list[int] = []
    rc: list[int] = []
    for (f, t), ks in by_ft.items():
        whole = net.free.get(f, frozenset())
        for s in sorted({commons[k] for k in ks}, key=sorted):
            members = [k for k in ks if commons[k] <= s]
            if len(members) < 2 or s == whole:
                continue
            rr += [len(rows)] * len(members)
            rc += members
            rows.append((f, t, s))
    if not rows:
        return [], None
    H = sp.csr_matrix((np.ones(len(rr)), (rr, rc)), shape=(len(rows), len(route_cols)))
    return rows, H


def option_burden(inst: Instance, c: int, d: int, t: int, dim: str, transfer_kwh: float) -> float:
    """ORCA's I_e of one workload of class c at (d, τ): Σ_i u(i)·g(τ+i) + E_tr·g(τ)."""
    g = inst.signal[(inst.sites[d].id, dim)]
    prof = inst.classes[c].profile_kwh
    total = float(sum(u * g[t + i] for i, u in enumerate(prof)) + transfer_kwh * g[t])
    return total * burden_factor(dim)


def min_transfer_kwh(inst: Instance, c: int, d: int) -> float:
    """Transfer energy of one workload of class c to site d on its cheapest route."""
    cls = inst.classes[c]
    o = inst.network.roadm(cls.origin)
    if cls.volume_gb <= 0 or o == inst.sites[d].roadm:
        return 0.0
    routes = inst.network.routes.get((o, inst.sites[d].id), ())
    return cls.volume_gb * min(r.energy_kwh_per_gb for r in routes)


def transfer_route(
    inst: Instance,
    c: int,
    d: int,
    t: int,
    route_of: Mapping[tuple[str, int, int], int] | None = None,
) -> Route | None:
    """The route ``build(network=False)`` puts class c's transfer to site d in slot t on.

    ``route_of[(origin ROADM, d, t)]`` (an index into the candidate routes) when that route
    has a channel free on every fibre in slot t, else the cheapest route that has one
    (``None``: no transfer needed, or no such route)."""
    cls = inst.classes[c]
    o = inst.network.roadm(cls.origin)
    if cls.volume_gb <= 0 or o == inst.sites[d].roadm:
        return None
    net = inst.network
    routes = net.routes.get((o, inst.sites[d].id), ())

    def routable(r: Route) -> bool:
        free = [net.free.get(f, frozenset()) - inst.busy.get((f, t), frozenset()) for f in r.fibres]
        return bool(free) and bool(frozenset.intersection(*free))

    k = None if route_of is None else route_of.get((o, d, t))
    if k is not None and 0 <= k < len(routes) and routable(routes[k]):
        return routes[k]
    for r in sorted(routes, key=lambda r: r.energy_kwh_per_gb):
        if routable(r):
            return r
    return None


def _cheapest_route_rows(
    inst: Instance,
    options: list[tuple[int, int, int]],
    route_of: Mapping[tuple[str, int, int], int] | None = None,
) -> tuple[sp.csr_matrix | None, npt.NDArray[np.float64]]:
    """``network=False``: each transfer on its cheapest route with a free channel; on each
    fibre and slot, for each set ``S`` of those routes' common free channels, the
    transfers whose channels lie in ``S`` fit in ``|S ∩ Φ_f(t)|`` (the channel-set rows of
    :func:`_hall_rows` on x; ``S`` = every free channel gives the fibre's capacity).
    Not valid inequalities of the program (a transfer may take another route): they keep
    the placement stage from stacking more transfers on a fibre than its channels carry,
    which the routing stage could only serve on longer routes, with more energy at sites
    whose caps already bind."""
    net = inst.network
    members: dict[tuple[str, int], list[tuple[int, frozenset[int]]]] = defaultdict(list)
    for j, (c, d, t) in enumerate(options):
        r = transfer_route(inst, c, d, t, route_of)
        if r is None:
            continue
        fib = r.fibres
        sets = [net.free.get(f, frozenset()) - inst.busy.get((f, t), frozenset()) for f in fib]
        common = frozenset.intersection(*sets)
        for f in fib:
            members[(f, t)].append((j, common))
    rr: list[int] = []
    rc: list[int] = []
    rhs: list[float] = []
    for (f, t), ms in members.items():
        free = net.free.get(f, frozenset()) - inst.busy.get((f, t), frozenset())
        for s in sorted({cm for _j, cm in ms} | {free}, key=sorted):
            js = [j for j, cm in ms if cm <= s]
            if js:
                rr += [len(rhs)] * len(js)
                rc += js
                rhs.append(float(len(s & free)))
    if not rhs:
        return None, np.zeros(0)
    A = sp.csr_matrix((np.ones(len(rr)), (rr, rc)), shape=(len(rhs), max(len(options), 1)))
    return A, np.array(rhs)


def transfer_kwh(
    inst: Instance,
    c: int,
    d: int,
    t: int,
    route_of: Mapping[tuple[str, int, int], int] | None = None,
) -> float | None:
    """Transfer energy of one workload of class c to site d starting in slot t on
    :func:`transfer_route` (0 when it needs no transfer, ``None`` when no route has a channel
    free end to end in that slot). Without ``route_of``: the cheapest such route, a lower
    bound of that transfer's energy in any plan."""
    cls = inst.classes[c]
    if cls.volume_gb <= 0 or inst.network.roadm(cls.origin) == inst.sites[d].roadm:
        return 0.0
    r = transfer_route(inst, c, d, t, route_of)
    return None if r is None else cls.volume_gb * r.energy_kwh_per_gb


def _limit(value: float | tuple[float, ...], t: int) -> float:
    return float(value[t]) if isinstance(value, tuple) else float(value)


def set_parameters(
    form: Formulation,
    inst: Instance,
    free_cut: dict[tuple[str, int], int] | None = None,
    strict: bool = False,
) -> None:
    """Write every parameter from ``inst`` (signals, caps, occupancy); no recompile.

    ``free_cut`` removes channels from the free count of (fibre, slot) rows
    (used when the wavelength-assignment step could not realise a solution).
    ``strict``: every workload must be served (``lost`` held at 0).
    """
    S, T = len(inst.sites), inst.horizon
    p = form.params
    p["cost"].value = inst.cost().reshape(S * T)
    if "lost_ub" in p:
        counts = np.array([c.count for c in inst.classes], dtype=float)
        p["lost_ub"].value = np.zeros_like(counts) if strict else counts
        p["lost_price"].value = lost_work_values(inst)
    ub = np.zeros(form.x.shape[0])
    for j, (c, d, t) in enumerate(form.options):
        ok = True
        for (dim, zk), lim in inst.caps.per_job.items():
            s = inst.sites[d]
            if (s.id, dim) in inst.signal and zone_key(dim, s) == zk:
                tr = min_transfer_kwh(inst, c, d)
                if option_burden(inst, c, d, t, dim, tr) > lim * (1 + 1e-9):
                    ok = False
        ub[j] = inst.classes[c].count if ok else 0.0
    p["ub"].value = ub
    cut = free_cut or {}
    if "free" in p:
        fvals: list[float] = []
        for f, t in form.fibre_rows:
            free = inst.network.free.get(f, frozenset()) - inst.busy.get((f, t), frozenset())
            fvals.append(max(len(free) - cut.get((f, t), 0), 0))
        p["free"].value = np.array(fvals, dtype=float)
    if "chfree" in p:
        cache: dict[tuple[str, int], frozenset[int]] = {}
        chv = np.zeros(len(form.chan_rows))
        for i, (f, t, lam) in enumerate(form.chan_rows):
            ft = (f, t)
            if ft not in cache:
                cache[ft] = inst.network.free.get(f, frozenset()) - inst.busy.get(ft, frozenset())
            chv[i] = 1.0 if lam in cache[ft] else 0.0
        p["chfree"].value = chv
    if "hall" in p:
        hv = np.zeros(len(form.hall_rows))
        for i, (f, t, chans) in enumerate(form.hall_rows):
            free = inst.network.free.get(f, frozenset()) - inst.busy.get((f, t), frozenset())
            hv[i] = max(len(chans & free) - cut.get((f, t), 0), 0)
        p["hall"].value = hv
    if "common" in p:
        cvals: list[float] = []
        for fib, t in form.route_rows:
            sets = [
                inst.network.free.get(f, frozenset()) - inst.busy.get((f, t), frozenset())
                for f in fib
            ]
            common = frozenset.intersection(*sets)
            cvals.append(max(len(common) - max(cut.get((f, t), 0) for f in fib), 0))
        p["common"].value = np.array(cvals, dtype=float)
    for key, par in p.items():
        if key.startswith("g_"):
            dim = key[2:]
            # a site without this signal is in no row of the caps that use it (checked in
            # optimizer.inputs): its weight is 0
            par.value = burden_factor(dim) * np.concatenate(
                [np.asarray(inst.signal.get((s.id, dim), np.zeros(T)), float) for s in inst.sites]
            )
    caps = inst.caps
    for name, rows in form.cap_rows.items():
        vals: list[float] = []
        for r in rows:
            if name == "power":
                head = inst.signal.get((r.where, "power_headroom"))
                lim = _limit(caps.power_kw[r.where], r.slot or 0)
                if head is not None:
                    lim = min(lim, float(head[r.slot or 0]))
                vals.append(lim)
            elif name == "water":
                vals.append(caps.water_l_per_day[r.where])
            elif name == "carbon":
                vals.append(caps.carbon_g_per_day[r.where])
            elif name == "carbon_total":
                assert caps.carbon_total_g_per_day is not None
                vals.append(caps.carbon_total_g_per_day)
            elif name.startswith("zonetot_"):
                vals.append(caps.zone_horizon[(name[8:], r.where)])
            else:
                vals.append(caps.zone_per_day[(name[5:], r.where)])
        p[f"cap_{name}"].value = np.array(vals, dtype=float)
