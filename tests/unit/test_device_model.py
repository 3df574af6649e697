"""Pure parts of fsor-device: startup profiles, edit-config, filters, checks, state, schema."""

from __future__ import annotations

from typing import Any

import pytest
from lxml import etree

from containerlab.device.checks import check_config
from containerlab.device.config import initial_config
from containerlab.device.datastore import EditError, apply_edit
from containerlab.device.filters import FilterError, filter_subtree, filter_xpath
from containerlab.device.profile import DeviceProfile, load_startup, parse_startup
from containerlab.device.schema import Schema
from containerlab.device.state import occupancy, operational
from containerlab.device.testing import example_startup
from topology.errors import InputError

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
PLAT = "http://openconfig.net/yang/platform"
TERM = "http://openconfig.net/yang/terminal-device"
WR = "http://openconfig.net/yang/wavelength-router"
NS = {"p": PLAT, "t": TERM, "w": WR}


def xp(el: etree._Element, path: str) -> list[Any]:
    found = el.xpath(path, namespaces=NS)
    assert isinstance(found, list)
    return found


def edit(body: str) -> etree._Element:
    return etree.fromstring(f'<config xmlns="{NC}" xmlns:nc="{NC}">{body}</config>')


def och(name: str, inner: str, attr: str = "") -> str:
    return (
        f'<components xmlns="{PLAT}"><component><name>{name}</name>'
        f'<optical-channel xmlns="{TERM}"><config{attr}>{inner}</config>'
        "</optical-channel></component></components>"
    )


@pytest.fixture(scope="module")
def tp() -> DeviceProfile:
    return load_startup(example_startup("transponder"))


@pytest.fixture(scope="module")
def roadm() -> DeviceProfile:
    return load_startup(example_startup("roadm"))


