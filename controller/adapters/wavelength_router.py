"""openconfig-wavelength-router: ROADM media channels (spectrum, source and dest ports).

>>> mc = MediaChannel(3, "fsor-ab12", 193_075_000, 193_125_000, "ENABLED", "add-1", "line-2")
>>> doc = edit_config([mc])
>>> parse_media_channels("r1", doc.replace("nc:config", "data")) == (mc,)
True
>>> 'operation="delete"' in edit_config([], delete=[7])
True
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lxml import etree

from controller.adapters._xml import (
    NC_NS,
    config_document,
    delete_entry,
    element,
    filter_document,
    leaf_int,
    leaf_text,
    parse_reply,
    required_text,
    sub,
)

__all__ = [
    "NS",
    "MediaChannel",
    "edit_config",
    "edit_fragments",
    "get_filter",
    "parse_media_channels",
]

NS = "http://openconfig.net/yang/wavelength-router"
_W = f"{{{NS}}}"


@dataclass(frozen=True)
class MediaChannel:
    """One media channel: index, name, spectrum [lower, upper] MHz, admin status, ports."""

    index: int
    name: str | None
    lower_mhz: int
    upper_mhz: int
    admin_status: str | None
    source_port: str | None
    dest_port: str | None


def get_filter() -> str:
    """Subtree filter for ``/wavelength-router/media-channels``."""
    wr = element(f"{_W}wavelength-router", NS)
    etree.SubElement(wr, f"{_W}media-channels")
    return filter_document([wr])


def _port(device: str, ch: etree._Element, end: str, where: str) -> str | None:
    node = ch.find(f"{_W}{end}")
    if node is None:
        return None
    leaves = node.find(f"{_W}{where}")
    if leaves is None:
        leaves = node.find(f"{_W}{'state' if where == 'config' else 'config'}")
    return leaf_text(leaves, f"{_W}port-name")


def parse_media_channels(
    device: str, reply: str | bytes | etree._Element, *, prefer_state: bool = False
) -> tuple[MediaChannel, ...]:
    """Media channels of a reply; ``lower-frequency`` and ``upper-frequency`` are required."""
    data = parse_reply(device, reply)
    out = []
    path = f"{_W}wavelength-router/{_W}media-channels/{_W}channel"
    for i, ch in enumerate(data.iterfind(path), start=1):
        index_text = required_text(
            device, ch, f"{_W}index", f"/wavelength-router/media-channels/channel[{i}]/index"
        )
        first, second = ("state", "config") if prefer_state else ("config", "state")
        leaves, where = ch.find(f"{_W}{first}"), first
        if leaves is None:
            leaves, where = ch.find(f"{_W}{second}"), second
        xp = f"/wavelength-router/media-channels/channel[index='{index_text}']/{where}"
        index = leaf_int(device, ch, f"{_W}index", xp.rsplit("/", 1)[0] + "/index")
        lower = leaf_int(device, leaves, f"{_W}lower-frequency", f"{xp}/lower-frequency")
        upper = leaf_int(device, leaves, f"{_W}upper-frequency", f"{xp}/upper-frequency")
        if lower is None:
            required_text(device, leaves, f"{_W}lower-frequency", f"{xp}/lower-frequency")
        if upper is None:
            required_text(device, leaves, f"{_W}upper-frequency", f"{xp}/upper-frequency")
        assert index is not None and lower is not None and upper is not None
        out.append(
            MediaChannel(
                index=index,
                name=leaf_text(leaves, f"{_W}name"),
                lower_mhz=lower,
                upper_mhz=upper,
                admin_status=leaf_text(leaves, f"{_W}admin-status"),
                source_port=_port(device, ch, "source", where),
                dest_port=_port(device, ch, "dest", where),
            )
        )
    return tuple(out)


def _root() -> tuple[etree._Element, etree._Element]:
    wr = element(f"{_W}wavelength-router", NS)
    return wr, sub(wr, f"{_W}media-channels")


def edit_fragments(
    set_channels: Sequence[MediaChannel], delete: Iterable[int] = ()
) -> list[etree._Element]:
    """One ``<wavelength-router>`` fragment replacing ``set_channels`` and deleting indices."""
    wr, mcs = _root()
    for mc in set_channels:
        ch = sub(mcs, f"{_W}channel")
        ch.set(f"{{{NC_NS}}}operation", "replace")
        sub(ch, f"{_W}index", mc.index)
        cfg = sub(ch, f"{_W}config")
        sub(cfg, f"{_W}index", mc.index)
        if mc.name is not None:
            sub(cfg, f"{_W}name", mc.name)
        sub(cfg, f"{_W}lower-frequency", mc.lower_mhz)
        sub(cfg, f"{_W}upper-frequency", mc.upper_mhz)
        if mc.admin_status is not None:
            sub(cfg, f"{_W}admin-status", mc.admin_status)
        for end, port in (("source", mc.source_port), ("dest", mc.dest_port)):
            if port is not None:
                sub(sub(sub(ch, f"{_W}{end}"), f"{_W}config"), f"{_W}port-name", port)
    for index in delete:
        delete_entry(mcs, f"{_W}channel", f"{_W}index", index)
    return [wr] if len(mcs) else []


def edit_config(set_channels: Sequence[MediaChannel], delete: Iterable[int] = ()) -> str:
    """A whole ``<config>`` document for :func:`edit_fragments`."""
    return config_document(edit_fragments(set_channels, delete))
