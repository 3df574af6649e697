"""openconfig-optical-amplifier: amplifiers and their gains/powers (read only here).

Note the module's namespace really is spelled ``optical-amplfier``.

>>> reply = '''<data><optical-amplifier xmlns="http://openconfig.net/yang/optical-amplfier">
...  <amplifiers><amplifier><name>edfa-1</name><state><name>edfa-1</name>
...   <target-gain>18.0</target-gain><actual-gain><instant>17.9</instant></actual-gain>
...  </state></amplifier></amplifiers></optical-amplifier></data>'''
>>> parse_amplifiers("a1", reply)[0]
Amplifier(name='edfa-1', type=None, target_gain_db=18.0, actual_gain_db=17.9, output_power_dbm=None)
"""

from __future__ import annotations

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

__all__ = ["NS", "Amplifier", "get_filter", "parse_amplifiers"]

NS = "http://openconfig.net/yang/optical-amplfier"
_A = f"{{{NS}}}"


@dataclass(frozen=True)
class Amplifier:
    """One amplifier: type identity, target and actual gain (dB), total output power (dBm)."""

    name: str
    type: str | None
    target_gain_db: float | None
    actual_gain_db: float | None
    output_power_dbm: float | None


def get_filter() -> str:
    """Subtree filter for ``/optical-amplifier/amplifiers``."""
    oa = element(f"{_A}optical-amplifier", NS)
    etree.SubElement(oa, f"{_A}amplifiers")
    return filter_document([oa])


def parse_amplifiers(device: str, reply: str | bytes | etree._Element) -> tuple[Amplifier, ...]:
    """Amplifiers of a ``get`` reply (``state`` preferred, ``config`` otherwise)."""
    data = parse_reply(device, reply)
    out = []
    path = f"{_A}optical-amplifier/{_A}amplifiers/{_A}amplifier"
    for i, amp in enumerate(data.iterfind(path), start=1):
        name = required_text(
            device, amp, f"{_A}name", f"/optical-amplifier/amplifiers/amplifier[{i}]/name"
        )
        leaves = amp.find(f"{_A}state")
        if leaves is None:
            leaves = amp.find(f"{_A}config")
        xp = f"/optical-amplifier/amplifiers/amplifier[name='{name}']/state"
        type_text = leaf_text(leaves, f"{_A}type")
        out.append(
            Amplifier(
                name=name,
                type=None if type_text is None else type_text.rsplit(":", 1)[-1],
                target_gain_db=leaf_float(device, leaves, f"{_A}target-gain", f"{xp}/target-gain"),
                actual_gain_db=leaf_float(
                    device,
                    None if leaves is None else leaves.find(f"{_A}actual-gain"),
                    f"{_A}instant",
                    f"{xp}/actual-gain/instant",
                ),
                output_power_dbm=leaf_float(
                    device,
                    None if leaves is None else leaves.find(f"{_A}output-power-total"),
                    f"{_A}instant",
                    f"{xp}/output-power-total/instant",
                ),
            )
        )
    return tuple(out)
