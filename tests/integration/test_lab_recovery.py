"""Crash recovery, leftovers and the CLI: ``down`` always gets back to a clean machine."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from containerlab import runner
from containerlab.backends import LabBusyError, LabError, netns
from containerlab.generate import lab_from_inventory, write_lab
from containerlab.status import proc_alive
from tests.conftest import LabFactory, free_subnet
from tests.integration.test_lab_runner import assert_nothing_left
from topology.model import Fibre, Inventory, Roadm

pytestmark = [pytest.mark.integration]

FSOR = [sys.executable, "-m", "controller.cli"]


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A 3-node lab (two ROADMs and the amplifier node of their fibre)."""
    inv = Inventory(
        "tiny",
        (Roadm("ra", ("f",)), Roadm("rb", ("f",))),
        fibres=(Fibre("f", "ra", "rb", 160.0, 2, 1),),
    )
    gen = lab_from_inventory(inv, "tiny", conformance_nodes=0, transponders_per_roadm=0)
    return write_lab(gen, tmp_path)


def unique(tag: str) -> str:
    return f"tiny-{tag}{os.getpid()}-{time.monotonic_ns() % 100000}"


def needs_root() -> None:
    if not netns.available():
        pytest.skip("netns backend needs root")


def test_down_recovers_a_lab_whose_up_was_killed(tiny: Path) -> None:
    needs_root()
    inst = unique("k")
    argv = [
        *FSOR,
        "lab",
        "up",
        str(tiny),
        "--backend",
        "netns",
        "--name",
        inst,
        "--mgmt-subnet",
        free_subnet(),
    ]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        state = None
        while time.monotonic() < deadline:  # wait until every node process was started
            state = runner.load_state(instance=inst)
            if state and all(n.get("pid") for n in state["nodes"]):
                break
            time.sleep(0.05)
        assert state and all(n.get("pid") for n in state["nodes"]), "up never started its nodes"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    half = runner.lab_status(tiny, instance=inst)
    assert half.state_file is not None and len(half.nodes) == 3
    removed = runner.down(tiny, instance=inst)
    assert any(r.startswith("netns clab-") for r in removed)
    assert_nothing_left(half)


def test_down_without_state_file_removes_namespaces_and_their_processes(
    lab: LabFactory, tiny: Path
) -> None:
    needs_root()
    status = lab(tiny, "netns")
    pids = [n.pid for n in status.nodes]
    assert all(proc_alive(p) for p in pids)
    runner.state_file(status.instance).unlink()  # the state is lost (e.g. /tmp wiped)
    removed = runner.down(tiny, instance=status.instance)
    assert sum(r.startswith("netns ") for r in removed) == 3
    assert_nothing_left(status)


def test_leftover_namespace_blocks_up_with_the_way_out(tiny: Path) -> None:
    needs_root()
    inst = unique("l")
    ns = netns.namespace(inst, "ra")
    subprocess.run(["ip", "netns", "add", ns], check=True, timeout=10)
    try:
        with pytest.raises(LabBusyError, match=f"leftover namespace.*{ns}.*fsor lab down"):
            runner.up(tiny, backend="netns", instance=inst, mgmt_subnet=free_subnet())
        assert ns in netns.all_namespaces()  # up touched nothing
        assert runner.down(tiny, instance=inst) == [f"netns {ns}"]
        assert ns not in netns.all_namespaces()
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=10)


def test_second_up_of_a_running_lab_says_how_to_get_out(lab: LabFactory, tiny: Path) -> None:
    status = lab(tiny, "loopback")
    with pytest.raises(LabBusyError, match=r"already up.*fsor lab down"):
        runner.up(tiny, backend="loopback", instance=status.instance)
    assert runner.lab_status(tiny, instance=status.instance, probe_nodes=True).up


def test_node_that_cannot_start_fails_up_and_leaves_nothing(tiny: Path) -> None:
    startup = tiny.parent / "tiny" / "rb.yaml"
    startup.write_text(startup.read_text().replace("kind: roadm", "kind: toaster"))
    inst = unique("f")
    with pytest.raises(LabError, match="rb") as err:
        runner.up(tiny, backend="loopback", instance=inst, timeout=60)
    assert "1 of 3 nodes not ready" in str(err.value)
    assert not runner.state_dir(inst).exists()


def test_cli_up_status_down_json(tiny: Path) -> None:
    inst = unique("c")
    base = [str(tiny), "--name", inst, "--json"]

    def fsor(*args: str) -> dict[str, object]:
        out = subprocess.run([*FSOR, "lab", *args], capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        doc: dict[str, object] = json.loads(out.stdout)
        return doc

    try:
        up = fsor("up", *base, "--backend", "loopback")
        assert up["up"] is True and up["backend"] == "loopback"
        nodes = up["nodes"]
        assert isinstance(nodes, list) and {n["name"] for n in nodes} == {"ra", "rb", "amp-f"}
        assert all(n["ready"] and n["pid"] and n["port"] for n in nodes)
        status = fsor("status", *base)
        assert status["up"] is True and status["state_file"]
        down = fsor("down", *base)
        assert any(str(r).startswith("state ") for r in down["removed"])  # type: ignore[attr-defined]
        assert fsor("status", *base)["state_file"] is None
    finally:
        runner.down(tiny, instance=inst)
