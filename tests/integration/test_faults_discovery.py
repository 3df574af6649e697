"""Discovery faults on real emulator devices (no mocks): a device killed mid-discovery,
an unknown host key, and the ``fsor discover --devices`` CLI contract."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import paramiko
import pytest
import yaml

from containerlab.device.testing import DeviceHandle, example_startup, running_device
from controller.discovery import discover
from controller.seed import DeviceSeed, Seed
from controller.session import Credentials, Endpoint, SessionOptions, SessionPool

pytestmark = [pytest.mark.integration]

KINDS = ("roadm", "transponder", "amplifier")


@pytest.fixture(scope="module")
def devices() -> Iterator[dict[str, DeviceHandle]]:
    with ExitStack() as stack:
        yield {k: stack.enter_context(running_device(example_startup(k))) for k in KINDS}


def known_hosts(devs: dict[str, DeviceHandle], path: Path) -> Path:
    lines = []
    for d in devs.values():
        key = paramiko.ECDSAKey.from_private_key_file(str(d.log_path.parent / "host_key"))
        lines.append(f"[{d.host}]:{d.port} {key.get_name()} {key.get_base64()}\n")
    path.write_text("".join(lines))
    return path


def seed(devs: dict[str, DeviceHandle], kh: Path | None) -> Seed:
    eps = tuple(
        DeviceSeed(Endpoint(d.name, d.host, d.port, Credentials(d.username, d.password)))
        for d in devs.values()
    )
    return Seed("faults", eps, kh)


def test_device_killed_mid_discovery_gives_a_partial_inventory(
    tmp_path: Path,
) -> None:
    with ExitStack() as stack:
        devs = {k: stack.enter_context(running_device(example_startup(k))) for k in KINDS}
        s = seed(devs, known_hosts(devs, tmp_path / "known_hosts"))
        opts = SessionOptions(known_hosts=s.known_hosts, rpc_timeout_s=10.0, connect_attempts=2)

        async def go() -> object:
            async with SessionPool([d.endpoint for d in s.devices], opts) as pool:
                for d in s.devices:  # sessions up: discovery is under way
                    await pool.capabilities(d.id)
                devs["amplifier"].kill()
                return await discover(s, opts, pool=pool, device_timeout_s=15.0)

        res = asyncio.run(go())
    amp = res.device("amp-fra-nca")  # type: ignore[attr-defined]
    assert amp.reachable is False and amp.reason and "unreachable" in amp.reason
    roadm = res.device("roadm-fra")  # type: ignore[attr-defined]
    assert roadm.reachable and roadm.kind == "roadm" and roadm.reason is None
    assert res.device("tp-fra-1").kind == "transponder"  # type: ignore[attr-defined]
    inv = res.inventory  # type: ignore[attr-defined]
    assert [r.id for r in inv.roadms] == ["roadm-fra"]
    assert [(t.id, t.roadm) for t in inv.transponders] == [("tp-fra-1", "roadm-fra")]


def test_unknown_host_key_is_refused_by_default(
    devices: dict[str, DeviceHandle], tmp_path: Path
) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    s = seed(devices, empty)
    res = asyncio.run(discover(s, SessionOptions(known_hosts=empty, connect_attempts=1)))
    assert not any(d.reachable for d in res.devices)
    assert all("Unknown host key" in (d.reason or "") for d in res.devices)
    # the explicit lab opt-out accepts them
    lab = asyncio.run(discover(s, SessionOptions(insecure_hostkeys=True)))
    assert all(d.reachable for d in lab.devices)


def test_discover_cli_with_a_devices_file(devices: dict[str, DeviceHandle], tmp_path: Path) -> None:
    kh = known_hosts(devices, tmp_path / "known_hosts")
    spec = {
        "name": "three",
        "known_hosts": str(kh),
        "devices": [
            {
                "id": d.name,
                "host": d.host,
                "port": d.port,
                "username": d.username,
                "password": d.password,
            }
            for d in devices.values()
        ]
        + [{"id": "ghost", "host": "127.0.0.1", "port": 9, "username": "x", "password": "y"}],
    }
    f = tmp_path / "devices.yaml"
    f.write_text(yaml.safe_dump(spec))
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "controller",
            "discover",
            "--devices",
            str(f),
            "--json",
            "--timeout",
            "20",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    by_id = {d["id"]: d for d in doc["devices"]}
    assert set(by_id) == {"roadm-fra", "tp-fra-1", "amp-fra-nca", "ghost"}
    assert by_id["ghost"]["reachable"] is False and by_id["ghost"]["reason"]
    assert by_id["roadm-fra"] == {
        **by_id["roadm-fra"],
        "kind": "roadm",
        "reachable": True,
        "reason": None,
    }
    assert {"a": "roadm-fra", "b": "tp-fra-1"} in [
        {"a": ln["a"], "b": ln["b"]} for ln in doc["links"]
    ]
