"""The transaction's faults on real netconfd (yuma123) nodes: nothing mocked.

- a device rejecting its edit mid-transaction → every device's running config equals its
  prior one (get-config) and the error names the device and the xpath;
- the controller process killed after commit, before confirm → devices revert by themselves.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from lxml import etree

from containerlab.netconfd_node import (
    NetconfdNode,
    NetconfdUnavailable,
    start_netconfd_node,
    stop_nodes,
    wait_ready,
)
from controller.adapters import fsor_lightpath as fl
from controller.adapters._xml import parse_reply
from controller.edits import DeviceEdit
from controller.provision import TransactionError, transact
from controller.session import Credentials, Endpoint, SessionOptions, SessionPool

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not os.path.exists("/usr/sbin/netconfd"), reason="no netconfd"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[list[NetconfdNode]]:
    started: list[NetconfdNode] = []
    try:
        for i in range(3):
            started.append(
                start_netconfd_node(
                    f"nc{i}",
                    tmp_path / f"nc{i}",
                    "127.0.0.1",
                    free_port(),
                    username="fsor-lab",
                    password="fsor-lab-secret",
                )
            )
        for n in started:
            wait_ready(n, timeout=20.0)
    except NetconfdUnavailable as exc:
        stop_nodes(started)
        pytest.skip(str(exc))
    try:
        yield started
    finally:
        stop_nodes(started)


def endpoints(nodes: list[NetconfdNode]) -> list[Endpoint]:
    return [
        Endpoint(
            n.name,
            n.address,
            n.port,
            Credentials(n.username, n.password or ""),
            str(n.key_filename) if n.key_filename else None,
        )
        for n in nodes
    ]


def known_hosts(nodes: list[NetconfdNode], tmp_path: Path) -> Path:
    kh = tmp_path / "known_hosts"
    kh.write_text("".join(n.known_hosts.read_text() for n in nodes))
    return kh


@pytest.fixture
async def pool(nodes: list[NetconfdNode], tmp_path: Path) -> AsyncIterator[SessionPool]:
    opts = SessionOptions(known_hosts=known_hosts(nodes, tmp_path), rpc_timeout_s=15.0)
    async with SessionPool(endpoints(nodes), opts) as p:
        yield p


def lp(lid: str, freq: int) -> fl.Lightpath:
    return fl.Lightpath(lid, freq, 50_000, "line-1", "line-2", -1.5, "enabled", "job")


def edit(device: str, *lps: fl.Lightpath) -> DeviceEdit:
    return DeviceEdit(device, fl.edit_config(list(lps)), "")


async def running(pool: SessionPool) -> dict[str, bytes]:
    """Each device's running lightpaths subtree, canonical XML (message-id stripped)."""
    out = {}
    for d in pool.devices:
        data = parse_reply(d, await pool.get_config(d, fl.get_filter()))
        out[d] = etree.tostring(data, method="c14n")
    return out


async def test_transaction_commits_on_every_device(pool: SessionPool) -> None:
    edits = {d: edit(d, lp("fsor-a", 193_100_000)) for d in pool.devices}
    timings = await transact(pool, edits, confirm_timeout_s=30)
    assert timings["total_s"] > 0
    for d in pool.devices:
        (got,) = fl.parse_lightpaths(d, await pool.get_config(d, fl.get_filter()))
        assert (got.id, got.frequency_mhz, got.target_output_power_dbm) == (
            "fsor-a",
            193_100_000,
            -1.5,
        )


async def test_rejected_edit_rolls_every_device_back(pool: SessionPool) -> None:
    await transact(pool, {d: edit(d, lp("fsor-a", 193_100_000)) for d in pool.devices})
    prior = await running(pool)
    edits = {d: edit(d, lp("fsor-b", 193_150_000)) for d in pool.devices}
    edits["nc1"] = edit("nc1", lp("fsor-b", 999))  # below the module's frequency range
    with pytest.raises(TransactionError) as info:
        await transact(pool, edits, confirm_timeout_s=30)
    err = info.value
    assert err.device == "nc1" and err.phase == "edit-config"
    assert err.xpath is not None and "frequency" in err.xpath and "nc1" in str(err)
    assert await running(pool) == prior
    for d in pool.devices:  # nothing left behind in the candidates either
        cand = await pool.get_config(d, fl.get_filter(), source="candidate")
        assert "fsor-b" not in cand


async def test_failed_verify_after_commit_cancels_everywhere(pool: SessionPool) -> None:
    prior = await running(pool)
    edits = {d: edit(d, lp("fsor-c", 193_200_000)) for d in pool.devices}

    async def verify(devices: object) -> None:
        from topology.errors import DeviceError

        assert "fsor-c" in await pool.get_config("nc2", fl.get_filter())  # committed
        raise DeviceError("nc2", "verify: device does not hold the edit", "/lightpaths")

    with pytest.raises(TransactionError) as info:
        await transact(pool, edits, confirm_timeout_s=30, verify=verify)
    assert info.value.phase == "verify" and set(info.value.reverted) == set(pool.devices)
    assert await running(pool) == prior


SCRIPT = """
import asyncio, os, signal, sys
from pathlib import Path
from controller.adapters import fsor_lightpath as fl
from controller.adapters._xml import parse_reply
from controller.edits import DeviceEdit
from controller.provision import transact
from controller.session import Credentials, Endpoint, SessionOptions, SessionPool

async def main():
    eps = [Endpoint(n, "127.0.0.1", int(p), Credentials(u, pw)) for n, p, u, pw in
           (a.split(",") for a in sys.argv[2:])]
    lp = fl.Lightpath("fsor-k", 193_250_000, 50_000, "line-1", "line-2", 0.0, "enabled", None)
    edits = {e.id: DeviceEdit(e.id, fl.edit_config([lp]), "") for e in eps}

    async def die():
        print("COMMITTED", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)

    opts = SessionOptions(known_hosts=Path(sys.argv[1]))
    async with SessionPool(eps, opts) as pool:
        await transact(pool, edits, confirm_timeout_s=8, before_confirm=die)

asyncio.run(main())
"""


@pytest.mark.slow
async def test_controller_killed_before_confirm_devices_revert(
    pool: SessionPool, nodes: list[NetconfdNode], tmp_path: Path
) -> None:
    prior = await running(pool)
    script = tmp_path / "run_and_die.py"
    script.write_text(textwrap.dedent(SCRIPT))
    args = [f"{n.name},{n.port},{n.username},{n.password or ''}" for n in nodes]
    proc = subprocess.run(
        [sys.executable, str(script), str(known_hosts(nodes, tmp_path)), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    assert "COMMITTED" in proc.stdout
    deadline = time.monotonic() + 30.0  # confirm timeout 8 s, plus slack for a loaded machine
    now = await running(pool)
    while now != prior and time.monotonic() < deadline:
        time.sleep(0.5)
        now = await running(pool)
    assert now == prior


def test_netconfd_present() -> None:
    assert shutil.which("netconfd") or os.path.exists("/usr/sbin/netconfd")
