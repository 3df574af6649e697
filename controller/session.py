"""An asyncio pool of long-lived NETCONF sessions over ncclient (the thin I/O shell).

One ncclient session per device, opened with ncclient's public API only
(``manager.connect(sock=…, hostkey_b64=…, timeout=…)``); every blocking call crosses
into one :class:`~concurrent.futures.ThreadPoolExecutor` sized to the device count. The
pool opens each TCP connection itself (Nagle off) and hands it to ncclient. Sessions
reconnect with exponential backoff; every RPC has a timeout; :meth:`SessionPool.device_lock`
serialises candidate edits per device. Host keys are verified against one known_hosts file
(the expected key is passed as ``hostkey_b64``) unless the caller opts out explicitly
(labs); a key other than the recorded one is a :class:`HostKeyMismatch` naming both SHA256
fingerprints, never retried. Passwords never reach a log line or a ``repr``.

Importing this module changes nothing in ncclient. ncclient's session thread writes a
queued message only when its ``select(timeout=TICK)`` returns; fsor's entry points (the
``fsor`` command, the benchmarks, a long-running controller) call
:func:`set_ncclient_poll_interval` once, explicitly — see docs/southbound.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import paramiko
from ncclient import manager
from ncclient.operations.errors import TimeoutExpiredError
from ncclient.operations.rpc import RaiseMode, RPCError
from ncclient.transport.errors import SSHError, TransportError

from controller.known_hosts import HostKeyMismatch, KnownHosts, hostkey_line, sha256_fingerprint
from topology.errors import DeviceError, InputError

__all__ = [
    "DEFAULT_POLL_INTERVAL_S",
    "Credentials",
    "Endpoint",
    "KnownHosts",
    "SessionOptions",
    "SessionPool",
    "credentials_from_env",
    "hostkey_line",
    "rpc_error",
    "set_ncclient_poll_interval",
]

log = logging.getLogger("fsor.session")

#: the poll interval fsor's entry points give ncclient (its default is 0.1 s): an RPC waits
#: up to this long in ncclient's send queue, and each open session wakes 1/interval times a
#: second while idle (200 sessions at 10 ms: ~20 000 wake-ups a second). 10 ms also keeps
#: the first RPC of a session ~one interval behind the client hello, which netconfd needs
#: (docs/netconfd.md).
DEFAULT_POLL_INTERVAL_S = 0.01


def set_ncclient_poll_interval(seconds: float = DEFAULT_POLL_INTERVAL_S) -> float | None:
    """Set ncclient's process-wide session poll interval (``TICK``); return the old value
    (None, with a warning, on an ncclient without ``ncclient.transport.session.TICK``).

    ncclient has no per-session setting for it; this is the one place fsor writes it, and only
    fsor's own entry points call it (never an import). A library user who embeds
    :class:`SessionPool` keeps ncclient's default unless they call this themselves.

    >>> old = set_ncclient_poll_interval(0.02)
    >>> set_ncclient_poll_interval(old or 0.1)
    0.02
    """
    if not seconds > 0:
        raise InputError("ncclient", "poll interval", seconds, "expected seconds > 0")
    from ncclient.transport import session as nc_session

    if not hasattr(nc_session, "TICK"):  # moved or gone: leave ncclient's polling as it is
        log.warning("ncclient has no transport.session.TICK: its poll interval is unchanged")
        return None
    old = float(nc_session.TICK)
    nc_session.TICK = seconds
    return old


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
        self._managers: dict[str, tuple[Any, socket.socket]] = {}
        #: the managers that have had a reply (a session's first RPC may be lost: see call)
        self._answered: set[int] = set()
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

    def _open(self, device: str) -> tuple[Any, socket.socket]:
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
        recorded = None
        if opts.insecure_hostkeys:
            kwargs["hostkey_verify"] = False
        else:
            recorded = self._known_hosts.recorded(ep.host, ep.port)
            if recorded is None:
                raise DeviceError(
                    device,
                    f"cannot connect: Unknown host key: no key for [{ep.host}]:{ep.port} "
                    f"in {self._known_hosts.path}",
                )
            kwargs.update(hostkey_verify=True, hostkey_b64=recorded[1], unknown_host_cb=_never)
        sock = _connect_socket(ep.host, ep.port, opts.connect_timeout_s)
        try:
            m = manager.connect(
                sock=sock,
                device_params={"name": "default"},
                manager_params={"timeout": opts.rpc_timeout_s},
                **kwargs,
            )
        except SSHError as exc:  # refused key, or no common key type: is it another key?
            sock.close()
            if recorded is not None:
                self._raise_if_mismatch(device, ep, recorded, exc)
            raise
        except BaseException:
            sock.close()
            raise
        m.raise_mode = RaiseMode.ALL
        return m, sock

    def _raise_if_mismatch(
        self, device: str, ep: Endpoint, recorded: tuple[str, str], cause: Exception
    ) -> None:
        """Raise :class:`HostKeyMismatch` if ``ep`` offers a key other than ``recorded``
        (ncclient's refusal carries only an MD5 fingerprint, so the key is fetched again)."""
        offered = _offered_key(ep.host, ep.port, self.options.connect_timeout_s, recorded[0])
        if offered is None or offered.get_base64() == recorded[1]:
            return  # not a key problem (or the device is gone): the original error stands
        raise HostKeyMismatch(
            device,
            ep.host,
            ep.port,
            self._known_hosts.path,
            (recorded[0], sha256_fingerprint(recorded[1])),
            (offered.get_name(), sha256_fingerprint(offered.asbytes())),
        ) from cause

    async def session(self, device: str) -> Any:
        """The connected ncclient manager of ``device``, (re)connecting with backoff."""
        async with self._connect_locks[device]:
            held = self._managers.get(device)
            if held is not None and held[0].connected:
                return held[0]
            self._drop(device)
            delay = self.options.backoff_s
            last: Exception | None = None
            for attempt in range(1, self.options.connect_attempts + 1):
                try:
                    opened = await self._run(lambda: self._open(device))
                except (InputError, DeviceError):
                    raise
                except Exception as exc:  # ncclient raises many unrelated types here
                    last = exc
                    log.info("%s: connect attempt %d failed: %s", device, attempt, exc)
                    if attempt < self.options.connect_attempts:
                        await asyncio.sleep(delay)
                        delay = min(delay * 2, self.options.backoff_max_s)
                    continue
                self._managers[device] = opened
                return opened[0]
            assert last is not None
            raise DeviceError(device, f"cannot connect: {type(last).__name__}: {last}") from last

    async def capabilities(self, device: str) -> tuple[str, ...]:
        """The server capabilities announced in ``device``'s hello."""
        m = await self.session(device)
        return tuple(m.server_capabilities)

    async def call(self, device: str, fn: Callable[[Any], T], *, retry: bool = True) -> T:
        """Run ``fn(manager)`` in the executor; map ncclient errors to :class:`DeviceError`.

        With ``retry`` a broken transport reconnects once (never inside a transaction,
        where a new session would have lost the locks); so does a session whose FIRST request
        got no reply: Debian's netconfd now and then drops a request that arrives right
        behind the client hello (docs/netconfd.md), and that request was never carried out.
        """
        for attempt in (1, 2):
            m = await self.session(device)
            fresh = id(m) not in self._answered
            try:
                out = await asyncio.wait_for(
                    self._run(functools.partial(fn, m)), timeout=self.options.rpc_timeout_s + 5.0
                )
                self._answered.add(id(m))
                return out
            except _TRANSPORT_ERRORS as exc:
                self._drop(device)
                if retry and attempt == 1:
                    log.info("%s: transport error, reconnecting: %s", device, exc)
                    continue
                raise rpc_error(device, exc) from exc
            except TimeoutError as exc:
                self._drop(device)
                raise DeviceError(device, "no reply within the RPC timeout") from exc
            except TimeoutExpiredError as exc:
                if retry and attempt == 1 and fresh:
                    self._drop(device)
                    log.info("%s: no reply to a new session's first request; reconnecting", device)
                    continue
                raise rpc_error(device, exc) from exc
            except RPCError as exc:
                self._answered.add(id(m))
                raise rpc_error(device, exc) from exc
        raise AssertionError("unreachable")

    async def get(self, device: str, filter_xml: str) -> str:
        """``<get>`` with a subtree filter; the reply's XML text."""
        return await self.call(device, lambda m: m.get(filter=filter_xml).xml)

    async def get_config(self, device: str, filter_xml: str, source: str = "running") -> str:
        """``<get-config>`` with a subtree filter; the reply's XML text."""
        return await self.call(device, lambda m: m.get_config(source=source, filter=filter_xml).xml)

    def _drop(self, device: str) -> None:
        held = self._managers.pop(device, None)
        if held is not None:
            self._answered.discard(id(held[0]))
            self._executor.submit(_quiet_close, *held)

    async def disconnect(self, device: str) -> None:
        """Close ``device``'s session now (politely, bounded); it reopens on next use."""
        async with self._connect_locks[device]:
            held = self._managers.pop(device, None)
            if held is not None:
                self._answered.discard(id(held[0]))
                await self._run(functools.partial(_quiet_close, *held))

    async def close(self) -> None:
        """Close every session (politely, bounded) and the executor."""
        managers, self._managers = list(self._managers.values()), {}
        if managers:
            await asyncio.gather(
                *(self._run(functools.partial(_quiet_close, *held)) for held in managers),
                return_exceptions=True,
            )
        self._executor.shutdown(wait=False, cancel_futures=True)


def _connect_socket(host: str, port: int, timeout: float) -> socket.socket:
    """A TCP connection with Nagle's algorithm off (``TCP_NODELAY``), handed to ncclient.

    SSH sends several small packets back to back (key exchange, channel requests, NETCONF
    chunk framing); with Nagle on, each one after the first waits for the peer's delayed
    ACK, ~40 ms on Linux. ncclient's own socket leaves Nagle on; its public ``sock=``
    argument takes this one instead.
    """
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _offered_key(host: str, port: int, timeout: float, key_type: str) -> paramiko.PKey | None:
    """The host key ``host``:``port`` offers (of ``key_type`` if it has one, else its
    preferred one), read with paramiko's public ``Transport`` API; None if unreachable."""
    for wanted in (key_type, None):
        try:
            sock = _connect_socket(host, port, timeout)
        except OSError:
            return None
        transport = paramiko.Transport(sock)
        try:
            if wanted is not None:
                transport.get_security_options().key_types = (wanted,)
            transport.start_client(timeout=timeout)
            return transport.get_remote_server_key()
        except (paramiko.SSHException, ValueError, OSError, EOFError):
            continue  # no key of that type (or an unknown type): ask for any key
        finally:
            transport.close()
            sock.close()
    return None


def _never(host: str, fingerprint: str) -> bool:
    """ncclient ``unknown_host_cb``: a key other than the expected ``hostkey_b64`` is refused."""
    return False


def _quiet_close(m: Any, sock: socket.socket | None) -> None:
    """``close-session`` if the session is up, then close the TCP connection the pool owns
    (which ends paramiko's and ncclient's threads even when the session is broken)."""
    started = time.monotonic()
    try:
        if m.connected:
            m.close_session()
    except Exception as exc:  # closing a broken session: nothing left to do but log
        log.debug("close_session failed after %.2fs: %s", time.monotonic() - started, exc)
    finally:
        if sock is not None:
            with contextlib.suppress(OSError):  # already gone
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
