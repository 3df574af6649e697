"""``fsor apply PLAN.json``: push a plan's lightpaths as one confirmed transaction."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from controller.cli.discover import add_target_arguments, options_from_args, seed_from_args
from controller.discovery import discover
from controller.provision import ApplyResult, apply_intents, intents_from_plan
from controller.session import SessionPool
from topology.errors import InputError

__all__ = ["apply_plan_file", "register"]


def register(subparsers: Any) -> None:
    """Add ``fsor apply``."""
    p = subparsers.add_parser(
        "apply",
        help="push a plan's lightpaths to the devices as one confirmed-commit transaction",
        description="Discover the devices, diff the plan's lightpaths against their running "
        "configs and push the difference (additions and removals) as ONE transaction: lock "
        "all, edit candidates, commit confirmed, verify, confirm; any failure rolls back all.",
    )
    p.add_argument("plan", metavar="PLAN.json", help="a plan (`fsor plan --json` output)")
    add_target_arguments(p)
    p.add_argument("--dry-run", action="store_true", help="print the per-device XML diff only")
    p.add_argument(
        "--confirm-timeout", type=int, default=60, metavar="S", help="confirmed-commit timeout"
    )
    p.add_argument("--mode", type=int, default=None, help="transponder operational-mode id")
    p.add_argument("--power-dbm", type=float, default=0.0, help="target output power (0 dBm)")
    p.add_argument("--width-ghz", type=float, default=50.0, help="media channel width (50)")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(handler=run)


def _load_plan(path: str) -> dict[str, Any]:
    try:
        doc = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise InputError(path, "file", path, f"expected a readable JSON plan ({exc})") from exc
    if not isinstance(doc, dict):
        raise InputError(path, "(document)", type(doc).__name__, "expected a JSON object")
    return doc


async def apply_plan_file(args: argparse.Namespace) -> tuple[ApplyResult, list[dict[str, Any]]]:
    """Discover, then apply; returns the result and the unreachable devices."""
    plan = _load_plan(args.plan)
    intents = intents_from_plan(
        plan,
        args.plan,
        width_mhz=round(args.width_ghz * 1000),
        power_dbm=args.power_dbm,
        mode=args.mode,
    )
    seed = seed_from_args(args)
    opts = options_from_args(args, seed)
    async with SessionPool([d.endpoint for d in seed.devices], opts) as pool:
        found = await discover(seed, opts, pool=pool)
        down = [d.to_json() for d in found.devices if not d.reachable]
        result = await apply_intents(
            pool, found, intents, dry_run=args.dry_run, confirm_timeout_s=args.confirm_timeout
        )
    return result, down


def run(args: argparse.Namespace) -> int:
    """Handler of ``fsor apply``."""
    result, down = asyncio.run(apply_plan_file(args))
    if args.json:
        json.dump({**result.to_json(), "unreachable": down}, sys.stdout)
        sys.stdout.write("\n")
        return 0
    verb = "would change" if result.dry_run else "changed"
    print(f"{result.lightpaths} lightpaths; {verb} {len(result.changed)} devices")
    for d in down:
        print(f"  unreachable: {d['id']}: {d['reason']}")
    for dev, edit in sorted(result.edits.items()):
        print(f"  {dev}: {'; '.join(edit.changes)}")
        if result.dry_run:
            print(edit.diff)
    if result.timings:
        print("  " + ", ".join(f"{k} {v:.3f}" for k, v in result.timings.items()))
    return 0
