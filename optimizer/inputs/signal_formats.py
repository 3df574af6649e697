"""Shared CSV/JSON reading for the signal loaders, the long CSV and Carbon Aware SDK JSON.

Used by :mod:`optimizer.inputs.signals` (which re-exports the loaders). Every bad value
raises :class:`InputError` naming the file, the row and field, and the value.
"""

from __future__ import annotations

import csv
import gzip
import json
import math
import re
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

from optimizer.inputs.signal_series import (
    DEFAULT_UNITS,
    DIMENSIONS,
    ZONES,
    Signals,
    build_signals,
    slots_from,
)
from topology.errors import InputError

__all__ = ["load_carbon_aware_json", "load_long_csv"]

_MISSING = {"", "n/a", "na", "nan", "null", "none", "-"}


def _value(text: str | None, source: str, field: str) -> float | None:
    if text is None or text.strip().lower() in _MISSING:
        return None
    try:
        v = float(text)
    except ValueError:
        raise InputError(source, field, text, "expected a number or N/A") from None
    if not math.isfinite(v):
        raise InputError(source, field, text, "expected a finite number or N/A")
    return v


def _time(text: Any, source: str, field: str) -> datetime:
    if isinstance(text, datetime):
        t = text
    else:
        try:
            t = datetime.fromisoformat(str(text).strip())
        except ValueError:
            raise InputError(source, field, text, "expected an ISO-8601 timestamp") from None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def _read_csv(path: str | Path) -> tuple[str, list[str], list[list[str]]]:
    source = str(path)
    try:
        if str(path).endswith(".gz"):
            with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as fh:
                rows = list(csv.reader(fh))
        else:
            with open(path, encoding="utf-8-sig", newline="") as fh:
                rows = list(csv.reader(fh))
    except OSError as exc:
        raise InputError(source, "file", str(path), f"expected a readable file ({exc})") from None
    except (UnicodeDecodeError, gzip.BadGzipFile, EOFError):
        raise InputError(source, "file", str(path), "expected UTF-8 text (or gzip of it)") from None
    if not rows:
        raise InputError(source, "header", "", "expected a CSV header row")
    return source, [h.strip() for h in rows[0]], rows[1:]


def _grid(
    times: list[datetime], source: str, slot_hours: float | None = None, field: str = "timestamp"
) -> list[datetime]:
    """Every slot from the first to the last time, ``slot_hours`` apart (default: the
    smallest gap); a time off that grid is an :class:`InputError`. Slots without
    data become missing values."""
    ts = sorted(set(times))
    if len(ts) < 2:
        return ts
    step_s = (
        (slot_hours * 3600.0)
        if slot_hours
        else min((b - a).total_seconds() for a, b in pairwise(ts))
    )
    for t in ts:
        k = (t - ts[0]).total_seconds() / step_s
        if abs(k - round(k)) > 1e-6:
            raise InputError(
                source,
                field,
                t.isoformat(),
                f"expected a time on the {step_s / 3600:g} h grid from {ts[0].isoformat()}",
            )
    count = round((ts[-1] - ts[0]).total_seconds() / step_s) + 1
    return list(slots_from(ts[0], count, step_s / 3600.0))


def _col(header: list[str], name: str, source: str) -> int:
    for i, h in enumerate(header):
        if h == name:
            return i
    raise InputError(source, "header", ",".join(header), f"expected a column {name!r}")


def _cell(row: list[str], i: int) -> str:
    return row[i] if i < len(row) else ""


