"""Benchmark of ``fsor region`` maps on a real network (``python -m bench.region [--quick]``).

Network: SNDlib germany50 (topohub) with 5 data centres at the best-connected
ROADMs (:func:`bench.plan.prepare`, 96 channels, 30 % occupied), 24 hourly slots
of ORCA Table V, ``--workloads`` synthetic workloads from 20 origins, every
site's power cap at 1.5 × its mean load (× PUE). The map sweeps dc0's power cap
(x, kW) against the total carbon cap per day (y, g) on an N × N grid.

Measured, with the machine load (``uptime``) before and after each step
(other people share the 2 cores, so the ratios are only as clean as the load):

* cells/s of the whole map with 1 and with 2 Ray workers (a private local Ray,
  evaluators built before the clock starts), and their ratio (goal ≥ 1.7);
* per cell: a warm cell (Parameters moved, the persistent HiGHS model re-solved)
  vs a cold one (program built, compiled by cvxpy and solved from scratch), the
  median over ``--cold`` cells in this process (goal: warm ≤ 20 % of cold).

Writes ``bench/results/region.json`` and the map ``bench/results/region_map.png``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import format_table, write_results
from bench.plan import prepare
from controller.region_map import write_map
from controller.sweep_runner import run_sweep
from optimizer.analysis.sweep import Axis, CellEvaluator, cells_of, parse_axis, with_axes
from optimizer.inputs import make_instance
from optimizer.inputs.caps import Caps
from optimizer.inputs.instance import Instance
from optimizer.inputs.signals import default_signals
from optimizer.inputs.workloads import synthetic_workloads

OUT = Path(__file__).resolve().parent / "results"


def load() -> str:
    """The 1/5/15-minute load averages (what ``uptime`` prints)."""
    a, b, c = os.getloadavg()
    return f"{a:.2f} {b:.2f} {c:.2f}"


def setup(n_workloads: int, n: int) -> tuple[Instance, list[Axis]]:
    inv = prepare("germany50", 96, 0.3, 0)
    inv = replace(inv, sites=inv.sites[:5])
    rng = np.random.default_rng(1)
    roadms = sorted(r.id for r in inv.roadms)
    origins = [str(o) for o in rng.choice(roadms, size=20, replace=False)]
    ws = synthetic_workloads(n_workloads, origins, 0, horizon=24)
    mean_kw = sum(w.energy_kwh for w in ws) / 24.0 / len(inv.sites)
    sites, regions = [s.id for s in inv.sites], {s.region for s in inv.sites}
    day_g = sum(w.energy_kwh for w in ws) * 300.0  # ~ the mix at 300 g/kWh
    axes = [
        parse_axis(f"power:dc0=0:{4 * mean_kw:.1f}:{n}", "--x", sites=sites, regions=regions),
        parse_axis(f"carbon:total={0.2 * day_g:.0f}:{1.5 * day_g:.0f}:{n}", "--y",
                   sites=sites, regions=regions),
    ]  # fmt: skip
    caps = Caps(site_power_kw={s.id: 1.5 * mean_kw * s.pue for s in inv.sites})
    return make_instance(inv, default_signals(), ws, with_axes(caps, axes), site_caps=False), axes


def warm_vs_cold(inst: Instance, axes: list[Axis], count: int) -> dict[str, Any]:
    """Median wall and CPU seconds of a warm and a cold cell (CPU: what load does not inflate)."""
    cells = cells_of(axes)
    pick = [cells[int(k)] for k in np.linspace(0, len(cells) - 1, count)]
    ev = CellEvaluator(inst, axes)
    ev.evaluate(pick[-1])  # compiled once, outside the clock
    warm: list[tuple[float, float]] = []
    cold: list[tuple[float, float]] = []
    for c in pick:
        t, p = time.perf_counter(), time.process_time()
        ev.evaluate(c)
        warm.append((time.perf_counter() - t, time.process_time() - p))
        t, p = time.perf_counter(), time.process_time()
        CellEvaluator(inst, axes).evaluate(c)  # build + cvxpy compile + new HiGHS model
        cold.append((time.perf_counter() - t, time.process_time() - p))
    w, c_ = statistics.median(x[0] for x in warm), statistics.median(x[0] for x in cold)
    wc, cc = statistics.median(x[1] for x in warm), statistics.median(x[1] for x in cold)
    return {
        "warm_cell_s": w, "cold_cell_s": c_, "warm_over_cold": w / c_,
        "warm_cell_cpu_s": wc, "cold_cell_cpu_s": cc, "warm_over_cold_cpu": wc / cc,
        "cells": count,
    }  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true", help="6 x 6 map, 40 workloads")
    p.add_argument("--n", type=int, default=10, help="cells per axis (default 10)")
    p.add_argument("--workloads", type=int, default=60)
    p.add_argument("--cold", type=int, default=6, help="cells timed warm vs cold")
    args = p.parse_args(argv)
    n, nw = (6, 40) if args.quick else (args.n, args.workloads)
    inst, axes = setup(nw, n)
    rows: list[dict[str, Any]] = []
    import ray

    results = None
    for workers in (1, 2):
        before = load()
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,
                 object_store_memory=256 * 2**20)  # fmt: skip
        try:
            run = run_sweep(inst, axes, workers=workers, backend="ray", progress=True)
        finally:
            ray.shutdown()
        results = run.results
        rows.append({
            "what": f"map {n}x{n} on ray", "workers": workers, "cells": len(run.results),
            "cells_per_s": round(run.cells_per_s, 3), "startup_s": round(run.startup_s, 2),
            "wall_s": round(run.wall_s, 2), "load_before": before, "load_after": load(),
            "cpu_s_per_worker": [round(c, 1) for c in run.cpu_s],
            "cpu_bound_cells_per_s": round(run.cpu_bound_cells_per_s, 3),
        })  # fmt: skip
    r1, r2 = rows[0]["cells_per_s"], rows[1]["cells_per_s"]
    speedup = r2 / r1 if r1 else None
    c1, c2 = rows[0]["cpu_bound_cells_per_s"], rows[1]["cpu_bound_cells_per_s"]
    cpu_speedup = c2 / c1 if c1 else None
    before = load()
    wc = warm_vs_cold(inst, axes, args.cold)
    rows.append({
        "what": "warm cell vs cold solve", "workers": 1, "cells": wc["cells"],
        "cells_per_s": round(1 / wc["warm_cell_s"], 3), "startup_s": None,
        "wall_s": round(wc["warm_cell_s"], 3), "load_before": before, "load_after": load(),
        "cpu_s_per_worker": None, "cpu_bound_cells_per_s": None,
    })  # fmt: skip
    assert results is not None
    OUT.mkdir(parents=True, exist_ok=True)
    png = OUT / "region_map.png"
    write_map(png, axes, results, title=f"germany50, 5 DCs, {nw} workloads: FSOR map")
    inside = sum(1 for r in results if r.feasible)
    print(format_table(rows))
    print(f"speed-up 2 vs 1 Ray workers: {speedup:.2f}x (goal >= 1.7)" if speedup else "")
    if cpu_speedup:
        print(f"  with a free core per worker (cells / busiest worker's CPU s): {cpu_speedup:.2f}x")
    print(
        f"warm cell {wc['warm_cell_s']:.3f} s vs cold {wc['cold_cell_s']:.3f} s: "
        f"{100 * wc['warm_over_cold']:.0f} % (goal <= 20 %); CPU {wc['warm_cell_cpu_s']:.3f} "
        f"vs {wc['cold_cell_cpu_s']:.3f} s: {100 * wc['warm_over_cold_cpu']:.0f} %"
    )
    print(f"map: {inside}/{len(results)} cells inside, drawn to {png}")
    path = write_results(
        "region", rows, speedup_2_vs_1=speedup, cpu_bound_speedup_2_vs_1=cpu_speedup,
        warm_vs_cold=wc, map_png=str(png),
        cells_inside=inside, axes=[a.to_json() for a in axes], workloads=nw,
        binding=sorted({r.binding for r in results}),
        grid=[r.to_json() for r in results],
    )  # fmt: skip
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
