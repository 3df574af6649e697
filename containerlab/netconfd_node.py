"""Launch one conformance node: Debian's ``netconfd`` (yuma123) behind its own ``sshd``.

Length: over 400 lines on purpose: the netconfd launcher (work dir, yuma123 quirks, start-up
wait); sshd and host accounts are already split out (netconfd_sshd, netconfd_accounts).

Each node is two processes and a work directory: ``netconfd`` (candidate datastore,
``--with-startup``, the project module ``yang/fsor-lightpath.yang``, confirmed-commit) listening
on its own unix socket, and an ``sshd`` listening on ``address:port`` whose ``netconf``
subsystem is ``netconf-subsystem`` pointed at that socket. Both can run inside a network
namespace (``ip netns exec``).

Authentication (see docs/netconfd.md and docs/lab.md "Host security"):

- as root, the node logs in a local NETCONF-only account ``username`` with ``password``
  (:mod:`containerlab.netconfd_accounts`: created on first use, marked
  ``fsor lab NETCONF user``, its login shell runs netconf-subsystem and nothing else; the
  lab runner gives each lab its own account and a random password, and removes it on
  ``down``). An existing user without that mark is refused (its password is never changed).
- not as root, sshd can only log in the invoking user: the launcher writes an ed25519 key pair
  in the work directory and the node accepts that key only (``NetconfdNode.key_filename``);
  ``password`` is then unused (``NetconfdNode.password`` is None). If sshd cannot run at all,
  :class:`NetconfdUnavailable` is raised so a lab runner can skip the kind.

Either way sshd forces ``netconf-subsystem`` (``ForceCommand``, no TTY, no forwarding):
``ssh -p 830 user@node id`` gets a NETCONF hello, never a shell
(:mod:`containerlab.netconfd_sshd`). The work directory is 0700, key files 0600, and the
netconfd socket 0660 (group: the login user), never world-writable.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from containerlab.netconfd_accounts import (
    LAB_USER_MARK,
    RUNTIME_DIR,
    ensure_lab_user,
    remove_lab_user,
)
from containerlab.netconfd_sshd import (
    assets_directory,
    host_key,
    render,
    subsystem_command,
    user_key,
)
from topology.errors import DeviceError
from yang import directory as yang_directory

__all__ = [
    "LAB_USER_MARK",
    "NETCONFD",
    "NETCONF_SUBSYSTEM",
    "SSHD",
    "NetconfdNode",
    "NetconfdUnavailable",
    "assets_directory",
    "remove_lab_user",
    "rss_kib_of",
    "start_netconfd_node",
    "stop_nodes",
    "wait_ready",
]

NETCONFD = "/usr/sbin/netconfd"
SSHD = "/usr/sbin/sshd"
NETCONF_SUBSYSTEM = "/usr/sbin/netconf-subsystem"
YUMA_MODULES = "/usr/share/yuma/modules"
_SUN_PATH_MAX = 100  # sockaddr_un.sun_path is 108 bytes; keep a margin


class NetconfdUnavailable(DeviceError):
    """This machine cannot run a netconfd node (binary missing, sshd unable to start, ...)."""


@dataclass
class NetconfdNode:
    """A running netconfd node (handle returned by :func:`start_netconfd_node`)."""

    name: str
    address: str
    port: int
    workdir: Path
    netns: str | None
    username: str
    password: str | None
    key_filename: Path | None
    known_hosts: Path
    socket_path: Path
    netconfd_pid: int
    sshd_pid: int
    start_seconds: float
    _procs: list[subprocess.Popen[bytes]] = field(default_factory=list, repr=False)

    @property
    def pids(self) -> tuple[int, int]:
        """``(netconfd_pid, sshd_pid)``."""
        return (self.netconfd_pid, self.sshd_pid)

    def is_alive(self) -> bool:
        """True when both netconfd and the listening sshd are running."""
        return all(p.poll() is None for p in self._procs) and len(self._procs) == 2

    @property
    def host_key_b64(self) -> str:
        """The node's SSH host key (base64, as in known_hosts): ncclient's ``hostkey_b64``."""
        return self.known_hosts.read_text().split()[2]

    def connect_kwargs(self) -> dict[str, object]:
        """Keyword arguments for ``ncclient.manager.connect`` (host keys not verified).

        Verify host keys by loading :attr:`known_hosts` instead where that matters.
        """
        kwargs: dict[str, object] = {
            "host": self.address,
            "port": self.port,
            "username": self.username,
            "hostkey_verify": False,
            "allow_agent": False,
            "look_for_keys": False,
        }
        if self.password is not None:
            kwargs["password"] = self.password
        if self.key_filename is not None:
            kwargs["key_filename"] = str(self.key_filename)
        return kwargs

    def rss_kib(self) -> int:
        """Resident memory of netconfd plus sshd and its session children, in KiB."""
        pids = [self.netconfd_pid, self.sshd_pid, *_descendants(self.sshd_pid)]
        return sum(rss_kib_of(pid) for pid in pids)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop sshd (with its sessions) and netconfd; remove the socket. Idempotent.

        To stop many nodes at once use :func:`stop_nodes`, which signals all of them
        before waiting.
        """
        stop_nodes([self], timeout)

    def _signal_stop(self) -> list[tuple[int, int]]:
        """Send SIGTERM to sshd, its session children and netconfd; return the children."""
        children: list[tuple[int, int]] = []
        sshd, netconfd = self._procs[1], self._procs[0]
        if sshd.poll() is None:
            children = [(pid, _start_time(pid)) for pid in _descendants(sshd.pid)]
            sshd.send_signal(signal.SIGTERM)
            for pid, started in children:
                if _start_time(pid) == started:
                    _signal(pid, signal.SIGTERM)
        if netconfd.poll() is None:
            netconfd.send_signal(signal.SIGTERM)
            _wake(self.socket_path)
        return children

    def _finish_stop(self, children: list[tuple[int, int]], deadline: float) -> None:
        for proc in self._procs:
            try:
                proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5.0)
        for pid, started in children:
            if _start_time(pid) == started:
                _signal(pid, signal.SIGKILL)
        # session children are not ours to reap: wait (bounded) until they are gone
        until = time.monotonic() + 5.0
        while time.monotonic() < until and any(
            _start_time(pid) == started and _running(pid) for pid, started in children
        ):
            time.sleep(0.01)
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()
        if self.socket_path.parent == RUNTIME_DIR:
            with contextlib.suppress(OSError):
                RUNTIME_DIR.rmdir()


