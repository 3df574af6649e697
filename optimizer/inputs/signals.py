"""Signals: zoned time series per region and dimension, and their file loaders.

The types and the missing-value policies live in :mod:`optimizer.inputs.signal_series`
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

import gzip
import inspect
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from optimizer.inputs.signal_formats import (
    _cell,
    _col,
    _grid,
    _read_csv,
    _time,
    _value,
    load_carbon_aware_json,
    load_long_csv,
)
from optimizer.inputs.signal_grid import (
    ECB_2023_EUR_PER,
    GRID_2023_PRICE_TZ,
    GRID_2023_REGIONS,
    load_electricity_maps,
    load_grid_directory,
)
from optimizer.inputs.signal_series import (
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
    "GRID_2023_PRICE_TZ",
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

DATA_DIR = Path(__file__).resolve().parents[1] / "data"

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
    times = _grid([t for (_, t) in cells], source, 1.0)  # Table V is hourly
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


def load_signals(
    path: str | Path, *, policy: str = "ffill", date: str | None = None, **opts: Any
) -> Signals:
    """Load signals from ``path``, choosing the loader by content.

    JSON → :func:`load_carbon_aware_json`; a CSV whose header has ``hour_utc``
    → :func:`load_orca_csv`; ``Datetime (UTC)`` → :func:`load_electricity_maps`
    (``opts``: region, start, hours, price_csv, ...); ``timestamp,region,dimension``
    → :func:`load_long_csv`; a directory → :func:`load_grid_directory`.
    ``date`` ("YYYY-MM-DD") selects one UTC day in every format (for the
    Electricity Maps files: ``start`` at that midnight, 24 hours unless ``hours``
    is given). Other ``opts`` go to the chosen loader; one it does not take is
    an :class:`InputError`.
    """
    p = Path(path)
    day: tuple[datetime, datetime] | None = None
    if date is not None:
        t0 = _time(f"{date}T00:00:00", str(p), "date")
        day = (t0, t0 + timedelta(days=1))
    if p.is_dir():
        fn: Callable[..., Signals] = load_grid_directory
    else:
        try:
            if p.name.endswith(".gz"):
                with gzip.open(p, "rt", encoding="utf-8-sig") as fh:
                    head = fh.read(4096)
            else:
                head = p.read_text(encoding="utf-8-sig")[:4096]
        except OSError as exc:
            raise InputError(str(p), "file", str(p), f"expected a readable file ({exc})") from None
        except (UnicodeDecodeError, EOFError):
            raise InputError(str(p), "file", str(p), "expected UTF-8 text") from None
        header = head.splitlines()[0] if head else ""
        cols = {c.strip() for c in header.split(",")}
        if head.lstrip()[:1] in ("[", "{"):
            fn = load_carbon_aware_json
        elif "hour_utc" in header:
            fn = load_orca_csv
        elif "Datetime (UTC)" in header:
            fn = load_electricity_maps
        elif {"timestamp", "region", "dimension", "value"} <= cols:
            fn = load_long_csv
        else:
            raise InputError(
                str(p),
                "header",
                header[:120],
                "expected ORCA Table V, Electricity Maps, long CSV "
                "(timestamp,region,dimension,value[,unit]) or Carbon Aware SDK JSON",
            )
    takes = set(inspect.signature(fn).parameters)
    for key in opts:
        if key not in takes:
            raise InputError(str(p), key, opts[key], f"expected an option of {fn.__name__}")
    if fn is load_orca_csv:
        return load_orca_csv(p, date=date, policy=policy)
    if fn in (load_electricity_maps, load_grid_directory) and day is not None:
        opts.setdefault("start", day[0])
    signals = fn(p, policy=policy, **opts)
    if day is not None and fn in (load_long_csv, load_carbon_aware_json):
        signals = signals.between(*day)
    return signals
