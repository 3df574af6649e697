"""Device state as JSON (for the store) and the edits that bring a previous state back (pure).

``fsor rollback ID`` re-applies the state transaction ID replaced: for every device it
touched, the fsor-managed parts (``fsor-*`` media channels and lightpath entries,
transponder optical channels) are returned to what they were before.

>>> from controller.adapters.wavelength_router import MediaChannel
>>> old = DeviceState("r1", frozenset({"wavelength_router"}))
>>> new = DeviceState("r1", old.adapters,
...     media_channels=(MediaChannel(1, "fsor-a", 1, 2, "ENABLED", "p1", "p2"),))
>>> state_from_json(state_to_json(new)) == new
True
>>> restore_edits({"r1": new}, {"r1": old})["r1"].changes
('delete media-channel fsor-a',)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from controller.adapters import fsor_lightpath, terminal_device, wavelength_router
from controller.adapters._xml import config_document
from controller.adapters.fsor_lightpath import Lightpath
from controller.adapters.terminal_device import OpticalChannel
from controller.adapters.wavelength_router import MediaChannel
from controller.edits import PREFIX, DeviceEdit, DeviceState

__all__ = ["restore_edits", "state_from_json", "state_to_json"]


def state_to_json(st: DeviceState) -> dict[str, Any]:
    """A JSON-able copy of ``st``."""
    return {
        "device": st.device,
        "adapters": sorted(st.adapters),
        "optical_channels": [dataclasses.asdict(o) for o in st.optical_channels],
        "media_channels": [dataclasses.asdict(m) for m in st.media_channels],
        "lightpaths": [dataclasses.asdict(lp) for lp in st.lightpaths],
    }


def state_from_json(doc: Mapping[str, Any]) -> DeviceState:
    """The inverse of :func:`state_to_json`."""
    return DeviceState(
        str(doc["device"]),
        frozenset(doc["adapters"]),
        tuple(OpticalChannel(**o) for o in doc["optical_channels"]),
        tuple(MediaChannel(**m) for m in doc["media_channels"]),
        tuple(Lightpath(**lp) for lp in doc["lightpaths"]),
    )


def _one(cur: DeviceState, old: DeviceState) -> DeviceEdit | None:
    frags, changes = [], []
    cur_mc = {str(m.name): m for m in cur.media_channels if (m.name or "").startswith(PREFIX)}
    old_mc = {str(m.name): m for m in old.media_channels if (m.name or "").startswith(PREFIX)}
    set_mc = [m for n, m in sorted(old_mc.items()) if cur_mc.get(n) != m]
    del_mc = [m.index for n, m in sorted(cur_mc.items()) if n not in old_mc]
    changes += [f"delete media-channel {n}" for n in sorted(cur_mc) if n not in old_mc]
    changes += [f"restore media-channel {m.name}" for m in set_mc]
    if set_mc or del_mc:
        frags += wavelength_router.edit_fragments(set_mc, del_mc)
    cur_lp = {lp.id: lp for lp in cur.lightpaths if lp.id.startswith(PREFIX)}
    old_lp = {lp.id: lp for lp in old.lightpaths if lp.id.startswith(PREFIX)}
    set_lp = [lp for n, lp in sorted(old_lp.items()) if cur_lp.get(n) != lp]
    del_lp = sorted(n for n in cur_lp if n not in old_lp)
    changes += [f"delete lightpath {n}" for n in del_lp]
    changes += [f"restore lightpath {lp.id}" for lp in set_lp]
    if set_lp or del_lp:
        frags += fsor_lightpath.edit_fragments(set_lp, del_lp)
    cur_och = {o.component: o for o in cur.optical_channels}
    set_och, free = [], []
    for o in old.optical_channels:
        now = cur_och.get(o.component)
        if now == o:
            continue
        if o.in_use:
            set_och.append(dataclasses.replace(o, line_port=None))
            changes.append(f"tune {o.component} to {o.frequency_mhz} MHz")
        elif now is not None and now.in_use:
            free.append(now)
            changes.append(f"free {o.component}")
    if set_och or free:
        frags += terminal_device.edit_fragments(set_och, free)
    if not frags:
        return None
    return DeviceEdit(cur.device, config_document(frags), "", tuple(changes))


def restore_edits(
    current: Mapping[str, DeviceState], previous: Mapping[str, DeviceState]
) -> dict[str, DeviceEdit]:
    """Per device of ``previous``: the edit turning its ``current`` state back into it."""
    out = {}
    for dev, old in sorted(previous.items()):
        cur = current.get(dev, DeviceState(dev, old.adapters))
        edit = _one(cur, old)
        if edit is not None:
            out[dev] = edit
    return out