def stop_nodes(nodes: Iterable[NetconfdNode], timeout: float = 5.0) -> None:
    """Stop several nodes in parallel: signal every process first, then wait (idempotent).

    A process still running ``timeout`` seconds after the signal is killed (SIGKILL).
    """
    todo = [(node, node._signal_stop()) for node in nodes]
    deadline = time.monotonic() + timeout
    for node, children in todo:
        node._finish_stop(children, deadline)


def start_netconfd_node(
    name: str,
    workdir: Path,
    address: str,
    port: int,
    netns: str | None = None,
    startup: Path | None = None,
    username: str = "admin",
    password: str = "admin",
) -> NetconfdNode:
    """Start netconfd and its sshd for node ``name``; return once both are listening.

    Parameters
    ----------
    name : str
        Node name, used in messages and file names.
    workdir : Path
        The node's own directory (created; holds configs, keys, logs, the startup file).
    address, port : str, int
        Where sshd listens (inside ``netns`` when given).
    netns : str or None
        Network namespace to run both processes in (needs root).
    startup : Path or None
        Startup configuration (a ``<config>`` document) copied into ``workdir``; the default
        is ``containerlab/netconfd/startup.xml`` (no lightpaths).
    username, password : str
        Login of the NETCONF client when root (see the module docstring).

    Returns
    -------
    NetconfdNode
        Use :func:`wait_ready` to wait for a real NETCONF hello.

    Raises
    ------
    NetconfdUnavailable
        When the binaries are missing, a namespace is asked for without root, or sshd cannot
        run here; the message says why.
    DeviceError
        When netconfd or sshd exits during start (bad startup file, port in use, ...), with
        the tail of its log.
    """
    t0 = time.perf_counter()
    for binary in (NETCONFD, SSHD, NETCONF_SUBSYSTEM):
        if not os.access(binary, os.X_OK):
            raise NetconfdUnavailable(name, f"{binary} is not installed (apt install netconfd)")
    root = os.geteuid() == 0
    if netns is not None and not root:
        raise NetconfdUnavailable(name, f"network namespace {netns!r} needs root")
    workdir = Path(workdir).resolve()
    workdir.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(workdir, 0o700)
    (workdir / "yuma" / "data").mkdir(parents=True, exist_ok=True)
    if root:
        ensure_lab_user(name, username, password)
        login, secret, key = username, password, None
    else:
        login, secret, key = getpass.getuser(), None, user_key(workdir)
    sock = _socket_path(workdir, name, port, world=root)
    with contextlib.suppress(FileNotFoundError):
        sock.unlink()
    startup_copy = workdir / "startup.xml"
    source = Path(startup or assets_directory() / "startup.xml").resolve()
    if source != startup_copy:  # restarting a node on its own saved startup keeps it as is
        shutil.copyfile(source, startup_copy)
    hkey = host_key(workdir)
    known_hosts = workdir / "known_hosts"
    host = f"[{address}]:{port}" if port != 22 else address
    known_hosts.write_text(f"{host} {hkey.with_suffix('.pub').read_text().strip()}\n")

    conf = workdir / "netconfd.conf"
    conf.write_text(
        render(
            "netconfd.conf.template",
            startup=startup_copy,
            modpath=YUMA_MODULES,
            module=yang_directory() / "fsor-lightpath.yang",
            superuser=login,
            access_control="enforcing",
            socket=sock,
            port=port,
            log=workdir / "netconfd.log",
            log_level="info",
        )
    )
    sshd_conf = workdir / "sshd_config"
    listen = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
    sshd_conf.write_text(
        render(
            "sshd_config.template",
            listen=listen,
            host_key=hkey,
            pid_file=workdir / "sshd.pid",
            username=login,
            password_auth="yes" if root else "no",
            authorized_keys=workdir / "authorized_keys" if key else "none",
            log_level="INFO",
            command=subsystem_command(port, sock),
        )
    )
    prefix = ["ip", "netns", "exec", netns] if netns else []
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(workdir), "LANG": "C"}
    procs: list[subprocess.Popen[bytes]] = []
    try:
        # yuma-home only takes effect on the command line, not in the conf file
        home = f"--yuma-home={workdir / 'yuma'}"
        argv = [*prefix, NETCONFD, home, f"--config={conf}"]
        procs.append(_spawn(argv, workdir / "netconfd.out", env))
        _wait_for(name, "netconfd", procs[0], workdir / "netconfd.log", lambda: sock.exists())
        _restrict_socket(sock, login if root else None)
        if root:
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        sshd = _spawn([*prefix, SSHD, "-D", "-e", "-f", str(sshd_conf)], workdir / "sshd.log", env)
        procs.append(sshd)
        _wait_for(
            name,
            "sshd",
            sshd,
            workdir / "sshd.log",
            lambda: _listening(sshd.pid, port),
            unavailable=not root,
        )
    except BaseException:
        for proc in reversed(procs):
            _terminate(proc)
        with contextlib.suppress(FileNotFoundError):
            sock.unlink()
        raise
    return NetconfdNode(
        name=name,
        address=address,
        port=port,
        workdir=workdir,
        netns=netns,
        username=login,
        password=secret,
        key_filename=key,
        known_hosts=known_hosts,
        socket_path=sock,
        netconfd_pid=procs[0].pid,
        sshd_pid=procs[1].pid,
        start_seconds=time.perf_counter() - t0,
        _procs=procs,
    )


