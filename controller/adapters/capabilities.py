"""Which adapters apply to a device, from its NETCONF hello capabilities (pure).

>>> caps = ["urn:ietf:params:netconf:capability:candidate:1.0",
...         "http://openconfig.net/yang/wavelength-router?module=openconfig-wavelength-router",
...         "http://openconfig.net/yang/lldp?module=openconfig-lldp&revision=2026-04-06"]
>>> sorted(adapters_for(caps))
['lldp', 'wavelength_router']
>>> features(caps).candidate, features(caps).confirmed_commit
(True, False)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["ADAPTER_NAMESPACES", "Features", "adapters_for", "features", "namespaces"]

#: adapter module name → namespace its YANG module announces in the hello
ADAPTER_NAMESPACES: dict[str, str] = {
    "platform": "http://openconfig.net/yang/platform",
    "terminal_device": "http://openconfig.net/yang/terminal-device",
    "wavelength_router": "http://openconfig.net/yang/wavelength-router",
    "optical_amplifier": "http://openconfig.net/yang/optical-amplfier",
    "lldp": "http://openconfig.net/yang/lldp",
    "fsor_lightpath": "urn:fsor:params:xml:ns:yang:fsor-lightpath",
}

_BASE = "urn:ietf:params:netconf:capability:"


@dataclass(frozen=True)
class Features:
    """NETCONF protocol features a device announces."""

    candidate: bool
    confirmed_commit: bool
    rollback_on_error: bool
    xpath: bool


def namespaces(capabilities: Iterable[str]) -> frozenset[str]:
    """Module namespaces announced (the URI part before ``?``)."""
    return frozenset(c.split("?", 1)[0].strip() for c in capabilities)


def adapters_for(
    capabilities: Iterable[str], extra: dict[str, str] | None = None
) -> frozenset[str]:
    """Names of the adapter modules whose YANG module the device announces.

    ``extra`` adds adapter→namespace pairs (e.g. a project module with another namespace).
    """
    ns = namespaces(capabilities)
    table = {**ADAPTER_NAMESPACES, **(extra or {})}
    return frozenset(name for name, uri in table.items() if uri in ns)


def features(capabilities: Iterable[str]) -> Features:
    """Protocol features (candidate, confirmed-commit, rollback-on-error, xpath)."""
    ns = namespaces(capabilities)

    def has(name: str) -> bool:
        return any(u.startswith(_BASE + name + ":") for u in ns)

    return Features(
        candidate=has("candidate"),
        confirmed_commit=has("confirmed-commit"),
        rollback_on_error=has("rollback-on-error"),
        xpath=has("xpath"),
    )
