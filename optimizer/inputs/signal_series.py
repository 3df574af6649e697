"""Zoned signal time series: dimensions, impact zones, missing-value policies.

Length: over 400 lines on purpose: the Signals type with its missing-value policies and
merge/slicing rules; each is short and they share private helpers.

This module holds the pure core of :mod:`optimizer.inputs.signals` (which adds the
file loaders and re-exports everything here). A :class:`Signals` is a grid of
regions × equally spaced UTC slots; every dimension series it serves is
complete: missing values were filled by the chosen policy and every filled
value is listed in :attr:`Signals.filled`. Nothing is ever read as zero.

Dimensions and their impact zones (where the burden falls):

==============  ============  ===============================================
dimension       zone          default unit
==============  ============  ===============================================
co2eq           global        g/kWh (CO2-equivalent per kWh of electricity)
so2eq, co       production    g/kWh (falls where the energy is produced)
no2, pm25       datacentre    µg/m³ (ambient concentration at the site)
price           datacentre    EUR/MWh (or another currency per MWh)
water           datacentre    indicator (dimensionless) or L/kWh
power_headroom  datacentre    kW (power the site can still draw)
==============  ============  ===============================================

>>> from datetime import datetime, timezone
>>> t0 = datetime(2025, 7, 1, tzinfo=timezone.utc)
>>> s = build_signals({("DE", "co2eq"): [100.0, None, 120.0]}, slots_from(t0, 3, 1.0),
...                   policy="interpolate")
>>> s.series("DE", "co2eq").tolist()
[100.0, 110.0, 120.0]
>>> s.filled[0].method, s.filled[0].slot.hour
('interpolate', 1)
>>> zone_of("so2eq"), s.has("DE", "no2")
('production', False)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Literal

import numpy as np
import numpy.typing as npt

from topology.errors import InputError

__all__ = [
    "DEFAULT_UNITS",
    "DIMENSIONS",
    "MISSING_POLICIES",
    "PRICE_FLOOR",
    "ZONES",
    "FilledValue",
    "MissingPolicy",
    "Signals",
    "Zone",
    "build_signals",
    "merge_signals",
    "slots_from",
    "zone_of",
]

Zone = Literal["global", "production", "datacentre"]
MissingPolicy = Literal["ffill", "interpolate", "worst"]

DIMENSIONS: tuple[str, ...] = (
    "co2eq",
    "so2eq",
    "co",
    "no2",
    "pm25",
    "price",
    "water",
    "power_headroom",
)
ZONES: Mapping[str, Zone] = {
    "co2eq": "global",
    "so2eq": "production",
    "co": "production",
    "no2": "datacentre",
    "pm25": "datacentre",
    "price": "datacentre",
    "water": "datacentre",
    "power_headroom": "datacentre",
}
DEFAULT_UNITS: Mapping[str, str] = {
    "co2eq": "g/kWh",
    "so2eq": "g/kWh",
    "co": "g/kWh",
    "no2": "ug/m3",
    "pm25": "ug/m3",
    "price": "EUR/MWh",
    "water": "indicator",
    "power_headroom": "kW",
}
MISSING_POLICIES: tuple[str, ...] = ("ffill", "interpolate", "worst")

#: the lowest accepted price, EUR/MWh: the harmonised minimum clearing price of the EU
#: single day-ahead coupling. Every other dimension must be >= 0 (a negative intensity
#: would be a credit the optimiser exploits).
PRICE_FLOOR = -500.0

_TOL_S = 1e-6


def zone_of(dim: str) -> Zone:
    """The impact zone of dimension ``dim`` (KeyError for an unknown dimension)."""
    return ZONES[dim]


def slots_from(start: datetime, count: int, slot_hours: float) -> tuple[datetime, ...]:
    """``count`` equally spaced UTC slot starts from ``start``.

    >>> from datetime import datetime, timezone
    >>> [t.hour for t in slots_from(datetime(2025, 1, 1, tzinfo=timezone.utc), 3, 2.0)]
    [0, 2, 4]
    """
    t0 = _utc(start)
    step = timedelta(hours=slot_hours)
    return tuple(t0 + i * step for i in range(count))


def _utc(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


@dataclass(frozen=True)
class FilledValue:
    """One value that was missing in the input and filled by ``method``."""

    region: str
    dim: str
    slot: datetime
    value: float
    method: str


@dataclass(frozen=True, eq=False)
class Signals:
    """Complete time series per (region, dimension) on equally spaced UTC slots.

    Attributes
    ----------
    regions : region names (grid regions / site regions, e.g. "CA", "DE", "JP").
    slots : slot start times (UTC, equally spaced by ``slot_hours``).
    slot_hours : slot length in hours.
    data : (region, dim) -> values per slot, already filled (no NaN).
    units : dim -> unit string (e.g. "g/kWh", "EUR/MWh", "indicator").
    filled : every value that was missing and filled, with the method used.
    missing_policy : the policy used to fill ("ffill", "interpolate", "worst").
    source : where the values came from (file name), for error messages.
    """

    regions: tuple[str, ...]
    slots: tuple[datetime, ...]
    slot_hours: float
    data: Mapping[tuple[str, str], tuple[float, ...]]
    units: Mapping[str, str]
    filled: tuple[FilledValue, ...] = ()
    missing_policy: str = "ffill"
    source: str = "<signals>"

    @property
    def dims(self) -> tuple[str, ...]:
        """Dimensions present for at least one region, in :data:`DIMENSIONS` order."""
        present = {d for (_, d) in self.data}
        return tuple(d for d in DIMENSIONS if d in present)

    def has(self, region: str, dim: str) -> bool:
        """Whether a series exists for ``region`` and ``dim``."""
        return (region, dim) in self.data

    def series(self, region: str, dim: str) -> npt.NDArray[np.float64]:
        """The filled series of ``dim`` in ``region`` (one value per slot).

        Raises :class:`InputError` if the signals have no such series.
        """
        try:
            values = self.data[(region, dim)]
        except KeyError:
            have = ", ".join(sorted(f"{r}/{d}" for r, d in self.data)) or "none"
            raise InputError(
                self.source, f"{region}/{dim}", "missing", f"expected a series (have: {have})"
            ) from None
        return np.asarray(values, dtype=np.float64)

    def unit(self, dim: str) -> str:
        """Unit of ``dim`` (the default unit when not recorded)."""
        return self.units.get(dim, DEFAULT_UNITS.get(dim, ""))

    def slot_index(self, t: datetime) -> int:
        """Index of the slot that starts at ``t`` (InputError if none does)."""
        t = _utc(t)
        for i, s in enumerate(self.slots):
            if abs((s - t).total_seconds()) < _TOL_S:
                return i
        raise InputError(self.source, "slots", t.isoformat(), "expected a slot start time")

    def between(self, start: datetime, end: datetime) -> Signals:
        """The slots with ``start <= t < end`` (filled entries kept for those slots).

        Raises :class:`InputError` when no slot is in the range.
        """
        a, b = _utc(start), _utc(end)
        keep = [i for i, t in enumerate(self.slots) if a <= t < b]
        if not keep:
            raise InputError(
                self.source,
                "slots",
                f"{a.isoformat()}..{b.isoformat()}",
                f"expected a range within {self.slots[0].isoformat()}.."
                f"{self.slots[-1].isoformat()}",
            )
        lo, hi = keep[0], keep[-1] + 1
        data = {k: v[lo:hi] for k, v in self.data.items()}
        filled = tuple(f for f in self.filled if a <= f.slot < b)
        return replace(self, slots=self.slots[lo:hi], data=data, filled=filled)

    def with_series(self, region: str, dim: str, values: Sequence[float]) -> Signals:
        """A copy with one series replaced (e.g. a new forecast before a re-plan).

        Values must be finite; filled entries of the replaced series are dropped.
        """
        vals = tuple(float(v) for v in values)
        if len(vals) != len(self.slots) or not all(math.isfinite(v) for v in vals):
            raise InputError(
                self.source, f"{region}/{dim}", values, f"expected {len(self.slots)} finite values"
            )
        data = dict(self.data)
        data[(region, dim)] = vals
        regions = self.regions if region in self.regions else (*self.regions, region)
        filled = tuple(f for f in self.filled if (f.region, f.dim) != (region, dim))
        return replace(self, regions=regions, data=data, filled=filled)


def _day_key(t: datetime) -> tuple[int, int, int]:
    return (t.year, t.month, t.day)


def _fill(
    raw: Sequence[float | None],
    slots: Sequence[datetime],
    policy: str,
    region: str,
    dim: str,
    source: str,
) -> tuple[tuple[float, ...], list[FilledValue]]:
    known = [i for i, v in enumerate(raw) if v is not None]
    if not known:
        raise InputError(
            source,
            f"{region}/{dim}",
            "all values missing",
            f"expected at least one value for the '{policy}' policy to fill from "
            "(a missing signal is never read as zero)",
        )
    vals: list[float] = [float("nan") if v is None else float(v) for v in raw]
    out = list(vals)
    filled: list[FilledValue] = []
    for i, v in enumerate(raw):
        if v is not None:
            continue
        prev = max((k for k in known if k < i), default=None)
        nxt = min((k for k in known if k > i), default=None)
        if policy == "ffill":
            src = prev if prev is not None else nxt
            assert src is not None
            value, method = vals[src], "ffill" if prev is not None else "bfill"
        elif policy == "interpolate":
            if prev is not None and nxt is not None:
                w = (i - prev) / (nxt - prev)
                value, method = vals[prev] + w * (vals[nxt] - vals[prev]), "interpolate"
            else:
                src = prev if prev is not None else nxt
                assert src is not None
                value, method = vals[src], "nearest"
        elif policy == "worst":
            same_day = [vals[k] for k in known if _day_key(slots[k]) == _day_key(slots[i])]
            if same_day:
                value, method = max(same_day), "worst"
            else:
                value, method = max(vals[k] for k in known), "worst-series"
        else:
            raise InputError(
                source, "missing_policy", policy, f"expected one of {', '.join(MISSING_POLICIES)}"
            )
        out[i] = value
        filled.append(FilledValue(region, dim, slots[i], value, method))
    return tuple(out), filled


def build_signals(
    raw: Mapping[tuple[str, str], Sequence[float | None]],
    slots: Sequence[datetime],
    slot_hours: float | None = None,
    *,
    units: Mapping[str, str] | None = None,
    policy: str = "ffill",
    source: str = "<signals>",
    regions: Iterable[str] | None = None,
) -> Signals:
    """Fill the missing values (``None``/NaN) of ``raw`` and build a :class:`Signals`.

    Parameters
    ----------
    raw : (region, dim) -> one value per slot; ``None`` or NaN marks a missing value.
    slots : slot start times (naive times are taken as UTC), equally spaced.
    slot_hours : slot length; derived from ``slots`` when None (1 h for a single slot).
    units : dim -> unit; :data:`DEFAULT_UNITS` for dims not given.
    policy : "ffill" (leading gaps take the first value: method "bfill"),
        "interpolate" (linear in time; edges take the nearest value: "nearest"),
        "worst" (the maximum of that series on the same UTC day; if the day has
        no value, the series maximum: "worst-series").
    source : file name for error messages.
    regions : region order (default: order of first appearance in ``raw``).

    Raises
    ------
    InputError
        Unknown dimension or policy, wrong series length, unequal slot spacing,
        or a series with no value at all (never filled with zero).
    """
    if policy not in MISSING_POLICIES:
        raise InputError(
            source, "missing_policy", policy, f"expected one of {', '.join(MISSING_POLICIES)}"
        )
    ts = tuple(_utc(t) for t in slots)
    if not ts:
        raise InputError(source, "slots", 0, "expected at least one time slot")
    if slot_hours is None:
        slot_hours = (ts[1] - ts[0]).total_seconds() / 3600.0 if len(ts) > 1 else 1.0
    if not slot_hours > 0:
        raise InputError(source, "slot_hours", slot_hours, "expected a slot length > 0 h")
    step_s = slot_hours * 3600.0
    for i in range(1, len(ts)):
        gap = (ts[i] - ts[i - 1]).total_seconds()
        if abs(gap - step_s) > _TOL_S:
            raise InputError(
                source,
                f"slots[{i}]",
                ts[i].isoformat(),
                f"expected equally spaced slots {slot_hours:g} h apart (previous "
                f"{ts[i - 1].isoformat()})",
            )
    order = list(regions) if regions is not None else []
    data: dict[tuple[str, str], tuple[float, ...]] = {}
    filled: list[FilledValue] = []
    for (region, dim), values in raw.items():
        if dim not in ZONES:
            raise InputError(
                source, f"{region}/{dim}", dim, f"expected a dimension in {', '.join(DIMENSIONS)}"
            )
        if len(values) != len(ts):
            raise InputError(
                source, f"{region}/{dim}", len(values), f"expected {len(ts)} values (one per slot)"
            )
        clean: list[float | None] = []
        for i, v in enumerate(values):
            if v is None or math.isnan(float(v)):
                clean.append(None)
                continue
            x = float(v)
            floor = PRICE_FLOOR if dim == "price" else 0.0
            if not math.isfinite(x) or x < floor:
                raise InputError(
                    source,
                    f"{region}/{dim}[{ts[i].isoformat()}]",
                    x,
                    f"expected a finite value >= {floor:g} {DEFAULT_UNITS[dim]}"
                    + (" (the EU day-ahead price floor)" if dim == "price" else ""),
                )
            clean.append(x)
        data[(region, dim)], f = _fill(clean, ts, policy, region, dim, source)
        filled.extend(f)
        if region not in order:
            order.append(region)
    all_units = {d: (units or {}).get(d, DEFAULT_UNITS[d]) for d in {d for (_, d) in data}}
    filled.sort(key=lambda f: (f.slot, order.index(f.region), DIMENSIONS.index(f.dim)))
    return Signals(
        regions=tuple(order),
        slots=ts,
        slot_hours=float(slot_hours),
        data=data,
        units=all_units,
        filled=tuple(filled),
        missing_policy=policy,
        source=source,
    )


def merge_signals(*parts: Signals, source: str | None = None) -> Signals:
    """Combine signals on the same slots (e.g. one region per file) into one.

    The parts must share slots; a dimension must have the same unit in every
    part; a (region, dim) series may come from one part only.
    """
    if not parts:
        raise InputError(source or "<signals>", "parts", 0, "expected at least one Signals")
    first = parts[0]
    name = source or " + ".join(p.source for p in parts)
    data: dict[tuple[str, str], tuple[float, ...]] = {}
    units: dict[str, str] = {}
    regions: list[str] = []
    filled: list[FilledValue] = []
    for p in parts:
        if p.slots != first.slots or p.slot_hours != first.slot_hours:
            raise InputError(
                p.source,
                "slots",
                f"{p.slots[0].isoformat()} x{len(p.slots)}",
                f"expected the slots of {first.source} ({first.slots[0].isoformat()} "
                f"x{len(first.slots)}, {first.slot_hours:g} h)",
            )
        for key, vals in p.data.items():
            if key in data:
                raise InputError(p.source, f"{key[0]}/{key[1]}", "duplicate", "expected one series")
            data[key] = vals
        for dim, unit in p.units.items():
            if units.setdefault(dim, unit) != unit:
                raise InputError(
                    p.source, f"units.{dim}", unit, f"expected the same unit {units[dim]!r}"
                )
        regions.extend(r for r in p.regions if r not in regions)
        filled.extend(p.filled)
    policies = {p.missing_policy for p in parts}
    return Signals(
        regions=tuple(regions),
        slots=first.slots,
        slot_hours=first.slot_hours,
        data=data,
        units=units,
        filled=tuple(sorted(filled, key=lambda f: f.slot)),
        missing_policy=policies.pop() if len(policies) == 1 else "mixed",
        source=name,
    )
