"""Small typed accessors shared by the importers (pure; no I/O).

Each accessor raises :class:`InputError` naming the source, the field path and
the value when a field is missing or has the wrong type.

>>> field_float({"length_km": "x"}, "length_km", "net.json", "fibres[f1]")
Traceback (most recent call last):
...
topology.errors.InputError: net.json: fibres[f1].length_km: expected a number, got 'x'
>>> derive_spans(170.0)
(3, 2)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from topology.errors import InputError

__all__ = [
    "DEFAULT_SPAN_KM",
    "derive_spans",
    "field_float",
    "field_int",
    "field_str",
    "opt_float",
    "require_keys",
]

#: typical terrestrial span length used when a source gives no amplifier layout
DEFAULT_SPAN_KM = 80.0

_MISSING: Any = object()


def _where(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def field_float(
    d: Mapping[str, Any], key: str, source: str, prefix: str, default: float = _MISSING
) -> float:
    """A finite number (ints accepted)."""
    if key not in d or d[key] is None:
        if default is _MISSING:
            raise InputError(source, _where(prefix, key), None, "expected a number (missing)")
        return default
    v = d[key]
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise InputError(source, _where(prefix, key), v, "expected a number")
    return float(v)


def opt_float(d: Mapping[str, Any], key: str, source: str, prefix: str) -> float | None:
    """A number or None (absent or null)."""
    if d.get(key) is None:
        return None
    return field_float(d, key, source, prefix)


def field_int(
    d: Mapping[str, Any], key: str, source: str, prefix: str, default: int = _MISSING
) -> int:
    """An integer."""
    if key not in d or d[key] is None:
        if default is _MISSING:
            raise InputError(source, _where(prefix, key), None, "expected an integer (missing)")
        return default
    v = d[key]
    if isinstance(v, bool) or not isinstance(v, int):
        raise InputError(source, _where(prefix, key), v, "expected an integer")
    return v


def field_str(
    d: Mapping[str, Any], key: str, source: str, prefix: str, default: str = _MISSING
) -> str:
    """A non-empty string."""
    if key not in d or d[key] is None:
        if default is _MISSING:
            raise InputError(source, _where(prefix, key), None, "expected a string (missing)")
        return default
    v = d[key]
    if not isinstance(v, str) or not v:
        raise InputError(source, _where(prefix, key), v, "expected a non-empty string")
    return v


def require_keys(d: Any, allowed: set[str], source: str, prefix: str) -> Mapping[str, Any]:
    """``d`` must be an object whose keys are all in ``allowed``."""
    if not isinstance(d, Mapping):
        raise InputError(source, prefix, d, "expected an object")
    for k in d:
        if k not in allowed:
            raise InputError(
                source, _where(prefix, str(k)), d[k], f"expected a known field ({sorted(allowed)})"
            )
    return d


def derive_spans(length_km: float, span_km: float = DEFAULT_SPAN_KM) -> tuple[int, int]:
    """(spans, in-line amplifiers) for a link with no explicit layout: ceil(L / span)."""
    spans = max(1, math.ceil(length_km / span_km - 1e-9))
    return spans, spans - 1