def wait_ready(node: NetconfdNode, timeout: float = 10.0) -> float:
    """Wait until the node answers a real NETCONF hello; return the seconds waited.

    Raises :class:`~topology.errors.DeviceError` naming the node after ``timeout`` seconds
    (or at once if a process died).
    """
    from ncclient import manager  # local import: ncclient is slow to import

    t0 = time.monotonic()
    last = "no attempt"
    while True:
        if not node.is_alive():
            raise DeviceError(node.name, f"a process exited; see logs in {node.workdir}")
        remaining = timeout - (time.monotonic() - t0)
        if remaining <= 0:
            raise DeviceError(node.name, f"no NETCONF hello within {timeout} s: {last}")
        try:
            kwargs = node.connect_kwargs()
            with manager.connect(timeout=max(1.0, min(5.0, remaining)), **kwargs) as m:
                if not any("fsor-lightpath" in c for c in m.server_capabilities):
                    raise DeviceError(node.name, "hello does not announce fsor-lightpath")
                return time.monotonic() - t0
        except DeviceError:
            raise
        except Exception as exc:  # ncclient raises many unrelated types while starting
            last = f"{type(exc).__name__}: {exc}"
        time.sleep(0.05)


# --------------------------------------------------------------------------- helpers


def _spawn(argv: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=log.parent,
            start_new_session=True,
        )


