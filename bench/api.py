"""``fsor serve`` under load: GET /topology latency and the event loop's worst lag.

Run: ``.venv/bin/python -m bench.api [--window 10] [--quick]``. Starts real ``fsor serve``
processes on loopback and measures, each beside the same figures on the idle server:

* (a) while a CORONET 300-workload plan solves (in the service's worker process);
* (b) while the service discovers the 50-device lab again and again;
* (c) signal ingest → diff pushed, end to end, on the ORCA lab (``PUT /signals`` sent →
  the closed loop's ``push`` decision event; the transaction is committed by then).

GET /topology is asked sequentially by one client for ``--window`` seconds (p50/p99 in ms);
the loop lag is the service's own ``fsor_event_loop_lag_seconds`` (worst lag of a 20 ms
sleep per second), polled from ``/metrics``. Prints a table, writes
``bench/results/api.json`` with the machine's ``uptime`` load. No timing assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import format_table, write_results

TOKEN = "bench-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
GOALS = {"topology_p99_ms": "<= 50", "loop_lag_ms": "<= 100", "ingest_to_pushed_s": "<= 5"}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Serve:
    """One ``fsor serve`` process (killed on exit)."""

    def __init__(self, work: Path, *args: str) -> None:
        self.port = _port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = (work / f"serve-{self.port}.log").open("w")
        env = {**os.environ, "FSOR_TOKEN": TOKEN}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "controller",
                "serve",
                "--port",
                str(self.port),
                "--store",
                str(work / f"store-{self.port}.sqlite"),
                *args,
            ],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    async def ready(self, http: aiohttp.ClientSession, timeout: float = 180) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(Path(self.log.name).read_text()[-2000:])
            try:
                async with http.get(self.url + "/readyz") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
        raise RuntimeError("not ready: " + Path(self.log.name).read_text()[-2000:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


async def _lag(http: aiohttp.ClientSession, url: str) -> float:
    async with http.get(url + "/metrics") as r:
        for line in (await r.text()).splitlines():
            if line.startswith("fsor_event_loop_lag_seconds "):
                return float(line.split()[1])
    return float("nan")


_NOISE = """
import sys, time
end = time.perf_counter() + float(sys.argv[1]); worst = 0.0
while time.perf_counter() < end:
    t0 = time.perf_counter(); time.sleep(0.02)
    worst = max(worst, time.perf_counter() - t0 - 0.02)
