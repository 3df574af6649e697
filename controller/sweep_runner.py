"""Run the cells of a cap map on Ray (or local processes), resumably, with a progress bar.

Backends:

* ``ray`` — one Ray actor per worker (:class:`optimizer.analysis.sweep.CellEvaluator`): it
  compiles the program once and changes only Parameters from cell to cell.
  Without an address Ray starts a private local instance (``address="local"``:
  never an existing one) with no dashboard, ``workers`` CPUs, a 256 MiB object
  store and a 1 GiB memory reservation per actor (fits a 2-core, 24 GB machine).
  With ``ray_address`` (``--ray-address`` or ``RAY_ADDRESS``) the cells run on that
  cluster. An already initialised Ray (e.g. a test's ``ray.init()``) is used as is.
* ``processes`` — the same evaluators in ``workers`` spawned local processes
  (the fallback when Ray is not installed: ``pip install 'fsor[ray]'``).
* ``inline`` — in this process (one worker, for tests and tiny maps).

Work is handed out in runs of neighbouring cells (:func:`optimizer.analysis.sweep.segments`:
one row of the map at a time): an idle worker takes the next run and walks it from
the end nearest to its last cell, so every cell after a worker's first starts from
a neighbour's simplex basis, and the workers stay busy until the last run.
``startup_s`` (Ray start, the evaluators built and compiled) is reported apart from
the cells' rate.

Resumable: every finished cell is appended to ``results`` (JSON lines; the first
line names the sweep by a fingerprint of its inputs); a re-run of the same sweep
skips the cells already there. A results file of another sweep is refused.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from optimizer.analysis.region_highs import single_threaded_highs
from optimizer.analysis.sweep import Axis, Cell, CellEvaluator, CellResult, cells_of, segments
from optimizer.inputs.instance import Instance
from topology.errors import InputError

__all__ = ["SweepRun", "load_results", "ray_available", "run_sweep"]

log = logging.getLogger("fsor.sweep")

#: Ray's object store for a sweep (cells and results are small)
OBJECT_STORE_BYTES = 256 * 2**20
#: memory reserved per evaluator actor (a compiled program of a few 10k rows)
ACTOR_MEMORY_BYTES = 2**30


@dataclass(frozen=True)
class SweepRun:
    """What a sweep did: results of every cell, how many were resumed, where it ran."""

    results: tuple[CellResult, ...]
    resumed: int
    backend: str
    workers: int
    wall_s: float
    cells_per_s: float
    notes: tuple[str, ...] = field(default_factory=tuple)
    startup_s: float = 0.0  # Ray start and evaluator builds (not in cells_per_s)
    cpu_s: tuple[float, ...] = ()  # CPU seconds of the cells in each worker process
    build_cpu_s: tuple[float, ...] = ()  # CPU s of each worker's build + compile (Ray)

    @property
    def end_to_end_cells_per_s(self) -> float:
        """Cells/s over the whole wall time, start-up included."""
        done = len(self.results) - self.resumed
        return done / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def cpu_bound_cells_per_s(self) -> float:
        """Cells/s if every worker had a core to itself: cells / the busiest worker's CPU s."""
        busiest = max(self.cpu_s, default=0.0)
        done = len(self.results) - self.resumed
        return done / busiest if busiest > 0 else 0.0


def ray_available() -> bool:
    """True when the optional ``ray`` extra is installed."""
    try:
        import ray  # noqa: F401
    except ImportError:
        return False
    return True


def load_results(path: Path, fingerprint: str) -> dict[tuple[int, int], CellResult]:
    """Finished cells of the sweep ``fingerprint`` in ``path`` (empty if the file is absent)."""
    if not path.exists():
        return {}
    out: dict[tuple[int, int], CellResult] = {}
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh):
            if not line.strip():
                continue
            try:
                doc = json.loads(line)
            except json.JSONDecodeError:
                if n == 0:
                    raise InputError(
                        str(path), "line 1", line[:40], "expected a sweep header"
                    ) from None
                continue  # a line cut by an interrupted run: that cell runs again
            if n == 0:
                if doc.get("sweep") != fingerprint:
                    raise InputError(
                        str(path),
                        "sweep",
                        doc.get("sweep"),
                        f"expected the results of this sweep ({fingerprint[:12]}…); "
                        "use another --results file",
                    )
                continue
            r = CellResult.from_json(doc)
            out[(r.i, r.j)] = r
    return out