def _wait_for(
    name: str,
    what: str,
    proc: subprocess.Popen[bytes],
    log: Path,
    ready: Callable[[], bool],
    timeout: float = 10.0,
    unavailable: bool = False,
) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if proc.poll() is not None or time.monotonic() > deadline:
            tail = _tail(log) or _tail(log.with_suffix(".out"))
            status = "did not start" if proc.poll() is None else f"exited ({proc.returncode})"
            cls = NetconfdUnavailable if unavailable else DeviceError
            raise cls(name, f"{what} {status}: {tail}")
        time.sleep(0.005)


def _tail(path: Path, lines: int = 6) -> str:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return ""
    kept = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return " | ".join(kept[-lines:])


def _listening(pid: int, port: int) -> bool:
    """True when process ``pid`` has a listening TCP socket on ``port`` (in its netns)."""
    try:
        inodes = {
            os.readlink(f"/proc/{pid}/fd/{fd}")[8:-1]
            for fd in os.listdir(f"/proc/{pid}/fd")
            if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:[")
        }
    except OSError:
        return False
    for table in ("tcp", "tcp6"):
        try:
            rows = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if cols[3] == "0A" and int(cols[1].split(":")[1], 16) == port and cols[9] in inodes:
                return True
    return False


def _socket_path(workdir: Path, name: str, port: int, world: bool) -> Path:
    """The netconfd socket: in ``workdir`` when short enough and reachable by the login user.

    The login user of a root-run node is another user, so every ancestor must be
    world-searchable; otherwise the socket goes to /run/fsor-netconfd (mode 0711).
    """
    sock = workdir / "ncxserver.sock"
    reachable = not world or all(p.stat().st_mode & 0o001 for p in [workdir, *workdir.parents])
    if len(str(sock)) <= _SUN_PATH_MAX and reachable:
        return sock
    RUNTIME_DIR.mkdir(mode=0o711, exist_ok=True)  # traversable, not listable
    os.chmod(RUNTIME_DIR, 0o711)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:40]
    return RUNTIME_DIR / f"{safe}-{port}-{os.getpid()}-{abs(hash(workdir)) % 10**8}.sock"


def _restrict_socket(sock: Path, group_of: str | None) -> None:
    """netconfd's socket: 0660 with the login user's group (root) or 0600 (own user)."""
    if group_of is None:
        os.chmod(sock, 0o600)
        return
    gid = pwd.getpwnam(group_of).pw_gid
    os.chown(sock, 0, gid)
    os.chmod(sock, 0o660)


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out: list[int] = []
    todo = list(children.get(pid, []))
    while todo and len(out) < 10_000:
        child = todo.pop()
        out.append(child)
        todo.extend(children.get(child, []))
    return out


def rss_kib_of(pid: int) -> int:
    """Resident set size of process ``pid`` in KiB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _start_time(pid: int) -> int:
    """Start time of ``pid`` in clock ticks (0 when gone): guards against reused pids."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return 0


def _wake(sock: Path) -> None:
    """Connect to netconfd's socket once so its select() returns and it sees SIGTERM now.

    netconfd otherwise notices a shutdown request only at its next 1 s poll.
    """
    with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        s.connect(str(sock))


def _running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _terminate(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(3.0)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(3.0)
