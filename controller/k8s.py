"""Kubernetes scheduler extender: fsor's hard caps as a filter, a Green Score as priority.

Length: over 400 lines on purpose: the extender's wire types (Go field names) and its two
handlers are one contract, read together against kube-scheduler's types.

kube-scheduler calls an HTTP extender (``extenders:`` in its
``KubeSchedulerConfiguration``, docs/k8s.md) with the types of
``k8s.io/kube-scheduler/extender/v1``. Those Go structs carry no JSON tags, so
the wire keys are the Go field names:

* request ``ExtenderArgs``: ``Pod`` (a core/v1 Pod), ``Nodes`` (a core/v1
  NodeList, when ``nodeCacheCapable: false``) or ``NodeNames`` (a list of names,
  when ``nodeCacheCapable: true``);
* filter answer ``ExtenderFilterResult``: ``Nodes`` / ``NodeNames`` (the nodes
  that pass, in the request's form; the other is ``null``), ``FailedNodes``,
  ``FailedAndUnresolvableNodes`` (node → reason), ``Error``;
* prioritize answer ``HostPriorityList``: ``[{"Host": name, "Score": int}]``,
  scores in ``MinExtenderPriority..MaxExtenderPriority`` = 0..10.

A node maps to a fsor site by its label ``config.label`` (default
``fsor.io/site``) or, for name-only requests, by ``config.node_sites``; a node
with neither passes the filter unchanged and scores 0. The pod's power is its
annotation ``fsor.io/power-kw`` or its containers' CPU requests ×
``kw_per_cpu``; its energy lasts ``fsor.io/duration-h`` hours (default 1).
Filter: a node whose site would break a hard cap *now* with the pod added goes
to ``FailedAndUnresolvableNodes`` (preemption cannot free a cap) with the cap
as the reason. Everything here is pure; :func:`add_routes` is the aiohttp shell.

>>> now = {"dc-fra": SiteNow("dc-fra", power_kw=99.0, power_cap_kw=100.0, pue=1.0)}
>>> pod = {"metadata": {"annotations": {"fsor.io/power-kw": "2"}}}
>>> node = {"metadata": {"name": "n1", "labels": {"fsor.io/site": "dc-fra"}}}
>>> res = filter_nodes({"Pod": pod, "Nodes": {"items": [node]}}, now, ExtenderConfig())
>>> res["Nodes"]["items"], res["NodeNames"], res["FailedAndUnresolvableNodes"]["n1"]
([], None, 'fsor: power cap of site dc-fra: 99 + 2 kW > 100 kW')
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web

from optimizer.inputs.instance import Instance
from optimizer.model.plan import Plan
from topology.errors import InputError
from topology.model import Site

__all__ = [
    "MAX_EXTENDER_PRIORITY",
    "MIN_EXTENDER_PRIORITY",
    "ExtenderConfig",
    "SiteNow",
    "add_routes",
    "breaks",
    "filter_nodes",
    "green_scores",
    "make_app",
    "pod_demand",
    "prioritize_nodes",
    "sites_from_plan",
    "sites_from_plan_json",
]

#: k8s.io/kube-scheduler/extender/v1 MinExtenderPriority / MaxExtenderPriority
MIN_EXTENDER_PRIORITY = 0
MAX_EXTENDER_PRIORITY = 10
_CPU = re.compile(r"^(\d+(?:\.\d+)?)(m?)$")


@dataclass(frozen=True)
class SiteNow:
    """A site's state in the current slot: what it uses of each hard cap, and its signals.

    ``power_kw`` is facility power (IT × PUE) in this slot; ``water_l`` and
    ``carbon_g`` are what the site has used today; a cap of ``None`` is no cap.
    ``intensity`` maps burden dimensions to the site's current signal (co2eq g/kWh,
    price EUR/MWh, ...), the input of the Green Score.
    """

    site: str
    power_kw: float = 0.0
    power_cap_kw: float | None = None
    pue: float = 1.2
    water_l: float = 0.0
    water_cap_l_per_day: float | None = None
    wue_l_per_kwh: float = 1.8
    carbon_g: float = 0.0
    carbon_cap_g_per_day: float | None = None
    intensity: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ExtenderConfig:
    """How nodes map to sites and pods to power (see the module docstring)."""

    label: str = "fsor.io/site"
    node_sites: Mapping[str, str] = field(default_factory=dict)
    kw_per_cpu: float = 0.01
    default_duration_h: float = 1.0
    weights: Mapping[str, float] = field(default_factory=lambda: {"co2eq": 1.0})


def _number(value: Any, where: str, positive: bool = True) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        x = float("nan")
    if not (math.isfinite(x) and (x > 0 if positive else x >= 0)):
        raise InputError("ExtenderArgs", where, value, "expected a number > 0")
    return x


def _cpu(q: Any, where: str) -> float:
    """A Kubernetes CPU quantity: ``"500m"`` → 0.5, ``"2"`` → 2.0."""
    m = _CPU.match(str(q).strip())
    if not m:
        raise InputError("ExtenderArgs", where, q, "expected a CPU quantity like 500m or 2")
    return float(m.group(1)) / (1000.0 if m.group(2) else 1.0)


def pod_demand(pod: Mapping[str, Any], config: ExtenderConfig) -> tuple[float, float]:
    """(IT power kW, duration h) of ``pod``.

    >>> c = ExtenderConfig(kw_per_cpu=0.01)
    >>> spec = {"containers": [{"resources": {"requests": {"cpu": "500m"}}},
    ...                        {"resources": {"requests": {"cpu": "2"}}}]}
    >>> pod_demand({"spec": spec}, c)
    (0.025, 1.0)
    """
    meta = pod.get("metadata") or {}
    notes = meta.get("annotations") or {}
    hours = config.default_duration_h
    if "fsor.io/duration-h" in notes:
        hours = _number(notes["fsor.io/duration-h"], "Pod.metadata.annotations.fsor.io/duration-h")
    if "fsor.io/power-kw" in notes:
        kw = _number(notes["fsor.io/power-kw"], "Pod.metadata.annotations.fsor.io/power-kw")
        return kw, hours
    cpus = 0.0
    for i, c in enumerate((pod.get("spec") or {}).get("containers") or []):
        req = ((c or {}).get("resources") or {}).get("requests") or {}
        if "cpu" in req:
            cpus += _cpu(req["cpu"], f"Pod.spec.containers[{i}].resources.requests.cpu")
    return cpus * config.kw_per_cpu, hours


def breaks(now: SiteNow, kw: float, hours: float) -> str | None:
    """The first hard cap of ``now`` the pod (``kw`` IT for ``hours``) would break, or None."""
    if now.power_cap_kw is not None:
        add = kw * now.pue
        if now.power_kw + add > now.power_cap_kw * (1 + 1e-9):
            return (f"fsor: power cap of site {now.site}: {now.power_kw:.6g} + {add:.6g} kW "
                    f"> {now.power_cap_kw:.6g} kW")
    if now.water_cap_l_per_day is not None:
        add = kw * hours * now.wue_l_per_kwh
        if now.water_l + add > now.water_cap_l_per_day * (1 + 1e-9):
            return (f"fsor: water cap of site {now.site}: {now.water_l:.6g} + {add:.6g} L "
                    f"> {now.water_cap_l_per_day:.6g} L/day")
    if now.carbon_cap_g_per_day is not None and "co2eq" in now.intensity:
        add = kw * hours * now.pue * now.intensity["co2eq"]
        if now.carbon_g + add > now.carbon_cap_g_per_day * (1 + 1e-9):
            return (f"fsor: carbon cap of site {now.site}: {now.carbon_g:.6g} + {add:.6g} g "
                    f"> {now.carbon_cap_g_per_day:.6g} g/day")
    return None


def _candidates(args: Mapping[str, Any]) -> tuple[bool, list[str], dict[str, dict[str, Any]]]:
    """(names-only?, node names in order, name → Node object) of an ExtenderArgs."""
    if not isinstance(args, Mapping):
        raise InputError("ExtenderArgs", "body", type(args).__name__, "expected a JSON object")
    names, nodes = args.get("NodeNames"), args.get("Nodes")
    if names is not None:
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise InputError("ExtenderArgs", "NodeNames", names, "expected a list of names")
        return True, list(names), {}
    if nodes is None:
        raise InputError("ExtenderArgs", "Nodes/NodeNames", None, "expected one of them")
    items = nodes.get("items") if isinstance(nodes, Mapping) else None
    if not isinstance(items, list):
        raise InputError("ExtenderArgs", "Nodes.items", nodes, "expected a NodeList")
    objs: dict[str, dict[str, Any]] = {}
    order = []
    for i, n in enumerate(items):
        name = ((n or {}).get("metadata") or {}).get("name")
        if not isinstance(name, str):
            raise InputError("ExtenderArgs", f"Nodes.items[{i}].metadata.name", name,
                             "expected a node name")
        objs[name] = n
        order.append(name)
    return False, order, objs


def _site(name: str, obj: Mapping[str, Any] | None, config: ExtenderConfig) -> str | None:
    if obj is not None:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        if config.label in labels:
            return str(labels[config.label])
    return config.node_sites.get(name)


def filter_nodes(
    args: Mapping[str, Any], sites: Mapping[str, SiteNow], config: ExtenderConfig
) -> dict[str, Any]:
    """ExtenderArgs → ExtenderFilterResult (a node on an unknown site fails, with the reason)."""
    by_name, order, objs = _candidates(args)
    kw, hours = pod_demand(args.get("Pod") or {}, config)
    passed: list[str] = []
    failed: dict[str, str] = {}
    for name in order:
        site = _site(name, objs.get(name), config)
        if site is None:
            passed.append(name)
            continue
        now = sites.get(site)
        reason = (f"fsor: site {site} of node {name} is not a site fsor manages"
                  if now is None else breaks(now, kw, hours))
        if reason is None:
            passed.append(name)
        else:
            failed[name] = reason
    return {
        "Nodes": None if by_name else {**_list_envelope(args), "items": [objs[n] for n in passed]},
        "NodeNames": passed if by_name else None,
        "FailedNodes": {},
        "FailedAndUnresolvableNodes": failed,
        "Error": "",
    }


def _list_envelope(args: Mapping[str, Any]) -> dict[str, Any]:
    nodes = args.get("Nodes") or {}
    return {k: v for k, v in nodes.items() if k != "items"}


def green_scores(sites: Sequence[SiteNow], config: ExtenderConfig) -> dict[str, int]:
    """Green Score per site now, scaled to 0..MaxExtenderPriority (docs/k8s.md).

    The score is fsor's Green Score (:func:`optimizer.analysis.sci.green_scores`: each
    weighted dimension min-max normalised over the sites, GS = 100·(1 − Σ ω·n / Σ ω))
    over the sites' *current* signals, then ``round(GS / 10)``: the cleanest site in every
    weighted dimension gets 10, the dirtiest 0. Sites lacking a weighted signal are left out
    of the comparison and score 0; so does every site when no weighted dimension is there.

    >>> a = SiteNow("a", intensity={"co2eq": 100.0})
    >>> b = SiteNow("b", intensity={"co2eq": 300.0})
    >>> c = SiteNow("c", intensity={"co2eq": 150.0})
    >>> green_scores([a, b, c], ExtenderConfig())
    {'a': 10, 'b': 0, 'c': 8}
    """
    from optimizer.analysis.sci import green_scores as fsor_green_scores

    dims = [d for d, w in config.weights.items() if w > 0]
    out = dict.fromkeys((s.site for s in sites), MIN_EXTENDER_PRIORITY)
    scored = [s for s in sites if dims and all(d in s.intensity for d in dims)]
    if not scored:
        return out
    signal = {(s.site, d): [s.intensity[d]] for s in scored for d in dims}
    gs = fsor_green_scores(signal, [s.site for s in scored], {d: config.weights[d] for d in dims})
    span = MAX_EXTENDER_PRIORITY - MIN_EXTENDER_PRIORITY
    for s in scored:
        out[s.site] = MIN_EXTENDER_PRIORITY + round(gs[(s.site, 0)] / 100.0 * span)
    return out


def prioritize_nodes(
    args: Mapping[str, Any], sites: Mapping[str, SiteNow], config: ExtenderConfig
) -> list[dict[str, Any]]:
    """ExtenderArgs → HostPriorityList: each node gets its site's Green Score (no site: 0)."""
    _, order, objs = _candidates(args)
    scores = green_scores(list(sites.values()), config)
    out = []
    for name in order:
        site = _site(name, objs.get(name), config)
        out.append({"Host": name, "Score": scores.get(site, MIN_EXTENDER_PRIORITY)
                    if site is not None else MIN_EXTENDER_PRIORITY})
    return out


