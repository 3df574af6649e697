"""``fsor plan``: place workloads and route their lightpaths under hard caps.

With no inputs it plans the embedded default: the ORCA network
(:func:`topology.io.default_inventory`), ORCA's Table V signals and the
case-study job. ``--baseline`` runs one baseline planner on the same inputs
and reports it beside the joint plan (``"baseline"`` and ``"vs_baseline"`` in
the JSON). Exit 0 also for an infeasible plan (it carries its diagnosis),
2 for bad input, 1 only for an internal error (a plan that serves part of the work is an
answer: status ``feasible`` or ``infeasible``, with its unserved workloads and a diagnosis).
``--from PREVIOUS.json`` re-plans from an earlier plan; ``--seed`` makes the search
reproducible; ``-v`` logs the search's progress on stderr.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import shutil
import sys
from collections.abc import Callable
from typing import Any

from controller.cli.plan_live import (
    add_live_arguments,
    check_magnitudes,
    fill_report,
    live_inventory,
    refuse_fills,
)
from optimizer.inputs import make_instance
from optimizer.inputs.caps import Caps, Scales, Weights, load_caps, load_scales, load_weights
from optimizer.inputs.instance import Instance
from optimizer.inputs.signal_series import MISSING_POLICIES, Signals
from optimizer.inputs.workloads import Workload
from optimizer.model.plan import Plan
from optimizer.solve.program import Planner
from topology.errors import InputError
from topology.model import Inventory

__all__ = ["compare", "register", "run_baseline"]

BASELINE_NAMES = ("none", "co2-only", "sequential", "sequential+repair", "first-fit")
log = logging.getLogger("fsor.plan")


def register(subparsers: Any) -> None:
    """Add ``plan`` to the ``fsor`` parser."""
    p = subparsers.add_parser(
        "plan",
        help="joint placement + lightpath plan under hard caps",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_input_arguments(p)
    p.add_argument("--baseline", choices=BASELINE_NAMES, default="none")
    p.add_argument("--time-limit", type=float, default=60.0, help="solver seconds (default 60)")
    p.add_argument("--mip-gap", type=float, default=0.01, help="relative MIP gap (default 0.01)")
    p.add_argument("--lp-bound", action="store_true", help="also solve the LP relaxation")
    p.add_argument(
        "--method",
        choices=("auto", "lns", "milp"),
        default="auto",
        help="auto (LNS from 1000 placement options), lns or milp (docs/model.md)",
    )
    p.add_argument(
        "--uncertainty",
        type=float,
        metavar="R",
        help="audit: probability each signal-weighted cap holds if signals err by R x value "
        "(Gaussian, independent; docs/robust.md)",
    )
    add_live_arguments(p)
    p.add_argument("--json", action="store_true", help="print one JSON document")
    add_search_options(p)
    p.set_defaults(handler=run)


def add_input_arguments(p: argparse.ArgumentParser) -> None:
    """The inputs of a program (``plan`` and ``region``): network, signals, workloads, caps."""
    p.add_argument("--network", default="default", help="file or named network (default)")
    p.add_argument("--signals", help="signal file (ORCA CSV, long CSV, Carbon Aware JSON, ...)")
    p.add_argument("--date", help="day to take from an ORCA Table V CSV (default: first)")
    p.add_argument("--policy", choices=MISSING_POLICIES, default="ffill", help="missing values")
    p.add_argument("--workloads", help="workloads YAML/JSON (default: ORCA's case-study job)")
    p.add_argument("--caps", help="caps YAML/JSON (the network's site caps always apply)")
    p.add_argument("--weights", help="YAML/JSON with 'weights' (and optional 'scales') per dim")
    p.add_argument("--k", type=int, default=3, help="candidate routes per origin/site pair")


def add_search_options(p: argparse.ArgumentParser) -> None:
    """The search options: ``--seed``, ``--from``, ``--lost-work``, ``--max-rounds``,
    ``--channels``, ``--no-progress``."""
    p.add_argument(
        "--seed", type=int, default=0, help="seed of HiGHS and the search (same seed, same plan)"
    )
    p.add_argument(
        "--from",
        dest="previous",
        metavar="PREVIOUS.json",
        help="re-plan from a previous plan (fsor plan --json output): keep what still holds, "
        "move only the workloads on broken rows, then search from there",
    )
    p.add_argument(
        "--lost-work",
        type=float,
        metavar="FACTOR",
        help="value of a workload left unserved = FACTOR x its kWh x the dearest objective "
        "coefficient (default 10; docs/model.md)",
    )
    p.add_argument(
        "--max-rounds",
        type=int,
        metavar="N",
        help="stop the LNS after N rounds: a work limit that, unlike the time limit, gives "
        "the same plan on a loaded machine",
    )
    p.add_argument(
        "--channels",
        choices=("auto", "exact", "aggregate"),
        default="auto",
        help="exact: a variable per route and channel, so the program chooses every "
        "wavelength; aggregate: lightpath counts coloured afterwards; auto (default): exact "
        "where the spectrum is scarce and the model small (docs/model.md)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress line on a terminal")


def progress_reporter(args: argparse.Namespace) -> Callable[[str], None] | None:
    """Search progress: log lines with ``-v``, else one updated line on a terminal."""
    if getattr(args, "verbose", 0) > 0:
        return lambda msg: log.info("%s", msg)
    if args.no_progress or not sys.stderr.isatty():
        return None

    def line(msg: str) -> None:
        sys.stderr.write("\r\x1b[2K" + msg[: shutil.get_terminal_size().columns - 1])
        sys.stderr.flush()

    return line


def _search_setup(
    args: argparse.Namespace, inst: Instance
) -> tuple[Instance, Plan | None, dict[str, Any]]:
    """The instance with ``--lost-work``, the ``--from`` plan, and the Planner's options."""
    from dataclasses import replace

    if args.lost_work is not None:
        if not args.lost_work >= 0:
            raise InputError("--lost-work", "lost_work", args.lost_work, "expected a factor >= 0")
        inst = replace(inst, lost_work_factor=float(args.lost_work))
    if args.max_rounds is not None and args.max_rounds < 1:
        raise InputError("--max-rounds", "max_rounds", args.max_rounds, "expected rounds >= 1")
    previous = None
    if args.previous:
        from optimizer.solve.replan import plan_from_json

        try:
            with open(args.previous, encoding="utf-8") as fh:
                doc = json.load(fh)
        except OSError as exc:
            raise InputError(args.previous, "file", args.previous, f"readable ({exc})") from exc
        except json.JSONDecodeError as exc:
            raise InputError(args.previous, "json", exc.msg, "a plan JSON document") from exc
        previous = plan_from_json(doc, inst, source=args.previous)
    opts: dict[str, Any] = {
        "seed": args.seed,
        "progress": progress_reporter(args),
        "max_rounds": args.max_rounds,
        "channels": getattr(args, "channels", "auto"),
    }
    return inst, previous, opts


