"""Write a containerlab lab from a network inventory (ORCA, a GNPy file, a topohub network).

Length: over 400 lines on purpose: one pass from inventory to clab file, startup files and
sites.yaml; split further, the byte-for-byte regeneration check would span files.

One ``fsor/device`` node per ROADM and per transponder, optionally one amplifier node per
fibre line (standing for the line's chain of in-line amplifiers), plus ``conformance``
netconfd nodes. Device ports are named like the clab interfaces (``eth1`` ...) so LLDP
neighbours (served from the startup files) match the clab links exactly.

Output of :func:`write_lab` for a lab called ``L`` in directory ``D``:

* ``D/L.clab.yml`` -- the containerlab topology (valid for containerlab itself);
* ``D/L/<node>.yaml`` -- each emulator node's startup file (``containerlab/device/README.md``);
* ``D/L/<node>.xml`` -- each netconfd node's startup ``<config>``;
* ``D/L/sites.yaml`` -- site metadata (region, caps, PUE, WUE, ROADM) and fibre attributes
  (length, spans, amplifiers, the clab endpoints that carry the fibre);
* ``D/L/network.json`` -- the source inventory in fsor's native format
  (``topology.io.load_network`` reads it back).

Everything but :func:`write_lab` is pure.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from topology.model import Fibre, Inventory, TransceiverMode

__all__ = [
    "ORCA_NETCONFD_ROADMS",
    "GeneratedLab",
    "lab_from_inventory",
    "node_name",
    "orca_lab",
    "write_lab",
]

DEVICE_IMAGE = "fsor/device:latest"
NETCONFD_IMAGE = "fsor/netconfd:latest"
DEVICE_CMD = "fsor-device --startup /etc/fsor/startup.yaml --address 0.0.0.0 --port 830"
#: ROADMs of the default ORCA lab served by Debian netconfd (fsor-lightpath) instead of the
#: emulator: Frankfurt's only two neighbours, so every lightpath to or from dc-fra goes through
#: a server no one here wrote (docs/netconfd.md, "In the lightpath path")
ORCA_NETCONFD_ROADMS = ("roadm-lon", "roadm-mrs")
#: span loss used for an amplifier's gain when the inventory gives none (dB/km, approximate)
FIBRE_LOSS_DB_PER_KM = 0.2


def node_name(ident: str) -> str:
    """A clab-safe node name for an inventory id (letters, digits, ``-_.``).

    >>> node_name("Gdansk--Warsaw"), node_name("Frankfurt am Main")
    ('Gdansk--Warsaw', 'Frankfurt-am-Main')
    """
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", ident).strip("-")
    return name or "node"


@dataclass(frozen=True)
class GeneratedLab:
    """A lab ready to write: the clab document, startup files and metadata."""

    name: str
    clab: dict[str, Any]
    startups: dict[str, dict[str, Any]] = field(default_factory=dict)
    xml_startups: dict[str, str] = field(default_factory=dict)
    sites: dict[str, Any] = field(default_factory=dict)
    network: dict[str, Any] = field(default_factory=dict)

    @property
    def devices(self) -> int:
        """Number of nodes (NETCONF devices) in the lab."""
        return len(self.clab["topology"]["nodes"])


def _grid(inv: Inventory) -> dict[str, float]:
    fibres = inv.fibres
    g = fibres[0].grid if fibres else None
    if g is None:
        return {"min_thz": 191.325, "max_thz": 196.125, "step_ghz": 50.0, "anchor_thz": 193.1}
    half = g.spacing_ghz / 2000.0
    return {
        "min_thz": round(g.frequency_thz(0) - half, 6),
        "max_thz": round(g.frequency_thz(g.count - 1) + half, 6),
        "step_ghz": g.spacing_ghz,
        "anchor_thz": g.anchor_thz,
    }


def _subnet(base: str, count: int) -> str:
    net = ipaddress.IPv4Network(base)
    prefix = min(net.prefixlen, 32 - math.ceil(math.log2(count + 16)))
    return str(ipaddress.IPv4Network((net.network_address, prefix), strict=False))


class _Ports:
    def __init__(self) -> None:
        self.used: dict[str, int] = defaultdict(int)
        self.ports: dict[str, list[dict[str, Any]]] = defaultdict(list)

    def take(self, node: str, role: str) -> str:
        self.used[node] += 1
        iface = f"eth{self.used[node]}"
        self.ports[node].append({"name": iface, "role": role})
        return iface

    def connect(self, a: str, a_if: str, b: str, b_if: str) -> dict[str, Any]:
        for n, i, peer, pi in ((a, a_if, b, b_if), (b, b_if, a, a_if)):
            port = next(p for p in self.ports[n] if p["name"] == i)
            port["neighbor"] = {"device": peer, "port": pi}
        return {"endpoints": [f"{a}:{a_if}", f"{b}:{b_if}"]}


def _modes(inv: Inventory, modes: tuple[TransceiverMode, ...]) -> list[dict[str, Any]]:
    return [
        {"id": i + 1, "rate_gbps": m.line_rate_gbps, "power_w": m.power_w, "description": m.name}
        for i, m in enumerate(modes or inv.energy.modes)
    ]


def _amp_gain(inv: Inventory, f: Fibre) -> float:
    managed = [a.gain_db for a in inv.amplifiers if a.fibre == f.id]
    if managed:
        return managed[0]
    return round(FIBRE_LOSS_DB_PER_KM * f.length_km / max(1, f.spans), 1)


def lab_from_inventory(
    inv: Inventory,
    name: str,
    *,
    mgmt_subnet: str = "172.30.10.0/24",
    amplifier_nodes: bool = True,
    transponders_per_roadm: int | None = None,
    conformance_nodes: int = 1,
    netconfd_roadms: tuple[str, ...] = (),
    delay_ms: float | None = None,
) -> GeneratedLab:
    """Build a lab from ``inv``.

    ``transponders_per_roadm`` None keeps the inventory's transponders; an integer puts that
    many (one line port each) at every ROADM instead. ``amplifier_nodes`` adds one amplifier
    node per fibre with in-line amplifiers. The management subnet grows to fit.
    ``netconfd_roadms`` are ROADM ids served by a netconfd node (``fsor-lightpath``, role
    ``conformance``, wired like the ROADM it replaces); ``conformance_nodes`` adds netconfd
    nodes wired to nothing.

    >>> from topology.model import Fibre, Inventory, Roadm
    >>> inv = Inventory("t", (Roadm("a", ("f",)), Roadm("b", ("f",))),
    ...                 fibres=(Fibre("f", "a", "b", 160.0, 2, 1),))
    >>> lab = lab_from_inventory(inv, "t", transponders_per_roadm=1, conformance_nodes=0)
    >>> sorted(lab.clab["topology"]["nodes"]), len(lab.clab["topology"]["links"])
    (['a', 'amp-f', 'b', 'tp-a-1', 'tp-b-1'], 4)
    """
    grid = _grid(inv)
    unknown = sorted(set(netconfd_roadms) - {r.id for r in inv.roadms})
    if unknown:
        from topology.errors import InputError

        raise InputError(inv.name, "netconfd_roadms", unknown, "expected ROADM ids")
    ports = _Ports()
    links: list[dict[str, Any]] = []
    nodes: dict[str, dict[str, Any]] = {}
    startups: dict[str, dict[str, Any]] = {}
    site_of = {s.roadm: s for s in inv.sites}
    rname = {r.id: node_name(r.id) for r in inv.roadms}
    for r in inv.roadms:
        labels = {"fsor.role": "roadm", "fsor.id": r.id, "fsor.region": r.region}
        if r.id in site_of:
            labels["fsor.site"] = site_of[r.id].id
            labels["fsor.region"] = site_of[r.id].region or r.region
        nodes[rname[r.id]] = {"labels": labels}
        idle = inv.energy.roadm_base_w + inv.energy.roadm_degree_w * len(r.degrees)
        startups[rname[r.id]] = {
            "name": rname[r.id],
            "kind": "roadm",
            "grid": grid,
            "power": {
                "idle_w": idle,
                "per_channel_w": 0.0,
                "budget_w": math.ceil(idle * 2),
                "psu_w": math.ceil(idle * 3),
            },
            "media_channels": [],
            "labels": {"region": r.region, "lat": r.lat, "lon": r.lon},
        }
    fibre_meta = []
    for f in inv.fibres:
        a, b = rname[f.a], rname[f.b]
        meta: dict[str, Any] = {
            "id": f.id,
            "a": f.a,
            "b": f.b,
            "length_km": f.length_km,
            "spans": f.spans,
            "amplifiers": f.amplifiers,
        }
        if amplifier_nodes and f.amplifiers > 0:
            amp = node_name(f"amp-{f.id}")
            nodes[amp] = {"labels": {"fsor.role": "amplifier", "fsor.fibre": f.id}}
            per = inv.energy.amplifier_w
            gain = _amp_gain(inv, f)
            startups[amp] = {
                "name": amp,
                "kind": "amplifier",
                "spans": f.spans,
                "length_km": f.length_km,
                "power": {
                    "idle_w": 0.0,
                    "per_amplifier_w": per,
                    "budget_w": math.ceil(per * f.amplifiers * 1.2) + 100,
                    "psu_w": math.ceil(per * f.amplifiers * 1.5) + 200,
                },
                "amplifiers": [
                    {
                        "name": f"ila-{k + 1}",
                        "type": "EDFA",
                        "gain_db": gain,
                        **({"ingress_port": "eth1", "egress_port": "eth2"} if k == 0 else {}),
                    }
                    for k in range(f.amplifiers)
                ],
                "labels": {"fibre": f.id},
            }
            ai, a1, a2, bi = (
                ports.take(a, "line"),
                ports.take(amp, "line"),
                ports.take(amp, "line"),
                ports.take(b, "line"),
            )
            links += [ports.connect(a, ai, amp, a1), ports.connect(amp, a2, b, bi)]
            meta["amplifier_node"] = amp
            meta["endpoints"] = [f"{a}:{ai}", f"{amp}:{a1}", f"{amp}:{a2}", f"{b}:{bi}"]
        else:
            ai, bi = ports.take(a, "line"), ports.take(b, "line")
            links.append(ports.connect(a, ai, b, bi))
            meta["endpoints"] = [f"{a}:{ai}", f"{b}:{bi}"]
        fibre_meta.append(meta)
    tps: list[tuple[str, str, int, tuple[TransceiverMode, ...]]] = []
    if transponders_per_roadm is None:
        tps = [(t.id, t.roadm, t.line_ports, t.modes) for t in inv.transponders]
    else:
        tps = [
            (f"tp-{rname[r.id]}-{k + 1}", r.id, 1, ())
            for r in inv.roadms
            for k in range(transponders_per_roadm)
        ]
    for tid, roadm, line_ports, modes in tps:
        tn, rn = node_name(tid), rname[roadm]
        nodes[tn] = {"labels": {"fsor.role": "transponder", "fsor.id": tid, "fsor.roadm": roadm}}
        och = []
        for k in range(line_ports):
            ti, ri = ports.take(tn, "line"), ports.take(rn, "add-drop")
            links.append(ports.connect(tn, ti, rn, ri))
            och.append({"name": f"och-{k + 1}", "line_port": ti})
        startups[tn] = {
            "name": tn,
            "kind": "transponder",
            "grid": grid,
            "power": {"idle_w": 0.0, "budget_w": 1000 * line_ports, "psu_w": 1500 * line_ports},
            "modes": _modes(inv, modes),
            "optical_channels": och,
            "labels": {"roadm": roadm},
        }
    xml_startups = {}
    for r in inv.roadms:
        if r.id in netconfd_roadms:
            n = rname[r.id]
            del startups[n]
            nodes[n]["labels"]["fsor.role"] = "conformance"
            xml_startups[n] = _LIGHTPATH_STARTUP
    for name_, doc in startups.items():
        doc["ports"] = ports.ports.get(name_, []) + (
            [{"name": "client-1", "role": "client"}] if doc["kind"] == "transponder" else []
        )
    for k in range(conformance_nodes):
        cn = f"conf-{k + 1}"
        nodes[cn] = {"labels": {"fsor.role": "conformance"}}
        xml_startups[cn] = _LIGHTPATH_STARTUP
    subnet = ipaddress.IPv4Network(_subnet(mgmt_subnet, len(nodes)))
    hosts = subnet.hosts()
    addrs = [a for i, a in enumerate(hosts) if i >= 10]
    clab_nodes: dict[str, Any] = {}
    for i, (n, extra) in enumerate(nodes.items()):
        labels = {k: str(v) for k, v in extra["labels"].items() if v not in ("", None)}
        if n in xml_startups:
            entry = {
                "kind": "linux",
                "image": NETCONFD_IMAGE,
                "mgmt-ipv4": str(addrs[i]),
                "binds": [f"{name}/{n}.xml:/etc/fsor/startup.xml:ro"],
                "labels": labels,
            }
        else:
            entry = {
                "kind": "linux",
                "image": DEVICE_IMAGE,
                "mgmt-ipv4": str(addrs[i]),
                "binds": [f"{name}/{n}.yaml:/etc/fsor/startup.yaml:ro"],
                "cmd": DEVICE_CMD,
                "labels": labels,
            }
        clab_nodes[n] = entry
    clab = {
        "name": name,
        "mgmt": {"network": f"fsor-{name}", "ipv4-subnet": str(subnet)},
        "topology": {
            "defaults": {
                "env": {"FSOR_USERNAME": "admin", "FSOR_PASSWORD": "admin"},
                **({"labels": {"fsor.delay-ms": f"{delay_ms:g}"}} if delay_ms is not None else {}),
            },
            "nodes": clab_nodes,
            "links": links,
        },
    }
    sites = {
        "lab": name,
        "source": inv.name,
        "network": "network.json",
        "grid": grid,
        "sites": [
            {
                "id": s.id,
                "name": s.name,
                "region": s.region,
                "roadm": s.roadm,
                "roadm_node": rname[s.roadm],
                "pue": s.pue,
                "wue_l_per_kwh": s.wue_l_per_kwh,
                "power_cap_kw": s.power_cap_kw,
                "water_cap_l_per_day": s.water_cap_l_per_day,
            }
            for s in inv.sites
        ],
        "roadms": [
            {"id": r.id, "node": rname[r.id], "region": r.region, "lat": r.lat, "lon": r.lon}
            for r in inv.roadms
        ],
        "fibres": fibre_meta,
    }
    from topology.io_native import to_native

    return GeneratedLab(name, clab, startups, xml_startups, sites, to_native(inv))


_LIGHTPATH_STARTUP = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">\n'
    '  <lightpaths xmlns="urn:fsor:params:xml:ns:yang:fsor-lightpath"/>\n'
    "</config>\n"
)


def orca_lab(mgmt_subnet: str = "172.30.10.0/24") -> GeneratedLab:
    """The committed default lab ``containerlab/orca.clab.yml`` (``fsor lab generate orca``):
    the ORCA network with :data:`ORCA_NETCONFD_ROADMS` on netconfd, no idle conformance node."""
    from topology.io import default_inventory

    return lab_from_inventory(
        default_inventory(),
        "orca",
        mgmt_subnet=mgmt_subnet,
        conformance_nodes=0,
        netconfd_roadms=ORCA_NETCONFD_ROADMS,
    )


def _dump(doc: Any, header: str) -> str:
    return header + yaml.safe_dump(doc, sort_keys=False, default_flow_style=None, width=100)


def write_lab(lab: GeneratedLab, out_dir: str | Path) -> Path:
    """Write the lab's files into ``out_dir``; return the path of the clab file."""
    out = Path(out_dir)
    assets = out / lab.name
    assets.mkdir(parents=True, exist_ok=True)
    for old in assets.glob("*"):
        if old.suffix in (".yaml", ".xml", ".json") and old.is_file():
            old.unlink()
    for n, doc in lab.startups.items():
        (assets / f"{n}.yaml").write_text(
            _dump(doc, f"# fsor-device startup file of node {n} (generated)\n")
        )
    for n, xml in lab.xml_startups.items():
        (assets / f"{n}.xml").write_text(xml)
    (assets / "sites.yaml").write_text(
        _dump(
            lab.sites, f"# fsor lab metadata of {lab.name}.clab.yml (generated; see docs/lab.md)\n"
        )
    )
    (assets / "network.json").write_text(json.dumps(lab.network, indent=1) + "\n")
    path = out / f"{lab.name}.clab.yml"
    path.write_text(
        _dump(
            lab.clab,
            f"# containerlab topology {lab.name} (generated by fsor lab generate; docs/lab.md)\n",
        )
    )
    return path
