"""Map sweeps on a real Ray: a local instance (``ray.init()``) and a two-node loopback cluster.

The cluster runs in a private temp dir on free ports. It is stopped by the ids
of the processes that carry that temp dir (and their children), not with
``ray stop``: ``ray stop`` ends every Ray process on the machine by name,
including other people's.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.sweep_runner import run_sweep
from optimizer.analysis.sweep import Axis, parse_axis, with_axes
from optimizer.inputs import make_instance
from optimizer.inputs.caps import Caps
from optimizer.inputs.instance import Instance
from optimizer.inputs.signals import default_signals
from optimizer.inputs.workloads import default_workloads
from topology.io import default_inventory

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.slow
RAY_BIN = str(Path(sys.executable).parent / "ray")


def _sweep() -> tuple[Instance, list[Axis]]:
    inv = default_inventory()
    sites, regions = [s.id for s in inv.sites], {s.region for s in inv.sites}
    axes = [
        parse_axis("power:dc-fra=0.004:0.04:3", "--x", sites=sites, regions=regions),
        parse_axis("power:dc-sjc=0.004:0.04:3", "--y", sites=sites, regions=regions),
    ]
    caps = with_axes(Caps(site_power_kw={"dc-tyo": 0.01}), axes)
    return make_instance(inv, default_signals(), default_workloads(), caps), axes


def _reference(inst: Instance, axes: list[Axis]) -> list[float]:
    run = run_sweep(inst, axes, backend="inline", progress=False)
    return [c.alpha for c in run.results]


def test_sweep_on_local_ray_matches_inline() -> None:
    inst, axes = _sweep()
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,
             object_store_memory=100 * 2**20)  # fmt: skip
    try:
        run = run_sweep(inst, axes, workers=2, backend="ray", progress=False)
    finally:
        ray.shutdown()
    assert run.backend == "ray" and run.notes == ("cells on the running ray instance",)
    got = [c.alpha for c in run.results]
    assert all(math.isfinite(a) and a > 0 for a in got)
    ref = run_sweep(inst, axes, backend="inline", progress=False)
    assert got == pytest.approx([c.alpha for c in ref.results], rel=1e-9)
    assert [c.binding for c in run.results] == [c.binding for c in ref.results]
    for c in run.results:  # "power dc-fra" or a tie such as "power dc-fra,dc-sjc"
        family, sites = c.binding.split(" ", 1)
        assert family == "power" and set(sites.split(",")) <= {"dc-fra", "dc-sjc", "dc-tyo"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pids_with(marker: str) -> set[int]:
    """Processes whose command line names ``marker``, and their descendants."""
    procs: dict[int, tuple[int, str]] = {}
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            cmd = (p / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            ppid = int((p / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        procs[int(p.name)] = (ppid, cmd)
    mine = {pid for pid, (_, cmd) in procs.items() if marker in cmd}
    grew = True
    while grew:
        grew = False
        for pid, (ppid, _) in procs.items():
            if ppid in mine and pid not in mine:
                mine.add(pid)
                grew = True
    mine.discard(os.getpid())
    return mine


def _stop(marker: str) -> set[int]:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in _pids_with(marker):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + 10
        while _pids_with(marker) and time.monotonic() < deadline:
            time.sleep(0.2)
    return _pids_with(marker)


@pytest.fixture
def loopback_cluster(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A head and a worker node (1 CPU each) on 127.0.0.1, in a private temp dir."""
    tmp = tempfile.mkdtemp(prefix="fsr-")  # short: Ray's socket paths have a length limit
    monkeypatch.setenv("RAY_AUTH_MODE", "token")  # one token (~/.ray) for nodes and driver
    env = {**os.environ, "RAY_AUTH_MODE": "token"}
    port = _free_port()
    common = ["--node-ip-address", "127.0.0.1", "--num-cpus", "1", "--temp-dir", tmp,
              "--object-store-memory", str(100 * 2**20), "--disable-usage-stats"]  # fmt: skip
    try:
        subprocess.run(
            [RAY_BIN, "start", "--head", "--port", str(port), "--include-dashboard=false",
             "--dashboard-port", str(_free_port()), *common,
             "--dashboard-agent-listen-port", str(_free_port()),
             "--metrics-export-port", str(_free_port())],
            check=True, env=env, capture_output=True, timeout=120,
        )  # fmt: skip
        subprocess.run(
            [RAY_BIN, "start", "--address", f"127.0.0.1:{port}", *common,
             "--dashboard-agent-listen-port", str(_free_port()),
             "--metrics-export-port", str(_free_port())],
            check=True, env=env, capture_output=True, timeout=120,
        )  # fmt: skip
        yield f"127.0.0.1:{port}"
    finally:
        left = _stop(tmp)
        assert not left, f"ray processes left running: {sorted(left)}"
        shutil.rmtree(tmp, ignore_errors=True)


def test_sweep_on_two_node_loopback_cluster(loopback_cluster: str) -> None:
    inst, axes = _sweep()
    ray.init(address=loopback_cluster, log_to_driver=False)
    try:
        nodes = [n for n in ray.nodes() if n["Alive"]]
        assert len(nodes) == 2 and all(n["Resources"]["CPU"] == 1 for n in nodes)
        # two evaluators of 1 CPU each on two 1-CPU nodes: one runs on each node
        run = run_sweep(inst, axes, workers=2, backend="ray", progress=False)
    finally:
        ray.shutdown()
    got = [c.alpha for c in run.results]
    assert got == pytest.approx(_reference(inst, axes), rel=1e-9)


def test_cli_sweep_takes_ray_address(
    loopback_cluster: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "controller", "region", "--max-signals", "0", "--json",
         "--no-progress", "--x", "power:dc-fra=0.004:0.04:2", "--ray-address", loopback_cluster],
        capture_output=True, text=True, timeout=300, env={**os.environ, "RAY_AUTH_MODE": "token"},
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    import json

    doc = json.loads(out.stdout)
    assert len(doc["grid"]) == 2 and doc["sweep"]["backend"] == "ray"
    assert f"ray cluster {loopback_cluster}" in " ".join(doc["sweep"]["notes"])
