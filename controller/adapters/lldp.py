"""openconfig-lldp: the node's own system name and its neighbours per interface.

>>> reply = '''<data><lldp xmlns="http://openconfig.net/yang/lldp">
...  <state><system-name>roadm-fra</system-name></state>
...  <interfaces><interface><name>line-1</name><neighbors><neighbor><id>1</id>
...   <state><id>1</id><system-name>amp-1</system-name><port-id>in</port-id></state>
...  </neighbor></neighbors></interface></interfaces></lldp></data>'''
>>> info = parse_lldp("roadm-fra", reply)
>>> info.system_name, info.neighbours[0]
('roadm-fra', Neighbour(local_port='line-1', system_name='amp-1', port_id='in'))
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from controller.adapters._xml import element, filter_document, leaf_text, parse_reply, required_text

__all__ = ["NS", "LldpInfo", "Neighbour", "get_filter", "parse_lldp"]

NS = "http://openconfig.net/yang/lldp"
_L = f"{{{NS}}}"


@dataclass(frozen=True)
class Neighbour:
    """An LLDP neighbour seen on ``local_port``: its system name and its port id."""

    local_port: str
    system_name: str
    port_id: str | None


@dataclass(frozen=True)
class LldpInfo:
    """The device's LLDP system name (if it reports one) and its neighbours."""

    system_name: str | None
    neighbours: tuple[Neighbour, ...]


def get_filter() -> str:
    """Subtree filter for ``/lldp`` (state and neighbours)."""
    return filter_document([element(f"{_L}lldp", NS)])


def parse_lldp(device: str, reply: str | bytes | etree._Element) -> LldpInfo:
    """System name and neighbours from a ``get`` reply; a neighbour needs a system-name."""
    data = parse_reply(device, reply)
    lldp = data.find(f"{_L}lldp")
    if lldp is None:
        return LldpInfo(system_name=None, neighbours=())
    system = leaf_text(lldp.find(f"{_L}state"), f"{_L}system-name")
    neighbours = []
    for i, intf in enumerate(lldp.iterfind(f"{_L}interfaces/{_L}interface"), start=1):
        port = required_text(device, intf, f"{_L}name", f"/lldp/interfaces/interface[{i}]/name")
        for j, nb in enumerate(intf.iterfind(f"{_L}neighbors/{_L}neighbor"), start=1):
            xp = f"/lldp/interfaces/interface[name='{port}']/neighbors/neighbor[{j}]/state"
            state = nb.find(f"{_L}state")
            name = required_text(device, state, f"{_L}system-name", f"{xp}/system-name")
            neighbours.append(
                Neighbour(
                    local_port=port, system_name=name, port_id=leaf_text(state, f"{_L}port-id")
                )
            )
    return LldpInfo(system_name=system, neighbours=tuple(neighbours))
