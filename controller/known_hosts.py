"""One known_hosts file, checked the way the session pool needs it (no key objects built).

>>> hostkey_line("127.0.0.1", 8300, "aw==", "ssh-ed25519")
'[127.0.0.1]:8300 ssh-ed25519 aw=='
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path

__all__ = ["KnownHosts", "hostkey_line"]


def _colon_hex(raw: bytes) -> str:
    h = raw.hex()
    return ":".join(h[i : i + 2] for i in range(0, len(h), 2))


@dataclass(frozen=True)
class _Entry:
    patterns: tuple[str, ...]  # plain names, or "|1|salt|hash" hashed ones
    fingerprint: str
    revoked: bool
    key_b64: str = ""


def _known_hosts_entries(text: str) -> tuple[_Entry, ...]:
    r"""known_hosts lines → entries (MD5 fingerprint of each key blob, as ncclient reports it).

    No key objects are built: a fingerprint is the MD5 of the base64-decoded blob.
    ``@cert-authority`` lines are skipped, unreadable lines ignored (as OpenSSH does).

    >>> e = _known_hosts_entries("[h]:830 ssh-ed25519 aw==\n# comment\n")
    >>> e[0].patterns, e[0].fingerprint[:8], e[0].revoked
    (('[h]:830',), '8c:e4:b1', False)
    """
    out = []
    for line in text.splitlines():
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        marker = fields.pop(0) if fields[0].startswith("@") else None
        if marker == "@cert-authority" or len(fields) < 3:
            continue
        try:
            blob = base64.b64decode(fields[2], validate=True)
        except (binascii.Error, ValueError):
            continue
        fp = _colon_hex(hashlib.md5(blob, usedforsecurity=False).digest())
        out.append(_Entry(tuple(fields[0].split(",")), fp, marker == "@revoked", fields[2]))
    return tuple(out)


def _matches(pattern: str, name: str) -> bool:
    if pattern.startswith("|1|"):
        try:
            salt, digest = (base64.b64decode(x) for x in pattern[3:].split("|", 1))
        except (binascii.Error, ValueError):
            return False
        return hmac.compare_digest(hmac.new(salt, name.encode(), "sha1").digest(), digest)
    return pattern == name


class KnownHosts:
    """A known_hosts file, parsed once and re-read only when it changes.

    Parsing the file with ``paramiko.HostKeys`` for every connection built a key object
    per line per connection: O(n²) for n devices, most of the client's CPU when
    connecting to 50 lab devices. Here a line costs a base64 decode and an MD5, once; the
    pool passes the one key it expects to ncclient as ``hostkey_b64``.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._entries: tuple[_Entry, ...] = ()

    def _load(self) -> tuple[_Entry, ...]:
        try:
            st = self.path.stat()
            stamp = (st.st_mtime_ns, st.st_size)
            if stamp != self._stamp:
                self._entries, self._stamp = _known_hosts_entries(self.path.read_text()), stamp
        except OSError:
            self._stamp, self._entries = None, ()
        return self._entries

    def accepts(self, host: str, port: int, fingerprint: str) -> bool:
        """Whether ``fingerprint`` (colon hex MD5, as ncclient passes it) is listed, not
        revoked, for ``host`` or ``[host]:port`` (hashed names included)."""
        names = (host, f"[{host}]:{port}")
        hits = [
            e
            for e in self._load()
            if e.fingerprint == fingerprint
            and any(_matches(p, n) for p in e.patterns for n in names)
        ]
        return bool(hits) and not any(e.revoked for e in hits)

    def key_for(self, host: str, port: int) -> str | None:
        """The base64 key blob listed (and not revoked) for ``host``/``[host]:port``, if any:
        what ncclient's ``hostkey_b64`` expects. The first such line wins."""
        names = (host, f"[{host}]:{port}")
        entries = self._load()
        revoked = {e.fingerprint for e in entries if e.revoked}
        for e in entries:
            if e.revoked or e.fingerprint in revoked:
                continue
            if any(_matches(p, n) for p in e.patterns for n in names):
                return e.key_b64
        return None


def hostkey_line(host: str, port: int, key_b64: str, key_type: str) -> str:
    """One known_hosts line for ``host``:``port`` (``[host]:port`` when port != 22).

    >>> hostkey_line("127.0.0.1", 8300, "aw==", "ssh-ed25519")
    '[127.0.0.1]:8300 ssh-ed25519 aw=='
    """
    name = host if port == 22 else f"[{host}]:{port}"
    return f"{name} {key_type} {key_b64}"
