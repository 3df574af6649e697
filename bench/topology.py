"""Benchmark: build time and k=5 candidate paths for all ROADM pairs of real networks.

Run ``.venv/bin/python -m bench.topology`` (``--quick`` for a subset of pairs).
For each network it measures load + build time and the time to compute k=5
candidate paths (Yen + continuity + reach + energy) for every unordered ROADM
pair, and, as the baseline in the same run, plain networkx Yen
(``shortest_simple_paths``, k=5) for the same pairs: the ratio says what the
annotation costs on top of path search. Writes ``bench/results/topology.json``.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: keep bench/ from shadowing the topology package
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import networkx as nx

from bench.common import format_table, write_results
from topology import build, candidate_paths, fibre_graph, load_named

NETWORKS = ("gnpy:coronet-global", "topohub:sndlib/nobel-germany", "topohub:sndlib/germany50")
K = 5


def _bench(name: str, max_pairs: int | None) -> dict[str, Any]:
    t0 = time.perf_counter()
    inv = load_named(name)
    t1 = time.perf_counter()
    g = build(inv)
    t2 = time.perf_counter()
    roadms = sorted(r.id for r in inv.roadms)
    pairs = list(itertools.combinations(roadms, 2))[:max_pairs]
    n_paths = reach_ok = translucent = 0
    for s, t in pairs:
        paths = candidate_paths(g, s, t, k=K)
        n_paths += len(paths)
        reach_ok += bool(paths) and paths[0].reach_ok
        translucent += bool(paths) and not paths[0].reach_ok and paths[0].regen_at is not None
    t3 = time.perf_counter()
    sub = nx.Graph(fibre_graph(g))  # the baseline gets the ROADM graph built once, untimed
    t3b = time.perf_counter()
    for s, t in pairs:
        list(itertools.islice(nx.shortest_simple_paths(sub, s, t, weight="length_km"), K))
    t4 = time.perf_counter()
    return {
        "network": name,
        "roadms": len(inv.roadms),
        "links": len(inv.fibres),
        "fibre_km": round(sum(f.length_km for f in inv.fibres)),
        "load_s": t1 - t0,
        "build_s": t2 - t1,
        "pairs": len(pairs),
        "paths": n_paths,
        "paths_s": t3 - t2,
        "ms_per_pair": 1000 * (t3 - t2) / max(len(pairs), 1),
        "yen_only_s": t4 - t3b,
        "ratio_vs_yen": (t3 - t2) / max(t4 - t3b, 1e-9),
        "best_reach_ok": reach_ok,
        "best_translucent": translucent,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the table, write the JSON; return 0."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--quick", action="store_true", help="only the first 300 pairs per network")
    ap.add_argument("--networks", nargs="*", default=list(NETWORKS))
    args = ap.parse_args(argv)
    rows = [_bench(n, 300 if args.quick else None) for n in args.networks]
    print(format_table(rows))
    path = write_results("topology", rows, k=K, quick=args.quick)
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
