"""The committed labs come up on every backend, every node answers NETCONF, teardown is clean."""

from __future__ import annotations

import socket
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from ncclient import manager

from containerlab import runner
from containerlab.backends import netns
from containerlab.clab import load
from containerlab.status import LabStatus, NodeStatus, proc_alive
from tests.conftest import LabFactory

pytestmark = [pytest.mark.integration, pytest.mark.slow]

LLDP = '<lldp xmlns="http://openconfig.net/yang/lldp"><state><system-name/></state></lldp>'
OCH_EDIT = """
<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">
  <components xmlns="http://openconfig.net/yang/platform">
    <component>
      <name>och-1</name>
      <optical-channel xmlns="http://openconfig.net/yang/terminal-device">
        <config><frequency>193100000</frequency></config>
      </optical-channel>
    </component>
  </components>
</config>"""


def check_node(node: NodeStatus) -> tuple[str, str]:
    """hello, get and get-config on one node; returns (name, what identifies it)."""
    with manager.connect(timeout=60, **node.connect_kwargs()) as m:
        caps = list(m.server_capabilities)
        assert any("urn:ietf:params:netconf:base:1." in c for c in caps), caps[:3]
        running = m.get_config(source="running").data_ele
        assert running is not None
        if node.kind == "device":
            got = m.get(filter=("subtree", LLDP)).data_ele
            names = got.xpath("//*[local-name()='system-name']/text()")
            return node.name, names[0] if names else ""
        got = m.get().data_ele
        assert got is not None
        assert any("fsor-lightpath" in c for c in caps)
        return node.name, node.name


def edit_and_commit(node: NodeStatus) -> list[str]:
    """Set och-1's frequency on the candidate, commit, read it back from running."""
    with manager.connect(timeout=60, **node.connect_kwargs()) as m:
        m.edit_config(target="candidate", config=OCH_EDIT)
        m.commit()
        running = m.get_config(source="running").data_ele
        freqs: list[str] = running.xpath("//*[local-name()='frequency']/text()")
        return freqs


def assert_nothing_left(status: LabStatus) -> None:
    """No state directory, process, namespace, bridge or listening port of the lab remains."""
    assert not runner.state_dir(status.instance).exists()
    assert not [n.name for n in status.nodes if proc_alive(n.pid)]
    if status.backend == "netns":
        names = {n.namespace for n in status.nodes}
        assert not names & set(netns.all_namespaces())
        probe = subprocess.run(
            ["ip", "link", "show", netns.bridge_name(status.instance)], capture_output=True
        )
        assert probe.returncode != 0
    else:
        for n in status.nodes:
            with socket.socket() as s:
                s.settimeout(1.0)
                assert s.connect_ex((n.host, n.port)) != 0, f"{n.name} still listens on {n.port}"


@pytest.mark.parametrize("backend", ["loopback", "netns"])
@pytest.mark.parametrize("name", ["orca", "polska"])
def test_lab_serves_every_node_and_tears_down(
    lab: LabFactory, labs_dir: Path, lab_backends: list[str], name: str, backend: str
) -> None:
    if backend not in lab_backends:
        pytest.skip(f"{backend} backend not available (needs root)")
    file = labs_dir / f"{name}.clab.yml"
    spec = load(file)
    status = lab(file, backend)
    assert status.up and status.backend == backend
    assert [n.name for n in status.nodes] == [n.name for n in spec.nodes]
    assert {n.kind for n in status.nodes} == {"device", "netconfd"}
    assert status.metadata and Path(status.metadata).name == "sites.yaml"
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = dict(pool.map(check_node, status.nodes))
    # every emulator reports its clab node name as its LLDP system name
    assert answers == {n.name: n.name for n in status.nodes}
    tp = next(n for n in status.nodes if n.role == "transponder")
    assert "193100000" in edit_and_commit(tp)
    runner.down(file, instance=status.instance)
    assert_nothing_left(status)
    assert runner.lab_status(file, instance=status.instance).state_file is None
