"""Fix-and-optimise large-neighbourhood search (LNS) on the joint MILP.

Length: over 400 lines on purpose: the LNS's rounds, neighbourhoods and deterministic merge
share the persistent model's state; relax-and-fix and the model itself are separate modules.

The joint program's LP relaxation is tight on large instances (CORONET,
300 workloads: the best plan found is within 0.9 % of it) but HiGHS's branch
and bound cannot close the gap on the full model in a minute: its cuts barely
move the bound and its heuristics stall at 2–3 %. A plan within the
tolerance of the LP bound *is* proven within the tolerance of the optimum,
so fsor searches for one:

1. solve the LP relaxation (the bound);
2. take the best start: relax-and-fix (fix the placement counts the LP made
   positive integers, solve the rest as a MILP) or a validated baseline plan;
3. repeat until the gap to the LP bound is within the tolerance or the time is
   up: free a neighbourhood of workload classes (all their placement options),
   fix every other class where the incumbent has it, and solve that sub-MILP
   exactly on the same HiGHS model (only column bounds change), starting from
   the incumbent, so it is never worse. Lightpath counts, volumes and
   energies are never fixed: each sub-MILP re-routes the whole network.

Neighbourhoods alternate between *regret* (a class far from its cheapest
option, with the classes occupying the site-slots of its cheapest options:
lets HiGHS swap them) and *site-window* (classes at one site or starting in a
4-slot window), with some pure random ones; the size adapts (grows when
sub-MILPs solve quickly without gain, shrinks when they hit their limit).
Everything is seeded: same inputs, same plan.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from optimizer.inputs.instance import Instance
from optimizer.model.formulation import Formulation
from optimizer.solve.highs_model import SCARCE_SUB_OPTIONS, SUB_OPTIONS, HighsModel, MipResult

__all__ = ["SCARCE_MODES", "LnsResult", "option_costs", "search"]

#: the neighbourhoods of scarce programs (``search(scarce=True)``): three of four where the
#: incumbent loses against the LP bound (germany50 300 x 8: 4 of 5 seeds proven within 1 %
#: in 60 s, against 3 of 5 with two of four and random ones)
SCARCE_MODES = ("regret", "regret", "window", "regret")

Vec = npt.NDArray[np.float64]


@dataclass(frozen=True)
class LnsResult:
    """What the search ended with; ``values`` is a full column vector of the model."""

    status: str  # optimal (within tolerance of bound) | feasible | infeasible | error
    values: Vec | None
    objective: float | None
    bound: float | None
    lp_bound: float | None
    start: str
    iterations: int
    improved: int
    seconds: float
    trace: tuple[tuple[float, float], ...] = field(default=())  # (seconds, objective)
    rounds: int = 0
    stopped: str = ""  # gap | rounds | time

    @property
    def gap(self) -> float | None:
        if self.objective is None or self.bound is None:
            return None
        return max(self.objective - self.bound, 0.0) / max(abs(self.objective), 1e-12)


def option_costs(form: Formulation, inst: Instance) -> Vec:
    """Objective of one workload at each option: compute plus cheapest transfer.

    ``κ[d, τ+i]·u(i)`` summed over the profile, plus the cheapest route's transfer
    energy at ``κ[d, τ]``; used to rank neighbourhoods, not as the objective.
    """
    from optimizer.model.formulation import min_transfer_kwh

    S, T = len(inst.sites), inst.horizon
    cost = np.asarray(form.params["cost"].value, dtype=float).reshape(S, T)
    out = np.zeros(len(form.options))
    tr: dict[tuple[int, int], float] = {}
    for j, (c, d, t) in enumerate(form.options):
        prof = inst.classes[c].profile_kwh
        out[j] = float(np.dot(prof, cost[d, t : t + len(prof)]))
        if form.group_of_option[j] >= 0:
            if (c, d) not in tr:
                tr[(c, d)] = min_transfer_kwh(inst, c, d)
            out[j] += tr[(c, d)] * cost[d, t]
    return out


@dataclass(eq=False)
class _Shared:
    """The incumbent the LNS workers share (guarded by ``lock``)."""

    obj: float
    cur: Vec
    trace: list[tuple[float, float]]
    iterations: int = 0
    improved: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Neighbourhoods:
    """Seeded choice of which classes to free."""

    #: the kinds of neighbourhood in turn ("regret" is drawn by the LP's duals when known)
    modes: tuple[str, ...] = ("regret", "window", "regret", "random")

    def __init__(
        self, form: Formulation, inst: Instance, seed: int, like: _Neighbourhoods | None = None
    ) -> None:
        if like is not None:
            self.__dict__.update(like.__dict__)
            self.rng = np.random.default_rng(seed)
            self.turn = seed
            self.focus: list[int] = list(like.focus)
            return
        opts = np.asarray(form.options, dtype=int).reshape(-1, 3)
        self.cls, self.site, self.start = opts[:, 0], opts[:, 1], opts[:, 2]
        self.length = np.array([len(inst.classes[c].profile_kwh) for c in self.cls])
        self.ocost = option_costs(form, inst)
        self.n_cls = len(inst.classes)
        self.T = inst.horizon
        self.best = np.full(self.n_cls, np.inf)
        np.minimum.at(self.best, self.cls, self.ocost)
        self.by_class = [np.flatnonzero(self.cls == c) for c in range(self.n_cls)]
        price = form.params.get("lost_price")
        self.lost_price: Vec | None = (
            None if price is None or price.value is None else np.asarray(price.value, float)
        )
        # each option's rank among its class's options by cost (0: the cheapest)
        self.rank = np.zeros(len(self.cls), dtype=int)
        for idx in self.by_class:
            self.rank[idx[np.argsort(self.ocost[idx], kind="stable")]] = np.arange(idx.size)
        self.gof = np.asarray(form.group_of_option, dtype=int)
        # channel rivals only where channels are scarce (exact channels or channel-set rows):
        # with plentiful spectrum they would crowd out the site-slot rivals
        scarce = form.y is not None or bool(form.hall_rows)
        self.link = _group_links(form, inst) if scarce else None
        self.duals: _Duals | None = None
        self.rng = np.random.default_rng(seed)
        self.turn = 0
        self.focus = []

    def _fill(self, chosen: list[int], pool: npt.NDArray[np.intp], k: int) -> list[int]:
        pool = pool[~np.isin(pool, chosen)]
        self.rng.shuffle(pool)
        chosen += [int(c) for c in pool[: max(k - len(chosen), 0)]]
        if len(chosen) < k:
            rest = np.setdiff1d(np.arange(self.n_cls), chosen)
            chosen += [int(c) for c in self.rng.permutation(rest)[: k - len(chosen)]]
        return chosen

    def pick(
        self,
        x: npt.NDArray[np.float64],
        k: int,
        lost: npt.NDArray[np.float64] | None = None,
        full: Vec | None = None,
    ) -> list[int]:
        """Classes to free (at most ``k``) given the incumbent's placement counts ``x``.

        ``lost``: unserved workloads per class; their regret is their value of lost work
        (less their cheapest option), so the search tries first to fit them in.
        ``full``: the incumbent's full column vector; with the LP's duals
        (:meth:`set_duals`) every other neighbourhood is drawn where the incumbent loses
        against the LP bound (:meth:`_by_duals`)."""
        self.turn += 1
        on = np.flatnonzero(x > 0.5)
        mode = self.modes[self.turn % len(self.modes)]
        if self.duals is not None and full is not None and mode == "regret":
            mode = "dual"
        if self.focus and on.size:
            # a re-plan: first around the workloads the repair moved (and their rivals)
            # small (the moved class and 3 rivals): the re-plan keeps the rest of the plan
            return self._around(self.focus.pop(0), on, min(k, 4))
        if mode == "random" or on.size == 0:
            return [int(c) for c in self.rng.permutation(self.n_cls)[:k]]
        if mode == "dual":
            assert full is not None
            return self._by_duals(full, x, on, k)
        if mode == "regret":
            paid = np.zeros(self.n_cls)
            np.add.at(paid, self.cls[on], self.ocost[on] * x[on])
            cnt = np.zeros(self.n_cls)
            np.add.at(cnt, self.cls[on], x[on])
            regret = np.maximum(paid - self.best * cnt, 0.0)
            if lost is not None and self.lost_price is not None:
                # (lost counts from the solver may be -1e-10: never a negative weight)
                regret += np.maximum(lost, 0.0) * np.maximum(self.lost_price - self.best, 0.0)
            total = float(regret.sum())
            p = regret / total if total > 0 else None
            c0 = int(self.rng.choice(self.n_cls, p=p))
            return self._around(c0, on, k)
        d0 = int(self.rng.integers(int(self.site.max()) + 1))
        t0 = int(self.rng.integers(self.T))
        sel = on[(self.site[on] == d0) | ((self.start[on] >= t0) & (self.start[on] < t0 + 4))]
        return self._fill([], np.unique(self.cls[sel]), k)

    def set_duals(
        self,
        model: HighsModel,
        xs: slice,
        col_dual: Vec,
        row_dual: Vec,
        lost: slice | None = None,
    ) -> None:
        """Keep the LP's duals: the incumbent's distance to the bound splits into reduced
        costs of what it chose and duals times the slack it leaves on the LP's tight rows."""
        assert model.A is not None and model.row_lower is not None
        assert model.row_upper is not None
        A = model.A.tocsr()
        # a row on one placement column is that column's bound (cvxpy writes x >= 0 and
        # x <= 1 as rows): its dual is the option's reduced cost, so it is folded into the
        # column's (c - A'y without bound rows) and its loss is the option's class's
        one = np.flatnonzero(np.diff(A.indptr) == 1)
        col = A.indices[A.indptr[one]]
        on_x = (col >= xs.start) & (col < xs.stop)
        one, col = one[on_x], col[on_x]
        reduced = np.asarray(col_dual, dtype=float).copy()
        np.add.at(reduced, col, A.data[A.indptr[one]] * row_dual[one])
        bound_opt = np.full(A.shape[0], -1, dtype=np.intp)
        bound_opt[one] = col - xs.start
        self.duals = _Duals(
            A,
            model.A.tocsc(),
            xs,
            np.abs(col_dual),
            np.abs(row_dual),
            model.row_lower,
            model.row_upper,
            lost,
            np.abs(reduced),
            bound_opt,
        )

    def _by_duals(self, full: Vec, x: Vec, on: npt.NDArray[np.intp], k: int) -> list[int]:
        """A neighbourhood where the incumbent loses most against the LP bound.

        Its objective minus the LP bound is Σ (reduced cost × value) over the columns plus
        Σ |dual| × slack over the rows (LP duality). One term is drawn with probability
        proportional to its share: a class (what it pays above the LP's price) is freed
        with its rivals (:meth:`_around`); a row (capacity the LP prices but the plan leaves
        unused) is freed with the classes whose options reach it: those placed there, and
        those whose options on it the LP prices cheapest, so the sub-MILP can fill it."""
        du = self.duals
        assert du is not None
        xs = du.xs
        col_loss = du.col_dual * np.abs(full)
        cls_loss = np.zeros(self.n_cls)
        np.add.at(cls_loss, self.cls, col_loss[xs])
        if du.lost is not None:  # unserved work: what it costs above the LP's price
            cls_loss += col_loss[du.lost]
        act = du.A @ full
        slack = np.minimum(
            np.where(np.isfinite(du.row_upper), du.row_upper - act, np.inf),
            np.where(np.isfinite(du.row_lower), act - du.row_lower, np.inf),
        )
        row_loss = np.where(np.isfinite(slack), du.row_dual * np.maximum(slack, 0.0), 0.0)
        if du.bound_opt is not None:  # a bound row's loss is its option's class's
            b = np.flatnonzero(du.bound_opt >= 0)
            np.add.at(cls_loss, self.cls[du.bound_opt[b]], row_loss[b])
            row_loss[b] = 0.0
        total = float(cls_loss.sum() + row_loss.sum())
        if total <= 0:
            return [int(c) for c in self.rng.permutation(self.n_cls)[:k]]
        u = self.rng.random() * total
        if u < cls_loss.sum():
            c0 = int(np.searchsorted(np.cumsum(cls_loss), u, side="right"))
            return self._around(min(c0, self.n_cls - 1), on, k)
        r = int(np.searchsorted(np.cumsum(row_loss), u - cls_loss.sum(), side="right"))
        r = min(r, row_loss.size - 1)
        opts = du.options_of_row(r)
        if opts.size == 0:
            return [int(c) for c in self.rng.permutation(self.n_cls)[:k]]
        placed = opts[x[opts] > 0.5]
        rc = du.col_dual if du.reduced is None else du.reduced
        cheap = opts[np.argsort(rc[xs.start + opts], kind="stable")][: max(k, 1)]
        return self._fill([], np.unique(np.concatenate([self.cls[placed], self.cls[cheap]])), k)

    def _around(self, c0: int, on: npt.NDArray[np.intp], k: int) -> list[int]:
        """Class ``c0`` and the classes occupying the site-slots of its 3 cheapest options."""
        cheap = self.by_class[c0][np.argsort(self.ocost[self.by_class[c0]])[:3]]
        bins = np.zeros((int(self.site.max()) + 1, self.T), dtype=bool)
        for j in cheap:
            bins[self.site[j], self.start[j] : self.start[j] + self.length[j]] = True
        hit = [
            j
            for j in on
            if bins[self.site[j], self.start[j] : self.start[j] + self.length[j]].any()
        ]
        if self.link is not None:
            # and the transfers that would compete for its lightpaths' channels: groups in
            # the same slot whose candidate routes share a fibre with its own
            groups = self.gof[cheap]
            groups = groups[groups >= 0]
            if groups.size:
                near = np.asarray(self.link[groups].sum(axis=0)).ravel() > 0
                on_g = self.gof[on]
                hit += [int(j) for j in on[(on_g >= 0) & near[np.maximum(on_g, 0)]]]
        return self._fill([c0], np.unique(self.cls[hit]), k)


