"""Map cells in runs along x, walked as a serpentine; warm cells agree with cold solves."""

from __future__ import annotations

import math

import pytest

from controller.sweep_runner import run_sweep
from optimizer.analysis.sweep import (
    MAX_RUN,
    Axis,
    Cell,
    CellEvaluator,
    cells_of,
    parse_axis,
    segments,
    with_axes,
)
from optimizer.inputs import make_instance
from optimizer.inputs.caps import Caps
from optimizer.inputs.instance import Instance
from optimizer.inputs.signals import default_signals
from optimizer.inputs.workloads import default_workloads
from topology.io import default_inventory


def _sweep(nx: int = 4, ny: int = 3) -> tuple[Instance, list[Axis]]:
    inv = default_inventory()
    sites, regions = [s.id for s in inv.sites], {s.region for s in inv.sites}
    axes = [
        parse_axis(f"power:dc-fra=0.004:0.04:{nx}", "--x", sites=sites, regions=regions),
        parse_axis(f"power:dc-sjc=0.004:0.04:{ny}", "--y", sites=sites, regions=regions),
    ]
    caps = with_axes(Caps(site_power_kw={"dc-tyo": 0.01}), axes)
    return make_instance(inv, default_signals(), default_workloads(), caps), axes


def _ij(run: list[Cell]) -> list[tuple[int, int]]:
    return [(c.i, c.j) for c in run]


def test_segments_are_rows_covering_every_cell_once() -> None:
    axes = [Axis("power:a", 0, 1, 5), Axis("water:a", 0, 1, 4)]
    runs = segments(axes)
    assert [_ij(r) for r in runs] == [[(i, j) for i in range(5)] for j in range(4)]
    for workers in (1, 2, 3, 8):
        got = sorted(ij for r in segments(axes, workers) for ij in _ij(r))
        assert got == sorted((c.i, c.j) for c in cells_of(axes)), workers
        assert all(len({c.j for c in r}) == 1 for r in segments(axes, workers))


def test_a_strip_is_cut_for_several_workers_and_long_rows_are_cut() -> None:
    strip = [Axis("scale", 0.5, 2.0, 12)]
    assert len(segments(strip)) == 1
    assert len(segments(strip, workers=2)) == 8  # 4 runs per worker
    long = [Axis("scale", 0.5, 2.0, 2 * MAX_RUN + 1)]
    assert max(len(r) for r in segments(long)) <= MAX_RUN


def test_segments_keep_only_the_cells_a_resumed_sweep_needs() -> None:
    axes = [Axis("power:a", 0, 1, 3), Axis("water:a", 0, 1, 2)]
    assert [_ij(r) for r in segments(axes, only={(1, 0), (2, 1)})] == [[(1, 0)], [(2, 1)]]


def test_a_worker_walks_each_run_from_the_end_nearest_its_last_cell() -> None:
    inst, axes = _sweep()
    ev = CellEvaluator(inst, axes)
    order: list[tuple[int, int]] = []
    for run in segments(axes):
        walked = ev.walk(run)
        ev.evaluate_many(run)
        assert ev.last is not None and (ev.last.i, ev.last.j) == (walked[-1].i, walked[-1].j)
        order += _ij(walked)
    assert order == [
        (0, 0), (1, 0), (2, 0), (3, 0),
        (3, 1), (2, 1), (1, 1), (0, 1),
        (0, 2), (1, 2), (2, 2), (3, 2),
    ]  # fmt: skip


def test_warm_serpentine_cells_match_a_cold_solve_of_each_cell() -> None:
    inst, axes = _sweep()
    warm = {(r.i, r.j): r for r in run_sweep(inst, axes, backend="inline", progress=False).results}
    for c in cells_of(axes):
        cold = CellEvaluator(inst, axes).evaluate(c)
        w = warm[(c.i, c.j)]
        assert math.isfinite(w.alpha) and w.alpha == pytest.approx(cold.alpha, rel=1e-7)
        assert w.binding == cold.binding, (c.i, c.j)


def test_a_fresh_evaluator_is_compiled_and_its_first_cell_is_cold() -> None:
    inst, axes = _sweep()
    ev = CellEvaluator(inst, axes)
    assert ev.model.lp.highs is not None  # compiled and loaded before any cell
    ev.evaluate(cells_of(axes)[0])
    assert not ev.model.lp.warm
    ev.evaluate(cells_of(axes)[1])
    assert ev.model.lp.warm
