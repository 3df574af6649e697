"""Imports go one way: the layering of ``docs/architecture.md``, checked by an AST walk.

Every ``import`` counts, wherever it stands: module level, inside a function, or under
``if TYPE_CHECKING:`` — an import hidden in a function is still a door. Two checks:

* each package (and each room of :mod:`optimizer` and :mod:`controller`) imports only from
  its own room or from rooms :data:`BELOW` it;
* the graph of modules has no cycle at all, not even inside one room.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import networkx as nx

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("topology", "optimizer", "containerlab", "controller", "yang")

#: room -> the rooms it may import (besides itself); a room is a dotted prefix
BELOW: dict[str, tuple[str, ...]] = {
    "yang": (),
    "topology": (),
    "optimizer.inputs": ("topology",),
    "optimizer.model": ("optimizer.inputs", "topology"),
    "optimizer.solve": ("optimizer.model", "optimizer.inputs", "topology"),
    "optimizer.baselines": ("optimizer.solve", "optimizer.model", "optimizer.inputs", "topology"),
    "optimizer.analysis": (
        "optimizer.baselines",
        "optimizer.solve",
        "optimizer.model",
        "optimizer.inputs",
        "topology",
    ),
    "optimizer.experiments": ("optimizer", "topology"),
    "optimizer": ("topology",),  # the package's own __init__
    "containerlab": ("topology", "yang"),
    "controller.adapters": ("topology",),
    "controller.cli": ("controller", "optimizer", "topology", "containerlab", "yang"),
    "controller.service": ("controller", "optimizer", "topology", "containerlab", "yang"),
    "controller.__main__": ("controller.cli",),
    "controller": ("controller.adapters", "optimizer", "topology", "containerlab", "yang"),
}


def room(module: str) -> str:
    """The most specific room of :data:`BELOW` that ``module`` lives in."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        if prefix in BELOW:
            return prefix
    raise AssertionError(f"{module}: in no room of BELOW")


def _inside(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def modules() -> Iterator[tuple[str, Path]]:
    for pkg in PACKAGES:
        for path in sorted((REPO / pkg).rglob("*.py")):
            rel = path.relative_to(REPO).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            yield ".".join(parts), path


def imports(module: str, path: Path) -> set[str]:
    """Project modules ``module`` imports (resolved to the longest existing module name)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_pkg = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor if is_pkg else anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        out |= {n for n in names if n.split(".")[0] in PACKAGES}
    return out


def graph() -> nx.DiGraph:
    known = dict(modules())
    g = nx.DiGraph()
    g.add_nodes_from(known)
    for mod, path in known.items():
        for target in imports(mod, path):
            # `from a.b import c`: c is a module if a.b.c exists, else a name in a.b
            while target not in known and "." in target:
                target = target.rsplit(".", 1)[0]
            if target in known and target != mod and not _inside(mod, target):
                g.add_edge(mod, target)
    return g


def test_every_import_goes_down_or_stays_in_its_room() -> None:
    wrong = []
    for a, b in graph().edges:
        ra, rb = room(a), room(b)
        if ra != rb and not any(_inside(rb, ok) for ok in BELOW[ra]):
            wrong.append(f"{a} ({ra}) imports {b} ({rb})")
    assert not wrong, "imports against the layering:\n" + "\n".join(sorted(wrong))


def test_no_import_cycle() -> None:
    cycles = list(nx.simple_cycles(graph()))
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles[:20])


def test_the_walk_sees_imports_in_functions_and_type_checking(tmp_path: Path) -> None:
    src = tmp_path / "m.py"
    src.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from optimizer.solve.program import Planner\n"
        "def f():\n    from optimizer.baselines import BASELINES\n"
        "from . import sibling\n"
    )
    found = imports("optimizer.model.m", src)
    assert {"optimizer.solve.program", "optimizer.baselines", "optimizer.model.sibling"} <= found
