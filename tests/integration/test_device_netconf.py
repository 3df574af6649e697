"""fsor-device against ncclient: real processes on loopback, real SSH, real NETCONF."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import ncclient.transport.session as nc_session
import pytest
from lxml import etree
from ncclient.operations.rpc import RPCError

from containerlab.device.testing import DeviceHandle, example_startup, nc_connect, running_device

PLAT = "http://openconfig.net/yang/platform"
TERM = "http://openconfig.net/yang/terminal-device"
WR = "http://openconfig.net/yang/wavelength-router"
CM = "http://openconfig.net/yang/channel-monitor"
LLDP = "http://openconfig.net/yang/lldp"
AMP = "http://openconfig.net/yang/optical-amplfier"
NS = {"p": PLAT, "t": TERM, "w": WR, "cm": CM, "l": LLDP, "a": AMP}

#: an optical-channel config child that removes the frequency leaf (channel goes dark)
DELETE_FREQUENCY = (
    '<frequency xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" nc:operation="delete"/>'
)


@pytest.fixture(scope="module", autouse=True)
def fast_tick() -> Iterator[None]:
    """ncclient polls every TICK (0.1 s); DESIGN.md says lower it for the lab."""
    old = nc_session.TICK
    nc_session.TICK = 0.005
    yield
    nc_session.TICK = old


@pytest.fixture()
def transponder() -> Iterator[DeviceHandle]:
    with running_device(example_startup("transponder")) as dev:
        yield dev


def och_edit(
    name: str,
    *,
    freq: object = 193_100_000,
    power: object = 1.0,
    mode: object = 2,
    extra: str = "",
    op: str = "",
) -> str:
    attr = f' xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" nc:operation="{op}"' if op else ""
    leaves = "".join(
        f"<{tag}>{value}</{tag}>"
        for tag, value in (
            ("frequency", freq),
            ("target-output-power", power),
            ("operational-mode", mode),
        )
        if value is not None
    )
    return (
        f'<config><components xmlns="{PLAT}"><component><name>{name}</name>'
        f'<optical-channel xmlns="{TERM}"><config{attr}>{leaves}{extra}</config>'
        "</optical-channel></component></components></config>"
    )


def xp(el: etree._Element, path: str) -> list[Any]:
    found = el.xpath(path, namespaces=NS)
    assert isinstance(found, list)
    return found


def xml(reply: Any) -> etree._Element:
    return etree.fromstring(reply.data_xml.encode())


def used_power(m: Any, component: str) -> int:
    sel = f"/p:components/p:component[p:name='{component}']/p:state/p:used-power"
    values = xp(xml(m.get(filter=("xpath", (NS, sel)))), "//p:used-power/text()")
    return int(values[0])


def och_config(m: Any, source: str, name: str = "och-1") -> dict[str, str]:
    data = xml(m.get_config(source=source))
    cfg = xp(data, f"//p:component[p:name='{name}']/t:optical-channel/t:config")
    return {etree.QName(c).localname: c.text or "" for c in cfg[0]}


def test_hello_advertises_capabilities_and_modules(transponder: DeviceHandle) -> None:
    with nc_connect(transponder) as m:
        caps = set(m.server_capabilities)
        assert m.session_id is not None
    assert "urn:ietf:params:netconf:capability:candidate:1.0" in caps
    assert "urn:ietf:params:netconf:capability:confirmed-commit:1.1" in caps
    assert "urn:ietf:params:netconf:capability:validate:1.1" in caps
    assert "urn:ietf:params:netconf:capability:xpath:1.0" in caps
    modules = {c.split("module=")[1].split("&")[0]: c for c in caps if "module=" in c}
    for name in (
        "openconfig-terminal-device",
        "openconfig-platform",
        "openconfig-lldp",
        "openconfig-channel-monitor",
    ):
        assert "revision=" in modules[name]
    assert "openconfig-wavelength-router" not in modules


def test_get_state_subtree_and_xpath(transponder: DeviceHandle) -> None:
    with nc_connect(transponder) as m:
        flt = (
            f'<components xmlns="{PLAT}"><component><name>tp-fra-1</name><state/>'
            "</component></components>"
        )
        data = xml(m.get(filter=("subtree", flt)))
        names = xp(data, "//p:component/p:name/text()")
        assert names == ["tp-fra-1"]
        assert xp(data, "//p:state/p:type/text()") == ["oc-platform-types:CHASSIS"]
        assert int(xp(data, "//p:state/p:used-power/text()")[0]) == 120
        nb = xml(
            m.get(
                filter=(
                    "xpath",
                    (NS, "/l:lldp/l:interfaces/l:interface[l:name='line-1']/l:neighbors"),
                )
            )
        )
        assert xp(nb, "//l:neighbor/l:state/l:system-name/text()") == ["roadm-fra"]
        assert xp(nb, "//l:neighbor/l:state/l:port-id/text()") == ["add-1"]
        sysname = xml(
            m.get(
                filter=(
                    "xpath",
                    ({"oc-lldp": LLDP}, "/oc-lldp:lldp/oc-lldp:state/oc-lldp:system-name"),
                )
            )
        )
        assert xp(sysname, "//l:system-name/text()") == ["tp-fra-1"]
        modes = xml(m.get(filter=("xpath", (NS, "/t:terminal-device/t:operational-modes/t:mode"))))
        assert xp(modes, "//t:mode/t:mode-id/text()") == ["1", "2", "3"]


def test_commit_lights_channel_power_and_occupancy(transponder: DeviceHandle) -> None:
    with nc_connect(transponder) as m:
        assert used_power(m, "och-1") == 0
        m.edit_config(target="candidate", config=och_edit("och-1"))
        assert och_config(m, "candidate")["frequency"] == "193100000"
        assert "frequency" not in och_config(m, "running")
        m.commit()
        assert och_config(m, "running")["frequency"] == "193100000"
        assert used_power(m, "och-1") == 55  # mode 2 draws 55 W
        mon = xml(
            m.get(
                filter=("xpath", (NS, "/cm:channel-monitors/cm:channel-monitor[cm:name='line-1']"))
            )
        )
        lows = xp(mon, "//cm:channel/cm:state/cm:lower-frequency/text()")
        highs = xp(mon, "//cm:channel/cm:state/cm:upper-frequency/text()")
        assert (lows, highs) == (["193075000"], ["193125000"])
        # freeing: delete the frequency leaf → dark again
        m.edit_config(
            target="candidate",
            config=och_edit(
                "och-1",
                freq=None,
                power=None,
                mode=None,
                extra=DELETE_FREQUENCY,
            ),
        )
        m.commit()
        assert used_power(m, "och-1") == 0


def test_confirmed_commit_times_out_and_reverts(transponder: DeviceHandle) -> None:
    with nc_connect(transponder) as m:
        before = etree.tostring(xml(m.get_config(source="running")), method="c14n")
        m.edit_config(target="candidate", config=och_edit("och-2", mode=3))
        m.commit(confirmed=True, timeout="2")
        assert used_power(m, "och-2") == 75
        deadline = time.monotonic() + 10
        while used_power(m, "och-2") != 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        after = etree.tostring(xml(m.get_config(source="running")), method="c14n")
        assert after == before
        assert "frequency" not in och_config(m, "candidate", "och-2")


def test_confirming_commit_keeps_config(transponder: DeviceHandle) -> None:
    with nc_connect(transponder) as m:
        m.edit_config(target="candidate", config=och_edit("och-1"))
        m.commit(confirmed=True, timeout="1")
        m.commit()
        time.sleep(1.5)
        assert used_power(m, "och-1") == 55


def test_cancel_commit_and_discard_changes(transponder: DeviceHandle) -> None:
    with nc_connect(transponder) as m:
        m.edit_config(target="candidate", config=och_edit("och-1"))
        m.commit(confirmed=True, timeout="60")
        assert used_power(m, "och-1") == 55
        m.cancel_commit()
        assert used_power(m, "och-1") == 0
        with pytest.raises(RPCError) as err:
            m.cancel_commit()
        assert err.value.tag == "operation-failed"
        m.edit_config(target="candidate", config=och_edit("och-2"))
        m.discard_changes()
        assert "frequency" not in och_config(m, "candidate", "och-2")


def test_session_end_reverts_unless_persist(transponder: DeviceHandle) -> None:
    with nc_connect(transponder) as m:
        m.edit_config(target="candidate", config=och_edit("och-1"))
        m.commit(confirmed=True, timeout="60")
    with nc_connect(transponder) as m:
        deadline = time.monotonic() + 10
        while used_power(m, "och-1") != 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert used_power(m, "och-1") == 0
        m.edit_config(target="candidate", config=och_edit("och-2"))
        m.commit(confirmed=True, timeout="60", persist="tok-1")
    with nc_connect(transponder) as m:
        assert used_power(m, "och-2") == 55
        with pytest.raises(RPCError) as err:
            m.commit()
        assert err.value.tag == "invalid-value" and "persist-id" in err.value.message
        m.commit(persist_id="tok-1")
        assert used_power(m, "och-2") == 55


def test_locks_name_the_holder(transponder: DeviceHandle) -> None:
    with nc_connect(transponder) as a, nc_connect(transponder) as b:
        a.lock("candidate")
        with pytest.raises(RPCError) as err:
            b.lock("candidate")
        assert err.value.tag == "lock-denied"
        assert f"session {a.session_id}" in err.value.message
        with pytest.raises(RPCError) as err:
            b.edit_config(target="candidate", config=och_edit("och-1"))
        assert err.value.tag == "in-use" and str(a.session_id) in err.value.message
        a.edit_config(target="candidate", config=och_edit("och-1"))
        a.unlock("candidate")  # releasing the lock discards uncommitted changes
        assert "frequency" not in och_config(b, "candidate")
        b.lock("candidate")
        b.lock("running")
        b.unlock("running")
        b.unlock("candidate")


@pytest.mark.parametrize(
    ("edit", "tag", "path", "words"),
    [
        (
            och_edit("och-1", extra="<bogus>1</bogus>"),
            "unknown-element",
            "/components/component[name='och-1']/optical-channel/config/bogus",
            "bogus",
        ),
        (
            och_edit("och-1", freq="abc"),
            "invalid-value",
            "/components/component[name='och-1']/optical-channel/config/frequency",
            "abc",
        ),
        (
            och_edit("och-1", freq=197_000_000),
            "invalid-value",
            "/components/component[name='och-1']/optical-channel/config/frequency",
            "191.3",
        ),
        (
            och_edit("och-1", freq=193_100_001),
            "invalid-value",
            "/components/component[name='och-1']/optical-channel/config/frequency",
            "grid",
        ),
        (
            och_edit("och-1", mode=9),
            "invalid-value",
            "/components/component[name='och-1']/optical-channel/config/operational-mode",
            "not advertised",
        ),
    ],
)
def test_invalid_edit_rejected_with_path(
    transponder: DeviceHandle, edit: str, tag: str, path: str, words: str
) -> None:
    with nc_connect(transponder) as m:
        before = etree.tostring(xml(m.get_config(source="candidate")), method="c14n")
        with pytest.raises(RPCError) as err:
            m.edit_config(target="candidate", config=edit)
        assert err.value.tag == tag
        got = err.value.path.strip()  # namespace-qualified, prefixes declared on error-path
        assert got.startswith("/nc:rpc/nc:edit-config/nc:config/oc-platform:components/")
        assert re.sub(r"[\w-]+:(?=[\w-])", "", got) == "/rpc/edit-config/config" + path
        assert f"bad-element>{path.rsplit('/', 1)[1]}</" in (err.value.info or "")
        assert words in err.value.message
        assert etree.tostring(xml(m.get_config(source="candidate")), method="c14n") == before


def test_edit_operations(transponder: DeviceHandle) -> None:
    with nc_connect(transponder) as m:
        with pytest.raises(RPCError) as err:  # create on existing config container
            m.edit_config(target="candidate", config=och_edit("och-1", op="create"))
        assert err.value.tag == "data-exists"
        with pytest.raises(RPCError) as err:
            m.edit_config(
                target="candidate",
                config=och_edit(
                    "och-1",
                    freq=None,
                    power=None,
                    mode=None,
                    extra=DELETE_FREQUENCY,
                ),
            )
        assert err.value.tag == "data-missing"
        m.edit_config(target="candidate", config=och_edit("och-1", op="replace"))
        cfg = och_config(m, "candidate")
        assert cfg["frequency"] == "193100000" and "line-port" not in cfg
        m.edit_config(target="candidate", config=och_edit("och-1", op="remove"))
        assert "config" not in [
            etree.QName(c).localname
            for c in xp(
                xml(m.get_config(source="candidate")),
                "//p:component[p:name='och-1']/t:optical-channel/*",
            )
        ]
        m.validate(source="candidate")
        m.discard_changes()


def test_roadm_media_channel_occupancy_and_power() -> None:
    with running_device(example_startup("roadm")) as dev, nc_connect(dev) as m:
        caps = " ".join(m.server_capabilities)
        assert "openconfig-wavelength-router" in caps and "terminal-device" not in caps
        assert used_power(m, "roadm-fra") == 250

        def media(index: int, lo: int, hi: int, src: str, dst: str) -> str:
            return (
                f'<config><wavelength-router xmlns="{WR}"><media-channels><channel>'
                f"<index>{index}</index><config><index>{index}</index>"
                f"<name>fsor-lp{index}</name><lower-frequency>{lo}</lower-frequency>"
                f"<upper-frequency>{hi}</upper-frequency><admin-status>ENABLED"
                f"</admin-status></config><source><config><port-name>{src}</port-name>"
                f"</config></source><dest><config><port-name>{dst}</port-name></config>"
                "</dest></channel></media-channels></wavelength-router></config>"
            )

        m.edit_config(
            target="candidate", config=media(1, 193_075_000, 193_125_000, "add-1", "line-tok")
        )
        m.commit()
        assert used_power(m, "roadm-fra") == 252  # 250 W + 2.5 W per channel, rounded
        for port in ("add-1", "line-tok"):
            mon = xml(
                m.get(
                    filter=(
                        "xpath",
                        (
                            NS,
                            f"/cm:channel-monitors/cm:channel-monitor[cm:name='{port}']/cm:channels",
                        ),
                    )
                )
            )
            assert xp(mon, "//cm:channel/cm:lower-frequency/text()") == ["193075000"]
        idle = xml(
            m.get(
                filter=("xpath", (NS, "/cm:channel-monitors/cm:channel-monitor[cm:name='add-2']"))
            )
        )
        assert not xp(idle, "//cm:channel")
        state = xml(
            m.get(filter=("xpath", (NS, "/w:wavelength-router/w:media-channels/w:channel/w:state")))
        )
        assert xp(state, "//w:state/w:name/text()") == ["fsor-lp1"]
        with pytest.raises(RPCError) as err:
            m.edit_config(
                target="candidate", config=media(2, 193_100_000, 193_150_000, "add-2", "line-tok")
            )
        assert err.value.tag == "invalid-value" and "overlaps" in err.value.message
        with pytest.raises(RPCError) as err:
            m.edit_config(
                target="candidate", config=media(3, 190_000_000, 190_050_000, "add-2", "line-nca")
            )
        assert "lower-frequency" in err.value.path


def test_amplifier_state() -> None:
    with running_device(example_startup("amplifier")) as dev, nc_connect(dev) as m:
        data = xml(m.get())
        gains = xp(data, "//a:amplifier/a:state/a:actual-gain/a:instant/text()")
        assert [float(g) for g in gains] == [20.0, 18.5]
        spans = xp(data, "//p:property[p:name='spans']/p:state/p:value/text()")
        assert spans == ["12"]
        powers = xp(data, "//p:component/p:state/p:used-power/text()")
        assert sum(int(p) for p in powers) == 30 + 2 * 15


def test_process_stops_on_sigterm() -> None:
    with running_device(example_startup("roadm")) as dev:
        proc = dev.process
    assert proc.returncode == 0
