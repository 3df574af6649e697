"""An asyncio pool of long-lived NETCONF sessions over ncclient (the thin I/O shell).

One ncclient session per device; every blocking call crosses into one
:class:`~concurrent.futures.ThreadPoolExecutor` sized to the device count. Sessions run
on TCP connections with Nagle's algorithm off, write every message (the hello included)
from the calling thread and read replies in a thread that blocks on the channel instead
of polling every ncclient ``TICK``. Sessions reconnect with exponential backoff; every RPC
has a timeout; :meth:`SessionPool.device_lock` serialises candidate edits per device. Host
keys are verified against a known_hosts file unless the caller opts out explicitly (labs).
Passwords never reach a log line or a ``repr``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import functools
import hashlib
import hmac
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import ncclient.transport.parser as nc_parser
import ncclient.transport.session as nc_session
import paramiko
from ncclient import manager
from ncclient.operations.errors import TimeoutExpiredError
from ncclient.operations.rpc import RaiseMode, RPCError
from ncclient.transport.errors import SessionCloseError, TransportError
from ncclient.transport.ssh import SSHSession

from topology.errors import DeviceError, InputError

__all__ = [
    "Credentials",
    "Endpoint",
    "KnownHosts",
    "SessionOptions",
    "SessionPool",
    "credentials_from_env",
    "hostkey_line",
    "rpc_error",
]

log = logging.getLogger("fsor.session")

#: A plain ncclient session's thread writes a queued message only when its
#: ``select(timeout=TICK)`` returns (0.1 s by default) and wakes 1/TICK times a second while
#: idle. The pool's own sessions (:class:`_SSHSession`) neither queue nor poll, so TICK does
#: not touch them; it stays lowered for plain ncclient sessions elsewhere in the process
#: (the lab runner's readiness probes), as DESIGN.md asks.
nc_session.TICK = 0.005

T = TypeVar("T")


@dataclass(frozen=True)
class Credentials:
    """NETCONF/SSH credentials; the password is hidden from ``repr``."""

    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class Endpoint:
    """Where a device listens and how to log in."""

    id: str
    host: str
    port: int = 830
    credentials: Credentials | None = None
    key_filename: str | None = None


@dataclass(frozen=True)
class SessionOptions:
    """Timeouts, retry policy and host-key policy of a pool.

    ``known_hosts`` is the file checked when ``insecure_hostkeys`` is False (default
    ``~/.ssh/known_hosts``); ``insecure_hostkeys=True`` accepts any key (labs only).
    """

    rpc_timeout_s: float = 30.0
    connect_timeout_s: float = 10.0
    connect_attempts: int = 3
    backoff_s: float = 0.2
    backoff_max_s: float = 2.0
    known_hosts: Path | None = None
    insecure_hostkeys: bool = False


def credentials_from_env(
    default: Credentials | None = None, env: Mapping[str, str] | None = None
) -> Credentials | None:
    """Credentials from ``FSOR_NETCONF_USERNAME``/``FSOR_NETCONF_PASSWORD``, else ``default``.

    >>> credentials_from_env(env={"FSOR_NETCONF_USERNAME": "u", "FSOR_NETCONF_PASSWORD": "p"})
    Credentials(username='u')
    """
    src = os.environ if env is None else env
    user = src.get("FSOR_NETCONF_USERNAME")
    if user:
        return Credentials(user, src.get("FSOR_NETCONF_PASSWORD", ""))
    return default


def rpc_error(device: str, exc: Exception) -> DeviceError:
    """A :class:`DeviceError` from an ncclient exception, keeping the server's error path."""
    if isinstance(exc, RPCError):
        msg = exc.message or exc.tag or str(exc)
        tag = f" ({exc.tag})" if exc.tag and exc.message else ""
        return DeviceError(device, f"rpc-error{tag}: {msg.strip()}", xpath=exc.path or None)
    if isinstance(exc, TimeoutExpiredError):
        return DeviceError(device, f"no reply within the RPC timeout: {exc}")
    return DeviceError(device, f"{type(exc).__name__}: {exc}")


def _colon_hex(raw: bytes) -> str:
    h = raw.hex()
    return ":".join(h[i : i + 2] for i in range(0, len(h), 2))


@dataclass(frozen=True)
class _Entry:
    patterns: tuple[str, ...]  # plain names, or "|1|salt|hash" hashed ones
    fingerprint: str
    revoked: bool