SitesProvider = Callable[[], Mapping[str, SiteNow]]


def sites_from_plan(inst: Instance, plan: Plan, slot: int) -> dict[str, SiteNow]:
    """Each site's state in ``slot`` of ``plan``: power in the slot, water and carbon of
    the slot's UTC day (the whole day as planned: conservative), the caps of ``inst``,
    the signals in the slot. Carbon is the site's grid zone's (the cap is per zone)."""
    if not 0 <= slot < inst.horizon:
        raise InputError("plan", "slot", slot, f"expected 0..{inst.horizon - 1}")
    day = inst.slots[slot].date()
    same_day = {t for t, s in enumerate(inst.slots) if s.date() == day}
    region = {s.id: s.region for s in inst.sites}
    power: dict[str, float] = {}
    water: dict[str, float] = {}
    carbon: dict[str, float] = {}
    for b in plan.burdens:
        if b.slot == slot:
            power[b.site] = power.get(b.site, 0.0) + b.power_kw
        if b.slot in same_day:
            water[b.site] = water.get(b.site, 0.0) + b.water_l
            zone = region[b.site]
            carbon[zone] = carbon.get(zone, 0.0) + b.carbon_g
    out = {}
    for s in inst.sites:
        cap = inst.caps.power_kw.get(s.id)
        pcap = cap[slot] if isinstance(cap, tuple) else cap
        out[s.id] = SiteNow(
            site=s.id,
            power_kw=power.get(s.id, 0.0),
            power_cap_kw=None if pcap is None else float(pcap),
            pue=s.pue,
            water_l=water.get(s.id, 0.0),
            water_cap_l_per_day=inst.caps.water_l_per_day.get(s.id),
            wue_l_per_kwh=s.wue_l_per_kwh,
            carbon_g=carbon.get(s.region, 0.0),
            carbon_cap_g_per_day=inst.caps.carbon_g_per_day.get(s.region),
            intensity={d: float(inst.signal[(s.id, d)][slot])
                       for d in inst.dims() if (s.id, d) in inst.signal},
        )
    return out


