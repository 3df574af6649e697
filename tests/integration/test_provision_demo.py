"""``fsor demo`` end to end on the ORCA lab (real devices, real solver), as JSON."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_demo_runs_the_spine_and_leaves_nothing_behind() -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "controller",
            "demo",
            "--json",
            "--backend",
            "loopback",
            "--time-limit",
            "30",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    doc = json.loads(out.stdout)
    devices = doc["discovery"]["devices"]
    assert len(devices) == 29 and all(d["reachable"] for d in devices)
    assert doc["plan"]["status"] in ("optimal", "feasible")
    lps = doc["plan"]["lightpaths"]
    assert lps and doc["push"]["lightpaths"] == len(lps)
    # every ROADM on each pushed path holds its media channel when read back
    for lp in lps:
        for node in lp["path"]:
            assert doc["read_back"].get(node, 0) >= 1
    from containerlab import runner

    assert runner.load_state(instance=doc["instance"]) is None  # torn down
