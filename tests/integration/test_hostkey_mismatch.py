"""A device whose SSH host key differs from the one recorded for it: ``fsor discover``
reports a host-key MISMATCH naming the node, its host:port and both SHA256 fingerprints (as
``ssh-keygen -lf`` prints them), exits non-zero and builds no inventory; on a real lab."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from containerlab import runner
from controller.known_hosts import sha256_fingerprint
from tests.conftest import REPO, start_lab

pytestmark = [pytest.mark.integration]


def renamed_lab(tmp: Path, name: str) -> Path:
    """A renamed two-ROADM copy of the orca lab, as a user would make it."""
    shutil.copytree(REPO / "containerlab" / "orca", tmp / "orca", dirs_exist_ok=True)
    clab = tmp / f"{name}.clab.yml"
    nodes = "".join(
        f"    roadm-{site}:\n"
        "      kind: linux\n"
        "      image: fsor/device:latest\n"
        f"      binds: ['orca/roadm-{site}.yaml:/etc/fsor/startup.yaml:ro']\n"
        "      labels: {fsor.role: roadm}\n"
        for site in ("fra", "nyc")
    )
    clab.write_text(
        f"name: {name}\n"
        "topology:\n"
        "  defaults:\n"
        "    env: {FSOR_USERNAME: admin, FSOR_PASSWORD: hk-lab-pw}\n"
        f"  nodes:\n{nodes}"
    )
    return clab


@pytest.fixture(scope="module")
def hk_lab(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Path, str, dict[str, object]]]:
    """One running lab for the module (the tests only read it)."""
    clab = renamed_lab(tmp_path_factory.mktemp("hk"), "hk-lab")
    status = start_lab(clab, "loopback")
    state = runner.load_state(clab, instance=status.instance)
    assert state is not None
    try:
        yield clab, status.instance, state
    finally:
        runner.down(clab, instance=status.instance)


def keygen_fingerprint(line: str, tmp: Path) -> str:
    """The SHA256 fingerprint ``ssh-keygen -lf`` prints for one known_hosts line."""
    f = tmp / "one_line"
    f.write_text(line + "\n")
    out = subprocess.run(
        ["ssh-keygen", "-lf", str(f)], capture_output=True, text=True, check=True, timeout=10
    )
    return out.stdout.split()[1]


def fresh_key_b64(kind: str) -> tuple[str, str]:
    """(type, base64 blob) of a newly generated ed25519 or ECDSA P-256 public key."""
    pub = (
        Ed25519PrivateKey.generate().public_key()
        if kind == "ed25519"
        else ec.generate_private_key(ec.SECP256R1()).public_key()
    )
    text = pub.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    key_type, blob = text.decode().split()[:2]
    return key_type, blob


def discover_cli(clab: Path, instance: str, known_hosts: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            *(sys.executable, "-m", "controller", "discover", "--lab", str(clab)),
            *("--lab-instance", instance, "--known-hosts", str(known_hosts), "--json"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


#: ecdsa: the lab's own key type (ncclient refuses the key: "unknown host key" before);
#: ed25519: another type (no common host-key algorithm: "Negotiation failed" before)
@pytest.mark.parametrize("kind", ["ecdsa", "ed25519"])
def test_changed_host_key_is_a_mismatch_naming_node_and_both_fingerprints(
    hk_lab: tuple[Path, str, dict[str, object]], tmp_path: Path, kind: str
) -> None:
    clab, instance, state = hk_lab
    lines = Path(str(state["known_hosts"])).read_text().splitlines()
    nodes = {n["name"]: n for n in state["nodes"]}  # type: ignore[attr-defined]
    target = nodes["roadm-nyc"]
    name = f"[{target['host']}]:{target['port']}"
    offered_line = next(ln for ln in lines if ln.split()[0] == name)

    good = tmp_path / "known_hosts.good"  # control: the lab's own keys are accepted
    good.write_text("\n".join(lines) + "\n")
    ok = discover_cli(clab, instance, good)
    assert ok.returncode == 0, ok.stderr

    key_type, blob = fresh_key_b64(kind)
    changed = tmp_path / "known_hosts"
    changed.write_text(
        "\n".join(f"{name} {key_type} {blob}" if ln == offered_line else ln for ln in lines) + "\n"
    )
    recorded_fp = keygen_fingerprint(f"{name} {key_type} {blob}", tmp_path)
    offered_fp = keygen_fingerprint(offered_line, tmp_path)
    assert recorded_fp == sha256_fingerprint(blob) and recorded_fp != offered_fp

    out = discover_cli(clab, instance, changed)
    assert out.returncode == 1, (out.returncode, out.stdout, out.stderr)
    assert out.stdout == ""  # no inventory printed: nothing to plan or push on
    err = out.stderr
    assert "roadm-nyc" in err and name in err and "MISMATCH" in err
    assert recorded_fp in err and offered_fp in err
    assert err.index(recorded_fp) < err.index(offered_fp)  # "records …, offered …"
    assert "unknown host key" not in err.lower()
    assert "roadm-fra" not in err  # the other node's key is fine
    assert f"({key_type})" in err
