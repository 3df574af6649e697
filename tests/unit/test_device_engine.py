"""DeviceEngine rules without the SSH transport: commits, rollbacks, locks, persistence."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from lxml import etree

from containerlab.device.engine import DeviceEngine, RpcFault
from containerlab.device.profile import DeviceProfile, load_startup
from containerlab.device.testing import example_startup

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
PLAT = "http://openconfig.net/yang/platform"
TERM = "http://openconfig.net/yang/terminal-device"


def light(freq: int = 193_100_000, name: str = "och-1") -> etree._Element:
    return etree.fromstring(
        f'<config xmlns="{NC}"><components xmlns="{PLAT}"><component><name>{name}</name>'
        f'<optical-channel xmlns="{TERM}"><config><frequency>{freq}</frequency>'
        "<target-output-power>0.5</target-output-power></config></optical-channel>"
        "</component></components></config>"
    )


def freq(tree: etree._Element, name: str = "och-1") -> str | None:
    found = tree.xpath(
        f"//p:component[p:name='{name}']//t:config/t:frequency/text()",
        namespaces={"p": PLAT, "t": TERM},
    )
    assert isinstance(found, list)
    return str(found[0]) if found else None


@pytest.fixture(scope="module")
def profile() -> DeviceProfile:
    return load_startup(example_startup("transponder"))


def wait_for(cond: object, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(cond) and cond():
            return True
        time.sleep(0.02)
    return False


def test_confirmed_commit_expires(profile: DeviceProfile) -> None:
    eng = DeviceEngine(profile)
    eng.edit_config(1, "candidate", light())
    eng.commit(1, confirmed=True, timeout=1)
    assert freq(eng.config("running")) == "193100000" and eng.confirm_pending
    assert wait_for(lambda: not eng.confirm_pending)
    assert freq(eng.config("running")) is None and freq(eng.config("candidate")) is None


def test_confirm_extend_and_owner_rules(profile: DeviceProfile) -> None:
    eng = DeviceEngine(profile)
    eng.edit_config(1, "candidate", light())
    eng.commit(1, confirmed=True, timeout=60)
    with pytest.raises(RpcFault) as err:
        eng.commit(2)
    assert err.value.tag == "in-use" and "session 1" in err.value.message
    eng.edit_config(1, "candidate", light(193_200_000))
    eng.commit(1, confirmed=True, timeout=60)  # follow-up keeps the first rollback point
    eng.cancel_commit(1)
    assert freq(eng.config("running")) is None
    eng.edit_config(1, "candidate", light())
    eng.commit(1, confirmed=True, timeout=60, persist="t")
    eng.session_closed(1)
    assert freq(eng.config("running")) == "193100000"  # persistent: survives its session
    with pytest.raises(RpcFault):
        eng.cancel_commit(2, persist_id="wrong")
    eng.commit(2, persist_id="t")
    assert not eng.confirm_pending and freq(eng.config("running")) == "193100000"
    eng.close()


def test_session_end_rolls_back(profile: DeviceProfile) -> None:
    eng = DeviceEngine(profile)
    eng.edit_config(3, "candidate", light())
    eng.commit(3, confirmed=True, timeout=60)
    eng.session_closed(4)
    assert eng.confirm_pending
    eng.session_closed(3)
    assert not eng.confirm_pending and freq(eng.config("running")) is None


def test_locks(profile: DeviceProfile) -> None:
    eng = DeviceEngine(profile)
    eng.lock(1, "candidate")
    with pytest.raises(RpcFault) as err:
        eng.lock(2, "candidate")
    assert err.value.tag == "lock-denied" and err.value.info == {"session-id": "1"}
    with pytest.raises(RpcFault) as err:
        eng.discard_changes(2)
    assert err.value.tag == "in-use"
    with pytest.raises(RpcFault):
        eng.unlock(2, "candidate")
    eng.edit_config(1, "candidate", light())
    eng.session_closed(1)  # lock released, uncommitted changes discarded
    assert freq(eng.config("candidate")) is None
    eng.edit_config(2, "candidate", light())
    with pytest.raises(RpcFault) as err:
        eng.lock(3, "candidate")
    assert "uncommitted" in err.value.message
    eng.commit(2, confirmed=True, timeout=60)
    with pytest.raises(RpcFault) as err:
        eng.lock(3, "running")
    assert "confirmed commit of session 2" in err.value.message
    with pytest.raises(RpcFault) as err:
        eng.edit_config(2, "running", light())
    assert err.value.tag == "operation-not-supported"
    eng.close()


def test_rejected_edit_changes_nothing(profile: DeviceProfile) -> None:
    eng = DeviceEngine(profile)
    before = etree.tostring(eng.config("candidate"))
    with pytest.raises(RpcFault) as err:
        eng.edit_config(1, "candidate", light(199_000_000))
    assert err.value.path == "/components/component[name='och-1']/optical-channel/config/frequency"
    assert etree.tostring(eng.config("candidate")) == before


def test_state_dir_persists_and_rolls_back_pending(profile: DeviceProfile, tmp_path: Path) -> None:
    eng = DeviceEngine(profile, tmp_path)
    eng.edit_config(1, "candidate", light())
    eng.commit(1)
    eng.edit_config(1, "candidate", light(193_200_000, "och-2"))
    eng.commit(1, confirmed=True, timeout=600)
    eng.close()  # "crash" with a confirmed commit pending
    assert (tmp_path / "rollback.xml").is_file()
    again = DeviceEngine(profile, tmp_path)
    running = again.config("running")
    assert freq(running) == "193100000" and freq(running, "och-2") is None
    assert not (tmp_path / "rollback.xml").exists()
