"""Consistency checks of an :class:`~topology.model.Inventory` (pure).

:func:`check` raises :class:`~topology.errors.InputError` naming the source,
the element (``kind[id].field``) and the value for the first problem found.
Loaders call it before returning, and :func:`topology.build.build` calls it
again, so nothing half-built escapes.

>>> from topology.model import Fibre, Inventory, Roadm
>>> inv = Inventory("x", (Roadm("r1"),), fibres=(Fibre("f1", "r1", "r9", 10.0),))
>>> check(inv, "net.json")
Traceback (most recent call last):
...
topology.errors.InputError: net.json: fibres[f1].b: expected the id of a ROADM, got 'r9'
"""

from __future__ import annotations

import math
from collections import Counter

from topology.errors import InputError
from topology.model import Inventory

__all__ = ["check"]


def _finite_nonneg(x: float) -> bool:
    return isinstance(x, int | float) and math.isfinite(x) and x >= 0


def _check_ids(inv: Inventory, source: str) -> None:
    seen: dict[str, str] = {}
    groups = (
        ("roadms", inv.roadms),
        ("transponders", inv.transponders),
        ("amplifiers", inv.amplifiers),
        ("sites", inv.sites),
        ("fibres", inv.fibres),
    )
    for kind, items in groups:
        for item in items:
            if not isinstance(item.id, str) or not item.id:
                raise InputError(source, f"{kind}[].id", item.id, "expected a non-empty string id")
            if item.id in seen:
                raise InputError(
                    source,
                    f"{kind}[{item.id}].id",
                    item.id,
                    f"expected a unique id (already used by {seen[item.id]})",
                )
            seen[item.id] = kind


def _check_fibres(inv: Inventory, source: str) -> None:
    roadms = {r.id for r in inv.roadms}
    pairs: dict[frozenset[str], str] = {}
    for f in inv.fibres:
        where = f"fibres[{f.id}]"
        for end, node in (("a", f.a), ("b", f.b)):
            if node not in roadms:
                raise InputError(source, f"{where}.{end}", node, "expected the id of a ROADM")
        if f.a == f.b:
            raise InputError(source, f"{where}.b", f.b, "expected a different ROADM than a")
        if not _finite_nonneg(f.length_km):
            raise InputError(source, f"{where}.length_km", f.length_km, "expected a length >= 0 km")
        if not isinstance(f.spans, int) or f.spans < 1:
            raise InputError(source, f"{where}.spans", f.spans, "expected an integer >= 1")
        if not isinstance(f.amplifiers, int) or f.amplifiers < 0:
            raise InputError(
                source, f"{where}.amplifiers", f.amplifiers, "expected an integer >= 0"
            )
        bad = sorted(ch for ch in f.occupied if not 0 <= ch < f.grid.count)
        if bad:
            raise InputError(
                source, f"{where}.occupied", bad[0], f"expected channels in 0..{f.grid.count - 1}"
            )
        pair = frozenset((f.a, f.b))
        if pair in pairs:
            raise InputError(
                source,
                f"{where}.b",
                f.b,
                f"expected one fibre pair per ROADM pair ({pairs[pair]} already joins "
                f"{f.a} and {f.b})",
            )
        pairs[pair] = f.id


def _check_roadms(inv: Inventory, source: str) -> None:
    by_id = {f.id: f for f in inv.fibres}
    for r in inv.roadms:
        if not isinstance(r.add_drop_ports, int) or r.add_drop_ports < 0:
            raise InputError(
                source,
                f"roadms[{r.id}].add_drop_ports",
                r.add_drop_ports,
                "expected an integer >= 0",
            )
        for d in r.degrees:
            f = by_id.get(d)
            if f is None or r.id not in (f.a, f.b):
                raise InputError(
                    source, f"roadms[{r.id}].degrees", d, "expected the id of a fibre ending here"
                )


