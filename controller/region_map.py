"""Draw a cap map: α as colour, the α = 1 contour (the FSOR boundary), regions by binding cap.

Pure except for writing the PNG (matplotlib, Agg backend). Colour: a diverging
map centred on α = 1 (red: the mix does not fit, blue: headroom), α clipped
to [0, ``alpha_max``] (unbounded cells take the top colour). Cells whose
dominant binding cap differs from a neighbour's are separated by a thin grey
line, and each connected region of one binding cap carries its name at its
centre.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from optimizer.analysis.sweep import Axis, CellResult

__all__ = ["alpha_grid", "write_map"]


def alpha_grid(
    axes: Sequence[Axis], results: Sequence[CellResult]
) -> tuple[np.ndarray, list[list[str]]]:
    """α[j, i] (y rows, x columns) and the binding-cap labels in the same layout."""
    nx = axes[0].n
    ny = axes[1].n if len(axes) > 1 else 1
    a = np.full((ny, nx), np.nan)
    labels = [["" for _ in range(nx)] for _ in range(ny)]
    for r in results:
        a[r.j, r.i] = r.alpha
        labels[r.j][r.i] = r.binding
    return a, labels


def _components(labels: list[list[str]]) -> list[tuple[str, list[tuple[int, int]]]]:
    ny, nx = len(labels), len(labels[0])
    seen = [[False] * nx for _ in range(ny)]
    out: list[tuple[str, list[tuple[int, int]]]] = []
    for j in range(ny):
        for i in range(nx):
            if seen[j][i]:
                continue
            lab, stack, cells = labels[j][i], [(j, i)], []
            seen[j][i] = True
            while stack:
                cj, ci = stack.pop()
                cells.append((cj, ci))
                for dj, di in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                    nj, ni = cj + dj, ci + di
                    inside = 0 <= nj < ny and 0 <= ni < nx
                    if inside and not seen[nj][ni] and labels[nj][ni] == lab:
                        seen[nj][ni] = True
                        stack.append((nj, ni))
            out.append((lab, cells))
    return out


def write_map(
    path: Path,
    axes: Sequence[Axis],
    results: Sequence[CellResult],
    *,
    title: str = "Feasible Sovereign Operating Region",
    alpha_max: float = 2.0,
) -> None:
    """Write the map of ``results`` over ``axes`` (one or two) to ``path`` as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import TwoSlopeNorm
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    a, labels = alpha_grid(axes, results)
    shown = np.where(np.isnan(a), np.nan, np.clip(np.nan_to_num(a, posinf=alpha_max), 0, alpha_max))
    xs = np.array(axes[0].values())
    ys = np.array(axes[1].values()) if len(axes) > 1 else np.array([0.0])

    def edges(v: np.ndarray) -> np.ndarray:
        if len(v) == 1:
            return np.array([v[0] - 0.5, v[0] + 0.5])
        mid = (v[1:] + v[:-1]) / 2
        return np.concatenate([[2 * v[0] - mid[0]], mid, [2 * v[-1] - mid[-1]]])

    xe, ye = edges(xs), edges(ys)
    fig, ax = plt.subplots(figsize=(9, 7), dpi=110)
    norm = TwoSlopeNorm(vmin=0.0, vcenter=1.0, vmax=max(alpha_max, 1.0 + 1e-6))
    mesh = ax.pcolormesh(xe, ye, shown, cmap="RdBu", norm=norm, shading="flat")
    cb = fig.colorbar(mesh, ax=ax)
    cb.set_label(f"α (largest scale of the workload mix that fits; clipped at {alpha_max:g})")
    handles: list[Any] = []
    if len(xs) > 1 and len(ys) > 1 and np.nanmin(shown) < 1 < np.nanmax(shown):
        ax.contour(xs, ys, shown, levels=[1.0], colors="black", linewidths=2.0)
        handles.append(Line2D([], [], color="black", lw=2.0, label="α = 1 (FSOR boundary)"))
    if np.isnan(a).any():
        ax.pcolormesh(xe, ye, np.where(np.isnan(a), 1.0, np.nan), cmap="Greys", vmin=0, vmax=2,
                      hatch="xx", shading="flat")  # fmt: skip
        handles.append(Patch(facecolor="0.5", hatch="xx", label="solver failed"))
    ny, nx = a.shape
    for j in range(ny):  # boundaries between binding regions
        for i in range(nx):
            if i + 1 < nx and labels[j][i] != labels[j][i + 1]:
                ax.plot([xe[i + 1]] * 2, [ye[j], ye[j + 1]], color="0.35", lw=0.8)
            if j + 1 < ny and labels[j][i] != labels[j + 1][i]:
                ax.plot([xe[i], xe[i + 1]], [ye[j + 1]] * 2, color="0.35", lw=0.8)
    for lab, cells in _components(labels):
        if not lab or len(cells) < max(1, (nx * ny) // 50):
            continue
        my, mx = np.mean([c[0] for c in cells]), np.mean([c[1] for c in cells])
        # the component's own cell nearest its centre (an L-shaped region's centre may lie
        # outside it)
        j0, i0 = min(cells, key=lambda c: ((c[0] - my) ** 2 + (c[1] - mx) ** 2, c))
        cj, ci = float(ys[j0]), float(xs[i0])
        tall = len({c[0] for c in cells}) > 2 * len({c[1] for c in cells})
        ax.text(
            ci, cj, f"binds: {lab}", ha="center", va="center", fontsize=8,
            rotation=90 if tall else 0,
            bbox={"boxstyle": "round", "fc": "white", "alpha": 0.75, "lw": 0.5},
        )  # fmt: skip
    if handles:
        ax.legend(handles=handles, loc="upper left", fontsize=8, framealpha=0.85)
    ax.set_xlabel(f"{axes[0].cap} ({axes[0].unit})")
    ax.set_ylabel(f"{axes[1].cap} ({axes[1].unit})" if len(axes) > 1 else "")
    inside = int(np.sum(a >= 1 - 1e-9))
    ax.set_title(f"{title}\n{inside} of {a.size} cells inside (α ≥ 1)", fontsize=11)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
