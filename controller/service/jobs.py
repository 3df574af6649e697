"""Plan jobs: queued, run one at a time in the worker process, cancellable, persisted.

A job is a JSON document in the store, written before the API acknowledges it. On start,
:meth:`JobQueue.resume` re-queues what the last process left: ``queued`` jobs as they
were, a ``running`` one is marked ``interrupted`` (an event, an audit row) and queued
again. A job's inputs are taken when it starts (the latest network, signals, workloads
and caps); ``progress`` lists its phases with elapsed seconds and, at the end, the
incumbent objective, the bound and the gap.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from controller.service.events import EventBus
from controller.service.metrics import Metrics
from controller.service.storage import ServiceStore, now
from controller.service.worker import Cancelled, SolveRequest, SolveWorker
from topology.errors import FsorError, InputError

__all__ = ["FINAL", "JobQueue", "NotAccepting"]

log = logging.getLogger("fsor.service.jobs")
FINAL = ("succeeded", "failed", "cancelled")
MAX_PROGRESS = 50

Build = Callable[[str, Mapping[str, Any]], SolveRequest]
Done = Callable[[dict[str, Any], dict[str, Any]], Awaitable[None]]


class NotAccepting(FsorError):
    """The service is shutting down and takes no new jobs."""


class JobQueue:
    """One plan at a time; others wait in order; each cancellable."""

    def __init__(
        self,
        store: ServiceStore,
        bus: EventBus,
        metrics: Metrics,
        worker: SolveWorker,
        build: Build,
        on_done: Done | None = None,
    ) -> None:
        self.store, self.bus, self.metrics, self.worker = store, bus, metrics, worker
        self.build = build
        self.on_done = on_done
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._seq = getattr(store, "max_job_seq", lambda: 0)()
        self.running: str | None = None
        self.accepting = True
        self._task: asyncio.Task[None] | None = None
        self._cancelled: set[str] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    # -- public -------------------------------------------------------------------------
    def submit(self, request: Mapping[str, Any], who: str, trigger: str = "api") -> dict[str, Any]:
        """Queue a plan job (persisted first); its document."""
        if not self.accepting:
            raise NotAccepting("shutting down: no new jobs")
        self._seq += 1
        job: dict[str, Any] = {
            "id": uuid.uuid4().hex[:12],
            "seq": self._seq,
            "kind": "plan",
            "status": "queued",
            "who": who,
            "trigger": trigger,
            "created": now(),
            "started": None,
            "finished": None,
            "attempts": 0,
            "request": dict(request),
            "progress": [],
            "result": None,
            "error": None,
            "info": {},
        }
        self.store.save_job(job)
        self._queue.put_nowait(job["id"])
        self.metrics.queue_depth.set(self._queue.qsize())
        self.bus.publish("plan-queued", {"job": job["id"], "trigger": trigger, "who": who})
        return job

    def get(self, job_id: str) -> dict[str, Any] | None:
        return self.store.job(job_id)

    def cancel(self, job_id: str, who: str) -> dict[str, Any] | None:
        """Cancel a queued or running job; the job (None if unknown)."""
        job = self.store.job(job_id)
        if job is None or job["status"] in FINAL:
            return job
        self._cancelled.add(job_id)
        if job["status"] == "running" and self.running == job_id:
            self.worker.cancel()  # the runner records the cancellation
        else:
            self._finish(job, "cancelled", error=f"cancelled by {who}")
        return self.store.job(job_id)

    def resume(self) -> list[str]:
        """Re-queue the jobs a previous process left queued or running."""
        out = []
        for job in self.store.jobs(("queued", "running", "interrupted"), limit=10000):
            if job["status"] == "running":
                job["status"] = "interrupted"
                self._progress(job, {"phase": "interrupted", "note": "the service stopped"})
                self.store.save_job(job)
                self.store.audit("service", f"job {job['id']} interrupted; re-queued")
                self.bus.publish("plan-interrupted", {"job": job["id"], "requeued": True})
            job["status"] = "queued"
            self.store.save_job(job)
            self._queue.put_nowait(job["id"])
            out.append(job["id"])
        self.metrics.queue_depth.set(self._queue.qsize())
        return out

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="fsor-jobs")

    async def wait_idle(self) -> None:
        await self._idle.wait()

    async def stop(self, grace_s: float) -> None:
        """Stop taking jobs; let the running one finish within ``grace_s``, else cancel it."""
        self.accepting = False
        if self.running is not None:
            try:
                await asyncio.wait_for(self._idle.wait(), grace_s)
            except TimeoutError:
                rid = self.running
                if rid is not None:
                    self.cancel(rid, "shutdown")
                    await asyncio.wait_for(self._idle.wait(), 10)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    @property
    def depth(self) -> int:
        return self._queue.qsize()

    # -- the runner ---------------------------------------------------------------------
    def _progress(self, job: dict[str, Any], item: Mapping[str, Any]) -> None:
        entry = {"time": now(), **item}
        job["progress"] = [*job["progress"], entry][-MAX_PROGRESS:]

    def _finish(self, job: dict[str, Any], status: str, *, error: str | None = None) -> None:
        job["status"] = status
        job["finished"] = now()
        job["error"] = error
        self.store.save_job(job)
        self.metrics.jobs.labels(status=status).inc()
        self.bus.publish(
            "plan-done",
            {
                "job": job["id"],
                "status": status,
                "error": error,
                "plan_status": (job["result"] or {}).get("status"),
                "objective": (job["result"] or {}).get("objective"),
                "gap": (job["result"] or {}).get("gap"),
                "bound": (job["result"] or {}).get("bound"),
            },
        )

    async def _run(self) -> None:
        while True:
            job_id = await self._queue.get()
            self.metrics.queue_depth.set(self._queue.qsize())
            job = self.store.job(job_id)
            if job is None or job["status"] != "queued" or job_id in self._cancelled:
                continue
            self._idle.clear()
            self.running = job_id
            try:
                await self._one(job)
            except Exception:  # a bug: record it on the job, keep serving
                log.exception("job %s", job_id)
                self._finish(job, "failed", error="internal error (see the service log)")
            finally:
                self.running = None
                self._idle.set()

    async def _one(self, job: dict[str, Any]) -> None:
        t0 = time.perf_counter()
        job["status"] = "running"
        job["started"] = now()
        job["attempts"] = int(job.get("attempts", 0)) + 1
        self.store.save_job(job)

        def progress(item: Mapping[str, Any]) -> None:
            data = {**item, "elapsed_s": round(time.perf_counter() - t0, 3)}
            self._progress(job, data)
            self.store.save_job(job)  # a few phases per job: GET /plans/{id} shows them
            self.bus.publish("plan-progress", {"job": job["id"], **data})

        progress({"phase": "started"})
        try:
            req = await asyncio.to_thread(self.build, job["id"], job["request"])
        except InputError as exc:
            self._finish(job, "failed", error=str(exc))
            return
        if job["id"] in self._cancelled:  # cancelled while its inputs were being read
            self._finish(job, "cancelled", error="cancelled")
            return
        beat = asyncio.create_task(self._heartbeat(job, t0))
        try:
            out = await self.worker.solve(req, progress)
        except Cancelled:
            self._finish(job, "cancelled", error="cancelled")
            return
        except FsorError as exc:
            self._finish(job, "failed", error=str(exc))
            return
        finally:
            beat.cancel()
        plan = out.pop("plan")
        job["result"] = plan
        job["info"] = {k: v for k, v in out.items() if k != "previous"}
        job["info"]["previous"] = out.get("previous")
        progress(
            {
                "phase": "done",
                "status": plan["status"],
                "incumbent": plan.get("objective"),
                "bound": plan.get("bound"),
                "gap": plan.get("gap"),
                "warm": out.get("warm"),
            }
        )
        self.metrics.observe_plan(plan, float(out.get("wall_s", 0.0)))
        self._finish(job, "succeeded")
        if self.on_done is not None:
            try:
                await self.on_done(job, out)
            except FsorError as exc:
                log.warning("after job %s: %s", job["id"], exc)

    async def _heartbeat(self, job: dict[str, Any], t0: float) -> None:
        while True:
            await asyncio.sleep(1.0)
            self.bus.publish(
                "plan-progress",
                {
                    "job": job["id"],
                    "phase": "solving",
                    "elapsed_s": round(time.perf_counter() - t0, 1),
                },
            )
