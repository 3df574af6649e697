"""``fsor plan``: place workloads and route their lightpaths under hard caps.

With no inputs it plans the embedded default: the ORCA network
(:func:`topology.io.default_inventory`), ORCA's Table V signals and the
case-study job. ``--baseline`` runs one baseline planner on the same inputs
and reports it beside the joint plan (``"baseline"`` and ``"vs_baseline"`` in
the JSON). Exit 0 also for an infeasible plan (it carries its diagnosis),
2 for bad input, 1 when the solver fails.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
from collections.abc import Callable, Mapping
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

BASELINE_NAMES = ("none", "co2-only", "sequential", "first-fit")
log = logging.getLogger("fsor.plan")


def register(subparsers: Any) -> None:
    """Add ``plan`` to the ``fsor`` parser."""
    p = subparsers.add_parser(
        "plan",
        help="joint placement + lightpath plan under hard caps",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--network", default="default", help="file or named network (default)")
    p.add_argument("--signals", help="signal file (ORCA CSV, long CSV, Carbon Aware JSON, ...)")
    p.add_argument("--date", help="day to take from an ORCA Table V CSV (default: first)")
    p.add_argument("--policy", choices=MISSING_POLICIES, default="ffill", help="missing values")
    p.add_argument("--workloads", help="workloads YAML/JSON (default: ORCA's case-study job)")
    p.add_argument("--caps", help="caps YAML/JSON (the network's site caps always apply)")
    p.add_argument("--weights", help="YAML/JSON with 'weights' (and optional 'scales') per dim")
    p.add_argument("--baseline", choices=BASELINE_NAMES, default="none")
    p.add_argument("--time-limit", type=float, default=60.0, help="solver seconds (default 60)")
    p.add_argument("--mip-gap", type=float, default=0.01, help="relative MIP gap (default 0.01)")
    p.add_argument("--k", type=int, default=3, help="candidate routes per origin/site pair")
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
    p.set_defaults(handler=run)


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


def run_baseline(name: str, inst: Instance) -> Plan:
    """Run baseline ``name`` from :mod:`optimizer.baselines` on ``inst``."""
    try:
        baselines = importlib.import_module("optimizer.baselines")
    except ModuleNotFoundError as exc:
        raise InputError(
            "--baseline",
            "baseline",
            name,
            "expected an available baseline (optimizer.baselines is not installed)",
        ) from exc
    table: Mapping[str, Callable[[Instance], Plan]] = baselines.BASELINES
    if name not in table:
        raise InputError("--baseline", "baseline", name, f"expected one of {sorted(table)}")
    return table[name](inst)


def confidence(inst: Instance, plan: Plan, sigma: float) -> list[dict[str, Any]]:
    """Probability that each signal-weighted cap row of ``plan`` holds (relative error)."""
    from optimizer.analysis.robust import cap_confidence, plan_energy

    probs = cap_confidence(inst, plan_energy(inst, plan), sigma)
    return [
        {"cap": r.cap, "where": r.where, "day": r.day, "probability": round(p, 6)}
        for r, p in probs.items()
    ]


def compare(joint: Plan, other: Plan) -> dict[str, Any]:
    """Objective and per-dimension burden of ``joint`` relative to ``other`` (negative = lower)."""
    out: dict[str, Any] = {"planner": other.planner}
    if joint.objective is not None and other.objective:
        out["objective_change"] = (joint.objective - other.objective) / abs(other.objective)
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
    joint = Planner(inst).solve(
        time_limit=args.time_limit,
        mip_gap=args.mip_gap,
        with_lp_bound=args.lp_bound,
        method=args.method,
    )
    doc = joint.to_json()
    doc["slot_starts"] = [t.isoformat() for t in inst.slots]
    doc["slot_hours"] = inst.slot_hours
    if args.uncertainty is not None and joint.objective is not None:
        doc["cap_confidence"] = confidence(inst, joint, args.uncertainty)
    other = None
    if args.baseline != "none":
        other = run_baseline(args.baseline, inst)
        doc["baseline"] = other.to_json()
        doc["vs_baseline"] = compare(joint, other)
    if args.json:
        json.dump(doc, sys.stdout)
        sys.stdout.write("\n")
    else:
        print(_summary(joint))
        for line in fill_report(signals):
            print(line)
        for row in doc.get("cap_confidence", []):
            print(f"  P({row['cap']} {row['where']} {row['day']} holds) = {row['probability']:.3f}")
        if other is not None:
            print(f"--- baseline {args.baseline}")
            print(_summary(other))
            print(json.dumps(doc["vs_baseline"], indent=1))
    return 1 if joint.status == "error" else 0
