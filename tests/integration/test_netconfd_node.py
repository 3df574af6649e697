"""Conformance nodes: real netconfd (yuma123) behind a real sshd, driven with ncclient.

Every test starts its own node on a free loopback port and stops it; nothing is mocked.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from ncclient import manager
from ncclient.operations import RPCError
from ncclient.transport.errors import AuthenticationError, SSHUnknownHostError

from containerlab.netconfd_node import (
    LAB_USER_MARK,
    NetconfdNode,
    NetconfdUnavailable,
    assets_directory,
    start_netconfd_node,
    wait_ready,
)
from topology.errors import DeviceError

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        shutil.which("netconfd") is None and not os.path.exists("/usr/sbin/netconfd"),
        reason="Debian netconfd (yuma123) is not installed",
    ),
]

NS = "urn:fsor:params:xml:ns:yang:fsor-lightpath"
NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
USER = "fsor-lab"
PASSWORD = "fsor-lab-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def lightpath_config(
    lid: str,
    frequency: int,
    source: str = "line-1",
    destination: str = "line-2",
    power: str = "-1.50",
    operation: str | None = None,
) -> str:
    """An edit-config ``<config>`` holding one lightpath (or deleting it)."""
    if operation == "delete":
        body = f'<lightpath nc:operation="delete"><id>{lid}</id></lightpath>'
    else:
        body = (
            f"<lightpath><id>{lid}</id><frequency>{frequency}</frequency><width>50000</width>"
            f"<source-port>{source}</source-port><destination-port>{destination}"
            f"</destination-port><target-output-power>{power}</target-output-power>"
            "<admin-state>enabled</admin-state><workload>job-1</workload></lightpath>"
        )
    return (
        f'<config xmlns="{NC}" xmlns:nc="{NC}">'
        f'<lightpaths xmlns="{NS}">{body}</lightpaths></config>'
    )


def lightpath_ids(m: manager.Manager, source: str) -> set[str]:
    """Ids of the lightpaths in datastore ``source``."""
    reply = m.get_config(source, filter=("subtree", f'<lightpaths xmlns="{NS}"/>'))
    return {e.text or "" for e in reply.data.iter(f"{{{NS}}}id")}


@pytest.fixture
def node(tmp_path: Path) -> Iterator[NetconfdNode]:
    try:
        n = start_netconfd_node(
            "nc1",
            tmp_path / "nc1",
            "127.0.0.1",
            free_port(),
            startup=assets_directory() / "startup-example.xml",
            username=USER,
            password=PASSWORD,
        )
    except NetconfdUnavailable as exc:
        pytest.skip(str(exc))
    try:
        wait_ready(n, timeout=15.0)
        yield n
    finally:
        n.stop()


def connect(n: NetconfdNode) -> manager.Manager:
    return manager.connect(timeout=15, **n.connect_kwargs())


def test_hello_announces_module_candidate_and_confirmed_commit(node: NetconfdNode) -> None:
    with connect(node) as m:
        caps = list(m.server_capabilities)
    assert any(c.startswith(f"{NS}?module=fsor-lightpath") for c in caps)
    assert "urn:ietf:params:netconf:capability:candidate:1.0" in caps
    assert "urn:ietf:params:netconf:capability:confirmed-commit:1.1" in caps


@pytest.mark.skipif(os.geteuid() != 0, reason="password login needs root (local user)")
def test_password_login_as_lab_user_and_wrong_password_refused(node: NetconfdNode) -> None:
    assert (node.username, node.password) == (USER, PASSWORD)
    assert pwd.getpwnam(USER).pw_gecos == LAB_USER_MARK
    kwargs = dict(node.connect_kwargs(), password="wrong")
    with pytest.raises(AuthenticationError):
        manager.connect(timeout=10, **kwargs)


def test_host_key_verified_against_the_node_key(node: NetconfdNode) -> None:
    kwargs = dict(node.connect_kwargs(), hostkey_verify=True, hostkey_b64=node.host_key_b64)
    with manager.connect(timeout=15, **kwargs) as m:
        assert m.connected
    other = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
    kwargs["hostkey_b64"] = other
    with pytest.raises(SSHUnknownHostError):
        manager.connect(timeout=15, **kwargs)


def test_get_config_returns_startup_lightpath(node: NetconfdNode) -> None:
    with connect(node) as m:
        reply = m.get_config("running", filter=("subtree", f'<lightpaths xmlns="{NS}"/>'))
    lp = reply.data.find(f"{{{NS}}}lightpaths/{{{NS}}}lightpath")
    assert lp is not None
    assert lp.findtext(f"{{{NS}}}id") == "lp-example"
    assert lp.findtext(f"{{{NS}}}frequency") == "193100000"
    assert lp.findtext(f"{{{NS}}}target-output-power") == "-1.50"


def test_edit_candidate_commit_then_delete(node: NetconfdNode) -> None:
    with connect(node) as m:
        m.edit_config(target="candidate", config=lightpath_config("lp-1", 193_200_000))
        assert "lp-1" in lightpath_ids(m, "candidate")
        assert "lp-1" not in lightpath_ids(m, "running")
        m.commit()
        assert lightpath_ids(m, "running") == {"lp-example", "lp-1"}
        m.edit_config(target="candidate", config=lightpath_config("lp-1", 0, operation="delete"))
        m.commit()
        assert lightpath_ids(m, "running") == {"lp-example"}


def test_copy_to_startup_survives_a_restart(node: NetconfdNode) -> None:
    with connect(node) as m:
        m.edit_config(target="candidate", config=lightpath_config("lp-p", 193_250_000))
        m.commit()
        m.copy_config(source="running", target="startup")
    saved = node.workdir / "startup.xml"
    assert "lp-p" in saved.read_text()
    node.stop()
    again = start_netconfd_node(
        node.name,
        node.workdir,
        node.address,
        node.port,
        startup=saved,
        username=USER,
        password=PASSWORD,
    )
    try:
        wait_ready(again, timeout=15.0)
        with connect(again) as m:
            assert lightpath_ids(m, "running") == {"lp-example", "lp-p"}
    finally:
        again.stop()


def test_discard_changes_restores_candidate(node: NetconfdNode) -> None:
    with connect(node) as m:
        m.edit_config(target="candidate", config=lightpath_config("lp-d", 193_300_000))
        assert "lp-d" in lightpath_ids(m, "candidate")
        m.discard_changes()
        assert lightpath_ids(m, "candidate") == {"lp-example"}
        assert lightpath_ids(m, "running") == {"lp-example"}


@pytest.mark.slow
def test_confirmed_commit_reverts_by_itself_after_timeout(node: NetconfdNode) -> None:
    with connect(node) as m:
        m.edit_config(target="candidate", config=lightpath_config("lp-c", 193_400_000))
        m.commit(confirmed=True, timeout="2")
        assert "lp-c" in lightpath_ids(m, "running")
        # netconfd checks its timers only after ~1 s without any request, so poll slowly.
        deadline = time.monotonic() + 20.0
        while "lp-c" in lightpath_ids(m, "running") and time.monotonic() < deadline:
            time.sleep(1.5)
        assert lightpath_ids(m, "running") == {"lp-example"}
        assert lightpath_ids(m, "candidate") == {"lp-example"}


def test_confirmed_commit_then_confirm_keeps_it(node: NetconfdNode) -> None:
    with connect(node) as m:
        m.edit_config(target="candidate", config=lightpath_config("lp-k", 193_450_000))
        m.commit(confirmed=True, timeout="30")
        m.commit()  # the confirming commit
    with connect(node) as m:  # closing the first session must not revert a confirmed commit
        assert lightpath_ids(m, "running") == {"lp-example", "lp-k"}


def test_cancel_commit_reverts_at_once(node: NetconfdNode) -> None:
    with connect(node) as m:
        m.edit_config(target="candidate", config=lightpath_config("lp-x", 193_500_000))
        m.commit(confirmed=True, timeout="60")
        assert "lp-x" in lightpath_ids(m, "running")
        m.cancel_commit()
        assert lightpath_ids(m, "running") == {"lp-example"}


def test_session_loss_reverts_unconfirmed_commit(node: NetconfdNode) -> None:
    with connect(node) as m:
        m.edit_config(target="candidate", config=lightpath_config("lp-s", 193_550_000))
        m.commit(confirmed=True, timeout="60")
    with connect(node) as m:
        assert lightpath_ids(m, "running") == {"lp-example"}


def test_lock_denied_to_second_session_until_unlock(node: NetconfdNode) -> None:
    with connect(node) as first, connect(node) as second:
        first.lock("candidate")
        with pytest.raises(RPCError) as denied:
            second.lock("candidate")
        assert denied.value.tag == "lock-denied"
        with pytest.raises(RPCError) as blocked:
            second.edit_config(target="candidate", config=lightpath_config("lp-l", 193_600_000))
        assert blocked.value.tag in {"in-use", "lock-denied"}
        first.unlock("candidate")
        second.lock("candidate")
        second.unlock("candidate")


def test_frequency_out_of_range_rejected_naming_the_path(node: NetconfdNode) -> None:
    with connect(node) as m:
        with pytest.raises(RPCError) as err:
            m.edit_config(target="candidate", config=lightpath_config("lp-bad", 200_000_000))
        assert err.value.tag == "invalid-value"
        assert err.value.path is not None
        assert err.value.path.endswith("fsor-lp:lightpath[fsor-lp:id='lp-bad']/fsor-lp:frequency")
        assert "lp-bad" not in lightpath_ids(m, "candidate")


def test_power_with_three_decimals_and_same_ports_rejected(node: NetconfdNode) -> None:
    with connect(node) as m:
        with pytest.raises(RPCError) as power:
            m.edit_config(
                target="candidate", config=lightpath_config("p", 193_700_000, power="-1.255")
            )
        assert power.value.path is not None and power.value.path.endswith("target-output-power")
        with pytest.raises(RPCError) as ports:
            m.edit_config(target="candidate", config=lightpath_config("q", 193_700_000, "a", "a"))
        assert "must differ" in (ports.value.message or "")
        assert lightpath_ids(m, "candidate") == {"lp-example"}


def test_validate_then_commit_drops_edits(node: NetconfdNode) -> None:
    """Known yuma123 2.13 quirk (DESIGN.md): after <validate>, commit applies nothing."""
    with connect(node) as m:
        m.edit_config(target="candidate", config=lightpath_config("lp-v", 193_800_000))
        m.validate(source="candidate")
        assert "lp-v" in lightpath_ids(m, "candidate")
        m.commit()
        assert "lp-v" not in lightpath_ids(m, "running")


def test_stop_leaves_no_process_socket_or_port(node: NetconfdNode) -> None:
    session = connect(node)  # an open session: sshd has children to clean up too
    children = [p for p in _all_pids() if _ppid(p) == node.sshd_pid]
    assert children, "an open NETCONF session has an sshd child"
    assert node.rss_kib() > 0
    node.stop()
    assert not node.is_alive()
    for pid in [*node.pids, *children]:
        assert not _pid_alive(pid), pid
    assert not node.socket_path.exists()
    assert not any(str(node.workdir) in _cmdline(p) for p in _all_pids())
    assert node.port not in _listening_ports()
    with socket.socket() as s:  # a new server could take the port (SO_REUSEADDR, as sshd)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((node.address, node.port))
    del session
    node.stop()  # idempotent


def test_port_in_use_is_a_clear_device_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = int(busy.getsockname()[1])
        with pytest.raises(DeviceError, match="sshd") as err:
            start_netconfd_node(
                "busy", tmp_path / "busy", "127.0.0.1", port, username=USER, password=PASSWORD
            )
    assert "Address already in use" in str(err.value) or "Bind" in str(err.value)
    assert not any(str(tmp_path / "busy") in _cmdline(p) for p in _all_pids())


def test_invalid_startup_is_a_clear_device_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad-startup.xml"
    bad.write_text(lightpath_config("lp-bad", 100), encoding="utf-8")  # 100 MHz: out of range
    with pytest.raises(DeviceError, match="netconfd") as err:
        start_netconfd_node(
            "bad",
            tmp_path / "bad",
            "127.0.0.1",
            free_port(),
            startup=bad,
            username=USER,
            password=PASSWORD,
        )
    assert err.value.device == "bad"
    assert "value not in range" in str(err.value)
    assert not any(str(tmp_path / "bad") in _cmdline(p) for p in _all_pids())


@pytest.mark.skipif(os.geteuid() != 0, reason="local users are only managed as root")
def test_existing_foreign_user_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DeviceError, match="not created by fsor"):
        start_netconfd_node("u", tmp_path / "u", "127.0.0.1", free_port(), username="daemon")


# --------------------------------------------------------------------------- /proc helpers


def _all_pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def _ppid(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _listening_ports() -> set[int]:
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            cols = row.split()
            if cols[3] == "0A":
                ports.add(int(cols[1].rsplit(":", 1)[1], 16))
    return ports


def _pid_alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