@dataclass(frozen=True)
class _Duals:
    """The LP's duals and the model's rows, to find where the incumbent loses."""

    A: sp.csr_matrix
    A_cols: sp.csc_matrix
    xs: slice
    col_dual: Vec
    row_dual: Vec
    row_lower: Vec
    row_upper: Vec
    lost: slice | None = None  # unserved workloads per class
    #: |reduced cost| per column with the bound rows' duals folded in
    reduced: Vec | None = None
    #: per row: the placement option it bounds (a row on that one column), else -1
    bound_opt: npt.NDArray[np.intp] | None = None

    def options_of_row(self, r: int) -> npt.NDArray[np.intp]:
        """Placement options in row ``r``, directly or through one continuous column
        (a power row holds site energies, whose energy rows hold the options)."""
        xs = self.xs
        cols = self.A.indices[self.A.indptr[r] : self.A.indptr[r + 1]]
        direct = cols[(cols >= xs.start) & (cols < xs.stop)]
        other = cols[(cols < xs.start) | (cols >= xs.stop)]
        found = [direct - xs.start]
        if other.size:
            rows = np.unique(self.A_cols[:, other].indices)
            sub = self.A[rows]
            more = np.unique(sub.indices)
            found.append(more[(more >= xs.start) & (more < xs.stop)] - xs.start)
        return np.unique(np.concatenate(found)).astype(np.intp)


