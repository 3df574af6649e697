"""Session pool faults on a real emulator device: reconnect after a restart, RPC errors."""

from __future__ import annotations

import asyncio
import socket

import pytest

from containerlab.device.testing import example_startup, running_device
from controller.adapters import lldp
from controller.session import Credentials, Endpoint, SessionOptions, SessionPool
from topology.errors import DeviceError

pytestmark = [pytest.mark.integration]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_pool_reconnects_after_the_device_restarts() -> None:
    port = free_port()
    ep = Endpoint("roadm-fra", "127.0.0.1", port, Credentials("admin", "admin"))
    opts = SessionOptions(insecure_hostkeys=True, connect_attempts=5, backoff_s=0.2)

    async def go() -> tuple[str | None, str | None, int]:
        async with SessionPool([ep], opts) as pool:
            with running_device(example_startup("roadm"), port=port):
                first = lldp.parse_lldp(ep.id, await pool.get(ep.id, lldp.get_filter()))
                before = id(await pool.session(ep.id))
            with running_device(example_startup("roadm"), port=port):
                again = lldp.parse_lldp(ep.id, await pool.get(ep.id, lldp.get_filter()))
                after = id(await pool.session(ep.id))
            return first.system_name, again.system_name, int(before != after)

    first, again, reconnected = asyncio.run(go())
    assert first == again == "roadm-fra" and reconnected == 1


def test_rpc_error_and_refused_connection_name_the_device() -> None:
    async def go() -> None:
        with running_device(example_startup("roadm")) as dev:
            ep = Endpoint("r", dev.host, dev.port, Credentials(dev.username, dev.password))
            opts = SessionOptions(insecure_hostkeys=True)
            async with SessionPool([ep], opts) as pool:
                with pytest.raises(DeviceError) as info:
                    await pool.call("r", lambda m: m.unlock(target="candidate"))
                assert info.value.device == "r" and "rpc-error" in str(info.value)
        dead = Endpoint("gone", "127.0.0.1", free_port(), Credentials("a", "b"))
        opts = SessionOptions(insecure_hostkeys=True, connect_attempts=2, backoff_s=0.05)
        async with SessionPool([dead], opts) as pool:
            with pytest.raises(DeviceError, match=r"^gone: cannot connect"):
                await pool.capabilities("gone")

    asyncio.run(go())
