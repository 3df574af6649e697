"""openconfig-platform: components, their type and power (``used-power``/``allocated-power``).

>>> reply = '''<data><components xmlns="http://openconfig.net/yang/platform">
...   <component><name>chassis</name><state><name>chassis</name>
...     <type xmlns:p="http://openconfig.net/yang/platform-types">p:CHASSIS</type>
...     <used-power>120</used-power><allocated-power>200</allocated-power></state>
...   <properties><property><name>length-km</name><state><name>length-km</name>
...     <value>960</value></state></property></properties></component>
... </components></data>'''
>>> comps = parse_components("t1", reply)
>>> comps[0].type, comps[0].used_power_w
('CHASSIS', 120.0)
>>> comps[0].property("length-km")
'960'
>>> total_power_w(comps)
120.0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

from controller.adapters._xml import (
    element,
    filter_document,
    leaf_float,
    leaf_text,
    parse_reply,
    required_text,
)

__all__ = ["NS", "Component", "get_filter", "parse_components", "total_power_w"]

NS = "http://openconfig.net/yang/platform"
_C = f"{{{NS}}}"


@dataclass(frozen=True)
class Component:
    """One platform component: name, type (identity without prefix) and power in watts."""

    name: str
    type: str | None
    used_power_w: float | None
    allocated_power_w: float | None
    properties: tuple[tuple[str, str], ...] = ()

    def property(self, name: str) -> str | None:
        """Value of property ``name`` (``properties/property[name]/state/value``) or None."""
        return dict(self.properties).get(name)


def get_filter() -> str:
    """Subtree filter for every component's ``state`` (name, type, power)."""
    comps = element(f"{_C}components", NS)
    comp = etree.SubElement(comps, f"{_C}component")
    etree.SubElement(comp, f"{_C}name")
    etree.SubElement(comp, f"{_C}state")
    etree.SubElement(comp, f"{_C}properties")
    return filter_document([comps])


def _identity(text: str | None) -> str | None:
    return None if text is None else text.rsplit(":", 1)[-1]


def parse_components(device: str, reply: str | bytes | etree._Element) -> tuple[Component, ...]:
    """Components found in a ``get`` reply, in document order."""
    data = parse_reply(device, reply)
    out = []
    for i, comp in enumerate(data.iterfind(f"{_C}components/{_C}component"), start=1):
        xp = f"/components/component[{i}]"
        name = required_text(device, comp, f"{_C}name", f"{xp}/name")
        state = comp.find(f"{_C}state")
        sxp = f"/components/component[name='{name}']/state"
        out.append(
            Component(
                name=name,
                type=_identity(leaf_text(state, f"{_C}type")),
                used_power_w=leaf_float(device, state, f"{_C}used-power", f"{sxp}/used-power"),
                allocated_power_w=leaf_float(
                    device, state, f"{_C}allocated-power", f"{sxp}/allocated-power"
                ),
                properties=_properties(comp),
            )
        )
    return tuple(out)


def _properties(comp: etree._Element) -> tuple[tuple[str, str], ...]:
    out = []
    for prop in comp.iterfind(f"{_C}properties/{_C}property"):
        leaves = prop.find(f"{_C}state")
        if leaves is None:
            leaves = prop.find(f"{_C}config")
        name = leaf_text(prop, f"{_C}name") or leaf_text(leaves, f"{_C}name")
        value = leaf_text(leaves, f"{_C}value")
        if name is not None and value is not None:
            out.append((name, value))
    return tuple(out)


def total_power_w(components: Sequence[Component]) -> float | None:
    """Device draw: the sum of ``used-power`` over all components that report it.

    (The chassis reports the base draw; optical channels, amplifiers and line cards their
    own.) None when no component reports ``used-power``: missing is explicit, never zero.
    """
    values = [c.used_power_w for c in components if c.used_power_w is not None]
    return float(sum(values)) if values else None