def _inputs(
    args: argparse.Namespace,
) -> tuple[Inventory, Signals, tuple[Workload, ...], Caps | None, Weights | None, Scales | None]:
    from optimizer.inputs.signals import default_signals, load_signals
    from optimizer.inputs.workloads import default_workloads, load_workloads
    from topology.build import build
    from topology.io import load_source

    inventory = live_inventory(args) or load_source(args.network)
    if args.signals:
        opts: dict[str, Any] = {"policy": args.policy}
        if args.date:
            opts["date"] = args.date
        signals = load_signals(args.signals, **opts)
    else:
        signals = default_signals(args.date or "2025-07-01", policy=args.policy)
    site_ids = [s.id for s in inventory.sites]
    if args.workloads:
        workloads = load_workloads(
            args.workloads, nodes=list(build(inventory).nodes), sites=site_ids
        )
    else:
        workloads = default_workloads()
    caps = None
    if args.caps:
        caps = load_caps(args.caps, sites=site_ids, regions={s.region for s in inventory.sites})
    weights = load_weights(args.weights) if args.weights else None
    scales = load_scales(args.weights) if args.weights else None
    return inventory, signals, workloads, caps, weights, scales


def run_baseline(name: str, inst: Instance, time_limit: float = 60.0) -> Plan:
    """Run baseline ``name`` from :mod:`optimizer.baselines` on ``inst`` within ``time_limit``."""
    try:
        baselines = importlib.import_module("optimizer.baselines")
    except ModuleNotFoundError as exc:
        raise InputError(
            "--baseline",
            "baseline",
            name,
            "expected an available baseline (optimizer.baselines is not installed)",
        ) from exc
    runner: Callable[..., Plan] = baselines.run_baseline
    return runner(name, inst, time_limit=time_limit)


