"""Real networks: GNPy example data, topohub (SNDlib), the embedded ORCA network, the CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
import topohub

from controller.cli import main
from topology import (
    build,
    candidate_paths,
    default_inventory,
    first_fit,
    lightpath_power_w,
    load_named,
    load_network,
    to_rfc8345,
)
from topology.io import gnpy_example_dir

CORONET = "CORONET_Global_Topology.json"


def _raw_gnpy_graph(path: Path) -> nx.DiGraph:
    """Independent reading of a GNPy file: directed element graph, fibre length as weight."""
    doc = json.loads(path.read_text())
    length = {
        e["uid"]: float(e["params"]["length"]) for e in doc["elements"] if e["type"] == "Fiber"
    }
    g = nx.DiGraph()
    for c in doc["connections"]:
        g.add_edge(c["from_node"], c["to_node"], w=length.get(c["from_node"], 0.0))
    return g


def test_coronet_global_counts_and_km() -> None:
    inv = load_named("gnpy:coronet-global")
    g = build(inv)
    kinds: dict[str, int] = defaultdict(int)
    for _, k in g.nodes(data="kind"):
        kinds[k] += 1
    assert dict(kinds) == {"roadm": 100, "transponder": 100}
    assert len(inv.fibres) == 136 and inv.source_links == 272 and inv.directed_source
    raw = json.loads((gnpy_example_dir() / CORONET).read_text())
    total_directed = sum(e["params"]["length"] for e in raw["elements"] if e["type"] == "Fiber")
    # both directions of every link are listed with equal lengths in CORONET
    assert sum(f.length_km for f in inv.fibres) == pytest.approx(total_directed / 2, rel=1e-9)
    assert nx.is_connected(g)


@pytest.mark.parametrize(
    ("src", "dst"),
    [
        ("roadm Abilene", "roadm Dallas"),
        ("roadm Abilene", "roadm Tokyo"),
        ("roadm Paris", "roadm Sydney"),
    ],
)
def test_coronet_shortest_path_matches_independent_dijkstra(src: str, dst: str) -> None:
    inv = load_named("gnpy:coronet-global")
    raw = _raw_gnpy_graph(gnpy_example_dir() / CORONET)
    expected = nx.shortest_path_length(raw, src, dst, weight="w")
    paths = candidate_paths(build(inv), src, dst, k=5)
    assert len(paths) == 5
    assert paths[0].length_km == pytest.approx(expected, rel=1e-9)
    lengths = [p.length_km for p in paths]
    assert lengths == sorted(lengths)
    assert len({p.nodes for p in paths}) == 5
    for p in paths:
        assert p.nodes[0] == src and p.nodes[-1] == dst
        assert len(set(p.nodes)) == len(p.nodes)  # loop-free
        assert p.hops == len(p.fibres) == len(p.nodes) - 1


def test_sweden_openroadm_keeps_inline_amplifiers() -> None:
    inv = load_named("gnpy:sweden")
    assert len(inv.roadms) == 15 and len(inv.fibres) == 22
    assert inv.amplifiers, "the Sweden network lists in-line Edfas"
    for f in inv.fibres:
        listed = [a for a in inv.amplifiers if a.fibre == f.id]
        assert f.amplifiers == len(listed)
        assert f.spans == f.amplifiers + 1
    assert sum(f.amplifiers for f in inv.fibres) == len(inv.amplifiers) == 23


@pytest.mark.parametrize(
    ("key", "nodes", "links", "demands"),
    [("sndlib/nobel-germany", 17, 26, 121), ("sndlib/germany50", 50, 88, 662)],
)
def test_topohub_sndlib_networks(key: str, nodes: int, links: int, demands: int) -> None:
    doc = topohub.get(key)
    inv = load_named(f"topohub:{key}")
    assert (len(inv.roadms), len(inv.fibres), len(inv.demands)) == (nodes, links, demands)
    assert sum(f.length_km for f in inv.fibres) == pytest.approx(
        sum(e["dist"] for e in doc["edges"])
    )
    ref = nx.node_link_graph(topohub.get(key, use_names=True), edges="edges")
    g = build(inv)
    names = sorted(ref.nodes)
    for src, dst in [(names[0], names[-1]), (names[1], names[len(names) // 2])]:
        want = nx.shortest_path_length(ref, src, dst, weight="dist")
        assert candidate_paths(g, src, dst, k=1)[0].length_km == pytest.approx(want)


def test_orca_paths_reach_continuity_and_energy() -> None:
    inv = default_inventory()
    g = build(inv)
    assert {s.region for s in inv.sites} == {"DE", "JP", "CA"}
    fra_sjc = candidate_paths(g, "dc-fra", "dc-sjc", k=5)
    best = fra_sjc[0]
    assert best.nodes == ("roadm-fra", "roadm-lon", "roadm-nyc", "roadm-sjc")
    assert best.reach_ok and best.mode == "dp-qpsk-100g-subsea"
    # lon-nyc has channels 0-3 lit, nyc-sjc channel 2: continuity leaves 4..95
    assert best.free_channels == frozenset(range(4, 96))
    assert first_fit(best.free_channels) == 4
    # Frankfurt-Tokyo is >= 19,000 km: no transparent mode reaches (documented); the
    # shortest route needs O-E-O regeneration at Marseille and Singapore with the 100G subsea mode
    fra_tyo = candidate_paths(g, "dc-fra", "dc-tyo", k=5)
    assert not any(p.reach_ok for p in fra_tyo)
    assert fra_tyo[0].regen_at == ("roadm-mrs", "roadm-sin")
    assert fra_tyo[0].energy_mode == "dp-qpsk-100g-subsea"
    # hand-computed: sjc-tyo 9000 km, 60 km spans -> 150 spans, 149 amplifiers;
    # both ROADMs have degree 4; subsea 100G transponder = 1.683*100 + 91.333 + 30 W
    tp = 1.683 * 100 + 91.333 + 30.0
    expected = 2 * tp + 149 * 110.0 / 96 + 2 * 2 * (150.0 / 4 + 85.0) / 96
    sjc_tyo = candidate_paths(g, "dc-sjc", "dc-tyo", k=1)[0]
    assert sjc_tyo.power_w == pytest.approx(expected)
    assert lightpath_power_w(inv, sjc_tyo.nodes, "dp-qpsk-100g-subsea") == pytest.approx(expected)
    assert sjc_tyo.energy_kwh_per_gb == pytest.approx(expected * 8 / 100 / 3.6e6)


def _rfc8345_consistent(doc: dict[str, Any]) -> None:
    net = doc["ietf-network:networks"]["network"][0]
    tps = {
        (n["node-id"], tp["tp-id"])
        for n in net["node"]
        for tp in n.get("ietf-network-topology:termination-point", [])
    }
    ids = [link["link-id"] for link in net["ietf-network-topology:link"]]
    assert len(ids) == len(set(ids))
    for link in net["ietf-network-topology:link"]:
        s, d = link["source"], link["destination"]
        assert (s["source-node"], s["source-tp"]) in tps
        assert (d["dest-node"], d["dest-tp"]) in tps


def test_rfc8345_export_is_consistent_and_yang_valid(tmp_path: Path) -> None:
    inv = load_named("gnpy:coronet-conus")
    doc = to_rfc8345(inv)
    _rfc8345_consistent(doc)
    links = doc["ietf-network:networks"]["network"][0]["ietf-network-topology:link"]
    assert len(links) == 2 * (len(inv.fibres) + len(inv.transponders) + len(inv.sites))
    yanglint = shutil.which("yanglint")
    mods = Path("/usr/share/yuma/modules/ietf")
    if yanglint is None or not (mods / "ietf-network@2018-02-26.yang").exists():
        pytest.skip("yanglint or the ietf-network YANG modules are not installed")
    out = tmp_path / "net.json"
    out.write_text(json.dumps(doc))
    run = subprocess.run(
        [
            yanglint,
            "-p",
            str(mods),
            "-t",
            "data",
            str(mods / "ietf-network@2018-02-26.yang"),
            str(mods / "ietf-network-topology@2018-02-26.yang"),
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr


def test_cli_show_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["topology", "show", "gnpy:coronet-global", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["nodes"] == {"roadm": 100, "transponder": 100, "amplifier": 0, "site": 0}
    assert (doc["links"], doc["source_links"], doc["directed"]) == (136, 272, False)
    assert doc["channels_per_link"] == 96 and doc["free_channels"] == 136 * 96
    assert doc["fibre_km"] > 100000


def test_cli_show_default_and_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["topology", "show", "default", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["nodes"]["site"] == 3 and doc["links"] == 13
    assert doc["free_channels"] == 13 * 96 - 7  # 4 + 1 + 2 channels lit in orca.json
    net = tmp_path / "net.yaml"
    net.write_text(
        "name: mini\nroadms: [{id: a}, {id: b}]\n"
        "fibres: [{id: ab, a: a, b: b, length_km: 100, occupied: [0, 1]}]\n"
    )
    assert main(["topology", "show", str(net)]) == 0
    assert "free channel slots: 94 of 96" in capsys.readouterr().out
    assert load_network(net).fibre("ab").spans == 2


def test_cli_export_writes_rfc8345(tmp_path: Path) -> None:
    out = tmp_path / "orca.json"
    assert main(["topology", "export", "default", "--format", "rfc8345", "-o", str(out)]) == 0
    _rfc8345_consistent(json.loads(out.read_text()))


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (
            '{"roadms": [{"id": "a"}], "fibres": [{"id": "f", "a": "a", "b": "x", "length_km": 1}]'
            "}",
            "fibres[f].b",
        ),
        (
            '{"roadms": [{"id": "a"}, {"id": "b"}], "fibres": [{"id": "f", "a": "a", "b": "b", '
            '"length_km": -3}]}',
            "fibres[f].length_km",
        ),
        (
            '{"roadms": [{"id": "a"}, {"id": "b"}], "fibres": [{"id": "f", "a": "a", "b": "b"}]}',
            "fibres[f].length_km",
        ),
        ('{"roadms": [{"id": "a"}, {"id": "a"}]}', "roadms[a].id"),
        (
            '{"elements": [{"uid": "x", "type": "Teleporter"}], "connections": []}',
            "elements[x].type",
        ),
        (
            '{"elements": [{"uid": "r", "type": "Roadm"}], "connections": '
            '[{"from_node": "r", "to_node": "ghost"}]}',
            "connections[0].to_node",
        ),
        (
            '{"nodes": [{"id": 0}], "edges": [{"source": 0, "target": 5, "dist": 1}]}',
            "edges[0].target",
        ),
        ("{not json", "expected JSON"),
    ],
)
def test_cli_bad_network_file_exits_2_naming_file_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, needle: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(text)
    assert main(["topology", "show", str(bad), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert str(bad) in captured.err and needle in captured.err


def test_cli_unknown_named_network_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["topology", "show", "gnpy:atlantis"]) == 2
    assert "gnpy:atlantis" in capsys.readouterr().err
