"""Southbound benchmark over WAN latency: discovery concurrent vs sequential, client CPU per
device, notification latency, and one confirmed transaction of many lightpaths.

Run: ``.venv/bin/python -m bench.southbound [--sizes 50 200] [--delays 0 20 50]
[--lightpaths 1000] [--push-roadms 15] [--push-delay 20]``. Brings generated ring labs up
(loopback backend, emulator devices with the lab's one-way delay label ``fsor.delay-ms``:
every byte a device sends or receives is that late, a round trip of twice it), measures,
tears them down; prints tables and writes ``bench/results/southbound.json`` with the load
average before and after each lab. The machine is shared: ratios within one run mean more
than absolute seconds.

>>> inv = ring_inventory(3)
>>> len(inv.roadms), len(inv.fibres), inv.fibres[0].amplifiers
(3, 3, 1)
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lxml import etree

from bench.common import format_table, write_results
from containerlab import runner
from containerlab.generate import lab_from_inventory, write_lab
from containerlab.status import children_map, descendants
from controller.discovery import discover
from controller.edits import LightpathIntent, intent_id
from controller.lab_inject import inject_rpc
from controller.notifications import EventStream
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
    "ring_with_transponders",
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


def ring_with_transponders(k: int, line_ports: int) -> Inventory:
    """:func:`ring_inventory` with two transponders of ``line_ports`` ports per ROADM:
    ``tp-r<i>-tx`` (lightpaths leaving) and ``tp-r<i>-rx`` (lightpaths arriving).

    >>> inv = ring_with_transponders(4, 3)
    >>> [(t.id, t.roadm, t.line_ports) for t in inv.transponders][:2]
    [('tp-r0-tx', 'r0', 3), ('tp-r0-rx', 'r0', 3)]
    """
    ring = ring_inventory(k)
    tps = tuple(
        Transponder(f"tp-{r.id}-{end}", r.id, line_ports=line_ports)
        for r in ring.roadms
        for end in ("tx", "rx")
    )
    return Inventory(f"ring{k}tp", ring.roadms, tps, fibres=ring.fibres)


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


def _load() -> float:
    return round(os.getloadavg()[0], 2)


async def _timed(
    seed: Seed, opts: SessionOptions, pids: list[int], concurrency: int | None, pool: Any
) -> tuple[float, float, float, int]:
    """(wall, client CPU, devices' CPU, reachable) of one discovery."""
    d0, c0, t0 = cpu_seconds(pids), time.process_time(), time.perf_counter()
    res = await discover(seed, opts, pool=pool, concurrency=concurrency, device_timeout_s=60.0)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return wall, cpu, cpu_seconds(pids) - d0, sum(d.reachable for d in res.devices)


def _dispatch(m: Any, rpc: etree._Element) -> Any:
    return m.dispatch(rpc)


async def _notify_latency(seed: Seed, opts: SessionOptions, pool: SessionPool) -> float | None:
    """Seconds from sending ``inject-event port-down`` to one ROADM (over the pool) until
    the controller's :class:`EventStream` yields the device's notification (median of 3)."""
    roadm = next(d.id for d in seed.devices if d.role == "roadm")
    port = "eth1"
    out = []
    async with EventStream(pool, [roadm]) as events:
        for event, kind in (("port-down", "port-down"), ("port-up", "port-up")) * 2:
            rpc = etree.fromstring(inject_rpc(event, port))
            t0 = time.perf_counter()
            await pool.call(roadm, functools.partial(_dispatch, rpc=rpc))
            while True:
                ev = await events.get(timeout=10.0)
                if ev is None:
                    return None
                if ev.kind == kind:
                    out.append(time.perf_counter() - t0)
                    break
    return statistics.median(out)


async def _discovery_runs(clab: Path, instance: str, repeats: int) -> dict[str, Any]:
    """Cold concurrent and sequential runs (alternating), warm concurrent; medians."""
    seed = seed_from_lab(clab, instance)
    opts = SessionOptions(known_hosts=seed.known_hosts, rpc_timeout_s=120.0)
    pids = device_pids(instance)
    # warm-up (untimed): each device's first <get> pays one-off costs (lazy schema work)
    await discover(seed, opts, device_timeout_s=60.0)
    runs: dict[str, list[tuple[float, float, float, int]]] = {}
    for r in range(repeats):
        for conc in (None, 1) if r % 2 == 0 else (1, None):
            runs.setdefault(f"cold_{conc}", []).append(await _timed(seed, opts, pids, conc, None))
    async with SessionPool([d.endpoint for d in seed.devices], opts) as pool:
        await discover(seed, opts, pool=pool, device_timeout_s=60.0)  # open every session
        for _ in range(repeats):
            runs.setdefault("warm_None", []).append(await _timed(seed, opts, pids, None, pool))
        notify = await _notify_latency(seed, opts, pool)
    n = len(seed.devices)

    def med(key: str, i: int) -> float:
        return statistics.median(x[i] for x in runs[key])

    return {
        "concurrent_s": med("cold_None", 0),
        "sequential_s": med("cold_1", 0),
        "speedup": med("cold_1", 0) / med("cold_None", 0),
        "client_cpu_s": med("cold_None", 1),
        "client_cpu_ms_per_device": 1000 * med("cold_None", 1) / n,
        "devices_cpu_s": med("cold_None", 2),
        "cpu_floor_s": (med("cold_None", 1) + med("cold_None", 2)) / CORES,
        "client_cpu_ms_per_device_seq": 1000 * med("cold_1", 1) / n,
        "warm_concurrent_s": med("warm_None", 0),
        "warm_client_cpu_ms_per_device": 1000 * med("warm_None", 1) / n,
        "notify_s": notify,
        "reachable": min(x[3] for xs in runs.values() for x in xs),
    }


def bench_discovery(n: int, delay_ms: float, work: Path, repeats: int = 1) -> dict[str, Any]:
    """Discovery of a ring lab of ~``n`` emulator devices (k ROADMs, k amplifier nodes, k
    transponders) ``delay_ms`` away (one way).

    *cold* = what ``fsor discover`` does: open the SSH sessions, hello, one ``<get>`` per
    device, close; concurrent (all at once) and sequential (``concurrency=1``) on the same
    lab, alternating. *warm* re-discovers over sessions already open (a running controller).
    Client CPU is this process (all threads); devices' CPU from ``/proc``.
    """
    k = max(3, -(-n // 3))
    name = f"sb{n}d{int(delay_ms)}"
    clab = write_generated(
        ring_inventory(k),
        name,
        work,
        transponders_per_roadm=1,
        conformance_nodes=0,
        delay_ms=delay_ms,
    )
    inst = f"{name}-{os.getpid()}"
    load0 = _load()
    t0 = time.perf_counter()
    start(clab, inst)
    up_s = time.perf_counter() - t0
    try:
        runs = asyncio.run(_discovery_runs(clab, inst, repeats))
    finally:
        runner.down(clab, instance=inst)
    return {
        "bench": "discovery",
        "devices": 3 * k,
        "delay_ms": delay_ms,
        "lab_up_s": up_s,
        **runs,
        "load_before": load0,
        "load_after": _load(),
    }


def ring_intents(k: int, count: int) -> list[LightpathIntent]:
    """``count`` lightpaths on the ring of :func:`ring_with_transponders`: lightpath ``i`` goes
    from ``tp-r<j>-tx`` to ``tp-r<j+1>-rx`` over fibre ``f<j>`` (``j = i mod k``), on channel
    ``i div k`` of the 50 GHz grid (so no transponder has two lightpaths on one frequency)."""
    grid = ChannelGrid()
    out = []
    for i in range(count):
        j = i % k
        a, b = f"r{j}", f"r{(j + 1) % k}"
        f = round(grid.frequency_thz(i // k) * 1e6)
        out.append(
            LightpathIntent(
                intent_id(f"w{i}", (a, b), f), (a, b), f, (f"tp-{a}-tx", f"tp-{b}-rx"), mode=1
            )
        )
    return out


async def _push(clab: Path, inst: str, k: int, count: int) -> dict[str, Any]:
    seed = seed_from_lab(clab, inst)
    pids = device_pids(inst)
    opts = SessionOptions(known_hosts=seed.known_hosts, rpc_timeout_s=300.0)
    async with SessionPool([d.endpoint for d in seed.devices], opts) as pool:
        found = await discover(seed, opts, pool=pool, device_timeout_s=120.0)
        unreachable = [d.id for d in found.devices if not d.reachable]
        intents = ring_intents(k, count)
        d0, c0, t0 = cpu_seconds(pids), time.process_time(), time.perf_counter()
        res = await apply_intents(pool, found, intents, confirm_timeout_s=600)
        push, cpu = time.perf_counter() - t0, time.process_time() - c0
        dev_cpu = cpu_seconds(pids) - d0
        again = await apply_intents(pool, found, intents, confirm_timeout_s=600)
    return {
        "bench": "push",
        "lightpaths": count,
        "devices": len(seed.devices),
        "unreachable": len(unreachable),
        "devices_changed": len(res.changed),
        "push_s": push,
        "client_cpu_s": cpu,
        "devices_cpu_s": dev_cpu,
        "cpu_floor_s": (cpu + dev_cpu) / CORES,
        "timings": {k2: round(v, 3) for k2, v in res.timings.items()},
        "reapply_changes": len(again.changed),
    }


def bench_push(count: int, roadms: int, delay_ms: float, work: Path) -> dict[str, Any]:
    """Push ``count`` lightpaths as ONE confirmed transaction over a ring of ``roadms`` ROADMs
    (4 × ``roadms`` devices: ROADMs, amplifier nodes, two transponders each; ``delay_ms``
    away)."""
    ports = -(-count // roadms)
    name = f"push{count}d{int(delay_ms)}"
    clab = write_generated(
        ring_with_transponders(roadms, ports), name, work, conformance_nodes=0, delay_ms=delay_ms
    )
    inst = f"{name}-{os.getpid()}"
    load0 = _load()
    start(clab, inst)
    try:
        out = asyncio.run(_push(clab, inst, roadms, count))
    finally:
        runner.down(clab, instance=inst)
    return {**out, "delay_ms": delay_ms, "load_before": load0, "load_after": _load()}


_DISC_COLS = (
    "devices",
    "delay_ms",
    "concurrent_s",
    "sequential_s",
    "speedup",
    "client_cpu_ms_per_device",
    "devices_cpu_s",
    "cpu_floor_s",
    "warm_concurrent_s",
    "notify_s",
    "reachable",
    "load_before",
    "load_after",
)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", type=int, nargs="*", default=[50, 200])
    p.add_argument("--delays", type=float, nargs="*", default=[0.0, 20.0, 50.0])
    p.add_argument("--repeats", type=int, default=1, help="discovery runs per mode (median)")
    p.add_argument("--lightpaths", type=int, nargs="*", default=[1000])
    p.add_argument(
        "--push-roadms", type=int, default=15, help="ROADMs of the push ring (x4 devices)"
    )
    p.add_argument(
        "--push-delay", type=float, default=20.0, help="one-way delay of the push lab, ms"
    )
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
            for d in args.delays:
                rows.append(bench_discovery(n, d, Path(tmp), args.repeats))
                print(format_table([{c: rows[-1][c] for c in _DISC_COLS}]), file=sys.stderr)
        for c in args.lightpaths:
            rows.append(bench_push(c, args.push_roadms, args.push_delay, Path(tmp)))
            print(format_table(rows[-1:]), file=sys.stderr)
    disc = [{c: r[c] for c in _DISC_COLS} for r in rows if r["bench"] == "discovery"]
    push = [r for r in rows if r["bench"] == "push"]
    if disc:
        print(format_table(disc))
    if push:
        print(format_table(push))
    path = write_results(
        "southbound",
        rows,
        goals={
            "at 20 ms: concurrent/sequential, 50 devices": ">= 10",
            "at 20 ms: 200 devices discovered (concurrent, cold)": "<= 5 s",
            "client CPU per device": "<= 15 ms",
            "1000 lightpaths over >= 50 devices, one confirmed transaction, 20 ms": "<= 10 s",
        },
        delay="one-way, every byte each device sends and receives (round trip = 2 x delay)",
        cpu_floor="(client + devices CPU-s of the concurrent run) / cores",
        cores=CORES,
        ncclient_poll_s=args.poll,
    )
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