def _check_attached(inv: Inventory, source: str) -> None:
    roadms = {r.id for r in inv.roadms}
    for t in inv.transponders:
        if t.roadm not in roadms:
            raise InputError(
                source, f"transponders[{t.id}].roadm", t.roadm, "expected the id of a ROADM"
            )
        if not isinstance(t.line_ports, int) or t.line_ports < 1:
            raise InputError(
                source, f"transponders[{t.id}].line_ports", t.line_ports, "expected an integer >= 1"
            )
        lo, hi = t.freq_range_thz
        if not lo <= hi:
            raise InputError(
                source,
                f"transponders[{t.id}].freq_range_thz",
                t.freq_range_thz,
                "expected lo <= hi",
            )
        for m in t.modes:
            if not (m.line_rate_gbps > 0 and _finite_nonneg(m.reach_km)):
                raise InputError(
                    source,
                    f"transponders[{t.id}].modes[{m.name}]",
                    m,
                    "expected rate > 0, reach >= 0",
                )
    for s in inv.sites:
        where = f"sites[{s.id}]"
        if s.roadm not in roadms:
            raise InputError(source, f"{where}.roadm", s.roadm, "expected the id of a ROADM")
        if not (_finite_nonneg(s.pue) and s.pue >= 1.0):
            raise InputError(source, f"{where}.pue", s.pue, "expected a PUE >= 1")
        if not _finite_nonneg(s.wue_l_per_kwh):
            raise InputError(source, f"{where}.wue_l_per_kwh", s.wue_l_per_kwh, "expected >= 0")
        for name in ("power_cap_kw", "water_cap_l_per_day"):
            cap = getattr(s, name)
            if cap is not None and not _finite_nonneg(cap):
                raise InputError(source, f"{where}.{name}", cap, "expected null or a value >= 0")


def _check_amplifiers(inv: Inventory, source: str) -> None:
    fibres = {f.id: f for f in inv.fibres}
    counts = Counter(a.fibre for a in inv.amplifiers)
    for a in inv.amplifiers:
        f = fibres.get(a.fibre)
        if f is None:
            raise InputError(source, f"amplifiers[{a.id}].fibre", a.fibre, "expected a fibre id")
        if a.power_w is not None and not _finite_nonneg(a.power_w):
            raise InputError(source, f"amplifiers[{a.id}].power_w", a.power_w, "expected >= 0 W")
        if counts[a.fibre] > f.amplifiers:
            raise InputError(
                source,
                f"fibres[{f.id}].amplifiers",
                f.amplifiers,
                f"expected at least the {counts[a.fibre]} amplifiers listed on it",
            )


def _check_energy(inv: Inventory, source: str) -> None:
    e = inv.energy
    for name in ("amplifier_w", "roadm_degree_w", "roadm_base_w"):
        v = getattr(e, name)
        if not _finite_nonneg(v):
            raise InputError(source, f"energy.{name}", v, "expected a power >= 0 W")
    if not e.modes:
        raise InputError(source, "energy.modes", e.modes, "expected at least one mode")
    for m in e.modes:
        if not (m.line_rate_gbps > 0 and _finite_nonneg(m.reach_km) and _finite_nonneg(m.power_w)):
            raise InputError(
                source, f"energy.modes[{m.name}]", m, "expected rate > 0, reach >= 0, power >= 0"
            )


def _check_demands(inv: Inventory, source: str) -> None:
    nodes = {r.id for r in inv.roadms} | {s.id for s in inv.sites}
    nodes |= {t.id for t in inv.transponders}
    for d in inv.demands:
        for end, node in (("source", d.source), ("target", d.target)):
            if node not in nodes:
                raise InputError(source, f"demands[{d.id}].{end}", node, "expected a node id")
        if not _finite_nonneg(d.value):
            raise InputError(source, f"demands[{d.id}].value", d.value, "expected a value >= 0")


def check(inventory: Inventory, source: str | None = None) -> Inventory:
    """Raise :class:`InputError` at the first inconsistency; return the inventory unchanged."""
    src = source or inventory.name or "inventory"
    _check_ids(inventory, src)
    _check_fibres(inventory, src)
    _check_roadms(inventory, src)
    _check_attached(inventory, src)
    _check_amplifiers(inventory, src)
    _check_energy(inventory, src)
    _check_demands(inventory, src)
    return inventory
