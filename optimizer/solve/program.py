"""The joint program: build once, solve, assign wavelengths, account, diagnose.

Length: over 400 lines on purpose: the Planner: solve paths (MILP, LNS), wavelength
assignment of a solution, cuts and partial plans share the compiled program's state; warm
starts, one HiGHS run, heuristics, repair, re-plans and reading a solution
(:mod:`optimizer.solve.extract`) are separate modules.

:class:`Planner` compiles an :class:`~optimizer.inputs.instance.Instance` once
(cvxpy, DPP) and solves it with HiGHS; :meth:`Planner.solve` with a changed
instance (new signals, caps or occupancy, same workloads, sites and slots)
only rewrites parameters. :func:`plan` is the one-shot form.

The result is a :class:`~optimizer.model.plan.Plan`: placements, lightpaths with
their channel and frequency, per-site-per-slot burdens and cap use from
:func:`optimizer.model.accounting.account`, MIP gap, dual bound, the LP-relaxation
bound (optional), timings; an infeasible instance carries a diagnosis.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

import numpy as np

from optimizer.inputs.instance import Instance
from optimizer.model.accounting import account, lost_work
from optimizer.model.formulation import (
    Formulation,
    build,
    set_parameters,
)
from optimizer.model.plan import Lightpath, Placement, Plan, Relaxation, Timings, Unassigned
from optimizer.solve import extract
from optimizer.solve.highs_model import HighsModel
from optimizer.solve.run import Raw as _Raw
from optimizer.solve.run import solve_form as _solve
from optimizer.solve.unserved import unserved_ids, why_unserved
from optimizer.solve.warm import AUTO_WARM, WarmStarts

__all__ = ["AUTO_WARM", "Planner", "plan"]

#: ``method="auto"`` uses the LNS (:mod:`optimizer.solve.lns`) from this many placement options
LNS_MIN_OPTIONS = 1000
METHODS = ("auto", "lns", "milp")
#: the LNS starts from sequential + repair up to this many workload classes; above, the
#: network-blind search does not converge in its share of the time and relax-and-fix is the
#: better start (CORONET 1000 x 96, 60 s: 4.2 % vs 8.1 %; CORONET 300 x 96: 1.99 % vs 1.03 %)
SEQUENTIAL_MAX_CLASSES = 600


def empty_start(form: Formulation) -> dict[int, np.ndarray] | None:
    """Values of every variable for the plan that serves nothing (all work lost).

    Feasible whenever no cap limit is negative; ``None`` for a program without
    the ``lost`` variable (every workload must then be placed).
    """
    if form.lost is None:
        return None
    out = {var.id: np.zeros(var.shape) for var in form.problem.variables()}
    out[form.lost.id] = np.asarray(form.params["lost_ub"].value, dtype=float).copy()
    return out


class Planner:
    """A compiled joint program; ``solve`` re-plans by rewriting parameters only.

    Parameters
    ----------
    instance : the instance to compile.
    max_cuts : re-solves allowed when the wavelength-assignment step blocks.
    threads : HiGHS threads (``None``: HiGHS's default).
    integer_lightpaths : make the lightpath counts per route integral in the MILP
        (default; ``False``: continuous, the assignment step rounds them into routes).
    repair : transfers still without a wavelength after the cuts are placed again
        first-fit around the rest of the plan (:func:`optimizer.solve.repair.repair_blocked`);
        those that fit nowhere stay in ``Plan.unassigned`` (unplaced).
    seed : seeds HiGHS (``random_seed``) and the LNS neighbourhoods: the same inputs and
        seed give the same plan when the search ends at the gap or after ``max_rounds``.
    progress : called with a line of search progress (incumbent, bound, neighbourhood).
    max_rounds : stop the LNS after that many rounds (a reproducible work limit).
    channels : ``"auto"`` (default), ``"exact"`` or ``"aggregate"``: whether the program has
        a variable per (route, channel) so every plan it finds is a wavelength assignment
        (:func:`optimizer.model.formulation.exact_channels`: ``auto`` when the spectrum is
        scarce and the model stays small), or only lightpath counts that the assignment step
        colours (with cuts and repair when it cannot).
    network : ``False``: no routes or channels, each transfer charged its cheapest route's
        energy (a relaxation: the placement stage of the exact-channel start, which
        :func:`optimizer.solve.routing.route_placement` then routes).
    route_of : with ``network=False``, the route of each transfer group (origin ROADM,
        site index, slot) as an index into its candidate routes (default: the cheapest
        with a free channel).
    """

    def __init__(
        self,
        instance: Instance,
        *,
        max_cuts: int = 3,
        threads: int | None = None,
        integer_lightpaths: bool = True,
        repair: bool = True,
        seed: int = 0,
        progress: Callable[[str], None] | None = None,
        max_rounds: int | None = None,
        channels: str = "auto",
        network: bool = True,
        route_of: Mapping[tuple[str, int, int], int] | None = None,
    ) -> None:
        t0 = time.perf_counter()
        self.instance = instance
        self.network = network
        self.route_of = route_of
        self.form = build(
            instance,
            integer_lightpaths=integer_lightpaths,
            channels=channels,
            network=network,
            route_of=route_of,
        )
        self.build_s = time.perf_counter() - t0
        self.max_cuts = max_cuts
        self.repair = repair
        self.threads = threads
        self.seed = seed
        self.progress = progress
        self.max_rounds = max_rounds
        self.warm = WarmStarts(self)  # warm starts: a collaborator, called, not inherited
        #: share of the LNS's time for its sequential + repair start (0: relax-and-fix only)
        self.sequential_share = 0.3
        #: exact channels: share of the time for the placement stage of the start (the
        #: placement on the LP's routes, ``build(network=False)``, then routed by a MILP).
        #: germany50 300 x 8, 60 s, one run per seed: 0.55 -> 1.00-1.28 % (seeds 0-2),
        #: 0.6 -> 1.20-1.75 % (0-4), 0.7 -> 0.93-1.21 % (0-2), 0.8 -> 1.13-1.27 %; the
        #: search after the start gains 0.05-0.1 point, the placement search is what counts
        self.placement_share = 0.7
        #: with exact channels, a class freed by the LNS may move to its that many cheapest
        #: options (or stay): the sub-MILPs stay small (``None``: every option)
        self.options_per_class: int | None = 10
        #: a worker draws neighbourhoods until a gain or this many simplex iterations a round
        self.round_iters = 30_000
        #: the LNS's first pass ends at this share of the time limit; the second continues
        #: from its plan with unserved work placed first-fit (:meth:`_second_pass`)
        self.refill_at = 0.5
        self._seq_timed = False
        self._lp: Formulation | None = None
        self._solves = 0
        self._hm: HighsModel | None = None  # the LNS's persistent HiGHS model
        self._last: np.ndarray | None = None  # the LNS's last plan (a re-plan's start)
        self._note = ""
        self._lp_obj: float | None = None
        self._plan: Plan | None = None  # the last plan (a re-plan repairs it)
        self._prev: Plan | None = None

    def _say(self, msg: str) -> None:
        if self.progress is not None:
            self.progress(msg)

    def lp_bound(self, instance: Instance | None = None, time_limit: float = 60.0) -> float | None:
        """Objective of the LP relaxation (integrality dropped), ``None`` if it has none."""
        inst = instance or self.instance
        if self._lp is None:
            self._lp = build(inst, integer=False, network=self.network, route_of=self.route_of)
        else:
            set_parameters(self._lp, inst)
        raw = _solve(self._lp, time_limit, 0.0, self.threads)
        return raw.bound if raw.status in ("optimal", "feasible") else None

    def solve(
        self,
        instance: Instance | None = None,
        *,
        time_limit: float = 60.0,
        mip_gap: float = 0.01,
        with_lp_bound: bool = False,
        diagnose: bool = True,
        warm: Plan | str | None = "auto",
        method: str = "auto",
        previous: Plan | None = None,
    ) -> Plan:
        """Solve (after rewriting parameters from ``instance`` if given) and return the plan.

        ``previous``: a plan to re-plan from (default: this planner's last plan, on a
        re-plan). When the previous solution no longer meets every row of the new
        program, it is repaired first (:func:`optimizer.solve.replan.repair_from`: keep what
        still holds, move only the workloads on broken rows) and the search continues
        from the repaired plan instead of starting over.

        ``method``: ``"lns"`` — LP bound, relax-and-fix start, then fix-and-optimise
        neighbourhoods on HiGHS until the plan is within ``mip_gap`` of the LP bound
        (:mod:`optimizer.solve.lns`); ``time_limit`` bounds the whole call; a re-plan starts from
        the previous plan when it still meets every constraint (no relax-and-fix) and
        re-solves the LP warm. ``"milp"`` — HiGHS's branch and bound on the whole
        program from the warm start below. ``"auto"``: LNS from
        :data:`LNS_MIN_OPTIONS` placement options, else the MILP. With the LNS only a
        ``Plan`` given as ``warm`` is used (the named starts are not computed).

        ``warm``: a plan to start from (MIP start), the name of a baseline in
        :data:`optimizer.solve.warm.STARTS` to compute one, ``"relax-fix"``
        (:func:`optimizer.solve.relax_fix.relax_fix` with a quarter of the limit),
        ``"auto"`` (the best of
        :data:`AUTO_WARM`), or ``None``. The start is used only when it is
        complete and meets every constraint of the program (all variables set);
        the returned plan is then never worse than it: when the MILP's incumbent is
        worse, missing or leaves a transfer blocked, the start itself is returned
        (re-accounted; ``message`` says so; gap against HiGHS's dual bound). The
        sequential start is the sequential baseline with a quarter of the limit (its placement
        MILP warm-starts itself); the MILP gets what is left of ``time_limit`` (at least 10 %),
        so the wall time stays near the limit (each wavelength cut re-solves within what is
        left, at least 10 % of it). A re-plan
        with a named ``warm`` starts from the previous solution instead (cvxpy's
        solver cache).
        """
        plan = self._solve_plan(
            instance, time_limit, mip_gap, with_lp_bound, diagnose, warm, method, previous
        )
        if plan.placements:
            self._plan = plan
            if self._hm is not None and plan.status in ("optimal", "feasible"):
                # the next re-plan starts from the plan returned (repairs included), not
                # from the search's last vector
                vals = self.warm.values(instance or self.instance, plan)
                if vals is not None:
                    self._last = self._hm.vector(vals[0])
        return plan

    def _solve_plan(
        self,
        instance: Instance | None,
        time_limit: float,
        mip_gap: float,
        with_lp_bound: bool,
        diagnose: bool,
        warm: Plan | str | None,
        method: str,
        previous: Plan | None,
    ) -> Plan:
        t_start = time.perf_counter()
        inst = instance or self.instance
        if instance is not None:
            set_parameters(self.form, inst)
        build_s = self.build_s if self._solves == 0 else 0.0
        self._solves += 1
        cut: dict[tuple[str, int], int] = {}
        compile_s = build_s
        solve_s = assign_s = warm_s = 0.0
        if method not in METHODS:
            raise ValueError(f"method: expected one of {METHODS}, got {method!r}")
        use_lns = method == "lns" or (
            method == "auto" and self.form.integer and len(self.form.options) >= LNS_MIN_OPTIONS
        )
        self._note = ""
        t_w = time.perf_counter()
        # re-plans start from the previous solution (cvxpy's solver cache) unless given a plan
        named = isinstance(warm, str)
        self._prev = previous if previous is not None else self._plan
        # a re-plan's search stops once it is as close to its bound as the plan it replaces
        # was ("at the same gap": within 10 % of it, + 0.1 point) or within mip_gap
        prev_gap = self._prev.gap if self._prev is not None else None
        stop_gap = mip_gap if prev_gap is None else max(mip_gap, 1.1 * prev_gap + 1e-3)
        if use_lns:
            w = self.warm.start(inst, warm, time_limit) if isinstance(warm, Plan) else None
        elif previous is not None:
            from optimizer.solve.replan import repair_from

            w = self.warm.start(inst, repair_from(inst, previous)[0], time_limit)
        else:
            w = None if named and self._solves > 1 else self.warm.start(inst, warm, time_limit)
        fallback = False
        if w is None and not use_lns and self.form.lost is not None:
            # a fallback if the MILP finds no incumbent: first-fit (partial plans allowed)
            from optimizer.solve.heuristics import first_fit

            w = self.warm.start(inst, first_fit(inst), time_limit)
            start0 = None  # HiGHS searches on its own; the fallback only stands in for nothing
            fallback = True
        else:
            start0 = w.values if w is not None else None
        warm_s = time.perf_counter() - t_w
        bound0: float | None = None
        lightpaths: list[Lightpath] = []
        blocked: list[Unassigned] = []
        # the best attempt so far by its objective, a blocked transfer priced as lost work
        good: tuple[float, _Raw, list[Lightpath], list[Unassigned]] | None = None
        # the LNS takes the whole time; transfers it leaves without a wavelength are repaired
        # (a cut re-solve restarted a search that had no time left: far worse plans)
        max_cuts = 0 if use_lns else self.max_cuts
        for attempt in range(max_cuts + 1):
            start = start0 if attempt == 0 else None
            if use_lns:
                raw = self._lns(
                    inst,
                    t_start + time_limit * self.refill_at,
                    stop_gap,
                    start,
                    end=t_start + time_limit,
                )
                if raw.status == "feasible" and t_start + time_limit - time.perf_counter() > 1.0:
                    raw = self._second_pass(inst, raw, t_start + time_limit, stop_gap)
            else:
                # the warm starts spent part of the budget: the MILP gets the rest (≥ 10 %)
                left = max(t_start + time_limit - time.perf_counter(), 0.1 * time_limit)
                raw = _solve(self.form, left, mip_gap, self.threads, start, self.seed)
            if attempt == 0:
                bound0 = raw.bound  # a bound of the model before any wavelength cut
            compile_s += raw.compile_s
            solve_s += raw.solve_s
            if raw.status in ("infeasible", "error"):
                if use_lns and good is not None:
                    _s, raw, lightpaths, blocked = good  # a cut went too far: the best so far
                break
            t0 = time.perf_counter()
            lightpaths, blocked, extra = self._assign(inst, raw)
            assign_s += time.perf_counter() - t0
            score = self._score(inst, raw, lightpaths, blocked)
            if good is None or score < good[0]:
                good = (score, raw, lightpaths, blocked)
            if (
                use_lns
                and blocked
                and raw.status == "optimal"
                and t_start + time_limit - time.perf_counter() > 1.0
            ):
                # within the gap on lightpath counts, but some transfers got no wavelength:
                # the rest of the time from the repaired plan (CORONET 1000 x 96: 15 blocked
                # transfers after 23 s, 1.24 % once repaired, with 37 s left unused)
                more = self._second_pass(inst, raw, t_start + time_limit, stop_gap)
                compile_s += more.compile_s
                solve_s += more.solve_s
                if more.status in ("optimal", "feasible"):
                    t0 = time.perf_counter()
                    lps2, blocked2, _extra = self._assign(inst, more)
                    assign_s += time.perf_counter() - t0
                    score2 = self._score(inst, more, lps2, blocked2)
                    if score2 < good[0]:
                        good = (score2, more, lps2, blocked2)
                _s, raw, lightpaths, blocked = good
            if not blocked or attempt == max_cuts:
                break
            for (f, t), k in extra.items():
                cut[(f, t)] = cut.get((f, t), 0) + k
            set_parameters(self.form, inst, free_cut=cut)
        if cut:
            set_parameters(self.form, inst)
            if good is not None:
                # a later cut attempt may be worse (e.g. no start fit the cut model): the best
                _s, raw, lightpaths, blocked = good
        if use_lns and raw.values is not None:
            self._last = raw.values  # the next re-plan starts from the plan returned
        lp = self.lp_bound(inst, time_limit) if with_lp_bound and not use_lns else None
        if use_lns and with_lp_bound:
            lp = self._lp_obj
        timings = Timings(compile_s, solve_s + warm_s, assign_s, time.perf_counter() - t_start)
        objective = None
        placements: tuple[Placement, ...] = ()
        if raw.status in ("optimal", "feasible"):
            energy = self._energy(inst, raw, lightpaths)
            objective, burdens, caps = account(inst, energy)
            placements = self._placements(inst, raw)
            objective += lost_work(inst, unserved_ids(inst, placements))
        if w is not None and not (fallback and objective is not None):
            why = ""
            if objective is None:
                why = f"the MILP returned {raw.status}" + (
                    f" ({raw.message})" if raw.message else ""
                )
            elif blocked:
                why = f"the MILP plan left {len(blocked)} transfer(s) without a wavelength"
            elif objective > w.objective + 1e-9 * max(1.0, abs(w.objective)):
                why = f"the MILP incumbent {objective:.6g} was worse"
            if why:
                return self.warm.from_warm(inst, w, bound0, mip_gap, lp, timings, why)
        if raw.status == "infeasible":
            return self._infeasible(inst, timings, lp, diagnose, time_limit, bool(cut))
        if raw.status == "error" or objective is None:
            return Plan(
                "error",
                timings=timings,
                filled=inst.filled,
                gap=raw.gap,
                bound=raw.bound,
                message=raw.message,
            )
        repaired = 0
        if blocked and self.repair:
            from optimizer.solve.repair import repair_blocked

            n_blocked = len(blocked)
            pl, lps, left_out, energy_r = repair_blocked(inst, placements, lightpaths, blocked)
            objective, burdens, caps = account(inst, energy_r)
            placements = tuple(sorted(pl, key=lambda p: p.workload))
            lightpaths = sorted(lps, key=lambda lp: (lp.slot, lp.workload or ""))
            blocked, repaired = list(left_out), n_blocked - len(left_out)
            objective += lost_work(inst, unserved_ids(inst, placements))
        late = 0
        if self.repair and unserved_ids(inst, placements):
            # work the search left out: a first-fit pass around the plan may still fit it
            from optimizer.solve.repair import place_unserved

            todo = unserved_ids(inst, placements)
            pl, lps, still_out, energy_u = place_unserved(inst, placements, lightpaths, todo)
            late = len(todo) - len(still_out)
            if late:
                objective, burdens, caps = account(inst, energy_u)
                placements = tuple(sorted(pl, key=lambda p: p.workload))
                lightpaths = sorted(lps, key=lambda lp: (lp.slot, lp.workload or ""))
                objective += lost_work(inst, unserved_ids(inst, placements))
        still = sorted({u.workload for u in blocked if u.site})  # placed, no wavelength
        if still:  # only without the repair: that work is not served either
            objective = self._without(inst, placements, lightpaths, still)
        unserved = unserved_ids(inst, placements)
        status = raw.status if not blocked and not repaired and not unserved else "feasible"
        gap, bound = raw.gap, raw.bound
        if cut:
            bound = bound0  # wavelength cuts are not valid inequalities: the uncut bound
        if (use_lns or cut) and bound is not None:
            # the accounted plan (its real lightpaths) against the bound
            gap = max(objective - bound, 0.0) / max(abs(objective), 1e-12)
            ok = gap <= mip_gap + 1e-12 and not blocked and not repaired and not unserved
            status = "optimal" if ok else "feasible"
        diag: tuple[Relaxation, ...] = ()
        msg = self._note
        if unserved:
            # at most a fifth of the time limit: a fast re-plan must not spend the rest here
            left = max(t_start + time_limit - time.perf_counter(), 0.1 * time_limit, 1.0)
            left = min(left, max(0.2 * time_limit, 1.0))
            if self.strict_feasible(inst, left) is False:
                # proven: no plan serves every workload; the best partial plan is kept
                status = "infeasible"
                if diagnose:
                    from optimizer.solve.diagnosis import diagnose as run_diagnosis

                    diag = run_diagnosis(inst, time_limit=min(time_limit, 30.0))
                msg = (
                    "the caps cannot all hold with every workload served; the plan is the "
                    f"best partial one found (serves {len(placements)})"
                    + (f"; {msg}" if msg else "")
                )
            elif diagnose:
                diag = why_unserved(inst, placements, lightpaths, unserved)
        if repaired:
            msg = (
                f"{repaired} transfer(s) without a wavelength after {max_cuts} cut(s) "
                "placed again first-fit" + (f"; {self._note}" if self._note else "")
            )
        if late:
            msg += f"; {late} workload(s) the search left out placed first-fit afterwards"
        if unserved and status != "infeasible":
            msg = (
                f"{len(unserved)} workload(s) not served (no complete plan found in the time "
                "limit; the diagnosis says what keeps them out); " + msg
            )
        lost = lost_work(inst, [*unserved, *still])
        return Plan(
            status=status,
            objective=objective,
            placements=placements,
            lightpaths=tuple(lightpaths),
            burdens=burdens,
            caps=caps,
            gap=gap,
            bound=bound,
            lp_bound=lp,
            timings=timings,
            filled=inst.filled,
            diagnosis=diag,
            unassigned=tuple(blocked),
            message=msg,
            served=len(placements) - len(still),
            unserved=unserved,
            blocked=tuple(still),
            lost_work=lost,
        )

    def _score(
        self, inst: Instance, raw: _Raw, lightpaths: list[Lightpath], blocked: list[Unassigned]
    ) -> float:
        """An attempt's objective with its blocked transfers priced as lost work."""
        placed = self._placements(inst, raw)
        out = [*unserved_ids(inst, placed), *(u.workload for u in blocked)]
        return account(inst, self._energy(inst, raw, lightpaths))[0] + lost_work(inst, out)

    def _infeasible(
        self,
        inst: Instance,
        timings: Timings,
        lp: float | None,
        diagnose: bool,
        time_limit: float,
        cut: bool,
    ) -> Plan:
        """The answer when the caps cannot all hold with every workload served."""
        diag: tuple[Relaxation, ...] = ()
        if diagnose:
            from optimizer.solve.diagnosis import diagnose as run_diagnosis

            diag = run_diagnosis(inst, time_limit=min(time_limit, 30.0))
        msg = "the caps cannot all hold" + (" (after wavelength cuts)" if cut else "")
        return Plan(
            "infeasible",
            timings=timings,
            filled=inst.filled,
            diagnosis=diag,
            lp_bound=lp,
            message=msg,
        )

    def strict_feasible(self, inst: Instance, time_limit: float) -> bool | None:
        """Whether a plan serving every workload exists (``None``: unknown in ``time_limit``).

        The LP relaxation with the lost work held at 0 first, then the integral program
        (any plan will do, gap 50 %). ``False``: no plan serves every workload and the
        instance is ``infeasible``; otherwise a plan that leaves work out is a partial
        answer (``feasible``).
        """
        from optimizer.solve.highs_model import load

        if self.form.lost is None:
            return True
        hm = load(self.form.problem)  # the current parameters
        cols = hm.column(self.form.lost)
        idx = np.arange(cols.start, cols.stop)
        hm.fix(idx, np.zeros(idx.size))
        t0 = time.perf_counter()
        r = hm.solve(max(time_limit, 0.1), relaxation=True)
        if r.status == "infeasible":
            return False
        if r.status == "error":
            return None
        # the relaxation fits (fractional workloads): does the integral program? (HiGHS
        # proves it quickly on small instances; a time-out says nothing)
        left = time_limit - (time.perf_counter() - t0)
        if left <= 0.1:
            return None
        m = hm.solve(left, 0.5)
        if m.status == "infeasible":
            return False
        return None if m.status == "error" else True

    def _without(
        self,
        inst: Instance,
        placements: tuple[Placement, ...],
        lightpaths: list[Lightpath],
        blocked: list[str],
    ) -> float:
        """Objective of the served work (blocked workloads out) plus the value of the rest."""
        sidx = inst.site_index()
        cls_of = {w: c for c, cls in enumerate(inst.classes) for w in cls.ids}
        energy = np.zeros((len(inst.sites), inst.horizon))
        out = set(blocked)
        for p in placements:
            if p.workload not in out:
                for i, u in enumerate(inst.classes[cls_of[p.workload]].profile_kwh):
                    energy[sidx[p.site], p.slot + i] += u
        for lp in lightpaths:
            if lp.workload is not None and lp.workload not in out:
                energy[
                    sidx[next(p.site for p in placements if p.workload == lp.workload)], lp.slot
                ] += lp.energy_kwh
        lost = lost_work(inst, [*unserved_ids(inst, placements), *blocked])
        return account(inst, energy)[0] + lost

    def _lns(
        self,
        inst: Instance,
        deadline: float,
        mip_gap: float,
        start: dict[int, np.ndarray] | None,
        label: str = "previous plan",
        end: float | None = None,
    ) -> _Raw:
        """One LNS solve of the compiled program under the current parameters.

        ``end``: when the whole solve must end (``deadline`` ends this pass). A first pass
        that builds its start lasts at least 60 % of the time to ``end``, and its start's
        budget (relax-and-fix 40 %, the sequential start its share) is of the time to
        ``end``: on CORONET 1000 x 96 relax-and-fix needs about 13 s, and a first pass of
        half of 60 s, of which relax-and-fix had 40 %, ran out before it finished and fell
        back on the first-fit start (7-11 % instead of about 1 %)."""
        from optimizer.solve.highs_model import load
        from optimizer.solve.lns import search

        t0 = time.perf_counter()
        if self._hm is None:
            self._hm = load(self.form.problem, random_seed=self.seed)
        else:
            self._hm.update(self.form.problem)
        hm = self._hm
        if self.form.n is not None:
            # lightpath counts continuous in the search (its sub-MILPs are much faster);
            # the assignment step turns them into lightpaths, the plan is accounted from those
            hm.relax(hm.column(self.form.n))
        compile_s = time.perf_counter() - t0
        starts: dict[str, np.ndarray] = {}
        focus: list[int] = []
        if start is not None:
            starts["warm"] = hm.vector(start)
        empty = empty_start(self.form)
        if empty is not None:
            starts["empty"] = hm.vector(empty)  # serving nothing: the search always has a plan
        if self._last is not None and hm.feasible(self._last):
            starts[label] = self._last
        elif self._prev is not None and label == "previous plan":
            # the change broke the previous plan: repair it rather than start over
            from optimizer.solve.replan import repair_from

            fixed, _moved = repair_from(inst, self._prev)
            vals = self.warm.values(inst, fixed)
            if vals is not None:
                label = "repaired previous plan"
                starts[label] = hm.vector(vals[0])
                self._say(f"previous plan repaired: {fixed.message}")
                was = {(p.workload, p.site, p.slot) for p in self._prev.placements}
                cls_of = {w: c for c, cls in enumerate(inst.classes) for w in cls.ids}
                focus = sorted(
                    {
                        cls_of[p.workload]
                        for p in fixed.placements
                        if (p.workload, p.site, p.slot) not in was
                    }
                )
        with_rf = label not in starts
        fresh = label == "previous plan" and label not in starts
        if fresh and end is not None:
            # a first pass that builds its start: budgets from the whole solve's time, and
            # at least 60 % of it for the pass (its start must not run out of time)
            now = time.perf_counter()
            deadline = max(deadline, now + 0.6 * (end - now))
        if fresh:
            # no previous plan to keep: first-fit (one greedy pass, partial plans allowed),
            # and sequential + repair (the placement without the network, solved by the same
            # search on a much easier model, then blocked transfers placed again first-fit)
            from optimizer.solve.heuristics import first_fit, sequential

            ff = self.warm.values(inst, first_fit(inst))
            if ff is not None:
                starts["first-fit"] = hm.vector(ff[0])
            exact = self.form.y is not None
            if (
                self.form.groups
                and self.sequential_share > 0
                and (exact or len(inst.classes) <= SEQUENTIAL_MAX_CLASSES)
            ):
                share = self.placement_share if exact else self.sequential_share
                budget = ((end or deadline) - time.perf_counter()) * share
                if exact:
                    # the placement on the cheapest routes with a free channel, their
                    # channel-set rows on x (formulation.build(network=False)); then routed
                    say = self.progress
                    route_of = self._lp_routes(hm, 0.15 * budget)
                    stage = type(self)(
                        inst,
                        seed=self.seed,
                        max_rounds=self.max_rounds,
                        network=False,
                        route_of=route_of,
                        progress=None if say is None else (lambda m: say(f"placement: {m}")),
                    )
                    seq = stage.solve(time_limit=max(budget, 0.5), mip_gap=mip_gap, diagnose=False)
                else:
                    seq = sequential(
                        inst,
                        time_limit=max(budget, 0.5),
                        mip_gap=mip_gap,
                        repair=True,
                        seed=self.seed,
                        max_rounds=self.max_rounds,
                        planner=type(self),
                    )
                sv = None if exact else self.warm.values(inst, seq)
                if exact:
                    # exact channels: route the placement as a MILP (drops what cannot be
                    # routed; the search places those again first)
                    from optimizer.solve.routing import route_placement

                    left_r = max(((end or deadline) - time.perf_counter()) * 0.2, 1.0)
                    routed = route_placement(hm, self.form, inst, seq, left_r, self.seed)
                    if routed is not None:
                        vec, dropped = routed
                        starts["placement+routing"] = vec
                        focus = dropped
                        with_rf = False
                        self._seq_timed = "time limit" in seq.message
                        self._say(
                            f"placement+routing start {hm.objective(vec):.6g}"
                            f" ({len(dropped)} class(es) still unserved)"
                        )
                if sv is not None:
                    starts["sequential+repair"] = hm.vector(sv[0])
                    with_rf = False
                    self._seq_timed = "stopped at the time limit" in seq.message
                    self._say(f"sequential+repair start {sv[2]:.6g}")
        if fresh and end is not None:
            # the starts took their time: the search keeps at least half of what is left
            now = time.perf_counter()
            deadline = max(deadline, now + 0.5 * (end - now))
        start_budget = None
        if with_rf and end is not None:
            start_budget = 0.4 * (end - time.perf_counter())
        res = search(
            hm,
            self.form,
            inst,
            time_limit=max(deadline - time.perf_counter(), 0.5),
            mip_gap=mip_gap,
            starts=starts,
            relax_fix=with_rf,
            workers=max(self.threads or 2, 1),
            seed=self.seed,
            max_rounds=self.max_rounds,
            focus=focus,
            progress=self.progress,
            options_per_class=self.options_per_class if self.form.y is not None else None,
            round_iters=self.round_iters,
            start_budget=start_budget,
            # exact channels, or their placement stage (channel-set rows on LP routes)
            scarce=self.form.y is not None or self.route_of is not None,
        )
        self._lp_obj = res.lp_bound
        if res.values is None:
            status = "infeasible" if res.status == "infeasible" else "error"
            why = "" if status == "infeasible" else "LNS: no plan within the time limit"
            return _Raw(status, np.zeros(0), None, None, res.bound, compile_s, res.seconds, why)
        self._last = res.values
        stop = {
            "gap": "within the gap",
            "rounds": "round limit",
            "time": "time limit: the plan depends on the machine's speed",
        }.get(res.stopped, res.stopped)
        if (
            res.start.startswith(("sequential+", "placement+"))
            and self._seq_timed
            and res.stopped != "time"
        ):
            stop += " (its start's placement stopped at the time limit: it depends on the speed)"
        self._note = (
            f"LNS: {res.iterations} neighbourhoods, {res.improved} improvements from the "
            f"{res.start} start; bound = LP relaxation; stopped at {stop}"
        )
        x = np.rint(res.values[hm.column(self.form.x)]).astype(int)
        n = None if self.form.n is None else res.values[hm.column(self.form.n)]
        y = None if self.form.y is None else res.values[hm.column(self.form.y)]
        return _Raw(res.status, x, n, res.gap, res.bound, compile_s, res.seconds, "", res.values, y)

    def _lp_routes(self, hm: HighsModel, time_limit: float) -> dict[tuple[str, int, int], int]:
        """The route of each transfer group that carries most of its lightpaths in the LP
        relaxation (the program without channel columns: the bound the search reports).
        The placement stage puts the group's transfers there: with the LP's routes its
        program's LP is 117,037 instead of 117,470 on cheapest routes (germany50 300 x 8,
        LP bound 117,036)."""
        if self.form.n is None:
            return {}
        cols = hm.column(self.form.y) if self.form.y is not None else None
        lp = hm.solve_without(cols, time_limit) if cols is not None else None
        if lp is None or lp.values is None:
            return {}
        n = lp.values[hm.column(self.form.n)]
        best: dict[int, tuple[float, int]] = {}
        for k, (g, r) in enumerate(self.form.route_cols):
            if n[k] > best.get(g, (1e-6, -1))[0]:
                best[g] = (float(n[k]), r)
        return {self.form.groups[g]: r for g, (_v, r) in best.items()}

    def _second_pass(self, inst: Instance, raw: _Raw, deadline: float, stop_gap: float) -> _Raw:
        """The rest of the time from the first pass's plan with its unserved work placed
        first-fit (and its blocked transfers repaired): the search then spends its time on
        improvements rather than on fitting that work in."""
        from optimizer.solve.repair import place_unserved, repair_blocked

        assert self._hm is not None
        placements = self._placements(inst, raw)
        lightpaths, blocked, _ = self._assign(inst, raw)
        if blocked:
            pl, lps, _left, _e = repair_blocked(inst, placements, lightpaths, blocked)
            placements, lightpaths = tuple(pl), lps
        todo = unserved_ids(inst, placements)
        if todo:
            pl, lps, _still, _e = place_unserved(inst, placements, lightpaths, todo)
            placements, lightpaths = tuple(pl), lps
        vals = self.warm.values(
            inst, Plan("feasible", placements=placements, lightpaths=tuple(lightpaths))
        )
        if vals is not None:
            vec = self._hm.vector(vals[0])
            if (
                blocked  # the first pass's counts have no wavelengths: not a plan to keep
                or self._last is None
                or self._hm.objective(vec) < self._hm.objective(self._last) - 1e-9
            ):
                self._last = vec
        first_note = self._note
        more = self._lns(inst, deadline, stop_gap, None, label="first pass")
        if more.values is None:
            return raw
        self._note = f"{first_note}; then {self._note.removeprefix('LNS: ')}"
        return more

    # -- reading the solution (optimizer.solve.extract) -----------------------

    def _who(self, inst: Instance, raw: _Raw) -> dict[int, list[str]]:
        return extract.who(self.form, inst, raw)

    def _placements(self, inst: Instance, raw: _Raw) -> tuple[Placement, ...]:
        return extract.placements(self.form, inst, raw)

    def _assign(
        self, inst: Instance, raw: _Raw
    ) -> tuple[list[Lightpath], list[Unassigned], dict[tuple[str, int], int]]:
        return extract.assign(self.form, inst, raw, self.seed)

    def _energy(self, inst: Instance, raw: _Raw, lightpaths: list[Lightpath]) -> np.ndarray:
        route_of = None if self.network else self.route_of
        return extract.energy(self.form, inst, raw, lightpaths, route_of, self.network)


def plan(
    instance: Instance,
    *,
    time_limit: float = 60.0,
    mip_gap: float = 0.01,
    with_lp_bound: bool = False,
) -> Plan:
    """Compile and solve ``instance`` once (see :class:`Planner` for re-plans)."""
    return Planner(instance).solve(
        time_limit=time_limit, mip_gap=mip_gap, with_lp_bound=with_lp_bound
    )
