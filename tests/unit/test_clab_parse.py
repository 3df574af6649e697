"""The clab parser/validator: good files parse, bad ones name file, node and field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from containerlab.clab import load, metadata_path, parse
from containerlab.nodes import check_servable
from controller.cli import main
from topology.errors import InputError

SRC = "/labs/t.clab.yml"


def doc(**over: Any) -> dict[str, Any]:
    nodes = {
        "r1": {"kind": "linux", "image": "fsor/device:latest", "mgmt-ipv4": "172.30.5.11"},
        "r2": {"kind": "linux", "image": "fsor/device:latest", "mgmt-ipv4": "172.30.5.12"},
        "c1": {"kind": "linux", "image": "fsor/netconfd:latest"},
    }
    nodes.update(over.pop("nodes", {}))
    d: dict[str, Any] = {
        "name": "t",
        "mgmt": {"ipv4-subnet": "172.30.5.0/24"},
        "topology": {
            "nodes": nodes,
            "links": over.pop("links", [{"endpoints": ["r1:eth1", "r2:eth1"]}]),
        },
    }
    d.update(over)
    return d


def test_parse_good_file_allocates_missing_addresses_and_kinds() -> None:
    lab = parse(doc(), SRC)
    assert [(n.name, n.kind) for n in lab.nodes] == [
        ("r1", "device"),
        ("r2", "device"),
        ("c1", "netconfd"),
    ]
    assert lab.node("c1").mgmt_ipv4 == "172.30.5.13"  # first free after the explicit ones
    assert lab.ifaces("r1") == ("eth1",)
    assert lab.node("r1").username == "admin"


def test_unknown_node_in_link_names_file_link_and_node() -> None:
    with pytest.raises(InputError) as err:
        parse(doc(links=[{"endpoints": ["r1:eth1", "r9:eth1"]}]), SRC)
    assert err.value.source == SRC
    assert err.value.field == "topology.links[0].endpoints[1] node"
    assert err.value.value == "r9"


def test_duplicate_mgmt_address_names_node_and_field() -> None:
    with pytest.raises(InputError) as err:
        parse(
            doc(
                nodes={
                    "r2": {"kind": "linux", "image": "fsor/device:1", "mgmt-ipv4": "172.30.5.11"}
                }
            ),
            SRC,
        )
    assert err.value.field == "topology.nodes.r2.mgmt-ipv4"
    assert "r1" in str(err.value) and SRC in str(err.value)


@pytest.mark.parametrize(
    ("node", "field"),
    [
        ({"kind": "linux", "image": "ceos:4.30"}, "topology.nodes.x.image"),
        ({"kind": "nokia_srlinux", "image": "fsor/device:latest"}, "topology.nodes.x.kind"),
        ({"kind": "linux"}, "topology.nodes.x.image"),
        (
            {"kind": "linux", "image": "fsor/device:1", "mgmt-ipv4": "10.0.0.1"},
            "topology.nodes.x.mgmt-ipv4",
        ),
        (
            {"kind": "linux", "image": "fsor/device:1", "mgmt-ipv4": "172.30.5.1"},
            "topology.nodes.x.mgmt-ipv4",
        ),
    ],
)
def test_node_the_runner_cannot_serve(node: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as err:
        parse(doc(nodes={"x": node}), SRC)
    assert err.value.field == field and err.value.source == SRC


@pytest.mark.parametrize(
    ("links", "field"),
    [
        ([{"endpoints": ["r1:eth0", "r2:eth1"]}], "topology.links[0].endpoints[0] iface"),
        ([{"endpoints": ["r1:eth1"]}], "topology.links[0].endpoints"),
        (
            [{"endpoints": ["r1:eth1", "r2:eth1"]}, {"endpoints": ["r1:eth1", "c1:eth1"]}],
            "topology.links[1].endpoints[0]",
        ),
        ([{"endpoints": ["r1-eth1", "r2:eth1"]}], "topology.links[0].endpoints[0]"),
    ],
)
def test_bad_links(links: list[Any], field: str) -> None:
    with pytest.raises(InputError) as err:
        parse(doc(links=links), SRC)
    assert err.value.field == field


def test_bad_name_and_subnet() -> None:
    with pytest.raises(InputError, match="name"):
        parse(doc(name="bad name!"), SRC)
    with pytest.raises(InputError) as err:
        parse(doc(mgmt={"ipv4-subnet": "300.1.0.0/24"}), SRC)
    assert err.value.field == "mgmt.ipv4-subnet"


def test_device_without_startup_file_is_not_servable(tmp_path: Path) -> None:
    lab = parse(doc(), str(tmp_path / "t.clab.yml"))
    with pytest.raises(InputError) as err:
        check_servable(lab, lab.node("r1"))
    assert err.value.field == "topology.nodes.r1.binds"


def test_binds_resolve_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "r1.yaml").write_text("name: r1\n")
    d = doc()
    d["topology"]["nodes"]["r1"]["binds"] = ["t/r1.yaml:/etc/fsor/startup.yaml:ro"]
    f = tmp_path / "t.clab.yml"
    f.write_text(yaml.safe_dump(d))
    lab = load(f)
    assert lab.node("r1").startup == str(tmp_path / "t" / "r1.yaml")
    assert metadata_path(f, lab.name) == tmp_path / "t" / "sites.yaml"


def test_cli_exit_2_names_file_node_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "bad.clab.yml"
    f.write_text(yaml.safe_dump(doc(links=[{"endpoints": ["r1:eth1", "ghost:eth1"]}])))
    assert main(["lab", "up", str(f), "--backend", "loopback"]) == 2
    err = capsys.readouterr().err
    assert "bad.clab.yml" in err and "ghost" in err and "topology.links[0]" in err


def test_cli_unreadable_file_is_bad_input(tmp_path: Path) -> None:
    assert main(["lab", "status", str(tmp_path / "missing.clab.yml")]) == 2
