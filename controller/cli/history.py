"""``fsor history`` (applied transactions and their diffs) and ``fsor rollback ID``."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from controller.cli.apply import add_apply_arguments, apply_options, report
from controller.cli.discover import add_target_arguments, options_from_args, seed_from_args
from controller.discovery import discover
from controller.safe_apply import rollback
from controller.session import SessionPool
from controller.store import Store, default_store_path
from topology.errors import InputError

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add ``fsor history`` and ``fsor rollback``."""
    h = subparsers.add_parser(
        "history",
        help="list applied transactions (newest first) with their per-device changes",
    )
    h.add_argument("--store", metavar="FILE", help="transaction store")
    h.add_argument("--limit", type=int, default=20, help="how many (20)")
    h.add_argument("--json", action="store_true", help="print one JSON document")
    h.set_defaults(handler=run_history)
    r = subparsers.add_parser(
        "rollback",
        help="re-apply the state a transaction replaced, as a new transaction",
    )
    r.add_argument("id", type=int, help="transaction id (see `fsor history`)")
    add_target_arguments(r)
    add_apply_arguments(r)
    r.set_defaults(handler=run_rollback)


def run_history(args: argparse.Namespace) -> int:
    """Handler of ``fsor history``."""
    if args.limit < 1:
        raise InputError("--limit", "limit", args.limit, "expected a count >= 1")
    with Store(default_store_path(args.store)) as st:
        txs = st.transactions(args.limit)
    if args.json:
        json.dump({"transactions": [t.to_json() for t in txs]}, sys.stdout)
        sys.stdout.write("\n")
        return 0
    for t in txs:
        undo = f" (rollback of {t.rollback_of})" if t.rollback_of else ""
        print(f"{t.id:>4}  {t.started}  {t.who:<10} {t.outcome:<11} {len(t.devices)} devices{undo}")
        for dev, changes in sorted(dict(t.diff).items()):
            print(f"        {dev}: {'; '.join(changes)}")
    return 0


async def _rollback(args: argparse.Namespace) -> Any:
    seed = seed_from_args(args)
    sopts = options_from_args(args, seed)
    opts = apply_options(args, f"rollback {args.id}", None)
    with Store(default_store_path(args.store)) as store:
        if not opts.dry_run:
            store.audit(opts.who, f"rollback {args.id}")
        async with SessionPool([d.endpoint for d in seed.devices], sopts) as pool:
            found = await discover(seed, sopts, pool=pool, device_timeout_s=args.timeout)
            down = [d.to_json() for d in found.devices if not d.reachable]
            result, tid = await rollback(pool, found, store, args.id, opts)
    return result, down, tid


def run_rollback(args: argparse.Namespace) -> int:
    """Handler of ``fsor rollback``."""
    result, down, tid = asyncio.run(_rollback(args))
    return report(args, result, down, tid)
