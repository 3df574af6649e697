"""A netconfd node inside a network namespace this test creates, reached over a veth pair."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from ncclient import manager

from containerlab.netconfd_node import start_netconfd_node, wait_ready

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root"),
    pytest.mark.skipif(
        not os.path.exists("/usr/sbin/netconfd") or shutil.which("ip") is None,
        reason="netconfd or iproute2 missing",
    ),
]

NS = "urn:fsor:params:xml:ns:yang:fsor-lightpath"


def ip(*args: str) -> str:
    done = subprocess.run(["ip", *args], check=True, capture_output=True, text=True, timeout=10)
    return done.stdout


def test_node_in_namespace_serves_netconf_on_830_and_leaves_nothing(tmp_path: Path) -> None:
    tag = f"{os.getpid() % 100000}"
    netns, host_if, ns_if = f"fsor-test-{tag}", f"fsvh{tag}", f"fsvn{tag}"
    octet = os.getpid() % 250 + 1  # a private /30 per test process: 10.254.<octet>.0/30
    host_addr, ns_addr = f"10.254.{octet}.1", f"10.254.{octet}.2"
    node = None
    try:
        ip("netns", "add", netns)
        ip("link", "add", host_if, "type", "veth", "peer", "name", ns_if)
        ip("link", "set", ns_if, "netns", netns)
        ip("addr", "add", f"{host_addr}/30", "dev", host_if)
        ip("link", "set", host_if, "up")
        ip("-n", netns, "addr", "add", f"{ns_addr}/30", "dev", ns_if)
        ip("-n", netns, "link", "set", ns_if, "up")
        ip("-n", netns, "link", "set", "lo", "up")

        node = start_netconfd_node(
            "ns1",
            tmp_path / "ns1",
            ns_addr,
            830,
            netns=netns,
            username="fsor-lab",
            password="fsor-lab-secret",
        )
        wait_ready(node, timeout=15.0)
        # sshd listens inside the namespace only: its /proc/<pid>/net is the namespace's.
        assert f"{ns_addr}:830" in ip("netns", "exec", netns, "ss", "-ltnH")
        with manager.connect(timeout=15, **node.connect_kwargs()) as m:
            assert any(c.startswith(NS) for c in m.server_capabilities)
            reply = m.get_config("running", filter=("subtree", f'<lightpaths xmlns="{NS}"/>'))
            assert reply.data.find(f"{{{NS}}}lightpaths") is not None
        node.stop()
        assert not node.is_alive()
        assert ip("netns", "exec", netns, "ss", "-ltnH").strip() == ""
    finally:
        if node is not None:
            node.stop()
        subprocess.run(["ip", "netns", "del", netns], capture_output=True, timeout=10)
        subprocess.run(["ip", "link", "del", host_if], capture_output=True, timeout=10)
    assert netns not in ip("netns", "list")
    assert host_if not in ip("-o", "link", "show")
