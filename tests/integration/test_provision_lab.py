"""Discovery and provisioning end to end on a generated lab of real emulator devices.

Ring of 3 ROADMs (r0, r1, r2), an amplifier node on every fibre, one transponder per
ROADM. r1's grid stops at 195.0 THz so a lightpath at 195.5 THz is rejected by r1 alone.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from bench.southbound import ring_inventory
from containerlab import runner
from containerlab.generate import lab_from_inventory, write_lab
from controller.adapters import terminal_device, wavelength_router
from controller.adapters._xml import parse_reply
from controller.discovery import DiscoveryResult, discover
from controller.edits import LightpathIntent, intent_id
from controller.provision import TransactionError, apply_intents, read_states
from controller.seed import Seed, seed_from_lab
from controller.session import SessionOptions, SessionPool

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def ring(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    lab = lab_from_inventory(
        ring_inventory(3), "sbring", transponders_per_roadm=2, conformance_nodes=0
    )
    lab.startups["r1"]["grid"] = {**lab.startups["r1"]["grid"], "max_thz": 195.0}
    clab = write_lab(lab, tmp_path_factory.mktemp("ring"))
    inst = f"sbring-{os.getpid()}"
    runner.up(clab, backend="loopback", instance=inst)
    try:
        yield clab, inst
    finally:
        runner.down(clab, instance=inst)


def seed_of(ring: tuple[Path, str]) -> Seed:
    return seed_from_lab(*ring)


def opts(seed: Seed) -> SessionOptions:
    return SessionOptions(known_hosts=seed.known_hosts, rpc_timeout_s=60.0)


def lightpath(f_thz: float, workload: str = "w", k: int = 1) -> LightpathIntent:
    f = round(f_thz * 1e6)
    path = ("r0", "r1")
    trx = (f"tp-r0-{k}", f"tp-r1-{k}")
    return LightpathIntent(intent_id(workload, path, f), path, f, trx, mode=1)


async def snapshot(pool: SessionPool) -> dict[str, bytes]:
    """Canonical running config of every device."""
    out = {}
    for d in pool.devices:
        flt = '<filter type="subtree" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"/>'
        reply = await pool.call(d, lambda m: m.get_config(source="running").xml)
        del flt
        out[d] = etree.tostring(parse_reply(d, reply), method="c14n")
    return out


def test_discovery_builds_the_ring(ring: tuple[Path, str]) -> None:
    seed = seed_of(ring)
    res: DiscoveryResult = asyncio.run(discover(seed, opts(seed)))
    assert {d.id for d in res.devices} == {d.id for d in seed.devices}
    assert all(d.reachable and d.reason is None for d in res.devices)
    kinds = {d.id: d.kind for d in res.devices}
    assert kinds["r0"] == "roadm" and kinds["tp-r0-1"] == "transponder"
    assert kinds["amp-f0"] == "amplifier"
    inv = res.inventory
    assert sorted(r.id for r in inv.roadms) == ["r0", "r1", "r2"]
    assert {(f.a, f.b) for f in inv.fibres} == {("r0", "r1"), ("r1", "r2"), ("r0", "r2")}
    assert all(f.length_km == 160.0 and f.spans == 2 for f in inv.fibres)
    assert {t.id: t.roadm for t in inv.transponders} == {
        f"tp-r{i}-{k}": f"r{i}" for i in range(3) for k in (1, 2)
    }
    assert len(res.links) == 12  # 3 fibres x 2 ROADM-amp links + 6 transponder links
    assert all(d.power_w is not None for d in res.devices if d.kind == "roadm")


async def _apply(ring: tuple[Path, str], intents: list[LightpathIntent]) -> tuple[object, object]:
    seed = seed_of(ring)
    async with SessionPool([d.endpoint for d in seed.devices], opts(seed)) as pool:
        found = await discover(seed, opts(seed), pool=pool)
        res = await apply_intents(pool, found, intents, confirm_timeout_s=60)
        return res, await discover(seed, opts(seed), pool=pool)  # read back


def test_apply_is_idempotent_then_removes_dropped_lightpaths(ring: tuple[Path, str]) -> None:
    a, b = lightpath(193.1, "a"), lightpath(193.2, "b", 2)
    first, _ = asyncio.run(_apply(ring, [a, b]))
    assert first.changed == (  # type: ignore[attr-defined]
        "r0",
        "r1",
        "tp-r0-1",
        "tp-r0-2",
        "tp-r1-1",
        "tp-r1-2",
    )
    again, found = asyncio.run(_apply(ring, [a, b]))
    assert again.changed == ()  # type: ignore[attr-defined]
    # what the devices now say (operational state follows config)
    r0 = found.facts["r0"]  # type: ignore[attr-defined]
    assert {m.name for m in r0.media_channels} == {a.id, b.id}
    occupied = {f.id: f.occupied for f in found.inventory.fibres}  # type: ignore[attr-defined]
    assert len(occupied["f0"]) == 2
    tp = found.facts["tp-r0-2"]  # type: ignore[attr-defined]
    assert [o.frequency_mhz for o in tp.optical_channels] == [193_200_000]
    # dropping b removes its media channels and frees its optical channel, in one go
    third, found = asyncio.run(_apply(ring, [a]))
    assert "r0" in third.changed  # type: ignore[attr-defined]
    assert [o.frequency_mhz for o in found.facts["tp-r0-2"].optical_channels] == [None]  # type: ignore[attr-defined]
    r0 = found.facts["r0"]  # type: ignore[attr-defined]
    assert {m.name for m in r0.media_channels} == {a.id}
    _, found = asyncio.run(_apply(ring, []))
    assert not found.facts["r1"].media_channels  # type: ignore[attr-defined]


async def _replace(ring: tuple[Path, str]) -> None:
    seed = seed_of(ring)
    async with SessionPool([d.endpoint for d in seed.devices], opts(seed)) as pool:
        found = await discover(seed, opts(seed), pool=pool)
        adapters = {d: f.adapters for d, f in found.facts.items()}

        async def running() -> dict[str, tuple[set[str], list[int | None]]]:
            """Per device, from get-config: fsor media-channel names, och frequencies."""
            st = await read_states(pool, adapters)
            return {
                d: (
                    {str(m.name) for m in s.media_channels},
                    sorted((o.frequency_mhz for o in s.optical_channels), key=str),
                )
                for d, s in st.items()
            }

        a1, a2 = lightpath(193.1, "a"), lightpath(193.15, "a2", 2)
        plan1 = await apply_intents(pool, found, [a1, a2], confirm_timeout_s=60)
        assert len(plan1.changed) == 6
        # plan 2 drops both: b retunes a1's transponders (each has ONE optical channel) and
        # c takes a2's transponders at a1's old frequency (overlapping a1's media channels)
        b, c = lightpath(193.25, "b"), lightpath(193.1, "c", 2)
        plan2 = await apply_intents(pool, found, [b, c], confirm_timeout_s=60)
        assert set(plan2.changed) == {"r0", "r1", "tp-r0-1", "tp-r0-2", "tp-r1-1", "tp-r1-2"}
        for r in ("r0", "r1"):
            ch = plan2.edits[r].changes
            assert {f"delete media-channel {x.id}" for x in (a1, a2)} <= set(ch), ch
        assert not any("free" in x for x in plan2.edits["tp-r0-1"].changes)
        held = await running()
        for r in ("r0", "r1"):
            assert held[r][0] == {b.id, c.id}
        assert held["r2"][0] == set()
        for k, f in ((1, 193_250_000), (2, 193_100_000)):
            for t in (f"tp-r0-{k}", f"tp-r1-{k}"):
                assert held[t][1] == [f], (t, held[t])
        assert held["tp-r2-1"][1] == [None]
        again = await apply_intents(pool, found, [b, c], confirm_timeout_s=60)
        assert again.changed == ()
        await apply_intents(pool, found, [], confirm_timeout_s=60)
        assert all(not names for names, _ in (await running()).values())


def test_new_plan_reuses_transponders_of_the_lightpaths_it_drops(ring: tuple[Path, str]) -> None:
    asyncio.run(_replace(ring))


async def _rejected(ring: tuple[Path, str]) -> None:
    seed = seed_of(ring)
    async with SessionPool([d.endpoint for d in seed.devices], opts(seed)) as pool:
        found = await discover(seed, opts(seed), pool=pool)
        await apply_intents(pool, found, [lightpath(193.1, "ok")], confirm_timeout_s=60)
        prior = await snapshot(pool)
        bad = [lightpath(193.1, "ok"), lightpath(195.5, "too-high", 2)]
        with pytest.raises(TransactionError) as info:
            await apply_intents(pool, found, bad, confirm_timeout_s=60)
        err = info.value
        assert err.device == "r1", str(err)
        assert err.xpath and "frequency" in err.xpath, str(err)
        assert await snapshot(pool) == prior
        await apply_intents(pool, found, [], confirm_timeout_s=60)


def test_device_rejecting_its_edit_rolls_every_device_back(ring: tuple[Path, str]) -> None:
    asyncio.run(_rejected(ring))


def test_dry_run_changes_nothing_and_shows_the_diff(ring: tuple[Path, str]) -> None:
    async def go() -> None:
        seed = seed_of(ring)
        async with SessionPool([d.endpoint for d in seed.devices], opts(seed)) as pool:
            found = await discover(seed, opts(seed), pool=pool)
            before = await snapshot(pool)
            res = await apply_intents(pool, found, [lightpath(193.3)], dry_run=True)
            assert sorted(res.edits) == ["r0", "r1", "tp-r0-1", "tp-r1-1"]
            assert "+" in res.edits["r0"].diff and "193325000" in res.edits["r0"].diff
            assert await snapshot(pool) == before
            assert terminal_device.NS and wavelength_router.NS

    asyncio.run(go())


def test_apply_cli_dry_run_then_apply_then_idempotent(
    ring: tuple[Path, str], tmp_path: Path
) -> None:
    import json
    import subprocess
    import sys

    plan = {
        "status": "optimal",
        "lightpaths": [
            {
                "workload": "cli",
                "path": ["r0", "r1"],
                "frequency_thz": 193.4,
                "transponders": ["tp-r0-1", "tp-r1-1"],
            }
        ],
    }
    f = tmp_path / "plan.json"
    f.write_text(json.dumps(plan))
    base = [
        sys.executable,
        "-m",
        "controller",
        "apply",
        str(f),
        "--lab",
        str(ring[0]),
        "--lab-instance",
        ring[1],
        "--json",
    ]

    def run(*extra: str) -> dict[str, object]:
        out = subprocess.run([*base, *extra], capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-2000:]
        doc: dict[str, object] = json.loads(out.stdout)
        return doc

    dry = run("--dry-run")
    assert dry["dry_run"] is True and dry["changed"] == ["r0", "r1", "tp-r0-1", "tp-r1-1"]
    assert run()["changed"] == dry["changed"]
    assert run()["changed"] == []
    f.write_text(json.dumps({"status": "optimal", "lightpaths": []}))
    refused = subprocess.run(base, capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2 and "--allow-removals 1" in refused.stderr
    assert run("--allow-removals", "1")["changed"] == dry["changed"]  # same devices
