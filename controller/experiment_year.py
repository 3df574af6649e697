"""``fsor experiment year`` and ``backbone``: days as tasks, resumable, then report and plots.

The tasks (:func:`optimizer.analysis.experiment_year.day_tasks`) run through
:func:`controller.experiment_runner.run_tasks` with a local process pool of
``--workers`` (any ``map``-like executor, e.g. Ray, fits the same slot);
results go to ``OUT/tasks.jsonl`` as they arrive, so a second run resumes
(``--fresh`` starts over). The summary, figures and report are then computed
from the results file alone.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path
from typing import Any

from controller.experiment_plots import period_figures
from controller.experiment_report import days_markdown, write_outputs
from controller.experiment_runner import Executor, local_executor, ray_executor, run_tasks
from optimizer.analysis.experiment_summary import summarise
from optimizer.analysis.experiment_year import (
    PLANNERS,
    SCENARIOS,
    day_tasks,
    grid_2023_dir,
    run_day,
)

__all__ = ["run_backbone", "run_scenario", "run_year"]


def run_scenario(
    scenario: str,
    out: Path,
    *,
    seed: int = 0,
    days: int | None = None,
    time_limit: float = 20.0,
    executor: Executor | None = None,
    workers: int = 1,
    fresh: bool = False,
    progress: bool = True,
    backend: str = "processes",
) -> dict[str, Any]:
    """Run (or resume) ``scenario`` into ``out``; return the JSON document it wrote."""
    tasks = day_tasks(scenario, seed, days, time_limit, grid_2023_dir())
    results_file = out / "tasks.jsonl"
    if fresh and results_file.exists():
        results_file.unlink()
    t0 = time.perf_counter()
    results = run_tasks(
        tasks, run_day, results_file, executor or local_executor(workers),
        progress=progress, desc=f"{scenario} days",
    )
    wall = time.perf_counter() - t0
    doc: dict[str, Any] = {
        "experiment": scenario,
        "seed": seed,
        "time_limit_s": time_limit,
        "scenario": dict(SCENARIOS[scenario]),
        "workers": workers,
        "backend": backend,
        "wall_s": wall,
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        **summarise(results, PLANNERS, "month" if scenario == "year" else "day"),
        "results": results,
    }
    figures = period_figures(doc, out, scenario)
    doc["figures"] = figures
    write_outputs(out, scenario, doc, days_markdown(doc, figures))
    return doc


def _executor(args: argparse.Namespace) -> Executor:
    if args.ray or args.ray_address:
        return ray_executor(args.workers, args.ray_address)
    return local_executor(args.workers)


def run_year(args: argparse.Namespace, out: Path) -> dict[str, Any]:
    """``fsor experiment year``."""
    return run_scenario("year", out, seed=args.seed, days=args.days,
                        time_limit=args.time_limit, executor=_executor(args),
                        workers=args.workers, fresh=args.fresh, progress=args.progress,
                        backend="ray" if args.ray or args.ray_address else "processes")


def run_backbone(args: argparse.Namespace, out: Path) -> dict[str, Any]:
    """``fsor experiment backbone``."""
    return run_scenario("backbone", out, seed=args.seed, days=args.days,
                        time_limit=args.time_limit, executor=_executor(args),
                        workers=args.workers, fresh=args.fresh, progress=args.progress,
                        backend="ray" if args.ray or args.ray_address else "processes")
