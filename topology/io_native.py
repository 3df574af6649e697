"""fsor's own network description (JSON or YAML), parsed from a loaded document.

The format is documented in ``docs/network.md``. Sections: ``name``,
``format`` (``"fsor-network/1"``), ``grid``, ``energy``, ``roadms``,
``transponders``, ``amplifiers``, ``sites``, ``fibres``, ``demands``. Unknown
sections or fields are errors (they are usually typos).

>>> inv = parse_native({"name": "n", "roadms": [{"id": "a"}, {"id": "b"}],
...                     "fibres": [{"id": "f", "a": "a", "b": "b", "length_km": 200}]},
...                    "n.yaml")
>>> f = inv.fibre("f"); (f.spans, f.amplifiers, inv.roadm("a").degrees)
(3, 2, ('f',))
>>> to_native(inv)["fibres"][0]["length_km"]
200.0
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from topology.errors import InputError
from topology.io_common import (
    derive_spans,
    field_float,
    field_int,
    field_str,
    opt_float,
    require_keys,
)
from topology.model import (
    Amplifier,
    ChannelGrid,
    Demand,
    EnergyParams,
    Fibre,
    Inventory,
    Roadm,
    Site,
    TransceiverMode,
    Transponder,
)
from topology.validate import check

__all__ = ["FORMAT", "parse_native", "to_native"]

FORMAT = "fsor-network/1"
_TOP = {"name", "format", "grid", "energy", "roadms", "transponders", "amplifiers", "sites"}
_TOP |= {"fibres", "demands", "description"}


def _list(doc: Mapping[str, Any], key: str, source: str) -> Sequence[Any]:
    v = doc.get(key, [])
    if v is None:
        return []
    if not isinstance(v, list):
        raise InputError(source, key, v, "expected a list")
    return v


def _eid(d: Any, key: str, i: int, source: str, allowed: set[str]) -> tuple[Mapping[str, Any], str]:
    obj = require_keys(d, allowed, source, f"{key}[{i}]")
    return obj, field_str(obj, "id", source, f"{key}[{i}]")


def _grid(d: Any, source: str, prefix: str, default: ChannelGrid) -> ChannelGrid:
    if d is None:
        return default
    g = require_keys(d, {"count", "spacing_ghz", "anchor_thz", "first_index"}, source, prefix)
    return ChannelGrid(
        count=field_int(g, "count", source, prefix, default.count),
        spacing_ghz=field_float(g, "spacing_ghz", source, prefix, default.spacing_ghz),
        anchor_thz=field_float(g, "anchor_thz", source, prefix, default.anchor_thz),
        first_index=field_int(g, "first_index", source, prefix, default.first_index),
    )


def _mode(d: Any, source: str, prefix: str) -> TransceiverMode:
    allowed = {"name", "line_rate_gbps", "reach_km", "power_w", "modulation", "baud_gbd"}
    m = require_keys(d, allowed, source, prefix)
    return TransceiverMode(
        name=field_str(m, "name", source, prefix),
        line_rate_gbps=field_float(m, "line_rate_gbps", source, prefix),
        reach_km=field_float(m, "reach_km", source, prefix),
        power_w=field_float(m, "power_w", source, prefix),
        modulation=str(m.get("modulation", "")),
        baud_gbd=field_float(m, "baud_gbd", source, prefix, 0.0),
    )


def _energy(d: Any, source: str) -> EnergyParams:
    base = EnergyParams()
    if d is None:
        return base
    allowed = {"amplifier_w", "roadm_degree_w", "roadm_base_w", "share_line_equipment", "modes"}
    e = require_keys(d, allowed, source, "energy")
    modes = base.modes
    if e.get("modes") is not None:
        if not isinstance(e["modes"], list):
            raise InputError(source, "energy.modes", e["modes"], "expected a list of modes")
        modes = tuple(_mode(m, source, f"energy.modes[{i}]") for i, m in enumerate(e["modes"]))
    share = e.get("share_line_equipment", base.share_line_equipment)
    if not isinstance(share, bool):
        raise InputError(source, "energy.share_line_equipment", share, "expected true or false")
    return EnergyParams(
        amplifier_w=field_float(e, "amplifier_w", source, "energy", base.amplifier_w),
        roadm_degree_w=field_float(e, "roadm_degree_w", source, "energy", base.roadm_degree_w),
        roadm_base_w=field_float(e, "roadm_base_w", source, "energy", base.roadm_base_w),
        share_line_equipment=share,
        modes=modes,
    )


def _ints(v: Any, source: str, where: str) -> frozenset[int]:
    if v is None:
        return frozenset()
    if not isinstance(v, list) or any(isinstance(x, bool) or not isinstance(x, int) for x in v):
        raise InputError(source, where, v, "expected a list of channel numbers")
    return frozenset(v)


def _fibres(doc: Mapping[str, Any], source: str, grid: ChannelGrid) -> tuple[Fibre, ...]:
    out = []
    allowed = {"id", "a", "b", "length_km", "spans", "amplifiers", "grid", "occupied", "span_km"}
    for i, d in enumerate(_list(doc, "fibres", source)):
        f, fid = _eid(d, "fibres", i, source, allowed)
        p = f"fibres[{fid}]"
        length = field_float(f, "length_km", source, p)
        if length < 0:
            raise InputError(source, f"{p}.length_km", length, "expected a length >= 0 km")
        spans0, _ = derive_spans(length, field_float(f, "span_km", source, p, 80.0))
        spans = field_int(f, "spans", source, p, spans0)
        out.append(
            Fibre(
                id=fid,
                a=field_str(f, "a", source, p),
                b=field_str(f, "b", source, p),
                length_km=length,
                spans=spans,
                amplifiers=field_int(f, "amplifiers", source, p, max(spans - 1, 0)),
                grid=_grid(f.get("grid"), source, f"{p}.grid", grid),
                occupied=_ints(f.get("occupied"), source, f"{p}.occupied"),
            )
        )
    return tuple(out)


def _roadms(doc: Mapping[str, Any], source: str, fibres: tuple[Fibre, ...]) -> tuple[Roadm, ...]:
    out = []
    allowed = {"id", "name", "region", "add_drop_ports", "lat", "lon", "degrees"}
    for i, d in enumerate(_list(doc, "roadms", source)):
        r, rid = _eid(d, "roadms", i, source, allowed)
        p = f"roadms[{rid}]"
        degrees = r.get("degrees")
        if degrees is None:
            degrees = [f.id for f in fibres if rid in (f.a, f.b)]
        elif not isinstance(degrees, list) or not all(isinstance(x, str) for x in degrees):
            raise InputError(source, f"{p}.degrees", degrees, "expected a list of fibre ids")
        out.append(
            Roadm(
                id=rid,
                degrees=tuple(degrees),
                add_drop_ports=field_int(r, "add_drop_ports", source, p, 16),
                name=field_str(r, "name", source, p, ""),
                region=field_str(r, "region", source, p, ""),
                lat=opt_float(r, "lat", source, p),
                lon=opt_float(r, "lon", source, p),
            )
        )
    return tuple(out)


def _transponders(
    doc: Mapping[str, Any], source: str, energy: EnergyParams
) -> tuple[Transponder, ...]:
    out = []
    allowed = {"id", "roadm", "line_ports", "modes", "freq_range_thz"}
    for i, d in enumerate(_list(doc, "transponders", source)):
        t, tid = _eid(d, "transponders", i, source, allowed)
        p = f"transponders[{tid}]"
        names = t.get("modes")
        modes: tuple[TransceiverMode, ...] = ()
        if names is not None:
            if not isinstance(names, list):
                raise InputError(source, f"{p}.modes", names, "expected a list of mode names")
            try:
                modes = tuple(energy.mode(n) for n in names)
            except InputError as exc:
                raise InputError(source, f"{p}.modes", exc.value, exc.expected) from None
        rng = t.get("freq_range_thz", [191.35, 196.10])
        if not (
            isinstance(rng, list) and len(rng) == 2 and all(isinstance(x, int | float) for x in rng)
        ):
            raise InputError(source, f"{p}.freq_range_thz", rng, "expected [low_thz, high_thz]")
        out.append(
            Transponder(
                id=tid,
                roadm=field_str(t, "roadm", source, p),
                line_ports=field_int(t, "line_ports", source, p, 1),
                modes=modes,
                freq_range_thz=(float(rng[0]), float(rng[1])),
            )
        )
    return tuple(out)


def _amplifiers(doc: Mapping[str, Any], source: str) -> tuple[Amplifier, ...]:
    out = []
    for i, d in enumerate(_list(doc, "amplifiers", source)):
        a, aid = _eid(
            d, "amplifiers", i, source, {"id", "fibre", "gain_db", "power_w", "position_km"}
        )
        p = f"amplifiers[{aid}]"
        out.append(
            Amplifier(
                id=aid,
                fibre=field_str(a, "fibre", source, p),
                gain_db=field_float(a, "gain_db", source, p, 20.0),
                power_w=opt_float(a, "power_w", source, p),
                position_km=opt_float(a, "position_km", source, p),
            )
        )
    return tuple(out)


def _sites(doc: Mapping[str, Any], source: str) -> tuple[Site, ...]:
    out = []
    allowed = {"id", "roadm", "region", "pue", "wue_l_per_kwh", "power_cap_kw"}
    allowed |= {"water_cap_l_per_day", "name"}
    for i, d in enumerate(_list(doc, "sites", source)):
        s, sid = _eid(d, "sites", i, source, allowed)
        p = f"sites[{sid}]"
        out.append(
            Site(
                id=sid,
                roadm=field_str(s, "roadm", source, p),
                region=field_str(s, "region", source, p),
                pue=field_float(s, "pue", source, p, 1.2),
                wue_l_per_kwh=field_float(s, "wue_l_per_kwh", source, p, 1.8),
                power_cap_kw=opt_float(s, "power_cap_kw", source, p),
                water_cap_l_per_day=opt_float(s, "water_cap_l_per_day", source, p),
                name=field_str(s, "name", source, p, ""),
            )
        )
    return tuple(out)


def _demands(doc: Mapping[str, Any], source: str) -> tuple[Demand, ...]:
    out = []
    for i, d in enumerate(_list(doc, "demands", source)):
        x, did = _eid(d, "demands", i, source, {"id", "source", "target", "value", "unit"})
        p = f"demands[{did}]"
        out.append(
            Demand(
                id=did,
                source=field_str(x, "source", source, p),
                target=field_str(x, "target", source, p),
                value=field_float(x, "value", source, p),
                unit=field_str(x, "unit", source, p, "Gbps"),
            )
        )
    return tuple(out)


def parse_native(doc: Any, source: str) -> Inventory:
    """An :class:`Inventory` from a parsed fsor network document (validated)."""
    top = require_keys(doc, _TOP, source, "")
    fmt = top.get("format", FORMAT)
    if fmt != FORMAT:
        raise InputError(source, "format", fmt, f"expected {FORMAT!r}")
    energy = _energy(top.get("energy"), source)
    grid = _grid(top.get("grid"), source, "grid", ChannelGrid())
    fibres = _fibres(top, source, grid)
    inv = Inventory(
        name=field_str(top, "name", source, "", source),
        roadms=_roadms(top, source, fibres),
        transponders=_transponders(top, source, energy),
        amplifiers=_amplifiers(top, source),
        sites=_sites(top, source),
        fibres=fibres,
        energy=energy,
        demands=_demands(top, source),
    )
    return check(inv, source)


def to_native(inventory: Inventory) -> dict[str, Any]:
    """The fsor network document of ``inventory`` (round-trips through :func:`parse_native`)."""
    inv = inventory
    e = inv.energy
    return {
        "format": FORMAT,
        "name": inv.name,
        "energy": {
            "amplifier_w": e.amplifier_w,
            "roadm_degree_w": e.roadm_degree_w,
            "roadm_base_w": e.roadm_base_w,
            "share_line_equipment": e.share_line_equipment,
            "modes": [asdict(m) for m in e.modes],
        },
        "roadms": [
            {k: v for k, v in asdict(r).items() if v not in (None, "")}
            | {"degrees": list(r.degrees)}
            for r in inv.roadms
        ],
        "transponders": [
            {
                "id": t.id,
                "roadm": t.roadm,
                "line_ports": t.line_ports,
                "modes": [m.name for m in t.modes] if t.modes else None,
                "freq_range_thz": list(t.freq_range_thz),
            }
            for t in inv.transponders
        ],
        "amplifiers": [asdict(a) for a in inv.amplifiers],
        "sites": [{k: v for k, v in asdict(s).items() if v != ""} for s in inv.sites],
        "fibres": [
            {
                "id": f.id,
                "a": f.a,
                "b": f.b,
                "length_km": f.length_km,
                "spans": f.spans,
                "amplifiers": f.amplifiers,
                "grid": asdict(f.grid),
                "occupied": sorted(f.occupied),
            }
            for f in inv.fibres
        ],
        "demands": [asdict(d) for d in inv.demands],
    }
