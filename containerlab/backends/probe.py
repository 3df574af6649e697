"""Readiness: a real NETCONF hello over SSH (the ``netconf`` subsystem), with timeouts."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import paramiko

__all__ = ["hello", "wait_ready"]

_EOM = b"]]>]]>"


def hello(
    host: str,
    port: int,
    username: str,
    password: str | None,
    timeout: float = 5.0,
    key_filename: str | None = None,
) -> str:
    """Open SSH, start the ``netconf`` subsystem and return the server's ``<hello>``.

    Raises ``OSError``/``paramiko.SSHException``/``TimeoutError`` when the node does not
    answer with a hello within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    sock = socket.create_connection((host, port), timeout=timeout)
    transport = paramiko.Transport(sock)
    try:
        transport.banner_timeout = timeout
        transport.start_client(timeout=timeout)
        if key_filename:
            transport.auth_publickey(username, _private_key(key_filename))
        else:
            transport.auth_password(username, password or "")
        chan = transport.open_session(timeout=timeout)
        chan.settimeout(max(0.1, deadline - time.monotonic()))
        chan.invoke_subsystem("netconf")
        buf = b""
        while _EOM not in buf:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{host}:{port}: no NETCONF hello within {timeout} s")
            chunk = chan.recv(65536)
            if not chunk:
                raise ConnectionError(f"{host}:{port}: channel closed before the hello ended")
            buf += chunk
        text = buf.split(_EOM, 1)[0].decode("utf-8", "replace")
        if "hello" not in text or "capabilit" not in text:
            raise ConnectionError(f"{host}:{port}: expected a NETCONF <hello>, got {text[:80]!r}")
        chan.close()
        return text
    finally:
        transport.close()
        sock.close()


def _private_key(path: str) -> paramiko.PKey:
    for cls in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return cls.from_private_key_file(path)
        except paramiko.SSHException:
            continue
    raise paramiko.SSHException(f"unreadable private key {path}")


def wait_ready(
    host: str,
    port: int,
    username: str,
    password: str | None,
    timeout: float,
    alive: Callable[[], bool] = lambda: True,
    key_filename: str | None = None,
) -> tuple[bool, str]:
    """Retry :func:`hello` until it answers, ``alive()`` turns False or ``timeout`` passes.

    Returns ``(ready, reason)``; ``reason`` is the last error when not ready.
    """
    deadline = time.monotonic() + timeout
    delay = 0.05
    reason = "not tried"
    while time.monotonic() < deadline:
        if not alive():
            return False, f"process exited ({reason})"
        try:
            left = min(5.0, max(0.5, deadline - time.monotonic()))
            hello(host, port, username, password, left, key_filename)
            return True, ""
        except (OSError, paramiko.SSHException, EOFError) as exc:
            reason = f"{type(exc).__name__}: {exc}"
        time.sleep(delay)
        delay = min(delay * 1.5, 0.5)
    return False, f"no NETCONF hello within {timeout:.0f} s ({reason})"