def _group_links(form: Formulation, inst: Instance) -> sp.csr_matrix | None:
    """Transfer groups × groups: 1 when both are in the same slot and some candidate route
    of one shares a fibre with some candidate route of the other (they compete for channels)."""
    if not form.route_cols:
        return None
    fid: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    for g, r in form.route_cols:
        o, d, _t = form.groups[g]
        for f in inst.network.routes[(o, inst.sites[d].id)][r].fibres:
            rows.append(g)
            cols.append(fid.setdefault(f, len(fid)))
    n_g = len(form.groups)
    slot = np.array([t for _o, _d, t in form.groups], dtype=int)
    inc = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_g, len(fid)))
    inc.data[:] = 1.0
    share = (inc @ inc.T).tocoo()
    same = slot[share.row] == slot[share.col]
    return sp.csr_matrix(
        (np.ones(int(same.sum())), (share.row[same], share.col[same])), shape=(n_g, n_g)
    )


def search(
    model: HighsModel,
    form: Formulation,
    inst: Instance,
    *,
    time_limit: float,
    mip_gap: float,
    starts: dict[str, Vec] | None = None,
    seed: int = 0,
    size: int = 12,
    sub_limit: float = 0.6,
    sub_nodes: int = 200,
    sub_iters: int = 20000,
    workers: int = 2,
    relax_fix: bool = True,
    max_rounds: int | None = None,
    focus: list[int] | None = None,
    progress: Callable[[str], None] | None = None,
    options_per_class: int | None = None,
    round_iters: int = 1,
    start_budget: float | None = None,
    scarce: bool = False,
) -> LnsResult:
    """LP bound, best start, then fix-and-optimise until within ``mip_gap`` or out of time.

    ``starts``: named full column vectors (already checked feasible) to start from;
    relax-and-fix is always tried too. The result's ``bound`` is the LP bound (or
    a better dual bound a sub-solve of the full model proved).

    Deterministic: the search runs in rounds; in each, ``workers`` seeded
    neighbourhoods of the same incumbent are solved in parallel, each sub-MILP
    limited by ``sub_nodes`` branch-and-bound nodes (the clock, the larger of
    ``5 × sub_limit`` and a quarter of ``time_limit``, only as a safety net; the
    size adapts on simplex iterations, not seconds), and the results are merged in
    a fixed order
    (:func:`_merge`). The same inputs and ``seed`` give the same sequence of
    incumbents; the search stops at the gap, after ``max_rounds`` rounds, or at
    ``time_limit`` (``LnsResult.stopped`` says which: only the clock makes the
    plan depend on the machine's speed). ``focus``: classes whose neighbourhoods
    come first (a re-plan: the workloads its repair moved). ``options_per_class``: a freed
    class may move only to its that many cheapest options (or stay where it is), which
    keeps the sub-MILPs of programs with exact channels small (``None``: every option).
    ``round_iters``: a worker whose sub-MILP ends without a gain draws another
    neighbourhood of the same incumbent until it has spent that many simplex iterations
    in the round (1: one neighbourhood per worker and round). ``start_budget``: seconds
    for relax-and-fix (default: 40 % of the time limit). ``scarce``: a program whose
    channels are scarce (exact channels, or the placement stage on channel-set rows):
    neighbourhoods mostly by the LP's duals (:data:`SCARCE_MODES`), sub-MILPs with RINS
    (:data:`~optimizer.solve.highs_model.SCARCE_SUB_OPTIONS`).
    """
    t0 = time.perf_counter()
    say = progress or (lambda _m: None)

    def left() -> float:
        return time_limit - (time.perf_counter() - t0)

    model.free_all()
    if form.y is not None:
        # exact channels: the bound of the aggregated program (valid, much faster)
        lp = model.solve_without(model.column(form.y), max(left() * 0.5, 0.1))
    else:
        lp = model.solve(max(left() * 0.5, 0.1), relaxation=True)
    if lp.status == "infeasible":
        return LnsResult("infeasible", None, None, None, None, "", 0, 0, _el(t0))
    if lp.values is None or lp.objective is None:
        if starts:
            # no time left for the bound (or HiGHS gave none): the best start, unbounded
            best = min(starts, key=lambda k: _objective(model, starts[k]))
            vec = starts[best]
            return LnsResult(
                "feasible",
                vec,
                _objective(model, vec),
                None,
                None,
                best,
                0,
                0,
                _el(t0),
                stopped="time",
            )
        return LnsResult("error", None, None, None, None, "", 0, 0, _el(t0))
    bound = float(lp.objective)
    say(f"LP bound {bound:.6g} in {lp.seconds:.1f} s")
    xs = model.column(form.x)
    cand: dict[str, tuple[float, Vec]] = {}
    for name, vec in (starts or {}).items():
        cand[name] = (_objective(model, vec), vec)
    nbh = _Neighbourhoods(form, inst, seed)
    if lp.col_dual is not None and lp.row_dual is not None:
        lost_at = model.column(form.lost) if form.lost is not None else None
        nbh.set_duals(model, xs, lp.col_dual, lp.row_dual, lost_at)
    nbh.focus = list(focus or [])  # a re-plan's first neighbourhoods: the moved classes
    if relax_fix or not cand:
        budget = min(max(left() * 0.4, 1.0) if start_budget is None else start_budget, left())
        rf = _relax_fix(model, xs, nbh.cls, lp.values[xs], lp.values, budget, seed=seed)
        if rf.values is not None and rf.objective is not None:
            cand["relax-fix"] = (rf.objective, rf.values)
            say(f"relax-and-fix start {rf.objective:.6g}")
    if not cand:
        # no start: the full MILP with what is left (it may find one, or prove infeasibility)
        full = model.clone().solve(max(left(), 0.1), mip_gap)
        return _final(full, bound, lp.objective, "milp", 0, 0, t0)
    name, (obj, cur) = min(cand.items(), key=lambda kv: kv[1][0])
    trace = [(_el(t0), obj)]
    state = _Shared(obj, cur, trace)
    k0 = min(size, nbh.n_cls)
    # the clock is only a safety net (node limits make the sub-MILPs reproducible): a
    # loaded machine must not cut them short
    sub_cap = max(5.0 * sub_limit, 0.25 * time_limit)
    grow_below = max(sub_nodes // 10, 1)
    route_group = np.array([g for g, _r in form.route_cols], dtype=int)
    gof = np.asarray(form.group_of_option, dtype=int)
    net_cols = [model.column(v) for v in (form.n, form.v) if v is not None]
    y_cols = model.column(form.y) if form.y is not None else None
    y_group = route_group[[k for k, _ in form.chan_cols]] if form.chan_cols else route_group[:0]
    lost_cols = model.column(form.lost) if form.lost is not None else None

    def fixed_mask(free: list[int], base_x: Vec) -> npt.NDArray[np.bool_]:
        """Columns held: other classes' placements and the routes of untouched groups."""
        mask = np.zeros(model.n_cols, dtype=bool)
        opt_free = np.isin(nbh.cls, free)
        if options_per_class is not None:
            opt_free &= (nbh.rank < options_per_class) | (base_x > 0.5)
        mask[xs.start + np.flatnonzero(~opt_free)] = True
        if lost_cols is not None:  # a held class's lost work is held with it
            mask[lost_cols.start + np.setdiff1d(np.arange(nbh.n_cls), free)] = True
        if route_group.size:
            touched = np.unique(gof[opt_free & (gof >= 0)])
            held = np.flatnonzero(~np.isin(route_group, touched))
            for cols in net_cols:
                mask[cols.start + held] = True
            if y_cols is not None:  # the channels of untouched groups stay where they are
                mask[y_cols.start + np.flatnonzero(~np.isin(y_group, touched))] = True
        return mask

    pickers = [_Neighbourhoods(form, inst, seed + 1 + i, nbh) for i in range(max(workers, 1))]
    if scarce:
        for p in pickers:
            p.modes = SCARCE_MODES
    sub_options = SCARCE_SUB_OPTIONS if scarce else SUB_OPTIONS
    sizes = [k0] * len(pickers)
    stopped = "time"
    rounds = 0
    while True:
        gap = (state.obj - bound) / max(abs(state.obj), 1e-12)
        if gap <= mip_gap:
            stopped = "gap"
            break
        if max_rounds is not None and rounds >= max_rounds:
            stopped = "rounds"
            break
        if left() <= 0.2:
            break
        rounds += 1
        base = state.cur
        base_obj = state.obj
        frees: list[list[int]] = [[] for _ in pickers]
        results: list[MipResult | None] = [None] * len(pickers)
        tries = [0] * len(pickers)

        def job(
            i: int,
            frees: list[list[int]] = frees,
            base: Vec = base,
            base_obj: float = base_obj,
            results: list[MipResult | None] = results,
            tries: list[int] = tries,
        ) -> None:
            # a worker whose neighbourhood solves quickly without a gain draws the next one
            # rather than wait for the round's slower sub-MILP: until a gain, or its share of
            # simplex iterations (work, not time: the round stays reproducible)
            spent = 0
            while True:
                lost = None if lost_cols is None else base[lost_cols]
                free = pickers[i].pick(base[xs], sizes[i], lost, base)
                r = model.solve_sub(
                    fixed_mask(free, base[xs]),
                    base,
                    min(sub_cap, max(left(), 0.05)),
                    max_nodes=sub_nodes,
                    seed=seed,
                    options=sub_options,
                )
                frees[i], results[i] = free, r
                tries[i] += 1
                spent += max(r.iterations, 1)
                _adapt(sizes, i, r, sub_iters, grow_below, nbh.n_cls)
                gain = r.objective is not None and r.objective < base_obj - 1e-9 * abs(base_obj)
                if gain or spent >= round_iters or r.limit == "time" or left() <= 0.2:
                    return

        if len(pickers) == 1:
            job(0)
        else:  # HiGHS releases the GIL: the neighbourhoods of a round solve in parallel
            threads = [threading.Thread(target=job, args=(i,)) for i in range(len(pickers))]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
        if any(r is not None and r.limit == "time" for r in results) and left() <= 0.2:
            break  # cut short by the clock: this round's results depend on the machine's load
        state.iterations += sum(tries)
        _merge(model, state, base, frees, results, _el(t0))
        if rounds % 5 == 0:
            gap = (state.obj - bound) / max(abs(state.obj), 1e-12)
            say(
                f"LNS round {rounds}: incumbent {state.obj:.6g}, bound {bound:.6g}, "
                f"gap {gap:.2%}, neighbourhood {sizes[0]} classes"
            )
    obj, cur, it, improved = state.obj, state.cur, state.iterations, state.improved
    status = "optimal" if (obj - bound) / max(abs(obj), 1e-12) <= mip_gap + 1e-12 else "feasible"
    return LnsResult(
        status,
        cur,
        obj,
        bound,
        lp.objective,
        name,
        it,
        improved,
        _el(t0),
        tuple(state.trace),
        rounds=rounds,
        stopped=stopped,
    )


def _merge(
    model: HighsModel,
    state: _Shared,
    base: Vec,
    frees: list[list[int]],
    results: list[MipResult | None],
    now: float,
) -> None:
    """Take a round's results in a fixed order: the best one, then every other that
    freed other classes and still fits on top of it (ties: the lower worker index)."""
    scored = [
        (r.objective, i)
        for i, r in enumerate(results)
        if r is not None and r.values is not None and r.objective is not None
    ]
    taken: set[int] = set()
    for obj, i in sorted(scored):
        r = results[i]
        assert r is not None and r.values is not None
        if obj >= state.obj - 1e-9 * abs(state.obj):
            continue
        if not taken:
            cand, cobj = r.values, obj
        else:
            if not set(frees[i]).isdisjoint(taken):
                continue
            cand = state.cur + (r.values - base)  # both changes: rows are linear
            if not model.feasible(cand):
                continue
            cobj = _objective(model, cand)
            if cobj >= state.obj - 1e-9 * abs(state.obj):
                continue
        state.cur, state.obj = cand, cobj
        taken.update(frees[i])
        state.improved += 1
        state.trace.append((now, state.obj))


def _adapt(
    sizes: list[int], i: int, r: MipResult | None, sub_iters: int, grow_below: int, most: int
) -> None:
    """Adapt worker ``i``'s neighbourhood size on work that does not depend on the load."""
    if r is None or r.status != "optimal" or r.iterations > sub_iters:
        sizes[i] = max(sizes[i] - 2, 4)
    elif r.nodes <= grow_below and r.iterations < sub_iters // 4:
        sizes[i] = min(sizes[i] + 2, most)


def _el(t0: float) -> float:
    return time.perf_counter() - t0


def _objective(model: HighsModel, vec: Vec) -> float:
    cost = np.asarray(model.highs.getLp().col_cost_, dtype=float)
    return float(cost @ vec) + model.offset


def _relax_fix(
    model: HighsModel,
    xs: slice,
    cls: npt.NDArray[np.intp],
    x_lp: Vec,
    lp: Vec,
    time_limit: float,
    chunk: int = 30,
    seed: int = 0,
) -> MipResult:
    """Relax-and-fix in chunks: a feasible start from the LP solution.

    Fix the placement counts the LP made positive integers; the classes left
    fractional are made integral ``chunk`` at a time (the later ones stay
    continuous), each chunk's solution fixed before the next. Each step is a
    sub-model without the fixed columns (:meth:`HighsModel.solve_sub`).
    """
    t0 = time.perf_counter()
    r = np.rint(x_lp)
    todo = np.unique(cls[(np.abs(x_lp - r) > 1e-6)])
    fixed = np.zeros(model.n_cols, dtype=bool)
    fixed[xs.start + np.flatnonzero(~np.isin(cls, todo))] = True
    base = lp.copy()
    base[xs] = np.where(np.isin(cls, todo), x_lp, r)
    # lightpath counts stay continuous until the placements are fixed
    integer = np.zeros(model.n_cols, dtype=bool)
    others = model.integer.copy()
    others[xs] = False
    res = MipResult("error", None, None, None, 0.0)
    queue = [todo[i : i + chunk] for i in range(0, todo.size, chunk)] or [todo]
    while queue:
        classes = queue.pop(0)
        part = xs.start + np.flatnonzero(np.isin(cls, classes))
        integer[part] = True
        left = time_limit - (time.perf_counter() - t0)
        if left <= 0.05:
            return MipResult("error", None, None, None, time.perf_counter() - t0)
        # node-limited (deterministic); the clock only as a safety net
        res = model.solve_sub(fixed, base, left * 0.9, 0.01, integer, max_nodes=500, seed=seed)
        if res.values is None:
            if res.status == "infeasible" or classes.size < 2:
                return res
            # no plan in time: the same classes in two smaller steps
            integer[part] = False
            half = classes.size // 2
            queue[:0] = [classes[:half], classes[half:]]
            continue
        base = res.values
        base[part] = np.rint(base[part])
        fixed[part] = True
    if others.any() and res.values is not None:
        # placements fixed: route the lightpaths with integral counts
        left = time_limit - (time.perf_counter() - t0)
        res = model.solve_sub(
            fixed, base, max(left, 1.0), 1e-3, others | integer, max_nodes=1000, seed=seed
        )
    if res.values is not None and not model.feasible(res.values):
        return MipResult("error", None, None, None, res.seconds)
    return res


def _final(
    r: MipResult, lp_bound: float, lp_obj: float | None, start: str, it: int, imp: int, t0: float
) -> LnsResult:
    if r.values is None or r.objective is None:
        return LnsResult(r.status, None, None, lp_bound, lp_obj, start, it, imp, _el(t0))
    bound = max(lp_bound, r.bound if r.bound is not None else lp_bound)
    gap_ok = r.status == "optimal"
    return LnsResult(
        "optimal" if gap_ok else "feasible",
        r.values,
        r.objective,
        bound,
        lp_obj,
        start,
        it,
        imp,
        _el(t0),
    )
