"""Hard caps, objective weights ω_e and normalisation scales s_e, with unit conversion.

Caps are feasibility, not penalties. :class:`Caps` holds

* ``site_power_kw``: site power per slot (compute + network, kW), site id → kW;
* ``site_water_l_per_day``: site water per UTC day, site id → L;
* ``zone_carbon_g_per_day``: CO2-eq per production zone (grid region) per day, g;
* ``total_carbon_g_per_day``: CO2-eq over all zones per day, g;
* ``zone_caps``: ORCA's Cap_e(zone) per dimension e (:class:`ZoneCap`). The zone
  of a dimension is ``"global"`` for co2eq, the grid region for so2eq/co
  (where the energy is produced) and the site id for no2, pm25, price, water
  (where the data centre is).

Quantities convert to canonical units with :func:`optimizer.inputs.units.parse_quantity`
(re-exported here): power kW, energy kWh, mass g, volume L; a bare number is
already canonical; a unit that cannot be converted is an :class:`InputError`.

>>> c = caps_from_dict({"site_power": {"dc-fra": "2 MW"}, "carbon_per_day": {"total": "5 t"}})
>>> c.site_power_kw, c.total_carbon_g_per_day
({'dc-fra': 2000.0}, 5000000.0)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from optimizer.inputs.signal_series import DIMENSIONS, ZONES, Signals
from optimizer.inputs.units import CANONICAL_UNITS, parse_quantity, read_document
from topology.errors import InputError

__all__ = [
    "BURDEN_UNITS",
    "CANONICAL_UNITS",
    "DEFAULT_WEIGHTS",
    "Caps",
    "Scales",
    "Weights",
    "ZoneCap",
    "caps_from_dict",
    "default_scales",
    "load_caps",
    "load_scales",
    "load_weights",
    "parse_quantity",
    "read_document",
    "with_site_caps",
]

#: Burden unit of each dimension's zone caps: I_e = Σ kWh × signal.
#: co2eq/so2eq/co caps are masses (any mass unit, canonical g); the others are
#: bare numbers in these units (water: L when the water signal is L/kWh).
BURDEN_UNITS: Mapping[str, str] = {
    "co2eq": "g",
    "so2eq": "g",
    "co": "g",
    "no2": "ug/m3*kWh",
    "pm25": "ug/m3*kWh",
    "price": "EUR",
    "water": "L",
    "power_headroom": "kW",
}
_DIM_KIND: Mapping[str, str | None] = {
    "co2eq": "mass",
    "so2eq": "mass",
    "co": "mass",
    "water": "volume",
    "power_headroom": "power",
}

#: Default ω_e: every burden dimension counts equally; power headroom is a limit, not a burden.
DEFAULT_WEIGHTS: Mapping[str, float] = {
    d: (0.0 if d == "power_headroom" else 1.0) for d in DIMENSIONS
}


@dataclass(frozen=True)
class ZoneCap:
    """ORCA's Cap_e(zone): the burden of dimension ``dim`` in ``zone`` may not exceed ``limit``.

    ``scope`` "horizon": the sum over all workloads and slots of the plan;
    "day": per UTC day; "workload": each workload's own I_e (ORCA's single-job
    constraint I_e(d, τ) ≤ Cap_e(zone(d, e))). ``unit`` is :data:`BURDEN_UNITS`.
    """

    dim: str
    zone: str
    limit: float
    unit: str
    scope: Literal["horizon", "day", "workload"] = "horizon"


@dataclass(frozen=True, eq=False)
class Caps:
    """All hard caps of an instance (empty = uncapped). See the module docstring."""

    site_power_kw: Mapping[str, float] = field(default_factory=dict)
    site_water_l_per_day: Mapping[str, float] = field(default_factory=dict)
    zone_carbon_g_per_day: Mapping[str, float] = field(default_factory=dict)
    total_carbon_g_per_day: float | None = None
    zone_caps: tuple[ZoneCap, ...] = ()
    source: str = "<caps>"

    def zone_cap(self, dim: str, zone: str, scope: str | None = None) -> ZoneCap | None:
        """The cap on ``dim`` in ``zone`` (of ``scope`` if given), None if uncapped."""
        for c in self.zone_caps:
            if c.dim == dim and c.zone == zone and (scope is None or c.scope == scope):
                return c
        return None

    @property
    def empty(self) -> bool:
        """True when nothing is capped."""
        return not (
            self.site_power_kw
            or self.site_water_l_per_day
            or self.zone_carbon_g_per_day
            or self.total_carbon_g_per_day is not None
            or self.zone_caps
        )


@dataclass(frozen=True, eq=False)
class Weights:
    """Objective weights ω_e per dimension (missing dimensions weigh :data:`DEFAULT_WEIGHTS`)."""

    values: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))

    def get(self, dim: str) -> float:
        """ω of ``dim``."""
        return float(self.values.get(dim, DEFAULT_WEIGHTS.get(dim, 0.0)))


@dataclass(frozen=True, eq=False)
class Scales:
    """Normalisation scales s_e (signal units, e.g. g/kWh) so that I_e/s_e is in kWh-equivalents.

    Use :func:`default_scales` for the documented default (the mean of the signal).
    """

    values: Mapping[str, float]

    def get(self, dim: str) -> float:
        """s of ``dim`` (KeyError when not set)."""
        return float(self.values[dim])


def default_scales(signals: Signals, given: Scales | None = None) -> Scales:
    """s_e = mean of dimension e over all regions and slots (1.0 if that mean is 0).

    Values in ``given`` win. Dividing a burden Σ kWh·g by the mean intensity
    gives "kWh at average intensity", so dimensions become comparable.
    """
    out: dict[str, float] = {}
    for dim in signals.dims:
        vals = [v for r in signals.regions if signals.has(r, dim) for v in signals.series(r, dim)]
        mean = float(sum(vals) / len(vals)) if vals else 0.0
        out[dim] = abs(mean) if mean != 0 else 1.0
    if given is not None:
        out.update(given.values)
    return Scales(out)


def _mapping(doc: Any, source: str, field: str) -> Mapping[str, Any]:
    if doc is None:
        return {}
    if not isinstance(doc, Mapping):
        raise InputError(source, field, doc, "expected a mapping")
    return doc


def _zone_limit(dim: str, value: Any, source: str, field: str) -> float:
    kind = _DIM_KIND.get(dim)
    if kind is None:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value < 0
        ):
            raise InputError(source, field, value, f"expected a number >= 0 in {BURDEN_UNITS[dim]}")
        return float(value)
    return parse_quantity(value, kind, source=source, field=field)


def caps_from_dict(
    doc: Any,
    source: str = "<caps>",
    *,
    sites: Iterable[str] | None = None,
    regions: Iterable[str] | None = None,
) -> Caps:
    """Build :class:`Caps` from a parsed document (see :func:`load_caps` for the layout).

    With ``sites`` / ``regions`` given, every site key and zone is validated.
    """
    top = _mapping(doc, source, "$")
    known = {"site_power", "site_water_per_day", "carbon_per_day", "zone_caps"}
    for key in top:
        if key not in known:
            raise InputError(source, str(key), top[key], f"expected a key in {sorted(known)}")
    site_set = set(sites) if sites is not None else None
    region_set = set(regions) if regions is not None else None

    def site_ok(name: str, fld: str) -> None:
        if site_set is not None and name not in site_set:
            raise InputError(source, fld, name, f"expected a site in {sorted(site_set)}")

    def region_ok(name: str, fld: str) -> None:
        if region_set is not None and name not in region_set:
            raise InputError(source, fld, name, f"expected a zone in {sorted(region_set)}")

    power: dict[str, float] = {}
    for k, v in _mapping(top.get("site_power"), source, "site_power").items():
        site_ok(str(k), f"site_power.{k}")
        power[str(k)] = parse_quantity(v, "power", source=source, field=f"site_power.{k}")
    water: dict[str, float] = {}
    for k, v in _mapping(top.get("site_water_per_day"), source, "site_water_per_day").items():
        site_ok(str(k), f"site_water_per_day.{k}")
        water[str(k)] = parse_quantity(v, "volume", source=source, field=f"site_water_per_day.{k}")
    carbon: dict[str, float] = {}
    total: float | None = None
    for k, v in _mapping(top.get("carbon_per_day"), source, "carbon_per_day").items():
        q = parse_quantity(v, "mass", source=source, field=f"carbon_per_day.{k}")
        if str(k) == "total":
            total = q
        else:
            region_ok(str(k), f"carbon_per_day.{k}")
            carbon[str(k)] = q
    zone_caps = _zone_caps(top.get("zone_caps"), source, site_ok, region_ok)
    return Caps(power, water, carbon, total, zone_caps, source)


def _zone_caps(raw: Any, source: str, site_ok: Any, region_ok: Any) -> tuple[ZoneCap, ...]:
    entries: list[tuple[str, dict[str, Any]]] = []
    if isinstance(raw, list):
        for i, item in enumerate(raw):
            entries.append((f"zone_caps[{i}]", dict(_mapping(item, source, f"zone_caps[{i}]"))))
    else:
        for dim, zones in _mapping(raw, source, "zone_caps").items():
            for zone, limit in _mapping(zones, source, f"zone_caps.{dim}").items():
                entries.append(
                    (f"zone_caps.{dim}.{zone}", {"dimension": dim, "zone": zone, "limit": limit})
                )
    out: list[ZoneCap] = []
    for fld, item in entries:
        dim = str(item.get("dimension", ""))
        if dim not in ZONES or dim == "power_headroom":
            raise InputError(
                source,
                f"{fld}.dimension",
                dim or None,
                f"expected one of {', '.join(d for d in DIMENSIONS[:-1])}",
            )
        zone = str(item.get("zone", "global" if ZONES[dim] == "global" else ""))
        kind = ZONES[dim]
        if kind == "global" and zone != "global":
            raise InputError(source, f"{fld}.zone", zone, f"expected 'global' for {dim}")
        if kind == "production":
            region_ok(zone, f"{fld}.zone")
        if kind == "datacentre":
            site_ok(zone, f"{fld}.zone")
        if not zone:
            raise InputError(source, f"{fld}.zone", None, "expected a zone")
        scope = item.get("scope", "horizon")
        if scope not in ("horizon", "day", "workload"):
            raise InputError(source, f"{fld}.scope", scope, "expected horizon, day or workload")
        if "limit" not in item:
            raise InputError(source, f"{fld}.limit", None, "expected a limit")
        limit = _zone_limit(dim, item["limit"], source, f"{fld}.limit" if "[" in fld else fld)
        out.append(ZoneCap(dim, zone, limit, BURDEN_UNITS[dim], scope))
    return tuple(out)


def load_caps(
    path: str | Path, *, sites: Iterable[str] | None = None, regions: Iterable[str] | None = None
) -> Caps:
    """Load caps from YAML/JSON.

    Layout (every section optional)::

        site_power: {dc-fra: 120 kW, dc-tyo: 2 MW}      # per slot
        site_water_per_day: {dc-fra: 3000 L}
        carbon_per_day: {DE: 5 t, total: 500 kg}         # zone = grid region
        zone_caps:                                       # ORCA Cap_e(zone)
          co2eq: {global: 1 kg}
          so2eq: {DE: 2 g}
          no2: {dc-fra: 50}                              # µg/m³·kWh
        # or: zone_caps: [{dimension: no2, zone: dc-fra, limit: 50, scope: workload}]
    """
    source, doc = read_document(path)
    return caps_from_dict(doc, source, sites=sites, regions=regions)


def _dim_numbers(doc: Any, source: str, section: str, positive: bool) -> dict[str, float]:
    out: dict[str, float] = {}
    for k, v in _mapping(doc, source, section or "$").items():
        fld = f"{section}.{k}" if section else str(k)
        if str(k) not in ZONES:
            raise InputError(source, fld, k, f"expected a dimension in {', '.join(DIMENSIONS)}")
        ok = not isinstance(v, bool) and isinstance(v, int | float) and math.isfinite(v)
        if not ok or v < 0 or (positive and v == 0):
            raise InputError(source, fld, v, f"expected a number {'> 0' if positive else '>= 0'}")
        out[str(k)] = float(v)
    return out


def load_weights(path: str | Path) -> Weights:
    """ω_e from YAML/JSON: ``{weights: {co2eq: 1, no2: 0.5}}`` or flat ``{co2eq: 1}``.

    Dimensions not given keep :data:`DEFAULT_WEIGHTS`.
    """
    source, doc = read_document(path)
    top = _mapping(doc, source, "$")
    if "weights" in top or "scales" in top:
        given = _dim_numbers(top.get("weights"), source, "weights", positive=False)
    else:
        given = _dim_numbers(top, source, "", positive=False)
    return Weights({**DEFAULT_WEIGHTS, **given})


def load_scales(path: str | Path) -> Scales | None:
    """s_e from the ``scales:`` section of the weights file (None when absent)."""
    source, doc = read_document(path)
    top = _mapping(doc, source, "$")
    if "scales" not in top:
        return None
    return Scales(_dim_numbers(top["scales"], source, "scales", positive=True))


def with_site_caps(caps: Caps, sites: Iterable[Any]) -> Caps:
    """Add the power/water caps the network's sites declare (``power_cap_kw``,
    ``water_cap_l_per_day``); values in ``caps`` win."""
    power = dict(caps.site_power_kw)
    water = dict(caps.site_water_l_per_day)
    for s in sites:
        if getattr(s, "power_cap_kw", None) is not None:
            power.setdefault(s.id, float(s.power_cap_kw))
        if getattr(s, "water_cap_l_per_day", None) is not None:
            water.setdefault(s.id, float(s.water_cap_l_per_day))
    return replace(caps, site_power_kw=power, site_water_l_per_day=water)
