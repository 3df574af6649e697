"""topohub / networkx node-link JSON → :class:`Inventory` (pure).

topohub (SNDlib, Topology Zoo, ... in networkx node-link form) gives nodes
with ``id``, ``name`` and ``pos`` (longitude, latitude) and undirected edges
with ``dist`` (km). Every node becomes a ROADM (id = its name when names are
unique, else ``n<id>``); every edge a bidirectional :class:`Fibre` with
``ceil(dist / 80 km)`` spans and ``spans - 1`` amplifiers. Parallel edges are
merged into one fibre (the shortest kept). ``graph.demands``
(``{src: {dst: value}}``, SNDlib units) become :class:`Demand` records.

>>> doc = {"directed": False, "multigraph": False, "graph": {"name": "t",
...        "demands": {0: {1: 5.0}}},
...        "nodes": [{"id": 0, "name": "A"}, {"id": 1, "name": "B"}],
...        "edges": [{"source": 0, "target": 1, "dist": 90.0}]}
>>> inv = parse_topohub(doc, "t.json")
>>> [(f.a, f.b, f.spans) for f in inv.fibres], [(d.source, d.target, d.value) for d in inv.demands]
([('A', 'B', 2)], [('A', 'B', 5.0)])
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from topology.errors import InputError
from topology.io_common import derive_spans, field_float
from topology.model import Demand, Fibre, Inventory, Roadm
from topology.validate import check

__all__ = ["is_topohub", "parse_topohub"]


def is_topohub(doc: Any) -> bool:
    """Whether a parsed document looks like networkx node-link JSON."""
    return (
        isinstance(doc, Mapping)
        and "nodes" in doc
        and ("edges" in doc or "links" in doc)
        and "roadms" not in doc
    )


def _node_ids(nodes: list[Any], source: str) -> dict[Any, str]:
    raw: list[Any] = []
    for i, n in enumerate(nodes):
        if not isinstance(n, Mapping) or "id" not in n:
            raise InputError(source, f"nodes[{i}].id", n, "expected a node object with an id")
        if n["id"] in raw:
            raise InputError(source, f"nodes[{n['id']}].id", n["id"], "expected a unique id")
        raw.append(n["id"])
    names = [n.get("name") for n in nodes]
    use_names = all(isinstance(x, str) and x for x in names) and len(set(names)) == len(names)
    if use_names:
        return {n["id"]: str(n["name"]) for n in nodes}
    return {n["id"]: n["id"] if isinstance(n["id"], str) else f"n{n['id']}" for n in nodes}


def _roadm(n: Mapping[str, Any], rid: str) -> Roadm:
    pos = n.get("pos")
    lon = lat = None
    if isinstance(pos, list | tuple) and len(pos) == 2:
        lon, lat = float(pos[0]), float(pos[1])
    return Roadm(id=rid, name=str(n.get("name") or rid), lat=lat, lon=lon)


def _demands(graph: Any, ids: Mapping[Any, str], source: str) -> tuple[Demand, ...]:
    dem = graph.get("demands") if isinstance(graph, Mapping) else None
    if not dem:
        return ()
    if not isinstance(dem, Mapping):
        raise InputError(source, "graph.demands", dem, "expected {source: {target: value}}")
    lookup = {str(k): v for k, v in ids.items()}
    out = []
    for s, row in dem.items():
        if not isinstance(row, Mapping):
            raise InputError(source, f"graph.demands[{s}]", row, "expected {target: value}")
        for t, v in row.items():
            src, dst = lookup.get(str(s)), lookup.get(str(t))
            where = f"graph.demands[{s}][{t}]"
            if src is None or dst is None:
                raise InputError(source, where, (s, t), "expected node ids")
            value = field_float({"v": v}, "v", source, where)
            out.append(Demand(f"d-{src}-{dst}", src, dst, value, "sndlib"))
    return tuple(out)


def parse_topohub(doc: Any, source: str) -> Inventory:
    """An :class:`Inventory` from a parsed node-link document (validated)."""
    if not is_topohub(doc):
        raise InputError(source, "nodes", None, "expected node-link 'nodes' and 'edges'")
    nodes = doc["nodes"]
    edges = doc.get("edges", doc.get("links"))
    if not isinstance(nodes, list) or not isinstance(edges, list):
        raise InputError(source, "edges", type(edges).__name__, "expected lists of nodes and edges")
    ids = _node_ids(nodes, source)
    best: dict[frozenset[str], tuple[str, str, float]] = {}
    for i, e in enumerate(edges):
        if not isinstance(e, Mapping):
            raise InputError(source, f"edges[{i}]", e, "expected an object")
        for end in ("source", "target"):
            if e.get(end) not in ids:
                raise InputError(source, f"edges[{i}].{end}", e.get(end), "expected a node id")
        a, b = ids[e["source"]], ids[e["target"]]
        length = field_float(e, "dist", source, f"edges[{i}]")
        if length < 0:
            raise InputError(source, f"edges[{i}].dist", length, "expected a length >= 0 km")
        if a == b:
            continue  # self-loops carry no lightpaths
        key = frozenset((a, b))
        if key not in best or length < best[key][2]:
            best[key] = (a, b, length)
    fibres = []
    for a, b, length in best.values():
        spans, amps = derive_spans(length)
        fibres.append(Fibre(f"{a}--{b}", a, b, length, spans, amps))
    roadms = tuple(_with_degrees(_roadm(n, ids[n["id"]]), fibres) for n in nodes)
    graph = doc.get("graph", {})
    name = graph.get("name") if isinstance(graph, Mapping) else None
    inv = Inventory(
        name=str(name or source),
        roadms=roadms,
        fibres=tuple(fibres),
        demands=_demands(graph, ids, source),
        directed_source=bool(doc.get("directed", False)),
        source_links=len(edges),
    )
    return check(inv, source)


def _with_degrees(r: Roadm, fibres: list[Fibre]) -> Roadm:
    return replace(r, degrees=tuple(f.id for f in fibres if r.id in (f.a, f.b)))
