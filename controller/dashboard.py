"""The operator dashboard at ``/`` of ``fsor serve``: static files shipped in the package.

``controller/static/``: ``index.html``, ``dashboard.js`` and ``dashboard.css`` (no build
step, no third-party script: the charts are drawn as SVG by ``dashboard.js``), so nothing
is loaded from the internet at run time. The page reads only the JSON API of the
same server (``/topology``, ``/plans``, ``/plans/{id}``, ``/events``). :func:`add_dashboard`
is an extension for ``controller.service.app.init(cfg, extensions=[add_dashboard])``.

>>> sorted(FILES)[:3]
['dashboard.css', 'dashboard.js', 'index.html']
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Mapping
from typing import Any

from aiohttp import web

__all__ = ["FILES", "add_dashboard"]

#: file name -> content type of everything the dashboard serves
FILES: Mapping[str, str] = {
    "index.html": "text/html",
    "dashboard.js": "text/javascript",
    "dashboard.css": "text/css",
}


def _read(name: str) -> bytes:
    return (importlib.resources.files("controller") / "static" / name).read_bytes()


async def _index(request: web.Request) -> web.Response:
    return web.Response(body=_read("index.html"), content_type="text/html", charset="utf-8")


async def _static(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in FILES:  # only the listed files: no paths, no directory walks
        raise web.HTTPNotFound(text=f"no static file {name!r}")
    return web.Response(
        body=_read(name),
        content_type=FILES[name],
        charset="utf-8",
        headers={"Cache-Control": "no-cache"},
    )


def add_dashboard(app: web.Application) -> list[Any]:
    """Register ``GET /`` and ``GET /static/{name}`` on ``app``; no OpenAPI routes."""
    app.router.add_get("/", _index)
    app.router.add_get("/static/{name}", _static)
    return []
