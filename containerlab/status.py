"""Typed status of a running lab, read from its state file (see :mod:`containerlab.runner`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["LabStatus", "NodeStatus", "children_map", "descendants", "proc_alive", "proc_starttime"]


def children_map() -> dict[int, list[int]]:
    """Parent pid -> child pids of every process, from one scan of ``/proc``."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def descendants(pid: int, children: dict[int, list[int]] | None = None) -> list[int]:
    """Pids of all descendants of ``pid`` (``children`` from :func:`children_map`)."""
    tree = children if children is not None else children_map()
    out: list[int] = []
    todo = list(tree.get(pid, []))
    while todo and len(out) < 10000:
        p = todo.pop()
        out.append(p)
        todo.extend(tree.get(p, []))
    return out


def proc_starttime(pid: int | None) -> int | None:
    """Start time of ``pid`` in clock ticks since boot (``/proc/<pid>/stat`` field 22)."""
    if not pid:
        return None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[19])


def proc_alive(pid: int | None, starttime: int | None = None) -> bool:
    """Whether ``pid`` runs (not a zombie) and, if given, started at ``starttime``.

    The start time guards against a recycled pid being taken for a lab node.

    >>> import os
    >>> proc_alive(os.getpid(), proc_starttime(os.getpid())), proc_alive(None)
    (True, False)
    """
    if not pid:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] in ("Z", "X"):
        return False
    return starttime is None or int(fields[19]) == starttime


@dataclass(frozen=True)
class NodeStatus:
    """One node of a running lab: where to reach it and whether it answers."""

    name: str
    kind: str
    role: str
    backend: str
    host: str
    port: int
    username: str
    password: str | None
    pid: int | None
    ready: bool
    alive: bool
    namespace: str | None = None
    mgmt_ipv4: str | None = None
    startup: str | None = None
    log: str | None = None
    reason: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    key_filename: str | None = None

    def connect_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``ncclient.manager.connect`` (host key not verified;
        use the lab's ``known_hosts`` file to verify it instead)."""
        kwargs: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "username": self.username,
            "hostkey_verify": False,
            "allow_agent": False,
            "look_for_keys": False,
        }
        if self.key_filename:
            kwargs["key_filename"] = self.key_filename
        else:
            kwargs["password"] = self.password
        return kwargs


@dataclass(frozen=True)
class LabStatus:
    """A lab instance: ``state_file`` None means it is not up."""

    lab: str
    instance: str
    file: str
    backend: str | None
    state_file: str | None
    metadata: str | None = None
    known_hosts: str | None = None
    nodes: tuple[NodeStatus, ...] = ()
    links: tuple[tuple[str, str], ...] = ()

    @property
    def up(self) -> bool:
        """Whether the lab is recorded as up and every node is alive and ready."""
        return bool(self.nodes) and all(n.ready and n.alive for n in self.nodes)

    def node(self, name: str) -> NodeStatus:
        """The node called ``name`` (KeyError if absent)."""
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (``fsor lab status --json``)."""
        doc = asdict(self)
        doc["up"] = self.up
        doc["nodes"] = [{**asdict(n), "labels": dict(n.labels)} for n in self.nodes]
        doc["links"] = [{"a": a, "b": b} for a, b in self.links]
        return doc

    @classmethod
    def from_state(
        cls, state: Mapping[str, Any], path: str, probes: Sequence[tuple[bool, str]] | None = None
    ) -> LabStatus:
        """Build from a state document; ``probes`` (one per node) override readiness."""
        nodes = []
        for i, nd in enumerate(state["nodes"]):
            alive = proc_alive(nd.get("pid"), nd.get("starttime"))
            ready = bool(nd.get("ready")) and alive
            reason = nd.get("reason") if not ready else None
            if not alive and nd.get("pid"):
                reason = "process not running"
            if probes is not None:
                ready, reason = probes[i][0], (probes[i][1] or None)
            nodes.append(
                NodeStatus(
                    name=nd["name"],
                    kind=nd["kind"],
                    role=nd.get("role", ""),
                    backend=state["backend"],
                    host=nd["host"],
                    port=int(nd["port"]),
                    username=nd["username"],
                    password=nd["password"],
                    pid=nd.get("pid"),
                    ready=ready,
                    alive=alive,
                    namespace=nd.get("namespace"),
                    mgmt_ipv4=nd.get("mgmt_ipv4"),
                    startup=nd.get("startup"),
                    log=nd.get("log"),
                    reason=reason,
                    labels=dict(nd.get("labels") or {}),
                    key_filename=nd.get("key_filename"),
                )
            )
        return cls(
            lab=state["lab"],
            instance=state["instance"],
            file=state["file"],
            backend=state["backend"],
            state_file=path,
            metadata=state.get("metadata"),
            known_hosts=state.get("known_hosts"),
            nodes=tuple(nodes),
            links=tuple((x["a"], x["b"]) for x in state.get("links", [])),
        )
