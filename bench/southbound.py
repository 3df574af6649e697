"""Southbound benchmark: discovery concurrent vs sequential; one-transaction pushes.

Run: ``.venv/bin/python -m bench.southbound [--sizes 10 50] [--lightpaths 10 100]``.
Brings generated labs up (loopback backend), measures, tears them down; prints a table
and writes ``bench/results/southbound.json``. Ratios are measured within one run on a
shared machine; absolute seconds depend on its load.

>>> inv = ring_inventory(3)
>>> len(inv.roadms), len(inv.fibres), inv.fibres[0].amplifiers
(3, 3, 1)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


from bench.common import format_table, write_results
from containerlab import runner
from containerlab.generate import lab_from_inventory, write_lab
from containerlab.status import children_map, descendants
from controller.discovery import discover
from controller.edits import LightpathIntent, intent_id
from controller.provision import apply_intents
from controller.seed import Seed, seed_from_lab
from controller.session import (
    DEFAULT_POLL_INTERVAL_S,
    SessionOptions,
    SessionPool,
    set_ncclient_poll_interval,
)
from topology.model import ChannelGrid, Fibre, Inventory, Roadm, Transponder

__all__ = [
    "cpu_seconds",
    "device_pids",
    "line_inventory",
    "ring_inventory",
    "start",
    "write_generated",
]

#: cores this process may run on (the CPU-bound floor divides CPU seconds by it)
CORES = len(os.sched_getaffinity(0))


def ring_inventory(k: int, length_km: float = 160.0) -> Inventory:
    """A ring of ``k`` ROADMs; every fibre has 2 spans (one in-line amplifier node)."""
    roadms = [f"r{i}" for i in range(k)]
    fibres = [Fibre(f"f{i}", roadms[i], roadms[(i + 1) % k], length_km, 2, 1) for i in range(k)]
    deg = {r: tuple(f.id for f in fibres if r in (f.a, f.b)) for r in roadms}
    return Inventory(f"ring{k}", tuple(Roadm(r, deg[r]) for r in roadms), fibres=tuple(fibres))


def line_inventory(ports: int) -> Inventory:
    """ROADMs a—b—c (unamplified 80 km); transponders with ``ports`` line ports each:
    tp-a at a, tp-b1 and tp-b2 at b, tp-c at c."""
    fibres = (Fibre("ab", "a", "b", 80.0), Fibre("bc", "b", "c", 80.0))
    roadms = (Roadm("a", ("ab",)), Roadm("b", ("ab", "bc")), Roadm("c", ("bc",)))
    tps = tuple(
        Transponder(t, r, line_ports=ports)
        for t, r in (("tp-a", "a"), ("tp-b1", "b"), ("tp-b2", "b"), ("tp-c", "c"))
    )
    return Inventory("line", roadms, tps, fibres=fibres)


def write_generated(inv: Inventory, name: str, out: Path, **kwargs: Any) -> Path:
    """Write a lab generated from ``inv`` into ``out``; the clab file's path."""
    return write_lab(lab_from_inventory(inv, name, **kwargs), out)


def start(clab: Path, instance: str) -> None:
    """Bring ``clab`` up on the loopback backend as ``instance``."""
    runner.up(clab, backend="loopback", instance=instance)


def device_pids(instance: str) -> list[int]:
    """The processes of a running lab's devices (their recorded pids and descendants)."""
    state = runner.load_state(instance=instance) or {}
    roots = [int(p) for n in state.get("nodes") or [] for p, _ in n.get("pids") or []]
    tree = children_map()
    return sorted({q for r in roots for q in (r, *descendants(r, tree))})


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds consumed so far by ``pids`` (those still alive)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / tick


def _order(r: int) -> tuple[int | None, int | None]:
    """Run ``r``'s order of modes (None = concurrent, 1 = sequential): alternating."""
    return (None, 1) if r % 2 == 0 else (1, None)


def _median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