class TimedEvaluator:
    """A :class:`CellEvaluator` that also reports the CPU seconds its process spent per batch
    (the work itself, whatever else the machine runs: ``cpu_s`` in :class:`SweepRun`)."""

    def __init__(
        self, inst: Instance, axes: tuple[Axis, ...], time_limit: float, own_process: bool = False
    ) -> None:
        # a worker that owns its process keeps HiGHS to one thread: the cores are the workers'
        self.single_thread = single_threaded_highs() if own_process else False
        t0 = time.process_time()
        self.ev = CellEvaluator(inst, axes, time_limit)
        self.build_cpu_s = time.process_time() - t0  # build + cvxpy compile + HiGHS load

    def ready(self) -> tuple[int, float, bool]:
        """(pid, CPU s of the build and compile, HiGHS single-threaded) once built."""
        return os.getpid(), self.build_cpu_s, self.single_thread

    def evaluate_many(self, cells: list[Cell]) -> tuple[int, float, list[CellResult]]:
        t0 = time.process_time()
        out = self.ev.evaluate_many(cells)
        return os.getpid(), time.process_time() - t0, out


_evaluator: TimedEvaluator | None = None  # one per worker process (set by _init)


def _init(inst: Instance, axes: tuple[Axis, ...], time_limit: float) -> None:
    global _evaluator
    _evaluator = TimedEvaluator(inst, axes, time_limit, own_process=True)


def _eval(cells: list[Cell]) -> tuple[int, float, list[CellResult]]:
    assert _evaluator is not None
    return _evaluator.evaluate_many(cells)


def _run_processes(
    inst: Instance,
    axes: tuple[Axis, ...],
    runs: list[list[Cell]],
    workers: int,
    time_limit: float,
    done: Callable[[tuple[int, float, list[CellResult]]], None],
) -> None:
    ctx = get_context("spawn")
    with ProcessPoolExecutor(workers, ctx, _init, (inst, axes, time_limit)) as pool:
        pending: set[Future[tuple[int, float, list[CellResult]]]] = {
            pool.submit(_eval, r) for r in runs
        }
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for f in finished:
                done(f.result())


def _run_ray(
    inst: Instance,
    axes: tuple[Axis, ...],
    runs: list[list[Cell]],
    workers: int,
    time_limit: float,
    address: str | None,
    done: Callable[[tuple[int, float, list[CellResult]]], None],
    started_at: list[float],
    build_cpu: list[float],
) -> str:
    import ray

    started = False
    if not ray.is_initialized():
        if address:
            ray.init(address=address, log_to_driver=False)
            where = f"ray cluster {address}"
        else:
            ray.init(
                address="local",
                num_cpus=workers,
                include_dashboard=False,
                object_store_memory=OBJECT_STORE_BYTES,
                log_to_driver=False,
            )
            where = f"local ray ({workers} CPUs, no dashboard)"
        started = True
    else:
        where = "the running ray instance"
    try:
        actor_cls: Any = ray.remote(num_cpus=1, memory=ACTOR_MEMORY_BYTES)(TimedEvaluator)
        inst_ref = ray.put(inst)
        actors = [actor_cls.remote(inst_ref, axes, time_limit, True) for _ in range(workers)]
        built = ray.get([a.ready.remote() for a in actors])  # every evaluator compiled
        started_at.append(time.perf_counter())
        build_cpu.extend(float(b) for _pid, b, _one in built)
        if not all(one for _pid, _b, one in built):
            log.warning("HiGHS was already running in a worker: its thread count is unchanged")
        queue = list(runs)
        running: dict[Any, Any] = {}
        free = list(reversed(actors))
        while queue or running:
            while queue and free:
                a = free.pop()
                running[a.evaluate_many.remote(queue.pop(0))] = a
            ready, _ = ray.wait(list(running), num_returns=1)
            for ref in ready:
                free.append(running.pop(ref))
                done(ray.get(ref))
        for a in actors:
            ray.kill(a)
    finally:
        if started:
            ray.shutdown()
    return where


