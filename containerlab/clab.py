"""Parse and validate containerlab topology files (``*.clab.yml``) for the fsor runner.

The file stays a plain containerlab topology: every node is ``kind: linux`` with an
``image`` telling which device it is (``fsor/device:*`` the OpenConfig emulator,
``fsor/netconfd:*`` the netconfd conformance node), its startup file mounted via
``binds`` at :data:`STARTUP_TARGET` and fsor metadata in ``labels`` (``fsor.role``,
``fsor.region`` ...). Site and fibre attributes live beside the file in
``<dir>/<lab name>/sites.yaml`` (see ``docs/lab.md``).

Everything here is pure except :func:`load`, which reads one file. Bad input raises
:class:`~topology.errors.InputError` naming the file, the node and the field.

>>> lab = parse({"name": "t", "mgmt": {"ipv4-subnet": "172.30.9.0/24"},
...              "topology": {"nodes": {"a": {"kind": "linux", "image": "fsor/device:latest",
...                                           "mgmt-ipv4": "172.30.9.11"},
...                                     "b": {"kind": "linux", "image": "fsor/device:latest"}},
...                           "links": [{"endpoints": ["a:eth1", "b:eth1"]}]}}, "t.clab.yml")
>>> [n.name for n in lab.nodes], lab.links[0].a, lab.node("b").mgmt_ipv4
(['a', 'b'], Endpoint(node='a', iface='eth1'), '172.30.9.12')
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from topology.errors import InputError
from topology.strict_load import load_yaml

__all__ = [
    "DEFAULT_PASSWORD",
    "DEFAULT_SUBNET",
    "DEFAULT_USERNAME",
    "KINDS",
    "STARTUP_TARGET",
    "STARTUP_TARGET_XML",
    "Endpoint",
    "Lab",
    "Link",
    "Node",
    "find_metadata",
    "load",
    "metadata_path",
    "parse",
]

#: container path where a node's startup file is bound (``binds: [host:STARTUP_TARGET:ro]``);
#: netconfd nodes take an XML ``<config>`` document at :data:`STARTUP_TARGET_XML`
STARTUP_TARGET = "/etc/fsor/startup.yaml"
STARTUP_TARGET_XML = "/etc/fsor/startup.xml"
#: image name (without tag) -> fsor device kind the runner knows how to serve
KINDS: Mapping[str, str] = {"fsor/device": "device", "fsor/netconfd": "netconfd"}
#: management subnet used when the file names none
DEFAULT_SUBNET = "172.30.0.0/24"
DEFAULT_USERNAME = "admin"
DEFAULT_PASSWORD = "admin"

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
_IFACE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,14}$")


@dataclass(frozen=True)
class Endpoint:
    """One end of a link: node name and interface name inside the node."""

    node: str
    iface: str


@dataclass(frozen=True)
class Link:
    """A point-to-point link (a veth pair in the netns backend)."""

    a: Endpoint
    b: Endpoint


@dataclass(frozen=True)
class Node:
    """A lab node as the runner needs it.

    ``kind`` is the fsor device kind (``device`` or ``netconfd``), not the containerlab
    kind (always ``linux``). ``startup`` is the absolute host path of the startup file or
    None. ``mgmt_ipv4`` is always set (allocated in the subnet when the file omits it).
    """

    name: str
    kind: str
    image: str
    mgmt_ipv4: str
    startup: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)

    @property
    def username(self) -> str:
        """NETCONF user name (env ``FSOR_USERNAME``, default ``admin``)."""
        return self.env.get("FSOR_USERNAME", DEFAULT_USERNAME)

    @property
    def password(self) -> str:
        """NETCONF password (env ``FSOR_PASSWORD``, default ``admin``)."""
        return self.env.get("FSOR_PASSWORD", DEFAULT_PASSWORD)

    @property
    def role(self) -> str:
        """Label ``fsor.role`` (roadm, transponder, amplifier, conformance) or ''."""
        return self.labels.get("fsor.role", "")


@dataclass(frozen=True)
class Lab:
    """A parsed, validated lab: name, source path, nodes, links and management subnet."""

    name: str
    path: str
    nodes: tuple[Node, ...]
    links: tuple[Link, ...] = ()
    mgmt_subnet: str = DEFAULT_SUBNET

    def node(self, name: str) -> Node:
        """The node called ``name`` (KeyError if absent)."""
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)

    def ifaces(self, node: str) -> tuple[str, ...]:
        """Data-plane interfaces of ``node`` in link order."""
        out = [e.iface for link in self.links for e in (link.a, link.b) if e.node == node]
        return tuple(out)


def metadata_path(clab_file: str | Path, lab_name: str) -> Path:
    """Where the site/fibre metadata of a lab lives: ``<dir>/<lab name>/sites.yaml``.

    >>> metadata_path("/x/orca.clab.yml", "orca").as_posix()
    '/x/orca/sites.yaml'
    """
    return Path(clab_file).resolve().parent / lab_name / "sites.yaml"


def find_metadata(lab: Lab) -> Path | None:
    """The lab's ``sites.yaml``: :func:`metadata_path`, else beside the nodes' startup files.

    A renamed copy of a clab file (``name: myorca`` whose binds still point into
    ``orca/``) keeps its metadata: it sits with the startup files the nodes bind.
    """
    first = metadata_path(lab.path, lab.name)
    if first.exists():
        return first
    dirs = sorted({Path(n.startup).parent for n in lab.nodes if n.startup})
    found = [d / "sites.yaml" for d in dirs if (d / "sites.yaml").exists()]
    return found[0] if len(found) == 1 else None


def load(path: str | Path) -> Lab:
    """Read and validate a clab file; :class:`InputError` on any bad input."""
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as exc:
        raise InputError(
            str(p), "file", str(p), f"expected a readable file ({exc.strerror})"
        ) from None
    doc = load_yaml(text, str(p))  # a node or key given twice is an error, not "the last wins"
    return parse(doc, str(p.resolve()))


def _mapping(value: Any, src: str, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InputError(src, where, value, "expected a mapping")
    return value


def _str_map(value: Any, src: str, where: str) -> dict[str, str]:
    return {str(k): str(v) for k, v in _mapping(value, src, where).items()}


def _merged(node: Mapping[str, Any], defaults: Mapping[str, Any], key: str) -> Any:
    if key in node:
        return node[key]
    return defaults.get(key)


def _node(
    name: str, raw: Mapping[str, Any], defaults: Mapping[str, Any], src: str, base: Path
) -> tuple[str, str, str | None, dict[str, str], dict[str, str], Any]:
    where = f"topology.nodes.{name}"
    kind = _merged(raw, defaults, "kind")
    if kind != "linux":
        raise InputError(src, f"{where}.kind", kind, "expected 'linux' (fsor nodes are linux)")
    image = _merged(raw, defaults, "image")
    if not isinstance(image, str) or not image:
        raise InputError(src, f"{where}.image", image, "expected an image name")
    labels = {**_str_map(defaults.get("labels"), src, "defaults.labels")}
    labels.update(_str_map(raw.get("labels"), src, f"{where}.labels"))
    env = {**_str_map(defaults.get("env"), src, "defaults.env")}
    env.update(_str_map(raw.get("env"), src, f"{where}.env"))
    fkind = labels.get("fsor.kind") or KINDS.get(image.rsplit(":", 1)[0].split("@")[0], "")
    if fkind not in KINDS.values():
        known = ", ".join(f"{k}:<tag>" for k in KINDS)
        raise InputError(
            src, f"{where}.image", image, f"expected an image the runner serves ({known})"
        )
    startup = None
    binds = _merged(raw, defaults, "binds") or []
    if not isinstance(binds, list):
        raise InputError(src, f"{where}.binds", binds, "expected a list of host:container[:ro]")
    for i, b in enumerate(binds):
        parts = str(b).split(":")
        if len(parts) < 2 or not parts[0] or not parts[1]:
            raise InputError(src, f"{where}.binds[{i}]", b, "expected host:container[:ro]")
        if parts[1] in (STARTUP_TARGET, STARTUP_TARGET_XML):
            host = Path(parts[0])
            startup = str(host if host.is_absolute() else (base / host).resolve())
    return fkind, image, startup, labels, env, raw.get("mgmt-ipv4")


def parse(doc: Any, src: str) -> Lab:
    """Validate a loaded clab document (``src`` names the file in errors)."""
    top = _mapping(doc, src, "(document)")
    name = top.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise InputError(src, "name", name, "expected a lab name of letters, digits, '-_.'")
    mgmt = _mapping(top.get("mgmt"), src, "mgmt")
    subnet_s = mgmt.get("ipv4-subnet", DEFAULT_SUBNET)
    try:
        subnet = ipaddress.IPv4Network(str(subnet_s))
    except ValueError:
        raise InputError(
            src, "mgmt.ipv4-subnet", subnet_s, "expected an IPv4 network like 172.30.1.0/24"
        ) from None
    topo = _mapping(top.get("topology"), src, "topology")
    raw_nodes = _mapping(topo.get("nodes"), src, "topology.nodes")
    if not raw_nodes:
        raise InputError(src, "topology.nodes", raw_nodes, "expected at least one node")
    kinds = _mapping(topo.get("kinds"), src, "topology.kinds")
    defaults = dict(_mapping(topo.get("defaults"), src, "topology.defaults"))
    base = Path(src).parent
    parsed = {}
    for nname, raw in raw_nodes.items():
        if not isinstance(nname, str) or not _NAME.match(nname):
            raise InputError(
                src,
                f"topology.nodes.{nname}",
                nname,
                "expected a node name of letters, digits, '-_.'",
            )
        rawm = _mapping(raw, src, f"topology.nodes.{nname}")
        kind_defaults = _mapping(
            kinds.get(rawm.get("kind", defaults.get("kind"))), src, "topology.kinds"
        )
        parsed[nname] = _node(nname, rawm, {**defaults, **kind_defaults}, src, base)
    # management addresses: explicit ones validated and unique, the others allocated
    used: dict[ipaddress.IPv4Address, str] = {}
    for nname, (*_, mgmt_ip) in parsed.items():
        if mgmt_ip is None:
            continue
        where = f"topology.nodes.{nname}.mgmt-ipv4"
        try:
            addr = ipaddress.IPv4Address(str(mgmt_ip))
        except ValueError:
            raise InputError(src, where, mgmt_ip, "expected an IPv4 address") from None
        if addr not in subnet or addr in (subnet.network_address, subnet.broadcast_address):
            raise InputError(
                src, where, mgmt_ip, f"expected a host address in mgmt subnet {subnet}"
            )
        if addr == next(subnet.hosts()):
            raise InputError(
                src, where, mgmt_ip, f"expected an address other than the gateway {addr}"
            )
        if addr in used:
            raise InputError(
                src,
                where,
                mgmt_ip,
                f"expected an address unique in the lab (node {used[addr]} has it)",
            )
        used[addr] = nname
    free = (a for a in list(subnet.hosts())[10:] if a not in used)
    nodes = []
    for nname, (fkind, image, startup, labels, env, mgmt_ip) in parsed.items():
        if mgmt_ip is None:
            try:
                mgmt_ip = str(next(free))
            except StopIteration:
                raise InputError(
                    src,
                    f"topology.nodes.{nname}.mgmt-ipv4",
                    None,
                    f"expected room in mgmt subnet {subnet}",
                ) from None
        nodes.append(Node(nname, fkind, image, str(mgmt_ip), startup, labels, env))
    links = _links(topo.get("links"), parsed, src)
    return Lab(name, src, tuple(nodes), links, str(subnet))


def _links(raw: Any, nodes: Mapping[str, Any], src: str) -> tuple[Link, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise InputError(src, "topology.links", raw, "expected a list of {endpoints: [a:if, b:if]}")
    seen: dict[Endpoint, int] = {}
    links = []
    for i, item in enumerate(raw):
        where = f"topology.links[{i}].endpoints"
        eps = _mapping(item, src, f"topology.links[{i}]").get("endpoints")
        if not isinstance(eps, list) or len(eps) != 2:
            raise InputError(src, where, eps, "expected two endpoints 'node:iface'")
        ends = []
        for j, ep in enumerate(eps):
            parts = str(ep).split(":")
            if len(parts) != 2:
                raise InputError(src, f"{where}[{j}]", ep, "expected 'node:iface'")
            node, iface = parts
            if node not in nodes:
                known = ", ".join(sorted(nodes))
                raise InputError(
                    src, f"{where}[{j}] node", node, f"expected a node of topology.nodes ({known})"
                )
            if not _IFACE.match(iface) or iface == "eth0":
                raise InputError(
                    src,
                    f"{where}[{j}] iface",
                    iface,
                    "expected an interface name of <= 15 chars other than eth0 (management)",
                )
            e = Endpoint(node, iface)
            if e in seen:
                raise InputError(
                    src,
                    f"{where}[{j}]",
                    ep,
                    f"expected an interface not already used by topology.links[{seen[e]}]",
                )
            seen[e] = i
            ends.append(e)
        links.append(Link(ends[0], ends[1]))
    return tuple(links)
