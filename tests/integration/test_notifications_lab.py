"""Notifications end to end on a real lab: the controller subscribes on every session, a push
shows up as config changes, and a fibre cut injected with ``fsor lab inject`` reaches the
controller's live view: the fibre is down in its topology and the lightpath over it is at risk.

Ring of 3 ROADMs (r0, r1, r2), an amplifier node on every fibre, one transponder per ROADM.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.southbound import ring_inventory
from containerlab import runner
from containerlab.generate import lab_from_inventory, write_lab
from controller.cli import main
from controller.discovery import discover
from controller.edits import LightpathIntent, intent_id
from controller.live import LiveNetwork, fibre_ports
from controller.notifications import DeviceEvent, EventStream
from controller.provision import apply_intents
from controller.seed import seed_from_lab
from controller.session import SessionOptions, SessionPool

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def ring(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    lab = lab_from_inventory(
        ring_inventory(3), "nring", transponders_per_roadm=1, conformance_nodes=0
    )
    clab = write_lab(lab, tmp_path_factory.mktemp("nring"))
    inst = f"nring-{os.getpid()}"
    runner.up(clab, backend="loopback", instance=inst)
    try:
        yield clab, inst
    finally:
        runner.down(clab, instance=inst)


async def wait_for(
    events: EventStream, want: set[tuple[str, str]], timeout: float = 15.0
) -> list[DeviceEvent]:
    """Events until every (device, kind) in ``want`` was seen (or the timeout)."""
    got: list[DeviceEvent] = []
    deadline = time.monotonic() + timeout
    while want - {(e.device, e.kind) for e in got} and time.monotonic() < deadline:
        ev = await events.get(timeout=max(0.0, deadline - time.monotonic()))
        if ev is not None:
            got.append(ev)
    return got


def inject_cli(clab: Path, inst: str, *args: str) -> int:
    return main(["lab", "inject", str(clab), "--name", inst, "--json", *args])


def test_fibre_cut_reaches_the_controller_and_puts_the_lightpath_at_risk(
    ring: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    clab, inst = ring
    seed = seed_from_lab(clab, inst)
    opts = SessionOptions(known_hosts=seed.known_hosts, rpc_timeout_s=60.0)
    f = 193_100_000
    intent = LightpathIntent(
        intent_id("w", ("r0", "r1"), f), ("r0", "r1"), f, ("tp-r0-1", "tp-r1-1"), mode=1
    )

    async def go() -> dict[str, object]:
        async with SessionPool([d.endpoint for d in seed.devices], opts) as pool:
            found = await discover(seed, opts, pool=pool)
            async with EventStream(pool) as events:
                assert events.unsubscribed == {}
                res = await apply_intents(pool, found, [intent], confirm_timeout_s=60)
                changed = set(res.changed)
                got = await wait_for(events, {(d, "config-changed") for d in changed})
                config_events = {e.device for e in got if e.kind == "config-changed"}
                live = LiveNetwork.from_discovery(await discover(seed, opts, pool=pool))
                for e in got:
                    live = live.apply(e)
                f0 = next(
                    fl for fl in live.discovery.inventory.fibres if {fl.a, fl.b} == {"r0", "r1"}
                )
                port = next(
                    p.port
                    for p, fid in sorted(
                        fibre_ports(live.discovery).items(), key=lambda x: (x[0].device, x[0].port)
                    )
                    if fid == f0.id and p.device == "r0"
                )
                t0 = time.perf_counter()
                rc = await asyncio.to_thread(inject_cli, clab, inst, "r0", "fibre-down", port)
                cut = await wait_for(events, {("r0", "port-down"), ("amp-f0", "port-down")})
                latency = time.perf_counter() - t0
                for e in cut:
                    live = live.apply(e)
                down = live.fibres_down()
                risk = live.lightpaths_at_risk()
                g = live.graph()
                edge_up = g.edges["r0", "r1"]["up"]
                reduced = {fl.id for fl in live.inventory().fibres}
                await asyncio.to_thread(inject_cli, clab, inst, "r0", "fibre-up", port)
                mend = await wait_for(events, {("r0", "port-up"), ("amp-f0", "port-up")})
                for e in mend:
                    live = live.apply(e)
                return {
                    "changed": changed,
                    "config_events": config_events,
                    "stale": set(live.stale()),
                    "rc": rc,
                    "fibre": f0.id,
                    "cut_kinds": {(e.device, e.kind, e.cause) for e in cut},
                    "down": down,
                    "risk": risk,
                    "edge_up": edge_up,
                    "reduced": reduced,
                    "after_mend": live.fibres_down(),
                    "latency": latency,
                }

    out = asyncio.run(go())
    printed = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")
    ]
    assert out["changed"] and out["config_events"] >= out["changed"]  # type: ignore[operator]
    assert out["stale"] >= out["changed"]  # type: ignore[operator]
    assert out["rc"] == 0
    injected = printed[0]["injected"]
    assert [(d["node"], d["ok"]) for d in injected] == [("r0", True), ("amp-f0", True)]
    assert ("r0", "port-down", "fibre") in out["cut_kinds"]  # type: ignore[operator]
    assert out["down"] == (out["fibre"],)
    names = {a.lightpath for a in out["risk"]}  # type: ignore[attr-defined]
    assert names == {intent.id}, out["risk"]
    assert {a.device for a in out["risk"]} <= {"r0", "r1"}  # type: ignore[attr-defined]
    assert out["edge_up"] is False
    assert out["fibre"] not in out["reduced"]  # type: ignore[operator]
    assert out["after_mend"] == ()
    print(f"fibre cut → controller event: {out['latency']:.3f} s (inject CLI included)")
