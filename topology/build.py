"""One pure function from an :class:`~topology.model.Inventory` to a networkx graph.

The graph is an undirected :class:`networkx.Graph` (fibres are bidirectional
pairs; a lightpath uses one channel both ways). Node keys are the element ids.

Nodes carry ``kind`` in ``{"roadm", "transponder", "amplifier", "site"}``:

* ``roadm``: ``name``, ``region``, ``lat``, ``lon``, ``add_drop_ports``, ``degree``
* ``transponder``: ``roadm``, ``line_ports``, ``modes``, ``freq_range_thz``;
  one edge to its ROADM with ``kind="add-drop"``
* ``site``: ``roadm``, ``region``, ``pue``, ``wue_l_per_kwh``, ``power_cap_kw``,
  ``water_cap_l_per_day``; one edge to its ROADM with ``kind="access"``
* ``amplifier``: ``fibre``, ``gain_db``, ``power_w``; no edges (it sits *on* a
  fibre; the fibre edge lists it in ``amplifier_ids``)

ROADM-ROADM edges have ``kind="fibre"`` and ``id``, ``length_km``, ``spans``,
``amplifiers``, ``amplifier_ids``, ``grid``, ``channels``, ``occupied``, ``free``,
``a``, ``b``. Graph attributes: ``name``, ``energy`` (EnergyParams), ``modes``,
``directed_source``, ``source_links``.

>>> from topology.model import Fibre, Inventory, Roadm, Site
>>> inv = Inventory("two", (Roadm("r1"), Roadm("r2")),
...                 sites=(Site("dc1", "r1", "DE"),),
...                 fibres=(Fibre("f1", "r1", "r2", 120.0, 2, 1),))
>>> g = build(inv)
>>> sorted(g.nodes), g.edges["r1", "r2"]["length_km"], len(g.edges["r1", "r2"]["free"])
(['dc1', 'r1', 'r2'], 120.0, 96)
"""

from __future__ import annotations

from collections import defaultdict

import networkx as nx

from topology.model import Inventory
from topology.validate import check

__all__ = ["build", "fibre_graph"]


def build(inventory: Inventory) -> nx.Graph:
    """Build the network graph of ``inventory`` (validated first; pure)."""
    inv = check(inventory)
    g = nx.Graph(
        name=inv.name,
        energy=inv.energy,
        modes=inv.energy.modes,
        directed_source=inv.directed_source,
        source_links=inv.source_links if inv.source_links is not None else len(inv.fibres),
    )
    degree: dict[str, int] = defaultdict(int)
    for f in inv.fibres:
        degree[f.a] += 1
        degree[f.b] += 1
    for r in inv.roadms:
        g.add_node(
            r.id,
            kind="roadm",
            name=r.name or r.id,
            region=r.region,
            lat=r.lat,
            lon=r.lon,
            add_drop_ports=r.add_drop_ports,
            degree=degree[r.id],
        )
    amps: dict[str, list[str]] = defaultdict(list)
    for a in inv.amplifiers:
        amps[a.fibre].append(a.id)
        g.add_node(
            a.id,
            kind="amplifier",
            fibre=a.fibre,
            gain_db=a.gain_db,
            power_w=a.power_w,
            position_km=a.position_km,
        )
    for f in inv.fibres:
        g.add_edge(
            f.a,
            f.b,
            kind="fibre",
            id=f.id,
            a=f.a,
            b=f.b,
            length_km=float(f.length_km),
            spans=f.spans,
            amplifiers=f.amplifiers,
            amplifier_ids=tuple(amps[f.id]),
            grid=f.grid,
            channels=f.grid.count,
            occupied=f.occupied,
            free=f.free,
        )
    for t in inv.transponders:
        g.add_node(
            t.id,
            kind="transponder",
            roadm=t.roadm,
            line_ports=t.line_ports,
            modes=t.modes or inv.energy.modes,
            freq_range_thz=t.freq_range_thz,
        )
        g.add_edge(t.id, t.roadm, kind="add-drop")
    for s in inv.sites:
        g.add_node(
            s.id,
            kind="site",
            roadm=s.roadm,
            region=s.region,
            name=s.name or s.id,
            pue=s.pue,
            wue_l_per_kwh=s.wue_l_per_kwh,
            power_cap_kw=s.power_cap_kw,
            water_cap_l_per_day=s.water_cap_l_per_day,
        )
        g.add_edge(s.id, s.roadm, kind="access")
    return g


def fibre_graph(graph: nx.Graph) -> nx.Graph:
    """The read-only subgraph view of ROADMs and the fibres between them."""
    roadms = [n for n, k in graph.nodes(data="kind") if k == "roadm"]
    return graph.subgraph(roadms)
