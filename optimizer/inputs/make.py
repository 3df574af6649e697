"""Make a program :class:`~optimizer.inputs.instance.Instance` from the project's input types.

Inputs: a topology :class:`~topology.model.Inventory`, a
:class:`~optimizer.inputs.signal_series.Signals` grid, workloads
(:class:`~optimizer.inputs.workloads.Workload`), :class:`~optimizer.inputs.caps.Caps`, and
the objective's :class:`~optimizer.inputs.caps.Weights` / :class:`~optimizer.inputs.caps.Scales`.

>>> from optimizer.inputs.signals import default_signals
>>> from optimizer.inputs.workloads import default_workloads
>>> from topology.io import default_inventory
>>> inst = make_instance(default_inventory(), default_signals(), default_workloads())
>>> len(inst.slots), [s.id for s in inst.sites], inst.classes[0].profile_kwh
(24, ['dc-fra', 'dc-tyo', 'dc-sjc'], (0.00690528,))
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np

from optimizer.inputs.caps import Caps, Scales, Weights, default_scales, with_site_caps
from optimizer.inputs.instance import (
    BURDEN_DIMS,
    CapSpec,
    Filled,
    Instance,
    JobClass,
    SiteSpec,
    zone_key,
)
from optimizer.inputs.instance import Weights as ProgramWeights
from optimizer.inputs.network import network_data
from optimizer.inputs.signal_series import Signals
from optimizer.inputs.workloads import Workload
from topology.build import build
from topology.errors import InputError
from topology.model import Inventory

__all__ = ["cap_spec", "classes_of", "make_instance"]


def classes_of(
    workloads: Sequence[Workload], signals: Signals, site_ids: Sequence[str]
) -> tuple[JobClass, ...]:
    """Group identical workloads (origin, per-slot profile, sites, window, volume)."""
    groups: dict[tuple[str, tuple[float, ...], tuple[str, ...], int, int, float], list[str]]
    groups = defaultdict(list)
    for w in workloads:
        prof = w.energy_per_slot(signals.slot_hours)
        if len(prof) > len(signals.slots):
            raise InputError(
                w.source,
                f"{w.ref or w.id}.duration",
                w.duration_s,
                f"expected a workload that fits the {len(signals.slots)}-slot horizon",
            )
        window = w.start_window(signals.slots, signals.slot_hours)
        sites = tuple(w.allowed_sites) if w.allowed_sites else tuple(site_ids)
        for j, s in enumerate(sites):
            if s not in site_ids:
                raise InputError(
                    w.source,
                    f"{w.ref or w.id}.allowed_sites[{j}]",
                    s,
                    f"expected one of {site_ids}",
                )
        key = (
            w.origin,
            prof,
            sites,
            window.start,
            window.stop - 1 + len(prof),
            w.data_in_gb + w.data_out_gb,
        )
        groups[key].append(w.id)
    return tuple(
        JobClass(tuple(ids), k[0], k[1], k[2], k[3], k[4], k[5]) for k, ids in groups.items()
    )


def cap_spec(caps: Caps) -> CapSpec:
    """The program's :class:`CapSpec` from :class:`optimizer.inputs.caps.Caps`."""
    per_day: dict[tuple[str, str], float] = {}
    horizon: dict[tuple[str, str], float] = {}
    per_job: dict[tuple[str, str], float] = {}
    for zc in caps.zone_caps:
        target = {"day": per_day, "horizon": horizon, "workload": per_job}[zc.scope]
        target[(zc.dim, zc.zone)] = zc.limit
    return CapSpec(
        power_kw=dict(caps.site_power_kw),
        water_l_per_day=dict(caps.site_water_l_per_day),
        carbon_g_per_day=dict(caps.zone_carbon_g_per_day),
        carbon_total_g_per_day=caps.total_carbon_g_per_day,
        zone_per_day=per_day,
        zone_horizon=horizon,
        per_job=per_job,
    )


def _check_cap_signals(
    caps: Caps, sites: Sequence[SiteSpec], signal: Mapping[tuple[str, str], np.ndarray]
) -> None:
    """A signal-weighted cap needs its dimension's signal at every site of its zone:
    otherwise a clear error naming the cap and the sites."""
    need: list[tuple[str, str, list[SiteSpec]]] = [
        (f"zone_carbon_g_per_day[{z}]", "co2eq", [s for s in sites if s.region == z])
        for z in caps.zone_carbon_g_per_day
    ]
    if caps.total_carbon_g_per_day is not None:
        need.append(("total_carbon_g_per_day", "co2eq", list(sites)))
    for zc in caps.zone_caps:
        if zc.scope != "workload":
            members = [s for s in sites if zone_key(zc.dim, s) == zc.zone]
            need.append((f"zone_caps[{zc.dim}@{zc.zone}]", zc.dim, members))
    for field_, dim, members in need:
        missing = [s.id for s in members if (s.id, dim) not in signal]
        if missing:
            raise InputError(
                caps.source,
                field_,
                dim,
                f"a signal for {dim} at every site it caps (none for {', '.join(missing)})",
            )


def make_instance(
    inventory: Inventory,
    signals: Signals,
    workloads: Sequence[Workload],
    caps: Caps | None = None,
    weights: Weights | None = None,
    scales: Scales | None = None,
    *,
    k: int = 3,
    site_caps: bool = True,
) -> Instance:
    """The slot-resolved program input. ``site_caps``: add the inventory's site power/water caps."""
    if not inventory.sites:
        raise InputError(inventory.name, "sites", 0, "expected at least one data-centre site")
    caps = caps or Caps()
    if site_caps:
        caps = with_site_caps(caps, inventory.sites)
    sites = tuple(
        SiteSpec(s.id, s.roadm, s.region, s.pue, s.wue_l_per_kwh) for s in inventory.sites
    )
    site_ids = [s.id for s in sites]
    graph = build(inventory)
    for w in workloads:
        if w.origin not in graph:
            raise InputError(
                w.source, f"{w.ref or w.id}.origin", w.origin, "expected a node of the network"
            )
    signal: dict[tuple[str, str], np.ndarray] = {}
    for s in sites:
        if not any(signals.has(s.region, d) for d in BURDEN_DIMS):
            raise InputError(
                signals.source,
                "regions",
                s.region,
                f"expected signals for region {s.region} of site {s.id} (have {signals.regions})",
            )
        for d in (*BURDEN_DIMS, "power_headroom"):
            if signals.has(s.region, d):
                signal[(s.id, d)] = signals.series(s.region, d)
    _check_cap_signals(caps, sites, signal)
    classes = classes_of(workloads, signals, site_ids)
    net = network_data(graph, [c.origin for c in classes], site_ids, k=k)
    omega = weights or Weights()
    sc = default_scales(signals, scales)
    dims = [d for d in BURDEN_DIMS if all((s.id, d) in signal for s in sites)]
    pw = ProgramWeights(
        weight={d: omega.get(d) for d in dims}, scale={d: sc.values.get(d, 1.0) for d in dims}
    )
    regions = {s.region for s in sites}
    filled = tuple(
        Filled(f.region, f.dim, f.slot.isoformat(), f.value, f.method)
        for f in signals.filled
        if f.region in regions
    )
    return Instance(
        slots=signals.slots,
        slot_hours=signals.slot_hours,
        sites=sites,
        signal=signal,
        classes=classes,
        network=net,
        caps=cap_spec(caps),
        weights=pw,
        filled=filled,
    )
