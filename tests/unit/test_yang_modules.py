"""The project's own YANG modules pass ``pyang --lint`` (RFC 8407) and their committed
``.tree`` files are what pyang prints for them today."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

YANG = Path(__file__).resolve().parents[2] / "yang"
MODULES = sorted(YANG.glob("*.yang"))
PYANG = [str(Path(sys.executable).parent / "pyang")]


def pyang(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PYANG, "-p", str(YANG), *args], capture_output=True, text=True, timeout=60
    )


def test_there_are_project_modules() -> None:
    assert {m.stem for m in MODULES} >= {"fsor-lightpath", "fsor-device-events"}


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.stem)
def test_module_passes_pyang_lint(module: Path) -> None:
    out = pyang("--lint", str(module))
    assert out.returncode == 0 and not out.stdout and not out.stderr, out.stdout + out.stderr


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.stem)
def test_committed_tree_is_regenerated(module: Path) -> None:
    out = pyang("-f", "tree", str(module))
    assert out.returncode == 0, out.stderr
    tree = module.with_suffix(".tree")
    assert tree.is_file(), f"{tree.name}: run pyang -f tree -p yang {module.name} > {tree.name}"
    assert out.stdout == tree.read_text(), f"{tree.name} is stale: regenerate it with pyang"
