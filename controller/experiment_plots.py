"""PNG figures of ``fsor experiment`` (matplotlib, Agg backend, no display needed).

Each function takes the experiment's JSON document and a directory, writes its
figures there and returns their file names (relative to the directory).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # set at fsor's plotting entry point: files only, no display
import matplotlib.pyplot as plt

__all__ = ["orca_figures", "save"]

COLOURS = {"co2_only": "#d62728", "zone_aware": "#2ca02c", "joint": "#2ca02c",
           "sequential+repair": "#1f77b4", "first-fit": "#ff7f0e", "co2-only": "#d62728",
           "sequential": "#9467bd"}


def save(fig: Any, out: Path, name: str) -> str:
    """Write ``fig`` as ``out/name`` (PNG, 120 dpi, fixed metadata so reruns are identical)."""
    fig.tight_layout()
    fig.savefig(out / name, dpi=120, metadata={"Software": None})
    plt.close(fig)
    return name


def orca_figures(doc: Mapping[str, Any], out: Path) -> list[str]:
    """Hourly choice under both policies; allocation counts per region."""
    hours: Sequence[Mapping[str, Any]] = doc["hours"]
    regions = sorted(doc["counts"]["co2_only"])
    ypos = {r: i for i, r in enumerate(regions)}
    labels = [f"{h['date'][5:]} {h['start'][:2]}h" for h in hours]
    x = list(range(len(hours)))
    fig, ax = plt.subplots(figsize=(11, 3.6))
    for p, off, marker in (("co2_only", -0.12, "o"), ("zone_aware", 0.12, "s")):
        ax.scatter(x, [ypos[h[p]] + off for h in hours], marker=marker, s=46,
                   color=COLOURS[p], label=p.replace("_", "-"), zorder=3)
    for i, h in enumerate(hours):
        if h["differ"]:
            ax.axvspan(i - 0.45, i + 0.45, color="#eeeeee", zorder=1)
    ax.set_yticks(range(len(regions)), regions)
    ax.set_ylim(-0.6, len(regions) + 0.1)
    ax.set_xticks(x, labels, rotation=70, fontsize=7)
    ax.set_xlabel("start hour (UTC; grey = the policies differ)")
    ax.set_ylabel("data centre region")
    ax.set_title("ORCA Table V: data centre chosen per start hour")
    ax.legend(loc="upper center", ncols=2, fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    names = [save(fig, out, "orca-hourly-choice.png")]

    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    width = 0.38
    for k, p in enumerate(("co2_only", "zone_aware")):
        vals = [doc["counts"][p][r] for r in regions]
        xs = [i + (k - 0.5) * width for i in range(len(regions))]
        bars = ax.bar(xs, vals, width, color=COLOURS[p], label=p.replace("_", "-"))
        ax.bar_label(bars, fontsize=8)
    ax.set_xticks(range(len(regions)), regions)
    ax.set_ylabel(f"start hours allocated (of {len(hours)})")
    ax.set_title("Allocation counts per region")
    ax.legend(fontsize=8)
    names.append(save(fig, out, "orca-allocation-counts.png"))
    return names
