"""Validation before the wire: schemas, grid, loops, spectrum, YANG payloads, examples."""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path

import pytest

from controller.adapters.terminal_device import OpticalChannel, edit_config
from controller.adapters.wavelength_router import MediaChannel
from controller.cli.validate import validate_file
from controller.edits import DeviceState, LightpathIntent, Port, intent_id, plan_edits
from controller.plan_input import bind, intents, lightpaths_of_slot, parse_plan
from controller.restore import restore_edits
from controller.schemas import PlanDoc, parse, render_formats
from controller.validate import check_grid, check_knobs, check_paths, check_spectrum
from controller.validate_yang import PayloadError, check_payload
from optimizer.inputs.signal_series import PRICE_FLOOR, build_signals
from topology.errors import InputError
from topology.strict_load import load_json, load_yaml

REPO = Path(__file__).resolve().parents[2]


def it(lid: str, path: tuple[str, ...], f_mhz: int, **kw: object) -> LightpathIntent:
    return LightpathIntent(lid, path, f_mhz, ("t1", "t2"), **kw)  # type: ignore[arg-type]


def test_grid_accepts_the_6_25_ghz_grid_and_refuses_between() -> None:
    check_grid([it("a", ("r",), 193_106_250)], "p")
    with pytest.raises(InputError, match=r"G\.694\.1"):
        check_grid([it("a", ("r",), 193_110_000)], "p")
    with pytest.raises(InputError, match=r"m x 12\.5 GHz"):
        check_grid([it("a", ("r",), 193_100_000, width_mhz=30_000)], "p")
    with pytest.raises(InputError, match="inside the band"):
        check_grid([it("a", ("r",), 196_112_500)], "p")  # the slot ends past 196.125 THz


def test_paths_refuse_hairpins_and_non_fibre_hops() -> None:
    fibres = {frozenset(("a", "b")), frozenset(("b", "c"))}
    check_paths([it("x", ("a", "b", "c"), 193_100_000)], "p", fibres=fibres, attached={})
    with pytest.raises(InputError, match="b repeats"):
        check_paths([it("x", ("a", "b", "b"), 193_100_000)], "p", fibres=fibres, attached={})
    with pytest.raises(InputError, match="a->c"):
        check_paths([it("x", ("a", "c"), 193_100_000)], "p", fibres=fibres, attached={})
    with pytest.raises(InputError, match="attached to a"):
        check_paths([it("x", ("a", "b"), 193_100_000)], "p", fibres=fibres, attached={"t1": "c"})


def test_spectrum_against_a_foreign_channel_on_the_device() -> None:
    foreign = MediaChannel(1, "ops-channel", 193_075_000, 193_125_000, "ENABLED", "p1", "p2")
    st = {"a": DeviceState("a", frozenset({"wavelength_router"}), media_channels=(foreign,))}
    ports = {("a", "b"): "p2", ("b", "a"): "q1"}
    with pytest.raises(InputError, match="'ops-channel' already carries"):
        check_spectrum([it("x", ("a", "b"), 193_100_000)], "p", states=st, ports=ports)
    # an fsor-managed channel is not foreign: the plan owns it (replace or remove)
    ours = MediaChannel(1, "fsor-0123456789", 193_075_000, 193_125_000, "ENABLED", "p1", "p2")
    st["a"] = DeviceState("a", frozenset({"wavelength_router"}), media_channels=(ours,))
    check_spectrum([it("x", ("a", "b"), 193_100_000)], "p", states=st, ports=ports)
    check_spectrum([it("x", ("a", "b"), 193_150_000)], "p")


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"power_dbm": math.nan}, "--power-dbm"),
        ({"power_dbm": 11.0}, "--power-dbm"),
        ({"width_ghz": math.inf}, "--width-ghz"),
        ({"mode": 0}, "--mode"),
    ],
)
def test_knobs(kw: dict[str, float], field: str) -> None:
    args = {"power_dbm": 0.0, "width_ghz": 50.0, "mode": None, **kw}
    with pytest.raises(InputError) as err:
        check_knobs(**args)  # type: ignore[arg-type]
    assert err.value.source == field


