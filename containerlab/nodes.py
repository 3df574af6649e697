"""Start the processes of one lab node, per device kind.

* ``device``: the project's emulator ``fsor-device`` (or the command in the environment
  variable ``FSOR_DEVICE_CMD``), one process per node;
* ``netconfd``: Debian's netconfd behind sshd, via :mod:`containerlab.netconfd_node`.

Every process runs in its own session (process group) so the runner can stop it from any
process; pids and their start times are recorded in the lab state file.
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from containerlab.backends import LabError
from containerlab.clab import Lab, Node
from containerlab.status import proc_starttime
from topology.errors import DeviceError, InputError

__all__ = ["check_servable", "device_command", "log_tail", "make_host_key", "start"]


def device_command() -> list[str] | None:
    """argv prefix that runs the emulator, or None when it is not installed."""
    override = os.environ.get("FSOR_DEVICE_CMD")
    if override:
        return shlex.split(override)
    local = Path(sys.executable).parent / "fsor-device"
    if local.exists():
        return [str(local)]
    found = shutil.which("fsor-device")
    if found:
        return [found]
    if importlib.util.find_spec("containerlab.device.__main__") is not None:
        return [sys.executable, "-m", "containerlab.device"]
    return None


def _netconfd_missing() -> str | None:
    if importlib.util.find_spec("containerlab.netconfd_node") is None:
        return "the netconfd node launcher (containerlab/netconfd_node.py) is not available"
    for binary in ("/usr/sbin/netconfd", "/usr/sbin/sshd", "/usr/sbin/netconf-subsystem"):
        if not os.access(binary, os.X_OK):
            return f"{binary} is not installed (apt install netconfd openssh-server)"
    return None


def check_servable(lab: Lab, node: Node) -> None:
    """:class:`InputError` (file, node, field) when the runner cannot serve ``node`` here."""
    where = f"topology.nodes.{node.name}.image"
    if node.kind == "device":
        if device_command() is None:
            raise InputError(
                lab.path,
                where,
                node.image,
                "expected a kind the runner can serve: fsor-device is not installed",
            )
        if node.startup is None:
            raise InputError(
                lab.path,
                f"topology.nodes.{node.name}.binds",
                None,
                "expected a startup file bound at /etc/fsor/startup.yaml",
            )
        if not Path(node.startup).is_file():
            raise InputError(
                lab.path,
                f"topology.nodes.{node.name}.binds",
                node.startup,
                "expected an existing startup file",
            )
    elif node.kind == "netconfd":
        missing = _netconfd_missing()
        if missing:
            raise InputError(
                lab.path, where, node.image, f"expected a kind the runner can serve: {missing}"
            )
    else:
        raise InputError(
            lab.path, where, node.image, "expected a kind the runner can serve (device, netconfd)"
        )


def make_host_key(directory: Path) -> tuple[Path, str]:
    """An ECDSA P-256 PEM host key in ``directory`` (0600); (path, public line)."""
    key = directory / "host_key"
    if not key.exists():
        subprocess.run(
            [
                "ssh-keygen",
                "-q",
                "-t",
                "ecdsa",
                "-b",
                "256",
                "-m",
                "PEM",
                "-N",
                "",
                "-C",
                "fsor-lab",
                "-f",
                str(key),
            ],
            check=True,
            capture_output=True,
            timeout=30,
        )
        os.chmod(key, 0o600)
        os.chmod(key.with_name("host_key.pub"), 0o600)
    pub = key.with_name("host_key.pub").read_text().split()
    return key, f"{pub[0]} {pub[1]}"


def log_tail(path: str | None, lines: int = 4) -> str:
    """`` (log: last lines)`` of a node log, or '' when empty/missing."""
    if not path:
        return ""
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return ""
    kept = [ln.strip() for ln in text.splitlines() if ln.strip()][-lines:]
    return f" (log {path}: {' | '.join(kept)})" if kept else ""


#: node label (or ``topology.defaults.labels`` entry) giving a device's one-way delay in ms
DELAY_LABEL = "fsor.delay-ms"


def delay_args(node: Node) -> list[str]:
    """``--delay-ms X`` for an emulator node with the :data:`DELAY_LABEL` label, else ``[]``.

    >>> from containerlab.clab import Node
    >>> delay_args(Node("r", "device", "img", "", None, {"fsor.delay-ms": "20"}, {}))
    ['--delay-ms', '20.0']
    """
    raw = node.labels.get(DELAY_LABEL)
    if raw is None or raw == "":
        return []
    try:
        ms = float(raw)
    except ValueError:
        ms = -1.0
    if not 0 <= ms <= 10_000:
        raise LabError(
            f"node {node.name}: label {DELAY_LABEL}: expected 0 to 10000 ms, got {raw!r}"
        )
    return ["--delay-ms", str(ms)]


def start(node: Node, nd: dict[str, Any], host_key: Path, prefix: list[str]) -> None:
    """Start ``node``'s processes; fill ``nd`` (its state entry) with pids and start times.

    ``prefix`` runs a command in the node's namespace (empty on loopback). Raises
    :class:`LabError` if the node cannot be started.
    """
    workdir = Path(nd["log"]).with_suffix("")
    workdir.mkdir(mode=0o700, parents=True, exist_ok=True)
    bind = "0.0.0.0" if prefix else nd["host"]
    if node.kind == "device":
        cmd = device_command()
        assert cmd is not None  # checked by check_servable
        key, pub = make_host_key(workdir)  # a host key per node: one leak is one node
        del host_key
        argv = [
            *prefix,
            *cmd,
            "--startup",
            str(node.startup),
            "--address",
            bind,
            "--port",
            str(nd["port"]),
            "--host-key",
            str(key),
            "--state-dir",
            str(workdir),
            *delay_args(node),
        ]
        # credentials by environment (readable by the owner only), never on the command line
        env = {
            **os.environ,
            "FSOR_DEVICE_USERNAME": str(nd["username"]),
            "FSOR_DEVICE_PASSWORD": str(nd["password"] or ""),
        }
        fd = os.open(nd["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=env,
            )
        nd["pids"] = [[proc.pid, proc_starttime(proc.pid)]]
        nd["pid"], nd["starttime"] = nd["pids"][0]
        nd["known_hosts_line"] = f"[{nd['host']}]:{nd['port']} {pub}"
        return
    from containerlab import netconfd_node

    startup = Path(node.startup) if node.startup else None
    try:
        handle = netconfd_node.start_netconfd_node(
            node.name,
            workdir,
            bind if not prefix else node.mgmt_ipv4,
            int(nd["port"]),
            netns=nd.get("namespace"),
            startup=startup,
            username=nd["username"],
            password=nd["password"],
        )
    except DeviceError as exc:
        raise LabError(f"node {node.name}: {exc}") from exc
    nd["pids"] = [[p, proc_starttime(p)] for p in (handle.sshd_pid, handle.netconfd_pid)]
    nd["pid"], nd["starttime"] = nd["pids"][0]
    nd["username"], nd["password"] = handle.username, handle.password
    nd["key_filename"] = str(handle.key_filename) if handle.key_filename else None
    nd["socket"] = str(handle.socket_path)
    nd["known_hosts_line"] = handle.known_hosts.read_text().strip()
