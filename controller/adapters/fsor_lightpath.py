"""fsor-lightpath (the project module on the netconfd conformance nodes): cross-connects.

>>> lp = Lightpath("fsor-ab12", 193_100_000, 50_000, "in-1", "out-2", 0.0, "enabled", "w1")
>>> parse_lightpaths("c1", edit_config([lp]).replace("nc:config", "data")) == (lp,)
True
>>> parse_lightpaths("c1", "<data><lightpaths xmlns='%s'><lightpath><id>x</id>"
...                  "</lightpath></lightpaths></data>" % NS)
Traceback (most recent call last):
...
topology.errors.DeviceError: c1 /lightpaths/lightpath[id='x']/frequency: required leaf missing ...
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
    leaf_float,
    leaf_int,
    leaf_text,
    parse_reply,
    required_text,
    sub,
)

__all__ = ["NS", "Lightpath", "edit_config", "edit_fragments", "get_filter", "parse_lightpaths"]

NS = "urn:fsor:params:xml:ns:yang:fsor-lightpath"
_F = f"{{{NS}}}"


@dataclass(frozen=True)
class Lightpath:
    """One cross-connect entry of ``/lightpaths/lightpath[id]`` (MHz, dBm)."""

    id: str
    frequency_mhz: int
    width_mhz: int | None
    source_port: str
    destination_port: str
    target_output_power_dbm: float | None
    admin_state: str | None
    workload: str | None


def get_filter() -> str:
    """Subtree filter for ``/lightpaths``."""
    return filter_document([element(f"{_F}lightpaths", NS)])


def parse_lightpaths(device: str, reply: str | bytes | etree._Element) -> tuple[Lightpath, ...]:
    """Lightpath entries of a reply; id, frequency and both ports are required."""
    data = parse_reply(device, reply)
    out = []
    for i, lp in enumerate(data.iterfind(f"{_F}lightpaths/{_F}lightpath"), start=1):
        lid = required_text(device, lp, f"{_F}id", f"/lightpaths/lightpath[{i}]/id")
        xp = f"/lightpaths/lightpath[id='{lid}']"
        freq = leaf_int(device, lp, f"{_F}frequency", f"{xp}/frequency")
        if freq is None:
            required_text(device, lp, f"{_F}frequency", f"{xp}/frequency")
        assert freq is not None
        out.append(
            Lightpath(
                id=lid,
                frequency_mhz=freq,
                width_mhz=leaf_int(device, lp, f"{_F}width", f"{xp}/width"),
                source_port=required_text(device, lp, f"{_F}source-port", f"{xp}/source-port"),
                destination_port=required_text(
                    device, lp, f"{_F}destination-port", f"{xp}/destination-port"
                ),
                target_output_power_dbm=leaf_float(
                    device, lp, f"{_F}target-output-power", f"{xp}/target-output-power"
                ),
                admin_state=leaf_text(lp, f"{_F}admin-state"),
                workload=leaf_text(lp, f"{_F}workload"),
            )
        )
    return tuple(out)


def edit_fragments(
    set_lightpaths: Sequence[Lightpath], delete: Iterable[str] = ()
) -> list[etree._Element]:
    """One ``<lightpaths>`` fragment replacing the given entries and deleting ids."""
    root = element(f"{_F}lightpaths", NS)
    for lp in set_lightpaths:
        e = sub(root, f"{_F}lightpath")
        e.set(f"{{{NC_NS}}}operation", "replace")
        sub(e, f"{_F}id", lp.id)
        sub(e, f"{_F}frequency", lp.frequency_mhz)
        if lp.width_mhz is not None:
            sub(e, f"{_F}width", lp.width_mhz)
        sub(e, f"{_F}source-port", lp.source_port)
        sub(e, f"{_F}destination-port", lp.destination_port)
        if lp.target_output_power_dbm is not None:
            sub(e, f"{_F}target-output-power", lp.target_output_power_dbm)
        if lp.admin_state is not None:
            sub(e, f"{_F}admin-state", lp.admin_state)
        if lp.workload is not None:
            sub(e, f"{_F}workload", lp.workload)
    for lid in delete:
        delete_entry(root, f"{_F}lightpath", f"{_F}id", lid)
    return [root] if len(root) else []


def edit_config(set_lightpaths: Sequence[Lightpath], delete: Iterable[str] = ()) -> str:
    """A whole ``<config>`` document for :func:`edit_fragments`."""
    return config_document(edit_fragments(set_lightpaths, delete))
