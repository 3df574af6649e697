"""The repository is self-contained: nothing reads the project folder beside the clone.

A user's clone has no project folder beside it (this project's own machines do). The
first test is a static scan of every committed text file; the second clones the committed
tree into an empty temporary folder and runs there the tests and commands that read data
files, so a loader or a test that reaches outside the repository fails here even on a
machine where that folder exists.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

#: the name of the project folder that sits beside the clone on this project's machines only
BESIDE = "".join(("sha", "red"))
#: a path that leaves the repository towards that folder
OUTSIDE = re.compile(r"""(\.\./|parents\[\d\]\s*/\s*["'])""" + BESIDE + r"\b")
TEXT = {".py", ".sh", ".toml", ".yml", ".yaml", ".cfg", ".ini", ".json"}


def _committed() -> list[Path]:
    out = subprocess.run(
        ["git", "-C", str(REPO), "ls-files"], capture_output=True, text=True, check=True
    )
    return [REPO / line for line in out.stdout.splitlines() if Path(line).suffix in TEXT]


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_no_committed_file_points_outside_the_repository() -> None:
    hits = [
        f"{p.relative_to(REPO)}:{n}: {line.strip()}"
        for p in _committed()
        if p.exists() and p.name != Path(__file__).name
        for n, line in enumerate(p.read_text(errors="replace").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert not hits, "paths outside the repository:\n" + "\n".join(hits)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_a_clone_alone_runs_the_data_tests(tmp_path: Path) -> None:
    clone = tmp_path / "alone" / "fsor"
    subprocess.run(
        ["git", "clone", "-q", "--no-hardlinks", str(REPO), str(clone)], check=True, timeout=120
    )
    assert not (clone.parent.parent / BESIDE).exists() and not (clone.parent / BESIDE).exists()
    # the clone's packages come first on sys.path (cwd), ahead of the editable install
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    tests = [
        "tests/unit/test_signals.py",
        "tests/unit/test_workloads.py",
        "tests/integration/test_robust_ecos.py",
        "optimizer/inputs/signal_grid.py",
        "optimizer/inputs/water.py",
    ]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", *tests],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    where = subprocess.run(
        [sys.executable, "-c", "import optimizer; print(optimizer.__file__)"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(where.stdout.strip()).is_relative_to(clone), where.stdout
    plan = subprocess.run(
        [sys.executable, "-m", "controller", "plan", "--json"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert plan.returncode == 0, plan.stderr[-2000:]
    assert json.loads(plan.stdout)["status"] == "optimal"