def confidence(inst: Instance, plan: Plan, sigma: float) -> list[dict[str, Any]]:
    """Probability that each signal-weighted cap row of ``plan`` holds (relative error)."""
    from optimizer.analysis.robust import cap_confidence, plan_energy

    probs = cap_confidence(inst, plan_energy(inst, plan), sigma)
    return [
        {"cap": r.cap, "where": r.where, "day": r.day, "probability": round(p, 6)}
        for r, p in probs.items()
    ]


def compare(joint: Plan, other: Plan) -> dict[str, Any]:
    """Objective and per-dimension burden of ``joint`` relative to ``other`` (negative = lower).

    Like with like: both objectives are the served work's burdens plus the value of the
    work not served (unserved, or blocked without a wavelength), and the served counts
    are reported beside them (``served_joint``, ``served_baseline``, ``same_served``).
    """
    out: dict[str, Any] = {"planner": other.planner}
    out["served_joint"] = joint.served
    out["served_baseline"] = other.served
    out["unserved_baseline"] = len(other.unserved)
    out["blocked_baseline"] = len(other.blocked)
    out["same_served"] = (
        joint.served == other.served
        and set(joint.unserved) == set(other.unserved)
        and set(joint.blocked) == set(other.blocked)
    )
    if joint.objective is not None and other.objective:
        out["objective_change"] = (joint.objective - other.objective) / abs(other.objective)
        # the burdens alone (lost work left out), for plans that serve the same work
        a, b = joint.objective - joint.lost_work, other.objective - other.lost_work
        out["served_objective_change"] = (a - b) / abs(b) if b else None
    dims = sorted({k for b in (*joint.burdens, *other.burdens) for k in b.burdens})
    out["burden_change"] = {}
    for d in dims:
        a, b = joint.total_burden(d), other.total_burden(d)
        out["burden_change"][d] = (a - b) / abs(b) if b else None
    out["baseline_violated_caps"] = len(other.violated)
    out["baseline_unassigned"] = len(other.unassigned)
    return out


def _summary(p: Plan) -> str:
    lines = [f"status: {p.status}  objective: {p.objective}  gap: {p.gap}  bound: {p.bound}"]
    t = p.timings
    lines.append(f"compile {t.compile_s:.3f} s  solve {t.solve_s:.3f} s  assign {t.assign_s:.3f} s")
    for pl in p.placements[:20]:
        lines.append(f"  {pl.workload} -> {pl.site} at {pl.start.isoformat()}")
    if len(p.placements) > 20:
        lines.append(f"  ... {len(p.placements) - 20} more placements")
    for lp in p.lightpaths[:10]:
        lines.append(f"  lightpath {lp.workload}: {'-'.join(lp.path)} @ {lp.frequency_thz} THz")
    for r in p.diagnosis:
        lines.append(
            f"  relax {r.cap} {r.site_or_zone} {r.slot or ''} by {r.needed_relaxation:.4g} {r.unit}"
        )
    for c in p.violated:
        where = f"{c.cap} {c.site_or_zone} {c.slot or ''}"
        lines.append(f"  VIOLATED {where}: {c.value:.4g} > {c.limit:.4g} {c.unit}")
    if p.message:
        lines.append(f"  note: {p.message}")
    return "\n".join(lines)


