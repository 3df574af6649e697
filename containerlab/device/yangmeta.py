"""What the emulator needs to know about the vendored YANG modules, read from the files.

A light regex scan (no YANG compiler): each module's namespace, prefix and latest revision (for
the hello capabilities) and the key leaves of every list (edit-config matches list entries by
key, filters keep keys of the entries they return).

>>> meta = module_meta("openconfig-platform")
>>> meta.namespace
'http://openconfig.net/yang/platform'
>>> list_keys()["component"]
(('name',),)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from yang import openconfig_directory

__all__ = ["KIND_MODULES", "ModuleMeta", "capability_uri", "list_keys", "module_meta"]

#: The modules a device of each kind implements (their imports are served too).
KIND_MODULES: dict[str, tuple[str, ...]] = {
    "transponder": ("openconfig-terminal-device",),
    "roadm": ("openconfig-wavelength-router",),
    "amplifier": ("openconfig-optical-amplifier",),
}
#: Modules every kind implements.
COMMON_MODULES: tuple[str, ...] = (
    "openconfig-platform",
    "openconfig-platform-types",
    "openconfig-transport-types",
    "openconfig-interfaces",
    "iana-if-type",
    "openconfig-lldp",
    "openconfig-channel-monitor",
)

_NS = re.compile(r'^\s*namespace\s+"?([^";\s]+)"?\s*;', re.M)
_PREFIX = re.compile(r'^\s*prefix\s+"?([^";\s]+)"?\s*;', re.M)
_REV = re.compile(r'^\s*revision\s+"?(\d{4}-\d{2}-\d{2})"?\s*\{', re.M)
_LIST_KEY = re.compile(r'\blist\s+([A-Za-z0-9_.-]+)\s*\{[^{}]*?\bkey\s+"([^"]+)"', re.S)


@dataclass(frozen=True)
class ModuleMeta:
    """Namespace, prefix and latest revision of one vendored module."""

    name: str
    namespace: str
    prefix: str
    revision: str


@cache
def module_meta(name: str) -> ModuleMeta:
    """Read namespace, prefix and newest revision of module ``name`` from its file."""
    text = (openconfig_directory() / f"{name}.yang").read_text(encoding="utf-8")
    ns, prefix = _NS.search(text), _PREFIX.search(text)
    if ns is None or prefix is None:
        raise ValueError(f"{name}.yang: namespace/prefix not found")
    revisions = sorted(_REV.findall(text))
    return ModuleMeta(name, ns.group(1), prefix.group(1), revisions[-1] if revisions else "")


def capability_uri(meta: ModuleMeta) -> str:
    """The NETCONF 1.0/1.1 module capability of a module (RFC 6020 section 5.6.4).

    >>> capability_uri(ModuleMeta("m", "urn:x", "x", "2020-01-01"))
    'urn:x?module=m&revision=2020-01-01'
    """
    rev = f"&revision={meta.revision}" if meta.revision else ""
    return f"{meta.namespace}?module={meta.name}{rev}"


@cache
def list_keys() -> dict[str, tuple[tuple[str, ...], ...]]:
    """Map list name → the distinct key tuples lists of that name use in the vendored modules."""
    found: dict[str, set[tuple[str, ...]]] = {}
    for path in sorted(openconfig_directory().glob("*.yang")):
        for name, keys in _LIST_KEY.findall(path.read_text(encoding="utf-8")):
            found.setdefault(name, set()).add(tuple(keys.split()))
    return {name: tuple(sorted(v, key=len, reverse=True)) for name, v in found.items()}
