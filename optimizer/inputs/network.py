"""Adapter from topology/ to the plain network data the program needs.

The program sees, per (origin ROADM, site) pair, a few candidate routes with
their fibres and transfer energy per GB, and per fibre the channels that are
free. :func:`network_data` derives that from a :func:`topology.build.build`
graph with :func:`topology.paths.candidate_paths`; :class:`NetworkData` can
also be written by hand (tests, synthetic benchmarks).

>>> from topology.model import ChannelGrid, Fibre, Inventory, Roadm, Site
>>> from topology.build import build
>>> grid = ChannelGrid(count=4)
>>> inv = Inventory("tri", (Roadm("a"), Roadm("b"), Roadm("c")),
...     sites=(Site("dc", "c", "DE"),),
...     fibres=(Fibre("ab", "a", "b", 100.0, 2, 1, grid, frozenset({0})),
...             Fibre("bc", "b", "c", 100.0, 2, 1, grid),
...             Fibre("ac", "a", "c", 500.0, 7, 6, grid)))
>>> net = network_data(build(inv), origins=["a"], sites=["dc"], k=2)
>>> [r.fibres for r in net.routes[("a", "dc")]]
[('ab', 'bc'), ('ac',)]
>>> sorted(net.free["ab"]), net.channels
([1, 2, 3], 4)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import networkx as nx

from topology.errors import InputError

__all__ = ["NetworkData", "Route", "network_data"]


@dataclass(frozen=True)
class Route:
    """One candidate route between an origin ROADM and a site's ROADM."""

    nodes: tuple[str, ...]
    fibres: tuple[str, ...]
    energy_kwh_per_gb: float
    length_km: float = 0.0
    mode: str | None = None
    power_w: float = 0.0
    regenerators: tuple[str, ...] = ()


@dataclass(frozen=True)
class NetworkData:
    """Everything about the network the program reads.

    Attributes
    ----------
    routes : (origin ROADM, site id) -> candidate routes, cheapest first. A
        missing key or an empty tuple means the site is unreachable from that
        origin; an origin at the site's own ROADM needs no route.
    free : fibre id -> channels free on it (before any plan).
    channels : channels per fibre (grid size).
    frequency_thz : centre frequency of each channel.
    roadm_of : node id (ROADM, site, transponder) -> its ROADM.
    transponders : ROADM -> transponder ids attached to it (for reporting).
    """

    routes: Mapping[tuple[str, str], tuple[Route, ...]]
    free: Mapping[str, frozenset[int]]
    channels: int
    frequency_thz: tuple[float, ...]
    roadm_of: Mapping[str, str] = field(default_factory=dict)
    transponders: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def roadm(self, node: str) -> str:
        """The ROADM of ``node`` (the node itself when it is not listed)."""
        return self.roadm_of.get(node, node)


def _grid_of(graph: nx.Graph) -> tuple[int, tuple[float, ...]]:
    for _, _, d in graph.edges(data=True):
        if d.get("kind") == "fibre":
            grid = d["grid"]
            return int(grid.count), tuple(grid.frequency_thz(c) for c in range(grid.count))
    return 96, tuple(round(191.35 + 0.05 * c, 6) for c in range(96))


def network_data(
    graph: nx.Graph, origins: Iterable[str], sites: Iterable[str], k: int = 3
) -> NetworkData:
    """Candidate routes (k shortest, reach-feasible) from every origin to every site.

    A route no transceiver mode reaches is used translucently, with O-E-O
    regeneration where :func:`topology.paths.candidate_paths` places it
    (``regen_at``; its energy includes the extra transponder pairs); channel
    continuity is still kept end to end (conservative). Routes are ordered by
    transfer energy per GB.
    """
    from topology.paths import candidate_paths, roadm_of

    site_ids = list(dict.fromkeys(sites))
    origin_ids = list(dict.fromkeys(origins))
    rmap: dict[str, str] = {}
    for n in (*site_ids, *origin_ids):
        if n not in graph:
            raise InputError("network", "node", n, "expected a node of the network")
        rmap[n] = roadm_of(graph, n)
    routes: dict[tuple[str, str], tuple[Route, ...]] = {}
    for o in dict.fromkeys(rmap[x] for x in origin_ids):
        for s in site_ids:
            if rmap[s] == o:
                continue
            found: list[Route] = []
            for p in candidate_paths(graph, o, rmap[s], k=k):
                if p.reach_ok:
                    found.append(
                        Route(
                            p.nodes, p.fibres, p.energy_kwh_per_gb, p.length_km, p.mode, p.power_w
                        )
                    )
                elif p.regen_at is not None:
                    found.append(
                        Route(
                            p.nodes,
                            p.fibres,
                            p.energy_kwh_per_gb,
                            p.length_km,
                            p.energy_mode,
                            p.power_w,
                            tuple(p.regen_at),
                        )
                    )
            routes[(o, s)] = tuple(sorted(found, key=lambda r: r.energy_kwh_per_gb))
    free: dict[str, frozenset[int]] = {}
    for _, _, d in graph.edges(data=True):
        if d.get("kind") == "fibre":
            free[d["id"]] = frozenset(d["free"])
    tps: dict[str, list[str]] = {}
    for n, d in graph.nodes(data=True):
        if d.get("kind") == "transponder":
            tps.setdefault(d["roadm"], []).append(n)
    count, freqs = _grid_of(graph)
    return NetworkData(
        routes=routes,
        free=free,
        channels=count,
        frequency_thz=freqs,
        roadm_of=rmap,
        transponders={r: tuple(sorted(v)) for r, v in tps.items()},
    )