def load_long_csv(path: str | Path, *, policy: str = "ffill") -> Signals:
    """Load a long CSV ``timestamp,region,dimension,value[,unit]``.

    The slots are the distinct timestamps (equally spaced). A (region,
    dimension) without a row at some slot, or with an empty/N/A value, is
    missing and filled by ``policy``. All rows of a dimension must share a unit.
    """
    source, header, rows = _read_csv(path)
    i_t, i_r, i_d, i_v = (
        _col(header, c, source) for c in ("timestamp", "region", "dimension", "value")
    )
    i_u = header.index("unit") if "unit" in header else None
    points: dict[tuple[str, str, datetime], float | None] = {}
    units: dict[str, str] = {}
    regions: list[str] = []
    for n, row in enumerate(rows, start=2):
        if not any(c.strip() for c in row):
            continue
        t = _time(_cell(row, i_t), source, f"row {n}.timestamp")
        region, dim = _cell(row, i_r).strip(), _cell(row, i_d).strip().lower()
        if not region:
            raise InputError(source, f"row {n}.region", region, "expected a region name")
        if dim not in ZONES:
            raise InputError(
                source, f"row {n}.dimension", dim, f"expected one of {', '.join(DIMENSIONS)}"
            )
        if (region, dim, t) in points:
            raise InputError(
                source,
                f"row {n}",
                f"{region},{dim},{t.isoformat()}",
                "expected one row per timestamp, region and dimension",
            )
        points[(region, dim, t)] = _value(_cell(row, i_v), source, f"row {n}.value")
        unit = _cell(row, i_u).strip() if i_u is not None else ""
        unit = unit or DEFAULT_UNITS[dim]
        if units.setdefault(dim, unit) != unit:
            raise InputError(
                source,
                f"row {n}.unit",
                unit,
                f"expected the unit {units[dim]!r} used before for {dim}",
            )
        if region not in regions:
            regions.append(region)
    if not points:
        raise InputError(source, "rows", 0, "expected at least one data row")
    times = _grid([t for (_, _, t) in points], source)
    keys = sorted(
        {(r, d) for (r, d, _) in points},
        key=lambda k: (regions.index(k[0]), DIMENSIONS.index(k[1])),
    )
    raw = {k: [points.get((k[0], k[1], t)) for t in times] for k in keys}
    return build_signals(
        raw, times, None, units=units, policy=policy, source=source, regions=regions
    )


_SPAN_RE = re.compile(r"^(?:(?P<d>\d+)\.)?(?P<h>\d+):(?P<m>\d{2}):(?P<s>\d{2}(?:\.\d+)?)$")


def _timespan(text: Any, source: str, field: str) -> float:
    """Hours of a .NET TimeSpan string ``[d.]hh:mm:ss[.fffffff]``."""
    m = _SPAN_RE.match(str(text).strip())
    if m is None:
        raise InputError(source, field, text, "expected a duration [d.]hh:mm:ss")
    secs = int(m["d"] or 0) * 86400 + int(m["h"]) * 3600 + int(m["m"]) * 60 + float(m["s"])
    if secs <= 0:
        raise InputError(source, field, text, "expected a duration > 0")
    return secs / 3600.0


def load_carbon_aware_json(path: str | Path, *, policy: str = "ffill") -> Signals:
    """Load a Carbon Aware SDK ``emissions/bylocations`` response (ratings are g/kWh).

    Each item ``{"location", "time", "rating", "duration"}`` gives ``co2eq`` of
    ``location`` for the slot starting at ``time``; slots are the distinct
    times, ``duration`` (a TimeSpan, e.g. "01:00:00") must match their spacing.
    """
    source = str(path)
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(source, "file", source, f"expected a readable file ({exc})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(source, "json", str(exc), "expected JSON") from None
    if not isinstance(doc, list) or not doc:
        raise InputError(
            source,
            "$",
            type(doc).__name__,
            "expected a non-empty list of {location, time, rating, duration}",
        )
    points: dict[tuple[str, datetime], float | None] = {}
    spans: set[float] = set()
    regions: list[str] = []
    for i, item in enumerate(doc):
        if not isinstance(item, dict):
            raise InputError(source, f"[{i}]", item, "expected an object")
        loc = item.get("location")
        if not isinstance(loc, str) or not loc:
            raise InputError(source, f"[{i}].location", loc, "expected a location name")
        t = _time(item.get("time"), source, f"[{i}].time")
        rating = item.get("rating")
        if rating is not None and (
            isinstance(rating, bool)
            or not isinstance(rating, int | float)
            or not math.isfinite(rating)
        ):
            raise InputError(source, f"[{i}].rating", rating, "expected a number (g/kWh)")
        if "duration" in item:
            spans.add(_timespan(item["duration"], source, f"[{i}].duration"))
        if (loc, t) in points:
            raise InputError(source, f"[{i}]", f"{loc} {t.isoformat()}", "expected one rating")
        points[(loc, t)] = None if rating is None else float(rating)
        if loc not in regions:
            regions.append(loc)
    if len(spans) > 1:
        raise InputError(source, "duration", sorted(spans), "expected one duration for all items")
    slot_hours = spans.pop() if spans else None
    times = _grid([t for (_, t) in points], source, slot_hours, field="time")
    raw = {(loc, "co2eq"): [points.get((loc, t)) for t in times] for loc in regions}
    return build_signals(
        raw,
        times,
        slot_hours,
        units={"co2eq": "g/kWh"},
        policy=policy,
        source=source,
        regions=regions,
    )
