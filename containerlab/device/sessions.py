"""The emulator's NETCONF sessions and SSH connections (on the PyPI ``netconf`` library).

* :class:`DeviceSession` — one NETCONF session: the library's session with a framing that stops
  on a closed channel, one lock around every write (RPC replies from the session's reader
  thread and notifications from the engine's thread never interleave), ``kill-session`` per
  RFC 6241 §7.9 (the *target* session ends, its locks are released and its confirmed commit
  rolled back; the caller gets ``<ok/>``) and an RFC 5277 subscription flag;
* :class:`DeviceSocket` — the library's per-connection SSH socket with Nagle's algorithm off
  and, when the server has a one-way delay, a :class:`DelayLine` between the TCP connection
  and paramiko, so that every byte the device receives or sends (the SSH handshake
  included) is ``delay`` late: a device ``delay`` away, a round trip of ``2 × delay``.
"""

from __future__ import annotations

import contextlib
import heapq
import io
import itertools
import logging
import selectors
import socket
import threading
import time
from typing import Any

import netconf.error as ncerror
from lxml import etree
from netconf import base as ncbase
from netconf import server as ncserver
from sshutil import server as sshserver  # type: ignore[import-untyped]

from containerlab.device.engine import RpcFault
from containerlab.device.errors import rpc_fault

__all__ = ["DelayLine", "DeviceSession", "DeviceSocket"]

log = logging.getLogger("fsor.device")
NC = "urn:ietf:params:xml:ns:netconf:base:1.0"


class _Framing(ncbase.NetconfFramingTransport):  # type: ignore[misc]
    rbuffer: bytes
    stream: Any
    max_chunk: int

    def _receive_10(self) -> str:
        search = 0
        while True:
            eom = self.rbuffer.find(b"]]>]]>", search)
            if eom != -1:
                break
            search = max(0, len(self.rbuffer) - 5)
            buf = self.stream.recv(self.max_chunk)
            if not buf:
                raise ncerror.ChannelClosed(self)
            self.rbuffer += buf
        msg = self.rbuffer[:eom]
        self.rbuffer = self.rbuffer[eom + 6 :]
        return str(msg.decode("utf-8"))


class DeviceSession(ncserver.NetconfServerSession):  # type: ignore[misc]
    """A NETCONF session of the emulator (see the module docstring).

    The library's ``__init__`` opens the session (reads the hello) itself, so it is
    reproduced here with the framing transport swapped in before the hello is read.
    """

    pkt_stream: Any
    session_id: int

    def __init__(self, channel: Any, server: Any, extra_args: Any, debug: bool) -> None:
        self.server = server
        self.methods = server.server_methods
        self.write_lock = threading.Lock()
        self.subscribed = False
        ncbase.NetconfSession.__init__(self, channel, debug, server._allocate_session_id())
        old = self.pkt_stream
        self.pkt_stream = _Framing(channel, old.max_chunk, debug)
        old.stream = None  # the new transport owns the channel
        server.register_session(self)
        ncbase.NetconfSession._open_session(self, True)

    def send_message(self, msg: str) -> None:
        with self.write_lock:
            super().send_message(msg)

    def close(self) -> None:
        self.subscribed = False
        self.server.unregister_session(self)
        super().close()

    def _reader_handle_message(self, msg: str) -> None:
        # kill-session is answered here: the library would close the *caller's* session
        if "kill-session" in msg and self.session_open:
            try:
                rpc = etree.parse(io.BytesIO(msg.lstrip().encode())).getroot()
            except etree.XMLSyntaxError:
                rpc = None
            op = rpc[0] if rpc is not None and len(rpc) == 1 else None
            if rpc is not None and op is not None and op.tag == f"{{{NC}}}kill-session":
                self._kill_session(rpc, op)
                return
        super()._reader_handle_message(msg)

    def _kill_session(self, rpc: etree._Element, op: etree._Element) -> None:
        raw = (op.findtext(f"{{{NC}}}session-id") or "").strip()
        try:
            target = int(raw)
            if target == self.session_id:
                raise RpcFault(
                    "invalid-value",
                    "kill-session: cannot kill the calling session",
                    path="/session-id",
                    etype="protocol",
                )
            victim = self.server.session_by_id(target)
            if victim is None:
                raise RpcFault(
                    "invalid-value",
                    f"kill-session: no session {raw!r}",
                    path="/session-id",
                    etype="protocol",
                )
        except ValueError:
            fault = RpcFault(
                "missing-element" if not raw else "invalid-value",
                "kill-session: expected a session-id",
                path="/session-id",
                etype="protocol",
            )
            self._send_rpc_reply_error(rpc_fault(rpc, fault))
            return
        except RpcFault as fault:
            self._send_rpc_reply_error(rpc_fault(rpc, fault))
            return
        log.info("session %d killed by session %d", target, self.session_id)
        victim.close()  # releases its locks and rolls back its confirmed commit (engine)
        self._send_rpc_reply(etree.Element("ok"), rpc)


