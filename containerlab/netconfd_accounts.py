"""Host accounts of root-run netconfd nodes: one per lab, NETCONF-only, removed on ``down``.

sshd runs a session's command through the login user's shell, so a netconfd node needs
an account. As root, each lab instance gets its own system user (:func:`lab_username`)
with a random password (kept in the lab's 0600 state file) and, as its login shell,
:data:`SHELL`: a tiny script that runs ``netconf-subsystem`` on a netconfd socket and
nothing else. ``ssh user@host id`` -- on the node's port or the host's own sshd -- gets
"NETCONF only", never a shell. ``fsor lab down`` (also of a crashed lab) deletes the user.

Users are created only with :data:`LAB_USER_MARK` in their GECOS field; a user without
it is never modified or removed.

>>> lab_username("orca-n123-0")
'fsorlab-db273cd9'
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import pwd
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

from topology.errors import DeviceError

__all__ = [
    "LAB_USER_MARK",
    "RUNTIME_DIR",
    "SHELL",
    "ensure_lab_user",
    "install_shell",
    "lab_username",
    "remove_lab_user",
]

LAB_USER_MARK = "fsor lab NETCONF user"
RUNTIME_DIR = Path("/run/fsor-netconfd")
#: login shell of lab accounts (root-owned, in a root-only directory)
SHELL = RUNTIME_DIR / "netconf-shell"
_SUBSYSTEM = "/usr/sbin/netconf-subsystem"
_SHELL_TEXT = f"""#!/bin/sh
# Login shell of fsor lab NETCONF accounts (containerlab/netconfd_accounts.py):
# runs netconf-subsystem on one netconfd socket, nothing else.
no() {{ echo "fsor lab account: NETCONF only" >&2; exit 1; }}
[ "$1" = "-c" ] || no
sock=${{2#{_SUBSYSTEM} --ncxserver-sockname=}}
[ "$sock" != "$2" ] || no
case $sock in ""|*[!A-Za-z0-9@/._-]*) no ;; esac
exec {_SUBSYSTEM} "--ncxserver-sockname=$sock"
"""
_LOCK = threading.Lock()


def lab_username(instance: str) -> str:
    """The account of lab ``instance``: ``fsorlab-`` + 8 hex digits (fits every useradd)."""
    return "fsorlab-" + hashlib.sha256(instance.encode()).hexdigest()[:8]


def install_shell() -> Path:
    """Write :data:`SHELL` (root only); returns its path."""
    RUNTIME_DIR.mkdir(mode=0o711, exist_ok=True)
    os.chmod(RUNTIME_DIR, 0o711)
    if not SHELL.exists() or SHELL.read_text() != _SHELL_TEXT:
        tmp = SHELL.with_suffix(".tmp")
        tmp.write_text(_SHELL_TEXT)
        os.chmod(tmp, 0o755)
        tmp.replace(SHELL)
    return SHELL


@contextlib.contextmanager
def _user_db_lock() -> Iterator[None]:
    """Serialise our edits of the user database between processes (parallel lab starts).

    An advisory lock on /etc/passwd itself, so no lock file is left behind.
    """
    with _LOCK, open("/etc/passwd", "rb") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def ensure_lab_user(node: str, username: str, password: str) -> None:
    """Create (or update) NETCONF-only account ``username`` with ``password`` (root only).

    The password goes to ``chpasswd`` on stdin, never on a command line.
    """
    shell = install_shell()
    with _user_db_lock():
        try:
            entry = pwd.getpwnam(username)
        except KeyError:
            entry = None
        if entry is not None and entry.pw_gecos != LAB_USER_MARK:
            raise DeviceError(
                node,
                f"local user {username!r} exists and was not created by fsor; "
                "choose another username (its password is never changed)",
            )
        if entry is None:
            subprocess.run(
                [
                    *("useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent"),
                    *("--shell", str(shell), "--comment", LAB_USER_MARK, username),
                ],
                check=True,
                capture_output=True,
                timeout=30,
            )
        elif entry.pw_shell != str(shell):
            subprocess.run(
                ["usermod", "--shell", str(shell), username],
                check=True,
                capture_output=True,
                timeout=30,
            )
        subprocess.run(
            ["chpasswd"],
            input=f"{username}:{password}\n".encode(),
            check=True,
            capture_output=True,
            timeout=30,
        )


def remove_lab_user(username: str) -> bool:
    """Delete account ``username`` if fsor created it (root only); True if removed."""
    try:
        entry = pwd.getpwnam(username)
    except KeyError:
        return False
    if entry.pw_gecos != LAB_USER_MARK or os.geteuid() != 0:
        return False
    with _user_db_lock():
        subprocess.run(["userdel", username], check=True, capture_output=True, timeout=30)
    return True
