"""Electricity Maps hourly exports: carbon intensity + day-ahead price (e.g. grid-2023).

Carbon-intensity files are UTC (``Datetime (UTC)``). The price files' ``Datetime``
column carries no zone: pass ``price_tz`` (an IANA zone) when it is local time.
For the 2023 files shipped with the project the DE-LU and JP-TK prices are local
time (Europe/Berlin, Asia/Tokyo) and the US-CAL-CISO prices UTC — inferred, not
documented upstream: DE-LU repeats one value for the non-existent 02:00 on
2023-03-26, and the price series anti-correlate best with the (UTC) renewable
share when shifted by the zone offset (DE −2 h in summer, JP −9 h, CAISO 0 h).
:data:`GRID_2023_PRICE_TZ` records this; :func:`load_grid_directory` applies it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from optimizer.inputs.signal_formats import _cell, _col, _read_csv, _time, _value
from optimizer.inputs.signal_series import Signals, build_signals, merge_signals, slots_from
from topology.errors import InputError

__all__ = [
    "ECB_2023_EUR_PER",
    "GRID_2023_DIR",
    "GRID_2023_PRICE_TZ",
    "GRID_2023_REGIONS",
    "load_electricity_maps",
    "load_grid_directory",
]

#: The 2023 hourly files shipped with fsor (gzip; Electricity Maps data, ODbL: see its README).
GRID_2023_DIR: Path = Path(__file__).resolve().parents[1] / "data" / "grid-2023"

#: Electricity Maps zone file prefix -> the ORCA region name used by the default sites.
GRID_2023_REGIONS: Mapping[str, str] = {"US-CAL-CISO": "CA", "DE-LU": "DE", "JP-TK": "JP"}

#: EUR per unit of currency: ECB euro reference rates, 2023 annual averages
#: (1 EUR = 1.0813 USD = 151.99 JPY). An approximation for comparing prices.
ECB_2023_EUR_PER: Mapping[str, float] = {"EUR": 1.0, "USD": 1 / 1.0813, "JPY": 1 / 151.99}

#: Time zone of the ``Datetime`` column of each zone's 2023 price file (inferred; see above).
GRID_2023_PRICE_TZ: Mapping[str, str] = {"DE-LU": "Europe/Berlin", "JP-TK": "Asia/Tokyo"}

_CI_RE = re.compile(r"Carbon Intensity gCO[₂2]eq/kWh \((?P<kind>[^)]+)\)")
_PRICE_RE = re.compile(r"Price \((?P<cur>[A-Za-z]+)/MWh\)")


def _window(start: datetime | str | None, first: datetime, hours: int, source: str) -> datetime:
    if hours <= 0:
        raise InputError(source, "hours", hours, "expected a number of hours > 0")
    return first if start is None else _time(start, source, "start")


def _zone(name: str | None, source: str) -> ZoneInfo | None:
    if name is None:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(source, "price_tz", name, "expected an IANA time zone") from None


def _hourly(
    rows: list[list[str]],
    i_time: int,
    i_val: int,
    t0: datetime,
    hours: int,
    source: str,
    col: str,
    tz: ZoneInfo | None = None,
) -> list[float | None]:
    """Values on the hourly UTC grid from t0; naive times are in ``tz`` (UTC if None).

    A local hour that does not exist (spring forward) lands on the same UTC hour
    as the next one; the hour repeated in autumn has one row only, so one UTC
    hour stays missing (filled by the policy and listed).
    """
    out: list[float | None] = [None] * hours
    for n, row in enumerate(rows, start=2):
        if not any(c.strip() for c in row):
            continue
        text = _cell(row, i_time)
        t = _time(text, source, f"row {n}.{col}")  # validates; naive taken as UTC
        if tz is not None:
            raw = datetime.fromisoformat(text.strip())
            if raw.tzinfo is None:  # an explicit offset in the file wins over tz
                t = raw.replace(tzinfo=tz).astimezone(UTC)
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
    price_tz: str | None = None,
    policy: str = "ffill",
) -> Signals:
    """Load ``hours`` hourly slots from an Electricity Maps export (and its price file).

    ``co2eq`` is the ``Carbon Intensity gCO₂eq/kWh (<intensity>)`` column
    ("direct" or "LCA"); ``price`` comes from ``Price (<CUR>/MWh)`` in
    ``price_csv``, in that currency unless ``price_to_eur`` (EUR per unit) is
    given. Carbon-intensity times are UTC; price times are UTC unless
    ``price_tz`` names their zone. ``region`` defaults to the file's
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
        prices = _hourly(prows, i_pt, i_p, t0, hours, psource, "Datetime", _zone(price_tz, psource))
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
    start: datetime | str | None = None,
    hours: int = 24,
    intensity: str = "direct",
    names: Mapping[str, str] | None = None,
    eur_per: Mapping[str, float] | None = None,
    price_tz: Mapping[str, str] | None = None,
    policy: str = "ffill",
) -> Signals:
    """Load every ``<ZONE>_<year>_carbon_intensity_hourly.csv`` (+ prices) in ``directory``.

    ``start`` defaults to each file's first timestamp. Regions are renamed by
    ``names`` (default :data:`GRID_2023_REGIONS`: DE-LU → DE, JP-TK → JP,
    US-CAL-CISO → CA; other zones keep their prefix).
    Files may be gzip-compressed (``*.csv.gz``), as in :data:`GRID_2023_DIR`.
    Prices are converted to EUR/MWh with ``eur_per`` (default
    :data:`ECB_2023_EUR_PER`, annual-average rates: an approximation).
    """
    folder = Path(directory)
    pattern = "*_carbon_intensity_hourly.csv"
    ci_files = sorted([*folder.glob(pattern), *folder.glob(pattern + ".gz")])
    if not ci_files:
        raise InputError(
            str(folder), "files", "none", "expected <ZONE>_<year>_carbon_intensity_hourly.csv files"
        )
    rename = GRID_2023_REGIONS if names is None else names
    rates = ECB_2023_EUR_PER if eur_per is None else eur_per
    parts = []
    for ci in ci_files:
        ext = ".csv.gz" if ci.name.endswith(".gz") else ".csv"
        prefix = ci.name[: -len("_carbon_intensity_hourly" + ext)]
        zone = prefix.rsplit("_", 1)[0]
        price = folder / f"{prefix}_electricity_prices_hourly{ext}"
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
                price_tz=(GRID_2023_PRICE_TZ if price_tz is None else price_tz).get(zone),
                policy=policy,
            )
        )
    return merge_signals(*parts, source=str(folder))
