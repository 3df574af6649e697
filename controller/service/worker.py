"""Solves in a worker PROCESS: the event loop never runs the CPU-bound program.

One long-lived child process (``spawn``) keeps compiled :class:`~optimizer.solve.program.Planner`
objects keyed by the structure of their instance (network, workloads, caps, slots), so a
re-plan after new signals rewrites parameters only (a warm re-plan). The parent talks to
it over a pipe: a :class:`SolveRequest` in, ``("progress", {...})`` messages and one
``("done", {...})`` or ``("error", {...})`` out. Cancelling kills the child (a MILP
cannot be interrupted politely); the next solve starts a fresh one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing as mp
import pickle
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from optimizer.inputs.caps import Caps
from optimizer.inputs.signal_series import Signals
from optimizer.inputs.workloads import Workload
from topology.errors import FsorError, InputError, SolverError
from topology.model import Inventory

__all__ = ["Cancelled", "SolveRequest", "SolveWorker", "evaluate", "structure_key"]

log = logging.getLogger("fsor.service.worker")
Progress = Callable[[dict[str, Any]], None]


class Cancelled(FsorError):
    """The solve was cancelled (its worker process was stopped)."""


@dataclass(frozen=True)
class SolveRequest:
    """Everything one plan needs; pickled to the worker."""

    job_id: str
    inventory: Inventory
    signals: Signals
    workloads: tuple[Workload, ...]
    caps: Caps | None
    time_limit_s: float
    mip_gap: float
    method: str
    previous: Mapping[str, Any] | None = None  # a plan document to evaluate on the new inputs


def structure_key(req: SolveRequest) -> str:
    """What must be equal for a compiled planner to be re-used (parameters may differ).

    Channel occupancy is a parameter of the program, so it is left out: a re-discovery that
    only sees channels lit (e.g. by the service's own push) still re-plans warm.
    """
    import hashlib
    from dataclasses import replace

    inv = replace(
        req.inventory, fibres=tuple(replace(f, occupied=frozenset()) for f in req.inventory.fibres)
    )
    parts = (
        inv,
        req.workloads,
        req.caps,
        req.signals.slots,
        req.signals.slot_hours,
        tuple(sorted(req.signals.data)),
    )
    return hashlib.sha256(pickle.dumps(parts)).hexdigest()[:16]


def evaluate(inst: Any, plan_doc: Mapping[str, Any]) -> dict[str, Any]:
    """Objective and broken caps of a plan document's energy under instance ``inst``.

    The energy per site and slot is read back from the document's burdens (power with PUE
    → kWh), so a plan made on older signals can be priced on new ones.
    """
    import numpy as np

    from optimizer.model.accounting import account

    sidx = inst.site_index()
    energy = np.zeros((len(inst.sites), inst.horizon))
    for b in plan_doc.get("burdens") or ():
        d = sidx.get(b.get("site"))
        t = b.get("slot")
        if d is None or not isinstance(t, int) or not 0 <= t < inst.horizon:
            return {"objective": None, "violated": [], "comparable": False}
        energy[d, t] += float(b["power_kw"]) * inst.slot_hours / inst.sites[d].pue
    objective, _, caps = account(inst, energy)
    broken = [
        c.to_json()
        for c in caps
        if c.limit == c.limit and c.limit != float("inf") and c.value > c.limit * (1 + 1e-6) + 1e-9
    ]
    return {"objective": objective, "violated": broken, "comparable": True}


def _exit_with_parent() -> None:  # pragma: no cover - runs in the worker process
    """Stop this process when the service dies (even by SIGKILL): no orphaned solves."""
    import os
    import threading
    from multiprocessing.connection import wait

    parent = mp.parent_process()
    if parent is None:
        return

    def watch() -> None:
        wait([parent.sentinel])
        os._exit(0)

    threading.Thread(target=watch, name="fsor-parent-watch", daemon=True).start()


def _child(conn: Connection) -> None:  # pragma: no cover - runs in the worker process
    """The worker's loop: one request at a time, planners cached by structure."""
    from optimizer.inputs.make import make_instance
    from optimizer.solve.program import Planner

    _exit_with_parent()
    import os

    os.nice(5)  # the solve is background work: the service's event loop goes first
    planners: OrderedDict[str, Any] = OrderedDict()
    conn.send(("ready", {}))
    send_lock = threading.Lock()
    while True:
        try:
            req = conn.recv()
        except EOFError:
            return
        if req is None:
            return
        try:
            t0 = time.perf_counter()
            conn.send(("progress", {"phase": "instance"}))
            inst = make_instance(req.inventory, req.signals, req.workloads, req.caps)
            key = structure_key(req)
            warm = key in planners
            t1 = time.perf_counter()
            if warm:
                planners.move_to_end(key)
                planner = planners[key]
            else:
                conn.send(("progress", {"phase": "compile"}))
                planner = Planner(inst)
                planners[key] = planner
                while len(planners) > 2:
                    planners.popitem(last=False)
            t2 = time.perf_counter()
            conn.send(("progress", {"phase": "solve", "warm": warm}))
            # the search's own progress lines (incumbent, bound, gap, neighbourhood) as events
            planner.progress = _search_reporter(conn, send_lock)
            plan = planner.solve(
                inst if warm else None,
                time_limit=req.time_limit_s,
                mip_gap=req.mip_gap,
                method=req.method,
            )
            prev = evaluate(inst, req.previous) if req.previous is not None else None
            conn.send(
                (
                    "done",
                    {
                        "plan": plan.to_json(),
                        "warm": warm,
                        "key": key,
                        "instance_s": t1 - t0,
                        "compile_s": t2 - t1,
                        "wall_s": time.perf_counter() - t0,
                        "previous": prev,
                    },
                )
            )
        except InputError as exc:
            conn.send(("error", {"kind": "input", "message": str(exc)}))
        except Exception as exc:  # reported to the job, the worker lives on
            conn.send(("error", {"kind": "internal", "message": f"{type(exc).__name__}: {exc}"}))