def _known_hosts_entries(text: str) -> tuple[_Entry, ...]:
    r"""known_hosts lines → entries (MD5 fingerprint of each key blob, as ncclient reports it).

    No key objects are built: a fingerprint is the MD5 of the base64-decoded blob.
    ``@cert-authority`` lines are skipped, unreadable lines ignored (as OpenSSH does).

    >>> e = _known_hosts_entries("[h]:830 ssh-ed25519 aw==\n# comment\n")
    >>> e[0].patterns, e[0].fingerprint[:8], e[0].revoked
    (('[h]:830',), '8c:e4:b1', False)
    """
    out = []
    for line in text.splitlines():
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        marker = fields.pop(0) if fields[0].startswith("@") else None
        if marker == "@cert-authority" or len(fields) < 3:
            continue
        try:
            blob = base64.b64decode(fields[2], validate=True)
        except (binascii.Error, ValueError):
            continue
        fp = _colon_hex(hashlib.md5(blob, usedforsecurity=False).digest())
        out.append(_Entry(tuple(fields[0].split(",")), fp, marker == "@revoked"))
    return tuple(out)


def _matches(pattern: str, name: str) -> bool:
    if pattern.startswith("|1|"):
        try:
            salt, digest = (base64.b64decode(x) for x in pattern[3:].split("|", 1))
        except (binascii.Error, ValueError):
            return False
        return hmac.compare_digest(hmac.new(salt, name.encode(), "sha1").digest(), digest)
    return pattern == name


