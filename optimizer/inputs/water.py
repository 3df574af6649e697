"""WaterWise water factors shipped with fsor (``optimizer/data/water``, Apache-2.0).

Per generation source a carbon intensity (CI, gCO2/kWh) and an energy-water
intensity factor (EWIF, L/kWh); per region a 2023 generation mix (% per source),
its CI and a water-scarcity factor (WSF). WaterWise's water intensity of a data
centre is ``WI = (WUE + PUE·EWIF_mix)·(1 + WSF)`` litres per kWh of IT energy,
with ``EWIF_mix`` the mix-weighted EWIF. Pure functions over the packaged files.

>>> f = water_factors()
>>> f.sources["hydro"].ewif_l_per_kwh
17.0
>>> mix = f.regions["melbourne"]
>>> round(ewif_mix(f, "melbourne"), 4) == round(
...     sum(p * f.sources[s].ewif_l_per_kwh for s, p in mix.share_pct.items()) / 100, 4)
True
>>> wi = water_intensity(f, "melbourne", wue_l_per_kwh=0.5, pue=1.2)
>>> round(wi, 6) == round((0.5 + 1.2 * ewif_mix(f, "melbourne")) * (1 + mix.wsf), 6)
True
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from topology.errors import InputError

__all__ = [
    "WATER_DIR",
    "RegionMix",
    "SourceFactor",
    "WaterFactors",
    "ewif_mix",
    "water_factors",
    "water_intensity",
]

#: The WaterWise files shipped with fsor.
WATER_DIR: Path = Path(__file__).resolve().parents[1] / "data" / "water"


@dataclass(frozen=True)
class SourceFactor:
    """One generation source: carbon intensity and energy-water intensity."""

    ci_g_per_kwh: float
    ewif_l_per_kwh: float


@dataclass(frozen=True)
class RegionMix:
    """One region's 2023 mix: share per source (%), its CI and its water-scarcity factor."""

    share_pct: dict[str, float]
    ci_g_per_kwh: float
    wsf: float


@dataclass(frozen=True)
class WaterFactors:
    """Both WaterWise tables."""

    sources: dict[str, SourceFactor]
    regions: dict[str, RegionMix]


def _num(value: Any, source: str, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(source, field, value, "expected a finite number")
    return float(value)


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        msg = f"expected a readable file ({exc})"
        raise InputError(str(path), "file", str(path), msg) from None
    except json.JSONDecodeError as exc:
        raise InputError(str(path), "file", str(path), f"expected JSON ({exc})") from None


@lru_cache(maxsize=4)
def water_factors(directory: str | Path | None = None) -> WaterFactors:
    """Read ``source_ci_ewif.json`` and ``region_mix_2023.json`` (default: the shipped copy)."""
    folder = WATER_DIR if directory is None else Path(directory)
    src_path, mix_path = folder / "source_ci_ewif.json", folder / "region_mix_2023.json"
    raw_src, raw_mix = _load(src_path), _load(mix_path)
    sources = {
        name: SourceFactor(
            _num(v.get("CI"), str(src_path), f"{name}.CI"),
            _num(v.get("EWIF"), str(src_path), f"{name}.EWIF"),
        )
        for name, v in raw_src.items()
    }
    regions = {}
    for name, v in raw_mix.items():
        share = {s: _num(v[s], str(mix_path), f"{name}.{s}") for s in sources if s in v}
        regions[name] = RegionMix(
            share,
            _num(v.get("ci"), str(mix_path), f"{name}.ci"),
            _num(v.get("wsf"), str(mix_path), f"{name}.wsf"),
        )
    return WaterFactors(sources, regions)


def ewif_mix(factors: WaterFactors, region: str) -> float:
    """Mix-weighted EWIF (L/kWh) of ``region``'s generation."""
    if region not in factors.regions:
        expected = f"expected one of {sorted(factors.regions)}"
        raise InputError("water factors", "region", region, expected)
    mix = factors.regions[region]
    return sum(p * factors.sources[s].ewif_l_per_kwh for s, p in mix.share_pct.items()) / 100.0


def water_intensity(
    factors: WaterFactors, region: str, *, wue_l_per_kwh: float, pue: float
) -> float:
    """WaterWise's water intensity ``(WUE + PUE·EWIF_mix)·(1 + WSF)`` in L per kWh of IT."""
    mix = ewif_mix(factors, region)
    return (wue_l_per_kwh + pue * mix) * (1.0 + factors.regions[region].wsf)
