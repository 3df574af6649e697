"""NETCONF over SSH for a :class:`~containerlab.device.engine.DeviceEngine`.

Length: over 400 lines on purpose: one RPC dispatcher over the netconf library's server: one
method per NETCONF operation.

Built on the PyPI ``netconf`` library (``netconf.server``): its SSH server, session threads and
framing are used as they are; this module adds

* :class:`DeviceMethods` — the ``rpc_*`` handlers (get, get-config, edit-config, validate,
  commit, cancel-commit, discard-changes, lock, unlock) and the hello capabilities;
* :class:`DeviceServer` — binds one address/port (the library binds all addresses), hands
  lock bookkeeping to the engine (so lock-denied errors name the holder and say why) and tells
  the engine when a session ends;
* a session class whose NETCONF 1.0 reader stops on a closed channel (the library's spins).
"""

from __future__ import annotations

import logging
import socket
import threading
from pathlib import Path
from typing import Any

import paramiko
from lxml import etree
from netconf import server as ncserver
from netconf import util as ncutil
from sshutil import server as sshserver  # type: ignore[import-untyped]

from containerlab.device.engine import DeviceEngine, RpcFault
from containerlab.device.errors import rpc_fault
from containerlab.device.events import (
    EVENTS_NS,
    NCN_NS,
    DeviceEvent,
    notification,
    parse_injection,
)
from containerlab.device.filters import FilterError, filter_subtree, filter_xpath
from containerlab.device.sessions import DeviceSession, DeviceSocket
from containerlab.device.yangmeta import capability_uri

__all__ = ["CAPABILITIES", "DeviceMethods", "DeviceServer", "ensure_host_key"]

log = logging.getLogger("fsor.device")
#: revision of yang/fsor-device-events.yang
EVENTS_REVISION = "2026-12-03"

CAPABILITIES = (
    "urn:ietf:params:netconf:capability:candidate:1.0",
    "urn:ietf:params:netconf:capability:confirmed-commit:1.0",
    "urn:ietf:params:netconf:capability:confirmed-commit:1.1",
    "urn:ietf:params:netconf:capability:validate:1.0",
    "urn:ietf:params:netconf:capability:validate:1.1",
    "urn:ietf:params:netconf:capability:rollback-on-error:1.0",
    "urn:ietf:params:netconf:capability:xpath:1.0",
    "urn:ietf:params:netconf:capability:notification:1.0",
    "urn:ietf:params:netconf:capability:interleave:1.0",
    f"{NCN_NS}?module=ietf-netconf-notifications&revision=2012-02-06",
    f"{EVENTS_NS}?module=fsor-device-events&revision={EVENTS_REVISION}",
)
#: notifications: the one stream this device has (RFC 5277 §3.2.3)
STREAM = "NETCONF"
NOTIFICATION_NS = "urn:ietf:params:xml:ns:netconf:notification:1.0"


def _child(params: tuple[etree._Element, ...], name: str) -> etree._Element | None:
    for p in params:
        if isinstance(p.tag, str) and etree.QName(p).localname == name:
            return p
    return None


def _datastore_name(rpc: etree._Element, el: etree._Element | None, what: str) -> str:
    if el is None or len(el) != 1:
        raise rpc_fault(
            rpc,
            RpcFault(
                "missing-element",
                f"{what}: expected one datastore",
                path=f"/{what}",
                etype="protocol",
            ),
        )
    return etree.QName(el[0]).localname