class DelayLine:
    """Relays bytes between two sockets, each one ``delay`` seconds after it arrived.

    One thread per connection: a selector on both sockets and a heap of due writes. When
    one side closes, the other side's write half is shut once what was in flight has been
    delivered; the thread ends when both are closed.
    """

    def __init__(self, outer: socket.socket, inner: socket.socket, delay: float) -> None:
        self.outer, self.inner, self.delay = outer, inner, delay
        self._thread = threading.Thread(target=self._run, name="fsor-device delay", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        sel = selectors.DefaultSelector()
        peer = {self.outer: self.inner, self.inner: self.outer}
        for s in peer:
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ)
        due: list[tuple[float, int, socket.socket, bytes | None]] = []
        order = itertools.count()
        open_reads = 2
        try:
            while open_reads or due:
                timeout = max(0.0, due[0][0] - time.monotonic()) if due else None
                for key, _ in sel.select(timeout) if open_reads else ():
                    src: socket.socket = key.fileobj  # type: ignore[assignment]
                    try:
                        data = src.recv(65536)
                    except (BlockingIOError, InterruptedError):
                        continue
                    except OSError:
                        data = b""
                    when = time.monotonic() + self.delay
                    heapq.heappush(due, (when, next(order), peer[src], data or None))
                    if not data:
                        sel.unregister(src)
                        open_reads -= 1
                if not open_reads and due:
                    time.sleep(max(0.0, due[0][0] - time.monotonic()))
                now = time.monotonic()
                while due and due[0][0] <= now:
                    _, _, dst, chunk = heapq.heappop(due)
                    if chunk is None:
                        with contextlib.suppress(OSError):
                            dst.shutdown(socket.SHUT_WR)
                        continue
                    dst.setblocking(True)
                    try:
                        dst.sendall(chunk)
                    except OSError:
                        pass
                    finally:
                        dst.setblocking(False)
        finally:
            sel.close()
            self.outer.close()
            self.inner.close()


class DeviceSocket(sshserver.SSHServerSocket):  # type: ignore[misc]
    """The library's per-connection SSH socket with Nagle's algorithm off (``TCP_NODELAY``)
    and, when ``server.delay_s`` > 0, a :class:`DelayLine` in front of paramiko.

    paramiko writes each SSH packet with its own ``send``; with Nagle on, a small packet
    sent while the previous one is unacknowledged waits for the client's delayed ACK
    (~40 ms on Linux) whenever the client has nothing to send meanwhile: measured on
    ~half of the connections, in password auth and the subsystem request.
    """

    def __init__(
        self,
        server_ctl: Any,
        session_class: Any,
        extra_args: Any,
        server: Any,
        newsocket: socket.socket,
        addr: Any,
        debug: bool,
    ) -> None:
        newsocket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        delay = float(getattr(server, "delay_s", 0.0))
        if delay > 0:
            inner, relay_end = socket.socketpair()
            DelayLine(newsocket, relay_end, delay)
            newsocket = inner
        super().__init__(server_ctl, session_class, extra_args, server, newsocket, addr, debug)