def sites_from_plan_json(
    doc: Mapping[str, Any],
    sites: Sequence[Site],
    at: datetime,
    intensity: Mapping[str, Mapping[str, float]] | None = None,
) -> dict[str, SiteNow]:
    """:func:`sites_from_plan` from a plan's JSON document (what ``fsor serve`` stores).

    The slot is the plan's slot whose start is the latest at or before ``at`` (UTC);
    power, water and carbon come from the document's ``burdens`` rows, the caps from its
    ``caps`` rows (power per slot, water per site and day, carbon per zone and day) or,
    when the plan has no row, the site's own ``power_cap_kw`` / ``water_cap_l_per_day``.
    ``intensity``: site -> {dim: current signal} for the Green Score.
    """
    starts = sorted({str(b["start"]) for b in doc.get("burdens", [])}
                    | {str(c["slot"]) for c in doc.get("caps", []) if c.get("cap") == "power"})
    ts = [s for s in starts if datetime.fromisoformat(s) <= at]
    now = ts[-1] if ts else None
    day = now[:10] if now else at.date().isoformat()
    region = {s.id: s.region for s in sites}
    power: dict[str, float] = {}
    water: dict[str, float] = {}
    carbon: dict[str, float] = {}
    for b in doc.get("burdens", []):
        if str(b["start"]) == now:
            power[b["site"]] = power.get(b["site"], 0.0) + float(b["power_kw"])
        if str(b["start"])[:10] == day and b["site"] in region:
            water[b["site"]] = water.get(b["site"], 0.0) + float(b["water_l"])
            zone = region[b["site"]]
            carbon[zone] = carbon.get(zone, 0.0) + float(b["carbon_g"])
    limits: dict[tuple[str, str], float] = {}
    for c in doc.get("caps", []):
        if c.get("limit") is None:
            continue
        if (c["cap"] == "power" and str(c["slot"]) == now) or (
            c["cap"] in ("water", "carbon") and str(c["slot"]) == day
        ):
            limits[(c["cap"], c["site_or_zone"])] = float(c["limit"])
    return {
        s.id: SiteNow(
            site=s.id,
            power_kw=power.get(s.id, 0.0),
            power_cap_kw=limits.get(("power", s.id), s.power_cap_kw),
            pue=s.pue,
            water_l=water.get(s.id, 0.0),
            water_cap_l_per_day=limits.get(("water", s.id), s.water_cap_l_per_day),
            wue_l_per_kwh=s.wue_l_per_kwh,
            carbon_g=carbon.get(s.region, 0.0),
            carbon_cap_g_per_day=limits.get(("carbon", s.region)),
            intensity=dict((intensity or {}).get(s.id, {})),
        )
        for s in sites
    }