print(worst)
"""


async def measure(http: aiohttp.ClientSession, url: str, window: float) -> dict[str, Any]:
    """GET /topology back to back for ``window`` s; the loop lag polled every 0.5 s."""
    lat: list[float] = []
    lags: list[float] = []
    end = time.perf_counter() + window

    async def poll_lag() -> None:
        while time.perf_counter() < end:
            lags.append(await _lag(http, url))
            await asyncio.sleep(0.5)

    poller = asyncio.create_task(poll_lag())
    # the machine's own noise: the worst oversleep of a 20 ms sleep in an idle process
    noise = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _NOISE, str(window), stdout=asyncio.subprocess.PIPE
    )
    while time.perf_counter() < end:
        t0 = time.perf_counter()
        async with http.get(url + "/topology") as r:
            await r.read()
            assert r.status == 200
        lat.append((time.perf_counter() - t0) * 1000)
    await poller
    out, _ = await noise.communicate()
    lat.sort()
    return {
        "requests": len(lat),
        "p50_ms": statistics.median(lat),
        "p99_ms": lat[min(len(lat) - 1, int(0.99 * len(lat)))],
        "loop_lag_ms": max(lags) * 1000 if lags else float("nan"),
        "idle_process_lag_ms": float(out.decode().strip() or "nan") * 1000,
    }


async def bench_plan(work: Path, window: float, n: int) -> list[dict[str, Any]]:
    """(a): idle, then while a CORONET ``n``-workload plan solves."""
    from bench.plan import prepare
    from optimizer.inputs.workloads import synthetic_workloads
    from topology.io_native import to_native

    inv = prepare("coronet", 96, 0.3)
    net = work / "coronet.json"
    net.write_text(json.dumps(to_native(inv)))
    origins = sorted(r.id for r in inv.roadms)[:20]
    ws = [
        {
            "id": w.id,
            "origin": w.origin,
            "energy_kwh": w.energy_kwh,
            "duration_s": w.duration_s,
            "data_in_gb": w.data_in_gb,
            "release": w.release,
            "deadline": w.deadline,
        }
        for w in synthetic_workloads(n, origins, 0, horizon=24)
    ]
    s = Serve(work, "--network", str(net))
    try:
        async with aiohttp.ClientSession() as http:
            await s.ready(http)
            async with http.post(s.url + "/workloads", json={"workloads": ws}, headers=AUTH) as r:
                assert r.status == 201, await r.text()
            await asyncio.sleep(2.5)  # the lag gauge is the worst of the last whole second
            idle = await measure(http, s.url, window)
            async with http.post(
                s.url + "/plans", json={"time_limit_s": max(window * 2, 60)}, headers=AUTH
            ) as r:
                job = (await r.json())["id"]
            await asyncio.sleep(1.0)
            busy = await measure(http, s.url, window)
            async with http.get(f"{s.url}/plans/{job}") as r:
                state = (await r.json())["status"]
            async with http.delete(f"{s.url}/plans/{job}", headers=AUTH) as r:
                pass
    finally:
        s.stop()
    return [
        {"case": f"coronet {n} workloads", "load": "idle", **idle},
        {"case": f"coronet {n} workloads", "load": f"plan solving ({state} at end)", **busy},
    ]


async def bench_discovery(work: Path, window: float) -> list[dict[str, Any]]:
    """(b): idle, then while the 50-device lab is discovered back to back."""
    from bench.southbound import ring_inventory, start, write_generated
    from containerlab import runner

    clab = write_generated(
        ring_inventory(16), "api50", work, transponders_per_roadm=1, conformance_nodes=2
    )
    inst = f"api50-{os.getpid()}"
    start(clab, inst)
    s = Serve(work, "--lab", str(clab), "--lab-instance", inst, "--rediscover-s", "0")
    rounds = 0
    try:
        async with aiohttp.ClientSession() as http:
            await s.ready(http)
            async with http.get(s.url + "/devices") as r:
                devices = len((await r.json())["devices"])
            idle = await measure(http, s.url, window)
            stop = asyncio.Event()

            async def rediscover() -> None:
                nonlocal rounds
                while not stop.is_set():
                    async with http.post(s.url + "/devices/discover", headers=AUTH) as r:
                        assert r.status == 200, await r.text()
                    rounds += 1

            loader = asyncio.create_task(rediscover())
            busy = await measure(http, s.url, window)
            stop.set()
            await loader
    finally:
        s.stop()
        runner.down(clab, instance=inst)
    return [
        {"case": f"lab {devices} devices", "load": "idle", **idle},
        {"case": f"lab {devices} devices", "load": f"discovery x{rounds}", **busy},
    ]


async def bench_ingest(work: Path, repeats: int) -> list[dict[str, Any]]:
    """(c): PUT /signals → the loop's push decision, on the ORCA lab (plan applied first)."""
    import containerlab
    from containerlab import runner

    clab = Path(containerlab.__file__).parent / "orca.clab.yml"
    inst = f"apiorca-{os.getpid()}"
    runner.up(clab, backend="loopback", instance=inst)
    s = Serve(
        work,
        "--lab",
        str(clab),
        "--lab-instance",
        inst,
        "--rediscover-s",
        "0",
        "--time-limit-s",
        "10",
    )
    out: list[dict[str, Any]] = []
    try:
        async with aiohttp.ClientSession() as http:
            await s.ready(http)
            events: list[dict[str, Any]] = []

            async def reader() -> None:
                async with http.get(
                    s.url + "/events?since=0", timeout=aiohttp.ClientTimeout(total=None)
                ) as r:
                    async for raw in r.content:
                        if raw.startswith(b"data: "):
                            events.append(json.loads(raw[6:]))

            rt = asyncio.create_task(reader())
            async with http.post(s.url + "/plans", headers=AUTH) as r:
                job = (await r.json())["id"]
            while not any(e["kind"] == "plan-done" and e["data"]["job"] == job for e in events):
                await asyncio.sleep(0.05)
            async with http.post(f"{s.url}/plans/{job}/apply", headers=AUTH) as r:
                assert r.status == 200, await r.text()
            regions = ["CA", "DE"]
            for i in range(repeats):
                mark = events[-1]["id"]
                body = dirtier(regions[i % 2], 25.0)  # alternate: the job moves each time
                t0 = time.perf_counter()
                async with http.put(
                    s.url + "/signals", data=body, headers={**AUTH, "Content-Type": "text/csv"}
                ) as r:
                    assert r.status == 200
                decision = None
                while decision is None and time.perf_counter() - t0 < 120:
                    for e in events:
                        if (
                            e["id"] > mark
                            and e["kind"] == "loop-decision"
                            and e["data"]["decision"] != "replan"
                        ):
                            decision = e
                    await asyncio.sleep(0.01)
                dt = time.perf_counter() - t0
                assert decision is not None
                replan = next(e for e in events if e["id"] > mark and e["kind"] == "plan-done")
                out.append(
                    {
                        "case": "orca lab",
                        "load": f"ingest {i + 1} ({regions[i % 2]} x25)",
                        "decision": decision["data"]["decision"],
                        "ingest_to_pushed_s": dt,
                        "transaction": decision["data"].get("transaction"),
                        "plan_status": replan["data"]["plan_status"],
                    }
                )
            rt.cancel()
    finally:
        s.stop()
        runner.down(clab, instance=inst)
    return out


