"""Events: one bus, fanned out to Server-Sent-Events subscribers, with a replay buffer.

Every event has a monotonically increasing ``id``, a ``kind`` (``discovery``,
``device-up``, ``device-down``, ``lightpaths-at-risk``, ``plan-queued``, ``plan-progress``,
``plan-done``, ``apply``, ``cap-violation``, ``loop-decision``, ...) and a JSON ``data``
object. A client that reconnects with ``Last-Event-ID`` gets what it missed from the buffer.

>>> bus = EventBus()
>>> e = bus.publish("device-down", {"device": "roadm-fra"})
>>> e.id, e.kind, sse(e).splitlines()[1]
(1, 'device-down', 'event: device-down')
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Event", "EventBus", "sse"]


@dataclass(frozen=True)
class Event:
    """One event."""

    id: int
    kind: str
    data: dict[str, Any]
    time: float = field(default_factory=time.time)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "time": self.time, "data": self.data}


def sse(event: Event) -> str:
    """The event in SSE wire format (``id``, ``event``, one ``data`` line, blank line)."""
    data = json.dumps(event.to_json(), separators=(",", ":"), default=str)
    return f"id: {event.id}\nevent: {event.kind}\ndata: {data}\n\n"


class EventBus:
    """Publish/subscribe in one event loop; slow subscribers lose their oldest events."""

    def __init__(self, buffer: int = 1000, queue_size: int = 1000) -> None:
        self._next = 1
        self._ring: deque[Event] = deque(maxlen=buffer)
        self._subscribers: set[asyncio.Queue[Event | None]] = set()
        self._queue_size = queue_size
        self.listeners: list[Callable[[Event], None]] = []

    def publish(self, kind: str, data: dict[str, Any]) -> Event:
        """Record and fan out an event (never blocks)."""
        event = Event(self._next, kind, data)
        self._next += 1
        self._ring.append(event)
        for q in list(self._subscribers):
            if q.full():
                q.get_nowait()
            q.put_nowait(event)
        for fn in self.listeners:
            fn(event)
        return event

    def since(self, last_id: int) -> list[Event]:
        """Buffered events after ``last_id``."""
        return [e for e in self._ring if e.id > last_id]

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    async def subscribe(
        self, last_id: int | None = None, keepalive_s: float | None = None
    ) -> AsyncIterator[Event | None]:
        """Events from now on (after the missed ones if ``last_id`` is given) until closed.

        With ``keepalive_s``, ``None`` is yielded after that long without an event (the SSE
        handler writes a comment line, so proxies keep the stream open).
        """
        q: asyncio.Queue[Event | None] = asyncio.Queue(self._queue_size)
        self._subscribers.add(q)
        try:
            seen = 0
            if last_id is not None:
                for e in self.since(last_id):
                    seen = e.id
                    yield e
            while True:
                try:
                    item = await asyncio.wait_for(q.get(), keepalive_s)
                except TimeoutError:
                    yield None
                    continue
                if item is None:
                    return
                if item.id > seen:
                    yield item
        finally:
            self._subscribers.discard(q)

    def close(self) -> None:
        """End every subscription (on shutdown)."""
        for q in list(self._subscribers):
            if q.full():
                q.get_nowait()
            q.put_nowait(None)
