"""Workloads: energy profile, origin, allowed sites, time window, data volumes, variants.

A :class:`Workload` is non-migratory: it runs at one site from one slot start.
Its energy is a profile of ``profile_kwh[i]`` over consecutive intervals of
``interval_s`` seconds (power uniform within an interval); "energy + duration"
is the one-interval profile. :meth:`Workload.energy_per_slot` spreads it over
planning slots u(0), u(1), … (the job starts at a slot boundary).

Time window: ``release`` is the earliest start, ``deadline`` the latest
*completion*. Each is a UTC ``datetime`` or an ``int`` slot offset into the
planning horizon: ``release=r`` allows starts at slot index ≥ r;
``deadline=d`` requires start + slots_needed ≤ d (the job is done by the start
of slot d). ``None`` means the horizon's start / end.

>>> w = default_workloads()[0]
>>> w.id, round(w.energy_kwh, 8), w.duration_s, w.data_in_gb, w.origin
('django-unit-tests', 0.00690528, 883.26, 0.0517, 'roadm-fra')
>>> w.slots_needed(1.0), w.energy_per_slot(1.0)
(1, (0.00690528,))
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import numpy as np

from optimizer.inputs.units import parse_quantity, read_document
from optimizer.inputs.workload_types import SciInputs, Variant, Workload, _show, _utc
from topology.errors import InputError

__all__ = [
    "DEFAULT_ORIGIN",
    "Variant",
    "Workload",
    "check_workloads",
    "default_workloads",
    "load_workloads",
    "synthetic_workloads",
    "workloads_from_dict",
]

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
#: Origin node of ORCA's case-study job in the default network (Frankfurt).
DEFAULT_ORIGIN = "roadm-fra"


def _when(v: Any, source: str, fld: str) -> datetime | int | None:
    if v is None:
        return None
    if isinstance(v, bool):
        raise InputError(source, fld, v, "expected an ISO-8601 time or a slot offset")
    if isinstance(v, int):
        if v < 0:
            raise InputError(source, fld, v, "expected a slot offset >= 0")
        return v
    if isinstance(v, datetime):
        return _utc(v)
    if isinstance(v, date):
        return datetime.combine(v, time(0), tzinfo=UTC)
    try:
        return _utc(datetime.fromisoformat(str(v)))
    except ValueError:
        raise InputError(source, fld, v, "expected an ISO-8601 time or a slot offset") from None


def _num(v: Any, source: str, fld: str, positive: bool = False) -> float:
    ok = not isinstance(v, bool) and isinstance(v, int | float) and math.isfinite(v)
    if not ok or v < 0 or (positive and v == 0):
        raise InputError(source, fld, v, f"expected a number {'> 0' if positive else '>= 0'}")
    return float(v)


def _variant(v: Mapping[str, Any], source: str, vf: str) -> Variant:
    """``{name, power_factor f, duration_factor g, value}`` (or legacy ``energy_factor``)."""
    known = {"name", "energy_factor", "power_factor", "duration_factor", "value"}
    for k in v:
        if k not in known:
            raise InputError(source, f"{vf}.{k}", v[k], f"expected a key in {sorted(known)}")
    if "energy_factor" in v and "power_factor" in v:
        raise InputError(
            source, f"{vf}.energy_factor", v["energy_factor"], "expected power_factor alone"
        )
    g = _num(v.get("duration_factor", 1.0), source, f"{vf}.duration_factor", positive=True)
    if "power_factor" in v:
        energy = _num(v["power_factor"], source, f"{vf}.power_factor", positive=True) * g
    else:
        energy = _num(v.get("energy_factor", 1.0), source, f"{vf}.energy_factor", positive=True)
    value = _num(v.get("value", 1.0), source, f"{vf}.value")
    if value > 1:
        raise InputError(source, f"{vf}.value", value, "expected a share of the full value <= 1")
    return Variant(str(v["name"]), energy, value, g)


def _sci(raw: Any, source: str, fld: str) -> SciInputs:
    """``{embodied: 1.5 t, lifespan_years: 4, resource_share: 1, functional_unit: 1,
    functional_unit_name: run}``, each optional (defaults: :class:`SciInputs`)."""
    if raw is None:
        return SciInputs()
    if not isinstance(raw, Mapping):
        raise InputError(source, fld, raw, "expected a mapping")
    known = {
        "embodied",
        "lifespan_years",
        "resource_share",
        "functional_unit",
        "functional_unit_name",
    }
    for k in raw:
        if k not in known:
            raise InputError(source, f"{fld}.{k}", raw[k], f"expected a key in {sorted(known)}")
    base = SciInputs()
    emb = base.embodied_g
    if "embodied" in raw:
        emb = parse_quantity(raw["embodied"], "mass", source=source, field=f"{fld}.embodied")
    life = base.lifespan_s
    if "lifespan_years" in raw:
        years = _num(raw["lifespan_years"], source, f"{fld}.lifespan_years", positive=True)
        life = years * 365 * 24 * 3600.0
    share = _num(raw.get("resource_share", 1.0), source, f"{fld}.resource_share", positive=True)
    if share > 1:
        raise InputError(source, f"{fld}.resource_share", share, "expected a share in (0, 1]")
    unit = _num(raw.get("functional_unit", 1.0), source, f"{fld}.functional_unit", positive=True)
    name = raw.get("functional_unit_name", base.unit_name)
    if not isinstance(name, str) or not name:
        raise InputError(source, f"{fld}.functional_unit_name", name, "expected a name")
    return SciInputs(emb, life, share, unit, name)


def _one(d: Mapping[str, Any], source: str, ref: str, seen: set[str]) -> Workload:
    known = {
        "id",
        "origin",
        "energy",
        "energy_kwh",
        "duration",
        "duration_s",
        "profile_kwh",
        "interval",
        "interval_s",
        "allowed_sites",
        "release",
        "deadline",
        "data_in",
        "data_in_gb",
        "data_out",
        "data_out_gb",
        "variants",
        "sci",
    }
    for k in d:
        if k not in known:
            raise InputError(source, f"{ref}.{k}", d[k], f"expected a key in {sorted(known)}")
    wid = d.get("id")
    if not isinstance(wid, str | int) or isinstance(wid, bool) or str(wid) == "":
        raise InputError(source, f"{ref}.id", wid, "expected a workload id")
    wid = str(wid)
    if wid in seen:
        raise InputError(source, f"{ref}.id", wid, "expected a unique workload id")
    origin = d.get("origin")
    if not isinstance(origin, str) or not origin:
        raise InputError(source, f"{ref}.origin", origin, "expected a network node id")

    def qty(keys: tuple[str, str], kind: str) -> float | None:
        unit_key, canon_key = keys
        if unit_key in d and canon_key in d:
            raise InputError(
                source, f"{ref}.{canon_key}", d[canon_key], f"expected only {unit_key}"
            )
        if unit_key in d:
            return parse_quantity(d[unit_key], kind, source=source, field=f"{ref}.{unit_key}")
        if canon_key in d:
            return _num(d[canon_key], source, f"{ref}.{canon_key}")
        return None

    energy = qty(("energy", "energy_kwh"), "energy")
    duration = qty(("duration", "duration_s"), "duration")
    interval = qty(("interval", "interval_s"), "duration")
    if "profile_kwh" in d:
        prof = d["profile_kwh"]
        if energy is not None or duration is not None:
            raise InputError(
                source,
                f"{ref}.profile_kwh",
                prof,
                "expected either profile_kwh + interval or energy + duration",
            )
        if not isinstance(prof, list) or not prof:
            raise InputError(source, f"{ref}.profile_kwh", prof, "expected a list of kWh")
        profile = tuple(_num(x, source, f"{ref}.profile_kwh[{j}]") for j, x in enumerate(prof))
        if interval is None or interval <= 0:
            raise InputError(
                source,
                f"{ref}.interval_s",
                d.get("interval_s", d.get("interval")),
                "expected an interval > 0 s for profile_kwh",
            )
    else:
        if energy is None:
            raise InputError(source, f"{ref}.energy", None, "expected energy (e.g. '6.9 Wh')")
        if duration is None or duration <= 0:
            raise InputError(
                source,
                f"{ref}.duration",
                d.get("duration", d.get("duration_s")),
                "expected a duration > 0 (e.g. '883.26 s')",
            )
        profile, interval = (energy,), duration
    sites = d.get("allowed_sites")
    if sites is not None and (
        not isinstance(sites, list) or not sites or not all(isinstance(s, str) and s for s in sites)
    ):
        raise InputError(source, f"{ref}.allowed_sites", sites, "expected a list of site ids")
    variants: list[Variant] = []
    raw_v = d.get("variants") or []
    if not isinstance(raw_v, list):
        raise InputError(source, f"{ref}.variants", raw_v, "expected a list")
    for j, v in enumerate(raw_v):
        vf = f"{ref}.variants[{j}]"
        if not isinstance(v, Mapping) or not isinstance(v.get("name"), str):
            raise InputError(source, f"{vf}.name", v, "expected {name, energy_factor, value}")
        variants.append(_variant(v, source, vf))
    release = _when(d.get("release"), source, f"{ref}.release")
    deadline = _when(d.get("deadline"), source, f"{ref}.deadline")
    if isinstance(release, datetime) and isinstance(deadline, datetime) and deadline <= release:
        raise InputError(source, f"{ref}.deadline", _show(deadline), "expected after release")
    return Workload(
        id=wid,
        origin=origin,
        profile_kwh=profile,
        interval_s=interval,
        allowed_sites=tuple(sites) if sites is not None else None,
        release=release,
        deadline=deadline,
        data_in_gb=qty(("data_in", "data_in_gb"), "data") or 0.0,
        data_out_gb=qty(("data_out", "data_out_gb"), "data") or 0.0,
        variants=tuple(variants),
        sci=_sci(d.get("sci"), source, f"{ref}.sci"),
        source=source,
        ref=ref,
    )


def workloads_from_dict(
    doc: Any,
    source: str = "<workloads>",
    *,
    nodes: Iterable[str] | None = None,
    sites: Iterable[str] | None = None,
) -> tuple[Workload, ...]:
    """Workloads from a parsed document: ``{workloads: [...]}`` or a bare list."""
    items = doc.get("workloads") if isinstance(doc, Mapping) else doc
    if not isinstance(items, list) or not items:
        raise InputError(
            source,
            "workloads",
            items if items is None else type(items).__name__,
            "expected a non-empty list of workloads",
        )
    seen: set[str] = set()
    out = []
    for i, d in enumerate(items):
        if not isinstance(d, Mapping):
            raise InputError(source, f"workloads[{i}]", d, "expected a mapping")
        w = _one(d, source, f"workloads[{i}]", seen)
        seen.add(w.id)
        out.append(w)
    result = tuple(out)
    check_workloads(result, nodes=nodes, sites=sites)
    return result


def check_workloads(
    workloads: Iterable[Workload],
    *,
    nodes: Iterable[str] | None = None,
    sites: Iterable[str] | None = None,
) -> None:
    """InputError for an origin not in ``nodes`` or an allowed site not in ``sites``."""
    node_set = set(nodes) if nodes is not None else None
    site_set = set(sites) if sites is not None else None
    for w in workloads:
        where = w.ref or f"workload {w.id}"
        if node_set is not None and w.origin not in node_set:
            raise InputError(
                w.source,
                f"{where}.origin",
                w.origin,
                f"expected a node of the network ({len(node_set)} nodes)",
            )
        for j, s in enumerate(w.allowed_sites or ()):
            if site_set is not None and s not in site_set:
                raise InputError(
                    w.source,
                    f"{where}.allowed_sites[{j}]",
                    s,
                    f"expected a site in {sorted(site_set)}",
                )


def load_workloads(
    path: str | Path, *, nodes: Iterable[str] | None = None, sites: Iterable[str] | None = None
) -> tuple[Workload, ...]:
    """Load workloads from YAML/JSON (see ``optimizer/data/default_workloads.yaml``).

    Quantities take units ("6.9 Wh", "883.26 s", "51.7 MB") or canonical
    numbers (``energy_kwh``, ``duration_s``, ``data_in_gb``). With ``nodes`` /
    ``sites`` the origins and allowed sites are validated.
    """
    source, doc = read_document(path)
    return workloads_from_dict(doc, source, nodes=nodes, sites=sites)


def default_workloads() -> tuple[Workload, ...]:
    """ORCA's case-study job: Django unit tests, 883.26 s, 6.90528 Wh, 51.70 MB in, 0 MB out."""
    return load_workloads(DATA_DIR / "default_workloads.yaml")


