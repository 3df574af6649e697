"""The service's planning inputs: network, signals, workloads and caps, validated and kept.

Each mutation parses with the loaders the CLI uses (so the same input is refused with the
same message), is written to the store, and only then replaces the value in memory. The
network is the default (or ``--network``) when the service manages no devices, else the
last discovered inventory (:mod:`controller.service.devices`).
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from controller.service.config import ServiceConfig
from controller.service.storage import ServiceStore
from optimizer.inputs.caps import Caps, caps_from_dict
from optimizer.inputs.signal_series import Signals
from optimizer.inputs.units import read_document
from optimizer.inputs.workloads import DATA_DIR, Workload, workloads_from_dict
from topology.errors import InputError
from topology.model import Inventory

__all__ = ["Inputs", "SignalShift", "load_signal_bytes", "signal_shift"]

log = logging.getLogger("fsor.service.inputs")
SIGNAL_FORMATS = {"application/json": ".json", "text/csv": ".csv", "application/csv": ".csv"}


@dataclass(frozen=True)
class SignalShift:
    """How far new signals moved from the old ones, per site (largest relative move)."""

    per_site: Mapping[str, float]
    structural: bool  # slots, regions or dimensions changed

    @property
    def largest(self) -> float:
        return max(self.per_site.values(), default=0.0)


def signal_shift(old: Signals, new: Signals, sites: Mapping[str, str]) -> SignalShift:
    """Largest relative move of any signal of each site (``sites``: site id → region).

    >>> from optimizer.inputs.signals import default_signals
    >>> s = default_signals()
    >>> signal_shift(s, s, {"dc-fra": "DE"}).largest
    0.0
    """
    if old.slots != new.slots or set(old.data) != set(new.data):
        return SignalShift({s: float("inf") for s in sites}, True)
    out: dict[str, float] = {}
    for site, region in sites.items():
        worst = 0.0
        for (r, dim), values in new.data.items():
            if r != region:
                continue
            a, b = np.asarray(old.data[(r, dim)]), np.asarray(values)
            scale = np.maximum(np.abs(a), 1e-9)
            worst = max(worst, float(np.max(np.abs(b - a) / scale)))
        out[site] = worst
    return SignalShift(out, False)


def load_signal_bytes(body: bytes, content_type: str, params: Mapping[str, Any]) -> Signals:
    """Signals from a request body in any format ``fsor plan --signals`` reads."""
    from optimizer.inputs.signals import load_signals

    suffix = SIGNAL_FORMATS.get(content_type)
    if suffix is None:
        raise InputError(
            "PUT /signals",
            "Content-Type",
            content_type,
            f"expected one of {sorted(SIGNAL_FORMATS)}",
        )
    with tempfile.TemporaryDirectory(prefix="fsor-signals-") as tmp:
        path = Path(tmp) / f"body{suffix}"
        path.write_bytes(body)
        opts: dict[str, Any] = {"policy": params.get("policy") or "ffill"}
        if params.get("date"):
            opts["date"] = params["date"]
        try:
            return load_signals(path, **opts)
        except InputError as exc:
            src = "PUT /signals body"
            raise InputError(src, exc.field, exc.value, exc.expected) from None


class Inputs:
    """Current network, signals, workloads and caps (validated), backed by the store."""

    def __init__(self, cfg: ServiceConfig, store: ServiceStore) -> None:
        from optimizer.inputs.signals import default_signals, load_signals
        from topology.io import load_source

        self.cfg = cfg
        self.store = store
        self.static_inventory = load_source(cfg.network)
        self.inventory: Inventory | None = (
            None if (cfg.lab or cfg.devices) else self.static_inventory
        )
        last = store.last_ingest()
        if last is not None:
            fmt, params, body = last
            self.signals = load_signal_bytes(body, fmt, params)
            self.signals_source = "PUT /signals (stored)"
        elif cfg.signals:
            opts: dict[str, Any] = {"policy": cfg.policy}
            if cfg.date:
                opts["date"] = cfg.date
            self.signals = load_signals(cfg.signals, **opts)
            self.signals_source = cfg.signals
        else:
            self.signals = default_signals(cfg.date or "2025-07-01", policy=cfg.policy)
            self.signals_source = "ORCA Table V (embedded)"
        if store.state("workloads_seeded") is None:
            # the configured workloads, else ORCA's job on the default network, else none
            path = cfg.workloads or (
                str(DATA_DIR / "default_workloads.yaml") if cfg.network == "default" else ""
            )
            items: list[Any] = []
            if path:
                source, doc = read_document(path)
                items = list((doc.get("workloads") if isinstance(doc, Mapping) else doc) or ())
                workloads_from_dict({"workloads": items}, source)  # refuse a bad file at start
            store.put_workloads(items, "config")
            store.set_state("workloads_seeded", {"source": path or "none"})
        caps_doc = store.state("caps")
        if caps_doc is None and cfg.caps:
            source, raw = read_document(cfg.caps)
            caps_doc = {"source": source, "caps": raw}
        self.caps_doc: dict[str, Any] = caps_doc or {"source": "none", "caps": {}}
        self.caps_of(self.caps_doc["caps"], self.caps_doc["source"], check_sites=False)

    # -- derived views ----------------------------------------------------------------
    @property
    def network(self) -> Inventory:
        """The inventory plans use (the static one until the first discovery)."""
        return self.inventory or self.static_inventory

    def site_regions(self) -> dict[str, str]:
        return {s.id: s.region for s in self.network.sites}

    def workload_docs(self) -> list[dict[str, Any]]:
        return self.store.workloads()

    def workloads(self, inventory: Inventory | None = None) -> tuple[Workload, ...]:
        from topology.build import build

        inv = inventory or self.network
        docs = self.workload_docs()
        if not docs:
            return ()
        return workloads_from_dict(
            {"workloads": docs},
            "workloads",
            nodes=list(build(inv).nodes),
            sites=[s.id for s in inv.sites],
        )

    def caps_of(self, raw: Any, source: str, *, check_sites: bool = True) -> Caps:
        inv = self.network
        sites = [s.id for s in inv.sites] if check_sites else None
        regions = {s.region for s in inv.sites} if check_sites else None
        return caps_from_dict(raw or {}, source, sites=sites, regions=regions)

    def caps(self) -> Caps | None:
        doc = self.caps_doc
        if not doc["caps"]:
            return None
        return self.caps_of(doc["caps"], doc["source"], check_sites=False)

    # -- mutations (validate, store, then swap) ---------------------------------------
    def check_signals(self, signals: Signals, source: str) -> None:
        for s in self.network.sites:
            if not any(signals.has(s.region, d) for d in signals.dims):
                raise InputError(
                    source,
                    "regions",
                    s.region,
                    f"expected signals for region {s.region} of site {s.id}",
                )

    def put_signals(
        self, body: bytes, content_type: str, params: Mapping[str, Any], who: str
    ) -> tuple[Signals, SignalShift]:
        signals = load_signal_bytes(body, content_type, params)
        self.check_signals(signals, "PUT /signals body")
        self.store.add_ingest(who, content_type, dict(params), body)
        shift = signal_shift(self.signals, signals, self.site_regions())
        self.signals, self.signals_source = signals, f"PUT /signals by {who}"
        return signals, shift

    def add_workloads(self, items: Sequence[Mapping[str, Any]], who: str) -> list[str]:
        from topology.build import build

        inv = self.network
        nodes, sites = list(build(inv).nodes), [s.id for s in inv.sites]
        # the request alone first, so an error names the request's own index
        workloads_from_dict(
            {"workloads": list(items)}, "POST /workloads body", nodes=nodes, sites=sites
        )
        self.store.put_workloads(items, who)
        return [str(d["id"]) for d in items]

    def delete_workload(self, workload_id: str) -> bool:
        return self.store.delete_workload(workload_id)

    def put_caps(self, raw: Mapping[str, Any], who: str) -> Caps:
        caps = self.caps_of(raw, "PUT /caps body")
        doc = {"source": f"PUT /caps by {who}", "caps": dict(raw)}
        self.store.set_state("caps", doc)
        self.caps_doc = doc
        return caps

    def signals_json(self, with_data: bool = False) -> dict[str, Any]:
        s = self.signals
        out: dict[str, Any] = {
            "source": self.signals_source,
            "regions": list(s.regions),
            "dims": list(s.dims),
            "slots": [t.isoformat() for t in s.slots],
            "slot_hours": s.slot_hours,
            "units": dict(s.units),
            "filled": len(s.filled),
        }
        if with_data:
            data: dict[str, dict[str, list[float]]] = {}
            for (r, d), v in s.data.items():
                data.setdefault(r, {})[d] = [float(x) for x in v]
            out["data"] = data
        return out
