"""Exporter: :class:`Inventory` → RFC 8345 ``ietf-network`` / ``ietf-network-topology`` JSON.

RFC 8345 links are unidirectional, so every bidirectional fibre pair becomes
two links (``<fibre>/a-b`` and ``<fibre>/b-a``) between degree termination
points ``deg-<fibre>``; transponder and site attachments likewise become two
links each. Amplifiers are nodes without termination points (they sit on a
fibre; RFC 8345 has no notion of that). Only standard RFC 8345 nodes are used:
lengths, grids and energy are not representable there and are not exported.

>>> from topology.io import default_inventory
>>> doc = to_rfc8345(default_inventory())
>>> net = doc["ietf-network:networks"]["network"][0]
>>> len(net["node"]), len(net["ietf-network-topology:link"])
(22, 44)
"""

from __future__ import annotations

from typing import Any

from topology.model import Inventory

__all__ = ["to_rfc8345"]

_TP = "ietf-network-topology:termination-point"
_LINK = "ietf-network-topology:link"


def _link(lid: str, src: str, stp: str, dst: str, dtp: str) -> dict[str, Any]:
    return {
        "link-id": lid,
        "source": {"source-node": src, "source-tp": stp},
        "destination": {"dest-node": dst, "dest-tp": dtp},
    }


def _pair(lid: str, a: str, atp: str, b: str, btp: str) -> list[dict[str, Any]]:
    return [_link(f"{lid}/a-b", a, atp, b, btp), _link(f"{lid}/b-a", b, btp, a, atp)]


def to_rfc8345(inventory: Inventory) -> dict[str, Any]:
    """The RFC 8345 JSON document (one network) describing ``inventory``."""
    inv = inventory
    tps: dict[str, list[str]] = {r.id: [] for r in inv.roadms}
    links: list[dict[str, Any]] = []
    for f in inv.fibres:
        tp = f"deg-{f.id}"
        tps[f.a].append(tp)
        tps[f.b].append(tp)
        links += _pair(f.id, f.a, tp, f.b, tp)
    nodes: list[dict[str, Any]] = []
    for t in inv.transponders:
        tps[t.roadm].append(f"add-drop-{t.id}")
        nodes.append({"node-id": t.id, _TP: [{"tp-id": "line-1"}]})
        links += _pair(f"{t.id}-line", t.id, "line-1", t.roadm, f"add-drop-{t.id}")
    for s in inv.sites:
        tps[s.roadm].append(f"access-{s.id}")
        nodes.append({"node-id": s.id, _TP: [{"tp-id": "uplink"}]})
        links += _pair(f"{s.id}-access", s.id, "uplink", s.roadm, f"access-{s.id}")
    roadm_nodes = [
        {"node-id": r, _TP: [{"tp-id": tp} for tp in tp_ids]} for r, tp_ids in tps.items()
    ]
    amp_nodes = [{"node-id": a.id} for a in inv.amplifiers]
    return {
        "ietf-network:networks": {
            "network": [
                {
                    "network-id": inv.name,
                    "network-types": {},
                    "node": roadm_nodes + nodes + amp_nodes,
                    _LINK: links,
                }
            ]
        }
    }