class KnownHosts:
    """A known_hosts file, parsed once and re-read only when it changes.

    Parsing the file with ``paramiko.HostKeys`` for every connection built a key object
    per line per connection: O(n²) for n devices, most of the client's CPU when
    connecting to 50 lab devices. Here a line costs a base64 decode and an MD5, once.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._entries: tuple[_Entry, ...] = ()

    def _load(self) -> tuple[_Entry, ...]:
        try:
            st = self.path.stat()
            stamp = (st.st_mtime_ns, st.st_size)
            if stamp != self._stamp:
                self._entries, self._stamp = _known_hosts_entries(self.path.read_text()), stamp
        except OSError:
            self._stamp, self._entries = None, ()
        return self._entries

    def accepts(self, host: str, port: int, fingerprint: str) -> bool:
        """Whether ``fingerprint`` (colon hex MD5, as ncclient passes it) is listed, not
        revoked, for ``host`` or ``[host]:port`` (hashed names included)."""
        names = (host, f"[{host}]:{port}")
        hits = [
            e
            for e in self._load()
            if e.fingerprint == fingerprint
            and any(_matches(p, n) for p in e.patterns for n in names)
        ]
        return bool(hits) and not any(e.revoked for e in hits)


def _fingerprint_ok(known_hosts: KnownHosts, port: int) -> Callable[[str, str], bool]:
    """An ncclient ``unknown_host_cb`` accepting only keys listed in ``known_hosts``."""

    def check(host: str, fingerprint: str) -> bool:
        return known_hosts.accepts(host, port, fingerprint)

    return check


_TRANSPORT_ERRORS = (TransportError, OSError, EOFError, paramiko.SSHException)


class SessionPool:
    """Long-lived NETCONF sessions to a set of devices, used from asyncio.

    Use as ``async with SessionPool(endpoints, options) as pool:``; sessions open lazily
    (or all at once with :meth:`connect_all`) and close on exit.
    """

    def __init__(
        self,
        endpoints: Sequence[Endpoint],
        options: SessionOptions | None = None,
        default_credentials: Credentials | None = None,
    ) -> None:
        self._endpoints = {e.id: e for e in endpoints}
        if len(self._endpoints) != len(endpoints):
            raise InputError("endpoints", "id", [e.id for e in endpoints], "expected unique ids")
        self.options = options or SessionOptions()
        self._default_credentials = credentials_from_env(default_credentials)
        self._executor = ThreadPoolExecutor(
            max_workers=max(1, len(endpoints)), thread_name_prefix="netconf"
        )
        self._managers: dict[str, Any] = {}
        self._connect_locks = {d: asyncio.Lock() for d in self._endpoints}
        self._device_locks = {d: asyncio.Lock() for d in self._endpoints}
        self._known_hosts = KnownHosts(
            self.options.known_hosts or Path("~/.ssh/known_hosts").expanduser()
        )

    @property
    def devices(self) -> tuple[str, ...]:
        """Device ids in the pool."""
        return tuple(self._endpoints)

    def endpoint(self, device: str) -> Endpoint:
        """The endpoint of ``device``."""
        return self._endpoints[device]

    def device_lock(self, device: str) -> asyncio.Lock:
        """The per-device lock that candidate edits must hold."""
        return self._device_locks[device]

    async def __aenter__(self) -> SessionPool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _run(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    def _open(self, device: str) -> Any:
        ep = self._endpoints[device]
        creds = ep.credentials or self._default_credentials
        if creds is None:
            raise InputError(
                "credentials", device, None, "expected credentials (config or FSOR_NETCONF_*)"
            )
        opts = self.options
        kwargs: dict[str, Any] = {
            "host": ep.host,
            "port": ep.port,
            "username": creds.username,
            "password": creds.password,
            "timeout": opts.connect_timeout_s,
            "allow_agent": False,
            "look_for_keys": False,
        }
        if ep.key_filename:
            kwargs["key_filename"] = ep.key_filename
        if opts.insecure_hostkeys:
            kwargs["hostkey_verify"] = False
        else:
            kwargs["hostkey_verify"] = True
            kwargs["unknown_host_cb"] = _fingerprint_ok(self._known_hosts, ep.port)
        sock = _connect_socket(ep.host, ep.port, opts.connect_timeout_s)
        try:
            return _connect_manager(sock, kwargs, opts.rpc_timeout_s)
        except BaseException:
            sock.close()
            raise

    async def session(self, device: str) -> Any:
        """The connected ncclient manager of ``device``, (re)connecting with backoff."""
        async with self._connect_locks[device]:
            m = self._managers.get(device)
            if m is not None and m.connected:
                return m
            self._managers.pop(device, None)
            delay = self.options.backoff_s
            last: Exception | None = None
            for attempt in range(1, self.options.connect_attempts + 1):
                try:
                    m = await self._run(lambda: self._open(device))
                except InputError:
                    raise
                except Exception as exc:  # ncclient raises many unrelated types here
                    last = exc
                    log.info("%s: connect attempt %d failed: %s", device, attempt, exc)
                    if attempt < self.options.connect_attempts:
                        await asyncio.sleep(delay)
                        delay = min(delay * 2, self.options.backoff_max_s)
                    continue
                self._managers[device] = m
                return m
            assert last is not None
            raise DeviceError(device, f"cannot connect: {type(last).__name__}: {last}") from last

    async def capabilities(self, device: str) -> tuple[str, ...]:
        """The server capabilities announced in ``device``'s hello."""
        m = await self.session(device)
        return tuple(m.server_capabilities)

    async def call(self, device: str, fn: Callable[[Any], T], *, retry: bool = True) -> T:
        """Run ``fn(manager)`` in the executor; map ncclient errors to :class:`DeviceError`.

        With ``retry`` a broken transport reconnects once (never inside a transaction,
        where a new session would have lost the locks).
        """
        for attempt in (1, 2):
            m = await self.session(device)
            try:
                return await asyncio.wait_for(
                    self._run(functools.partial(fn, m)), timeout=self.options.rpc_timeout_s + 5.0
                )
            except _TRANSPORT_ERRORS as exc:
                self._drop(device)
                if retry and attempt == 1:
                    log.info("%s: transport error, reconnecting: %s", device, exc)
                    continue
                raise rpc_error(device, exc) from exc
            except TimeoutError as exc:
                self._drop(device)
                raise DeviceError(device, "no reply within the RPC timeout") from exc
            except (RPCError, TimeoutExpiredError) as exc:
                raise rpc_error(device, exc) from exc
        raise AssertionError("unreachable")

    async def get(self, device: str, filter_xml: str) -> str:
        """``<get>`` with a subtree filter; the reply's XML text."""
        return await self.call(device, lambda m: m.get(filter=filter_xml).xml)

    async def get_config(self, device: str, filter_xml: str, source: str = "running") -> str:
        """``<get-config>`` with a subtree filter; the reply's XML text."""
        return await self.call(device, lambda m: m.get_config(source=source, filter=filter_xml).xml)

    def _drop(self, device: str) -> None:
        m = self._managers.pop(device, None)
        if m is not None:
            self._executor.submit(_quiet_close, m)

    async def disconnect(self, device: str) -> None:
        """Close ``device``'s session now (politely, bounded); it reopens on next use."""
        async with self._connect_locks[device]:
            m = self._managers.pop(device, None)
            if m is not None:
                await self._run(functools.partial(_quiet_close, m))

    async def close(self) -> None:
        """Close every session (politely, bounded) and the executor."""
        managers, self._managers = list(self._managers.values()), {}
        if managers:
            await asyncio.gather(
                *(self._run(functools.partial(_quiet_close, m)) for m in managers),
                return_exceptions=True,
            )
        self._executor.shutdown(wait=False, cancel_futures=True)


def _connect_socket(host: str, port: int, timeout: float) -> socket.socket:
    """A TCP connection with Nagle's algorithm off (``TCP_NODELAY``), as ncclient's own lacks.

    SSH sends several small packets back to back (key exchange, channel requests, NETCONF
    chunk framing); with Nagle on, each one after the first waits for the peer's delayed
    ACK, ~40 ms on Linux: that, not work, was most of a sequential device's time.
    """
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