class DeviceMethods:
    """``rpc_*`` handlers called by ``netconf.server`` session threads."""

    def __init__(self, engine: DeviceEngine) -> None:
        self.engine = engine
        self._capabilities: tuple[str, ...] | None = None
        self._prefixes: dict[str, str] | None = None

    def nc_append_capabilities(self, capabilities: etree._Element) -> None:
        # the served modules are fixed once the engine is loaded: list them once, not per hello
        # (each listing globbed the vendored YANG directory: ~1 ms of every connection)
        if self._capabilities is None:
            modules = (capability_uri(m) for m in self.engine.schema.served_modules())
            self._capabilities = (*CAPABILITIES, *modules)
        for uri in self._capabilities:
            ncutil.subelm(capabilities, "capability").text = uri

    def _filtered(
        self, rpc: etree._Element, data: etree._Element, flt: etree._Element | None
    ) -> etree._Element:
        out = self._apply_filter(rpc, data, flt)
        used = {str(t).split(":", 1)[0] for t in out.itertext() if ":" in str(t)}
        etree.cleanup_namespaces(out, keep_ns_prefixes=sorted(p for p in used if p in out.nsmap))
        return out

    def _apply_filter(
        self, rpc: etree._Element, data: etree._Element, flt: etree._Element | None
    ) -> etree._Element:
        if flt is None:
            return data
        kind = flt.get("type", "subtree")
        try:
            if kind == "xpath":
                select = flt.get("select")
                if not select:
                    raise FilterError("xpath filter without select")
                return filter_xpath(data, select, {k: v for k, v in flt.nsmap.items() if k})
            if kind == "subtree":
                return filter_subtree(data, flt)
        except FilterError as exc:
            raise rpc_fault(rpc, RpcFault("invalid-value", str(exc), path="/filter")) from exc
        raise rpc_fault(
            rpc,
            RpcFault("bad-attribute", f"filter type {kind!r}", path="/filter", etype="protocol"),
        )

    def rpc_get(self, session: Any, rpc: etree._Element, flt: etree._Element | None) -> Any:
        return self._filtered(rpc, self.engine.operational(), flt)

    def rpc_get_config(
        self, session: Any, rpc: etree._Element, source: etree._Element, flt: etree._Element | None
    ) -> Any:
        name = _datastore_name(rpc, source, "source")
        try:
            data = self.engine.config(name)
        except RpcFault as fault:
            raise rpc_fault(rpc, fault) from fault
        return self._filtered(rpc, data, flt)

    @property
    def prefixes(self) -> dict[str, str]:
        """namespace → prefix of every served module (for qualified error paths)."""
        if self._prefixes is None:
            self._prefixes = {m.namespace: m.prefix for m in self.engine.schema.served_modules()}
        return self._prefixes

    def _call(self, rpc: etree._Element, fn: Any, *args: Any, **kwargs: Any) -> etree._Element:
        try:
            fn(*args, **kwargs)
        except RpcFault as fault:
            log.info("rpc-error %s", fault)
            raise rpc_fault(rpc, fault, self.engine.candidate, self.prefixes) from fault
        return etree.Element("ok")

    def rpc_edit_config(self, session: Any, rpc: etree._Element, *params: etree._Element) -> Any:
        target = _datastore_name(rpc, _child(params, "target"), "target")
        config = _child(params, "config")
        if config is None:
            raise rpc_fault(
                rpc,
                RpcFault(
                    "missing-element",
                    "edit-config needs <config>",
                    path="/config",
                    etype="protocol",
                ),
            )
        dop = _child(params, "default-operation")
        default = (dop.text or "merge").strip() if dop is not None else "merge"
        return self._call(rpc, self.engine.edit_config, session.session_id, target, config, default)

    def rpc_validate(self, session: Any, rpc: etree._Element, *params: etree._Element) -> Any:
        source = _child(params, "source")
        if source is None or len(source) != 1:
            raise rpc_fault(
                rpc,
                RpcFault(
                    "missing-element", "validate needs <source>", path="/source", etype="protocol"
                ),
            )
        inner = source[0]
        what: str | etree._Element = (
            inner if etree.QName(inner).localname == "config" else etree.QName(inner).localname
        )
        return self._call(rpc, self.engine.validate, what)

    def rpc_commit(self, session: Any, rpc: etree._Element, *params: etree._Element) -> Any:
        timeout_el = _child(params, "confirm-timeout")
        persist_el, pid_el = _child(params, "persist"), _child(params, "persist-id")
        try:
            timeout = int((timeout_el.text or "").strip()) if timeout_el is not None else 600
            if timeout <= 0:
                raise ValueError(timeout)
        except ValueError as exc:
            raise rpc_fault(
                rpc,
                RpcFault(
                    "invalid-value",
                    "confirm-timeout: expected a positive number of seconds",
                    path="/confirm-timeout",
                ),
            ) from exc
        return self._call(
            rpc,
            self.engine.commit,
            session.session_id,
            confirmed=_child(params, "confirmed") is not None,
            timeout=timeout,
            persist=None if persist_el is None else (persist_el.text or "").strip(),
            persist_id=None if pid_el is None else (pid_el.text or "").strip(),
        )

    def rpc_cancel_commit(self, session: Any, rpc: etree._Element, *params: etree._Element) -> Any:
        pid_el = _child(params, "persist-id")
        return self._call(
            rpc,
            self.engine.cancel_commit,
            session.session_id,
            None if pid_el is None else (pid_el.text or "").strip(),
        )

    def rpc_discard_changes(self, session: Any, rpc: etree._Element, *params: Any) -> Any:
        return self._call(rpc, self.engine.discard_changes, session.session_id)

    def rpc_lock(self, session: Any, rpc: etree._Element, target: str) -> Any:
        return self._call(rpc, self.engine.lock, session.session_id, target)

    def rpc_unlock(self, session: Any, rpc: etree._Element | None, target: str) -> Any:
        if rpc is None:  # library notification on close: handled by session_closed
            return None
        return self._call(rpc, self.engine.unlock, session.session_id, target)

    # --- notifications (RFC 5277) and the lab's fault injection ---------------------
    def rpc_create_subscription(
        self, session: Any, rpc: etree._Element, *params: etree._Element
    ) -> Any:
        """Subscribe ``session`` to the NETCONF stream (no replay: ``startTime`` is refused)."""
        stream = _child(params, "stream")
        if stream is not None and (stream.text or "").strip() != STREAM:
            raise rpc_fault(
                rpc,
                RpcFault("invalid-value", f"no stream {(stream.text or '').strip()!r}", "/stream"),
            )
        for name in ("startTime", "stopTime"):
            if _child(params, name) is not None:
                raise rpc_fault(
                    rpc,
                    RpcFault(
                        "operation-not-supported",
                        f"{name}: this device keeps no replay log",
                        f"/{name}",
                    ),
                )
        if getattr(session, "subscribed", False):
            raise rpc_fault(
                rpc,
                RpcFault("operation-failed", "this session already has a subscription", None),
            )
        session.subscription_filter = _child(params, "filter")
        session.subscribed = True
        return etree.Element("ok")

    def rpc_inject_event(self, session: Any, rpc: etree._Element, *params: etree._Element) -> Any:
        """The lab's fault injection: ``<inject-event><event>fibre-down</event><target>eth1``."""
        ev, tgt = _child(params, "event"), _child(params, "target")
        try:
            event = parse_injection(
                (ev.text or "").strip() if ev is not None else "",
                (tgt.text or "").strip() if tgt is not None else "",
            )
        except ValueError as exc:
            raise rpc_fault(rpc, RpcFault("invalid-value", str(exc), "/event")) from exc
        return self._call(rpc, self.engine.inject, event)


