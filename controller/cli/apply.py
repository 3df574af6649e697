"""``fsor apply PLAN.json``: push one slot of a plan as one checked, recorded transaction.

Exit codes: 0 applied (or nothing to do), 2 bad input or a guard rail refused (nothing
was sent), 1 a device failed (everything rolled back).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from controller.cli.discover import add_target_arguments, options_from_args, seed_from_args
from controller.discovery import discover
from controller.plan_input import bind, intents, lightpaths_of_slot, parse_plan
from controller.provision import ApplyResult
from controller.safe_apply import ApplyOptions, apply_safely
from controller.session import SessionPool
from controller.store import Store, default_store_path, digest
from controller.validate import check_knobs, check_ranges
from topology.errors import InputError
from topology.strict_load import load_json

__all__ = ["add_apply_arguments", "apply_options", "apply_plan_file", "register"]


def add_apply_arguments(p: argparse.ArgumentParser) -> None:
    """Options shared by ``apply`` and ``rollback``."""
    p.add_argument("--dry-run", action="store_true", help="print the per-device XML diff only")
    p.add_argument(
        "--confirm-timeout", type=int, default=60, metavar="S", help="confirmed-commit timeout"
    )
    p.add_argument(
        "--lock-wait", type=float, default=60.0, metavar="S", help="wait for busy locks (60)"
    )
    p.add_argument(
        "--timeout", type=float, default=20.0, metavar="S", help="discovery, per device (20)"
    )
    p.add_argument(
        "--store",
        metavar="FILE",
        help="transaction store (default: FSOR_STORE or $XDG_STATE_HOME/fsor/fsor.sqlite)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON document")


def register(subparsers: Any) -> None:
    """Add ``fsor apply``."""
    p = subparsers.add_parser(
        "apply",
        help="push one slot of a plan to the devices as one confirmed-commit transaction",
        description="Discover the devices, check the plan's lightpaths (grid, band, loops, "
        "fibres, spectrum, YANG), lock every managed device, diff against their running "
        "configs and push the difference as ONE transaction: any failure rolls back all. "
        "Removing lightpaths the plan does not hold needs --allow-removals N or --yes.",
    )
    p.add_argument("plan", metavar="PLAN.json", help="a plan (`fsor plan --json` output)")
    add_target_arguments(p)
    slot = p.add_mutually_exclusive_group()
    slot.add_argument("--slot", type=int, metavar="N", help="the plan slot to apply")
    slot.add_argument("--at", metavar="TIME", help="apply the slot in force at ISO-8601 TIME")
    p.add_argument("--mode", type=int, default=None, help="transponder operational-mode id")
    p.add_argument("--power-dbm", type=float, default=0.0, help="target output power (0 dBm)")
    p.add_argument("--width-ghz", type=float, default=50.0, help="media channel width (50)")
    p.add_argument(
        "--allow-removals", type=int, default=0, metavar="N", help="remove up to N lightpaths"
    )
    p.add_argument("--yes", action="store_true", help="allow any number of removals")
    add_apply_arguments(p)
    p.set_defaults(handler=run)


def apply_options(
    args: argparse.Namespace,
    source: str,
    plan_digest: str | None,
    planned: frozenset[str] = frozenset(),
) -> ApplyOptions:
    """The :class:`ApplyOptions` the arguments ask for (range-checked)."""
    check_ranges([], "--confirm-timeout", confirm_timeout_s=args.confirm_timeout)
    if not 0 < args.timeout <= 3600:
        raise InputError("--timeout", "timeout", args.timeout, "expected seconds in (0, 3600]")
    if not 0 <= args.lock_wait <= 3600:
        raise InputError("--lock-wait", "lock_wait", args.lock_wait, "expected seconds in 0..3600")
    if getattr(args, "allow_removals", 0) < 0:
        raise InputError(
            "--allow-removals", "allow_removals", args.allow_removals, "expected N >= 0"
        )
    return ApplyOptions(
        source=source,
        dry_run=args.dry_run,
        confirm_timeout_s=args.confirm_timeout,
        allow_removals=getattr(args, "allow_removals", 0),
        yes=getattr(args, "yes", False),
        lock_wait_s=args.lock_wait,
        plan_digest=plan_digest,
        planned=planned,
    )


def _read(path: str) -> tuple[Any, str]:
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise InputError(path, "file", path, f"expected a readable JSON plan ({exc})") from exc
    return load_json(text, path), text


async def apply_plan_file(
    args: argparse.Namespace,
) -> tuple[ApplyResult, list[dict[str, Any]], int | None]:
    """Check the plan, discover, apply one slot; the result, unreachable devices, tx id."""
    doc, text = _read(args.plan)
    plan_digest = digest(text)
    plan = parse_plan(doc, args.plan)
    lps = lightpaths_of_slot(plan, args.plan, slot=args.slot, at=args.at)
    every = intents(plan.lightpaths, [("", "")] * len(plan.lightpaths))
    opts = apply_options(args, args.plan, plan_digest, frozenset(i.id for i in every))
    check_knobs(power_dbm=args.power_dbm, width_ghz=args.width_ghz, mode=args.mode)
    seed = seed_from_args(args)
    sopts = options_from_args(args, seed)
    async with SessionPool([d.endpoint for d in seed.devices], sopts) as pool:
        found = await discover(seed, sopts, pool=pool, device_timeout_s=args.timeout)
        down = [d.to_json() for d in found.devices if not d.reachable]
        inv = found.inventory
        attached = {t.id: t.roadm for t in inv.transponders}
        trx = bind(lps, args.plan, attached, found.states())
        its = intents(
            lps,
            trx,
            width_mhz=round(args.width_ghz * 1000),
            power_dbm=args.power_dbm,
            mode=args.mode,
        )
        store = None if opts.dry_run else Store(default_store_path(args.store))
        if store is not None:
            store.audit(opts.who, f"apply {args.plan}", text)
        try:
            result, tid = await apply_safely(pool, found, its, opts, store)
        finally:
            if store is not None:
                store.close()
    return result, down, tid


def print_result(result: ApplyResult, down: list[dict[str, Any]], tid: int | None) -> None:
    """The human report of an apply or a rollback."""
    verb = "would change" if result.dry_run else "changed"
    tx = f" (transaction {tid})" if tid is not None else ""
    print(f"{result.lightpaths} lightpaths; {verb} {len(result.changed)} devices{tx}")
    for d in down:
        print(f"  unreachable: {d['id']}: {d['reason']}")
    for dev, edit in sorted(result.edits.items()):
        print(f"  {dev}: {'; '.join(edit.changes)}")
        if result.dry_run:
            print(edit.diff)
    if result.timings:
        print("  " + ", ".join(f"{k} {v:.3f}" for k, v in result.timings.items()))


def run(args: argparse.Namespace) -> int:
    """Handler of ``fsor apply``."""
    result, down, tid = asyncio.run(apply_plan_file(args))
    return report(args, result, down, tid)


def report(
    args: argparse.Namespace, result: ApplyResult, down: list[dict[str, Any]], tid: int | None
) -> int:
    """Print an apply's (or a rollback's) result: one JSON document, or the human lines."""
    if args.json:
        json.dump({**result.to_json(), "unreachable": down, "transaction": tid}, sys.stdout)
        sys.stdout.write("\n")
        return 0
    print_result(result, down, tid)
    return 0
