"""Host security of the lab runner (as root): no shell account, no secret in argv or in
world-readable files, private state, a host key per node, nothing left after ``down``."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paramiko
import pytest

from containerlab import runner
from containerlab.netconfd_accounts import SHELL, lab_username
from tests.conftest import REPO, start_lab

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="host accounts and namespaces need root"),
    pytest.mark.skipif(not Path("/usr/sbin/netconfd").exists(), reason="netconfd not installed"),
]


def small_lab(tmp: Path, name: str) -> Path:
    """A renamed two-node copy of the orca lab: one emulator ROADM, one netconfd node."""
    shutil.copytree(REPO / "containerlab" / "orca", tmp / "orca", dirs_exist_ok=True)
    clab = tmp / f"{name}.clab.yml"
    clab.write_text(
        f"name: {name}\n"
        "mgmt: {network: fsor-sec, ipv4-subnet: 172.30.77.0/24}\n"
        "topology:\n"
        "  defaults:\n"
        "    env: {FSOR_USERNAME: admin, FSOR_PASSWORD: s3cret-lab-pw}\n"
        "  nodes:\n"
        "    roadm-fra:\n"
        "      kind: linux\n"
        "      image: fsor/device:latest\n"
        "      mgmt-ipv4: 172.30.77.11\n"
        "      binds: ['orca/roadm-fra.yaml:/etc/fsor/startup.yaml:ro']\n"
        "      labels: {fsor.role: roadm}\n"
        "    roadm-nyc:\n"
        "      kind: linux\n"
        "      image: fsor/device:latest\n"
        "      mgmt-ipv4: 172.30.77.12\n"
        "      binds: ['orca/roadm-nyc.yaml:/etc/fsor/startup.yaml:ro']\n"
        "      labels: {fsor.role: roadm}\n"
        "    conf-1:\n"
        "      kind: linux\n"
        "      image: fsor/netconfd:latest\n"
        "      mgmt-ipv4: 172.30.77.13\n"
        "      binds: ['orca/roadm-lon.xml:/etc/fsor/startup.xml:ro']\n"
        "      labels: {fsor.role: conformance}\n"
    )
    return clab


@pytest.fixture
def sec(tmp_path: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    clab = small_lab(tmp_path, "sec-lab")
    status = start_lab(clab, "netns")
    state = runner.load_state(clab, instance=status.instance)
    assert state is not None
    try:
        yield clab, state
    finally:
        runner.down(clab, instance=status.instance)


def node(state: dict[str, Any], name: str) -> dict[str, Any]:
    return next(n for n in state["nodes"] if n["name"] == name)


def cmdlines(state: dict[str, Any]) -> list[str]:
    out = []
    for n in state["nodes"]:
        for pid, _ in n["pids"]:
            with contextlib.suppress(OSError):
                out.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode())
    return out


def test_no_secret_in_any_node_process_argv(sec: tuple[Path, dict[str, Any]]) -> None:
    _, state = sec
    lines = cmdlines(state)
    assert len(lines) >= 4
    secrets = {n["password"] for n in state["nodes"] if n["password"]}
    assert "s3cret-lab-pw" in secrets
    for line in lines:
        assert "--password" not in line
        assert not any(s in line for s in secrets), line


def test_state_is_private_and_sockets_not_world_writable(
    sec: tuple[Path, dict[str, Any]],
) -> None:
    _, state = sec
    sdir = runner.state_dir(state["instance"])
    assert stat.S_IMODE(sdir.stat().st_mode) == 0o700
    assert stat.S_IMODE(runner.state_file(state["instance"]).stat().st_mode) == 0o600
    for entry in sdir.iterdir():
        mode = stat.S_IMODE(entry.stat().st_mode)
        assert mode & 0o077 == 0, (entry, oct(mode))
    sock = Path(node(state, "conf-1")["socket"])
    mode = stat.S_IMODE(sock.stat().st_mode)
    assert mode & 0o007 == 0, oct(mode)


def test_each_node_has_its_own_host_key(sec: tuple[Path, dict[str, Any]]) -> None:
    _, state = sec
    keys = [n["known_hosts_line"].split()[-1] for n in state["nodes"]]
    assert len(set(keys)) == len(keys) == 3


def test_ssh_id_on_port_830_gets_netconf_never_a_shell(
    sec: tuple[Path, dict[str, Any]],
) -> None:
    _, state = sec
    nd = node(state, "conf-1")
    assert nd["username"] == lab_username(state["instance"])
    assert pwd.getpwnam(nd["username"]).pw_shell == str(SHELL)
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(
        nd["host"],
        nd["port"],
        nd["username"],
        nd["password"],
        allow_agent=False,
        look_for_keys=False,
        timeout=15,
    )
    try:
        for command in ("id", "/bin/sh -c id", "cat /etc/shadow"):
            chan = client.get_transport().open_session()  # type: ignore[union-attr]
            chan.exec_command(command)
            data = b""
            deadline = time.monotonic() + 10
            while b"</hello>" not in data and time.monotonic() < deadline:
                if chan.recv_ready():
                    data += chan.recv(65536)
                else:
                    time.sleep(0.05)
            chan.close()
            assert b"<hello" in data, (command, data[:300])
            assert b"uid=" not in data and b"root:" not in data
        with pytest.raises(paramiko.SSHException):
            chan = client.get_transport().open_session()  # type: ignore[union-attr]
            chan.get_pty()  # PermitTTY no
    finally:
        client.close()
    # the account's login shell (what su or the host's own sshd would run) is not a shell
    out = subprocess.run(
        ["su", nd["username"], "-c", "id"], capture_output=True, text=True, timeout=30
    )
    assert out.returncode != 0 and "uid=" not in out.stdout
    assert "NETCONF only" in out.stderr


def test_down_leaves_no_account_and_no_secret_file(tmp_path: Path) -> None:
    clab = small_lab(tmp_path, "sec-down")
    status = start_lab(clab, "netns")
    state = runner.load_state(clab, instance=status.instance)
    assert state is not None
    user = lab_username(status.instance)
    pwd.getpwnam(user)  # exists while up
    sock = Path(node(state, "conf-1")["socket"])
    runner.down(clab, instance=status.instance)
    with pytest.raises(KeyError):
        pwd.getpwnam(user)
    assert not runner.state_dir(status.instance).exists()
    assert not sock.exists()


def test_down_of_a_crashed_lab_removes_its_account(tmp_path: Path) -> None:
    clab = small_lab(tmp_path, "sec-crash")
    status = start_lab(clab, "netns")
    state = runner.load_state(clab, instance=status.instance)
    assert state is not None
    for n in state["nodes"]:  # the lab "crashes": every node process dies
        for pid, _ in n["pids"]:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
    user = lab_username(status.instance)
    pwd.getpwnam(user)
    runner.down(clab, instance=status.instance)
    with pytest.raises(KeyError):
        pwd.getpwnam(user)
    assert not runner.state_dir(status.instance).exists()
