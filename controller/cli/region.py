"""``fsor region``: the Feasible Sovereign Operating Region of the plan inputs.

α is the largest scale of the workload mix that fits under every cap (LP
relaxation; ``--integral``: integral placements, by bisection with proven
bounds). The caps that bind at α are listed with their use and limit, and each
gets an investment signal: α gained per unit of the cap (the LP dual, checked
by a re-solve with the cap raised), ranked by α per +1 % of the limit.
``--robust EPS`` adds the chance-constrained α (caps hold w.p. ≥ 1 − EPS under
a relative forecast error ``--sigma``). With workload variants, α is also
reported without throttling. ``--x CAP=LO:HI:N [--y CAP=LO:HI:N]`` sweeps a map
of cells on Ray (local by default, ``--ray-address`` or RAY_ADDRESS for a
cluster; local processes when Ray is not installed), resumable with
``--results FILE``; ``--png FILE`` draws it. See docs/region.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from pathlib import Path
from typing import Any

from controller.cli.plan import _inputs, add_input_arguments
from controller.cli.plan_live import add_live_arguments, check_magnitudes
from optimizer.analysis.region import Region, region
from optimizer.analysis.sweep import Axis, parse_axis, with_axes
from optimizer.inputs import make_instance
from optimizer.inputs.caps import Caps
from optimizer.inputs.instance import Instance
from topology.errors import InputError

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add ``region`` to the ``fsor`` parser."""
    p = subparsers.add_parser(
        "region",
        help="FSOR: alpha, binding caps, investment signals, cap maps (Ray)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_live_arguments(p)  # --lab / --devices: the region of a discovered network
    add_input_arguments(p)
    p.add_argument("--time-limit", type=float, default=60.0, help="solver seconds per solve")
    p.add_argument("--integral", action="store_true", help="also the integral alpha (bisection)")
    p.add_argument("--robust", type=float, metavar="EPS", help="chance-constrained alpha, P>=1-EPS")
    p.add_argument("--sigma", type=float, default=0.1, help="relative forecast error for --robust")
    p.add_argument("--max-signals", type=int, default=10, help="investment signals to report")
    p.add_argument("--x", metavar="CAP=LO:HI:N", help="map axis x (power:SITE, water:SITE, ...)")
    p.add_argument("--y", metavar="CAP=LO:HI:N", help="map axis y")
    p.add_argument("--png", help="draw the map to this PNG file")
    p.add_argument("--results", help="results file of the sweep (resumable: done cells skipped)")
    p.add_argument("--workers", type=int, default=2, help="Ray workers / processes (default 2)")
    p.add_argument(
        "--backend",
        choices=("auto", "ray", "processes", "inline"),
        default="auto",
        help="auto: Ray when installed, else local processes",
    )
    p.add_argument("--ray-address", help="Ray cluster address (default: RAY_ADDRESS, else local)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(handler=run)


def _num(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _fingerprint(args: argparse.Namespace, axes: list[Axis]) -> str:
    h = hashlib.sha256()
    for name in ("network", "signals", "date", "policy", "workloads", "caps", "weights", "k"):
        v = getattr(args, name)
        h.update(f"{name}={v};".encode())
        if isinstance(v, str) and Path(v).is_file():
            h.update(Path(v).read_bytes())
    h.update(json.dumps([a.to_json() for a in axes]).encode())
    return h.hexdigest()


def _check(args: argparse.Namespace) -> None:
    if not args.time_limit > 0:
        raise InputError("--time-limit", "time_limit", args.time_limit, "expected seconds > 0")
    if args.robust is not None and not 0 < args.robust < 1:
        raise InputError("--robust", "epsilon", args.robust, "expected a probability in (0, 1)")
    if not args.sigma >= 0:
        raise InputError("--sigma", "sigma", args.sigma, "expected a relative error >= 0")
    if args.max_signals < 0:
        raise InputError("--max-signals", "max_signals", args.max_signals, "expected >= 0")
    if args.y and not args.x:
        raise InputError("--y", "axis", args.y, "expected --x as well")
    if args.png and not args.x:
        raise InputError("--png", "png", args.png, "expected a map (--x)")
    if args.workers < 1:
        raise InputError("--workers", "workers", args.workers, "expected a whole number >= 1")


def _region_doc(inst: Instance, args: argparse.Namespace) -> tuple[Region, dict[str, Any]]:
    r = region(inst, time_limit=args.time_limit, max_signals=args.max_signals)
    doc: dict[str, Any] = {
        "alpha": _num(r.alpha),
        "status": r.status,
        "binding": [b.label for b in r.binding],
        "binding_rows": [b.to_json() for b in r.binding],
        "signals": [s.to_json() for s in r.signals],
    }
    if args.integral:
        from optimizer.analysis.region_integral import integral_alpha

        doc["alpha_integral"] = integral_alpha(
            inst, time_limit=args.time_limit, lp_alpha=r.alpha
        ).to_json()
    if args.robust is not None:
        from optimizer.analysis.robust import robust_region

        rr = robust_region(inst, args.sigma, args.robust)
        doc["alpha_robust"] = {
            "alpha": _num(rr.alpha) if rr.alpha is not None else None,
            "epsilon": args.robust,
            "sigma": args.sigma,
            "status": rr.status,
            "deterministic_alpha": _num(r.alpha),
            "note": rr.message,
        }
    return r, doc


def run(args: argparse.Namespace) -> int:
    """Handler of ``fsor region``."""
    _check(args)
    inventory, signals, workloads, caps, weights, scales = _inputs(args)
    check_magnitudes(workloads, inventory)  # the same guard as `fsor plan`
    sites = [s.id for s in inventory.sites]
    regions = {s.region for s in inventory.sites}
    axes = [parse_axis(args.x, "--x", sites=sites, regions=regions)] if args.x else []
    if args.y:
        axes.append(parse_axis(args.y, "--y", sites=sites, regions=regions))
        if axes[0].cap == axes[1].cap:
            raise InputError("--y", "cap", axes[1].cap, "expected a cap other than --x's")
    base_caps = caps or Caps()
    from optimizer.analysis.throttle import throttle_report

    inst = make_instance(inventory, signals, workloads, base_caps, weights, scales, k=args.k)
    r, doc = _region_doc(inst, args)
    throttling = throttle_report(inventory, signals, workloads, base_caps, weights, scales, args.k)
    if throttling is not None:
        doc["alpha_throttled"] = throttling
    doc["axes"] = [a.to_json() for a in axes]
    doc["grid"] = []
    if axes:
        from controller.sweep_runner import run_sweep

        minst = make_instance(
            inventory, signals, workloads, with_axes(base_caps, axes), weights, scales, k=args.k
        )
        sweep = run_sweep(
            minst,
            axes,
            workers=args.workers,
            backend=args.backend,
            ray_address=args.ray_address,
            results=Path(args.results) if args.results else None,
            fingerprint=_fingerprint(args, axes),
            time_limit=args.time_limit,
            progress=not args.no_progress,
        )
        for note in sweep.notes:
            print(f"fsor region: {note}", file=sys.stderr)
        doc["grid"] = [c.to_json() for c in sweep.results]
        doc["sweep"] = {
            "backend": sweep.backend,
            "workers": sweep.workers,
            "cells": len(sweep.results),
            "resumed": sweep.resumed,
            "wall_s": sweep.wall_s,
            "startup_s": sweep.startup_s,
            "cpu_s_per_worker": list(sweep.cpu_s),
            "cells_per_s": sweep.cells_per_s,
            "notes": list(sweep.notes),
        }
        if args.png:
            from controller.region_map import write_map

            write_map(Path(args.png), axes, sweep.results)
            doc["png"] = args.png
    if args.json:
        json.dump(doc, sys.stdout)
        sys.stdout.write("\n")
    else:
        print(_text(r, doc))
    return 1 if r.status == "error" else 0


def _text(r: Region, doc: dict[str, Any]) -> str:
    a = "unbounded (nothing caps the mix)" if math.isinf(r.alpha) else f"{r.alpha:.6g}"
    lines = [f"alpha (LP relaxation): {a}"]
    if "alpha_integral" in doc:
        ai = doc["alpha_integral"]
        lines.append(f"alpha (integral): {ai['lower']:.6g} <= alpha <= {ai['upper']}  {ai['note']}")
    if "alpha_robust" in doc:
        ar = doc["alpha_robust"]
        lines.append(
            f"alpha (P >= {1 - ar['epsilon']:g}, sigma {ar['sigma']:g}): {ar['alpha']} "
            f"[{ar['status']}]"
        )
    if "alpha_throttled" in doc:
        at = doc["alpha_throttled"]
        lines.append(f"alpha with throttling: {at['with']}  without: {at['without']}")
    lines.append(f"binding at alpha ({len(r.binding)} rows):")
    for b in r.binding[:10]:
        lines.append(f"  {b.label}: {b.use:.6g} / {b.limit:.6g} {b.unit}")
    if r.signals:
        lines.append("investment signals (ranked by alpha per +1 % of the cap):")
        for s in r.signals:
            fd = "n/a" if s.d_alpha_fd is None else f"{s.d_alpha_fd:.6g}"
            lines.append(
                f"  {s.sentence()}   [{s.d_alpha_per_unit:.6g} per {s.unit}; re-solve {fd}]"
            )
    if doc.get("grid"):
        sw = doc["sweep"]
        inside = sum(1 for c in doc["grid"] if c["feasible"])
        lines.append(
            f"map: {sw['cells']} cells ({inside} inside), {sw['resumed']} resumed, "
            f"{sw['cells_per_s']:.3g} cells/s on {sw['backend']} x{sw['workers']}"
        )
        if "png" in doc:
            lines.append(f"map drawn to {doc['png']}")
    return "\n".join(lines)