async def _timed(
    seed: Seed, opts: SessionOptions, pids: list[int], concurrency: int | None, pool: Any
) -> tuple[float, float, float, int]:
    """(wall, client CPU, devices' CPU, reachable) of one discovery."""
    d0, c0, t0 = cpu_seconds(pids), time.process_time(), time.perf_counter()
    res = await discover(seed, opts, pool=pool, concurrency=concurrency)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return wall, cpu, cpu_seconds(pids) - d0, sum(d.reachable for d in res.devices)


async def _discovery_runs(clab: Path, instance: str, repeats: int) -> dict[str, Any]:
    """Cold and warm runs, concurrent and sequential alternating; medians."""
    seed = seed_from_lab(clab, instance)
    opts = SessionOptions(known_hosts=seed.known_hosts)
    pids = device_pids(instance)
    # warm-up (untimed): each device's first <get> pays one-off costs (lazy schema work)
    # that would otherwise all land on whichever mode runs first
    await discover(seed, opts)
    runs: dict[str, list[tuple[float, float, float, int]]] = {}
    for r in range(repeats):
        for conc in _order(r):  # cold: discover() opens (and closes) its own sessions
            runs.setdefault(f"cold_{conc}", []).append(await _timed(seed, opts, pids, conc, None))
    async with SessionPool([d.endpoint for d in seed.devices], opts) as pool:
        await discover(seed, opts, pool=pool)  # open every session
        for r in range(repeats):
            for conc in _order(r):  # warm: the long-lived sessions of a running controller
                runs.setdefault(f"warm_{conc}", []).append(
                    await _timed(seed, opts, pids, conc, pool)
                )
    out: dict[str, Any] = {}
    for temp in ("cold", "warm"):
        par, seq = runs[f"{temp}_None"], runs[f"{temp}_1"]
        wc, ws = _median([x[0] for x in par]), _median([x[0] for x in seq])
        cpu_c, dev_c = _median([x[1] for x in par]), _median([x[2] for x in par])
        out |= {
            f"{temp}_concurrent_s": wc,
            f"{temp}_sequential_s": ws,
            f"{temp}_speedup": ws / wc,
            f"{temp}_client_cpu_s": cpu_c,
            f"{temp}_devices_cpu_s": dev_c,
            f"{temp}_client_cpu_seq_s": _median([x[1] for x in seq]),
            f"{temp}_devices_cpu_seq_s": _median([x[2] for x in seq]),
            # the least wall time the concurrent run's CPU work allows on this machine
            f"{temp}_cpu_floor_s": (cpu_c + dev_c) / CORES,
        }
        seq_cpu = out[f"{temp}_client_cpu_seq_s"] + out[f"{temp}_devices_cpu_seq_s"]
        # share of the sequential run's wall time that is CPU work (client + devices): near 1,
        # one device at a time already keeps a core busy and concurrency can gain ~CORES at most
        out[f"{temp}_seq_cpu_share"] = seq_cpu / ws
        # the best ratio this machine allows: sequential wall / concurrent CPU floor
        out[f"{temp}_speedup_bound"] = ws / out[f"{temp}_cpu_floor_s"]
    out["reachable"] = min(x[3] for xs in runs.values() for x in xs)
    return out