def run_sweep(
    inst: Instance,
    axes: Sequence[Axis],
    *,
    workers: int = 2,
    backend: str = "auto",
    ray_address: str | None = None,
    results: Path | None = None,
    fingerprint: str = "",
    time_limit: float = 60.0,
    progress: bool = True,
) -> SweepRun:
    """Evaluate every cell of the grid of ``axes`` (see the module docstring)."""
    if workers < 1:
        raise InputError("--workers", "workers", workers, "expected a whole number >= 1")
    axes = tuple(axes)
    address = ray_address or os.environ.get("RAY_ADDRESS") or None
    notes: list[str] = []
    if backend == "auto":
        if ray_available():
            backend = "ray"
        else:
            backend = "processes" if workers > 1 else "inline"
            notes.append(
                "ray is not installed (pip install 'fsor[ray]'): "
                f"running the cells in {workers} local process(es)"
            )
    elif backend == "ray" and not ray_available():
        raise InputError("--backend", "backend", "ray", "expected ray installed: fsor[ray]")
    cells = cells_of(axes)
    have = load_results(results, fingerprint) if results is not None else {}
    todo = [c for c in cells if (c.i, c.j) not in have]
    out = dict(have)
    fh = None
    if results is not None:
        new = not results.exists() or results.stat().st_size == 0
        fh = results.open("a", encoding="utf-8")
        if new:
            fh.write(json.dumps({"sweep": fingerprint, "axes": [a.to_json() for a in axes]}) + "\n")
            fh.flush()
    bar = None
    if progress and todo:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), file=sys.stderr, unit="cell", desc="fsor region")

    cpu: dict[int, float] = {}

    def done(answer: tuple[int, float, list[CellResult]]) -> None:
        pid, cpu_s, batch = answer
        cpu[pid] = cpu.get(pid, 0.0) + cpu_s
        for r in batch:
            out[(r.i, r.j)] = r
            if fh is not None:
                fh.write(json.dumps(r.to_json()) + "\n")
        if fh is not None:
            fh.flush()
        if bar is not None:
            bar.update(len(batch))

    runs = segments(axes, workers, only={(c.i, c.j) for c in todo})
    t0 = time.perf_counter()
    started: list[float] = []  # when the Ray evaluators were built (startup excluded)
    build_cpu: list[float] = []
    try:
        if not todo:
            pass
        elif backend == "ray":
            where = _run_ray(
                inst, axes, runs, workers, time_limit, address, done, started, build_cpu
            )
            notes.append(f"cells on {where}")
        elif backend == "processes":
            _run_processes(inst, axes, runs, workers, time_limit, done)
            notes.append(f"cells in {workers} local processes")
        else:
            ev = TimedEvaluator(inst, axes, time_limit)
            started.append(time.perf_counter())
            build_cpu.append(ev.build_cpu_s)
            for r in runs:
                done(ev.evaluate_many(r))
            notes.append("cells in this process")
    finally:
        if fh is not None:
            fh.close()
        if bar is not None:
            bar.close()
    end = time.perf_counter()
    wall = end - t0
    startup = (started[0] - t0) if started else 0.0
    ordered = tuple(out[(c.i, c.j)] for c in cells)
    busy = wall - startup
    rate = len(todo) / busy if busy > 0 and todo else 0.0
    return SweepRun(
        ordered, len(have), backend, workers, wall, rate, tuple(notes), startup,
        tuple(sorted(cpu.values(), reverse=True)), tuple(build_cpu),
    )  # fmt: skip
