"""Cap maps: two cap axes swept over a grid, one α per cell (pure; the runner is in controller).

An axis is ``CAP=LO:HI:N``: N evenly spaced values from LO to HI of one cap, in
the cap's canonical unit (docs/region.md):

* ``power:SITE`` — the site's power cap, kW per slot (every slot);
* ``water:SITE`` — the site's water cap, L per UTC day;
* ``carbon:ZONE`` / ``carbon:total`` — CO2-eq per grid region (or all sites) per day, g;
* ``zone:DIM:ZONE`` — a zone cap on dimension DIM (per day unless the caps file
  declares it over the horizon), in the dimension's burden unit;
* ``scale`` — the workload scale itself (× every class count).

A cell's α is the largest scale of the mix that fits at the cell's caps (the
LP relaxation of :mod:`optimizer.analysis.region`), divided by the cell's workload scale
when one axis is ``scale``: the cell is inside the FSOR when α ≥ 1. Each
:class:`CellEvaluator` compiles the scale program once and moves only the
axes' Parameters from cell to cell (DPP); HiGHS re-solves each cell from the
basis of the one before. So cells run in runs along x (:func:`segments`: one
run per y value), and a worker walks each run from the end nearest to its last
cell: a serpentine in which every cell starts from a neighbour's basis.

>>> ax = parse_axis("power:dc-fra=10:50:5", "--x", sites=["dc-fra"], regions=["DE"])
>>> ax.cap, ax.values(), ax.unit
('power:dc-fra', [10.0, 20.0, 30.0, 40.0, 50.0], 'kW')
>>> parse_axis("power:dc-xyz=1:2:2", "--x", sites=["dc-fra"], regions=["DE"])
Traceback (most recent call last):
...
topology.errors.InputError: --x: cap: expected a site in ['dc-fra'], got 'dc-xyz'
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from optimizer.analysis.region import ScaleModel
from optimizer.inputs.caps import BURDEN_UNITS, Caps, ZoneCap
from optimizer.inputs.instance import Instance
from optimizer.inputs.signal_series import ZONES
from topology.errors import InputError

__all__ = [
    "Axis",
    "Cell",
    "CellEvaluator",
    "CellResult",
    "cells_of",
    "parse_axis",
    "segments",
    "with_axes",
]

#: the longest run of cells one worker takes at a time
MAX_RUN = 50

_UNITS = {"power": "kW", "water": "L", "carbon": "gCO2eq", "scale": "x"}


@dataclass(frozen=True)
class Axis:
    """One swept cap: ``cap`` (e.g. ``power:dc-fra``), ``n`` values from ``lo`` to ``hi``."""

    cap: str
    lo: float
    hi: float
    n: int

    @property
    def kind(self) -> str:
        return self.cap.split(":", 1)[0]

    @property
    def unit(self) -> str:
        if self.kind == "zone":
            return BURDEN_UNITS[self.cap.split(":")[1]]
        return _UNITS[self.kind]

    def values(self) -> list[float]:
        return [float(v) for v in np.linspace(self.lo, self.hi, self.n)]

    def to_json(self) -> dict[str, Any]:
        return {"cap": self.cap, "lo": self.lo, "hi": self.hi, "n": self.n, "unit": self.unit}


def _number(text: str, flag: str, field: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise InputError(flag, field, text, "expected a number") from None
    if not math.isfinite(v):
        raise InputError(flag, field, text, "expected a finite number")
    return v


def parse_axis(text: str, flag: str, *, sites: Iterable[str], regions: Iterable[str]) -> Axis:
    """Parse ``CAP=LO:HI:N``; every bad part is an :class:`InputError` naming ``flag`` and field."""
    site_list, region_list = sorted(sites), sorted(regions)
    if "=" not in text:
        raise InputError(flag, "axis", text, "expected CAP=LO:HI:N (e.g. power:dc-fra=10:50:5)")
    cap, rng = text.split("=", 1)
    parts = rng.split(":")
    if len(parts) != 3:
        raise InputError(flag, "range", rng, "expected LO:HI:N")
    lo, hi = _number(parts[0], flag, "lo"), _number(parts[1], flag, "hi")
    try:
        n = int(parts[2])
    except ValueError:
        raise InputError(flag, "n", parts[2], "expected a whole number of values >= 1") from None
    if n < 1:
        raise InputError(flag, "n", n, "expected a whole number of values >= 1 (empty range)")
    if hi < lo:
        raise InputError(flag, "range", rng, "expected LO <= HI (reversed range)")
    if n > 1 and hi == lo:
        raise InputError(flag, "range", rng, "expected LO < HI for more than one value (empty)")
    bits = cap.split(":")
    kind = bits[0]
    if kind == "scale" and len(bits) == 1:
        if lo <= 0:
            raise InputError(flag, "lo", lo, "expected a workload scale > 0")
        return Axis("scale", lo, hi, n)
    if lo < 0:
        raise InputError(flag, "lo", lo, "expected a cap value >= 0")
    if kind in ("power", "water") and len(bits) == 2:
        if bits[1] not in site_list:
            raise InputError(flag, "cap", bits[1], f"expected a site in {site_list}")
    elif kind == "carbon" and len(bits) == 2:
        if bits[1] != "total" and bits[1] not in region_list:
            raise InputError(flag, "cap", bits[1], f"expected 'total' or a zone in {region_list}")
    elif kind == "zone" and len(bits) == 3:
        dim, zone = bits[1], bits[2]
        if dim not in ZONES or dim == "power_headroom":
            dims = [d for d in ZONES if d != "power_headroom"]
            raise InputError(flag, "cap", dim, f"expected a dimension in {dims}")
        where = {"global": ["global"], "production": region_list, "datacentre": site_list}
        if zone not in where[ZONES[dim]]:
            raise InputError(flag, "cap", zone, f"expected a zone of {dim} in {where[ZONES[dim]]}")
    else:
        raise InputError(
            flag,
            "cap",
            cap,
            "expected power:SITE, water:SITE, carbon:ZONE, carbon:total, zone:DIM:ZONE or scale",
        )
    return Axis(cap, lo, hi, n)


def with_axes(caps: Caps, axes: Sequence[Axis]) -> Caps:
    """``caps`` with every swept cap present (at its LO value when the caps did not have it),
    so the compiled program has the rows the sweep moves."""
    power, water = dict(caps.site_power_kw), dict(caps.site_water_l_per_day)
    carbon, total = dict(caps.zone_carbon_g_per_day), caps.total_carbon_g_per_day
    zone_caps = list(caps.zone_caps)
    for ax in axes:
        bits = ax.cap.split(":")
        if ax.kind == "power":
            power.setdefault(bits[1], ax.lo)
        elif ax.kind == "water":
            water.setdefault(bits[1], ax.lo)
        elif ax.kind == "carbon" and bits[1] == "total":
            total = ax.lo if total is None else total
        elif ax.kind == "carbon":
            carbon.setdefault(bits[1], ax.lo)
        elif ax.kind == "zone":
            dim, zone = bits[1], bits[2]
            if not any(
                z.dim == dim and z.zone == zone and z.scope != "workload" for z in zone_caps
            ):
                zone_caps.append(ZoneCap(dim, zone, ax.lo, BURDEN_UNITS[dim], "day"))
    return replace(
        caps,
        site_power_kw=power,
        site_water_l_per_day=water,
        zone_carbon_g_per_day=carbon,
        total_carbon_g_per_day=total,
        zone_caps=tuple(zone_caps),
    )


@dataclass(frozen=True)
class Cell:
    """Grid cell (i along x, j along y) and the value of each axis there."""

    i: int
    j: int
    values: tuple[float, ...]


@dataclass(frozen=True)
class CellResult:
    """α at the cell (``inf`` unbounded, ``nan`` solver failure) and its dominant binding cap."""

    i: int
    j: int
    values: tuple[float, ...]
    alpha: float
    binding: str

    @property
    def feasible(self) -> bool:
        return self.alpha >= 1 - 1e-9

    def to_json(self) -> dict[str, Any]:
        a = self.alpha
        return {
            "i": self.i,
            "j": self.j,
            "values": list(self.values),
            "alpha": a if math.isfinite(a) else (None if math.isnan(a) else "inf"),
            "binding": self.binding,
            "feasible": self.feasible,
        }

    @staticmethod
    def from_json(doc: dict[str, Any]) -> CellResult:
        a = doc["alpha"]
        alpha = math.inf if a == "inf" else (math.nan if a is None else float(a))
        vals = tuple(float(v) for v in doc["values"])
        return CellResult(int(doc["i"]), int(doc["j"]), vals, alpha, str(doc["binding"]))


def cells_of(axes: Sequence[Axis]) -> list[Cell]:
    """Every cell of the grid (x-major); one axis gives a 1 × N strip."""
    xs = axes[0].values()
    ys = axes[1].values() if len(axes) > 1 else [math.nan]
    out: list[Cell] = []
    for i, x in enumerate(xs):
        for j, y in enumerate(ys):
            out.append(Cell(i, j, (x, y) if len(axes) > 1 else (x,)))
    return out


def segments(
    axes: Sequence[Axis], workers: int = 1, only: Container[tuple[int, int]] | None = None
) -> list[list[Cell]]:
    """The grid cut into runs along x, in y order: one run per y value, each cut into
    pieces when there are fewer than 4 runs per worker (so a 1 × N strip still spreads)
    or when it is longer than :data:`MAX_RUN` cells (the progress bar moves per run).
    ``only``: keep just these (i, j) (the cells a resumed sweep still needs).

    >>> ax = [Axis("power:a", 0, 1, 3), Axis("water:a", 0, 1, 2)]
    >>> [[(c.i, c.j) for c in s] for s in segments(ax)]
    [[(0, 0), (1, 0), (2, 0)], [(0, 1), (1, 1), (2, 1)]]
    >>> [[(c.i, c.j) for c in s] for s in segments(ax, workers=2)]
    [[(0, 0)], [(1, 0)], [(2, 0)], [(0, 1)], [(1, 1)], [(2, 1)]]
    >>> [[c.i for c in s] for s in segments(ax[:1], only={(0, 0), (2, 0)})]
    [[0, 2]]
    """
    grid: dict[int, list[Cell]] = {}
    for c in cells_of(axes):
        grid.setdefault(c.j, []).append(c)
    spread = math.ceil(4 * workers / len(grid)) if workers > 1 else 1
    out: list[list[Cell]] = []
    for j in sorted(grid):
        row = sorted(grid[j], key=lambda c: c.i)
        pieces = min(max(spread, math.ceil(len(row) / MAX_RUN)), len(row))
        cuts = [len(row) * k // pieces for k in range(pieces + 1)]
        for a, b in itertools.pairwise(cuts):
            part = [c for c in row[a:b] if only is None or (c.i, c.j) in only]
            if part:
                out.append(part)
    return out


class CellEvaluator:
    """Holds one compiled scale program; :meth:`evaluate` moves the axes' caps and solves.

    The constructor builds and compiles the program and loads its HiGHS model (the
    one-off cost of a worker); the first cell then solves from scratch, every later
    one from the basis of the cell before.
    """

    def __init__(
        self,
        inst: Instance,
        axes: Sequence[Axis],
        time_limit: float = 60.0,
        *,
        prepare: bool = True,
    ) -> None:
        self.inst = inst
        self.axes = tuple(axes)
        self.model = ScaleModel(inst, time_limit=time_limit)
        self.targets: list[tuple[str, list[int], np.ndarray | None]] = []
        for ax in self.axes:
            self.targets.append(self._target(ax))
        if prepare:
            self.model.lp.prepare()
        self.last: Cell | None = None

    def _target(self, ax: Axis) -> tuple[str, list[int], np.ndarray | None]:
        if ax.kind == "scale":
            return ("scale", [], None)
        bits = ax.cap.split(":")
        if ax.kind == "power":
            key, where = "cap_power", bits[1]
        elif ax.kind == "water":
            key, where = "cap_water", bits[1]
        elif ax.kind == "carbon" and bits[1] == "total":
            key, where = "cap_carbon_total", "total"
        elif ax.kind == "carbon":
            key, where = "cap_carbon", bits[1]
        else:
            dim, where = bits[1], bits[2]
            key = (
                f"cap_zone_{dim}" if f"cap_zone_{dim}" in self.model.rows else f"cap_zonetot_{dim}"
            )
        rows = self.model.rows.get(key, [])
        idx = [k for k, r in enumerate(rows) if r.where == where]
        if not idx:
            raise InputError("axes", "cap", ax.cap, "expected a cap the program has rows for")
        head = None
        if key == "cap_power":
            sig = self.inst.signal.get((where, "power_headroom"))
            if sig is not None:
                head = np.array([float(sig[rows[k].slot or 0]) for k in idx])
        return (key, idx, head)

    def apply(self, cell: Cell) -> float:
        """Write the caps of ``cell`` into the Parameters; its workload scale (1 if no axis)."""
        scale = 1.0
        for (key, idx, head), v in zip(self.targets, cell.values, strict=True):
            if key == "scale":
                scale = v
                continue
            lim = self.model.limits(key).copy()
            lim[idx] = v if head is None else np.minimum(v, head)
            self.model.set_limits(key, lim)
        return scale

    def evaluate(self, cell: Cell) -> CellResult:
        """α at ``cell`` (the caps of earlier cells are overwritten, never recompiled)."""
        scale = self.apply(cell)
        alpha = self.model.solve()
        binding = self.model.dominant() if math.isfinite(alpha) else ""
        self.last = cell
        return CellResult(cell.i, cell.j, cell.values, alpha / scale, binding)

    def ready(self) -> bool:
        """True once built (a Ray actor answers it after its constructor has run)."""
        return True

    def evaluate_many(self, cells: Sequence[Cell]) -> list[CellResult]:
        """Every cell of a run (one of :func:`segments`), walked from the end nearest to the
        last cell this evaluator solved: each solve starts from a neighbour's basis."""
        return [self.evaluate(c) for c in self.walk(cells)]

    def walk(self, cells: Sequence[Cell]) -> list[Cell]:
        """``cells`` in the order :meth:`evaluate_many` solves them."""
        run = list(cells)
        last = self.last
        if last is not None and len(run) > 1:

            def dist(c: Cell) -> int:
                return abs(c.i - last.i) + abs(c.j - last.j)

            if dist(run[-1]) < dist(run[0]):
                run.reverse()
        return run
