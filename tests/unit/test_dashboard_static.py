"""The dashboard's files come from the package, over a real aiohttp server on loopback."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from controller.dashboard import FILES, add_dashboard


@pytest.fixture
async def client() -> AsyncIterator[TestClient[Any, Any]]:
    app = web.Application()
    assert add_dashboard(app) == []
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        yield c


async def test_index_references_only_packaged_files(client: TestClient[Any, Any]) -> None:
    resp = await client.get("/")
    assert resp.status == 200 and resp.content_type == "text/html"
    html = await resp.text()
    refs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert refs and all(r.startswith("static/") for r in refs), refs  # no CDN, same origin
    for ref in refs:
        r = await client.get("/" + ref)
        assert r.status == 200, ref
        assert r.content_type == FILES[ref.removeprefix("static/")]
        assert len(await r.read()) > 100


async def test_script_reads_only_the_json_api(client: TestClient[Any, Any]) -> None:
    js = await (await client.get("/static/dashboard.js")).text()
    assert "http://" not in js.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in js
    fetched = set(re.findall(r"getJSON\([`\"]([a-z]+)", js)) | set(
        re.findall(r'EventSource\("([a-z]+)', js)
    )
    assert fetched == {"topology", "plans", "events"}
    assert "uPlot" not in js and "<script src=\"http" not in await (await client.get("/")).text()


@pytest.mark.parametrize("name", ["../dashboard.py", "nope.js", "%2e%2e%2fdashboard.py"])
async def test_unknown_static_is_404(client: TestClient[Any, Any], name: str) -> None:
    resp = await client.get(f"/static/{name}")
    assert resp.status == 404
