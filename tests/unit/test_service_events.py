"""The event bus behind ``GET /events``: replay after Last-Event-ID, keepalives, closing."""

from __future__ import annotations

import asyncio

from controller.service.events import EventBus, sse


async def test_replay_then_live_without_duplicates_and_close_ends_streams() -> None:
    bus = EventBus()
    for i in range(3):
        bus.publish("a", {"i": i})
    seen: list[int] = []

    async def sub() -> None:
        async for e in bus.subscribe(last_id=1):
            assert e is not None
            seen.append(e.id)

    task = asyncio.create_task(sub())
    await asyncio.sleep(0.01)
    bus.publish("b", {})
    await asyncio.sleep(0.01)
    bus.close()
    await asyncio.wait_for(task, 1)
    assert seen == [2, 3, 4] and bus.subscribers == 0


async def test_keepalives_while_quiet() -> None:
    bus = EventBus()
    got: list[str | None] = []

    async def sub() -> None:
        async for e in bus.subscribe(keepalive_s=0.02):
            got.append(None if e is None else e.kind)
            if e is not None:
                return

    task = asyncio.create_task(sub())
    await asyncio.sleep(0.07)
    bus.publish("x", {})
    await asyncio.wait_for(task, 1)
    assert got[-1] == "x" and got.count(None) >= 2


async def test_a_slow_subscriber_loses_its_oldest_events_not_the_publisher() -> None:
    bus = EventBus(queue_size=2)
    seen: list[int] = []

    async def sub() -> None:
        async for e in bus.subscribe():
            assert e is not None
            seen.append(e.id)

    task = asyncio.create_task(sub())
    await asyncio.sleep(0.01)
    for i in range(5):
        bus.publish("n", {"i": i})  # never blocks, whatever the subscriber does
    await asyncio.sleep(0.01)
    bus.close()
    await asyncio.wait_for(task, 1)
    assert seen == [4, 5]


def test_wire_format() -> None:
    e = EventBus().publish("device-down", {"device": "roadm-fra"})
    lines = sse(e).split("\n")
    assert lines[:2] == ["id: 1", "event: device-down"] and lines[2].startswith("data: {")
    assert sse(e).endswith("\n\n")
