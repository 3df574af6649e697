"""``fsor validate FILE``: check any input file fsor reads, without touching anything.

The kind is guessed from the file (``--kind`` to say it): a plan (``lightpaths``), a
devices file (``devices``), a clab file (``topology``), workloads (``workloads``), caps,
weights, or a signal file (``.csv``). Exit 0 valid, 2 invalid (the message names the
file, the field and the value).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from topology.errors import InputError
from topology.strict_load import load_text

__all__ = ["KINDS", "guess_kind", "register", "validate_file"]

KINDS = ("plan", "devices", "clab", "workloads", "caps", "weights", "signals")


def register(subparsers: Any) -> None:
    """Add ``fsor validate``."""
    p = subparsers.add_parser(
        "validate",
        help="check an input file (plan, devices, clab, workloads, caps, weights, signals)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", metavar="FILE")
    p.add_argument("--kind", choices=KINDS, help="the kind of file (default: guessed)")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(handler=run)


def guess_kind(path: str) -> str:
    """The kind of ``path`` from its suffix and top-level keys."""
    if path.endswith((".csv", ".tsv")):
        return "signals"
    if path.endswith((".clab.yml", ".clab.yaml")):
        return "clab"
    try:
        doc = load_text(Path(path).read_text(), path)
    except OSError as exc:
        raise InputError(path, "file", path, f"expected a readable file ({exc})") from exc
    keys = set(doc) if isinstance(doc, Mapping) else set()
    for key, kind in (
        ("lightpaths", "plan"),
        ("devices", "devices"),
        ("topology", "clab"),
        ("workloads", "workloads"),
        ("weights", "weights"),
        ("scales", "weights"),
    ):
        if key in keys:
            return kind
    if keys & {"site_power", "site_water_per_day", "carbon_per_day", "zone_caps"}:
        return "caps"
    if isinstance(doc, list):
        return "workloads"
    raise InputError(path, "(document)", sorted(keys), f"expected a known kind ({KINDS}); --kind")


def _plan(path: str) -> str:
    """Schema, status, ranges, grid, loops and per-slot spectrum (the network is checked
    by ``fsor apply``, which knows it)."""
    from controller.plan_input import intents, parse_plan
    from controller.schemas import PlanDoc, load
    from controller.validate import check_grid, check_paths, check_ranges, check_spectrum

    plan = parse_plan(load(PlanDoc, path).model_dump(), path)
    for slot in sorted({lp.slot for lp in plan.lightpaths}):
        lps = [lp for lp in plan.lightpaths if lp.slot == slot]
        its = intents(lps, [("a", "z")] * len(lps))
        check_ranges(its, path)
        check_grid(its, path)
        hops = {frozenset(h) for it in its for h in zip(it.path, it.path[1:], strict=False)}
        check_paths(its, path, fibres=hops, attached={})
        check_spectrum(its, path)
    return f"plan: {plan.status}, {len(plan.lightpaths)} lightpaths (network checks at apply)"


def _devices(path: str) -> str:
    from controller.schemas import DevicesDoc, load

    doc = load(DevicesDoc, path)
    return f"devices: {len(doc.devices)}"


def _clab(path: str) -> str:
    from containerlab.clab import load

    lab = load(path)
    return f"clab: {lab.name}, {len(lab.nodes)} nodes, {len(lab.links)} links"


def _workloads(path: str) -> str:
    from optimizer.inputs.workloads import load_workloads

    return f"workloads: {len(load_workloads(path))}"


def _caps(path: str) -> str:
    from optimizer.inputs.caps import load_caps

    load_caps(path)
    return "caps: ok"


def _weights(path: str) -> str:
    from optimizer.inputs.caps import load_scales, load_weights

    load_weights(path)
    load_scales(path)
    return "weights: ok"


def _signals(path: str) -> str:
    from optimizer.inputs.signals import load_signals

    sig = load_signals(path)
    return (
        f"signals: {len(sig.regions)} regions, {len(sig.slots)} slots, "
        f"{len(sig.filled)} missing values (filled by ffill; `fsor plan --strict` refuses)"
    )


CHECKS: dict[str, Callable[[str], str]] = {
    "plan": _plan,
    "devices": _devices,
    "clab": _clab,
    "workloads": _workloads,
    "caps": _caps,
    "weights": _weights,
    "signals": _signals,
}


def validate_file(path: str, kind: str | None = None) -> tuple[str, str]:
    """(kind, summary) of a valid file; :class:`InputError` otherwise."""
    kind = kind or guess_kind(path)
    return kind, CHECKS[kind](path)


def run(args: argparse.Namespace) -> int:
    """Handler of ``fsor validate``."""
    kind, summary = validate_file(args.file, args.kind)
    if args.json:
        json.dump({"file": args.file, "kind": kind, "valid": True, "summary": summary}, sys.stdout)
        sys.stdout.write("\n")
    else:
        print(f"{args.file}: valid {summary}")
    return 0
