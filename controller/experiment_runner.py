"""Run independent experiment tasks through a ``map``-like executor, resumable, with progress.

The runner knows three things only: a list of tasks (JSON-able dicts with a
unique ``"key"``), a picklable task function, and an :data:`Executor` — any
callable ``executor(fn, tasks)`` that yields ``fn(task)`` for every task, in
any order. :func:`local_executor` is a process pool; :func:`ray_executor` runs
the tasks as Ray tasks (a private local Ray with ``workers`` CPUs, or a cluster
by address); anything else with the same signature plugs in the same way.

Every result is appended to a JSON-lines results file as soon as it arrives
(flushed), so an interrupted run resumes where it stopped: tasks whose key is
already in the file are not run again. The progress bar (tqdm) goes to stderr.

>>> import tempfile, pathlib
>>> f = pathlib.Path(tempfile.mkdtemp()) / "r.jsonl"
>>> tasks = [{"key": str(i), "x": i} for i in range(3)]
>>> [r["y"] for r in run_tasks(tasks, _square, f, serial_executor, progress=False)]
[0, 1, 4]
>>> len(f.read_text().splitlines()), len(run_tasks(tasks, _square, f, progress=False))
(3, 3)
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from tqdm import tqdm

from topology.errors import InputError

__all__ = [
    "Executor",
    "Task",
    "TaskFn",
    "load_results",
    "local_executor",
    "ray_executor",
    "run_tasks",
    "serial_executor",
]

Task = Mapping[str, Any]
TaskFn = Callable[[Task], dict[str, Any]]
#: ``executor(fn, tasks)`` yields ``fn(task)`` for every task, in any order
Executor = Callable[[TaskFn, Sequence[Task]], Iterable[dict[str, Any]]]


def _square(task: Task) -> dict[str, Any]:
    return {"key": task["key"], "y": task["x"] ** 2}


def serial_executor(fn: TaskFn, tasks: Sequence[Task]) -> Iterator[dict[str, Any]]:
    """In this process, one task after the other."""
    for t in tasks:
        yield fn(t)


def local_executor(workers: int) -> Executor:
    """A process pool of ``workers`` (1: in this process); results as they complete."""
    if workers < 1:
        raise InputError("--workers", "workers", workers, "expected an integer >= 1")
    if workers == 1:
        return serial_executor

    def pool_map(fn: TaskFn, tasks: Sequence[Task]) -> Iterator[dict[str, Any]]:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(fn, t) for t in tasks]
            for fut in as_completed(futures):
                yield fut.result()

    return pool_map


def ray_executor(workers: int, address: str | None = None) -> Executor:
    """Ray tasks, one per task, results as they complete (``pip install ray``).

    Without ``address`` a private local Ray with ``workers`` CPUs is started for the run
    (``address="local"``: never an existing cluster) and shut down after it; with one
    (``--ray-address`` or ``RAY_ADDRESS``) the tasks go to that cluster, whose workers
    need fsor installed. An already initialised Ray (a caller's ``ray.init()``) is used
    as it is and left running.
    """
    if workers < 1:
        raise InputError("--workers", "workers", workers, "expected an integer >= 1")
    try:
        import ray
    except ImportError:
        raise InputError(
            "--ray", "ray", "not installed", "expected the ray package (pip install ray)"
        ) from None

    def ray_map(fn: TaskFn, tasks: Sequence[Task]) -> Iterator[dict[str, Any]]:
        started = not ray.is_initialized()
        if started:
            opts: dict[str, Any] = {"log_to_driver": False, "include_dashboard": False}
            if address:
                ray.init(address=address, **opts)
            else:
                ray.init(address="local", num_cpus=workers, **opts)
        try:
            remote = ray.remote(num_cpus=1)(fn)
            pending = [remote.remote(dict(t)) for t in tasks]
            while pending:
                done, pending = ray.wait(pending, num_returns=1)
                for ref in done:
                    yield ray.get(ref)
        finally:
            if started:
                ray.shutdown()

    return ray_map


def load_results(path: Path) -> dict[str, dict[str, Any]]:
    """Results already in ``path`` by task key (a missing file is empty; a torn last line
    — the run was killed while writing it — is dropped)."""
    if not path.exists():
        return {}
    out: dict[str, dict[str, Any]] = {}
    lines = path.read_text().splitlines()
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except json.JSONDecodeError:
            if n == len(lines):
                break
            raise InputError(
                str(path), f"line {n}", line[:40], "expected one JSON object"
            ) from None
        if not isinstance(doc, dict) or "key" not in doc:
            raise InputError(str(path), f"line {n}", line[:40], "expected an object with 'key'")
        out[str(doc["key"])] = doc
    return out


def run_tasks(
    tasks: Sequence[Task],
    fn: TaskFn,
    results: Path,
    executor: Executor = serial_executor,
    *,
    progress: bool = True,
    desc: str = "tasks",
) -> list[dict[str, Any]]:
    """Run the tasks not yet in ``results``; return every task's result in task order."""
    keys = [str(t["key"]) for t in tasks]
    if len(set(keys)) != len(keys):
        raise InputError("tasks", "key", "duplicate", "expected unique task keys")
    done = load_results(results)
    todo = [t for t in tasks if str(t["key"]) not in done]
    if results.exists():
        text = results.read_text()
        if text and not text.endswith("\n"):  # a torn last line: drop it before appending
            results.write_text(text[: text.rfind("\n") + 1])
    bar = tqdm(total=len(tasks), initial=len(tasks) - len(todo), desc=desc, unit="task",
               file=sys.stderr, disable=not progress, dynamic_ncols=True)
    try:
        with results.open("a") as fh:
            for res in executor(fn, todo):
                fh.write(json.dumps(res) + "\n")
                fh.flush()
                done[str(res["key"])] = res
                bar.update(1)
    finally:
        bar.close()
    return [done[k] for k in keys]
