"""Energy of lightpaths: power of a lit lightpath and energy to move data over it.

Model (see ``docs/model.md``, "Network model and energy")::

    P(path, mode) = 2 * P_tp(mode)                                 transponder pair
                  + sum_f  sum_{amp on f} P_amp * s_f               in-line amplifiers
                  + sum_r  2 * (P_base/deg(r) + P_deg) * s_r        ROADM passes
    E(V GB)       = P * (8 V / R_mode) / 3.6e6   kWh

with ``s = 1 / channels`` when ``EnergyParams.share_line_equipment`` (line
equipment is shared by all channels of the fibre; a lightpath is charged its
share) and ``s = 1`` otherwise. Each ROADM on the path uses two ports
(add/drop + line at the ends, line + line in transit), each charged one
degree's share of the node.

>>> from topology.model import Fibre, Inventory, Roadm
>>> from topology.build import build
>>> inv = Inventory("two", (Roadm("r1"), Roadm("r2")),
...                 fibres=(Fibre("f1", "r1", "r2", 160.0, 2, 1),))
>>> g = build(inv)
>>> m = inv.energy.mode("dp-qpsk-100g")
>>> # 2 * 259.633 + 1 * 110/96 + 2 ROADMs * 2 ports * (150/1 + 85)/96
>>> round(lightpath_power_w(g, ("r1", "r2"), m), 3)
530.203
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import networkx as nx

from topology.build import build
from topology.errors import InputError
from topology.model import EnergyParams, Inventory, TransceiverMode

__all__ = [
    "J_PER_KWH",
    "energy_kwh_per_gb",
    "lightpath_power_breakdown_w",
    "lightpath_power_w",
    "resolve_mode",
    "transfer_energy_kwh",
]

J_PER_KWH = 3.6e6
_DEFAULT_CHANNELS = 96


def _graph(g: nx.Graph | Inventory) -> nx.Graph:
    return build(g) if isinstance(g, Inventory) else g


def resolve_mode(graph: nx.Graph, mode: TransceiverMode | str) -> TransceiverMode:
    """A mode object from a name (looked up in the graph's modes) or the object itself."""
    if isinstance(mode, TransceiverMode):
        return mode
    energy: EnergyParams = graph.graph.get("energy", EnergyParams())
    return energy.mode(mode)


def roadm_channels(graph: nx.Graph, node: str) -> int:
    """Channels of the widest grid among the fibres of ROADM ``node`` (96 if it has none)."""
    counts = [
        int(d["channels"]) for _, _, d in graph.edges(node, data=True) if d.get("kind") == "fibre"
    ]
    return max(counts) if counts else _DEFAULT_CHANNELS


def _check_path(graph: nx.Graph, nodes: Sequence[str]) -> None:
    if not nodes:
        raise InputError("path", "nodes", list(nodes), "expected at least one ROADM")
    for n in nodes:
        if graph.nodes.get(n, {}).get("kind") != "roadm":
            raise InputError("path", "nodes", n, "expected the id of a ROADM in the graph")
    for u, v in itertools.pairwise(nodes):
        if graph.get_edge_data(u, v, {}).get("kind") != "fibre":
            raise InputError("path", "nodes", f"{u}->{v}", "expected a fibre between them")


def lightpath_power_breakdown_w(
    graph: nx.Graph | Inventory, path_nodes: Sequence[str], mode: TransceiverMode | str
) -> dict[str, float]:
    """Power of a lit lightpath split into transponders, amplifiers and ROADMs (W)."""
    g = _graph(graph)
    m = resolve_mode(g, mode)
    _check_path(g, path_nodes)
    energy: EnergyParams = g.graph.get("energy", EnergyParams())
    share = energy.share_line_equipment
    amp_w = 0.0
    for u, v in itertools.pairwise(path_nodes):
        d = g.edges[u, v]
        explicit = [g.nodes[a].get("power_w") for a in d["amplifier_ids"]]
        total = sum(p if p is not None else energy.amplifier_w for p in explicit)
        total += (d["amplifiers"] - len(explicit)) * energy.amplifier_w
        amp_w += total / d["channels"] if share else total
    roadm_w = 0.0
    for r in path_nodes:
        deg = max(1, int(g.nodes[r].get("degree", 1)))
        per_port = energy.roadm_base_w / deg + energy.roadm_degree_w
        roadm_w += 2 * per_port / (roadm_channels(g, r) if share else 1)
    return {"transponders": 2 * m.power_w, "amplifiers": amp_w, "roadms": roadm_w}


def lightpath_power_w(
    graph: nx.Graph | Inventory, path_nodes: Sequence[str], mode: TransceiverMode | str
) -> float:
    """Power (W) of one lit lightpath along ROADMs ``path_nodes`` in ``mode``."""
    return sum(lightpath_power_breakdown_w(graph, path_nodes, mode).values())


def energy_kwh_per_gb(
    graph: nx.Graph | Inventory, path_nodes: Sequence[str], mode: TransceiverMode | str
) -> float:
    """Energy (kWh) to move one GB (10^9 bytes) over the lightpath at line rate."""
    g = _graph(graph)
    m = resolve_mode(g, mode)
    seconds_per_gb = 8.0 / m.line_rate_gbps
    return lightpath_power_w(g, path_nodes, m) * seconds_per_gb / J_PER_KWH


def transfer_energy_kwh(
    graph: nx.Graph | Inventory,
    path_nodes: Sequence[str],
    volume_gb: float,
    mode: TransceiverMode | str,
) -> float:
    """Energy (kWh) to move ``volume_gb`` GB: lightpath power for ``8 V / rate`` seconds.

    >>> from topology.model import Inventory, Roadm
    >>> inv = Inventory("one", (Roadm("r1"),))
    >>> # 1000 GB at 100 Gb/s = 80 s; P = 2 * 259.633 + 2 * (150/1 + 85)/96 W; in joules:
    >>> round(transfer_energy_kwh(inv, ("r1",), 1000.0, "dp-qpsk-100g") * 3.6e6, 1)
    41932.9
    """
    if not (volume_gb >= 0):
        raise InputError("transfer", "volume_gb", volume_gb, "expected a volume >= 0 GB")
    return volume_gb * energy_kwh_per_gb(graph, path_nodes, mode)
