"""The project module served by the netconfd nodes: valid YANG, tree file up to date."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from yang import directory

MODULE = directory() / "fsor-lightpath.yang"
TREE = directory() / "fsor-lightpath.tree"
PYANG = [sys.executable, "-m", "pyang"]


def _pyang(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PYANG, *args, str(MODULE)], capture_output=True, text=True, timeout=60, check=False
    )


def test_module_passes_pyang_strict() -> None:
    done = _pyang("--strict")
    assert done.returncode == 0, done.stderr
    assert "error" not in done.stderr


def test_tree_file_matches_pyang_output() -> None:
    done = _pyang("-f", "tree")
    assert done.returncode == 0, done.stderr
    assert done.stdout == Path(TREE).read_text()
    assert "+--rw lightpath* [id]" in done.stdout


def test_module_imports_nothing() -> None:
    """netconfd aborts on modules importing openconfig-platform; this one imports nothing."""
    text = MODULE.read_text()
    assert "\n  import " not in text
    assert 'namespace "urn:fsor:params:xml:ns:yang:fsor-lightpath";' in text
