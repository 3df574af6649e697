"""``fsor topology``: inspect and export a network model.

``fsor topology show SOURCE [--json]`` prints counts of nodes by kind, links,
total fibre km, channels per link and free channels. ``fsor topology export
SOURCE --format rfc8345 -o FILE`` writes RFC 8345 JSON. SOURCE is a file
(fsor JSON/YAML, GNPy JSON, node-link JSON), a named network
(``gnpy:coronet-global``, ``topohub:sndlib/polska``) or ``default``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import networkx as nx

from topology import build, load_source, to_rfc8345
from topology.errors import InputError
from topology.model import Inventory

__all__ = ["register", "summary"]

log = logging.getLogger("fsor.topology")


def _connected(graph: nx.Graph) -> bool:
    """Whether ROADMs, transponders and sites form one component (amplifiers sit on fibres)."""
    core = graph.subgraph(n for n, k in graph.nodes(data="kind") if k != "amplifier")
    return core.number_of_nodes() > 0 and bool(nx.is_connected(core))


def summary(inventory: Inventory, graph: nx.Graph) -> dict[str, Any]:
    """The ``show`` document of a built network."""
    kinds = Counter(k for _, k in graph.nodes(data="kind"))
    fibres = [d for _, _, d in graph.edges(data=True) if d.get("kind") == "fibre"]
    channels = sorted({int(d["channels"]) for d in fibres})
    return {
        "name": inventory.name,
        "nodes": {k: kinds.get(k, 0) for k in ("roadm", "transponder", "amplifier", "site")},
        "links": len(fibres),
        "directed": False,
        "source_links": inventory.source_links
        if inventory.source_links is not None
        else len(fibres),
        "source_directed": inventory.directed_source,
        "links_note": "links = bidirectional fibre pairs between ROADMs; source_links = links "
        "as the source file counts them (source_directed: one per direction)",
        "fibre_km": round(sum(float(d["length_km"]) for d in fibres), 3),
        "spans": sum(int(d["spans"]) for d in fibres),
        "line_amplifiers": sum(int(d["amplifiers"]) for d in fibres),
        "channels_per_link": channels[0]
        if len(channels) == 1
        else (channels[-1] if channels else 0),
        "channels_per_link_varies": len(channels) > 1,
        "channel_slots": sum(int(d["channels"]) for d in fibres),
        "free_channels": sum(len(d["free"]) for d in fibres),
        "sites": [s.id for s in inventory.sites],
        "demands": len(inventory.demands),
        "connected": _connected(graph),
    }


def _show(args: argparse.Namespace) -> int:
    inv = load_source(args.source)
    doc = summary(inv, build(inv))
    if args.json:
        print(json.dumps(doc))
        return 0
    nodes = ", ".join(f"{v} {k}" for k, v in doc["nodes"].items())
    print(f"network {doc['name']}: {nodes}")
    print(
        f"links: {doc['links']} bidirectional fibre pairs "
        f"({doc['source_links']} {'directed' if doc['source_directed'] else 'undirected'} "
        "in the source)"
    )
    print(f"fibre: {doc['fibre_km']} km, {doc['spans']} spans, {doc['line_amplifiers']} amplifiers")
    print(
        f"channels per link: {doc['channels_per_link']}; free channel slots: "
        f"{doc['free_channels']} of {doc['channel_slots']}"
    )
    print(f"sites: {', '.join(doc['sites']) or '-'}; demands: {doc['demands']}")
    return 0


def _export(args: argparse.Namespace) -> int:
    if args.format != "rfc8345":
        raise InputError("argv", "--format", args.format, "expected rfc8345")
    inv = load_source(args.source)
    doc = to_rfc8345(inv)
    text = json.dumps(doc, indent=1) + "\n"
    if args.output == "-":
        sys.stdout.write(text)
    else:
        try:
            Path(args.output).write_text(text)
        except OSError as exc:
            raise InputError(
                args.output, "-o", args.output, f"expected a writable path ({exc})"
            ) from None
        log.info("wrote %s", args.output)
    return 0


def register(subparsers: Any) -> None:
    """Add ``fsor topology {show,export}``."""
    p = subparsers.add_parser("topology", help="inspect or export a network model")
    sub = p.add_subparsers(dest="topology_command", metavar="ACTION", required=True)
    show = sub.add_parser("show", help="summary of a network (counts, km, channels)")
    show.add_argument("source", metavar="SOURCE", help="file, named network or 'default'")
    show.add_argument("--json", action="store_true", help="print one JSON document")
    show.set_defaults(handler=_show)
    exp = sub.add_parser("export", help="export a network (RFC 8345 JSON)")
    exp.add_argument("source", metavar="SOURCE", help="file, named network or 'default'")
    exp.add_argument("--format", default="rfc8345", choices=["rfc8345"], help="output format")
    exp.add_argument("-o", "--output", required=True, help="output file ('-' for stdout)")
    exp.set_defaults(handler=_export)
