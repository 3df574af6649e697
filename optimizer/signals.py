"""Signals: zoned time series per region and dimension, and their file loaders.

The types and the missing-value policies live in :mod:`optimizer.signal_series`
and are re-exported here. The loaders are the only functions that read files;
each takes a path and raises :class:`InputError` naming the file, the row and
field, and the bad value.

Formats
-------
* ORCA Table V (``date,hour_utc,region,co2eq_g_per_kwh,...``): :func:`load_orca_csv`;
  the embedded copy is :func:`default_signals`.
* Electricity Maps hourly export (``Datetime (UTC),...,Carbon Intensity gCO₂eq/kWh
  (direct),...`` plus an optional ``Datetime,Price (EUR/MWh)`` file):
  :func:`load_electricity_maps`, or :func:`load_grid_directory` for a folder.
* A plain long CSV ``timestamp,region,dimension,value[,unit]``: :func:`load_long_csv`.
* The Carbon Aware SDK ``emissions/bylocations`` JSON (a list of
  ``{"location", "time", "rating", "duration"}``): :func:`load_carbon_aware_json`.

:func:`load_signals` picks the loader from the file's content.

>>> s = default_signals()
>>> s.regions, len(s.slots), s.slot_hours
(('CA', 'DE', 'JP'), 24, 1.0)
>>> [(f.region, f.dim, f.slot.hour) for f in s.filled][:3]
[('CA', 'no2', 12), ('DE', 'no2', 13), ('DE', 'pm25', 13)]
>>> float(s.series("CA", "no2")[12]), s.filled[0].method
(0.01, 'ffill')
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from optimizer.signal_series import (
    DEFAULT_UNITS,
    DIMENSIONS,
    MISSING_POLICIES,
    ZONES,
    FilledValue,
    MissingPolicy,
    Signals,
    Zone,
    build_signals,
    merge_signals,
    slots_from,
    zone_of,
)
from topology.errors import InputError

__all__ = [
    "DEFAULT_UNITS",
    "DIMENSIONS",
    "ECB_2023_EUR_PER",
    "GRID_2023_REGIONS",
    "MISSING_POLICIES",
    "ORCA_COLUMNS",
    "ZONES",
    "FilledValue",
    "MissingPolicy",
    "Signals",
    "Zone",
    "build_signals",
    "default_signals",
    "load_carbon_aware_json",
    "load_electricity_maps",
    "load_grid_directory",
    "load_long_csv",
    "load_orca_csv",
    "load_signals",
    "merge_signals",
    "slots_from",
    "zone_of",
]

DATA_DIR = Path(__file__).resolve().parent / "data"

#: ORCA Table V column -> (dimension, unit)
ORCA_COLUMNS: Mapping[str, tuple[str, str]] = {
    "co2eq_g_per_kwh": ("co2eq", "g/kWh"),
    "so2eq_g_per_kwh": ("so2eq", "g/kWh"),
    "co_g_per_kwh": ("co", "g/kWh"),
    "no2_ug_per_m3": ("no2", "ug/m3"),
    "pm25_ug_per_m3": ("pm25", "ug/m3"),
    "price_eur_per_mwh": ("price", "EUR/MWh"),
    "water": ("water", "indicator"),
}

#: Electricity Maps zone file prefix -> the ORCA region name used by the default sites.
GRID_2023_REGIONS: Mapping[str, str] = {"US-CAL-CISO": "CA", "DE-LU": "DE", "JP-TK": "JP"}

#: EUR per unit of currency: ECB euro reference rates, 2023 annual averages
#: (1 EUR = 1.0813 USD = 151.99 JPY). An approximation for comparing prices.
ECB_2023_EUR_PER: Mapping[str, float] = {"EUR": 1.0, "USD": 1 / 1.0813, "JPY": 1 / 151.99}

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
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
    except OSError as exc:
        raise InputError(source, "file", str(path), f"expected a readable file ({exc})") from None
    except UnicodeDecodeError:
        raise InputError(source, "file", str(path), "expected UTF-8 text") from None
    if not rows:
        raise InputError(source, "header", "", "expected a CSV header row")
    return source, [h.strip() for h in rows[0]], rows[1:]


def _col(header: list[str], name: str, source: str) -> int:
    for i, h in enumerate(header):
        if h == name:
            return i
    raise InputError(source, "header", ",".join(header), f"expected a column {name!r}")


def _cell(row: list[str], i: int) -> str:
    return row[i] if i < len(row) else ""


def load_orca_csv(path: str | Path, *, date: str | None = None, policy: str = "ffill") -> Signals:
    """Load ORCA Table V (one row per date, UTC hour and region).

    ``date`` picks one day (default: the first date in the file); its hours are
    the slots. Empty or "N/A" cells, and regions without a row at some hour,
    are missing values filled by ``policy``.
    """
    source, header, rows = _read_csv(path)
    i_date, i_hour, i_reg = (_col(header, c, source) for c in ("date", "hour_utc", "region"))
    cols = {c: _col(header, c, source) for c in ORCA_COLUMNS if c in header}
    if "co2eq_g_per_kwh" not in cols:
        raise InputError(source, "header", ",".join(header), "expected a 'co2eq_g_per_kwh' column")
    cells: dict[tuple[str, datetime], tuple[int, list[str]]] = {}
    regions: list[str] = []
    for n, row in enumerate(rows, start=2):
        if not any(c.strip() for c in row):
            continue
        day = _cell(row, i_date).strip()
        if date is None:
            date = day
        if day != date:
            continue
        t = _time(f"{day}T{_cell(row, i_hour).strip()}", source, f"row {n}.date/hour_utc")
        region = _cell(row, i_reg).strip()
        if not region:
            raise InputError(source, f"row {n}.region", region, "expected a region name")
        if (region, t) in cells:
            raise InputError(source, f"row {n}", f"{region} {t.isoformat()}", "expected one row")
        cells[(region, t)] = (n, row)
        if region not in regions:
            regions.append(region)
    if not cells:
        raise InputError(source, "date", date, "expected rows for this date")
    times = sorted({t for (_, t) in cells})
    raw: dict[tuple[str, str], list[float | None]] = {}
    for col, i in cols.items():
        dim = ORCA_COLUMNS[col][0]
        for region in regions:
            series: list[float | None] = []
            for t in times:
                hit = cells.get((region, t))
                series.append(
                    None if hit is None else _value(_cell(hit[1], i), source, f"row {hit[0]}.{col}")
                )
            raw[(region, dim)] = series
    units = {dim: unit for c, (dim, unit) in ORCA_COLUMNS.items() if c in cols}
    step = (times[1] - times[0]).total_seconds() / 3600 if len(times) > 1 else 1.0
    return build_signals(
        raw, times, step, units=units, policy=policy, source=source, regions=regions
    )


def default_signals(date: str = "2025-07-01", policy: str = "ffill") -> Signals:
    """ORCA Table V as shipped in ``optimizer/data`` (2025-07-01: 24 h; 2026-01-01: 2 h)."""
    return load_orca_csv(DATA_DIR / "orca_table_v.csv", date=date, policy=policy)


_CI_RE = re.compile(r"Carbon Intensity gCO[₂2]eq/kWh \((?P<kind>[^)]+)\)")
_PRICE_RE = re.compile(r"Price \((?P<cur>[A-Za-z]+)/MWh\)")


def _window(start: datetime | str | None, first: datetime, hours: int, source: str) -> datetime:
    if hours <= 0:
        raise InputError(source, "hours", hours, "expected a number of hours > 0")
    return first if start is None else _time(start, source, "start")


def _hourly(
    rows: list[list[str]], i_time: int, i_val: int, t0: datetime, hours: int, source: str, col: str
) -> list[float | None]:
    out: list[float | None] = [None] * hours
    for n, row in enumerate(rows, start=2):
        if not any(c.strip() for c in row):
            continue
        t = _time(_cell(row, i_time), source, f"row {n}.{col}")
        k = (t - t0).total_seconds() / 3600.0
        if 0 <= k < hours and k == int(k):
            out[int(k)] = _value(_cell(row, i_val), source, f"row {n}.value")
    return out


def load_electricity_maps(
    ci_csv: str | Path,
    price_csv: str | Path | None = None,
    *,
    region: str | None = None,
    start: datetime | str | None = None,
    hours: int = 24,
    intensity: str = "direct",
    price_to_eur: float | None = None,
    policy: str = "ffill",
) -> Signals:
    """Load ``hours`` hourly slots from an Electricity Maps export (and its price file).

    ``co2eq`` is the ``Carbon Intensity gCO₂eq/kWh (<intensity>)`` column
    ("direct" or "LCA"); ``price`` comes from ``Price (<CUR>/MWh)`` in
    ``price_csv``, in that currency unless ``price_to_eur`` (EUR per unit) is
    given. Timestamps are taken as UTC. ``region`` defaults to the file's
    ``Zone Id``; ``start`` to the first timestamp. Hours absent from a file are
    missing values filled by ``policy``.
    """
    source, header, rows = _read_csv(ci_csv)
    i_time = _col(header, "Datetime (UTC)", source)
    i_ci = next(
        (
            i
            for i, h in enumerate(header)
            if (m := _CI_RE.fullmatch(h)) and m["kind"].lower() == intensity.lower()
        ),
        None,
    )
    if i_ci is None:
        raise InputError(
            source,
            "header",
            ",".join(header),
            f"expected a 'Carbon Intensity gCO₂eq/kWh ({intensity})' column",
        )
    if not rows:
        raise InputError(source, "rows", 0, "expected at least one data row")
    t0 = _window(
        start, _time(_cell(rows[0], i_time), source, "row 2.Datetime (UTC)"), hours, source
    )
    if region is None:
        i_zone = _col(header, "Zone Id", source)
        region = _cell(rows[0], i_zone).strip() or Path(source).stem
    raw: dict[tuple[str, str], list[float | None]] = {
        (region, "co2eq"): _hourly(rows, i_time, i_ci, t0, hours, source, "Datetime (UTC)")
    }
    units = {"co2eq": "g/kWh"}
    if price_csv is not None:
        psource, pheader, prows = _read_csv(price_csv)
        i_pt = _col(pheader, "Datetime", psource)
        i_p = next((i for i, h in enumerate(pheader) if _PRICE_RE.fullmatch(h)), None)
        if i_p is None:
            raise InputError(
                psource, "header", ",".join(pheader), "expected a 'Price (<currency>/MWh)' column"
            )
        match = _PRICE_RE.fullmatch(pheader[i_p])
        assert match is not None
        prices = _hourly(prows, i_pt, i_p, t0, hours, psource, "Datetime")
        if price_to_eur is not None:
            prices = [None if p is None else p * price_to_eur for p in prices]
            units["price"] = "EUR/MWh"
        else:
            units["price"] = f"{match['cur'].upper()}/MWh"
        raw[(region, "price")] = prices
        source = f"{source} + {psource}"
    return build_signals(
        raw,
        slots_from(t0, hours, 1.0),
        1.0,
        units=units,
        policy=policy,
        source=source,
        regions=[region],
    )


def load_grid_directory(
    directory: str | Path,
    *,
    start: datetime | str,
    hours: int = 24,
    intensity: str = "direct",
    names: Mapping[str, str] | None = None,
    eur_per: Mapping[str, float] | None = None,
    policy: str = "ffill",
) -> Signals:
    """Load every ``<ZONE>_<year>_carbon_intensity_hourly.csv`` (+ prices) in ``directory``.

    Regions are renamed by ``names`` (default :data:`GRID_2023_REGIONS`:
    DE-LU → DE, JP-TK → JP, US-CAL-CISO → CA; other zones keep their prefix).
    Prices are converted to EUR/MWh with ``eur_per`` (default
    :data:`ECB_2023_EUR_PER`, annual-average rates: an approximation).
    """
    folder = Path(directory)
    ci_files = sorted(folder.glob("*_carbon_intensity_hourly.csv"))
    if not ci_files:
        raise InputError(
            str(folder), "files", "none", "expected <ZONE>_<year>_carbon_intensity_hourly.csv files"
        )
    rename = GRID_2023_REGIONS if names is None else names
    rates = ECB_2023_EUR_PER if eur_per is None else eur_per
    parts = []
    for ci in ci_files:
        prefix = ci.name[: -len("_carbon_intensity_hourly.csv")]
        zone = prefix.rsplit("_", 1)[0]
        price = folder / f"{prefix}_electricity_prices_hourly.csv"
        factor = None
        if price.exists():
            _, pheader, _ = _read_csv(price)
            cur = next((m["cur"].upper() for h in pheader if (m := _PRICE_RE.fullmatch(h))), "")
            if cur not in rates:
                raise InputError(
                    str(price),
                    "header",
                    ",".join(pheader),
                    f"expected a currency in {', '.join(sorted(rates))}",
                )
            factor = rates[cur]
        parts.append(
            load_electricity_maps(
                ci,
                price if price.exists() else None,
                region=rename.get(zone, zone),
                start=start,
                hours=hours,
                intensity=intensity,
                price_to_eur=factor,
                policy=policy,
            )
        )
    return merge_signals(*parts, source=str(folder))


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
    times = sorted({t for (_, _, t) in points})
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
    times = sorted({t for (_, t) in points})
    if len(spans) > 1:
        raise InputError(source, "duration", sorted(spans), "expected one duration for all items")
    slot_hours = spans.pop() if spans else None
    if slot_hours is not None and len(times) > 1:
        # fill the grid between first and last time so gaps become missing values
        count = round((times[-1] - times[0]).total_seconds() / 3600 / slot_hours) + 1
        times = list(slots_from(times[0], count, slot_hours))
    raw = {(loc, "co2eq"): [points.pop((loc, t), None) for t in times] for loc in regions}
    if points:
        (loc, t), _ = next(iter(points.items()))
        raise InputError(
            source,
            "time",
            t.isoformat(),
            f"expected a time on the {slot_hours:g} h grid from {times[0]}",
        )
    return build_signals(
        raw,
        times,
        slot_hours,
        units={"co2eq": "g/kWh"},
        policy=policy,
        source=source,
        regions=regions,
    )


def load_signals(path: str | Path, **opts: Any) -> Signals:
    """Load signals from ``path``, choosing the loader by content.

    JSON → :func:`load_carbon_aware_json`; a CSV whose header has ``hour_utc``
    → :func:`load_orca_csv`; ``Datetime (UTC)`` → :func:`load_electricity_maps`
    (``opts``: region, start, hours, price_csv, ...); ``timestamp,region,dimension``
    → :func:`load_long_csv`; a directory → :func:`load_grid_directory`.
    ``opts`` go to the chosen loader (``policy`` to all).
    """
    p = Path(path)
    if p.is_dir():
        return load_grid_directory(p, **opts)
    try:
        head = p.read_text(encoding="utf-8-sig")[:4096]
    except OSError as exc:
        raise InputError(str(p), "file", str(p), f"expected a readable file ({exc})") from None
    except UnicodeDecodeError:
        raise InputError(str(p), "file", str(p), "expected UTF-8 text") from None
    first = head.lstrip()[:1]
    header = head.splitlines()[0] if head else ""
    if first in ("[", "{"):
        return load_carbon_aware_json(p, **opts)
    if "hour_utc" in header:
        return load_orca_csv(p, **opts)
    if "Datetime (UTC)" in header:
        return load_electricity_maps(p, **opts)
    cols = [c.strip() for c in header.split(",")]
    if {"timestamp", "region", "dimension", "value"} <= set(cols):
        return load_long_csv(p, **opts)
    raise InputError(
        str(p),
        "header",
        header[:120],
        "expected ORCA Table V, Electricity Maps, long CSV "
        "(timestamp,region,dimension,value[,unit]) or Carbon Aware SDK JSON",
    )