def test_examples_load() -> None:
    kinds = {load_startup(example_startup(k)).kind for k in ("transponder", "roadm", "amplifier")}
    assert kinds == {"transponder", "roadm", "amplifier"}


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({"name": "x", "kind": "router"}, "kind"),
        ({"name": "x", "kind": "roadm", "ports": [{"name": "a"}, {"name": "a"}]}, "ports"),
        ({"name": "x", "kind": "roadm", "ports": "a"}, "ports"),
        (
            {
                "name": "x",
                "kind": "transponder",
                "ports": [{"name": "a"}],
                "optical_channels": [{"name": "o", "line_port": "b"}],
            },
            "optical_channels[0].line_port",
        ),
        ({"name": "x", "kind": "roadm", "power": {"idle_w": "lots"}}, "power.idle_w"),
        ({"kind": "roadm"}, "name"),
    ],
)
def test_bad_startup_names_field(doc: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as err:
        parse_startup(doc, "lab/x.yaml")
    assert err.value.field == field and err.value.source == "lab/x.yaml"
    assert "expected" in str(err.value)


def test_bad_startup_file(tmp_path: Any) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("name: [unclosed\n")
    with pytest.raises(InputError) as err:
        load_startup(path)
    assert err.value.source == str(path)


def test_merge_replace_create_delete_remove(tp: DeviceProfile) -> None:
    cfg = initial_config(tp)
    out = apply_edit(cfg, edit(och("och-1", "<frequency>193100000</frequency>")))
    assert xp(out, "//p:component[p:name='och-1']//t:frequency/text()") == ["193100000"]
    assert xp(cfg, "//t:frequency") == []  # input untouched
    assert xp(out, "//p:component[p:name='och-1']//t:line-port/text()") == ["line-1"]
    out2 = apply_edit(out, edit(och("och-1", "<frequency>193200000</frequency>")))
    assert xp(out2, "//p:component[p:name='och-1']//t:frequency/text()") == ["193200000"]
    rep = apply_edit(
        out2, edit(och("och-1", "<frequency>1</frequency>", ' nc:operation="replace"'))
    )
    assert xp(rep, "//p:component[p:name='och-1']//t:line-port") == []
    with pytest.raises(EditError) as err:
        apply_edit(out, edit(och("och-1", "", ' nc:operation="create"')))
    assert err.value.tag == "data-exists"
    assert err.value.path == "/components/component[name='och-1']/optical-channel/config"
    gone = apply_edit(out, edit(och("och-1", '<frequency nc:operation="delete"/>')))
    assert xp(gone, "//t:frequency") == []
    with pytest.raises(EditError) as err:
        apply_edit(gone, edit(och("och-1", '<frequency nc:operation="delete"/>')))
    assert err.value.tag == "data-missing"
    same = apply_edit(gone, edit(och("och-1", '<frequency nc:operation="remove"/>')))
    assert etree.tostring(same) == etree.tostring(gone)
    with pytest.raises(EditError) as err:
        apply_edit(gone, edit(och("och-1", '<frequency nc:operation="frobnicate"/>')))
    assert err.value.tag == "bad-attribute"


def test_list_entries_matched_by_key(tp: DeviceProfile) -> None:
    out = apply_edit(initial_config(tp), edit(och("och-9", "<line-port>line-2</line-port>")))
    names = xp(out, "//p:components/p:component/p:name/text()")
    assert names.count("och-1") == 1 and names.count("och-9") == 1


def test_subtree_and_xpath_filters(tp: DeviceProfile) -> None:
    data = operational(initial_config(tp), tp)
    flt = etree.fromstring(
        f'<filter><components xmlns="{PLAT}"><component><name>och-2</name><state>'
        "<used-power/></state></component></components></filter>"
    )
    out = filter_subtree(data, flt)
    assert xp(out, "//p:component/p:name/text()") == ["och-2"]
    assert xp(out, "//p:state/*/text()") == ["0"]
    assert len(filter_subtree(data, etree.fromstring("<filter/>"))) == 0
    out = filter_xpath(
        data,
        "/p:components/p:component[p:name='och-1' and p:config/p:name='och-1']/p:state"
        " | /p:components/p:component[p:name='line-2']/p:config",
        NS,
    )
    assert sorted(xp(out, "//p:component/p:name/text()")) == ["line-2", "och-1"]
    out = filter_xpath(data, "//p:used-power", NS)
    assert len(xp(out, "//p:used-power")) == 3  # chassis + two optical channels
    first = filter_xpath(data, "/p:components/p:component[1]/p:name", NS)  # positional
    assert xp(first, "//p:component/p:name/text()") == xp(data, "//p:component[1]/p:name/text()")
    # XPath 1.0: an unprefixed name is in no namespace, so it matches nothing served here
    assert len(filter_xpath(data, "/components/component", NS)) == 0
    with pytest.raises(FilterError, match="node-set"):
        filter_xpath(data, "count(/p:components)", NS)
    with pytest.raises(FilterError, match="XPath"):
        filter_xpath(data, "/x:components", NS)  # undeclared prefix


def test_device_checks(tp: DeviceProfile, roadm: DeviceProfile) -> None:
    bad = apply_edit(
        initial_config(tp),
        edit(
            och(
                "och-1",
                "<frequency>196200000</frequency><operational-mode>7</operational-mode>"
                "<target-output-power>12</target-output-power>",
            )
        ),
    )
    issues = {i.path.rsplit("/", 1)[1]: i for i in check_config(bad, tp)}
    assert set(issues) == {"frequency", "operational-mode", "target-output-power"}
    assert "191.3–196.1 THz" in issues["frequency"].message
    assert check_config(initial_config(tp), tp) == []
    assert check_config(initial_config(roadm), roadm) == []


def test_state_power_and_occupancy(tp: DeviceProfile) -> None:
    cfg = apply_edit(
        initial_config(tp),
        edit(
            och(
                "och-2",
                "<frequency>193500000</frequency><target-output-power>0</target-output-power>"
                "<operational-mode>3</operational-mode>",
            )
        ),
    )
    occ = occupancy(cfg, tp)
    assert [(o.port, o.lower_mhz, o.upper_mhz) for o in occ] == [
        ("line-2", 193_475_000, 193_525_000)
    ]
    data = operational(cfg, tp)
    power = {
        c: int(v[0])
        for c in ("tp-fra-1", "och-1", "och-2")
        if (v := xp(data, f"//p:component[p:name='{c}']/p:state/p:used-power/text()"))
    }
    assert power == {"tp-fra-1": 120, "och-1": 0, "och-2": 75}


def test_schema_validates_state_and_rejects_garbage(tp: DeviceProfile) -> None:
    schema = Schema("transponder")
    assert schema.available
    cfg = initial_config(tp)
    assert schema.validate(cfg, state=False) == []
    assert schema.validate(operational(cfg, tp), state=True) == []
    bad = apply_edit(cfg, edit(och("och-1", "<frequency>abc</frequency>")))
    [issue] = schema.validate(bad, state=False)
    assert issue.tag == "invalid-value"
    assert issue.path == "/components/component[name='och-1']/optical-channel/config/frequency"
    foreign = apply_edit(cfg, edit(f'<wavelength-router xmlns="{WR}"/>'))
    [issue] = schema.validate(foreign, state=False)
    assert issue.tag == "unknown-element"
    names = [m.name for m in schema.served_modules()]
    assert "openconfig-terminal-device" in names and "openconfig-wavelength-router" not in names


@pytest.mark.parametrize("kind", ["transponder", "roadm", "amplifier"])
def test_operational_tree_of_every_kind_is_schema_valid(kind: str) -> None:
    prof = load_startup(example_startup(kind))
    cfg = initial_config(prof)
    if kind == "roadm":
        cfg = apply_edit(
            cfg,
            edit(
                f'<wavelength-router xmlns="{WR}"><media-channels><channel><index>4</index>'
                "<config><index>4</index><lower-frequency>192000000</lower-frequency>"
                "<upper-frequency>192050000</upper-frequency></config><source><config>"
                "<port-name>add-2</port-name></config></source></channel></media-channels>"
                "</wavelength-router>"
            ),
        )
    schema = Schema(kind)
    assert check_config(cfg, prof) == []
    assert schema.validate(operational(cfg, prof), state=True) == []
    types = xp(operational(cfg, prof), "//p:component/p:state/p:type/text()")
    assert "oc-platform-types:CHASSIS" in types and "oc-platform-types:POWER_SUPPLY" in types


def test_default_operations(tp: DeviceProfile) -> None:
    cfg = initial_config(tp)
    with_freq = apply_edit(cfg, edit(och("och-1", "<frequency>193100000</frequency>")))
    none = apply_edit(with_freq, edit(och("och-1", "<frequency>1</frequency>")), "none")
    assert xp(none, "//t:frequency/text()") == ["193100000"]  # "none" sets no leaf
    gone = apply_edit(with_freq, edit(och("och-1", '<frequency nc:operation="remove"/>')), "none")
    assert xp(gone, "//t:frequency") == []
    only = apply_edit(with_freq, edit(och("och-2", "<frequency>193200000</frequency>")), "replace")
    assert xp(only, "//p:component/p:name/text()") == ["och-2"]
    with pytest.raises(EditError):
        apply_edit(cfg, edit(""), "bogus")
