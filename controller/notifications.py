"""NETCONF notifications (RFC 5277) from every device of a session pool, as typed events.

:func:`parse_notification` is sans-IO (notification XML → :class:`DeviceEvent`);
:class:`EventStream` is the thin shell: it sends ``<create-subscription>`` on each pool
session (devices that announce ``:notification:1.0`` and ``:interleave:1.0``, so the same
session keeps answering RPCs), waits for notifications in the pool's style (ncclient's public
``take_notification`` in an executor thread per device) and yields events in arrival order.
A session that drops yields ``session-lost``; the stream reconnects with backoff, subscribes
again and yields ``session-restored`` (whatever happened meanwhile is unknown: re-read the
device). A long-running controller consumes it as an async iterator::

    async with EventStream(pool) as events:
        async for ev in events:
            live = live.apply(ev)

>>> x = ('<notification xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0">'
...      '<eventTime>2026-12-03T07:00:00.000000Z</eventTime>'
...      '<port-oper-status xmlns="urn:fsor:params:xml:ns:yang:fsor-device-events">'
...      '<port>eth1</port><oper-status>down</oper-status><cause>fibre</cause>'
...      '</port-oper-status></notification>')
>>> ev = parse_notification("roadm-fra", x)
>>> ev.kind, ev.target, ev.cause, ev.time
('port-down', 'eth1', 'fibre', '2026-12-03T07:00:00.000000Z')
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from lxml import etree

from controller.session import SessionPool
from topology.errors import FsorError

__all__ = [
    "EVENT_KINDS",
    "NOTIFICATION_CAPABILITY",
    "DeviceEvent",
    "EventStream",
    "parse_notification",
]

log = logging.getLogger("fsor.notifications")

NOTIFICATION_CAPABILITY = "urn:ietf:params:netconf:capability:notification:1.0"
INTERLEAVE_CAPABILITY = "urn:ietf:params:netconf:capability:interleave:1.0"
_NOTIF = "urn:ietf:params:xml:ns:netconf:notification:1.0"
_EV = "urn:fsor:params:xml:ns:yang:fsor-device-events"
_NCN = "urn:ietf:params:xml:ns:yang:ietf-netconf-notifications"

#: every ``DeviceEvent.kind``
EVENT_KINDS = (
    "port-down",
    "port-up",
    "amplifier-alarm",
    "amplifier-clear",
    "loss-of-signal",
    "signal-restored",
    "config-changed",
    "session-lost",
    "session-restored",
    "other",
)


@dataclass(frozen=True)
class DeviceEvent:
    """One thing a device reported (or its session did).

    ``target`` is the port, amplifier or optical channel concerned (None for config and
    session events); ``cause`` is ``fibre`` or ``port`` for port events, the session id
    (or ``server``) for ``config-changed``, the reason for ``session-lost``; ``time`` the
    device's ``eventTime`` (or the controller's clock for session events); ``xml`` the
    notification as received ('' for session events).
    """

    device: str
    kind: str
    target: str | None = None
    cause: str | None = None
    time: str = ""
    xml: str = ""


def _text(el: etree._Element | None, ns: str, name: str) -> str | None:
    if el is None:
        return None
    t = el.findtext(f"{{{ns}}}{name}")
    return t.strip() if t is not None else None


def parse_notification(device: str, xml: str) -> DeviceEvent:
    """The typed event in one ``<notification>``; kind ``other`` for an unknown body."""
    try:
        root = etree.fromstring(xml.encode())
    except etree.XMLSyntaxError:
        return DeviceEvent(device, "other", cause="malformed notification", xml=xml)
    when = _text(root, _NOTIF, "eventTime") or ""
    body = next(
        (c for c in root if isinstance(c.tag, str) and c.tag != f"{{{_NOTIF}}}eventTime"), None
    )
    if body is None:
        return DeviceEvent(device, "other", time=when, xml=xml)
    tag = etree.QName(body)
    if tag.namespace == _EV and tag.localname == "port-oper-status":
        down = _text(body, _EV, "oper-status") == "down"
        return DeviceEvent(
            device,
            "port-down" if down else "port-up",
            _text(body, _EV, "port"),
            _text(body, _EV, "cause"),
            when,
            xml,
        )
    if tag.namespace == _EV and tag.localname == "amplifier-alarm":
        active = _text(body, _EV, "active") == "true"
        kind = "amplifier-alarm" if active else "amplifier-clear"
        return DeviceEvent(device, kind, _text(body, _EV, "amplifier"), None, when, xml)
    if tag.namespace == _EV and tag.localname == "loss-of-signal":
        active = _text(body, _EV, "active") == "true"
        kind = "loss-of-signal" if active else "signal-restored"
        return DeviceEvent(device, kind, _text(body, _EV, "component"), None, when, xml)
    if tag.namespace == _NCN and tag.localname == "netconf-config-change":
        by = body.find(f"{{{_NCN}}}changed-by")
        who = _text(by, _NCN, "session-id") or ("server" if by is not None else None)
        return DeviceEvent(device, "config-changed", None, who, when, xml)
    return DeviceEvent(device, "other", None, tag.localname, when, xml)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class EventStream:
    """Typed events from every subscribable device of ``pool`` (see the module docstring).

    ``unsubscribed`` maps the devices that could not be subscribed to the reason (no
    ``:notification`` or no ``:interleave`` capability, unreachable); they are still polled
    by whoever re-discovers. ``wait_s`` bounds each wait in a reader thread (how fast
    :meth:`close` returns), ``backoff_s`` the first reconnect delay (doubling to 10 s).
    """

    def __init__(
        self,
        pool: SessionPool,
        devices: Sequence[str] | None = None,
        *,
        wait_s: float = 0.5,
        backoff_s: float = 0.5,
    ) -> None:
        self.pool = pool
        self.devices = tuple(devices if devices is not None else pool.devices)
        self.wait_s, self.backoff_s = wait_s, backoff_s
        self.unsubscribed: dict[str, str] = {}
        self._queue: asyncio.Queue[DeviceEvent] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._executor = ThreadPoolExecutor(
            max_workers=max(1, len(self.devices)), thread_name_prefix="netconf-notify"
        )
        self._closed = False

    async def __aenter__(self) -> EventStream:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _subscribe(self, device: str) -> Any:
        caps = set(await self.pool.capabilities(device))
        if NOTIFICATION_CAPABILITY not in caps:
            raise FsorError(f"{device}: no :notification:1.0 capability")
        if INTERLEAVE_CAPABILITY not in caps:
            raise FsorError(f"{device}: no :interleave:1.0 (a subscription would block its RPCs)")
        await self.pool.call(device, lambda m: m.create_subscription(), retry=False)
        return await self.pool.session(device)

    async def start(self) -> dict[str, str]:
        """Subscribe every device (concurrently); the devices that could not be, with why."""

        async def one(d: str) -> tuple[str, Any, str | None]:
            try:
                return d, await self._subscribe(d), None
            except FsorError as exc:
                return d, None, str(exc)

        for d, m, why in await asyncio.gather(*(one(d) for d in self.devices)):
            if m is None:
                self.unsubscribed[d] = why or "not subscribed"
                log.info("%s: not subscribed: %s", d, why)
                continue
            self._tasks.append(asyncio.create_task(self._follow(d, m), name=f"notify {d}"))
        return dict(self.unsubscribed)

    async def _follow(self, device: str, m: Any) -> None:
        loop = asyncio.get_running_loop()
        delay = self.backoff_s
        while not self._closed:
            if m is None or not m.connected:
                if m is not None:
                    await self._queue.put(
                        DeviceEvent(device, "session-lost", cause="session closed", time=_now())
                    )
                m = None
                await asyncio.sleep(delay)
                try:
                    m = await self._subscribe(device)
                except FsorError as exc:
                    log.info("%s: resubscribe failed: %s", device, exc)
                    delay = min(delay * 2, 10.0)
                    continue
                delay = self.backoff_s
                await self._queue.put(DeviceEvent(device, "session-restored", time=_now()))
                continue
            note = await loop.run_in_executor(
                self._executor, m.take_notification, True, self.wait_s
            )
            if note is not None:
                await self._queue.put(parse_notification(device, note.notification_xml))

    def __aiter__(self) -> AsyncIterator[DeviceEvent]:
        return self

    async def __anext__(self) -> DeviceEvent:
        if self._closed and self._queue.empty():
            raise StopAsyncIteration
        return await self._queue.get()

    async def get(self, timeout: float | None = None) -> DeviceEvent | None:
        """The next event, or None after ``timeout`` seconds."""
        try:
            return await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            return None

    async def close(self) -> None:
        """Stop following (sessions stay open: they belong to the pool)."""
        self._closed = True
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        self._executor.shutdown(wait=False, cancel_futures=True)
