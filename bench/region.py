"""Benchmark of ``fsor region`` maps on a real network (``python -m bench.region [--quick]``).

Network: SNDlib germany50 (topohub) with 5 data centres at the best-connected
ROADMs (:func:`bench.plan.prepare`, 96 channels, 30 % occupied), 24 hourly slots
of ORCA Table V, ``--workloads`` synthetic workloads from 20 origins, every
site's power cap at 1.5 × its mean load (× PUE). A map sweeps dc0's power cap
(x, kW) against the total carbon cap per day (y, g).

Two measurements, each with the load average (``os.getloadavg``) before and after
(the 2 cores are shared: run it under ``flock /work/notes/bench.lock``):

* **warm vs cold** on the ``--n`` × ``--n`` map, in this process: one evaluator
  walks every cell the way one sweep worker does (runs along x, each from the end
  nearest its last cell), timed per cell; its one-off build + compile is timed
  apart. Cold: for ``--cold`` cells spread over the grid, the program is built,
  compiled by cvxpy and solved from scratch (presolve included) — both by fsor's
  evaluator and by cvxpy's own ``Problem.solve(solver=HIGHS)``; the faster of the
  two is the baseline. Both α must agree. Goal: mean warm cell ≤ 20 % of the mean
  cold one (wall and CPU; the median is printed too).
* **1 vs 2 Ray workers** on the ``--ray-n`` × ``--ray-n`` map: a private local Ray
  (``num_cpus=2``, no dashboard, 256 MiB object store, 1 GiB reserved per actor),
  ``--repeats`` alternating runs of each. Per run: Ray start, start-up (actors
  built and compiled), steady-state cells/s (from every evaluator ready to the
  last cell) and end-to-end cells/s (from ``ray.init`` on), and each worker's CPU
  seconds. The speed-up is the median steady-state rate of 2 over that of 1
  (goal ≥ 1.7), end-to-end beside it.

Writes ``bench/results/region.json`` and the map ``bench/results/region_map.png``.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time
import warnings
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import cvxpy as cp
import numpy as np

from bench.common import format_table, write_results
from bench.plan import prepare
from controller.region_map import write_map
from controller.sweep_runner import OBJECT_STORE_BYTES, SweepRun, run_sweep
from optimizer.analysis.sweep import Axis, CellEvaluator, cells_of, parse_axis, segments, with_axes
from optimizer.inputs import make_instance
from optimizer.inputs.caps import Caps
from optimizer.inputs.instance import Instance
from optimizer.inputs.signals import default_signals
from optimizer.inputs.workloads import synthetic_workloads

OUT = Path(__file__).resolve().parent / "results"


def load() -> list[float]:
    """The 1/5/15-minute load averages (what ``uptime`` prints)."""
    return [round(x, 2) for x in os.getloadavg()]


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


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(t: tuple[float, float]) -> tuple[float, float]:
    return time.perf_counter() - t[0], time.process_time() - t[1]


def _cvxpy_cold(inst: Instance, axes: list[Axis], cell: Any) -> float:
    """α of ``cell`` by cvxpy's own HiGHS path: build, compile and solve from scratch."""
    ev = CellEvaluator(inst, axes, prepare=False)  # builds the program; compiles nothing
    scale = ev.apply(cell)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ev.model.form.problem.solve(solver=cp.HIGHS)  # type: ignore[no-untyped-call]
    return float(np.asarray(ev.model.form.slacks["scale"].value, dtype=float)) / scale


def warm_vs_cold(inst: Instance, axes: list[Axis], count: int) -> dict[str, Any]:
    """Per-cell wall and CPU seconds, warm (as a sweep worker walks the map) and cold."""
    before = load()
    t = _clock()
    ev = CellEvaluator(inst, axes)  # one-off: build + cvxpy compile + HiGHS model loaded
    compile_s = _since(t)
    warm: dict[tuple[int, int], tuple[float, float]] = {}
    alpha: dict[tuple[int, int], float] = {}
    first = True
    for run in segments(axes):
        for c in ev.walk(run):
            t = _clock()
            r = ev.evaluate(c)
            if first:  # the worker's first cell solves from scratch (no basis yet)
                first_cell = _since(t)
                first = False
            warm[(c.i, c.j)] = _since(t)
            alpha[(c.i, c.j)] = r.alpha
    cells = cells_of(axes)
    pick = [cells[int(k)] for k in np.linspace(0, len(cells) - 1, min(count, len(cells)))]
    cold: dict[str, list[tuple[float, float]]] = {"fsor": [], "cvxpy": []}
    worst = 0.0
    for c in pick:
        t = _clock()
        a = CellEvaluator(inst, axes).evaluate(c).alpha  # build + compile + new HiGHS + solve
        cold["fsor"].append(_since(t))
        t = _clock()
        b = _cvxpy_cold(inst, axes, c)
        cold["cvxpy"].append(_since(t))
        for x in (a, b):
            w = alpha[(c.i, c.j)]
            if math.isfinite(w) and math.isfinite(x):
                worst = max(worst, abs(x - w) / max(1.0, abs(w)))
    w_wall = [v[0] for v in warm.values()]
    w_cpu = [v[1] for v in warm.values()]
    base = min(cold, key=lambda k: statistics.mean(v[0] for v in cold[k]))
    c_wall = [v[0] for v in cold[base]]
    c_cpu = [v[1] for v in cold[base]]
    same = [warm[(c.i, c.j)][0] for c in pick]
    return {
        "cells_warm": len(warm), "cells_cold": len(pick), "cold_baseline": base,
        "compile_s": round(compile_s[0], 4), "first_cell_s": round(first_cell[0], 4),
        "warm_mean_s": statistics.mean(w_wall), "warm_median_s": statistics.median(w_wall),
        "warm_mean_cpu_s": statistics.mean(w_cpu),
        "cold_mean_s": statistics.mean(c_wall), "cold_median_s": statistics.median(c_wall),
        "cold_mean_cpu_s": statistics.mean(c_cpu),
        "cold_fsor_mean_s": statistics.mean(v[0] for v in cold["fsor"]),
        "cold_cvxpy_mean_s": statistics.mean(v[0] for v in cold["cvxpy"]),
        "warm_over_cold": statistics.mean(w_wall) / statistics.mean(c_wall),
        "warm_over_cold_cpu": statistics.mean(w_cpu) / statistics.mean(c_cpu),
        "warm_over_cold_median": statistics.median(w_wall) / statistics.median(c_wall),
        "warm_over_cold_same_cells": statistics.mean(same) / statistics.mean(c_wall),
        "alpha_max_rel_diff": worst, "load_before": before, "load_after": load(),
    }  # fmt: skip


