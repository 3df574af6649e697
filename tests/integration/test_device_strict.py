"""The emulator as a strict NETCONF server, checked with plain ncclient on an in-process device:
kill-session (RFC 6241 §7.9), XPath 1.0 filters, qualified error-path and error-info on
every rpc-error, RFC 5277 notifications and injected events, and the one-way delay line."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from ncclient import manager
from ncclient.operations.rpc import RPCError

from containerlab.device.engine import DeviceEngine
from containerlab.device.events import EVENTS_NS, NCN_NS
from containerlab.device.profile import load_startup
from containerlab.device.server import DeviceServer, ensure_host_key
from containerlab.device.testing import example_startup

pytestmark = [pytest.mark.integration]

PLAT = "http://openconfig.net/yang/platform"
LLDP = "http://openconfig.net/yang/lldp"
NS = {"p": PLAT, "l": LLDP}
INJECT = (
    f'<inject-event xmlns="{EVENTS_NS}"><event>{{event}}</event>'
    "<target>{target}</target></inject-event>"
)


def start(tmp_path: Path, kind: str = "roadm", delay_s: float = 0.0) -> DeviceServer:
    engine = DeviceEngine(load_startup(example_startup(kind)))
    return DeviceServer(
        engine,
        address="127.0.0.1",
        port=0,
        username="admin",
        password="admin",
        host_key=ensure_host_key(tmp_path / "host_key"),
        delay_s=delay_s,
    )


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[DeviceServer]:
    srv = start(tmp_path)
    try:
        yield srv
    finally:
        srv.shutdown()


def xp(el: etree._Element, path: str) -> list[Any]:
    found = el.xpath(path, namespaces=NS)
    assert isinstance(found, list)
    return found


def connect(srv: DeviceServer) -> Any:
    return manager.connect(
        host="127.0.0.1",
        port=srv.port,
        username="admin",
        password="admin",
        hostkey_verify=False,
        allow_agent=False,
        look_for_keys=False,
        timeout=10,
    )


def test_kill_session_ends_the_target_and_keeps_the_caller(server: DeviceServer) -> None:
    target = connect(server)
    with connect(server) as caller:
        target.lock(target="candidate")
        with pytest.raises(RPCError) as err:
            caller.lock(target="candidate")
        assert err.value.tag == "lock-denied"
        caller.kill_session(session_id=str(target.session_id))
        caller.lock(target="candidate")  # the target's lock went with it
        caller.unlock(target="candidate")
        assert caller.connected and caller.get_config(source="running").ok
        with pytest.raises(RPCError) as err:  # RFC 6241 §7.9: not the own session
            caller.kill_session(session_id=str(caller.session_id))
        assert err.value.tag == "invalid-value" and "session-id" in err.value.path
        with pytest.raises(RPCError) as err:
            caller.kill_session(session_id="9999")
        assert err.value.tag == "invalid-value"
    assert server.session_by_id(int(target.session_id)) is None
    deadline = time.monotonic() + 5
    while target.connected and time.monotonic() < deadline:  # the channel was closed
        time.sleep(0.05)
    assert not target.connected


def test_xpath_predicates_positions_and_prefixes(server: DeviceServer) -> None:
    with connect(server) as m:
        caps = set(m.server_capabilities)
        assert "urn:ietf:params:netconf:capability:xpath:1.0" in caps
        first = etree.fromstring(
            m.get(filter=("xpath", (NS, "/p:components/p:component[1]/p:name"))).data_xml.encode()
        )
        names = xp(first, "//p:component/p:name/text()")
        assert len(names) == 1
        last = m.get(filter=("xpath", (NS, "/p:components/p:component[last()]/p:name")))
        assert names != xp(etree.fromstring(last.data_xml.encode()), "//p:component/p:name/text()")
        with pytest.raises(RPCError) as err:  # an undeclared prefix is an error, not ignored
            m.get(filter=("xpath", ({"p": PLAT}, "/q:components")))
        assert err.value.tag == "invalid-value" and "filter" in err.value.path


def test_every_rpc_error_has_a_qualified_path_and_error_info(server: DeviceServer) -> None:
    errors = []
    with connect(server) as a, connect(server) as b:
        a.lock(target="running")
        calls = [
            lambda: b.lock(target="running"),  # lock-denied: session-id
            lambda: b.commit(confirmed=True, timeout="-3"),  # a bad parameter
            lambda: b.cancel_commit(),  # the operation itself: nothing pending
            lambda: b.edit_config(
                target="running", config=f'<config><components xmlns="{PLAT}"/></config>'
            ),
            lambda: b.get(filter=("xpath", (NS, "count(/p:components)"))),
        ]
        for call in calls:
            with pytest.raises(RPCError) as err:
                call()  # type: ignore[no-untyped-call]
            errors.append(err.value)
    for e in errors:
        assert e.path and e.path.startswith("/"), (e.tag, e.path)
        assert "/nc:rpc/nc:" in e.path or ":" in e.path.split("/")[1], e.path
        assert e.info and "bad-element" in e.info, (e.tag, e.info)
    assert "session-id" in (errors[0].info or "")
    assert errors[1].path == "/nc:rpc/nc:commit/nc:confirm-timeout"
    assert "bad-value" in (errors[1].info or "") and ">-3<" in (errors[1].info or "")
    assert errors[2].path == "/nc:rpc/nc:cancel-commit"


def take(m: Any, timeout: float = 5.0) -> etree._Element:
    n = m.take_notification(block=True, timeout=timeout)
    assert n is not None, "no notification"
    return etree.fromstring(n.notification_xml.encode())


def test_notifications_for_commits_and_injected_events(server: DeviceServer) -> None:
    with connect(server) as watcher, connect(server) as actor:
        caps = set(watcher.server_capabilities)
        assert "urn:ietf:params:netconf:capability:notification:1.0" in caps
        assert "urn:ietf:params:netconf:capability:interleave:1.0" in caps
        watcher.create_subscription()
        actor.lock(target="candidate")
        actor.discard_changes()
        actor.commit()
        change = take(watcher)
        assert change.find(f"{{{NCN_NS}}}netconf-config-change") is not None
        assert change.findtext(f".//{{{NCN_NS}}}session-id") == str(actor.session_id)
        # interleave: the subscribed session still answers RPCs
        assert watcher.get_config(source="running").ok
        before = watcher.get(filter=("xpath", (NS, "/l:lldp"))).data_xml
        port = str(
            xp(etree.fromstring(before.encode()), "//l:interface[l:neighbors]/l:name/text()")[0]
        )
        actor.dispatch(etree.fromstring(INJECT.format(event="fibre-down", target=port)))
        ev = take(watcher)
        body = ev.find(f"{{{EVENTS_NS}}}port-oper-status")
        assert body is not None
        assert body.findtext(f"{{{EVENTS_NS}}}port") == port
        assert body.findtext(f"{{{EVENTS_NS}}}oper-status") == "down"
        assert body.findtext(f"{{{EVENTS_NS}}}cause") == "fibre"
        after = watcher.get(filter=("xpath", (NS, "/l:lldp"))).data_xml
        peers = xp(etree.fromstring(after.encode()), f"//l:interface[l:name='{port}']/l:neighbors")
        assert not peers  # the cut fibre's neighbour is gone
        actor.dispatch(etree.fromstring(INJECT.format(event="fibre-up", target=port)))
        assert take(watcher).findtext(f".//{{{EVENTS_NS}}}oper-status") == "up"
        with pytest.raises(RPCError) as err:
            actor.dispatch(etree.fromstring(INJECT.format(event="fibre-down", target="nope")))
        assert err.value.tag == "invalid-value" and "nope" in err.value.message
        with pytest.raises(RPCError) as err:  # one subscription per session
            watcher.create_subscription()
        assert err.value.tag == "operation-failed"


def test_delay_line_carries_the_whole_session(tmp_path: Path) -> None:
    srv = start(tmp_path, delay_s=0.02)
    try:
        with connect(srv) as m:
            assert m.get(filter=("xpath", (NS, "/l:lldp/l:state"))).ok
            families = {s.client_socket.family for s in srv.sockets if s.client_socket}
        assert families == {socket.AF_UNIX}  # paramiko talks to the delay line, not TCP
    finally:
        srv.shutdown()
