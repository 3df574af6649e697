"""``fsor serve`` as a process: kill -9 at awkward moments, start again on the same store.

Checks of docs/api.md "Restart": nothing acknowledged is lost, a running job is marked
interrupted and re-queued, a transaction committed but not confirmed is reconciled against
the devices (read back; the store says they reverted). SIGTERM stops it cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from controller.service.storage import SqliteServiceStore
from tests.conftest import LabFactory
from tests.service.helpers import WRITE, read_events
from tests.service.test_service_api import _coronet
from tests.service.test_service_lab import devices_hold

pytestmark = [pytest.mark.integration, pytest.mark.slow]
AUTH = {"Authorization": f"Bearer {WRITE}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """One ``fsor serve`` process on a loopback port."""

    def __init__(self, tmp: Path, *args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "FSOR_TOKEN": WRITE, "FSOR_TOKEN_NAME": "ops"}
        self.log = open(tmp / f"serve-{self.port}.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "controller",
                "serve",
                "--port",
                str(self.port),
                "--store",
                str(tmp / "fsor.sqlite"),
                *args,
            ],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def children(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True)
        return [int(x) for x in out.stdout.split()]

    async def ready(self, timeout: float = 120) -> None:
        end = time.monotonic() + timeout
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < end:
                assert self.proc.poll() is None, Path(self.log.name).read_text()[-3000:]
                try:
                    async with http.get(self.url + "/readyz") as r:
                        if r.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.2)
        raise AssertionError(Path(self.log.name).read_text()[-3000:])

    def kill9(self) -> None:
        kids = self.children()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        for pid in kids:  # the worker exits with its parent; wait for it
            for _ in range(100):
                if not Path(f"/proc/{pid}").exists():
                    break
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.log.close()


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for s in started:
        s.stop()


async def get(url: str) -> Any:
    async with aiohttp.ClientSession() as http, http.get(url) as r:
        return await r.json()


async def send(method: str, url: str, body: Any = None) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, url, json=body, headers=AUTH) as r,
    ):
        return r.status, await r.json()


async def test_kill9_requeues_the_running_job_and_keeps_what_was_acknowledged(
    tmp_path: Path, servers: list[Server]
) -> None:
    net, ws = await _coronet(tmp_path, 120)
    args = ("--network", str(net), "--time-limit-s", "8")
    a = Server(tmp_path, *args)
    servers.append(a)
    await a.ready()
    status, _ = await send("POST", a.url + "/workloads", {"workloads": ws})
    assert status == 201
    caps = {"site_power": {"dc0": "90 MW"}}
    assert (await send("PUT", a.url + "/caps", caps))[0] == 200
    status, acc = await send("POST", a.url + "/plans", {"time_limit_s": 8})
    assert status == 202
    for _ in range(600):
        job = await get(f"{a.url}/plans/{acc['id']}")
        if job["status"] == "running" and job["progress"][-1]["phase"] in ("compile", "solve"):
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError(job)
    worker = a.children()
    a.kill9()
    assert not any(Path(f"/proc/{p}").exists() for p in worker)  # no orphaned solver

    b = Server(tmp_path, *args)
    servers.append(b)
    await b.ready()
    assert [w["id"] for w in (await get(b.url + "/workloads"))["workloads"]] == [
        w["id"] for w in ws
    ]
    assert (await get(b.url + "/caps"))["caps"] == caps
    job = await get(f"{b.url}/plans/{acc['id']}")
    assert job["attempts"] >= 1 and job["status"] in ("queued", "running", "succeeded")
    assert any(p["phase"] == "interrupted" for p in job["progress"])
    for _ in range(1200):
        job = await get(f"{b.url}/plans/{acc['id']}")
        if job["status"] not in ("queued", "running"):
            break
        await asyncio.sleep(0.1)
    assert job["status"] == "succeeded" and job["attempts"] == 2, job["error"]
    # graceful stop: exit 0, the worker gone, the store closed cleanly
    kids = b.children()
    t0 = time.monotonic()
    b.proc.send_signal(signal.SIGTERM)
    assert b.proc.wait(30) == 0
    stop_s = time.monotonic() - t0
    for _ in range(100):  # the worker and multiprocessing's resource tracker follow it out
        if not any(Path(f"/proc/{p}").exists() for p in kids):
            break
        time.sleep(0.05)
    assert not any(Path(f"/proc/{p}").exists() for p in kids), stop_s
    st = SqliteServiceStore(tmp_path / "fsor.sqlite")
    audit = [e.action for e in st.audit_entries(1000)]
    st.close()
    assert any("interrupted; re-queued" in a for a in audit)


async def test_kill9_between_commit_and_confirm_is_reconciled(
    tmp_path: Path, servers: list[Server], lab: LabFactory, labs_dir: Path
) -> None:
    st = lab(labs_dir / "orca.clab.yml")
    args = (
        "--lab",
        st.file,
        "--lab-instance",
        st.instance,
        "--rediscover-s",
        "0",
        "--confirm-timeout-s",
        "5",
    )
    a = Server(tmp_path, *args, "--pause-before-confirm-s", "60")
    servers.append(a)
    await a.ready()
    _status, acc = await send("POST", a.url + "/plans", {"time_limit_s": 20})
    for _ in range(600):
        job = await get(f"{a.url}/plans/{acc['id']}")
        if job["status"] == "succeeded":
            break
        await asyncio.sleep(0.1)
    events: list[dict[str, Any]] = []
    async with aiohttp.ClientSession(base_url=a.url) as http:
        reader = asyncio.create_task(read_events(http, events))
        apply = asyncio.create_task(send("POST", f"{a.url}/plans/{acc['id']}/apply"))
        for _ in range(600):
            if any(e["kind"] == "apply-committed" for e in events):
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError(events[-5:])
        a.kill9()  # committed on the devices, not confirmed
        for t in (reader, apply):
            t.cancel()
            with contextlib.suppress(asyncio.CancelledError, aiohttp.ClientError):
                await t
    tid = next(e for e in events if e["kind"] == "apply-committed")["data"]["transaction"]

    b = Server(tmp_path, *args)
    servers.append(b)
    await b.ready()  # ready only once the transaction is reconciled
    txs = (await get(b.url + "/transactions"))["transactions"]
    tx = next(t for t in txs if t["id"] == tid)
    assert tx["outcome"] == "rolled-back" and tx["finished"], tx
    assert not await devices_hold(st, tx["diff"]["intents"])
    assert await devices_hold(st, [])  # the devices are back where they were: no lightpath
    st_ = SqliteServiceStore(tmp_path / "fsor.sqlite")
    audit = [e.action for e in st_.audit_entries(100)]
    st_.close()
    assert f"reconciled transaction {tid}: devices reverted" in audit
    log = json.dumps(await get(b.url + "/devices"))
    assert "reachable" in log
