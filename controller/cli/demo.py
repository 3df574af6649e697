"""``fsor demo``: the whole spine on the embedded default, end to end.

Bring the ORCA lab (``containerlab/orca.clab.yml``) up, discover it over NETCONF, plan a day
on the DISCOVERED topology with the joint program and the three baselines (co2-only,
sequential, first-fit) on the same instance, push the joint plan's lightpaths slot by slot
(one confirmed-commit transaction per slot with transfers, which also removes the previous
slot's lightpaths and may retune their transponder channels), read them back from the
devices, print a short report, write a figure, and tear the lab down (always).

The day: ORCA's Table V signals, ORCA's case-study job plus a deterministic synthetic batch
(``--synthetic N``, ``--seed``; origins at the data-centre ROADMs) and synthetic demo caps
(:data:`DEMO_CAPS`, on top of the sites' own power/water caps) chosen so that caps bind.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import containerlab
from controller.discovery import DiscoveryResult, discover
from controller.edits import PREFIX, LightpathIntent
from controller.provision import intents_from_plan, with_transponders
from controller.safe_apply import ApplyOptions, apply_safely
from controller.seed import seed_from_lab
from controller.session import SessionOptions, SessionPool

__all__ = ["DEMO_CAPS", "register", "run_demo"]

#: Synthetic caps of the demo day (zone caps in the units of optimizer.inputs.caps.BURDEN_UNITS).
DEMO_CAPS: Mapping[str, Mapping[str, Any]] = {
    "site_power": {"dc-sjc": "800 kW"},
    "site_water_per_day": {"dc-sjc": "7000 L"},
    "zone_caps": {"no2": {"dc-fra": 30000}, "pm25": {"dc-tyo": 15000}},
}
#: Size of the synthetic workloads: kW while running, GB moved in.
POWER_KW = (50.0, 300.0)
DATA_IN_GB = (50.0, 400.0)


def register(subparsers: Any) -> None:
    """Add ``fsor demo``."""
    p = subparsers.add_parser(
        "demo",
        help="lab up, discover, plan a capped day vs baselines, push lightpaths, report, lab down",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--lab", default=str(Path(containerlab.__file__).parent / "orca.clab.yml"))
    p.add_argument("--backend", choices=("auto", "netns", "loopback"), default="auto")
    p.add_argument("--date", default="2025-07-01", help="ORCA signal day (2025-07-01)")
    p.add_argument("--synthetic", type=int, default=12, help="synthetic workloads (12)")
    p.add_argument("--seed", type=int, default=2, help="seed of the synthetic workloads (2)")
    p.add_argument("--time-limit", type=float, default=60.0, help="solver seconds (60)")
    p.add_argument("--plot", default="fsor-demo.png", help="figure path (./fsor-demo.png)")
    p.add_argument("--no-plot", action="store_true", help="write no figure")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(handler=run)


def _say(msg: str) -> None:
    print(f"fsor demo: {msg}", file=sys.stderr, flush=True)


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


def _kv(d: Mapping[str, Any], suffix: str) -> str:
    return ", ".join(f"{k} {v}{suffix}" for k, v in d.items()) or "none"


def _inputs(found: DiscoveryResult, date: str, n: int, seed: int) -> tuple[Any, dict[str, Any]]:
    """The demo instance on the discovered inventory, and a description of its inputs."""
    from optimizer.inputs import make_instance
    from optimizer.inputs.caps import caps_from_dict
    from optimizer.inputs.signals import default_signals
    from optimizer.inputs.workloads import default_workloads, synthetic_workloads

    inv = found.inventory
    site_ids = {s.id for s in inv.sites}
    with_tp = {t.roadm for t in inv.transponders}
    origins = sorted({s.roadm for s in inv.sites if s.roadm in with_tp})
    orca = default_workloads()
    synth = (
        synthetic_workloads(n, origins, seed, power_kw=POWER_KW, data_in_gb=DATA_IN_GB)
        if n and origins
        else ()
    )
    raw: dict[str, Any] = {
        "site_power": {k: v for k, v in DEMO_CAPS["site_power"].items() if k in site_ids},
        "site_water_per_day": {
            k: v for k, v in DEMO_CAPS["site_water_per_day"].items() if k in site_ids
        },
        "zone_caps": {
            d: {z: v for z, v in zs.items() if z in site_ids}
            for d, zs in DEMO_CAPS["zone_caps"].items()
        },
    }
    caps = caps_from_dict(raw, "fsor demo caps (synthetic)", sites=site_ids)
    inst = make_instance(inv, default_signals(date), (*orca, *synth), caps)
    site_caps = ", ".join(
        f"{s.id} {s.power_cap_kw:g} kW, {s.water_cap_l_per_day:g} L/day"
        for s in inv.sites
        if s.power_cap_kw is not None and s.water_cap_l_per_day is not None
    )
    zc = "; ".join(f"{d} {z} <= {v:g}" for d, zs in raw["zone_caps"].items() for z, v in zs.items())
    summary = [
        f"signals ORCA Table V {date} (embedded, real); workloads: ORCA's "
        f"{', '.join(w.id for w in orca)} (real) + {len(synth)} SYNTHETIC "
        f"(seed {seed}, {POWER_KW[0]:g}-{POWER_KW[1]:g} kW, 1-4 h, "
        f"{DATA_IN_GB[0]:g}-{DATA_IN_GB[1]:g} GB in, origins {'/'.join(origins)})",
        f"caps: SYNTHETIC demo caps: power {_kv(raw['site_power'], '/slot')}; water "
        f"{_kv(raw['site_water_per_day'], '/day')}; zone {zc} (horizon); lab site caps: "
        f"{site_caps}",
    ]
    doc = {
        "date": date,
        "signals": "ORCA Table V (embedded)",
        "workloads": {"orca": [w.id for w in orca], "synthetic": [w.id for w in synth]},
        "synthetic_seed": seed,
        "caps": raw,
        "synthetic": ["workloads " + ", ".join(w.id for w in synth), "demo caps"],
        "summary": summary,
    }
    return inst, doc


def _plan(inst: Any, time_limit: float, t: dict[str, float]) -> tuple[Any, dict[str, Any]]:
    from optimizer.baselines import BASELINES, run_baseline
    from optimizer.solve.program import Planner

    t0 = time.perf_counter()
    joint = Planner(inst).solve(time_limit=time_limit)
    t["plan_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    bases = {name: run_baseline(name, inst) for name in BASELINES}
    t["baselines_s"] = time.perf_counter() - t0
    return joint, bases


def _zones(inst: Any, plan: Any) -> dict[str, dict[str, float]]:
    from optimizer.baselines import zone_burdens

    out: dict[str, dict[str, float]] = defaultdict(dict)
    for (dim, zone), v in zone_burdens(inst, plan).items():
        out[dim][zone] = v
    return dict(out)


def _slot_intents(
    lps: Sequence[Mapping[str, Any]],
    found: DiscoveryResult,
    label: str,
) -> tuple[tuple[LightpathIntent, ...], list[str]]:
    """Intents for one slot's lightpaths, each end on a transponder with a free channel.

    The program names the first transponder of each end ROADM; here every lightpath
    of the slot gets its own discovered transponder channel. Lightpaths that find none
    are returned as reasons (not pushed). Channels the previous slot's lightpaths hold
    count as free: the slot's transaction drops those lightpaths and retunes the channels.
    """
    docs, skipped = with_transponders(lps, found, label)
    return intents_from_plan({"lightpaths": docs}, f"joint plan {label}"), skipped


def _held(found: DiscoveryResult, intents: Sequence[LightpathIntent]) -> tuple[int, dict[str, int]]:
    """Intents every device of which holds it when read back; fsor entries per device."""
    names: dict[str, set[str]] = {}
    tuned: dict[str, set[int]] = {}
    for d, f in found.facts.items():
        names[d] = {m.name or "" for m in f.media_channels} | {lp.id for lp in f.lightpaths}
        tuned[d] = {o.frequency_mhz for o in f.optical_channels if o.frequency_mhz is not None}
    ok = sum(
        all(it.id in names.get(r, set()) for r in it.path)
        and all(it.frequency_mhz in tuned.get(t, set()) for t in it.transponders)
        for it in intents
    )
    per = {d: sum(n.startswith(PREFIX) for n in s) for d, s in names.items()}
    per.update({d: len(s) for d, s in tuned.items() if s})
    return ok, {d: n for d, n in per.items() if n}


async def _push(
    pool: SessionPool,
    seed: Any,
    opts: SessionOptions,
    found: DiscoveryResult,
    plan: Any,
    t: dict[str, float],
) -> dict[str, Any]:
    """Push the joint plan's lightpaths one slot at a time; read each slot back."""
    by_slot: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for lp in plan.to_json()["lightpaths"]:
        by_slot[int(lp["slot"])].append(lp)
    slots: list[dict[str, Any]] = []
    skipped: list[str] = []
    total: dict[str, int] = defaultdict(int)
    t["push_s"] = t["read_back_s"] = 0.0
    busy: frozenset[str] = frozenset()
    for s in sorted(by_slot):
        label = f"slot {s:02d}:00"
        intents, why = _slot_intents(by_slot[s], found, label)
        skipped += why
        t0 = time.perf_counter()
        # one transaction: drop the previous slot's lightpaths, add this slot's (reusing
        # the transponder channels they free)
        reuse = busy & {x for it in intents for x in it.transponders}
        # the operator's path: checked (grid, loops, spectrum, YANG), diffed under the locks;
        # the demo replaces each slot with the next, so its removals are expected
        demo = ApplyOptions(source=f"joint plan {label}", confirm_timeout_s=120, yes=True)
        res, _ = await apply_safely(pool, found, intents, demo)
        busy = frozenset(x for it in intents for x in it.transponders)
        t["push_s"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        back = await discover(seed, opts, pool=pool)
        t["read_back_s"] += time.perf_counter() - t0
        held, per = _held(back, intents)
        for d, n in per.items():
            total[d] += n
        slots.append(
            {
                "slot": s,
                "planned": len(by_slot[s]),
                "pushed": len(intents),
                "read_back": held,
                "devices_changed": len(res.changed),
                "reused_transponders": len(reuse),
            }
        )
        _say(f"{label}: pushed {len(intents)} lightpath(s), {held} read back")
    t0 = time.perf_counter()
    leave = ApplyOptions(source="demo end", confirm_timeout_s=120, yes=True)
    end, _ = await apply_safely(pool, found, [], leave)  # leave the lab as found
    t["push_s"] += time.perf_counter() - t0
    return {
        "slots": slots,
        "planned": sum(len(v) for v in by_slot.values()),
        "pushed": sum(x["pushed"] for x in slots),
        "read_back": sum(x["read_back"] for x in slots),
        "not_pushed": skipped,
        # confirmed transactions: one per slot that changed something, one to clean up
        "transactions": sum(x["devices_changed"] > 0 for x in slots) + bool(end.changed),
        "per_device": dict(sorted(total.items())),
    }


def _green(inst: Any, plan: Any) -> dict[str, Any]:
    """SCI per placed workload and the Green Score per site and slot (docs/region.md)."""
    from optimizer.analysis.sci import green_score_rows, plan_sci

    return {
        "sci": [r.to_json() for r in plan_sci(inst, [], plan)],
        "green_score": green_score_rows(inst),
    }


async def _spine(
    lab: str, inst_name: str, args: argparse.Namespace, t: dict[str, float]
) -> dict[str, Any]:
    seed = seed_from_lab(lab, inst_name)
    opts = SessionOptions(known_hosts=seed.known_hosts, rpc_timeout_s=60.0)
    async with SessionPool([d.endpoint for d in seed.devices], opts) as pool:
        _say("discovering over NETCONF")
        t0 = time.perf_counter()
        found = await discover(seed, opts, pool=pool)
        t["discover_s"] = time.perf_counter() - t0
        _say(f"planning ({args.synthetic} synthetic workloads + ORCA's job) and baselines")
        inst, inputs = _inputs(found, args.date, args.synthetic, args.seed)
        joint, bases = await asyncio.to_thread(_plan, inst, args.time_limit, t)
        _say(f"joint plan {joint.status}; pushing lightpaths slot by slot")
        push = await _push(pool, seed, opts, found, joint, t)
    inv = found.inventory
    return {
        "inputs": inputs,
        "discovery": found.to_json(),
        "discovery_summary": {
            "devices": len(found.devices),
            "reachable": sum(d.reachable for d in found.devices),
            "unreachable": [f"{d.id}: {d.reason}" for d in found.devices if not d.reachable],
            "roadms": len(inv.roadms),
            "transponders": len(inv.transponders),
            "fibres": len(inv.fibres),
            "amplifiers": len(inv.amplifiers),
            "sites": len(inv.sites),
        },
        "sites": [
            {"id": s.id, "power_cap_kw": inst.caps.power_kw.get(s.id), "region": s.region}
            for s in inst.sites
        ],
        "n_slots": len(inst.slots),
        "plan": joint.to_json() | _green(inst, joint),
        "baselines": {n: p.to_json() for n, p in bases.items()},
        "zone_burdens": {"joint": _zones(inst, joint)}
        | {n: _zones(inst, p) for n, p in bases.items()},
        "push": push,
    }


def run_demo(args: argparse.Namespace) -> dict[str, Any]:
    """Run the spine and return the demo document. The lab always comes down."""
    from containerlab import runner

    t: dict[str, float] = {}
    _say(f"bringing {args.lab} up")
    t0 = time.perf_counter()
    quiet = logging.getLogger("paramiko.transport")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)  # the runner's readiness probes reset SSH sockets
    try:
        inst, chosen = _up(args.lab, args.backend)
    finally:
        quiet.setLevel(level)
    t["up_s"] = time.perf_counter() - t0
    try:
        r = asyncio.run(_spine(args.lab, inst, args, t))
    finally:
        _say("tearing the lab down")
        t0 = time.perf_counter()
        runner.down(args.lab, instance=inst)
        t["down_s"] = time.perf_counter() - t0
    return {
        "lab": args.lab,
        "lab_name": Path(args.lab).name,
        "instance": inst,
        "backend": chosen,
        **r,
        "torn_down": runner.load_state(instance=inst) is None,
        "timings": {k: round(v, 3) for k, v in t.items()},
    }


def run(args: argparse.Namespace) -> int:
    """Handler of ``fsor demo``."""
    from controller.report import report_text, write_figure

    doc = run_demo(args)
    if not args.no_plot:
        doc["figure"] = str(write_figure(doc, args.plot))
        _say(f"figure written to {doc['figure']}")
    if args.json:
        json.dump(doc, sys.stdout, default=str)
        sys.stdout.write("\n")
    else:
        print(report_text(doc))
    return 0