def _search_reporter(conn: Connection, lock: threading.Lock) -> Callable[[str], None]:
    """Send each search progress line as ``("progress", {"phase": "search", ...})``."""

    def report(line: str) -> None:
        with lock:  # the LNS may report from its worker threads
            conn.send(("progress", {"phase": "search", "line": line}))

    return report


class SolveWorker:
    """The parent's handle on the worker process (one solve at a time)."""

    def __init__(self) -> None:
        self._ctx = mp.get_context("spawn")
        self._proc: Any = None
        self._conn: Connection | None = None
        self._lock = asyncio.Lock()
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fsor-worker-io")
        self.pid: int | None = None

    async def _call(self, fn: Callable[[], Any]) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._io, fn)

    async def start(self) -> None:
        """Start the process now (imports take a few seconds; do them before the first job)."""
        if self._proc is not None and self._proc.is_alive():
            return
        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(target=_child, args=(child,), name="fsor-solver", daemon=True)
        await self._call(proc.start)
        child.close()
        self._proc, self._conn, self.pid = proc, parent, proc.pid
        kind, _ = await self._call(parent.recv)
        assert kind == "ready"

    async def solve(self, req: SolveRequest, progress: Progress) -> dict[str, Any]:
        """Run ``req`` in the worker; :class:`Cancelled` if :meth:`cancel` stopped it."""
        async with self._lock:
            try:
                await self.start()
                conn = self._conn
                assert conn is not None
                await self._call(lambda: conn.send(req))
                while True:
                    kind, payload = await self._call(conn.recv)
                    if kind == "progress":
                        progress(payload)
                    elif kind == "done":
                        return dict(payload)
                    elif payload.get("kind") == "input":
                        raise InputError("inputs", "plan", req.job_id, payload["message"])
                    else:
                        raise SolverError(payload["message"])
            except (EOFError, OSError, BrokenPipeError) as exc:
                self._reap()
                raise Cancelled(f"job {req.job_id}: the solver process stopped") from exc

    def cancel(self) -> bool:
        """Stop the running solve (kills the worker); True if one was running."""
        running = self._lock.locked() and self._proc is not None and self._proc.is_alive()
        if self._proc is not None and self._proc.is_alive():
            self._proc.kill()
        return running

    def _reap(self) -> None:
        if self._proc is not None:
            self._proc.join(timeout=5)
        if self._conn is not None:
            self._conn.close()
        self._proc = self._conn = None
        self.pid = None

    async def close(self) -> None:
        """Stop the worker (politely, then by force) and the I/O thread."""
        proc, conn = self._proc, self._conn
        if proc is not None and conn is not None:
            if not self._lock.locked():
                with contextlib.suppress(OSError):
                    conn.send(None)
            await self._call(lambda: proc.join(timeout=3))
            if proc.is_alive():
                proc.kill()
                await self._call(lambda: proc.join(timeout=3))
            self._reap()
        self._io.shutdown(wait=False, cancel_futures=True)


def plan_lightpath_slots(plan_doc: Mapping[str, Any]) -> Sequence[int]:
    """Slots that carry lightpaths in a plan document, sorted.

    >>> plan_lightpath_slots({"lightpaths": [{"slot": 3}, {"slot": 1}, {"slot": 3}]})
    [1, 3]
    """
    return sorted({int(lp["slot"]) for lp in plan_doc.get("lightpaths") or ()})
