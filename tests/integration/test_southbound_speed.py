"""What keeps the southbound fast, checked on a real emulator device (in-process server).

No timing assertions (speed is shown by ``bench/southbound.py``): these check the mechanisms —
the device's SSH sockets have Nagle off, a pool session is ncclient's own ``Manager`` (public
API), and host keys come from the pool's known_hosts file alone.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paramiko
import pytest

from containerlab.device.engine import DeviceEngine
from containerlab.device.profile import load_startup
from containerlab.device.server import DeviceServer, ensure_host_key
from containerlab.device.testing import example_startup
from controller.adapters import lldp
from controller.session import Credentials, Endpoint, SessionOptions, SessionPool, hostkey_line
from topology.errors import DeviceError

pytestmark = [pytest.mark.integration]


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[DeviceServer]:
    engine = DeviceEngine(load_startup(example_startup("amplifier")))
    srv = DeviceServer(
        engine,
        address="127.0.0.1",
        port=0,
        username="admin",
        password="admin",
        host_key=ensure_host_key(tmp_path / "host_key"),
    )
    try:
        yield srv
    finally:
        srv.shutdown()


def endpoint(srv: DeviceServer) -> Endpoint:
    return Endpoint("amp", "127.0.0.1", srv.port, Credentials("admin", "admin"))


def test_device_ssh_connections_have_nagle_off(server: DeviceServer) -> None:
    async def go() -> list[int]:
        async with SessionPool([endpoint(server)], SessionOptions(insecure_hostkeys=True)) as pool:
            await pool.get("amp", lldp.get_filter())
            return [
                s.client_socket.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
                for s in server.sockets
                if s.client_socket is not None
            ]

    flags = asyncio.run(go())
    assert flags and all(flags), flags


def test_pool_session_is_a_plain_ncclient_manager_and_reconnects(server: DeviceServer) -> None:
    async def go() -> tuple[str, str, bool]:
        async with SessionPool([endpoint(server)], SessionOptions(insecure_hostkeys=True)) as pool:
            first = await pool.get("amp", lldp.get_filter())
            m: Any = await pool.session("amp")
            kind = type(m).__module__ + "." + type(m).__name__
            await pool.disconnect("amp")
            again = await pool.get("amp", lldp.get_filter())  # reopens on next use
            same = lldp.parse_lldp("amp", again) == lldp.parse_lldp("amp", first)
            return kind, again, same

    kind, again, same = asyncio.run(go())
    assert kind == "ncclient.manager.Manager"
    assert same and lldp.parse_lldp("amp", again).system_name


def test_host_keys_only_from_the_pools_known_hosts(
    server: DeviceServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = paramiko.ECDSAKey.from_private_key_file(str(tmp_path / "host_key"))
    line = hostkey_line("127.0.0.1", server.port, key.get_base64(), key.get_name()) + "\n"
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "known_hosts").write_text(line)  # the user's file knows the device ...
    monkeypatch.setenv("HOME", str(home))
    pool_file = tmp_path / "lab_known_hosts"
    pool_file.write_text("")  # ... the pool's file does not

    async def connect() -> str:
        opts = SessionOptions(known_hosts=pool_file, connect_attempts=1)
        async with SessionPool([endpoint(server)], opts) as pool:
            return await pool.get("amp", lldp.get_filter())

    with pytest.raises(DeviceError) as err:
        asyncio.run(connect())
    assert err.value.device == "amp" and "cannot connect" in str(err.value)
    pool_file.write_text(line)
    assert lldp.parse_lldp("amp", asyncio.run(connect())).system_name
