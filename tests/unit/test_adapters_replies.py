"""Adapters on captured device replies: good ones parse, bad ones name device and xpath."""

from __future__ import annotations

import pytest

from controller.adapters import (
    fsor_lightpath,
    lldp,
    optical_amplifier,
    platform,
    terminal_device,
    wavelength_router,
)
from controller.adapters.capabilities import adapters_for, features
from controller.discovery import device_filter, parse_device
from controller.provision import intents_from_plan
from controller.seed import seed_from_devices, seed_from_state
from controller.session import Credentials, credentials_from_env
from topology.errors import DeviceError, InputError

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
# a reply as the emulator sends it (trimmed): a ROADM with one media channel
ROADM_REPLY = f"""<rpc-reply xmlns="{NC}" message-id="urn:uuid:1"><data>
<wavelength-router xmlns="{wavelength_router.NS}"><media-channels><channel><index>4</index>
<config><index>4</index><name>fsor-1</name><lower-frequency>193075000</lower-frequency>
<upper-frequency>193125000</upper-frequency><admin-status>ENABLED</admin-status></config>
<source><config><port-name>eth3</port-name></config></source>
<dest><config><port-name>eth1</port-name></config></dest></channel></media-channels>
</wavelength-router>
<lldp xmlns="{lldp.NS}"><state><system-name>roadm-fra</system-name></state><interfaces>
<interface><name>eth1</name><neighbors><neighbor><id>1</id><state><id>1</id>
<system-name>amp-1</system-name><port-id>eth1</port-id></state></neighbor></neighbors>
</interface></interfaces></lldp>
<components xmlns="{platform.NS}"><component><name>roadm-fra</name><state>
<name>roadm-fra</name><type xmlns:oc-platform-types="http://openconfig.net/yang/platform-types">oc-platform-types:CHASSIS</type>
<used-power>320</used-power></state></component></components></data></rpc-reply>"""


def test_captured_roadm_reply_parses() -> None:
    facts = parse_device(
        "roadm-fra", "", frozenset({"wavelength_router", "lldp", "platform"}), ROADM_REPLY
    )
    (mc,) = facts.media_channels
    assert (mc.index, mc.name, mc.source_port, mc.dest_port) == (4, "fsor-1", "eth3", "eth1")
    assert facts.system_name == "roadm-fra" and facts.kind == "roadm"
    assert facts.power_w == 320.0
    assert facts.neighbours == (lldp.Neighbour("eth1", "amp-1", "eth1"),)


def test_malformed_xml_names_device_and_root() -> None:
    with pytest.raises(DeviceError) as info:
        wavelength_router.parse_media_channels("roadm-fra", ROADM_REPLY[:300])
    assert info.value.device == "roadm-fra" and info.value.xpath == "/"
    assert "malformed XML" in str(info.value)


@pytest.mark.parametrize(
    ("leaf", "xpath"),
    [
        (
            "<lower-frequency>193075000</lower-frequency>",
            "/wavelength-router/media-channels/channel[index='4']/config/lower-frequency",
        ),
        (
            "<system-name>amp-1</system-name>",
            "/lldp/interfaces/interface[name='eth1']/neighbors/neighbor[1]/state/system-name",
        ),
    ],
)
def test_missing_required_leaf_names_device_and_xpath(leaf: str, xpath: str) -> None:
    bad = ROADM_REPLY.replace(leaf, "")
    with pytest.raises(DeviceError) as info:
        parse_device("roadm-fra", "", frozenset({"wavelength_router", "lldp"}), bad)
    assert info.value.device == "roadm-fra" and info.value.xpath == xpath
    assert str(info.value).startswith(f"roadm-fra {xpath}: required leaf missing")


def test_non_numeric_leaf_names_device_and_xpath() -> None:
    bad = ROADM_REPLY.replace("<used-power>320", "<used-power>lots")
    with pytest.raises(DeviceError, match=r"state/used-power: expected a decimal number"):
        platform.parse_components("roadm-fra", bad)


def test_reply_without_data_is_an_error() -> None:
    with pytest.raises(DeviceError, match="without <data>"):
        lldp.parse_lldp("x", f'<rpc-reply xmlns="{NC}"><ok/></rpc-reply>')


def test_empty_replies_parse_to_nothing() -> None:
    empty = f'<rpc-reply xmlns="{NC}"><data/></rpc-reply>'
    assert terminal_device.parse_optical_channels("t", empty) == ()
    assert optical_amplifier.parse_amplifiers("a", empty) == ()
    assert fsor_lightpath.parse_lightpaths("c", empty) == ()
    assert lldp.parse_lldp("l", empty) == lldp.LldpInfo(None, ())


def test_capabilities_choose_adapters_and_features() -> None:
    caps = [
        "urn:ietf:params:netconf:base:1.1",
        "urn:ietf:params:netconf:capability:candidate:1.0",
        "urn:ietf:params:netconf:capability:confirmed-commit:1.1",
        f"{fsor_lightpath.NS}?module=fsor-lightpath&revision=2026-11-22",
    ]
    assert adapters_for(caps) == frozenset({"fsor_lightpath"})
    f = features(caps)
    assert f.candidate and f.confirmed_commit and not f.xpath
    flt = device_filter(adapters_for(caps))
    assert fsor_lightpath.NS in flt and lldp.NS not in flt


def test_intents_from_plan_rejects_bad_lightpaths() -> None:
    good = {"path": ["a", "b"], "frequency_thz": 193.1, "transponders": ["t1", "t2"]}
    assert len(intents_from_plan({"lightpaths": [good, dict(good)]}, "p.json")) == 1
    with pytest.raises(InputError, match=r"p.json: lightpaths\[0\].frequency_thz"):
        intents_from_plan({"lightpaths": [{**good, "frequency_thz": "x"}]}, "p.json")
    with pytest.raises(InputError, match=r"lightpaths\[0\].transponders"):
        intents_from_plan({"lightpaths": [{**good, "transponders": ["t1"]}]}, "p.json")
    with pytest.raises(InputError, match="lightpaths: expected a list"):
        intents_from_plan({}, "p.json")


def test_credentials_never_show_the_password() -> None:
    c = credentials_from_env(env={"FSOR_NETCONF_USERNAME": "u", "FSOR_NETCONF_PASSWORD": "s3"})
    assert c == Credentials("u", "s3") and "s3" not in repr(c)
    assert credentials_from_env(Credentials("d", "p"), env={}) == Credentials("d", "p")


def test_seeds_from_state_and_devices_file(tmp_path: object) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    s = seed_from_state(
        {
            "lab": "x",
            "known_hosts": "/k",
            "nodes": [
                {
                    "name": "r1",
                    "host": "127.0.0.1",
                    "port": 8301,
                    "username": "a",
                    "password": "b",
                    "role": "roadm",
                }
            ],
        }
    )
    assert s.devices[0].endpoint.port == 8301 and s.devices[0].role == "roadm"
    f = tmp_path / "d.yaml"
    f.write_text("devices:\n  - {id: r1, host: 10.0.0.1}\nmetadata: sites.yaml\n")
    seed = seed_from_devices(f)
    assert seed.devices[0].endpoint.port == 830 and seed.metadata == tmp_path / "sites.yaml"
    f.write_text("devices:\n  - {host: 10.0.0.1}\n")
    with pytest.raises(InputError, match=r"devices\[0\]"):
        seed_from_devices(f)
