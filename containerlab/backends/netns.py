"""netns backend: one network namespace per node, veth links, a management bridge.

Names (all derived from the lab *instance* name, so leftovers are recognisable and
``down`` can find them again without a state file):

* namespace of node ``n``: ``clab-<instance>-<n>`` (what containerlab calls the container);
* management bridge in the root namespace: ``fsb<8 hex>`` with the subnet's first host
  address (the gateway), so the host reaches every node at its ``mgmt-ipv4``;
* host side of a node's management veth: ``fsm<8 hex>``; inside the node it is ``eth0``;
* a clab link ``a:eth1 -- b:eth2`` is one veth pair created directly inside the two
  namespaces with exactly those names.

Deleting a namespace destroys the veths inside it; the bridge is deleted explicitly.
Only root can use this backend (:func:`available`).
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import shutil
import subprocess

from containerlab.backends import LabBusyError, LabError
from containerlab.clab import Lab

__all__ = [
    "available",
    "bridge_name",
    "check_free",
    "cleanup",
    "exec_prefix",
    "leftover_namespaces",
    "namespace",
    "namespace_pids",
    "setup",
]

_TIMEOUT_S = 20.0


def _h(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:8]


def namespace(instance: str, node: str) -> str:
    """Namespace name of ``node`` in lab instance ``instance``.

    >>> namespace("orca", "r-fra")
    'clab-orca-r-fra'
    """
    return f"clab-{instance}-{node}"


def bridge_name(instance: str) -> str:
    """Management bridge name (<= 15 chars, stable per instance).

    >>> len(bridge_name("a-very-long-lab-instance-name")) <= 15
    True
    """
    return f"fsb{_h(instance)}"


def _mgmt_veth(instance: str, node: str) -> str:
    return f"fsm{_h(instance + '/' + node)}"


def available() -> bool:
    """Whether this process can use the backend (root and a working ``ip``)."""
    if os.geteuid() != 0 or shutil.which("ip") is None:
        return False
    return (
        subprocess.run(["ip", "netns", "list"], capture_output=True, timeout=_TIMEOUT_S).returncode
        == 0
    )


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=_TIMEOUT_S)
    if check and proc.returncode != 0:
        raise LabError(f"`ip {' '.join(args)}` failed: {proc.stderr.strip()}")
    return proc


def _batch(lines: list[str], netns: str | None = None) -> None:
    if not lines:
        return
    cmd = ["ip", *(["-n", netns] if netns else []), "-batch", "-"]
    proc = subprocess.run(
        cmd, input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=_TIMEOUT_S * 3
    )
    if proc.returncode != 0:
        raise LabError(f"`{' '.join(cmd)}` failed: {proc.stderr.strip()}")


def all_namespaces() -> list[str]:
    """Names of all network namespaces on the machine (``ip netns list``)."""
    out = _ip("netns", "list", check=False).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def leftover_namespaces(instance: str, nodes: list[str]) -> list[str]:
    """Existing namespaces named like the nodes of ``instance`` (``clab-<instance>-<node>``).

    Exact names, not a prefix: ``clab-orca-`` would also match another instance
    ``orca-t1``'s namespaces.
    """
    existing = set(all_namespaces())
    return [namespace(instance, n) for n in nodes if namespace(instance, n) in existing]


def _link_exists(name: str) -> bool:
    return _ip("link", "show", "dev", name, check=False).returncode == 0


def _subnet_in_use(subnet: str) -> str | None:
    net = ipaddress.IPv4Network(subnet)
    out = _ip("-4", "-o", "addr", "show", check=False).stdout
    for line in out.splitlines():
        parts = line.split()
        if "inet" in parts:
            iface = ipaddress.IPv4Interface(parts[parts.index("inet") + 1])
            if iface.network.overlaps(net):
                return f"{parts[1]} has {iface}"
    return None


def check_free(lab: Lab, instance: str) -> None:
    """:class:`LabBusyError` when namespaces, the bridge or the subnet are already taken."""
    way_out = f"run `fsor lab down {lab.path}`" + (
        f" --name {instance}" if instance != lab.name else ""
    )
    left = leftover_namespaces(instance, [n.name for n in lab.nodes])
    if left:
        raise LabBusyError(
            f"leftover namespace(s) {', '.join(left[:5])} from an earlier run of lab "
            f"{instance}: {way_out}"
        )
    if _link_exists(bridge_name(instance)):
        raise LabBusyError(
            f"leftover management bridge {bridge_name(instance)} of lab {instance}: {way_out}"
        )
    used = _subnet_in_use(lab.mgmt_subnet)
    if used:
        raise LabBusyError(
            f"management subnet {lab.mgmt_subnet} of lab {instance} is already in use on this host "
            f"({used}); take it down or choose another mgmt.ipv4-subnet"
        )


def setup(lab: Lab, instance: str) -> dict[str, str]:
    """Create namespaces, the management bridge and every link; return node -> namespace."""
    net = ipaddress.IPv4Network(lab.mgmt_subnet)
    gateway = next(net.hosts())
    br = bridge_name(instance)
    spaces = {n.name: namespace(instance, n.name) for n in lab.nodes}
    for ns in spaces.values():
        _ip("netns", "add", ns)
    root = [
        f"link add {br} type bridge",
        f"addr add {gateway}/{net.prefixlen} dev {br}",
        f"link set {br} up",
    ]
    for n in lab.nodes:
        hv = _mgmt_veth(instance, n.name)
        root += [
            f"link add {hv} type veth peer name eth0 netns {spaces[n.name]}",
            f"link set {hv} master {br} up",
        ]
    for link in lab.links:
        root.append(
            f"link add {link.a.iface} netns {spaces[link.a.node]} type veth "
            f"peer name {link.b.iface} netns {spaces[link.b.node]}"
        )
    _batch(root)
    for n in lab.nodes:
        inside = [
            "link set lo up",
            f"addr add {n.mgmt_ipv4}/{net.prefixlen} dev eth0",
            "link set eth0 up",
        ]
        inside += [f"link set {iface} up" for iface in lab.ifaces(n.name)]
        _batch(inside, spaces[n.name])
    return spaces


def exec_prefix(ns: str) -> list[str]:
    """Command prefix running a program inside namespace ``ns``."""
    return ["ip", "netns", "exec", ns]


def namespace_pids(ns: str) -> list[int]:
    """Pids of processes living in namespace ``ns``."""
    out = _ip("netns", "pids", ns, check=False).stdout
    return [int(p) for p in out.split() if p.isdigit()]


def cleanup(instance: str, nodes: list[str]) -> list[str]:
    """Delete the namespaces and the bridge of ``instance``; return what was removed.

    Works from names alone, so a half-up lab or a lost state file is cleaned as well.
    """
    removed = []
    for ns in leftover_namespaces(instance, nodes):
        _ip("netns", "del", ns, check=False)
        removed.append(f"netns {ns}")
    br = bridge_name(instance)
    if _link_exists(br):
        _ip("link", "del", br, check=False)
        removed.append(f"bridge {br}")
    for n in nodes:
        hv = _mgmt_veth(instance, n)
        if _link_exists(hv):
            _ip("link", "del", hv, check=False)
            removed.append(f"veth {hv}")
    return removed
