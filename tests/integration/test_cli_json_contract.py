"""stdout is the contract: every reporting subcommand with ``--json`` prints ONE JSON document.

Each command runs in its own process (as a user or another tool runs it), so nothing a
library prints on the C-level stdout (HiGHS 1.16's start-up banner, say) can hide. A last
test walks the argument parser and fails when a subcommand takes ``--json`` but no case here
runs it: a new subcommand must be added to :data:`OFFLINE` or :data:`ON_LAB`.
``fsor demo --json`` is run end to end by ``test_provision_demo.py`` with the same check.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from controller.cli import build_parser
from tests.conftest import REPO, LabFactory

pytestmark = [pytest.mark.integration]

ORCA = REPO / "containerlab" / "orca.clab.yml"

#: commands that need no lab: (argv after ``fsor``, a key the document must have)
OFFLINE: list[tuple[list[str], str]] = [
    (["plan", "--json"], "status"),
    *[
        (["plan", "--json", "--baseline", b, "--time-limit", "20"], "vs_baseline")
        for b in ("co2-only", "sequential", "first-fit")
    ],
    *[(["plan", "--json", "--method", m, "--time-limit", "20"], "status") for m in ("lns", "milp")],
    (["plan", "--json", "--uncertainty", "0.1"], "cap_confidence"),
    (["region", "--json", "--max-signals", "2"], "alpha"),
    (["region", "--json", "--max-signals", "0", "--no-progress", "--backend", "inline",
      "--caps", str(REPO / "docs" / "examples" / "region-caps.yaml"),
      "--x", "power:dc-fra=0.004:0.04:2"], "grid"),
    (["topology", "show", "default", "--json"], "nodes"),
    (["topology", "show", "gnpy:coronet-global", "--json"], "nodes"),
    (["lab", "status", str(ORCA), "--json", "--name", "fsor-contract-not-up"], "nodes"),
    (["lab", "generate", "orca", "-o", "{tmp}", "--json"], "devices"),
    (["experiment", "orca", "--out", "{tmp}", "--json"], "hours"),
    (["history", "--store", "{tmp}/store.sqlite", "--json"], "transactions"),
    (["experiment", "year", "--days", "1", "--time-limit", "10", "--out", "{tmp}", "--json"],
     "totals"),
    (["region", "--json", "--max-signals", "2"], "alpha"),
    (["region", "--json", "--caps", str(REPO / "docs" / "examples" / "region-caps.yaml"),
      "--max-signals", "0", "--x", "power:dc-fra=0.004:0.04:2", "--y", "scale=20:200:2",
      "--backend", "processes", "--workers", "2", "--results", "{tmp}/cells.jsonl"], "grid"),
    *[
        (["validate", str(REPO / "examples" / f), "--json"], "valid")
        for f in ("plan.json", "devices.yaml", "workloads.yaml", "caps.yaml", "lab.clab.yml")
    ],
]

LAB = ["--lab", "{file}", "--lab-instance", "{instance}"]

#: commands run against a running orca lab; ``{file}``/``{instance}``/``{plan}`` filled in
ON_LAB: list[tuple[list[str], str]] = [
    (["discover", *LAB, "--json"], "devices"),
    (["apply", "{plan}", *LAB, "--dry-run", "--json"], "dry_run"),
    (["lab", "status", "{file}", "--name", "{instance}", "--json"], "nodes"),
    # an already-up port told to come up: the RPC and the report, no change to the lab
    (["lab", "inject", "{file}", "--name", "{instance}", "roadm-fra", "port-up", "eth1", "--json"],
     "injected"),
]

#: covered elsewhere with the same one-document check (command path -> where)
ELSEWHERE = {
    ("demo",): "tests/integration/test_provision_demo.py",
    ("lab", "up"): "tests/integration/test_lab_runner.py (the fixtures bring labs up)",
    ("lab", "down"): "tests/integration/test_lab_runner.py",
    ("rollback",): "tests/integration/test_safe_apply.py (after a recorded removal)",
}

PLAN = {
    "status": "optimal",
    "lightpaths": [
        {
            "workload": "contract",
            "path": ["roadm-fra", "roadm-lon", "roadm-nyc", "roadm-sjc"],
            "frequency_thz": 193.1,
            "transponders": ["tp-fra-1", "tp-sjc-1"],
        }
    ],
}


def one_document(argv: list[str]) -> dict[str, Any]:
    """Run ``fsor argv`` and parse stdout as exactly one JSON document (an object)."""
    out = subprocess.run(
        [sys.executable, "-m", "controller", *argv],
        capture_output=True,
        text=True,
        timeout=600,
    )
    cmd = "fsor " + " ".join(argv)
    assert out.returncode == 0, f"{cmd}: exit {out.returncode}\n{out.stderr[-3000:]}"
    text = out.stdout
    doc, end = json.JSONDecoder().raw_decode(text.lstrip())
    rest = text.lstrip()[end:]
    assert not rest.strip(), f"fsor {' '.join(argv)}: more than one document on stdout: {rest!r}"
    assert isinstance(doc, dict), f"fsor {' '.join(argv)}: expected an object, got {type(doc)}"
    return doc


@pytest.mark.parametrize(("argv", "key"), OFFLINE, ids=[" ".join(a) for a, _ in OFFLINE])
def test_offline_command_prints_one_json_document(
    argv: list[str], key: str, tmp_path: Path
) -> None:
    assert key in one_document([a.format(tmp=tmp_path) for a in argv])


@pytest.fixture(scope="module")
def orca_lab(shared_lab: LabFactory) -> Iterator[tuple[str, str]]:
    status = shared_lab(ORCA, "loopback")
    yield str(status.file), status.instance


@pytest.mark.slow
@pytest.mark.parametrize(("argv", "key"), ON_LAB, ids=[" ".join(a[:2]) for a, _ in ON_LAB])
def test_lab_command_prints_one_json_document(
    argv: list[str], key: str, orca_lab: tuple[str, str], tmp_path: Path
) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(PLAN))
    file, instance = orca_lab
    filled = [a.format(file=file, instance=instance, plan=plan) for a in argv]
    assert key in one_document(filled)


def _json_commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> set[tuple[str, ...]]:
    found: set[tuple[str, ...]] = set()
    for action in parser._actions:  # argparse has no public walk over subparsers
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found |= _json_commands(sub, (*path, name))
        elif "--json" in action.option_strings and path:
            found.add(path)
    return found


def _covered(argv: list[str]) -> tuple[str, ...]:
    words = [a for a in argv if not a.startswith("-") and "{" not in a and "/" not in a]
    words = [w for w in words if w not in ("default", "orca") and ":" not in w]
    return tuple(words[:2]) if words[:1] in (["topology"], ["lab"]) else tuple(words[:1])


def test_every_json_subcommand_is_covered() -> None:
    covered = {_covered(a) for a, _ in OFFLINE + ON_LAB} | set(ELSEWHERE)
    missing = _json_commands(build_parser()) - covered
    assert not missing, f"subcommands with --json that no contract test runs: {sorted(missing)}"
