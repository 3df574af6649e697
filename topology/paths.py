"""Candidate paths: k shortest ROADM paths (Yen) with capacity, reach and energy.

``candidate_paths`` runs :func:`networkx.shortest_simple_paths` (Yen's
algorithm) on the ROADM/fibre subgraph weighted by ``length_km``. Endpoints
may be ROADMs, sites or transponders; they are mapped to their ROADM, and
``CandidatePath.nodes`` lists ROADMs only.

Per path: length, hops, spans, the channels free on *every* fibre (wavelength
continuity: a lightpath keeps one channel end to end), the best feasible mode
(highest line rate whose reach covers the length, then lowest power per Gb/s),
and the energy per GB and power of the lit lightpath in that mode. If no mode
reaches, ``reach_ok`` is False, ``mode`` is None, ``regen_at`` lists the
ROADMs where O-E-O regeneration is needed (greedy per mode; the mode with the
highest rate, then lowest power, is used and named in ``energy_mode``; None if
one fibre alone exceeds every reach), and energy/power are those of that
translucent lightpath (two extra transponders per regeneration point). Whether such paths
are acceptable is the caller's choice (regenerator inventory is not checked).

>>> from topology.model import ChannelGrid, Fibre, Inventory, Roadm
>>> from topology.build import build
>>> grid = ChannelGrid(count=4)
>>> inv = Inventory("tri", (Roadm("a"), Roadm("b"), Roadm("c")), fibres=(
...     Fibre("ab", "a", "b", 100.0, 2, 1, grid, frozenset({0})),
...     Fibre("bc", "b", "c", 100.0, 2, 1, grid, frozenset({1})),
...     Fibre("ac", "a", "c", 500.0, 7, 6, grid)))
>>> [(p.nodes, p.length_km, sorted(p.free_channels), p.mode) for p in
...  candidate_paths(build(inv), "a", "c", k=2)]
[(('a', 'b', 'c'), 200.0, [2, 3], 'dp-16qam-200g'), (('a', 'c'), 500.0, [0, 1, 2, 3], \
'dp-16qam-200g')]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import islice, pairwise

import networkx as nx

from topology.build import fibre_graph
from topology.energy import J_PER_KWH, lightpath_power_breakdown_w, roadm_channels
from topology.errors import InputError
from topology.model import EnergyParams, TransceiverMode

__all__ = [
    "CandidatePath",
    "best_mode",
    "candidate_paths",
    "first_fit",
    "regeneration_points",
    "roadm_of",
]


@dataclass(frozen=True)
class CandidatePath:
    """One candidate route between two ROADMs and what it offers."""

    nodes: tuple[str, ...]
    fibres: tuple[str, ...]
    length_km: float
    hops: int
    spans: int
    free_channels: frozenset[int]
    energy_kwh_per_gb: float
    power_w: float
    mode: str | None
    reach_ok: bool
    line_rate_gbps: float
    #: O-E-O regeneration ROADMs needed with the longest-reach mode when not ``reach_ok``
    #: (empty when transparent); None when even that is impossible (one fibre too long)
    regen_at: tuple[str, ...] | None = ()
    #: the mode the energy figures refer to (``mode``, or the regenerated one)
    energy_mode: str = ""


def first_fit(free_channels: Iterable[int]) -> int | None:
    """Lowest free channel, or None when there is none.

    >>> first_fit({7, 3, 9}), first_fit(frozenset())
    (3, None)
    """
    return min(free_channels, default=None)


def roadm_of(graph: nx.Graph, node: str) -> str:
    """The ROADM a node is (or is attached to); :class:`InputError` if unknown."""
    if node not in graph:
        raise InputError("paths", "node", node, "expected a node of the network")
    data = graph.nodes[node]
    if data.get("kind") == "roadm":
        return node
    roadm = data.get("roadm")
    if not isinstance(roadm, str):
        raise InputError("paths", "node", node, "expected a ROADM, site or transponder")
    return roadm


def best_mode(
    modes: Sequence[TransceiverMode], length_km: float
) -> tuple[TransceiverMode | None, TransceiverMode]:
    """(best feasible mode or None, mode used for energy) for a path of ``length_km``.

    >>> from topology.model import DEFAULT_MODES
    >>> [m.name if m else None for m in (best_mode(DEFAULT_MODES, 2000.0)[0],
    ...                                  best_mode(DEFAULT_MODES, 20000.0)[0])]
    ['dp-qpsk-100g', None]
    """
    if not modes:
        raise InputError("paths", "reach_table", (), "expected at least one mode")
    feasible = [m for m in modes if m.reach_km >= length_km]
    fallback = max(modes, key=lambda m: (m.reach_km, m.line_rate_gbps))
    if not feasible:
        return None, fallback
    best = max(feasible, key=lambda m: (m.line_rate_gbps, -m.power_w / m.line_rate_gbps))
    return best, best


def regeneration_points(
    lengths_km: Sequence[float], nodes: Sequence[str], reach_km: float
) -> tuple[str, ...] | None:
    """Intermediate ROADMs where a signal must be regenerated (greedy, farthest first).

    ``lengths_km[i]`` is the fibre between ``nodes[i]`` and ``nodes[i + 1]``. None when
    one fibre alone exceeds the reach.

    >>> regeneration_points([5000, 5000, 5000], ["a", "b", "c", "d"], 12000)
    ('c',)
    >>> regeneration_points([13000], ["a", "b"], 12000) is None
    True
    """
    points: list[str] = []
    run = 0.0
    for i, length in enumerate(lengths_km):
        if length > reach_km:
            return None
        if run + length > reach_km:
            points.append(nodes[i])
            run = 0.0
        run += length
    return tuple(points)


def _translucent(
    nodes: tuple[str, ...], lengths: list[float], modes: Sequence[TransceiverMode], line_w: float
) -> tuple[TransceiverMode, float, tuple[str, ...] | None]:
    """Best regenerated option: highest rate, then lowest power; fallback if none is possible."""
    best: tuple[TransceiverMode, float, tuple[str, ...]] | None = None
    for m in modes:
        regen = regeneration_points(lengths, nodes, m.reach_km)
        if regen is None:
            continue
        power = line_w + 2 * m.power_w * (1 + len(regen))
        if best is None or (m.line_rate_gbps, -power) > (best[0].line_rate_gbps, -best[1]):
            best = (m, power, regen)
    if best is None:
        fallback = best_mode(modes, float("inf"))[1]
        return fallback, line_w + 2 * fallback.power_w, None
    return best


def _end_modes(graph: nx.Graph, roadm: str) -> dict[str, TransceiverMode]:
    out: dict[str, TransceiverMode] = {}
    for n in graph.neighbors(roadm):
        d = graph.nodes[n]
        if d.get("kind") == "transponder":
            out.update({m.name: m for m in d["modes"]})
    return out


def _modes_for(
    graph: nx.Graph, src: str, dst: str, reach_table: Sequence[TransceiverMode] | None
) -> tuple[TransceiverMode, ...]:
    if reach_table is not None:
        return tuple(reach_table)
    a, b = _end_modes(graph, src), _end_modes(graph, dst)
    common = tuple(m for name, m in a.items() if name in b)
    if common:
        return common
    energy: EnergyParams = graph.graph.get("energy", EnergyParams())
    return energy.modes


def _describe(
    graph: nx.Graph, nodes: tuple[str, ...], modes: Sequence[TransceiverMode]
) -> CandidatePath:
    edges = [graph.edges[u, v] for u, v in pairwise(nodes)]
    length = float(sum(e["length_km"] for e in edges))
    free = (
        frozenset.intersection(*(e["free"] for e in edges))
        if edges
        else frozenset(range(roadm_channels(graph, nodes[0])))
    )
    feasible, used = best_mode(modes, length)
    parts = lightpath_power_breakdown_w(graph, nodes, used)
    line_w = parts["amplifiers"] + parts["roadms"]  # the same for every mode
    power = line_w + parts["transponders"]
    regen: tuple[str, ...] | None = ()
    if feasible is None:
        lengths = [e["length_km"] for e in edges]
        used, power, regen = _translucent(nodes, lengths, modes, line_w)
    return CandidatePath(
        nodes=nodes,
        fibres=tuple(e["id"] for e in edges),
        length_km=length,
        hops=len(edges),
        spans=sum(int(e["spans"]) for e in edges),
        free_channels=free,
        energy_kwh_per_gb=power * 8.0 / used.line_rate_gbps / J_PER_KWH,
        power_w=power,
        mode=feasible.name if feasible else None,
        reach_ok=feasible is not None,
        line_rate_gbps=used.line_rate_gbps,
        regen_at=regen,
        energy_mode=used.name,
    )


def candidate_paths(
    graph: nx.Graph,
    source: str,
    target: str,
    k: int = 5,
    reach_table: Sequence[TransceiverMode] | None = None,
) -> tuple[CandidatePath, ...]:
    """Up to ``k`` loop-free paths from ``source`` to ``target``, shortest first.

    ``reach_table`` (modes) defaults to the modes the transponders at both ends
    share, else the network's ``EnergyParams.modes``. Returns ``()`` when the
    ROADMs are disconnected; a one-node path (no fibre) when both ends attach
    to the same ROADM.
    """
    if k < 1:
        raise InputError("paths", "k", k, "expected k >= 1")
    src, dst = roadm_of(graph, source), roadm_of(graph, target)
    modes = _modes_for(graph, src, dst, reach_table)
    if src == dst:
        return (_describe(graph, (src,), modes),)
    sub = nx.Graph(fibre_graph(graph))  # a concrete copy: Yen on a view is ~2x slower
    try:
        routes = list(islice(nx.shortest_simple_paths(sub, src, dst, weight="length_km"), k))
    except nx.NetworkXNoPath:
        return ()
    return tuple(_describe(graph, tuple(r), modes) for r in routes)
