"""GNPy network JSON (``elements`` + ``connections``) → :class:`Inventory` (pure).

GNPy describes each *direction* of a link as a chain of elements joined by
directed connections: ``Roadm → [Edfa] → Fiber → (Edfa|Fused → Fiber)* →
[Edfa] → Roadm``. We walk every chain leaving a ROADM until the next ROADM and
merge the two directions of a ROADM pair into one bidirectional
:class:`Fibre`: length and spans from the first direction found, in-line
amplifiers = Edfas not adjacent to a ROADM (boosters and pre-amps are part of
the ROADM). When the file lists amplifiers, every Fiber element is one span.
When it lists none (CORONET: GNPy's auto-design adds them), each link gets
``ceil(length / 80 km)`` spans and ``spans - 1`` amplifiers (approximate).
``Transceiver`` elements become transponders on their ROADM.

Element types understood: Roadm, Transceiver, Fiber, RamanFiber, Edfa,
Multiband_amplifier, Fused. Anything else is an error (unknown element type).

>>> doc = {"elements": [
...   {"uid": "roadm A", "type": "Roadm"}, {"uid": "roadm B", "type": "Roadm"},
...   {"uid": "f1", "type": "Fiber", "params": {"length": 120, "length_units": "km"}},
...   {"uid": "f2", "type": "Fiber", "params": {"length": 120, "length_units": "km"}}],
...  "connections": [{"from_node": "roadm A", "to_node": "f1"},
...                  {"from_node": "f1", "to_node": "roadm B"},
...                  {"from_node": "roadm B", "to_node": "f2"},
...                  {"from_node": "f2", "to_node": "roadm A"}]}
>>> inv = parse_gnpy(doc, "x.json")
>>> [(f.a, f.b, f.length_km, f.spans, f.amplifiers) for f in inv.fibres], inv.source_links
([('roadm A', 'roadm B', 120.0, 2, 1)], 2)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from topology.errors import InputError
from topology.io_common import derive_spans, field_float, field_str, require_keys
from topology.model import Amplifier, Fibre, Inventory, Roadm, Transponder
from topology.validate import check

__all__ = ["is_gnpy", "parse_gnpy"]

_FIBRE_TYPES = {"Fiber", "RamanFiber"}
_AMP_TYPES = {"Edfa", "Multiband_amplifier"}
_KNOWN = {"Roadm", "Transceiver", "Fused"} | _FIBRE_TYPES | _AMP_TYPES


def is_gnpy(doc: Any) -> bool:
    """Whether a parsed document looks like GNPy network JSON."""
    return isinstance(doc, Mapping) and "elements" in doc and "connections" in doc


@dataclass(frozen=True)
class _Chain:
    a: str
    b: str
    first_fibre: str
    length_km: float
    fibres: int
    inline_amps: tuple[tuple[str, float], ...]


def _elements(doc: Mapping[str, Any], source: str) -> dict[str, Mapping[str, Any]]:
    els = doc["elements"]
    if not isinstance(els, list):
        raise InputError(source, "elements", els, "expected a list")
    out: dict[str, Mapping[str, Any]] = {}
    for i, e in enumerate(els):
        if not isinstance(e, Mapping):
            raise InputError(source, f"elements[{i}]", e, "expected an object")
        uid = field_str(e, "uid", source, f"elements[{i}]")
        if uid in out:
            raise InputError(source, f"elements[{uid}].uid", uid, "expected a unique uid")
        etype = e.get("type")
        if etype not in _KNOWN:
            raise InputError(
                source, f"elements[{uid}].type", etype, f"expected one of {sorted(_KNOWN)}"
            )
        out[uid] = e
    return out


def _length_km(e: Mapping[str, Any], uid: str, source: str) -> float:
    params = e.get("params")
    if not isinstance(params, Mapping):
        raise InputError(source, f"elements[{uid}].params", params, "expected an object")
    length = field_float(params, "length", source, f"elements[{uid}].params")
    units = params.get("length_units", "km")
    if units not in ("km", "m"):
        raise InputError(source, f"elements[{uid}].params.length_units", units, "expected km or m")
    if length < 0:
        raise InputError(source, f"elements[{uid}].params.length", length, "expected >= 0")
    return length / 1000.0 if units == "m" else length


def _successors(
    doc: Mapping[str, Any], els: Mapping[str, Any], source: str
) -> dict[str, list[str]]:
    conns = doc["connections"]
    if not isinstance(conns, list):
        raise InputError(source, "connections", conns, "expected a list")
    succ: dict[str, list[str]] = defaultdict(list)
    for i, c in enumerate(conns):
        c = require_keys(c, {"from_node", "to_node"}, source, f"connections[{i}]")
        for key in ("from_node", "to_node"):
            node = c.get(key)
            if node not in els:
                raise InputError(source, f"connections[{i}].{key}", node, "expected an element uid")
        succ[c["from_node"]].append(c["to_node"])
    return succ


def _walk(
    start: str, first: str, els: Mapping[str, Any], succ: Mapping[str, list[str]], source: str
) -> _Chain | None:
    path = [first]
    node = first
    while els[node]["type"] not in ("Roadm", "Transceiver"):
        nxt = succ.get(node, [])
        if len(nxt) != 1:
            raise InputError(
                source, f"connections[{node}]", nxt, "expected exactly one successor in a link"
            )
        node = nxt[0]
        if node in path:
            raise InputError(source, f"connections[{node}]", node, "expected no loop in a link")
        path.append(node)
    if els[node]["type"] != "Roadm" or node == start:
        return None
    inner = path[:-1]
    fibres = [u for u in inner if els[u]["type"] in _FIBRE_TYPES]
    if not fibres:
        return None  # e.g. a ROADM→ROADM express connection with no fibre
    amps = tuple(
        (u, float(els[u].get("operational", {}).get("gain_target") or 20.0))
        for j, u in enumerate(inner)
        if els[u]["type"] in _AMP_TYPES and 0 < j < len(inner) - 1
    )
    length = sum(_length_km(els[u], u, source) for u in fibres)
    return _Chain(start, node, fibres[0], length, len(fibres), amps)


def _name(doc: Mapping[str, Any], source: str) -> str:
    meta = doc.get("metadata")
    if isinstance(meta, Mapping) and isinstance(meta.get("name"), str):
        return str(meta["name"])
    return source


def parse_gnpy(doc: Any, source: str) -> Inventory:
    """An :class:`Inventory` from a parsed GNPy network document (validated)."""
    if not is_gnpy(doc):
        raise InputError(source, "elements", None, "expected GNPy 'elements' and 'connections'")
    els = _elements(doc, source)
    succ = _successors(doc, els, source)
    chains: list[_Chain] = []
    for uid, e in els.items():
        if e["type"] == "Roadm":
            for nxt in succ.get(uid, []):
                ch = _walk(uid, nxt, els, succ, source)
                if ch is not None:
                    chains.append(ch)
    merged: dict[frozenset[str], _Chain] = {}
    for ch in chains:  # one Fibre per ROADM pair: first direction seen, shortest parallel
        key = frozenset((ch.a, ch.b))
        cur = merged.get(key)
        if cur is None or ((cur.a, cur.b) == (ch.a, ch.b) and ch.length_km < cur.length_km):
            merged[key] = ch
    fibres: list[Fibre] = []
    amps: list[Amplifier] = []
    explicit = any(e["type"] in _AMP_TYPES for e in els.values())
    for ch in merged.values():
        if explicit:  # the file lays out its amplifiers: one span per Fiber element
            spans, n_amps = ch.fibres, len(ch.inline_amps)
        else:  # GNPy would auto-design amplifiers; approximate its layout
            spans = max(derive_spans(ch.length_km)[0], ch.fibres)
            n_amps = spans - 1
        fibres.append(Fibre(ch.first_fibre, ch.a, ch.b, round(ch.length_km, 6), spans, n_amps))
        amps.extend(Amplifier(u, ch.first_fibre, gain) for u, gain in ch.inline_amps)
    roadm_ids = [u for u, e in els.items() if e["type"] == "Roadm"]
    roadms = []
    for u in roadm_ids:
        loc = els[u].get("metadata", {}).get("location", {}) or {}
        roadms.append(
            Roadm(
                id=u,
                degrees=tuple(f.id for f in fibres if u in (f.a, f.b)),
                name=str(loc.get("city") or u),
                region=str(loc.get("region") or ""),
                lat=loc.get("latitude"),
                lon=loc.get("longitude"),
            )
        )
    pred_roadm: dict[str, str] = {}
    for u, nxts in succ.items():
        for v in nxts:
            if els[u]["type"] == "Transceiver" and els[v]["type"] == "Roadm":
                pred_roadm.setdefault(u, v)
            if els[u]["type"] == "Roadm" and els[v]["type"] == "Transceiver":
                pred_roadm.setdefault(v, u)
    trx = tuple(
        Transponder(u, pred_roadm[u])
        for u, e in els.items()
        if e["type"] == "Transceiver" and u in pred_roadm
    )
    inv = Inventory(
        name=_name(doc, source),
        roadms=tuple(roadms),
        transponders=trx,
        amplifiers=tuple(amps),
        fibres=tuple(fibres),
        directed_source=True,
        source_links=len(chains),
    )
    return check(inv, source)
