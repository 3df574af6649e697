"""``fsor lab``: bring containerlab topologies up as real NETCONF devices, without Docker.

``fsor lab up FILE [--backend netns|loopback] [--json]``, ``fsor lab down FILE``,
``fsor lab status FILE [--json]``, ``fsor lab inject FILE NODE EVENT TARGET`` and
``fsor lab generate SOURCE -o DIR``.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
from pathlib import Path
from typing import Any

__all__ = ["register"]

log = logging.getLogger("fsor.lab")


def _print_status(doc: dict[str, Any]) -> None:
    print(f"lab {doc['instance']} ({doc['file']}): backend {doc['backend']}, up={doc['up']}")
    if doc.get("metadata"):
        print(f"metadata: {doc['metadata']}")
    print(f"{'node':24} {'kind':9} {'role':12} {'address':22} {'pid':>8}  ready")
    for n in doc["nodes"]:
        addr = f"{n['host']}:{n['port']}"
        reason = f"  ({n['reason']})" if n.get("reason") else ""
        pid = n["pid"] if n["pid"] is not None else "-"
        print(
            f"{n['name']:24} {n['kind']:9} {n['role']:12} {addr:22} {pid:>8}  {n['ready']}{reason}"
        )


def _up(args: argparse.Namespace) -> int:
    from containerlab import runner

    status = runner.up(
        args.file,
        backend=args.backend,
        instance=args.name,
        mgmt_subnet=args.mgmt_subnet,
        timeout=args.timeout,
    )
    doc = status.to_json()
    if args.json:
        print(json.dumps(doc))
    else:
        _print_status(doc)
    return 0


def _down(args: argparse.Namespace) -> int:
    from containerlab import runner

    removed = runner.down(args.file, instance=args.name)
    if args.json:
        print(json.dumps({"removed": removed}))
    else:
        print("\n".join(removed) if removed else "nothing to remove")
    return 0


def _status(args: argparse.Namespace) -> int:
    from containerlab import runner

    status = runner.lab_status(args.file, instance=args.name, probe_nodes=not args.no_probe)
    doc = status.to_json()
    if args.json:
        print(json.dumps(doc))
    elif status.state_file is None:
        print(f"lab {status.instance} is not up")
    else:
        _print_status(doc)
    return 0


def _default_name(source: str) -> str:
    stem = source.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    stem = Path(stem).name.split(".")[0] if Path(source).exists() else stem
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-") or "lab"


def _generate(args: argparse.Namespace) -> int:
    from containerlab.generate import ORCA_NETCONFD_ROADMS, lab_from_inventory, write_lab
    from topology.io import load_source

    orca = args.source == "orca"  # defaults that reproduce the committed orca.clab.yml
    inv = load_source(args.source)
    if args.netconfd_roadms is not None:
        on_netconfd = tuple(x for x in args.netconfd_roadms.split(",") if x)
    else:
        on_netconfd = ORCA_NETCONFD_ROADMS if orca else ()
    conformance = args.conformance if args.conformance is not None else (0 if orca else 1)
    lab = lab_from_inventory(
        inv,
        args.name or _default_name(args.source),
        mgmt_subnet=args.mgmt_subnet or ("172.30.10.0/24" if orca else "172.30.64.0/24"),
        amplifier_nodes=not args.no_amplifiers,
        transponders_per_roadm=args.transponders,
        conformance_nodes=conformance,
        netconfd_roadms=on_netconfd,
    )
    path = write_lab(lab, args.output)
    if args.json:
        print(json.dumps({"file": str(path), "name": lab.name, "devices": lab.devices}))
    else:
        print(f"wrote {path} ({lab.devices} nodes, assets in {path.parent / lab.name})")
    return 0


def _inject(args: argparse.Namespace) -> int:
    import asyncio

    from controller.lab_inject import inject

    done = asyncio.run(inject(args.file, args.node, args.event, args.target, args.name))
    if args.json:
        print(json.dumps({"injected": done}))
    else:
        for d in done:
            state = "ok" if d["ok"] else f"not injected: {d['reason']}"
            print(f"{d['node']}: {d['event']} {d['target']}: {state}")
    return 0 if any(d["ok"] for d in done) else 1


def register(subparsers: Any) -> None:
    """Add ``fsor lab`` and its subcommands."""
    lab = subparsers.add_parser("lab", help="bring containerlab topologies up/down without Docker")
    sub = lab.add_subparsers(dest="lab_command", metavar="ACTION", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("file", metavar="FILE", help="containerlab topology (*.clab.yml)")
        p.add_argument("--name", help="instance name (default: the lab name)")
        p.add_argument("--json", action="store_true", help="print one JSON document")

    up = sub.add_parser("up", help="start every node and wait for its NETCONF hello")
    common(up)
    up.add_argument("--backend", choices=["auto", "netns", "loopback"], default="auto")
    up.add_argument("--mgmt-subnet", help="move management addresses into this subnet")
    up.add_argument("--timeout", type=float, help="readiness deadline, s (default 30 + 1.5/node)")
    up.set_defaults(handler=_up)

    down = sub.add_parser("down", help="stop the lab; also cleans a half-up or crashed one")
    common(down)
    down.set_defaults(handler=_down)

    status = sub.add_parser("status", help="per node: kind, backend, address, port, pid, ready")
    common(status)
    status.add_argument("--no-probe", action="store_true", help="do not re-check NETCONF hellos")
    status.set_defaults(handler=_status)

    from containerlab.device.events import EVENTS

    inj = sub.add_parser(
        "inject",
        help="make a lab device behave as if a fault happened (port/fibre down, alarm, LOS)",
        description="Send the lab-only inject-event RPC; fibre-down/-up also hit the link peer.",
    )
    common(inj)
    inj.add_argument("node", metavar="NODE", help="lab node name")
    inj.add_argument("event", metavar="EVENT", choices=list(EVENTS), help=", ".join(EVENTS))
    inj.add_argument("target", metavar="TARGET", help="port, amplifier or optical-channel name")
    inj.set_defaults(handler=_inject)

    gen = sub.add_parser("generate", help="write a lab from a network (ORCA, GNPy, topohub)")
    gen.add_argument(
        "source", metavar="SOURCE", help="network file or name (orca, gnpy:..., topohub:...)"
    )
    gen.add_argument("-o", "--output", required=True, help="directory for NAME.clab.yml and NAME/")
    gen.add_argument("--name", help="lab name (default: from SOURCE)")
    gen.add_argument(
        "--mgmt-subnet",
        help="management subnet, grows to fit (default 172.30.10.0/24 for orca, else .64.0/24)",
    )
    gen.add_argument(
        "--transponders", type=int, help="transponders per ROADM (default: the source's)"
    )
    gen.add_argument(
        "--no-amplifiers", action="store_true", help="no amplifier node per fibre line"
    )
    gen.add_argument(
        "--conformance", type=int, help="netconfd nodes wired to nothing (default 0 for orca, 1)"
    )
    gen.add_argument(
        "--netconfd-roadms",
        metavar="ID,...",
        help="ROADMs served by netconfd (fsor-lightpath) in the lightpath path "
        "(default for orca: roadm-lon,roadm-mrs; '' for none)",
    )
    gen.add_argument("--json", action="store_true", help="print one JSON document")
    gen.set_defaults(handler=_generate)