def test_plan_schema_names_the_field() -> None:
    bad = {
        "status": "optimal",
        "lightpaths": [{"path": ["a"], "frequency_thz": 193.1, "frequncy": 1}],
    }
    with pytest.raises(InputError, match=r"lightpaths\[0\].frequncy: expected no such field"):
        parse(PlanDoc, bad, "p.json")
    with pytest.raises(InputError, match=r"status: expected a plan that can be applied"):
        parse_plan({"status": "error", "lightpaths": []}, "p.json")


def test_slot_choice_and_unbound_transponders() -> None:
    plan = parse_plan(
        {
            "status": "feasible",
            "slot_starts": ["2025-07-01T00:00:00Z", "2025-07-01T00:15:00Z"],
            "lightpaths": [
                {"path": ["r1", "r2"], "frequency_thz": 193.1, "slot": 0},
                {"path": ["r1", "r2"], "frequency_thz": 193.15, "slot": 1},
            ],
        },
        "p",
    )
    with pytest.raises(InputError, match="--slot"):
        lightpaths_of_slot(plan, "p")
    (one,) = lightpaths_of_slot(plan, "p", at="2025-07-01T00:20:00Z")
    assert one.frequency_thz == 193.15
    free = OpticalChannel("och-1", None, None, None, None)
    states = {
        t: DeviceState(t, frozenset({"terminal_device"}), optical_channels=(free,))
        for t in ("ta", "tb", "tz")
    }
    pair = bind([one], "p", {"ta": "r1", "tb": "r1", "tz": "r2"}, states)
    assert pair == [("ta", "tz")]
    assert intents([one], pair)[0].transponders == ("ta", "tz")
    with pytest.raises(InputError, match="free transponder at r2"):
        bind([one, one], "p", {"ta": "r1", "tb": "r1", "tz": "r2"}, states)


def test_duplicate_keys_are_errors() -> None:
    with pytest.raises(InputError, match=r"topology.nodes.r1: expected each key once"):
        load_yaml("topology:\n  nodes:\n    r1: {}\n    r1: {}\n", "lab.clab.yml")
    with pytest.raises(InputError, match="expected each key once"):
        load_json('{"lightpaths": [], "lightpaths": []}', "p.json")


def test_duplicate_node_in_a_clab_copy_is_exit_2(tmp_path: Path) -> None:
    shutil.copytree(REPO / "containerlab" / "orca", tmp_path / "orca")
    text = (REPO / "containerlab" / "orca.clab.yml").read_text()
    twice = text.replace("    roadm-lon:\n", "    roadm-fra:\n", 1)
    (tmp_path / "dup.clab.yml").write_text(twice)
    with pytest.raises(InputError, match=r"nodes.roadm-fra: expected each key once"):
        validate_file(str(tmp_path / "dup.clab.yml"))


def test_signals_floors() -> None:
    from datetime import UTC, datetime

    t = [datetime(2025, 7, 1, h, tzinfo=UTC) for h in range(2)]
    with pytest.raises(InputError, match=r"DE/co2eq\[2025-07-01T01:00:00\+00:00\]: expected"):
        build_signals({("DE", "co2eq"): [1.0, -3.0]}, t)
    build_signals({("DE", "price"): [PRICE_FLOOR, 10.0]}, t)
    with pytest.raises(InputError, match="price floor"):
        build_signals({("DE", "price"): [PRICE_FLOOR - 1, 10.0]}, t)
    with pytest.raises(InputError, match="finite"):
        build_signals({("DE", "co2eq"): [math.inf, 1.0]}, t)
    s = build_signals({("DE", "co2eq"): [math.nan, 1.0]}, t)  # NaN = missing: filled, counted
    assert len(s.filled) == 1


# -- YANG --------------------------------------------------------------------------------

OLD_FREE = (
    '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" '
    'xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0">'
    '<components xmlns="http://openconfig.net/yang/platform"><component><name>och-1</name>'
    '<optical-channel xmlns="http://openconfig.net/yang/terminal-device"><config>'
    '<frequency nc:operation="remove"/></config></optical-channel></component></components>'
    "</config>"
)


