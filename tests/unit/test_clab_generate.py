"""The generator: committed labs are what it writes; large labs; startups the emulator accepts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from containerlab.clab import load
from containerlab.device.profile import load_startup
from containerlab.generate import ORCA_NETCONFD_ROADMS, lab_from_inventory, orca_lab, write_lab
from controller.cli import main
from topology.errors import InputError
from topology.io import default_inventory, load_named, load_network

LABS = Path(__file__).resolve().parents[2] / "containerlab"


def test_committed_orca_lab_is_regenerated_identically(tmp_path: Path) -> None:
    path = write_lab(orca_lab(), tmp_path)
    assert path.read_text() == (LABS / "orca.clab.yml").read_text()
    for f in sorted((tmp_path / "orca").iterdir()):
        assert f.read_text() == (LABS / "orca" / f.name).read_text(), f.name
    assert sorted(f.name for f in (tmp_path / "orca").iterdir()) == sorted(
        f.name for f in (LABS / "orca").iterdir() if f.suffix in (".yaml", ".xml", ".json")
    )


def test_fsor_lab_generate_orca_reproduces_the_committed_lab(tmp_path: Path) -> None:
    assert main(["lab", "generate", "orca", "-o", str(tmp_path), "--json"]) == 0
    assert (tmp_path / "orca.clab.yml").read_text() == (LABS / "orca.clab.yml").read_text()
    for f in sorted((tmp_path / "orca").iterdir()):
        assert f.read_text() == (LABS / "orca" / f.name).read_text(), f.name


def test_orca_has_netconfd_roadms_in_the_lightpath_path() -> None:
    lab = load(LABS / "orca.clab.yml")
    by_name = {n.name: n for n in lab.nodes}
    for r in ORCA_NETCONFD_ROADMS:
        node = by_name[r]
        assert node.kind == "netconfd" and node.role == "conformance", node
        assert node.labels["fsor.id"] == r
    # every fibre leaving Frankfurt (a data centre) ends on a netconfd ROADM
    sites = yaml.safe_load((LABS / "orca" / "sites.yaml").read_text())
    fra = [f for f in sites["fibres"] if "roadm-fra" in (f["a"], f["b"])]
    assert fra and all({f["a"], f["b"]} & set(ORCA_NETCONFD_ROADMS) for f in fra)


def test_unknown_netconfd_roadm_is_refused() -> None:
    with pytest.raises(InputError, match="netconfd_roadms"):
        lab_from_inventory(default_inventory(), "x", netconfd_roadms=("roadm-xyz",))


def test_orca_lab_structure() -> None:
    lab = load(LABS / "orca.clab.yml")
    roles = [n.role for n in lab.nodes]
    assert roles.count("roadm") == 7 and roles.count("transponder") == 6
    assert roles.count("amplifier") == 13 and roles.count("conformance") == 2
    sites = yaml.safe_load((LABS / "orca" / "sites.yaml").read_text())
    regions = {s["id"]: s["region"] for s in sites["sites"]}
    assert regions == {"dc-fra": "DE", "dc-tyo": "JP", "dc-sjc": "CA"}
    assert all(s["power_cap_kw"] > 0 and s["pue"] >= 1.0 for s in sites["sites"])
    f = next(x for x in sites["fibres"] if x["id"] == "sjc-tyo")
    assert f["length_km"] == 9000.0 and f["spans"] == 150 and f["amplifier_node"] == "amp-sjc-tyo"
    # the inventory beside the lab round-trips
    assert load_network(LABS / "orca" / "network.json") == default_inventory()


def test_polska_backbone_is_meshed_with_12_roadms() -> None:
    lab = load(LABS / "polska.clab.yml")
    roadms = [n for n in lab.nodes if n.role == "roadm"]
    assert len(roadms) == 12
    degree = {r.name: 0 for r in roadms}
    for link in lab.links:
        for end in (link.a.node, link.b.node):
            if end in degree and {link.a.node, link.b.node} <= set(degree):
                degree[end] += 1
    assert min(degree.values()) >= 2  # meshed: no ROADM hangs on a single fibre
    assert sum(degree.values()) // 2 == 18


@pytest.mark.parametrize("lab_file", ["orca.clab.yml", "polska.clab.yml"])
def test_every_startup_file_is_accepted_by_the_emulator_and_matches_links(lab_file: str) -> None:
    lab = load(LABS / lab_file)
    peers = {}
    for link in lab.links:
        peers[(link.a.node, link.a.iface)] = (link.b.node, link.b.iface)
        peers[(link.b.node, link.b.iface)] = (link.a.node, link.a.iface)
    for node in lab.nodes:
        assert node.startup is not None
        if node.kind != "device":
            continue
        load_startup(node.startup)
        ports = yaml.safe_load(Path(node.startup).read_text())["ports"]
        for p in ports:
            if "neighbor" in p:
                nb = p["neighbor"]
                assert peers[(node.name, p["name"])] == (nb["device"], nb["port"])


def test_generate_large_lab_from_topohub(tmp_path: Path) -> None:
    inv = load_named("topohub:sndlib/germany50")
    gen = lab_from_inventory(inv, "g50", transponders_per_roadm=1, amplifier_nodes=False)
    assert gen.devices >= 100
    lab = load(write_lab(gen, tmp_path))
    assert len(lab.nodes) == gen.devices
    assert len({n.mgmt_ipv4 for n in lab.nodes}) == len(lab.nodes)


def test_cli_generate_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["topohub:sndlib/nobel-germany", "-o", str(tmp_path), "--transponders", "2", "--json"]
    rc = main(["lab", "generate", *argv])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert out["name"] == "nobel-germany" and out["devices"] >= 50
    assert load(out["file"]).name == "nobel-germany"
