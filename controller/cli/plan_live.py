"""The parts of ``fsor plan`` that plan on a live network and report signal fills.

``--lab FILE`` / ``--devices FILE`` discover the network first and plan on what was
found (its fibres' lit channels are occupied for the planner). ``--strict`` refuses a
signal file with any missing value; otherwise every fill is counted per region and
dimension in the human output (and listed in the JSON's ``filled``).
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from collections.abc import Sequence

from optimizer.inputs.signal_series import Signals
from optimizer.inputs.workload_types import Workload
from topology.errors import FsorError, InputError
from topology.model import Inventory

__all__ = [
    "MAX_SITE_KW",
    "add_live_arguments",
    "check_magnitudes",
    "fill_report",
    "live_inventory",
    "refuse_fills",
]

#: the largest power one site may draw when the network gives no cap (10 GW: more than
#: any data centre campus); a workload needing more in one interval is an input error
MAX_SITE_KW = 1.0e7


def add_live_arguments(p: argparse.ArgumentParser) -> None:
    """``--lab``/``--devices`` (and their session options) and ``--strict``."""
    p.add_argument("--lab", metavar="FILE", help="plan on the devices of a running lab")
    p.add_argument("--devices", metavar="FILE", help="plan on the devices of a devices file")
    p.add_argument("--lab-instance", metavar="NAME", help="instance name given to `fsor lab up`")
    p.add_argument("--known-hosts", metavar="FILE", help="known_hosts file to verify keys with")
    p.add_argument(
        "--insecure-lab-hostkeys", action="store_true", help="accept any SSH host key (labs)"
    )
    p.add_argument("--rpc-timeout", type=float, default=30.0, metavar="S", help="per RPC (30)")
    p.add_argument(
        "--timeout", type=float, default=20.0, metavar="S", help="discovery, per device (20)"
    )
    p.add_argument(
        "--strict", action="store_true", help="refuse signals with missing (filled) values"
    )


def live_inventory(args: argparse.Namespace) -> Inventory | None:
    """The discovered inventory when ``--lab``/``--devices`` is given, else None."""
    if not (args.lab or args.devices):
        return None
    if args.lab and args.devices:
        raise InputError("--lab", "lab", args.lab, "expected --lab or --devices, not both")
    if args.network != "default":
        raise InputError("--network", "network", args.network, "expected no --network with --lab")
    from controller.cli.discover import options_from_args, seed_from_args
    from controller.discovery import discover

    seed = seed_from_args(args)
    found = asyncio.run(
        discover(seed, options_from_args(args, seed), device_timeout_s=args.timeout)
    )
    up = sum(d.reachable for d in found.devices)
    if up == 0:
        raise FsorError(f"{args.lab or args.devices}: 0 of {len(found.devices)} devices reachable")
    return found.inventory


def refuse_fills(args: argparse.Namespace, signals: Signals) -> None:
    """With ``--strict``, an :class:`InputError` when any signal value was filled."""
    if getattr(args, "strict", False) and signals.filled:
        f = signals.filled[0]
        raise InputError(
            args.signals or "signals",
            f"{f.region}/{f.dim}[{f.slot.isoformat()}]",
            None,
            f"expected no missing values with --strict ({len(signals.filled)} missing)",
        )


def fill_report(signals: Signals) -> list[str]:
    """Human lines: how many values were filled, per region and dimension."""
    if not signals.filled:
        return []
    counts = Counter((f.region, f.dim) for f in signals.filled)
    parts = ", ".join(f"{r}/{d} {n}" for (r, d), n in sorted(counts.items()))
    return [
        f"  filled {len(signals.filled)} missing signal values ({signals.missing_policy}): {parts}"
        " (--strict refuses)"
    ]


def check_magnitudes(workloads: Sequence[Workload], inventory: Inventory) -> None:
    """Refuse a workload no data centre could ever run (above :data:`MAX_SITE_KW`).

    Such inputs (a 1e15 kWh job) otherwise reach the solver as numbers it cannot scale.
    One merely above the network's caps is planned: the answer is an infeasible plan
    with its diagnosis (which cap must move, by how much).
    """
    del inventory  # above a site's cap but plausible is an answer (infeasible + diagnosis)
    limit = MAX_SITE_KW
    for i, w in enumerate(workloads):
        hours = w.interval_s / 3600.0
        peak = max(w.profile_kwh, default=0.0) / hours if hours > 0 else float("inf")
        if peak > limit:
            raise InputError(
                w.source,
                f"workloads[{i}].energy_kwh",
                w.energy_kwh,
                f"expected a workload a site can run: it needs {peak:.4g} kW in one interval, "
                f"above {limit:.4g} kW, more than any data centre draws",
            )
