"""The dashboard in a real headless browser (Debian's chromium) against a live ``fsor serve``.

The service (the real app of ``controller.service.init`` with the extensions ``fsor serve``
hosts) runs on loopback and plans a day of several workloads; chromium (fresh profile) then
loads ``/``. The test waits until the page has rendered, reads the DOM chromium built and checks
what it shows against the plan the API returned, then saves a screenshot (into
``FSOR_SCREENSHOT_DIR`` when set, else the test's tmp dir) — look at it.
Skipped when chromium is not installed (``apt-get install -y chromium``).
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import shutil
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from controller.service.config import ServiceConfig
from controller.service.hosted import DEFAULT_EXTENSIONS
from tests.service.helpers import AUTH, served

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium"),
]

FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
)

#: workloads from several ROADMs so that the plan lights lightpaths to the sites it picks
WORKLOADS = [
    {"id": f"job-{origin[6:]}-{k}", "origin": origin, "energy": f"{400 + 100 * k} kWh",
     "duration": "2 h", "data_in": f"{50 + 10 * k} GB", "release": 2 * k, "deadline": 2 * k + 6}
    for k, origin in enumerate(["roadm-fra", "roadm-tyo", "roadm-sjc", "roadm-lon",
                                "roadm-nyc", "roadm-sin", "roadm-sea", "roadm-mrs"])
]


class Chromium:
    """Headless chromium driven over the DevTools protocol (a websocket, via aiohttp).

    The page keeps an EventSource open, so chromium's one-shot ``--dump-dom`` (which
    waits for the network to go idle) never returns; instead the test navigates, waits
    until the page says it has rendered, and reads the DOM and a screenshot.
    """

    def __init__(self, profile: Path) -> None:
        self.profile = profile
        self.proc: asyncio.subprocess.Process | None = None
        self.http: aiohttp.ClientSession | None = None
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.n = 0

    async def __aenter__(self) -> Chromium:
        assert CHROMIUM is not None
        self.proc = await asyncio.create_subprocess_exec(
            CHROMIUM, *FLAGS, f"--user-data-dir={self.profile}", "--remote-debugging-port=0",
            "--window-size=1400,1150", "about:blank",
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )
        port_file = self.profile / "DevToolsActivePort"
        for _ in range(600):
            if port_file.exists() and port_file.read_text().count("\n") >= 1:
                break
            await asyncio.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        self.http = aiohttp.ClientSession()
        async with self.http.get(f"http://127.0.0.1:{port}/json/list") as r:
            pages = [t for t in await r.json() if t["type"] == "page"]
        self.ws = await self.http.ws_connect(pages[0]["webSocketDebuggerUrl"], max_msg_size=0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.http is not None:
            await self.http.close()
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 20)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        """One DevTools command; its result (events in between are skipped)."""
        assert self.ws is not None
        self.n += 1
        await self.ws.send_json({"id": self.n, "method": method, "params": params})
        while True:
            msg = await asyncio.wait_for(self.ws.receive_json(), 120)
            if msg.get("id") == self.n:
                assert "error" not in msg, msg
                result: dict[str, Any] = msg["result"]
                return result

    async def value(self, expression: str) -> Any:
        res = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return res["result"].get("value")

    async def wait_for(self, expression: str, timeout: float = 60.0) -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while not await self.value(expression):
            assert loop.time() < end, f"page never satisfied {expression!r}"
            await asyncio.sleep(0.25)


def attr(dom: str, element_id: str, name: str) -> str:
    m = re.search(rf'<[^>]*id="{element_id}"[^>]*\b{name}="([^"]*)"', dom)
    assert m, f"#{element_id}[{name}] not rendered"
    return m.group(1)


async def test_dashboard_renders_the_live_plan(tmp_path: Path) -> None:
    cfg = ServiceConfig(store=str(tmp_path / "fsor.sqlite"))
    async with served(cfg, DEFAULT_EXTENSIONS) as s:
        await s.wait_event(lambda e: e["kind"] == "service-started", 60)
        async with s.http.post("/workloads", json={"workloads": WORKLOADS}, headers=AUTH) as r:
            assert r.status in (200, 201), await r.text()
        async with s.http.post("/plans", json={"time_limit_s": 30}, headers=AUTH) as r:
            assert r.status == 202
            job_id = (await r.json())["id"]
        job = await s.job_done(job_id, timeout=300)
        assert job["status"] == "succeeded", job
        plan: dict[str, Any] = job["result"]
        url = str(s.http._base_url)  # the loopback address the live service listens on
        shots = Path(os.environ.get("FSOR_SCREENSHOT_DIR") or tmp_path)
        shots.mkdir(parents=True, exist_ok=True)
        shot = shots / "dashboard.png"
        async with Chromium(tmp_path / "profile") as browser:
            await browser.call("Page.enable")
            await browser.call("Page.navigate", url=url)
            await browser.wait_for("document.body && document.body.dataset.ready === '1'")
            await browser.wait_for("Number(document.getElementById('events').dataset.count) >= 3")
            dom = await browser.value("document.documentElement.outerHTML")
            png = await browser.call("Page.captureScreenshot", format="png")
            shot.write_bytes(base64.b64decode(png["data"]))
    assert re.search(r'<body[^>]*data-ready="1"', dom), dom[:3000]
    assert f"plan {job_id}: {plan['status']}, {len(plan['placements'])} placement(s)" in dom
    # topology: every ROADM of the ORCA network, one polyline per lightpath in force
    assert attr(dom, "topology", "data-roadms") == "9"
    lps = plan["lightpaths"]
    assert len(lps) >= 2
    assert attr(dom, "topology", "data-lightpaths") == str(len(lps))
    assert dom.count('class="lightpath"') == len(lps)
    for lp in lps:
        assert f"@ {lp['frequency_thz']} THz</title>" in dom
    # sites: one power-vs-cap chart per site with a power cap (SVG: series and dashed cap)
    sites = sorted({c["site_or_zone"] for c in plan["caps"] if c["cap"] == "power"})
    assert sites == ["dc-fra", "dc-sjc", "dc-tyo"]
    for site in sites:
        assert f'data-site="{site}"' in dom
        assert f"{site}: facility power (kW)" in dom
    assert dom.count('class="chart"') >= len(sites)
    assert dom.count('class="cap"') >= len(sites) and dom.count('class="series"') >= len(sites)
    # placements per hour: the table counts every placement of the plan
    assert attr(dom, "placements", "data-placements") == str(len(plan["placements"]))
    assert dom.count('class="busy"') == len({(p["site"], p["slot"]) for p in plan["placements"]})
    # live events: the replay buffer arrived over SSE
    assert int(attr(dom, "events", "data-count")) >= 3
    assert "plan-done" in dom
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
