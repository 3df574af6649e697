"""Shared pytest fixtures. Add your own below the lab fixtures (keep them generic).

Lab fixtures (real NETCONF servers, see ``docs/lab.md``):

* ``lab`` -- a factory ``lab(file, backend=None, **up_kwargs) -> LabStatus`` that brings a
  clab file up for one test and tears it down afterwards;
* ``shared_lab`` -- the same, but session-scoped and cached per ``(file, backend)``, for
  read-only tests that can share one running lab;
* ``lab_backends`` -- the backends usable here (``["loopback", "netns"]`` as root);
* ``labs_dir`` -- ``containerlab/`` of the repository.

Every lab runs as a unique *instance* (its own namespaces and state directory) and, on
the netns backend, in a free management subnet, so concurrent test runs do not collide.
"""

from __future__ import annotations

import ipaddress
import itertools
import os
import random
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from containerlab import runner
from containerlab.backends import LabBusyError, netns
from containerlab.status import LabStatus

REPO = Path(__file__).resolve().parent.parent
_counter = itertools.count()

LabFactory = Callable[..., LabStatus]


def _used_networks() -> list[ipaddress.IPv4Network]:
    out = subprocess.run(
        ["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True, timeout=10
    )
    nets = []
    for line in out.stdout.splitlines():
        parts = line.split()
        if "inet" in parts:
            nets.append(ipaddress.IPv4Interface(parts[parts.index("inet") + 1]).network)
    return nets


def free_subnet(prefixlen: int = 24) -> str:
    """A subnet of 172.31.0.0/16 with ``prefixlen`` not configured on this host."""
    used = _used_networks()
    pool = list(ipaddress.IPv4Network("172.31.0.0/16").subnets(new_prefix=prefixlen))
    random.Random(os.getpid() * 7919 + next(_counter)).shuffle(pool)
    for net in pool:
        if not any(net.overlaps(u) for u in used):
            return str(net)
    raise RuntimeError("no free management subnet in 172.31.0.0/16")


def start_lab(file: str | Path, backend: str | None = None, **kwargs: Any) -> LabStatus:
    """Bring ``file`` up as a unique instance (retrying once if a subnet was just taken)."""
    from containerlab.clab import load

    spec = load(file)
    chosen = runner.choose_backend(backend)
    instance = (
        kwargs.pop("instance", None) or f"{spec.name}-{chosen[0]}{os.getpid()}-{next(_counter)}"
    )
    for attempt in range(3):
        extra = dict(kwargs)
        if chosen == "netns" and "mgmt_subnet" not in extra:
            extra["mgmt_subnet"] = free_subnet(ipaddress.IPv4Network(spec.mgmt_subnet).prefixlen)
        try:
            return runner.up(file, backend=chosen, instance=instance, **extra)
        except LabBusyError:
            if attempt == 2 or "subnet" not in extra:
                raise
    raise AssertionError("unreachable")


@pytest.fixture(scope="session")
def labs_dir() -> Path:
    """``containerlab/`` of the repository (the committed topologies)."""
    return REPO / "containerlab"


@pytest.fixture(scope="session")
def lab_backends() -> list[str]:
    """Backends usable on this machine (netns needs root)."""
    return ["loopback", "netns"] if netns.available() else ["loopback"]


@pytest.fixture
def lab() -> Iterator[LabFactory]:
    """Factory: ``lab(file, backend=None, **up_kwargs)`` -> running LabStatus (per test)."""
    started: list[LabStatus] = []

    def factory(file: str | Path, backend: str | None = None, **kwargs: Any) -> LabStatus:
        status = start_lab(file, backend, **kwargs)
        started.append(status)
        return status

    yield factory
    for status in reversed(started):
        runner.down(status.file, instance=status.instance)


@pytest.fixture(scope="session")
def shared_lab() -> Iterator[LabFactory]:
    """Session-scoped, cached factory: one running lab per ``(file, backend)``; read-only use."""
    cache: dict[tuple[str, str], LabStatus] = {}

    def factory(file: str | Path, backend: str | None = None, **kwargs: Any) -> LabStatus:
        key = (str(Path(file).resolve()), runner.choose_backend(backend))
        if key not in cache:
            cache[key] = start_lab(file, key[1], **kwargs)
        return cache[key]

    yield factory
    for status in cache.values():
        runner.down(status.file, instance=status.instance)


@pytest.fixture(scope="session", autouse=True)
def private_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Point ``FSOR_STORE`` at a temporary file so no test writes the user's real store.

    Subprocesses (``python -m controller apply …``) inherit it; a test that wants its own
    store sets ``FSOR_STORE`` or passes ``--store``.
    """
    old = os.environ.get("FSOR_STORE")
    os.environ["FSOR_STORE"] = str(tmp_path_factory.mktemp("store") / "fsor.sqlite")
    yield
    if old is None:
        os.environ.pop("FSOR_STORE", None)
    else:
        os.environ["FSOR_STORE"] = old
