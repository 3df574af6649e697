"""Lab runner benchmark: up/down time and memory per node, 10 and 50 nodes, both device kinds.

Run ``python -m bench.lab [--sizes 10 50] [--kinds device netconfd] [--backends ...]``.
Each run generates a lab of N nodes of one kind (a ring of N ROADM emulators, or N
netconfd nodes), brings it up (readiness = a NETCONF hello from every node), measures the
resident memory of every node's processes, and tears it down. Prints a table and writes
``bench/results/lab.json``. Times depend on the machine's load; no assertions.

>>> inv = ring(3)
>>> [r.id for r in inv.roadms], [f.id for f in inv.fibres]
(['r0', 'r1', 'r2'], ['f0', 'f1', 'f2'])
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import format_table, write_results
from containerlab.netconfd_node import rss_kib_of
from topology.model import Fibre, Inventory, Roadm

__all__ = ["main", "ring", "run_one"]


def ring(n: int) -> Inventory:
    """N ROADMs on a ring of 80 km fibres (no in-line amplifiers)."""
    ids = [f"r{i}" for i in range(n)]
    fibres = tuple(Fibre(f"f{i}", ids[i], ids[(i + 1) % n], 80.0) for i in range(n) if n > 1)
    roadms = tuple(Roadm(r, tuple(f.id for f in fibres if r in (f.a, f.b))) for r in ids)
    return Inventory(f"ring{n}", roadms, fibres=fibres)


def run_one(kind: str, n: int, backend: str, workdir: Path, subnet: str) -> dict[str, Any]:
    """Up, measure, down one lab of ``n`` nodes of ``kind``; return a result row."""
    from containerlab import runner
    from containerlab.generate import lab_from_inventory, write_lab
    from containerlab.status import children_map, descendants

    name = f"bench-{kind[0]}{n}"
    if kind == "device":
        gen = lab_from_inventory(
            ring(n), name, mgmt_subnet=subnet, amplifier_nodes=False, conformance_nodes=0
        )
    else:
        gen = lab_from_inventory(Inventory(name, ()), name, mgmt_subnet=subnet, conformance_nodes=n)
    file = write_lab(gen, workdir)
    instance = f"{name}-{os.getpid()}"
    t0 = time.perf_counter()
    try:
        status = runner.up(file, backend=backend, instance=instance, timeout=60 + 3.0 * n)
        up_s = time.perf_counter() - t0
        state = runner.load_state(instance=instance) or {"nodes": []}
        tree = children_map()
        pids = [p for nd in state["nodes"] for p, _ in nd["pids"]]
        rss = sum(rss_kib_of(p) + sum(rss_kib_of(c) for c in descendants(p, tree)) for p in pids)
        ready = sum(nd.ready for nd in status.nodes)
    finally:
        t1 = time.perf_counter()
        runner.down(file, instance=instance)
        down_s = time.perf_counter() - t1
    return {
        "kind": kind,
        "backend": backend,
        "nodes": n,
        "ready": ready,
        "up_s": round(up_s, 2),
        "up_s_per_node": round(up_s / n, 3),
        "down_s": round(down_s, 2),
        "rss_mib_per_node": round(rss / 1024 / n, 1),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark grid and print/write the results."""
    from containerlab.backends import netns

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[10, 50])
    p.add_argument(
        "--kinds", nargs="+", default=["device", "netconfd"], choices=["device", "netconfd"]
    )
    default_backends = ["netns", "loopback"] if netns.available() else ["loopback"]
    p.add_argument("--backends", nargs="+", default=default_backends, choices=["netns", "loopback"])
    args = p.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="fsor-bench-lab-") as tmp:
        for i, (kind, backend, n) in enumerate(
            (k, b, n) for k in args.kinds for b in args.backends for n in args.sizes
        ):
            subnet = f"172.31.{200 + i}.0/24"
            rows.append(run_one(kind, n, backend, Path(tmp), subnet))
            print(format_table(rows[-1:]), flush=True)
    print()
    print(format_table(rows))
    path = write_results(
        "lab", rows, cpus_note="shared machine; times include Python start-up of each node"
    )
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
