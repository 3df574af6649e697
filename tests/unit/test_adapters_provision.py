"""Provisioning guards that need no device: an unreachable hop is refused up front."""

from __future__ import annotations

import pytest

from controller.discovery import DeviceReport, DiscoveryResult
from controller.edits import LightpathIntent
from controller.provision import ApplyResult, apply_intents
from controller.session import SessionPool
from topology.errors import DeviceError
from topology.model import Inventory


async def test_unreachable_device_on_a_path_is_refused_naming_it() -> None:
    found = DiscoveryResult(
        Inventory("x", ()),
        (DeviceReport("r1", "roadm", False, "unreachable: no answer within 20 s"),),
        (),
    )
    it = LightpathIntent("fsor-1", ("r1", "r2"), 193_100_000, ("t1", "t2"))
    async with SessionPool([]) as pool:
        with pytest.raises(DeviceError, match=r"^r1: cannot provision lightpath fsor-1: unr"):
            await apply_intents(pool, found, [it])


def test_apply_result_json_lists_changes() -> None:
    from controller.edits import DeviceEdit

    r = ApplyResult(True, {"r1": DeviceEdit("r1", "<config/>", "+x", ("add a",))}, 1)
    doc = r.to_json()
    assert doc["changed"] == ["r1"] and doc["devices"]["r1"]["changes"] == ["add a"]
    assert doc["dry_run"] is True