def synthetic_workloads(
    n: int,
    origins: Sequence[str],
    seed: int = 0,
    *,
    horizon: int = 24,
    slot_hours: float = 1.0,
    max_slots: int = 4,
    power_kw: tuple[float, float] = (5.0, 50.0),
    data_in_gb: tuple[float, float] = (10.0, 500.0),
    max_slack: int = 8,
    sites: Sequence[str] | None = None,
    sites_per_workload: int | None = None,
) -> tuple[Workload, ...]:
    """``n`` deterministic random workloads for benchmarks (numpy ``default_rng(seed)``).

    Per workload ``k`` (id ``w{k:04d}``): origin uniform over ``origins``;
    length L uniform in 1..``max_slots`` slots; power uniform in ``power_kw``
    (kW, so energy = power × L × slot_hours, one uniform interval); data in
    uniform in ``data_in_gb``, data out = 10 % of it; slack S uniform in
    0..``max_slack``; release r uniform in 0..horizon−L−S and deadline r+L+S
    (slot offsets). With ``sites`` and ``sites_per_workload``, allowed sites are
    a uniform sample of that many sites; otherwise all sites are allowed.

    >>> ws = synthetic_workloads(3, ["a", "b"], seed=1)
    >>> [w.id for w in ws], ws == synthetic_workloads(3, ["a", "b"], seed=1)
    (['w0000', 'w0001', 'w0002'], True)
    """
    if n < 0 or not origins or horizon < 1 or max_slots < 1 or max_slots > horizon:
        raise InputError(
            "synthetic_workloads",
            "n/origins/horizon/max_slots",
            (n, len(origins), horizon, max_slots),
            "expected n >= 0, origins, 1 <= max_slots <= horizon",
        )
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        length = int(rng.integers(1, max_slots + 1))
        slack = int(rng.integers(0, min(max_slack, horizon - length) + 1))
        release = int(rng.integers(0, horizon - length - slack + 1))
        power = float(rng.uniform(*power_kw))
        gb = float(rng.uniform(*data_in_gb))
        origin = origins[int(rng.integers(0, len(origins)))]
        allowed = None
        if sites is not None and sites_per_workload is not None:
            pick = rng.choice(len(sites), size=min(sites_per_workload, len(sites)), replace=False)
            allowed = tuple(sites[int(i)] for i in sorted(pick))
        out.append(
            Workload.uniform(
                f"w{k:04d}",
                origin,
                power * length * slot_hours,
                length * slot_hours * 3600.0,
                allowed_sites=allowed,
                release=release,
                deadline=release + length + slack,
                data_in_gb=gb,
                data_out_gb=0.1 * gb,
                source="synthetic",
                ref=f"workloads[{k}]",
            )
        )
    return tuple(out)
