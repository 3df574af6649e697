"""``fsor discover``: ask every device of a lab (or a devices file) what it is."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from controller.discovery import DiscoveryResult, discover
from controller.seed import Seed, seed_from_devices, seed_from_lab
from controller.session import SessionOptions
from topology.errors import InputError

#: exit code of ``fsor discover`` when no device answered
EXIT_NONE_REACHABLE = 3

__all__ = [
    "EXIT_NONE_REACHABLE",
    "add_target_arguments",
    "options_from_args",
    "register",
    "seed_from_args",
]


def add_target_arguments(p: argparse.ArgumentParser) -> None:
    """``--lab FILE [--lab-instance NAME] | --devices FILE`` plus session options."""
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--lab", metavar="FILE", help="a lab brought up with `fsor lab up FILE`")
    target.add_argument("--devices", metavar="FILE", help="devices file (YAML/JSON)")
    p.add_argument("--lab-instance", metavar="NAME", help="instance name given to `fsor lab up`")
    p.add_argument(
        "--insecure-lab-hostkeys",
        action="store_true",
        help="accept any SSH host key (labs only; default: verify against known_hosts)",
    )
    p.add_argument("--known-hosts", metavar="FILE", help="known_hosts file to verify keys with")
    p.add_argument("--rpc-timeout", type=float, default=30.0, metavar="S", help="per RPC (30)")


def seed_from_args(args: argparse.Namespace) -> Seed:
    """The seed the arguments name."""
    if args.lab:
        return seed_from_lab(args.lab, args.lab_instance)
    return seed_from_devices(args.devices)


def options_from_args(args: argparse.Namespace, seed: Seed) -> SessionOptions:
    """Session options (host-key policy, timeouts) from the arguments."""
    from pathlib import Path

    kh = Path(args.known_hosts).expanduser() if args.known_hosts else seed.known_hosts
    if args.known_hosts and not Path(args.known_hosts).expanduser().is_file():
        raise InputError(
            "--known-hosts",
            "known_hosts",
            args.known_hosts,
            "expected an existing known_hosts file",
        )
    return SessionOptions(
        rpc_timeout_s=args.rpc_timeout,
        known_hosts=kh,
        insecure_hostkeys=bool(args.insecure_lab_hostkeys),
    )


def register(subparsers: Any) -> None:
    """Add ``fsor discover``."""
    p = subparsers.add_parser(
        "discover",
        help="discover a lab's devices over NETCONF into the topology model",
        description="Discover devices concurrently over NETCONF (OpenConfig) and print the "
        "devices, links and the assembled inventory. Unreachable devices are reported.",
    )
    add_target_arguments(p)
    p.add_argument("--timeout", type=float, default=20.0, metavar="S", help="per device (20)")
    p.add_argument("--sequential", action="store_true", help="one device at a time (baseline)")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(handler=run)


def render(result: DiscoveryResult) -> str:
    """A short human-readable report."""
    inv = result.inventory
    lines = [
        f"{inv.name}: {sum(d.reachable for d in result.devices)}/{len(result.devices)} devices "
        f"reachable in {result.elapsed_s:.2f} s; {len(result.links)} links; "
        f"{len(inv.roadms)} ROADMs, {len(inv.transponders)} transponders, "
        f"{len(inv.fibres)} fibres, {len(inv.sites)} sites",
    ]
    for d in result.devices:
        power = "-" if d.power_w is None else f"{d.power_w:.0f} W"
        state = "ok" if d.reachable and not d.reason else (d.reason or "unreachable")
        lines.append(f"  {d.id:<16} {d.kind:<12} {power:>9}  {state}")
    lines += [f"  note: {n}" for n in result.notes]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Handler of ``fsor discover``."""
    seed = seed_from_args(args)
    opts = options_from_args(args, seed)
    result = asyncio.run(
        discover(
            seed, opts, device_timeout_s=args.timeout, concurrency=1 if args.sequential else None
        )
    )
    if args.json:
        json.dump(result.to_json(), sys.stdout)
        sys.stdout.write("\n")
    else:
        print(render(result))
    reachable = sum(d.reachable for d in result.devices)
    if result.devices and reachable == 0:
        print(
            f"fsor: error: 0 of {len(result.devices)} devices reachable "
            f"(first: {result.devices[0].id}: {result.devices[0].reason})",
            file=sys.stderr,
        )
        return EXIT_NONE_REACHABLE
    return 0
