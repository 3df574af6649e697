"""The lab runner: bring a ``*.clab.yml`` up as real NETCONF devices without Docker.

Length: over 400 lines on purpose: up/down/status share one state-file format and its
recovery rules; the backends and launchers are already separate modules.

``up`` starts one NETCONF server per node (concurrently) on the chosen backend, waits for a
real NETCONF hello from each, and records everything in a state file so ``status`` and
``down`` work from any process:

``$FSOR_LAB_DIR/<instance>/state.json`` (``FSOR_LAB_DIR`` defaults to ``/tmp/fsor-lab``;
``instance`` defaults to the lab name) holds ``{"version": 1, "lab", "instance", "file",
"backend", "phase": "starting"|"up", "metadata", "host_key", "known_hosts", "mgmt":
{"subnet", "gateway", "bridge"}, "nodes": [{"name", "kind", "role", "image", "host",
"port", "username", "password", "pid", "starttime", "namespace", "mgmt_ipv4", "startup",
"log", "ready", "reason", "labels"}], "links": [{"a": "node:if", "b": "node:if"}]}``.
Readers should use :func:`load_state` / :func:`lab_status`.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import secrets
import shutil
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

from containerlab import nodes as launch
from containerlab.backends import LabBusyError, LabError, loopback, netns, probe
from containerlab.clab import Lab, find_metadata, load
from containerlab.netconfd_accounts import lab_username, remove_lab_user
from containerlab.status import (
    LabStatus,
    NodeStatus,
    children_map,
    descendants,
    proc_alive,
    proc_starttime,
)
from topology.errors import InputError

__all__ = [
    "BACKENDS",
    "LabStatus",
    "NodeStatus",
    "choose_backend",
    "down",
    "lab_status",
    "load_state",
    "state_dir",
    "state_file",
    "up",
]

BACKENDS = ("netns", "loopback")
NETCONF_PORT = 830


def state_root() -> Path:
    """Directory holding one sub-directory per running lab instance.

    ``$FSOR_LAB_DIR`` if set, else ``/tmp/fsor-lab`` for root and ``/tmp/fsor-lab-<uid>`` for
    any other user (so a plain user never trips over root's labs).
    """
    default = "/tmp/fsor-lab" if os.geteuid() == 0 else f"/tmp/fsor-lab-{os.geteuid()}"
    return Path(os.environ.get("FSOR_LAB_DIR", default))


def state_dir(instance: str) -> Path:
    """State directory of lab instance ``instance`` (logs, host key, state.json)."""
    return state_root() / instance


def state_file(instance: str) -> Path:
    """Path of the state file of lab instance ``instance``."""
    return state_dir(instance) / "state.json"


def choose_backend(requested: str | None = None) -> str:
    """``requested`` if given (checked), else netns when root and ``ip`` works, else loopback."""
    if requested in (None, "", "auto"):
        return "netns" if netns.available() else "loopback"
    if requested not in BACKENDS:
        raise InputError(
            "--backend", "backend", requested, f"expected one of {', '.join(BACKENDS)}"
        )
    if requested == "netns" and not netns.available():
        raise LabError("the netns backend needs root and a working `ip`; use --backend loopback")
    return requested


def load_state(
    file: str | Path | None = None, instance: str | None = None
) -> dict[str, Any] | None:
    """The recorded state of a lab (by clab file or instance name), or None if not up."""
    inst = instance or (load(file).name if file else None)
    if inst is None:
        raise InputError("load_state", "file", None, "expected a clab file or an instance name")
    path = state_file(inst)
    try:
        doc: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise LabError(
            f"unreadable lab state {path}: {exc}; run `fsor lab down` to clean up"
        ) from exc
    return doc


def _private_dir(path: Path) -> None:
    """Create ``path`` 0700 (and make an existing one 0700): lab state holds secrets."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)


def _write_state(doc: dict[str, Any]) -> None:
    """Write the state file 0600 (it holds the lab's credentials), atomically."""
    path = state_file(doc["instance"])
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(json.dumps(doc, indent=2) + "\n")
    tmp.replace(path)


def _remap(lab: Lab, subnet: str) -> Lab:
    old, new = ipaddress.IPv4Network(lab.mgmt_subnet), ipaddress.IPv4Network(subnet)
    if new.prefixlen != old.prefixlen:
        raise InputError(
            "--mgmt-subnet", "mgmt_subnet", subnet, f"expected a /{old.prefixlen} like the lab's"
        )
    offset = int(new.network_address) - int(old.network_address)
    nodes = tuple(
        replace(
            n,
            mgmt_ipv4=str(ipaddress.IPv4Address(int(ipaddress.IPv4Address(n.mgmt_ipv4)) + offset)),
        )
        for n in lab.nodes
    )
    return replace(lab, nodes=nodes, mgmt_subnet=str(new))


def _check_busy(lab: Lab, instance: str) -> None:
    way_out = f"run `fsor lab down {lab.path}`" + (
        f" --name {instance}" if instance != lab.name else ""
    )
    state = load_state(instance=instance)
    if state is not None:
        live = [n["name"] for n in state["nodes"] if proc_alive(n.get("pid"), n.get("starttime"))]
        what = f"is already up ({len(live)} live nodes)" if live else "left state behind"
        raise LabBusyError(f"lab {instance} {what} (state {state_file(instance)}): {way_out}")


def up(
    file: str | Path,
    backend: str | None = None,
    instance: str | None = None,
    mgmt_subnet: str | None = None,
    timeout: float | None = None,
) -> LabStatus:
    """Bring the lab up; return its status once every node answered a NETCONF hello.

    Parameters
    ----------
    file : clab topology file.
    backend : ``netns``, ``loopback`` or None/``auto`` (see :func:`choose_backend`).
    instance : name of this running copy (namespace prefix, state directory); default the
        lab name. Tests use unique instances so runs do not collide.
    mgmt_subnet : move the management addresses into another subnet of the same size.
    timeout : readiness deadline in seconds (default 30 s + 1.5 s per node).

    Nothing stays half-built: on any failure everything started is torn down and
    :class:`LabError` (or :class:`InputError` for a bad file) is raised.
    """
    lab = load(file)
    if mgmt_subnet:
        lab = _remap(lab, mgmt_subnet)
    inst = instance or lab.name
    for n in lab.nodes:
        launch.check_servable(lab, n)
    chosen = choose_backend(backend)
    _check_busy(lab, inst)
    if chosen == "netns":
        netns.check_free(lab, inst)
    sdir = state_dir(inst)
    _private_dir(state_root())
    _private_dir(sdir)
    ports = (
        dict(zip([n.name for n in lab.nodes], loopback.allocate_ports(len(lab.nodes)), strict=True))
        if chosen == "loopback"
        else {n.name: NETCONF_PORT for n in lab.nodes}
    )
    root = os.geteuid() == 0
    lab_secret = secrets.token_urlsafe(18)  # never in argv; kept in the 0600 state file
    host_key, pub = launch.make_host_key(sdir)
    meta = find_metadata(lab)
    doc: dict[str, Any] = {
        "version": 1,
        "lab": lab.name,
        "instance": inst,
        "file": lab.path,
        "backend": chosen,
        "phase": "starting",
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "metadata": str(meta) if meta is not None else None,
        "host_key": str(host_key),
        "known_hosts": str(sdir / "known_hosts"),
        "mgmt": {
            "subnet": lab.mgmt_subnet,
            "gateway": str(next(ipaddress.IPv4Network(lab.mgmt_subnet).hosts())),
            "bridge": netns.bridge_name(inst) if chosen == "netns" else None,
        },
        "nodes": [
            {
                "name": n.name,
                "kind": n.kind,
                "role": n.role,
                "image": n.image,
                "host": n.mgmt_ipv4 if chosen == "netns" else loopback.HOST,
                "port": ports[n.name],
                "username": lab_username(inst) if n.kind == "netconfd" and root else n.username,
                # the lab's netconfd nodes share its one account, hence one password
                "password": lab_secret if n.kind == "netconfd" and root else n.password,
                "pid": None,
                "starttime": None,
                "pids": [],
                "key_filename": None,
                "namespace": netns.namespace(inst, n.name) if chosen == "netns" else None,
                "mgmt_ipv4": n.mgmt_ipv4,
                "startup": n.startup,
                "log": str(sdir / f"{n.name}.log"),
                "ready": False,
                "reason": "starting",
                "labels": dict(n.labels),
            }
            for n in lab.nodes
        ],
        "links": [
            {"a": f"{x.a.node}:{x.a.iface}", "b": f"{x.b.node}:{x.b.iface}"} for x in lab.links
        ],
    }
    _write_state(doc)
    try:
        if chosen == "netns":
            netns.setup(lab, inst)
        for nd, node in zip(doc["nodes"], lab.nodes, strict=True):
            launch.start(
                node, nd, host_key, netns.exec_prefix(nd["namespace"]) if nd["namespace"] else []
            )
            _write_state(doc)
        fd = os.open(sdir / "known_hosts", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(known_hosts_text(doc["nodes"], pub))
        limit = timeout if timeout is not None else 30.0 + 1.5 * len(lab.nodes)
        with ThreadPoolExecutor(max_workers=min(32, len(lab.nodes))) as pool:
            results = list(pool.map(lambda nd: _wait(nd, limit), doc["nodes"]))
        for nd, (ready, reason) in zip(doc["nodes"], results, strict=True):
            nd["ready"], nd["reason"] = ready, reason or None
        doc["phase"] = "up"
        _write_state(doc)
        failed = [nd for nd in doc["nodes"] if not nd["ready"]]
        if failed:
            detail = "; ".join(
                f"{nd['name']}: {nd['reason']}{launch.log_tail(nd['log'])}" for nd in failed[:5]
            )
            raise LabError(
                f"lab {inst}: {len(failed)} of {len(doc['nodes'])} nodes not ready: {detail}"
            )
    except BaseException:
        down(lab.path, instance=inst)
        raise
    return lab_status(lab.path, instance=inst)


def _wait(nd: dict[str, Any], limit: float) -> tuple[bool, str]:
    return probe.wait_ready(
        nd["host"],
        nd["port"],
        nd["username"],
        nd["password"],
        limit,
        alive=lambda: all(proc_alive(p, t) for p, t in nd["pids"]),
        key_filename=nd.get("key_filename"),
    )


def _kill(pids: list[tuple[int, int | None]], grace: float = 5.0) -> list[str]:
    killed = []
    for pid, start in pids:
        if proc_alive(pid, start):
            try:
                os.killpg(pid, signal.SIGTERM)
            except (ProcessLookupError, PermissionError):
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
            killed.append(f"process {pid}")
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(proc_alive(p, s) for p, s in pids):
        time.sleep(0.05)
    for pid, start in pids:
        if proc_alive(pid, start):
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
    for pid, _ in pids:  # reap our own children (up and down in one process)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
    return killed


def down(file: str | Path | None = None, instance: str | None = None) -> list[str]:
    """Tear a lab down (also a half-up one or one whose state file is lost).

    Kills the recorded node processes (and anything else living in the lab's namespaces),
    deletes namespaces, bridge and veths named after the instance, and removes the state
    directory. Returns what was removed (empty when nothing was there).
    """
    lab = load(file) if file else None
    inst = instance or (lab.name if lab else None)
    if inst is None:
        raise InputError("fsor lab down", "FILE", None, "expected a clab file or an instance name")
    state = load_state(instance=inst)
    names = [n.name for n in lab.nodes] if lab else []
    pids: list[tuple[int, int | None]] = []
    if state:
        names = sorted({*names, *(n["name"] for n in state["nodes"])})
        pids = [(p, t) for n in state["nodes"] for p, t in n.get("pids") or []]
        tree = children_map()
        kids = [c for p, t in pids if proc_alive(p, t) for c in descendants(p, tree)]
        pids = [(c, proc_starttime(c)) for c in kids] + pids
    removed = _kill([(p, t) for p, t in pids if t is not None])
    if netns.available():
        spaces = netns.leftover_namespaces(inst, names)
        strays = [(p, proc_starttime(p)) for ns in spaces for p in netns.namespace_pids(ns)]
        removed += _kill([(p, s) for p, s in strays if s is not None])
        removed += netns.cleanup(inst, names)
    for nd in state["nodes"] if state else []:
        if nd.get("socket") and Path(nd["socket"]).exists():
            Path(nd["socket"]).unlink()
            removed.append(f"socket {nd['socket']}")
    if os.geteuid() == 0 and remove_lab_user(lab_username(inst)):
        removed.append(f"account {lab_username(inst)}")
    sdir = state_dir(inst)
    if sdir.exists():
        shutil.rmtree(sdir)
        removed.append(f"state {sdir}")
    return removed


def lab_status(
    file: str | Path | None = None, instance: str | None = None, probe_nodes: bool = False
) -> LabStatus:
    """Status of a lab from its state file; ``probe_nodes`` re-checks each hello now."""
    inst = instance or (load(file).name if file else None)
    if inst is None:
        raise InputError(
            "fsor lab status", "FILE", None, "expected a clab file or an instance name"
        )
    state = load_state(instance=inst)
    if state is None:
        return LabStatus(
            lab=inst, instance=inst, file=str(file or ""), backend=None, state_file=None
        )
    checks: list[tuple[bool, str]] = []
    if probe_nodes:
        with ThreadPoolExecutor(max_workers=min(32, max(1, len(state["nodes"])))) as pool:
            checks = list(pool.map(lambda nd: _probe_once(nd), state["nodes"]))
    return LabStatus.from_state(state, str(state_file(inst)), checks or None)


def _probe_once(nd: dict[str, Any]) -> tuple[bool, str]:
    if not all(proc_alive(p, t) for p, t in nd.get("pids") or []) or not nd.get("pid"):
        return False, "process not running"
    try:
        probe.hello(
            nd["host"], nd["port"], nd["username"], nd["password"], 5.0, nd.get("key_filename")
        )
    except Exception as exc:  # any failure to answer is "not ready", with the reason
        return False, f"{type(exc).__name__}: {exc}"
    return True, ""


def netns_leftovers(file: str | Path, instance: str | None = None) -> list[str]:
    """Namespaces of this lab that still exist (for tests and ``status``)."""
    lab = load(file)
    return netns.leftover_namespaces(instance or lab.name, [n.name for n in lab.nodes])


def known_hosts_text(nodes: list[dict[str, Any]], public_key: str) -> str:
    """One known_hosts line per node: its own line (netconfd nodes) or the lab's shared key.

    >>> print(known_hosts_text([{"host": "127.0.0.1", "port": 2001, "known_hosts_line": "[h]:1 k"},
    ...                         {"host": "127.0.0.1", "port": 2002}], "ssh-ed25519 AAA"), end="")
    [h]:1 k
    [127.0.0.1]:2002 ssh-ed25519 AAA
    """
    lines = (
        (nd.get("known_hosts_line") or f"[{nd['host']}]:{nd['port']} {public_key}").strip()
        for nd in nodes
    )
    return "".join(line + "\n" for line in lines)
