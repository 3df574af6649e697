"""The sshd in front of one netconfd node: its config, its host key, its client key.

The rendered ``sshd_config`` serves NETCONF and nothing else: ``ForceCommand`` runs
``netconf-subsystem`` whatever the client asks (a command, a shell, the ``netconf``
subsystem), no TTY, no forwarding, no user rc. Each node has its own ed25519 host key.
Key files are created 0600 in the node's 0700 work directory.

>>> "ForceCommand" in (assets_directory() / "sshd_config.template").read_text()
True
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from string import Template

__all__ = ["assets_directory", "host_key", "render", "subsystem_command", "user_key"]

NETCONF_SUBSYSTEM = "/usr/sbin/netconf-subsystem"


def assets_directory() -> Path:
    """The folder holding the node templates and the default startup configuration."""
    return Path(__file__).resolve().parent / "netconfd"


def render(template: str, **values: object) -> str:
    """``template`` (in :func:`assets_directory`) with ``$placeholders`` filled."""
    text = (assets_directory() / template).read_text()
    return Template(text).substitute({k: str(v) for k, v in values.items()})


def subsystem_command(port: int, socket: Path) -> str:
    """The one command a node's sshd runs: netconf-subsystem on the node's socket."""
    return f"{NETCONF_SUBSYSTEM} --ncxserver-sockname={port}@{socket}"


def _keygen(path: Path, comment: str) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
        capture_output=True,
        timeout=30,
    )
    os.chmod(path, 0o600)


def host_key(workdir: Path) -> Path:
    """The node's own host key (created once)."""
    key = workdir / "ssh_host_ed25519_key"
    if not key.exists():
        _keygen(key, "fsor-netconfd-host")
    return key


def user_key(workdir: Path) -> Path:
    """A client key pair the node accepts (non-root nodes log in the invoking user)."""
    key = workdir / "client_ed25519_key"
    if not key.exists():
        _keygen(key, "fsor-netconfd-client")
    auth = workdir / "authorized_keys"
    auth.write_text(key.with_suffix(".pub").read_text())
    os.chmod(auth, 0o600)
    return key