def test_the_old_valueless_free_edit_fails_yang_and_the_new_one_passes() -> None:
    with pytest.raises(PayloadError, match="uint64") as err:
        check_payload("tp-1", OLD_FREE)
    assert err.value.device == "tp-1"
    assert err.value.xpath is not None and err.value.xpath.endswith("/config/frequency")
    new = edit_config([], [OpticalChannel("och-1", 193_100_000, 0.0, 2, "p")])
    check_payload("tp-1", new)


@pytest.mark.skipif(shutil.which("yanglint") is None, reason="yanglint not installed")
def test_yanglint_agrees_on_the_new_free_edit(tmp_path: Path) -> None:
    oc = REPO / "yang" / "openconfig"
    body = edit_config([], [OpticalChannel("och-1", 193_100_000, 0.0, None, None)])
    inner = (
        body.split(">", 1)[1]
        .rsplit("</", 1)[0]
        .replace(
            "<components ", '<components xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" ', 1
        )
    )
    (tmp_path / "e.xml").write_text(inner)
    nc = Path("/usr/share/yuma/modules/ietf/ietf-netconf@2011-06-01.yang")
    if not nc.exists():
        pytest.skip("no ietf-netconf module for yanglint's nc:operation")
    out = subprocess.run(
        [
            "yanglint",
            "-t",
            "edit",
            "-p",
            str(oc),
            "-p",
            str(nc.parent),
            str(oc / "openconfig-platform.yang"),
            str(oc / "openconfig-terminal-device.yang"),
            str(nc),
            str(tmp_path / "e.xml"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr[-1500:]


def test_every_edit_plan_edits_builds_fits_the_models() -> None:
    nbrs = {
        Port("t1", "line"): Port("r1", "add"),
        Port("r1", "add"): Port("t1", "line"),
        Port("r1", "out"): Port("r2", "in"),
        Port("r2", "in"): Port("r1", "out"),
        Port("r2", "drop"): Port("t2", "line"),
        Port("t2", "line"): Port("r2", "drop"),
    }
    och = OpticalChannel("och-1", None, None, None, "line")
    st = {
        "t1": DeviceState("t1", frozenset({"terminal_device"}), optical_channels=(och,)),
        "t2": DeviceState("t2", frozenset({"terminal_device"}), optical_channels=(och,)),
        "r1": DeviceState("r1", frozenset({"wavelength_router"})),
        "r2": DeviceState("r2", frozenset({"fsor_lightpath"})),
    }
    f = 193_100_000
    lp = LightpathIntent(intent_id("w", ("r1", "r2"), f), ("r1", "r2"), f, ("t1", "t2"), mode=1)
    add = plan_edits(st, [lp], nbrs)
    assert sorted(add) == ["r1", "r2", "t1", "t2"]
    for dev, e in add.items():
        check_payload(dev, e.config_xml)
    # after the add, removing it builds deletes and frees: they fit too
    tuned = OpticalChannel("och-1", f, 0.0, 1, "line")
    mc = MediaChannel(1, lp.id, f - 25_000, f + 25_000, "ENABLED", "add", "out")
    now = {
        **st,
        "t1": DeviceState("t1", st["t1"].adapters, optical_channels=(tuned,)),
        "t2": DeviceState("t2", st["t2"].adapters, optical_channels=(tuned,)),
        "r1": DeviceState("r1", st["r1"].adapters, media_channels=(mc,)),
    }
    drop = plan_edits(now, [], nbrs)
    assert {"r1", "t1"} <= set(drop)
    for dev, e in drop.items():
        check_payload(dev, e.config_xml)
    for dev, e in restore_edits(now, st).items():
        check_payload(dev, e.config_xml)


# -- examples and docs -------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "plan.json",
        "devices.yaml",
        "lab.clab.yml",
        "workloads.yaml",
        "caps.yaml",
        "weights.yaml",
        "signals.csv",
    ],
)
def test_every_example_validates(name: str) -> None:
    kind, summary = validate_file(str(REPO / "examples" / name))
    assert summary.startswith(kind)


def test_formats_doc_is_generated_from_the_schemas() -> None:
    assert (REPO / "docs" / "formats.md").read_text() == render_formats()
