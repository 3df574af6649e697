"""The operator workflow on a renamed copy of the orca lab, as a new user would run it.

``fsor plan --lab`` → ``fsor apply`` → ``fsor history`` → ``fsor rollback``, and every
bad input of issue #11: exit 2 with the file/field named, and nothing pushed (the running
configuration of every device is compared byte for byte before and after).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from containerlab import runner
from controller.adapters._xml import parse_reply
from controller.seed import seed_from_lab
from controller.session import SessionOptions, SessionPool
from tests.conftest import REPO, start_lab

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PATH = ["roadm-fra", "roadm-lon", "roadm-nyc", "roadm-sjc"]


@dataclass(frozen=True)
class Lab:
    clab: Path
    instance: str
    store: Path
    tmp: Path


@pytest.fixture(scope="module")
def orca(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    tmp = tmp_path_factory.mktemp("myorca")
    shutil.copytree(REPO / "containerlab" / "orca", tmp / "orca")
    text = (REPO / "containerlab" / "orca.clab.yml").read_text()
    clab = tmp / "my-network.clab.yml"
    clab.write_text(text.replace("name: orca\n", "name: mynet\n", 1))
    status = start_lab(clab)
    try:
        yield Lab(clab, status.instance, tmp / "store.sqlite", tmp)
    finally:
        runner.down(clab, instance=status.instance)


def fsor(lab: Lab, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FSOR_STORE": str(lab.store)}
    return subprocess.run(
        [sys.executable, "-m", "controller", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=lab.tmp,
    )


def target(lab: Lab) -> list[str]:
    return ["--lab", str(lab.clab), "--lab-instance", lab.instance]


def apply_args(lab: Lab) -> list[str]:
    """Target plus a discovery timeout that survives a loaded 2-core machine."""
    return [*target(lab), "--timeout", "120"]


def snapshot(lab: Lab) -> dict[str, bytes]:
    """Canonical running configuration of every reachable device."""
    seed = seed_from_lab(lab.clab, lab.instance)

    async def go() -> dict[str, bytes]:
        opts = SessionOptions(known_hosts=seed.known_hosts, rpc_timeout_s=30.0)
        out = {}
        async with SessionPool([d.endpoint for d in seed.devices], opts) as pool:
            for d in pool.devices:
                try:
                    reply = await pool.call(d, lambda m: m.get_config(source="running").xml)
                except Exception:  # a device we stopped on purpose
                    continue
                out[d] = etree.tostring(parse_reply(d, reply), method="c14n")
        return out

    return asyncio.run(go())


def write_plan(lab: Lab, name: str, lightpaths: list[dict[str, Any]], **top: Any) -> Path:
    doc = {"status": "optimal", "lightpaths": lightpaths, **top}
    p = lab.tmp / name
    p.write_text(json.dumps(doc))
    return p


def lp(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "workload": "w1",
        "path": PATH,
        "frequency_thz": 192.1,
        "transponders": ["tp-fra-2", "tp-sjc-2"],
    }
    return {**base, **kw}


def clear(lab: Lab) -> None:
    empty = write_plan(lab, "empty.json", [])
    out = fsor(lab, "apply", str(empty), *apply_args(lab), "--yes")
    assert out.returncode == 0, out.stderr


def test_readme_pipeline_plan_on_the_lab_then_apply(orca: Lab) -> None:
    out = fsor(orca, "plan", *apply_args(orca), "--json")
    assert out.returncode == 0, out.stderr[-2000:]
    plan_file = orca.tmp / "plan.json"
    plan_file.write_text(out.stdout)
    plan = json.loads(out.stdout)
    assert plan["status"] == "optimal" and plan["lightpaths"]
    assert fsor(orca, "validate", str(plan_file)).returncode == 0
    first = fsor(orca, "apply", str(plan_file), *apply_args(orca), "--json")
    assert first.returncode == 0, first.stderr[-2000:]
    doc = json.loads(first.stdout)
    assert doc["changed"] and doc["transaction"] is not None
    again = fsor(orca, "apply", str(plan_file), *apply_args(orca), "--json")
    assert json.loads(again.stdout)["changed"] == []  # idempotent
    # planning again on the live network sees the lit channel as occupied
    replan = json.loads(fsor(orca, "plan", *apply_args(orca), "--json").stdout)
    assert replan["lightpaths"][0]["frequency_thz"] != plan["lightpaths"][0]["frequency_thz"]
    clear(orca)


BAD_PLANS: dict[str, tuple[list[dict[str, Any]], dict[str, Any], str]] = {
    "loop": (
        [lp(path=["roadm-sjc", "roadm-nyc", "roadm-sjc", "roadm-nyc"])],
        {},
        "visits each node once",
    ),
    "hop-not-a-fibre": ([lp(path=["roadm-fra", "roadm-nyc", "roadm-sjc"])], {}, "fibre"),
    "off-grid": ([lp(frequency_thz=192.103)], {}, "G.694.1"),
    "out-of-band": ([lp(frequency_thz=197.5)], {}, "inside the band"),
    "same-frequency-same-fibre": (
        [lp(), lp(workload="w2", transponders=["tp-fra-1", "tp-sjc-1"])],
        {},
        "spectrum free",
    ),
    "power-loud": ([lp(power_dbm="loud")], {}, "power_dbm"),
    "power-500": ([lp(power_dbm=-500)], {}, "power_dbm"),
    "mode-fast": ([lp(mode="fast")], {}, "mode"),
    "width-0": ([lp(width_ghz=0)], {}, "width"),
    "infeasible-status": ([], {"status": "infeasible"}, "status"),
    "several-slots": ([lp(slot=1), lp(workload="w2", slot=2)], {}, "--slot"),
    "wrong-transponder-end": ([lp(transponders=["tp-tyo-1", "tp-sjc-2"])], {}, "attached"),
}


@pytest.mark.parametrize("case", sorted(BAD_PLANS))
def test_bad_plan_is_exit_2_and_nothing_is_pushed(orca: Lab, case: str) -> None:
    lps, top, needle = BAD_PLANS[case]
    f = write_plan(orca, f"bad-{case}.json", lps, **top)
    before = snapshot(orca)
    out = fsor(orca, "apply", str(f), *apply_args(orca))
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert needle in out.stderr and f"bad-{case}.json" in out.stderr, out.stderr
    assert "Traceback" not in out.stderr
    assert snapshot(orca) == before


BAD_OPTIONS = {
    "confirm-timeout-0": ["--confirm-timeout", "0"],
    "confirm-timeout-negative": ["--confirm-timeout", "-5"],
    "power-nan": ["--power-dbm", "nan"],
    "width-inf": ["--width-ghz", "inf"],
    "known-hosts-missing": ["--known-hosts", "/nonexistent/known_hosts"],
}


@pytest.mark.parametrize("case", sorted(BAD_OPTIONS))
def test_bad_option_is_exit_2(orca: Lab, case: str) -> None:
    f = write_plan(orca, "good.json", [lp()])
    out = fsor(orca, "apply", str(f), *apply_args(orca), *BAD_OPTIONS[case])
    assert out.returncode == 2, out.stderr
    assert BAD_OPTIONS[case][0] in out.stderr


def test_nan_in_a_plan_is_exit_2(orca: Lab) -> None:
    f = orca.tmp / "nan.json"
    f.write_text(
        '{"status": "optimal", "lightpaths": [{"path": ["roadm-fra"], "frequency_thz": NaN}]}'
    )
    out = fsor(orca, "apply", str(f), *apply_args(orca))
    assert out.returncode == 2 and "finite" in out.stderr


def test_removals_need_consent_and_are_recorded(orca: Lab) -> None:
    f = write_plan(orca, "one.json", [lp()])
    assert fsor(orca, "apply", str(f), *apply_args(orca)).returncode == 0
    before = snapshot(orca)
    empty = write_plan(orca, "none.json", [])
    out = fsor(orca, "apply", str(empty), *apply_args(orca))
    assert out.returncode == 2 and "--allow-removals 1" in out.stderr
    assert snapshot(orca) == before
    out = fsor(orca, "apply", str(empty), *apply_args(orca), "--allow-removals", "1", "--json")
    assert out.returncode == 0, out.stderr
    removed = json.loads(out.stdout)["transaction"]
    hist = json.loads(fsor(orca, "history", "--json").stdout)["transactions"]
    assert hist[0]["id"] == removed and "delete media-channel" in json.dumps(hist[0]["diff"])
    # rollback re-applies the lightpath as a new transaction; the state equals `before`
    out = fsor(orca, "rollback", str(removed), *apply_args(orca), "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["transaction"] > removed
    assert snapshot(orca) == before
    again = fsor(orca, "apply", str(f), *apply_args(orca), "--json")
    assert json.loads(again.stdout)["changed"] == []
    clear(orca)


def test_slots_apply_one_at_a_time_with_the_same_transponders(orca: Lab) -> None:
    lps = [lp(slot=3), lp(workload="w2", frequency_thz=192.2, slot=5)]
    starts = {
        "placements": [
            {"workload": "w1", "site": "dc-sjc", "start": "2025-07-01T03:00:00+00:00", "slot": 3}
        ]
    }
    f = write_plan(orca, "slots.json", lps, **starts)
    out = fsor(orca, "apply", str(f), *apply_args(orca), "--slot", "3", "--json")
    assert out.returncode == 0, out.stderr
    out = fsor(
        orca,
        "apply",
        str(f),
        *apply_args(orca),
        "--at",
        "2025-07-01T05:10:00Z",
        "--json",
    )
    # slot 5 ends slot 3's lightpath: the plan schedules that removal, so no consent needed
    assert out.returncode == 0, out.stderr
    devices = json.dumps(json.loads(out.stdout)["devices"])
    assert "192200000" in devices and "delete media-channel" in devices
    clear(orca)


def test_unbound_transponders_are_chosen_free(orca: Lab) -> None:
    f = write_plan(orca, "unbound.json", [lp(transponders=[])])
    out = fsor(orca, "apply", str(f), *apply_args(orca), "--json")
    assert out.returncode == 0, out.stderr
    changed = json.loads(out.stdout)["changed"]
    assert any(d.startswith("tp-fra-") for d in changed)
    assert any(d.startswith("tp-sjc-") for d in changed)
    clear(orca)


def test_two_applies_at_once_lose_nothing(orca: Lab) -> None:
    a = write_plan(orca, "a.json", [lp(workload="a", frequency_thz=192.5)])
    b = write_plan(
        orca,
        "b.json",
        [lp(workload="b", frequency_thz=192.6, transponders=["tp-fra-1", "tp-sjc-1"])],
    )
    env = {**os.environ, "FSOR_STORE": str(orca.store)}
    cmd = [sys.executable, "-m", "controller", "apply"]
    procs = [
        subprocess.Popen(
            [*cmd, str(p), *apply_args(orca), "--json"],
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for p in (a, b)
    ]
    results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    codes = sorted(r[0] for r in results)
    # one commits; the other waits for the locks, then sees the first's lightpath, which it
    # would remove, and refuses (exit 2): nothing is silently deleted
    assert codes == [0, 2], results
    winner = "a" if results[0][0] == 0 else "b"
    found = json.loads(fsor(orca, "discover", *apply_args(orca), "--json").stdout)
    lit = {f for d in found["devices"] if d["id"] == "roadm-fra" for f in d["channels_in_use_thz"]}
    assert lit == {192.5 if winner == "a" else 192.6}
    clear(orca)


def test_unreachable_roadm_aborts_a_removal_before_any_edit(orca: Lab) -> None:
    f = write_plan(orca, "keep.json", [lp()])
    assert fsor(orca, "apply", str(f), *apply_args(orca)).returncode == 0
    state = runner.load_state(orca.clab, instance=orca.instance)
    assert state is not None
    node = next(n for n in state["nodes"] if n["name"] == "roadm-nyc")
    os.kill(int(node["pid"]), signal.SIGSTOP)  # hung, not gone: connect times out
    try:
        before = snapshot_without(orca, "roadm-nyc")
        empty = write_plan(orca, "drop.json", [])
        out = fsor(
            orca,
            "apply",
            str(empty),
            *target(orca),
            "--yes",
            "--rpc-timeout",
            "3",
            "--timeout",
            "45",
        )
        assert out.returncode == 1, out.stderr
        assert "roadm-nyc" in out.stderr and "nothing changed" in out.stderr
        assert snapshot_without(orca, "roadm-nyc") == before
    finally:
        os.kill(int(node["pid"]), signal.SIGCONT)
    clear(orca)


def snapshot_without(lab: Lab, skip: str) -> dict[str, bytes]:
    seed = seed_from_lab(lab.clab, lab.instance)

    async def go() -> dict[str, bytes]:
        opts = SessionOptions(known_hosts=seed.known_hosts, rpc_timeout_s=10.0)
        eps = [d.endpoint for d in seed.devices if d.id != skip]
        out = {}
        async with SessionPool(eps, opts) as pool:
            for d in pool.devices:
                reply = await pool.call(d, lambda m: m.get_config(source="running").xml)
                out[d] = etree.tostring(parse_reply(d, reply), method="c14n")
        return out

    return asyncio.run(go())


def test_discover_with_no_device_reachable_exits_3(orca: Lab) -> None:
    empty = orca.tmp / "empty_known_hosts"
    empty.write_text("")
    out = fsor(orca, "discover", *target(orca), "--known-hosts", str(empty))
    assert out.returncode == 3
    assert re.search(r"0 of \d+ devices reachable", out.stderr), out.stderr
