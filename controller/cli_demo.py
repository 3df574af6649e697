"""``fsor demo``: the whole spine on the embedded default, end to end.

Bring the ORCA lab (``containerlab/orca.clab.yml``) up, discover it over NETCONF, plan the
ORCA day on the DISCOVERED topology with the joint program (and the co2-only baseline for
comparison), push the plan's lightpaths as one confirmed-commit transaction, read them
back from the devices, print a short report, and tear the lab down (always).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import containerlab
from controller.discovery import DiscoveryResult, discover
from controller.edits import PREFIX
from controller.provision import ApplyResult, apply_intents, intents_from_plan
from controller.seed import seed_from_lab
from controller.session import SessionOptions, SessionPool

__all__ = ["register", "run_demo"]


def register(subparsers: Any) -> None:
    """Add ``fsor demo``."""
    p = subparsers.add_parser(
        "demo",
        help="lab up, discover, plan the ORCA day, push lightpaths, read back, report, lab down",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--lab", default=str(Path(containerlab.__file__).parent / "orca.clab.yml"))
    p.add_argument("--backend", choices=("auto", "netns", "loopback"), default="auto")
    p.add_argument("--date", default="2025-07-01", help="ORCA signal day (2025-07-01)")
    p.add_argument("--time-limit", type=float, default=60.0, help="solver seconds (60)")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(handler=run)


def _up(lab: str, backend: str) -> tuple[str, str]:
    from containerlab import runner
    from containerlab.backends import LabError

    inst = f"demo-{os.getpid()}"
    chosen = runner.choose_backend(None if backend == "auto" else backend)
    try:
        runner.up(lab, backend=chosen, instance=inst)
    except LabError:
        if backend != "auto" or chosen == "loopback":
            raise
        chosen = "loopback"  # e.g. the lab's management subnet is taken on this host
        runner.up(lab, backend=chosen, instance=inst)
    return inst, chosen


def _plan(found: DiscoveryResult, date: str, time_limit: float) -> tuple[Any, Any, dict[str, Any]]:
    from controller.cli_plan import compare, run_baseline
    from optimizer.inputs import make_instance
    from optimizer.program import Planner
    from optimizer.signals import default_signals
    from optimizer.workloads import default_workloads

    inst = make_instance(found.inventory, default_signals(date), default_workloads())
    joint = Planner(inst).solve(time_limit=time_limit)
    base = run_baseline("co2-only", inst)
    return joint, base, compare(joint, base)


def _per_device(found: DiscoveryResult) -> dict[str, int]:
    """fsor lightpaths each device holds, as read back from it."""
    out: dict[str, int] = {}
    for d, f in sorted(found.facts.items()):
        n = sum((m.name or "").startswith(PREFIX) for m in f.media_channels)
        n += sum(lp.id.startswith(PREFIX) for lp in f.lightpaths)
        n += sum(o.in_use for o in f.optical_channels)
        if n:
            out[d] = n
    return out


async def _spine(
    lab: str, inst: str, date: str, time_limit: float, t: dict[str, float]
) -> dict[str, Any]:
    seed = seed_from_lab(lab, inst)
    opts = SessionOptions(known_hosts=seed.known_hosts, rpc_timeout_s=60.0)
    async with SessionPool([d.endpoint for d in seed.devices], opts) as pool:
        t0 = time.perf_counter()
        found = await discover(seed, opts, pool=pool)
        t["discover_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        joint, base, vs = await asyncio.to_thread(_plan, found, date, time_limit)
        t["plan_s"] = time.perf_counter() - t0
        plan_doc = joint.to_json()
        intents = intents_from_plan(plan_doc, "joint plan")
        t0 = time.perf_counter()
        pushed: ApplyResult = await apply_intents(pool, found, intents, confirm_timeout_s=120)
        t["push_s"] = time.perf_counter() - t0
        back = await discover(seed, opts, pool=pool)
        # leave the lab as we found it: remove what the demo pushed (one more transaction)
        await apply_intents(pool, back, [], confirm_timeout_s=120)
    return {
        "found": found,
        "joint": joint,
        "baseline": base,
        "vs": vs,
        "pushed": pushed,
        "read_back": _per_device(back),
    }


def _report(r: dict[str, Any], lab: str, inst: str, backend: str, t: dict[str, float]) -> str:
    found: DiscoveryResult = r["found"]
    joint, vs = r["joint"], r["vs"]
    inv = found.inventory
    up = sum(d.reachable for d in found.devices)
    lines = [
        f"fsor demo: {Path(lab).name} as {inst} ({backend} backend), up in {t['up_s']:.1f} s",
        f"discovery: {up}/{len(found.devices)} devices in {t['discover_s']:.2f} s -> "
        f"{len(inv.roadms)} ROADMs, {len(inv.transponders)} transponders, "
        f"{len(inv.fibres)} fibres, {len(inv.amplifiers)} amplifiers, {len(inv.sites)} sites",
    ]
    lines += [f"  {d.id}: {d.reason}" for d in found.devices if not d.reachable]
    lines.append(
        f"plan (joint, on the discovered topology): {joint.status}, objective {joint.objective}, "
        f"gap {joint.gap}, solve {joint.timings.solve_s:.2f} s"
    )
    hours: dict[str, list[str]] = defaultdict(list)
    for p in joint.placements:
        hours[p.start.strftime("%H:%M")].append(f"{p.workload} -> {p.site}")
    lines.append("  placements per hour:")
    lines += [f"    {h}  {', '.join(v)}" for h, v in sorted(hours.items())]
    change = vs.get("burden_change", {})
    if change:
        lines.append("  burdens vs co2-only baseline (relative change; negative = lower):")
        lines.append(
            "    "
            + ", ".join(
                f"{k} {v * 100:+.1f}%" if v is not None else f"{k} n/a"
                for k, v in sorted(change.items())
            )
        )
    worst: dict[str, Any] = {}
    for c in joint.caps:
        u = c.utilisation
        if u is not None and (c.cap not in worst or u > worst[c.cap].utilisation):
            worst[c.cap] = c
    lines.append("  caps (highest utilisation per cap):")
    lines += [
        f"    {c.cap} {c.site_or_zone} {c.slot or ''}: {c.value:.4g} / {c.limit:.4g} {c.unit} "
        f"({c.utilisation * 100:.1f}%)"
        for c in sorted(worst.values(), key=lambda c: c.cap)
    ]
    pushed: ApplyResult = r["pushed"]
    lines.append(
        f"push: {pushed.lightpaths} lightpaths -> {len(pushed.changed)} devices changed in one "
        f"confirmed transaction ({t['push_s']:.2f} s)"
    )
    per = r["read_back"]
    lines.append(
        "read back, lightpaths per device: "
        + (", ".join(f"{d} {n}" for d, n in per.items()) or "none")
    )
    return "\n".join(lines)


def run_demo(lab: str, backend: str, date: str, time_limit: float) -> tuple[dict[str, Any], str]:
    """Run the spine; return the result and the report. The lab always comes down."""
    from containerlab import runner

    t: dict[str, float] = {}
    t0 = time.perf_counter()
    inst, chosen = _up(lab, backend)
    t["up_s"] = time.perf_counter() - t0
    try:
        r = asyncio.run(_spine(lab, inst, date, time_limit, t))
    finally:
        t0 = time.perf_counter()
        runner.down(lab, instance=inst)
        t["down_s"] = time.perf_counter() - t0
    report = _report(r, lab, inst, chosen, t) + f"\nlab down in {t['down_s']:.1f} s"
    return {**r, "timings": t, "instance": inst, "backend": chosen}, report


def run(args: argparse.Namespace) -> int:
    """Handler of ``fsor demo``."""
    r, report = run_demo(args.lab, args.backend, args.date, args.time_limit)
    if args.json:
        doc = {
            "lab": args.lab,
            "instance": r["instance"],
            "backend": r["backend"],
            "discovery": r["found"].to_json(),
            "plan": r["joint"].to_json(),
            "vs_co2_only": r["vs"],
            "push": r["pushed"].to_json(),
            "read_back": r["read_back"],
            "timings": {k: round(v, 3) for k, v in r["timings"].items()},
        }
        json.dump(doc, sys.stdout, default=str)
        sys.stdout.write("\n")
    else:
        print(report)
    return 0