def ray_run(inst: Instance, axes: list[Axis], workers: int) -> tuple[dict[str, Any], SweepRun]:
    """One sweep on a private local Ray with ``workers`` actors."""
    import ray

    before = load()
    t0 = time.perf_counter()
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,
             object_store_memory=OBJECT_STORE_BYTES)  # fmt: skip
    ray_start = time.perf_counter() - t0
    try:
        run = run_sweep(inst, axes, workers=workers, backend="ray", progress=False)
    finally:
        ray.shutdown()
    cells = len(run.results)
    row = {
        "workers": workers, "cells": cells, "ray_start_s": round(ray_start, 2),
        "startup_s": round(run.startup_s, 2), "cells_per_s": round(run.cells_per_s, 3),
        "end_to_end_cells_per_s": round(cells / (ray_start + run.wall_s), 3),
        "wall_s": round(run.wall_s, 2),
        "cpu_s_per_worker": [round(c, 2) for c in run.cpu_s],
        "compile_cpu_s_per_worker": [round(c, 2) for c in run.build_cpu_s],
        "load_before": before, "load_after": load(),
    }  # fmt: skip
    return row, run


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true", help="6 x 6 and 8 x 8 maps, 40 workloads")
    p.add_argument("--n", type=int, default=10, help="cells per axis, warm vs cold (10)")
    p.add_argument("--ray-n", type=int, default=24, help="cells per axis, Ray runs (24)")
    p.add_argument("--workloads", type=int, default=60)
    p.add_argument("--cold", type=int, default=12, help="cells solved cold (12)")
    p.add_argument("--repeats", type=int, default=3, help="Ray runs per worker count (3)")
    args = p.parse_args(argv)
    n, rn, nw = (6, 8, 40) if args.quick else (args.n, args.ray_n, args.workloads)
    repeats = 1 if args.quick else args.repeats
    inst, axes = setup(nw, n)
    wc = warm_vs_cold(inst, axes, args.cold)
    print(
        f"warm vs cold, {n}x{n} map, {wc['cells_cold']} cells cold "
        f"(load {wc['load_before']} -> {wc['load_after']}):\n"
        f"  warm mean {wc['warm_mean_s']:.4f} s (median {wc['warm_median_s']:.4f}) vs cold mean "
        f"{wc['cold_mean_s']:.4f} s ({wc['cold_baseline']}; fsor {wc['cold_fsor_mean_s']:.4f}, "
        f"cvxpy {wc['cold_cvxpy_mean_s']:.4f}): {100 * wc['warm_over_cold']:.1f} % "
        f"(goal <= 20 %); CPU {100 * wc['warm_over_cold_cpu']:.1f} %; median/median "
        f"{100 * wc['warm_over_cold_median']:.1f} %; the cold cells' own warm time "
        f"{100 * wc['warm_over_cold_same_cells']:.1f} %\n"
        f"  one-off per worker: compile {wc['compile_s']:.3f} s, first cell "
        f"{wc['first_cell_s']:.3f} s; alpha warm vs cold max rel diff "
        f"{wc['alpha_max_rel_diff']:.1e}"
    )
    rinst, raxes = setup(nw, rn) if rn != n else (inst, axes)
    rows: list[dict[str, Any]] = []
    last: SweepRun | None = None
    for _ in range(repeats):
        for workers in (1, 2):
            row, last = ray_run(rinst, raxes, workers)
            rows.append(row)
    print(format_table(rows))

    def med(w: int, key: str) -> float:
        return statistics.median(float(r[key]) for r in rows if r["workers"] == w)

    speedup = med(2, "cells_per_s") / med(1, "cells_per_s")
    e2e = med(2, "end_to_end_cells_per_s") / med(1, "end_to_end_cells_per_s")
    print(
        f"speed-up 2 vs 1 Ray workers, {rn}x{rn} map, median of {repeats}: steady state "
        f"{speedup:.2f}x (goal >= 1.7), end to end {e2e:.2f}x"
    )
    assert last is not None
    results = last.results
    OUT.mkdir(parents=True, exist_ok=True)
    png = OUT / "region_map.png"
    write_map(png, raxes, results, title=f"germany50, 5 DCs, {nw} workloads: FSOR map")
    inside = sum(1 for r in results if r.feasible)
    print(f"map: {inside}/{len(results)} cells inside, drawn to {png}")
    path = write_results(
        "region", rows, speedup_2_vs_1=speedup, speedup_2_vs_1_end_to_end=e2e,
        warm_vs_cold=wc, map_png=str(png), cells_inside=inside,
        axes=[a.to_json() for a in raxes], warm_cold_axes=[a.to_json() for a in axes],
        workloads=nw, repeats=repeats, binding=sorted({r.binding for r in results}),
        grid=[r.to_json() for r in results],
    )  # fmt: skip
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
