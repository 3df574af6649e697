"""fsor-device process lifecycle: state dir, crash recovery, abrupt clients, clean stop."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import ncclient.transport.session as nc_session
import paramiko
import pytest
from lxml import etree

from containerlab.device.testing import example_startup, nc_connect, running_device

PLAT = "http://openconfig.net/yang/platform"
TERM = "http://openconfig.net/yang/terminal-device"
LIGHT = (
    f'<config><components xmlns="{PLAT}"><component><name>och-1</name>'
    f'<optical-channel xmlns="{TERM}"><config><frequency>193100000</frequency>'
    "<target-output-power>1.0</target-output-power></config></optical-channel></component>"
    "</components></config>"
)


@pytest.fixture(scope="module", autouse=True)
def fast_tick() -> Iterator[None]:
    old = nc_session.TICK
    nc_session.TICK = 0.005
    yield
    nc_session.TICK = old


def running_frequency(m: object) -> list[str]:
    data = etree.fromstring(m.get_config(source="running").data_xml.encode())  # type: ignore[attr-defined]
    found = data.xpath("//t:frequency/text()", namespaces={"t": TERM})
    assert isinstance(found, list)
    return [str(f) for f in found]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_state_dir_survives_restart_and_crash_rolls_back(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with running_device(example_startup("transponder"), state_dir=state) as dev:
        assert (state / "fsor-device.pid").read_text().strip() == str(dev.pid)
        with nc_connect(dev) as m:
            m.edit_config(target="candidate", config=LIGHT)
            m.commit()
    assert not (state / "fsor-device.pid").exists()
    with running_device(example_startup("transponder"), state_dir=state) as dev:
        m = nc_connect(dev)
        assert running_frequency(m) == ["193100000"]
        m.edit_config(target="candidate", config=LIGHT.replace("och-1", "och-2"))
        m.commit(confirmed=True, timeout="600", persist="p1")
        assert len(running_frequency(m)) == 2
        dev.kill()  # crash with a persistent confirmed commit pending
    with (
        running_device(example_startup("transponder"), state_dir=state) as dev,
        nc_connect(dev) as m,
    ):
        assert running_frequency(m) == ["193100000"]


def test_abrupt_client_and_clean_stop() -> None:
    with running_device(example_startup("roadm")) as dev:
        transport = paramiko.Transport((dev.host, dev.port))
        transport.connect(username=dev.username, password=dev.password)
        chan = transport.open_session()
        chan.invoke_subsystem("netconf")
        chan.close()  # gone before sending a hello
        transport.close()
        with nc_connect(dev) as m:  # the device still serves
            assert m.get(
                filter=("xpath", ({"l": "http://openconfig.net/yang/lldp"}, "/l:lldp/l:state"))
            ).data_xml
        pid, proc = dev.pid, dev.process
    assert proc.returncode == 0
    assert not alive(pid)


def test_bad_startup_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nkind: router\n")
    res = subprocess.run(
        [sys.executable, "-m", "containerlab.device", "--startup", str(bad), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert res.returncode == 2
    assert f"{bad}: kind: expected transponder or roadm or amplifier" in res.stderr


def test_wrong_password_refused() -> None:
    with running_device(example_startup("amplifier"), password="s3cret") as dev:
        transport = paramiko.Transport((dev.host, dev.port))
        try:
            with pytest.raises(paramiko.AuthenticationException):
                transport.connect(username="admin", password="admin")
        finally:
            transport.close()
        time.sleep(0.1)
        with nc_connect(dev) as m:
            assert m.connected