class _AnySession(int):
    """Compares equal to every session id: the library's unlock pre-check defers to the engine."""

    def __ne__(self, other: object) -> bool:
        return False

    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = int.__hash__


class DeviceServer(ncserver.NetconfSSHServer):  # type: ignore[misc]
    """A NETCONF/SSH server on one address and port for one device engine."""

    def __init__(
        self,
        engine: DeviceEngine,
        *,
        address: str,
        port: int,
        username: str,
        password: str,
        host_key: Path,
        delay_s: float = 0.0,
    ) -> None:
        # Deliberately not calling NetconfSSHServer.__init__: it binds every address.
        # ``delay_s``: one-way delay of every byte this device sends and receives (a WAN).
        self.username = username
        self.engine = engine
        self.server_methods = DeviceMethods(engine)
        self.session_id = 1
        self.session_locks_lock = threading.Lock()
        self.session_locks = {"running": 0, "candidate": 0}
        self.server_ctl = ncserver.SSHUserPassController(username=username, password=password)
        self.server_socket_class = DeviceSocket
        self.server_session_class = DeviceSession
        self.delay_s = delay_s
        self._sessions: dict[int, DeviceSession] = {}
        self._sessions_lock = threading.Lock()
        engine.listeners.append(self._notify)
        self.extra_args = None
        self.debug = False
        self.host_key = sshserver.from_private_key_file(str(host_key))
        self.lock = threading.Lock()
        self.sockets: list[Any] = []
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((address, port))
        except OSError:
            sock.close()
            raise
        sock.listen(64)
        self.port = sock.getsockname()[1]
        self.ports = {family: self.port}
        self.address = address
        self.close_wsocket, self.close_rsocket = socket.socketpair()
        self.thread = threading.Thread(
            target=self._accept_socket_thread, args=[sock], name="fsor-device accept", daemon=True
        )
        self.thread.start()

    def __del__(self) -> None:  # the library logs an error here; nothing to do
        pass

    # --- sessions and notifications -------------------------------------------------------
    def register_session(self, session: DeviceSession) -> None:
        with self._sessions_lock:
            self._sessions[session.session_id] = session

    def unregister_session(self, session: DeviceSession) -> None:
        with self._sessions_lock:
            self._sessions.pop(session.session_id, None)

    def session_by_id(self, session_id: int) -> DeviceSession | None:
        with self._sessions_lock:
            return self._sessions.get(session_id)

    def _notify(self, event: DeviceEvent) -> None:
        """Send ``event`` to every subscribed session (from the engine's thread)."""
        with self._sessions_lock:
            subscribers = [s for s in self._sessions.values() if s.subscribed]
        if not subscribers:
            return
        note = notification(event, self.username)
        text = etree.tounicode(note)
        for s in subscribers:
            flt = getattr(s, "subscription_filter", None)
            if flt is not None and len(filter_subtree(note, flt)) == 0:
                continue
            try:
                s.send_message(text)
            except Exception as exc:  # a session going away: it unregisters itself
                log.info("notification to session %s not sent: %s", s.session_id, exc)

    def __str__(self) -> str:
        return f"DeviceServer({self.engine.profile.name}@{self.address}:{self.port})"

    # Lock bookkeeping lives in the engine (see DeviceMethods.rpc_lock/rpc_unlock).
    def lock_target(self, session: Any, target: str) -> int:
        return 0

    def unlock_target(self, session: Any, target: str) -> bool:
        return False

    def is_target_locked(self, target: str) -> int:
        return _AnySession(0)

    def unlock_target_any(self, session: Any) -> list[str]:
        sid = session.session_id
        if sid is not None:
            self.engine.session_closed(int(sid))
        return []

    def shutdown(self) -> None:
        """Stop accepting, close sessions, stop timers."""
        self.close()
        self.thread.join(timeout=3)
        self.engine.close()


def ensure_host_key(path: Path) -> Path:
    """Generate an ECDSA P-256 host key at ``path`` if there is none; return ``path``."""
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = paramiko.ECDSAKey.generate(bits=256)
        key.write_private_key_file(str(path))
        path.chmod(0o600)
    return path
