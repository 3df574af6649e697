"""Run real ``fsor-device`` processes for tests and tools.

>>> from containerlab.device.testing import running_device, example_startup
>>> with running_device(example_startup("roadm")) as dev:     # doctest: +SKIP
...     print(dev.host, dev.port, dev.username, dev.password)

The device runs as ``python -m containerlab.device`` on a free loopback port (or the given
one); the context manager waits for its ``READY`` line, and on exit stops it with SIGTERM
(SIGKILL after 5 s). Its stderr log is kept in ``handle.log_path`` while it runs.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = ["DeviceHandle", "example_startup", "nc_connect", "running_device"]


@dataclass(frozen=True)
class DeviceHandle:
    """Where a running device listens and how to log in."""

    host: str
    port: int
    username: str
    password: str
    name: str
    kind: str
    pid: int
    log_path: Path
    process: subprocess.Popen[str]

    def kill(self) -> None:
        """SIGKILL the device (fault tests); the context manager still cleans up."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=5)


def example_startup(kind: str) -> Path:
    """Path of the example startup file for ``kind`` (transponder, roadm, amplifier)."""
    return Path(__file__).resolve().parent / "examples" / f"{kind}.yaml"


def _read_ready(proc: subprocess.Popen[str], timeout: float) -> dict[str, str]:
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if not sel.select(timeout=max(0.0, deadline - time.monotonic())):
                continue
            line = proc.stdout.readline()
            if not line:
                break
            if line.startswith("READY "):
                return dict(kv.split("=", 1) for kv in line.split()[2:] if "=" in kv)
    finally:
        sel.close()
    raise RuntimeError(f"fsor-device did not become ready within {timeout} s (rc={proc.poll()})")


@contextmanager
def running_device(
    startup: str | Path | Mapping[str, Any],
    port: int | None = None,
    *,
    address: str = "127.0.0.1",
    username: str = "admin",
    password: str = "admin",
    state_dir: Path | None = None,
    timeout: float = 30.0,
) -> Iterator[DeviceHandle]:
    """Start a real device process; yield its :class:`DeviceHandle`; stop it afterwards."""
    with tempfile.TemporaryDirectory(prefix="fsor-dev-") as tmp:
        work = Path(tmp)
        if isinstance(startup, Mapping):
            path = work / "startup.yaml"
            path.write_text(yaml.safe_dump(dict(startup)), encoding="utf-8")
        else:
            path = Path(startup)
        log_path = work / "device.log"
        cmd = [
            sys.executable,
            "-m",
            "containerlab.device",
            "--startup",
            str(path),
            "--address",
            address,
            "--port",
            str(port or 0),
            "--username",
            username,
            "--password",
            password,
            "--host-key",
            str(work / "host_key"),
        ]
        if state_dir is not None:
            cmd += ["--state-dir", str(state_dir)]
        with open(log_path, "w", encoding="utf-8") as log:
            proc = subprocess.Popen(
                cmd,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        try:
            ready = _read_ready(proc, timeout)
            yield DeviceHandle(
                address,
                int(ready["port"]),
                username,
                password,
                ready["name"],
                ready["kind"],
                int(ready["pid"]),
                log_path,
                proc,
            )
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)
            if proc.stdout is not None:
                proc.stdout.close()


def nc_connect(dev: DeviceHandle, timeout: float = 30.0) -> Any:
    """An ncclient manager logged in to ``dev`` (host key not verified: lab use)."""
    from ncclient import manager

    return manager.connect(
        host=dev.host,
        port=dev.port,
        username=dev.username,
        password=dev.password,
        hostkey_verify=False,
        look_for_keys=False,
        allow_agent=False,
        timeout=timeout,
    )
