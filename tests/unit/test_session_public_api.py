"""fsor uses ncclient's public API only: no private name, no module global changed on import."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

#: ncclient internals the session pool once used (a subclass, private attributes, TICK)
PRIVATE = re.compile(
    r"SSHSession|ncclient\.transport\.(session|parser|ssh)\b|\._session\b|\._transport\b"
    r"|\._channel\b|\._dispatch_error|\._closing|\._buffer\b|make_device_handler|\.TICK\b"
)
#: the one sanctioned write, called by fsor's entry points (docs/southbound.md)
ALLOWED = {("controller/session.py", "set_ncclient_poll_interval")}


def _python_sources() -> list[Path]:
    return [
        p
        for top in ("controller", "bench", "containerlab", "topology", "optimizer")
        for p in (REPO / top).rglob("*.py")
    ]


def test_no_ncclient_private_name_in_fsor() -> None:
    hits = []
    for path in _python_sources():
        rel = path.relative_to(REPO).as_posix()
        func = ""
        for n, line in enumerate(path.read_text().splitlines(), 1):
            m = re.match(r"\s*def (\w+)", line)
            if m and not line.startswith("        "):
                func = m.group(1)
            if PRIVATE.search(line) and (rel, func) not in ALLOWED:
                hits.append(f"{rel}:{n}: {line.strip()}")
    assert not hits, "\n".join(hits)


def test_importing_fsor_leaves_ncclient_settings_alone() -> None:
    code = (
        "import ncclient.transport.session as s; t = s.TICK\n"
        "import controller.cli, controller.session, controller.discovery, controller.provision\n"
        "import containerlab.runner\n"
        "assert s.TICK == t, (s.TICK, t)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
