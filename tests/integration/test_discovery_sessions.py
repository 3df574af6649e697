"""Session-level properties discovery's speed rests on, on a real emulator device (no mocks):
Nagle off on the pool's TCP connections, hashed and revoked known_hosts entries, a changed
known_hosts file re-read, and a discovery without a pool leaving no session open."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import paramiko
import pytest

from containerlab.device.testing import DeviceHandle, example_startup, running_device
from controller.discovery import discover
from controller.seed import DeviceSeed, Seed
from controller.session import (
    Credentials,
    Endpoint,
    KnownHosts,
    SessionOptions,
    _connect_socket,
)

pytestmark = [pytest.mark.integration]


@pytest.fixture(scope="module")
def device() -> Iterator[DeviceHandle]:
    with running_device(example_startup("roadm")) as d:
        yield d


def host_key(d: DeviceHandle) -> paramiko.PKey:
    return paramiko.ECDSAKey.from_private_key_file(str(d.log_path.parent / "host_key"))


def endpoint(d: DeviceHandle) -> Endpoint:
    return Endpoint(d.name, d.host, d.port, Credentials(d.username, d.password))


def fingerprint(key: paramiko.PKey) -> str:
    h = key.get_fingerprint().hex()
    return ":".join(h[i : i + 2] for i in range(0, len(h), 2))


def test_pool_sockets_have_nagle_off(device: DeviceHandle) -> None:
    # the socket the pool hands to ncclient's public ``sock=`` argument
    sock = _connect_socket(device.host, device.port, 5.0)
    try:
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        sock.close()


def test_hashed_entry_accepted_and_revoked_refused(device: DeviceHandle, tmp_path: Path) -> None:
    key = host_key(device)
    name = f"[{device.host}]:{device.port}"
    path = tmp_path / "known_hosts"
    path.write_text(f"{paramiko.HostKeys.hash_host(name)} {key.get_name()} {key.get_base64()}\n")
    kh = KnownHosts(path)
    fp = fingerprint(key)
    assert kh.accepts(device.host, device.port, fp)
    assert not kh.accepts(device.host, device.port + 1, fp)
    assert not kh.accepts(device.host, device.port, "00:" * 15 + "00")
    with path.open("a") as f:  # a changed file is re-read: a revoked key is refused
        f.write(f"@revoked {name} {key.get_name()} {key.get_base64()}\n")
    assert not kh.accepts(device.host, device.port, fp)

    async def connect(known: Path) -> str | None:
        seed = Seed("kh", (DeviceSeed(endpoint(device)),), known)
        res = await discover(seed, SessionOptions(known_hosts=known, connect_attempts=1))
        return res.devices[0].reason if not res.devices[0].reachable else None

    assert "Unknown host key" in (asyncio.run(connect(path)) or "")
    path.write_text(f"{paramiko.HostKeys.hash_host(name)} {key.get_name()} {key.get_base64()}\n")
    assert asyncio.run(connect(path)) is None


def test_discovery_without_a_pool_closes_each_session(device: DeviceHandle) -> None:
    seed = Seed("one", (DeviceSeed(endpoint(device)),), None)
    before = {t.name for t in threading.enumerate()}
    res = asyncio.run(discover(seed, SessionOptions(insecure_hostkeys=True)))
    assert res.devices[0].reachable and res.devices[0].kind == "roadm"

    def leftover() -> set[str]:  # ncclient's session thread, paramiko's transport thread
        new = {t.name for t in threading.enumerate()} - before
        return {n for n in new if n == "session" or n.startswith("Thread-")}

    deadline = time.monotonic() + 5.0  # they exit on their own once the channel closes
    while leftover() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not leftover()