def dirtier(region: str, factor: float) -> str:
    """ORCA's Table V (embedded) with every signal of ``region`` multiplied by ``factor``.

    >>> dirtier("CA", 2.0).splitlines()[0].startswith("date,hour_utc,region")
    True
    """
    import contextlib
    import csv
    import io

    from optimizer.inputs.signals import DATA_DIR

    rows = list(csv.reader(io.StringIO((DATA_DIR / "orca_table_v.csv").read_text())))
    head = rows[0]
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(head)
    numeric = [i for i, h in enumerate(head) if h not in ("date", "hour_utc", "region")]
    for row in rows[1:]:
        if row and row[head.index("region")] == region:
            for i in numeric:
                with contextlib.suppress(ValueError, IndexError):
                    row[i] = repr(float(row[i]) * factor)
        w.writerow(row)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--window", type=float, default=10.0, help="seconds per measurement (10)")
    p.add_argument("--workloads", type=int, default=300, help="CORONET workloads (300)")
    p.add_argument("--ingests", type=int, default=3, help="signal ingests on the ORCA lab (3)")
    p.add_argument("--quick", action="store_true", help="window 4 s, 100 workloads, 2 ingests")
    p.add_argument("--only", choices=("plan", "discovery", "ingest"), nargs="*")
    args = p.parse_args(argv)
    if args.quick:
        args.window, args.workloads, args.ingests = 4.0, 100, 2
    only = set(args.only or ("plan", "discovery", "ingest"))
    load_before = os.getloadavg()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="fsor-bench-api-") as tmp:
        work = Path(tmp)
        if "plan" in only:
            rows += asyncio.run(bench_plan(work, args.window, args.workloads))
        if "discovery" in only:
            rows += asyncio.run(bench_discovery(work, args.window))
        lat_rows = [dict(r) for r in rows]
        ingest = asyncio.run(bench_ingest(work, args.ingests)) if "ingest" in only else []
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    if lat_rows:
        print(
            format_table(
                [
                    {
                        k: r[k]
                        for k in (
                            "case",
                            "load",
                            "requests",
                            "p50_ms",
                            "p99_ms",
                            "loop_lag_ms",
                            "idle_process_lag_ms",
                        )
                    }
                    for r in lat_rows
                ]
            )
        )
    if ingest:
        print(format_table(ingest))
    print(f"load: before {load_before}, after: {uptime}")
    path = write_results(
        "api",
        [*lat_rows, *ingest],
        goals=GOALS,
        uptime=uptime,
        load_before=load_before,
        window_s=args.window,
    )
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
