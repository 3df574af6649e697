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

__all__ = ["orca_figures", "period_figures", "save"]

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


def _grouped(ax: Any, periods: Sequence[Mapping[str, Any]], planners: Sequence[str],
             value: Any, ylabel: str) -> None:
    width = 0.8 / len(planners)
    for k, p in enumerate(planners):
        xs = [i + (k - (len(planners) - 1) / 2) * width for i in range(len(periods))]
        ax.bar(xs, [value(r[p]) for r in periods], width, color=COLOURS.get(p), label=p)
    ax.set_xticks(range(len(periods)), [r["period"] for r in periods], fontsize=8)
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", alpha=0.3)


def period_figures(doc: Mapping[str, Any], out: Path, prefix: str) -> list[str]:
    """Per period (month or day): CO2 and cost; cap violations and blocking; network energy."""
    periods: Sequence[Mapping[str, Any]] = doc["periods"]
    planners: Sequence[str] = doc["planners"]
    unit = "per month" if doc["period"] == "month" else "per day"
    names = []
    fig, axes = plt.subplots(2, 1, figsize=(10, 6.4), sharex=True)
    _grouped(axes[0], periods, planners, lambda m: m["co2eq"] / 1e6, f"CO2-eq (t) {unit}")
    _grouped(axes[1], periods, planners, lambda m: m["price"],  # EUR (accounting)
             f"electricity cost (EUR) {unit}")
    axes[0].set_title(f"{prefix}: CO2-eq and electricity cost of each planner's plans")
    axes[0].legend(ncols=len(planners), fontsize=8, loc="upper center",
                   bbox_to_anchor=(0.5, -0.02))
    names.append(save(fig, out, f"{prefix}-co2-cost.png"))

    fig, axes = plt.subplots(2, 1, figsize=(10, 6.4), sharex=True)
    _grouped(axes[0], periods, planners, lambda m: m["violations"],
             f"cap rows broken {unit}")
    _grouped(axes[1], periods, planners, lambda m: m["blocked"],
             f"workloads blocked/rejected {unit}")
    axes[0].set_title(f"{prefix}: hard-cap violations and blocking")
    axes[0].legend(ncols=len(planners), fontsize=8)
    names.append(save(fig, out, f"{prefix}-caps-blocking.png"))

    fig, axes = plt.subplots(2, 1, figsize=(10, 6.4))
    others = [p for p in planners if p != "joint"]
    x = range(len(periods))
    for p in others:
        rel = [100 * (r[p]["objective"] - r["joint"]["objective"]) / r["joint"]["objective"]
               if r["joint"]["objective"] else 0.0 for r in periods]
        axes[0].plot(x, rel, marker="o", color=COLOURS.get(p), label=p)
    axes[0].axhline(0, color="black", lw=0.8)
    axes[0].set_xticks(list(x), [r["period"] for r in periods], fontsize=8)
    axes[0].set_ylabel(f"objective − joint (% of joint) {unit}")
    axes[0].set_title(f"{prefix}: each planner's objective against the joint plan's "
                      "(work a plan leaves unplaced is priced as lost work; co2-only breaks caps)")
    axes[0].title.set_fontsize(9)
    axes[0].legend(fontsize=8)
    axes[0].grid(alpha=0.3)
    _grouped(axes[1], periods, planners, lambda m: m["network_kwh"],
             f"network energy (kWh) {unit}")
    axes[1].set_title("optical transfer energy (lightpaths)", fontsize=9)
    names.append(save(fig, out, f"{prefix}-vs-joint-network.png"))

    days = [r for r in doc["results"] if r.get("fsor_alpha") is not None]
    fig, ax = plt.subplots(figsize=(10, 3.2))
    ax.plot([r["index"] for r in days], [r["fsor_alpha"] for r in days], marker=".", lw=0.8,
            color="#444444")
    ax.axhline(1.0, color="#d62728", lw=0.8)
    ax.axhline(1.2, color="#ff7f0e", lw=0.8, ls="--")
    ax.set_xlabel("day of 2023 (index from 1 January)")
    ax.set_ylabel("FSOR headroom α")
    ax.set_title(f"{prefix}: largest α with α × the day's workloads within every cap "
                 "(LP; < 1.2 orange: under 20 % headroom — an investment signal)", fontsize=9)
    ax.grid(alpha=0.3)
    names.append(save(fig, out, f"{prefix}-headroom.png"))
    return names
