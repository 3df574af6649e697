"""From a plan document to the lightpath intents of one slot (pure).

A plan is time-slotted (a lightpath is needed in its ``slot``); a device holds one
configuration at a time. So ``fsor apply`` applies ONE slot: ``--slot N``, or ``--at TIME``
(the slot in force at that time), or, when every lightpath is in one slot, that slot.
Lightpaths without transponders are given free ones at their ends (:func:`bind`).

>>> doc = {"status": "optimal", "lightpaths": [
...     {"path": ["r1", "r2"], "frequency_thz": 193.1, "slot": 3, "workload": "w"},
...     {"path": ["r1", "r2"], "frequency_thz": 193.1, "slot": 5, "workload": "v"}],
...     "placements": [{"workload": "w", "site": "s", "start": "2025-07-01T03:00:00+00:00",
...                     "slot": 3}]}
>>> plan = parse_plan(doc, "plan.json")
>>> [lp.workload for lp in lightpaths_of_slot(plan, "plan.json", at="2025-07-01T05:30:00Z")]
['v']
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from controller.edits import DeviceState, LightpathIntent, intent_id
from controller.schemas import LightpathDoc, PlanDoc, parse
from topology.errors import InputError

__all__ = [
    "APPLICABLE",
    "bind",
    "intents",
    "lightpaths_of_slot",
    "parse_plan",
    "slot_starts",
]

#: plan statuses that may be applied
APPLICABLE = ("optimal", "feasible")


def parse_plan(doc: Any, source: str) -> PlanDoc:
    """The plan checked against its schema, refusing statuses that are not applicable."""
    plan = parse(PlanDoc, doc, source)
    if plan.status not in APPLICABLE:
        raise InputError(
            source,
            "status",
            plan.status,
            f"expected a plan that can be applied ({' or '.join(APPLICABLE)}); an "
            f"{plan.status} plan carries no configuration to push",
        )
    return plan


def _time(value: str, source: str, field: str) -> datetime:
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputError(source, field, value, "expected an ISO-8601 time") from exc
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def slot_starts(plan: PlanDoc, source: str) -> tuple[datetime, timedelta] | None:
    """(start of slot 0, slot length) from the plan's own timed entries, if it has any."""
    known: dict[int, datetime] = {}
    if plan.slot_starts:
        known = {i: _time(s, source, f"slot_starts[{i}]") for i, s in enumerate(plan.slot_starts)}
    extra = plan.model_extra or {}
    for row in [*[p.model_dump() for p in plan.placements], *extra.get("burdens", [])]:
        if isinstance(row, Mapping) and isinstance(row.get("slot"), int) and row.get("start"):
            known.setdefault(row["slot"], _time(str(row["start"]), source, "start"))
    if not known:
        return None
    if plan.slot_hours is not None:
        step = timedelta(hours=plan.slot_hours)
    elif len(known) >= 2:
        (s0, t0), (s1, t1) = sorted(known.items())[:2]
        step = (t1 - t0) / (s1 - s0)
    else:
        step = timedelta(hours=1)  # fsor plans hourly unless told otherwise
    s0, t0 = min(known.items())
    return t0 - s0 * step, step


def lightpaths_of_slot(
    plan: PlanDoc, source: str, *, slot: int | None = None, at: str | None = None
) -> list[LightpathDoc]:
    """The lightpaths of one slot (see the module docstring for how it is chosen)."""
    slots = sorted({lp.slot for lp in plan.lightpaths})
    if at is not None:
        timing = slot_starts(plan, source)
        if timing is None:
            raise InputError(source, "slot", at, "expected a plan with slot times for --at")
        t0, step = timing
        when = _time(at, "--at", "at")
        slot = math.floor((when - t0) / step)
        if slot < 0:
            raise InputError("--at", "at", at, f"expected a time at or after {t0.isoformat()}")
    if slot is None:
        if len(slots) > 1:
            raise InputError(
                source,
                "lightpaths[].slot",
                slots,
                "expected one slot; the plan spans several: choose one with --slot N or --at TIME",
            )
        return list(plan.lightpaths)
    return [lp for lp in plan.lightpaths if lp.slot == slot]


def bind(
    lightpaths: Sequence[LightpathDoc],
    source: str,
    attached: Mapping[str, str],
    states: Mapping[str, DeviceState],
) -> list[tuple[str, str]]:
    """Transponders per lightpath: the plan's, or free ones attached to the path's ends.

    A transponder already tuned to the lightpath's frequency is reused (re-applying a plan
    changes nothing); otherwise one is free for as many lightpaths as it has optical
    channels not in use (channels the plan already names are counted as taken).
    """
    free: dict[str, int] = {
        t: sum(1 for o in st.optical_channels if not o.in_use) for t, st in states.items()
    }
    for lp in lightpaths:
        for t in lp.transponders:
            free[t] = free.get(t, 0) - 1
    out: list[tuple[str, str]] = []
    for i, lp in enumerate(lightpaths):
        if len(lp.transponders) == 2:
            out.append((lp.transponders[0], lp.transponders[1]))
            continue
        if lp.transponders:
            raise InputError(
                source, f"lightpaths[{i}].transponders", lp.transponders, "expected 0 or 2 ids"
            )
        pair: list[str] = []
        f = round(lp.frequency_thz * 1e6)
        for end in (lp.path[0], lp.path[-1]):
            here = sorted(t for t, r in attached.items() if r == end and t in states)
            tuned = [
                t for t in here if any(o.frequency_mhz == f for o in states[t].optical_channels)
            ]
            pick = tuned or [t for t in here if free.get(t, 0) > 0]
            pick = [t for t in pick if t not in pair]
            if not pick:
                raise InputError(
                    source,
                    f"lightpaths[{i}].transponders",
                    [],
                    f"expected a free transponder at {end} (none has a free optical channel)",
                )
            free[pick[0]] -= 1
            pair.append(pick[0])
        out.append((pair[0], pair[1]))
    return out


def intents(
    lightpaths: Sequence[LightpathDoc],
    transponders: Sequence[tuple[str, str]],
    *,
    width_mhz: int = 50_000,
    power_dbm: float = 0.0,
    mode: int | None = None,
) -> tuple[LightpathIntent, ...]:
    """Lightpath intents (the same lightpath listed twice is one intent)."""
    out: dict[str, LightpathIntent] = {}
    for lp, trx in zip(lightpaths, transponders, strict=True):
        f = round(lp.frequency_thz * 1e6)
        lid = intent_id(lp.workload, lp.path, f)
        width = round(lp.width_ghz * 1000) if lp.width_ghz is not None else width_mhz
        m = lp.mode if lp.mode is not None else mode
        power = lp.power_dbm if lp.power_dbm is not None else power_dbm
        out.setdefault(
            lid, LightpathIntent(lid, tuple(lp.path), f, trx, width, power, m, lp.workload)
        )
    return tuple(out.values())