def _green(inst: Instance, planned: list[Workload], plan: Plan) -> dict[str, Any]:
    """SCI per placed workload and the Green Score per site and slot (docs/region.md)."""
    from optimizer.analysis.sci import green_score_rows, plan_sci

    return {
        "sci": [r.to_json() for r in plan_sci(inst, planned, plan)],
        "green_score": green_score_rows(inst),
    }


def run(args: argparse.Namespace) -> int:
    """Handler of ``fsor plan``."""
    if not args.time_limit > 0:
        raise InputError("--time-limit", "time_limit", args.time_limit, "expected seconds > 0")
    if not 0 <= args.mip_gap < 1:
        raise InputError("--mip-gap", "mip_gap", args.mip_gap, "expected a gap in [0, 1)")
    inventory, signals, workloads, caps, weights, scales = _inputs(args)
    refuse_fills(args, signals)
    check_magnitudes(workloads, inventory)
    inst = make_instance(inventory, signals, workloads, caps, weights, scales, k=args.k)
    if args.uncertainty is not None and not args.uncertainty >= 0:
        raise InputError("--uncertainty", "uncertainty", args.uncertainty, "expected R >= 0")
    inst, previous, search = _search_setup(args, inst)
    progress = search["progress"]
    throttling = None
    if any(w.variants for w in workloads):
        from optimizer.analysis.throttle import throttled_plan

        joint, selection = throttled_plan(
            inventory,
            signals,
            workloads,
            caps,
            weights,
            scales,
            k=args.k,
            time_limit=args.time_limit,
            mip_gap=args.mip_gap,
            method=args.method,
        )
        throttling = selection.to_json()
        planned = selection.planned(workloads)
    else:
        joint = Planner(inst, **search).solve(
            time_limit=args.time_limit,
            mip_gap=args.mip_gap,
            with_lp_bound=args.lp_bound,
            method=args.method,
            previous=previous,
        )
        planned = list(workloads)
    if progress is not None and not getattr(args, "verbose", 0):
        sys.stderr.write("\r\x1b[2K")  # the progress line is done
    doc = joint.to_json()
    doc["slot_starts"] = [t.isoformat() for t in inst.slots]
    doc["slot_hours"] = inst.slot_hours
    if throttling is not None:
        doc["throttling"] = throttling
    doc.update(_green(inst, planned, joint))
    if args.uncertainty is not None and joint.objective is not None:
        doc["cap_confidence"] = confidence(inst, joint, args.uncertainty)
    other = None
    if args.baseline != "none":
        other = run_baseline(args.baseline, inst, time_limit=args.time_limit)
        doc["baseline"] = other.to_json()
        doc["vs_baseline"] = compare(joint, other)
    if args.json:
        json.dump(doc, sys.stdout)
        sys.stdout.write("\n")
    else:
        print(_summary(joint))
        for line in fill_report(signals):
            print(line)
        for row in doc["sci"][:20]:
            print(f"  SCI {row['workload']} at {row['site']}: {row['sci']:.4g} {row['unit']}")
        if throttling is not None:
            print(f"  throttling: value lost {throttling['value_lost']:.4g}")
        for row in doc.get("cap_confidence", []):
            print(f"  P({row['cap']} {row['where']} {row['day']} holds) = {row['probability']:.3f}")
        if other is not None:
            print(f"--- baseline {args.baseline}")
            print(_summary(other))
            print(json.dumps(doc["vs_baseline"], indent=1))
    return 1 if joint.status == "error" else 0
