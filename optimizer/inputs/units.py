"""Quantities with units → canonical units, and reading YAML/JSON documents.

Canonical units: power kW, energy kWh, mass g, volume L, data GB, duration s.
A bare number is already canonical. SI prefixes are case-sensitive where they
clash (mW vs MW).

>>> parse_quantity("2 MW", "power"), parse_quantity("5 t", "mass"), parse_quantity("3 m3", "volume")
(2000.0, 5000000.0, 3000.0)
>>> parse_quantity("3 furlongs", "volume", source="caps.yaml", field="site_water_per_day.dc-fra")
Traceback (most recent call last):
...
topology.errors.InputError: caps.yaml: site_water_per_day.dc-fra: expected a volume in L, \
ml, kL, m3, gal, got '3 furlongs'
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from topology.errors import InputError
from topology.strict_load import load_json, load_yaml

__all__ = ["CANONICAL_UNITS", "parse_quantity", "read_document"]

CANONICAL_UNITS: Mapping[str, str] = {
    "power": "kW",
    "energy": "kWh",
    "mass": "g",
    "volume": "L",
    "data": "GB",
    "duration": "s",
}

# unit spelling -> factor to the canonical unit. Case matters where SI prefixes
# clash (mW vs MW); unambiguous lowercase spellings are listed too.
_FACTORS: Mapping[str, Mapping[str, float]] = {
    "power": {"W": 1e-3, "kW": 1.0, "MW": 1e3, "GW": 1e6, "mW": 1e-6, "w": 1e-3, "kw": 1.0},
    "energy": {
        "Wh": 1e-3,
        "kWh": 1.0,
        "MWh": 1e3,
        "GWh": 1e6,
        "mWh": 1e-6,
        "J": 1 / 3.6e6,
        "kJ": 1 / 3.6e3,
        "MJ": 1 / 3.6,
        "wh": 1e-3,
        "kwh": 1.0,
    },
    "mass": {
        "g": 1.0,
        "kg": 1e3,
        "t": 1e6,
        "tonne": 1e6,
        "tonnes": 1e6,
        "kt": 1e9,
        "mg": 1e-3,
        "ug": 1e-6,
        "µg": 1e-6,
    },
    "volume": {
        "L": 1.0,
        "l": 1.0,
        "ml": 1e-3,
        "mL": 1e-3,
        "kL": 1e3,
        "m3": 1e3,
        "m³": 1e3,
        "gal": 3.785411784,
    },
    "data": {
        "B": 1e-9,
        "kB": 1e-6,
        "KB": 1e-6,
        "MB": 1e-3,
        "GB": 1.0,
        "TB": 1e3,
        "KiB": 1024 / 1e9,
        "MiB": 1024**2 / 1e9,
        "GiB": 1024**3 / 1e9,
        "TiB": 1024**4 / 1e9,
        "gb": 1.0,
        "mb": 1e-3,
    },
    "duration": {"s": 1.0, "ms": 1e-3, "min": 60.0, "h": 3600.0, "d": 86400.0, "sec": 1.0},
}
_SHOWN: Mapping[str, str] = {
    "power": "W, kW, MW, GW",
    "energy": "Wh, kWh, MWh, J, kJ, MJ",
    "mass": "g, kg, t, mg",
    "volume": "L, ml, kL, m3, gal",
    "data": "B, kB, MB, GB, TB, MiB, GiB",
    "duration": "s, ms, min, h, d",
}
_QTY = re.compile(r"^\s*(?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(?P<unit>\S*)\s*$")


def parse_quantity(
    value: Any, kind: str, *, source: str = "<input>", field: str = "value"
) -> float:
    """``value`` ("120 kW", "5 t", 3.5) in the canonical unit of ``kind``.

    A bare number is taken in the canonical unit (:data:`CANONICAL_UNITS`).
    Negative, non-finite or unconvertible values raise :class:`InputError`.

    >>> parse_quantity("51.70 MB", "data"), parse_quantity(883.26, "duration")
    (0.0517, 883.26)
    """
    factors = _FACTORS[kind]
    canon = CANONICAL_UNITS[kind]
    expected = f"expected {'an' if kind[0] in 'aeiou' else 'a'} {kind} in {_SHOWN[kind]}"
    if isinstance(value, bool):
        raise InputError(source, field, value, expected)
    if isinstance(value, int | float):
        number, unit = float(value), canon
    elif isinstance(value, str) and (m := _QTY.match(value)):
        number, unit = float(m["num"]), m["unit"] or canon
    else:
        raise InputError(source, field, value, expected)
    factor = factors.get(unit)
    if factor is None:
        raise InputError(source, field, value, expected)
    # divide by the inverse for sub-unit factors: 6.90528 Wh -> 0.00690528 kWh exactly
    result = number * factor if factor >= 1 else number / round(1 / factor, 9)
    if not math.isfinite(result) or result < 0:
        raise InputError(source, field, value, f"expected a finite {kind} >= 0")
    return result


def read_document(path: str | Path) -> tuple[str, Any]:
    """(source name, parsed YAML/JSON document) of ``path``; InputError if unreadable."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(source, "file", source, f"expected a readable file ({exc})") from None
    except UnicodeDecodeError:
        raise InputError(source, "file", source, "expected UTF-8 text") from None
    # duplicate keys are an error (json/PyYAML would keep the last one silently)
    if Path(path).suffix.lower() == ".json":
        return source, load_json(text, source)
    return source, load_yaml(text, source)