#: bytes asked of the channel per read (ncclient reads 4 KiB at a time)
_READ_SIZE = 65536

#: least time between writing the client hello and the next message. netconfd (yuma123)
#: loses an RPC that reaches it right behind the hello (the lab's conformance nodes: 4 of
#: 300 ``<get>``s sent as soon as the server hello was in were never answered; none with a
#: 10 ms gap). ncclient's queue gave that gap by accident (up to one TICK).
_HELLO_GAP_S = 0.01


class _SSHSession(SSHSession):  # type: ignore[misc]
    """ncclient's SSH session, writing from the caller and reading without polling.

    ncclient queues each message for its session thread, which writes it only when its
    ``select(timeout=TICK)`` returns (every RPC waits up to TICK) and which wakes 1/TICK
    times a second while idle (at TICK = 5 ms, 50 idle sessions cost a third of a core).
    Here :meth:`send` frames the message as ncclient does (1.0 end marker, 1.1 chunk) and
    writes it at once under a lock, so the hello is on the wire before the reader starts
    and no RPC can overtake it (the first message after the hello keeps
    :data:`_HELLO_GAP_S` behind it); :meth:`run` blocks in the channel's ``recv`` and hands the
    bytes to ncclient's parser, so an idle session costs nothing. Host keys are checked by
    the pool's :class:`KnownHosts` alone (``unknown_host_cb``): ncclient's own
    ``~/.ssh/known_hosts`` load per connection (a key object per line) is skipped.
    """

    parser: Any  # ncclient's XML framing parser (set by SSHSession)

    def __init__(self, device_handler: Any) -> None:
        super().__init__(device_handler)
        self._write_lock = threading.Lock()
        self._hello_written_at: float | None = None

    def load_known_hosts(self, filename: str | None = None) -> None:
        """Nothing: the pool's known_hosts check is the only one."""

    def send(self, message: str) -> None:
        if not self.connected or self._channel is None:
            raise TransportError("Not connected to NETCONF server")
        data = message.encode()
        if self._base == nc_session.NetconfBase.BASE_11:
            framed = b"\n#%d\n%s%s" % (len(data), data, nc_session.END_DELIM)
        else:
            framed = data + nc_session.MSG_DELIM
        with self._write_lock:
            if self._hello_written_at is None:
                self._channel.sendall(framed)
                self._hello_written_at = time.monotonic()
                return
            wait = self._hello_written_at + _HELLO_GAP_S - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._channel.sendall(framed)

    def run(self) -> None:
        channel = self._channel
        try:
            while True:
                data = channel.recv(_READ_SIZE)  # blocks; b"" once the channel is closed
                if not data:
                    if self._closing.is_set():
                        break  # end of session, expected
                    raise SessionCloseError(self._buffer.getvalue())
                try:
                    self.parser.parse(data)
                except nc_parser.SAXFilterXMLNotFoundError:  # as ncclient's own loop does
                    self.parser = nc_parser.DefaultXMLParser(self)
                    self.parser.parse(data)
        except Exception as exc:  # the reader's end: every waiting RPC gets the error
            self._dispatch_error(exc)
            self.close()


def _connect_manager(sock: socket.socket, kwargs: dict[str, Any], rpc_timeout_s: float) -> Any:
    """An ncclient ``Manager`` over :class:`_SSHSession` (what ``manager.connect_ssh`` does
    with the default device handler, with this module's session class)."""
    handler = manager.make_device_handler({"name": "default"}, [])
    handler.add_additional_ssh_connect_params(kwargs)
    handler.add_additional_netconf_params({})
    session = _SSHSession(handler)
    try:
        session.connect(sock=sock, **kwargs)
    except BaseException:
        if session.transport is not None:
            session.close()
        raise
    return manager.Manager(session, handler, timeout=rpc_timeout_s, raise_mode=RaiseMode.ALL)


def _quiet_close(m: Any) -> None:
    started = time.monotonic()
    try:
        if m.connected:
            m.close_session()
    except Exception as exc:  # closing a broken session: nothing left to do but log
        log.debug("close_session failed after %.2fs: %s", time.monotonic() - started, exc)
    finally:
        with contextlib.suppress(Exception):  # transport already gone
            m._session.close()


def hostkey_line(host: str, port: int, key_b64: str, key_type: str) -> str:
    """One known_hosts line for ``host``:``port`` (``[host]:port`` when port != 22).

    >>> hostkey_line("127.0.0.1", 8300, "aw==", "ssh-ed25519")
    '[127.0.0.1]:8300 ssh-ed25519 aw=='
    """
    name = host if port == 22 else f"[{host}]:{port}"
    return f"{name} {key_type} {key_b64}"
