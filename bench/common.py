"""Shared helpers for benchmarks: a printed table and a JSON file per run.

Benchmarks quote ratios measured in one run (ours vs a baseline), never lone
absolute times, and never assert on timings.

>>> print(format_table([{"n": 10, "up_s": 0.5}, {"n": 50, "up_s": 2.25}]))
n   up_s
--  ----
10  0.5
50  2.25
"""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["format_table", "write_results"]


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def format_table(rows: Sequence[Mapping[str, Any]]) -> str:
    """Rows of equal keys as a plain aligned text table."""
    if not rows:
        return "(no rows)"
    keys = list(rows[0])
    cells = [[_cell(r.get(k, "")) for k in keys] for r in rows]
    widths = [max(len(k), *(len(c[i]) for c in cells)) for i, k in enumerate(keys)]
    lines = ["  ".join(k.ljust(w) for k, w in zip(keys, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths).rstrip())
    for c in cells:
        lines.append("  ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)).rstrip())
    return "\n".join(lines)


def write_results(
    name: str, rows: Sequence[Mapping[str, Any]], out_dir: Path | None = None, **meta: Any
) -> Path:
    """Write ``bench/results/<name>.json`` with the rows and machine facts; return its path."""
    directory = out_dir or Path(__file__).resolve().parent / "results"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.json"
    doc = {
        "benchmark": name,
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
        **meta,
        "rows": list(rows),
    }
    path.write_text(json.dumps(doc, indent=2, default=str) + "\n")
    return path