#: the state the routes read: the extender's config and a provider of current site states
EXTENDER_KEY = web.AppKey("fsor_extender", tuple)


async def _body(request: web.Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="fsor: ExtenderArgs: expected a JSON body") from None


async def _filter(request: web.Request) -> web.Response:
    config, provider = request.app[EXTENDER_KEY]
    args = await _body(request)
    try:
        return web.json_response(filter_nodes(args, provider(), config))
    except InputError as exc:  # the extender protocol reports errors in the result
        return web.json_response({"Nodes": None, "NodeNames": None, "FailedNodes": {},
                                  "FailedAndUnresolvableNodes": {}, "Error": str(exc)})


async def _prioritize(request: web.Request) -> web.Response:
    config, provider = request.app[EXTENDER_KEY]
    args = await _body(request)
    try:
        return web.json_response(prioritize_nodes(args, provider(), config))
    except InputError as exc:  # HostPriorityList has no error field: HTTP 400
        raise web.HTTPBadRequest(text=str(exc)) from None


def add_routes(
    app: web.Application,
    provider: SitesProvider,
    config: ExtenderConfig | None = None,
    *,
    prefix: str = "/scheduler",
) -> None:
    """Register ``POST {prefix}/filter`` and ``POST {prefix}/prioritize`` on ``app``."""
    app[EXTENDER_KEY] = (config or ExtenderConfig(), provider)
    app.router.add_post(f"{prefix}/filter", _filter)
    app.router.add_post(f"{prefix}/prioritize", _prioritize)


def make_app(provider: SitesProvider, config: ExtenderConfig | None = None) -> web.Application:
    """A stand-alone app serving only the extender (until ``fsor serve`` hosts it)."""
    app = web.Application()
    add_routes(app, provider, config)
    return app
