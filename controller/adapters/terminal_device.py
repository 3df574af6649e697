"""openconfig-terminal-device: transponder optical channels (frequency, power, mode).

The optical channel is an augment of ``/components/component`` (openconfig-platform).
Frequencies are MHz on the wire (``oc-opt-types:frequency-type``).

>>> och = OpticalChannel("och-1", 193_100_000, 0.0, 1, "line-1")
>>> doc = edit_config([och], free=[OpticalChannel("och-2", 193_200_000, 1.0, None, None)])
>>> "<frequency>193100000</frequency>" in doc
True
>>> '<frequency nc:operation="remove">193200000</frequency>' in doc  # a typed value, as YANG wants
True
>>> parse_optical_channels("t1", doc.replace("nc:config", "data"))[0] == och
True
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lxml import etree

from controller.adapters import platform
from controller.adapters._xml import (
    NC_NS,
    child_ns,
    config_document,
    element,
    filter_document,
    leaf_float,
    leaf_int,
    leaf_text,
    parse_reply,
    required_text,
    sub,
)

__all__ = [
    "NS",
    "OpticalChannel",
    "edit_config",
    "edit_fragments",
    "get_filter",
    "parse_optical_channels",
]

NS = "http://openconfig.net/yang/terminal-device"
_T = f"{{{NS}}}"
_P = f"{{{platform.NS}}}"


@dataclass(frozen=True)
class OpticalChannel:
    """An optical-channel component; ``frequency_mhz`` None means free (not configured)."""

    component: str
    frequency_mhz: int | None
    target_output_power_dbm: float | None
    operational_mode: int | None
    line_port: str | None

    @property
    def in_use(self) -> bool:
        """True when a frequency is configured."""
        return self.frequency_mhz is not None


def get_filter() -> str:
    """Subtree filter for every component's ``optical-channel`` container."""
    comps = element(f"{_P}components", platform.NS)
    comp = etree.SubElement(comps, f"{_P}component")
    etree.SubElement(comp, f"{_P}name")
    child_ns(comp, f"{_T}optical-channel", NS)
    return filter_document([comps])


def parse_optical_channels(
    device: str, reply: str | bytes | etree._Element, *, prefer_state: bool = False
) -> tuple[OpticalChannel, ...]:
    """Optical channels of a ``get``/``get-config`` reply.

    Reads ``config`` leaves (or ``state`` when ``prefer_state`` or no ``config``).
    Components without an ``optical-channel`` container are skipped.
    """
    data = parse_reply(device, reply)
    out = []
    for i, comp in enumerate(data.iterfind(f"{_P}components/{_P}component"), start=1):
        och = comp.find(f"{_T}optical-channel")
        if och is None:
            if (leaf_text(comp.find(f"{_P}state"), f"{_P}type") or "").endswith("OPTICAL_CHANNEL"):
                name = required_text(device, comp, f"{_P}name", f"/components/component[{i}]/name")
                out.append(OpticalChannel(name, None, None, None, None))
            continue
        name = required_text(device, comp, f"{_P}name", f"/components/component[{i}]/name")
        first, second = ("state", "config") if prefer_state else ("config", "state")
        leaves = och.find(f"{_T}{first}")
        where = first
        if leaves is None:
            leaves, where = och.find(f"{_T}{second}"), second
        xp = f"/components/component[name='{name}']/optical-channel/{where}"
        out.append(
            OpticalChannel(
                component=name,
                frequency_mhz=leaf_int(device, leaves, f"{_T}frequency", f"{xp}/frequency"),
                target_output_power_dbm=leaf_float(
                    device, leaves, f"{_T}target-output-power", f"{xp}/target-output-power"
                ),
                operational_mode=leaf_int(
                    device, leaves, f"{_T}operational-mode", f"{xp}/operational-mode"
                ),
                line_port=leaf_text(leaves, f"{_T}line-port"),
            )
        )
    return tuple(out)


def _component(name: str) -> tuple[etree._Element, etree._Element]:
    comps = element(f"{_P}components", platform.NS)
    comp = sub(comps, f"{_P}component")
    sub(comp, f"{_P}name", name)
    return comps, comp


def edit_fragments(
    set_channels: Sequence[OpticalChannel], free: Iterable[OpticalChannel] = ()
) -> list[etree._Element]:
    """``<components>`` fragments: merge the given channels' leaves, remove freed channels'.

    A freed channel's leaves are removed with ``nc:operation="remove"`` and carry their
    current value: an empty ``<frequency/>`` does not fit its ``uint64`` type (yanglint,
    strict servers), a valued one does and names what is removed.
    """
    out = []
    for och in set_channels:
        comps, comp = _component(och.component)
        oc = child_ns(comp, f"{_T}optical-channel", NS)
        cfg = sub(oc, f"{_T}config")
        if och.frequency_mhz is not None:
            sub(cfg, f"{_T}frequency", och.frequency_mhz)
        if och.target_output_power_dbm is not None:
            sub(cfg, f"{_T}target-output-power", och.target_output_power_dbm)
        if och.operational_mode is not None:
            sub(cfg, f"{_T}operational-mode", och.operational_mode)
        if och.line_port is not None:
            sub(cfg, f"{_T}line-port", och.line_port)
        out.append(comps)
    for och in free:
        comps, comp = _component(och.component)
        oc = child_ns(comp, f"{_T}optical-channel", NS)
        cfg = sub(oc, f"{_T}config")
        values = (
            ("frequency", och.frequency_mhz),
            ("target-output-power", och.target_output_power_dbm),
            ("operational-mode", och.operational_mode),
        )
        for leaf, value in values:
            if value is not None:
                sub(cfg, f"{_T}{leaf}", value).set(f"{{{NC_NS}}}operation", "remove")
        out.append(comps)
    return out


def edit_config(
    set_channels: Sequence[OpticalChannel], free: Iterable[OpticalChannel] = ()
) -> str:
    """A whole ``<config>`` document for :func:`edit_fragments`."""
    return config_document(edit_fragments(set_channels, free))
