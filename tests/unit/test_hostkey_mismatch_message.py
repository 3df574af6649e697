"""The host-key mismatch message: node, host:port, both SHA256 fingerprints, in the
DeviceError family (so the CLI prints it and exits 1)."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from controller.known_hosts import HostKeyMismatch, KnownHosts, sha256_fingerprint
from topology.errors import DeviceError, FsorError


def test_mismatch_message_names_node_endpoint_and_both_fingerprints() -> None:
    err = HostKeyMismatch(
        "roadm-nyc",
        "127.0.0.1",
        8301,
        Path("/tmp/kh"),
        ("ssh-ed25519", "SHA256:recordedAAA"),
        ("ecdsa-sha2-nistp256", "SHA256:offeredBBB"),
    )
    msg = str(err)
    assert isinstance(err, DeviceError) and isinstance(err, FsorError)
    assert err.device == "roadm-nyc"
    assert msg.startswith("roadm-nyc: host key MISMATCH for [127.0.0.1]:8301: /tmp/kh records ")
    assert "SHA256:recordedAAA (ssh-ed25519)" in msg
    assert "offered SHA256:offeredBBB (ecdsa-sha2-nistp256)" in msg
    assert msg.index("recordedAAA") < msg.index("offeredBBB")
    assert "unknown" not in msg.lower()


def test_sha256_fingerprint_is_ssh_keygen_format() -> None:
    blob = b"\x00\x00\x00\x0bssh-ed25519" + bytes(36)
    b64 = base64.b64encode(blob).decode()
    want = "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    assert sha256_fingerprint(b64) == sha256_fingerprint(blob) == want
    assert "=" not in want


def test_recorded_returns_type_and_blob(tmp_path: Path) -> None:
    kh = tmp_path / "known_hosts"
    kh.write_text("[h]:830 ssh-ed25519 aw==\n[g]:830 ecdsa-sha2-nistp256 YQ==\n")
    known = KnownHosts(kh)
    assert known.recorded("h", 830) == ("ssh-ed25519", "aw==")
    assert known.key_for("g", 830) == "YQ=="
    assert known.recorded("h", 831) is None