def bench_discovery(n: int, work: Path, repeats: int = 3) -> dict[str, Any]:
    """Discovery of a ~``n``-device lab: cold and warm, concurrent and sequential, same lab.

    *cold* is what ``fsor discover`` does: open the SSH sessions, hello, one ``<get>`` per
    device, close. *warm* re-discovers over sessions that are already open (a running
    controller keeps one per device). Each figure is the median of ``repeats`` runs; the
    two modes alternate order. CPU seconds of the client (this process, all threads) and
    of the device processes are measured beside wall time.
    """
    k = max(3, (n - 1) // 3)
    confs = n - 3 * k
    clab = write_generated(
        ring_inventory(k), f"sb{n}", work, transponders_per_roadm=1, conformance_nodes=confs
    )
    inst = f"sb{n}-{os.getpid()}"
    t0 = time.perf_counter()
    start(clab, inst)
    up_s = time.perf_counter() - t0
    try:
        runs = asyncio.run(_discovery_runs(clab, inst, repeats))
    finally:
        runner.down(clab, instance=inst)
    return {"bench": "discovery", "devices": 3 * k + confs, "lab_up_s": up_s, **runs}


def line_intents(count: int, grid: ChannelGrid | None = None) -> list[LightpathIntent]:
    """``count`` lightpaths: half tp-a→tp-b1 over a—b, half tp-b2→tp-c over b—c."""
    g = grid or ChannelGrid()
    out = []
    for i in range(count):
        path, trx = (
            (("a", "b"), ("tp-a", "tp-b1")) if i % 2 == 0 else (("b", "c"), ("tp-b2", "tp-c"))
        )
        f = round(g.frequency_thz(i // 2) * 1e6)
        out.append(LightpathIntent(intent_id(f"w{i}", path, f), path, f, trx, mode=1))
    return out


async def _push(clab: Path, inst: str, count: int) -> dict[str, Any]:
    seed = seed_from_lab(clab, inst)
    opts = SessionOptions(known_hosts=seed.known_hosts, rpc_timeout_s=60.0)
    async with SessionPool([d.endpoint for d in seed.devices], opts) as pool:
        found = await discover(seed, opts, pool=pool)
        intents = line_intents(count)
        t0 = time.perf_counter()
        res = await apply_intents(pool, found, intents, confirm_timeout_s=120)
        push = time.perf_counter() - t0
        t1 = time.perf_counter()
        again = await apply_intents(pool, found, intents, confirm_timeout_s=120)
        idem = time.perf_counter() - t1
        t2 = time.perf_counter()
        cleared = await apply_intents(pool, found, [], confirm_timeout_s=120)
        clear = time.perf_counter() - t2
    return {
        "bench": "push",
        "lightpaths": count,
        "devices_changed": len(res.changed),
        "push_s": push,
        "commit_to_confirm_s": res.timings.get("total_s", 0.0) - res.timings.get("read_s", 0.0),
        "reapply_changes": len(again.changed),
        "reapply_s": idem,
        "remove_all_s": clear,
        "removed_on": len(cleared.changed),
    }


def bench_push(count: int, work: Path) -> dict[str, Any]:
    """Push ``count`` lightpaths as one transaction on the a—b—c line lab."""
    ports = max(1, (count + 1) // 2)
    clab = write_generated(line_inventory(ports), f"push{count}", work, conformance_nodes=0)
    inst = f"push{count}-{os.getpid()}"
    start(clab, inst)
    try:
        return asyncio.run(_push(clab, inst, count))
    finally:
        runner.down(clab, instance=inst)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", type=int, nargs="*", default=[10, 50])
    p.add_argument("--lightpaths", type=int, nargs="*", default=[10, 100])
    p.add_argument("--repeats", type=int, default=3, help="discovery runs per mode (median)")
    p.add_argument(
        "--poll",
        type=float,
        default=DEFAULT_POLL_INTERVAL_S,
        help="ncclient's session poll interval (seconds), set at this entry point",
    )
    args = p.parse_args(argv)
    set_ncclient_poll_interval(args.poll)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="fsor-bench-sb-") as tmp:
        for n in args.sizes:
            rows.append(bench_discovery(n, Path(tmp), args.repeats))
            print(format_table(rows[-1:]), file=sys.stderr)
        for c in args.lightpaths:
            rows.append(bench_push(c, Path(tmp)))
            print(format_table(rows[-1:]), file=sys.stderr)
    disc = [r for r in rows if r["bench"] == "discovery"]
    push = [r for r in rows if r["bench"] == "push"]
    if disc:
        print(format_table(disc))
    if push:
        print(format_table(push))
    path = write_results(
        "southbound",
        rows,
        goals={"discovery_speedup_50 (cold)": ">= 3", "push_100_s": "<= 10"},
        cpu_floor="(client + devices CPU-s of the concurrent run) / cores; "
        "speedup_bound = sequential wall / cpu_floor",
        load_average=os.getloadavg(),
        cores=CORES,
        ncclient_poll_s=args.poll,
    )
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
