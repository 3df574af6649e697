"""Run the real service app on loopback and talk to it (no mocks): helpers for the tests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field, replace
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from controller.service import init
from controller.service.app import Extension
from controller.service.config import ServiceConfig, Token

WRITE = "w-secret-token"
READ = "r-secret-token"
TOKENS = (Token.of("ops", "write", WRITE), Token.of("viewer", "read", READ))
AUTH = {"Authorization": f"Bearer {WRITE}"}


@dataclass
class Served:
    """A running app: its HTTP session, its events, its app object."""

    http: aiohttp.ClientSession
    app: Any
    events: list[dict[str, Any]] = field(default_factory=list)
    _reader: asyncio.Task[None] | None = None

    async def wait_event(
        self, pred: Callable[[dict[str, Any]], bool], timeout: float = 60.0, after: int = 0
    ) -> dict[str, Any]:
        """The first event (id > ``after``) matching ``pred``, waiting up to ``timeout``."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while loop.time() < end:
            for e in self.events:
                if e["id"] > after and pred(e):
                    return e
            await asyncio.sleep(0.05)
        kinds = [(e["id"], e["kind"], e["data"]) for e in self.events[-15:]]
        raise AssertionError(f"no matching event within {timeout} s; last: {kinds}")

    async def job_done(self, job_id: str, timeout: float = 120.0) -> dict[str, Any]:
        await self.wait_event(
            lambda e: e["kind"] == "plan-done" and e["data"]["job"] == job_id, timeout
        )
        async with self.http.get(f"/plans/{job_id}") as r:
            assert r.status == 200
            doc: dict[str, Any] = await r.json()
            return doc


async def read_events(http: aiohttp.ClientSession, sink: list[dict[str, Any]]) -> None:
    """Append every SSE event's data to ``sink`` until the stream ends."""
    async with http.get("/events?since=0", timeout=aiohttp.ClientTimeout(total=None)) as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/event-stream")
        async for raw in r.content:
            line = raw.decode().rstrip("\n")
            if line.startswith("data: "):
                sink.append(json.loads(line[6:]))


@asynccontextmanager
async def served(
    cfg: ServiceConfig, extensions: Sequence[Extension] = (), events: bool = True
) -> AsyncIterator[Served]:
    """The app of ``cfg`` (tokens added) on a loopback port, with an SSE reader running."""
    app = init(replace(cfg, tokens=cfg.tokens or TOKENS), extensions)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    http = aiohttp.ClientSession(base_url=str(server.make_url("")))
    s = Served(http, app)
    if events:
        s._reader = asyncio.create_task(read_events(http, s.events))
    try:
        yield s
    finally:
        await server.close()  # graceful: stops jobs, ends the SSE stream, closes the store
        if s._reader is not None:
            s._reader.cancel()
            with suppress(asyncio.CancelledError, aiohttp.ClientError):
                await s._reader
        await http.close()
