"""``fsor experiment NAME``: re-compute a claim from real data, with a report, plots and JSON.

Experiments (docs/experiments.md):

* ``orca`` — ORCA's Table V case study: per start hour the data centre chosen
  by CO2-only and by zone-aware placement (``--weights co2eq=2,water=0`` or a
  weights YAML; equal weights by default), both burdens, counts per region.
* ``year`` — all of 2023 (real hourly carbon intensity and prices, DE-LU,
  JP-TK, US-CAL-CISO), a seeded workload stream over the ORCA network, one plan
  per day: joint vs sequential(+repair) vs first-fit vs co2-only. Days run as
  independent tasks (``--workers``), resumable from ``OUT/tasks.jsonl``.
* ``backbone`` — GNPy's CORONET Global with data centres at chosen nodes and
  scarce channels: the same comparison on a few days of 2023.

Each writes ``OUT/report.md``, PNG figures and ``OUT/NAME.json`` (every number
of the report); ``--json`` also prints that document on stdout. Deterministic
for a given ``--seed`` (wall times aside).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from topology.errors import InputError

__all__ = ["register", "run"]

NAMES = ("orca", "year", "backbone")
log = logging.getLogger("fsor.experiment")


def register(subparsers: Any) -> None:
    """Add ``experiment`` to the ``fsor`` parser."""
    p = subparsers.add_parser(
        "experiment",
        help="re-compute a claim from real data: report, PNG plots, JSON",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("name", choices=NAMES, metavar="NAME", help=" | ".join(NAMES))
    p.add_argument("--out", help="output directory (default ./fsor-experiment-NAME)")
    p.add_argument("--json", action="store_true", help="print the JSON document on stdout")
    p.add_argument("--weights", help="orca: 'dim=w,...' or a weights YAML (default all 1)")
    p.add_argument("--seed", type=int, default=0, help="year/backbone: workload seed")
    p.add_argument("--days", type=int, help="year: first N days only; backbone: days (4)")
    p.add_argument("--workers", type=int, default=1, help="year/backbone: worker processes")
    p.add_argument("--ray", action="store_true",
                   help="year/backbone: run the days as Ray tasks (a local Ray of --workers CPUs)")
    p.add_argument("--ray-address", default=os.environ.get("RAY_ADDRESS"),
                   help="year/backbone: the Ray cluster to use (implies --ray; env RAY_ADDRESS)")
    p.add_argument("--time-limit", type=float, default=20.0, help="solver seconds per plan")
    p.add_argument("--fresh", action="store_true", help="ignore OUT/tasks.jsonl (no resume)")
    p.add_argument("--no-progress", dest="progress", action="store_false",
                   help="no progress bar on stderr")
    p.set_defaults(handler=run)


def _weights(spec: str | None) -> dict[str, float] | None:
    from optimizer.analysis.experiment_orca import parse_weights

    if spec is None:
        return None
    path = Path(spec)
    if path.is_file():
        from optimizer.inputs.caps import load_weights
        from optimizer.inputs.instance import BURDEN_DIMS

        w = load_weights(path)
        return {d: w.get(d) for d in BURDEN_DIMS}
    return parse_weights(spec)


def _orca(args: argparse.Namespace, out: Path) -> dict[str, Any]:
    from controller.experiment_plots import orca_figures
    from controller.experiment_report import orca_markdown, write_outputs
    from optimizer.analysis.experiment_orca import orca_case

    doc = orca_case(_weights(args.weights)).to_json()
    figures = orca_figures(doc, out)
    doc["figures"] = figures
    write_outputs(out, "orca", doc, orca_markdown(doc, figures))
    return doc


def _year(args: argparse.Namespace, out: Path) -> dict[str, Any]:
    from controller.experiment_year import run_year

    return run_year(args, out)


def _backbone(args: argparse.Namespace, out: Path) -> dict[str, Any]:
    from controller.experiment_year import run_backbone

    return run_backbone(args, out)


def run(args: argparse.Namespace) -> int:
    """Handler of ``fsor experiment``."""
    if args.workers < 1:
        raise InputError("--workers", "workers", args.workers, "expected an integer >= 1")
    if not args.time_limit > 0:
        raise InputError("--time-limit", "time_limit", args.time_limit, "expected seconds > 0")
    if args.days is not None and args.days < 1:
        raise InputError("--days", "days", args.days, "expected an integer >= 1")
    if args.weights is not None and args.name != "orca":
        raise InputError("--weights", "weights", args.weights, "expected only with NAME orca")
    if args.name == "orca":
        _weights(args.weights)  # bad weights fail before anything is written
    out = Path(args.out or f"fsor-experiment-{args.name}")
    if out.exists() and not out.is_dir():
        raise InputError("--out", "out", str(out), "expected a directory")
    out.mkdir(parents=True, exist_ok=True)
    doc = {"orca": _orca, "year": _year, "backbone": _backbone}[args.name](args, out)
    if args.json:
        json.dump(doc, sys.stdout)
        sys.stdout.write("\n")
    else:
        print(f"wrote {out / 'report.md'}, {out / (args.name + '.json')}, "
              + ", ".join(str(out / f) for f in doc.get("figures", [])))
    return 0
