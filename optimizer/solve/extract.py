"""Reading a solved program: workloads per option, placements, lightpaths, site energy.

The solver returns placement counts per option (``x``), lightpath counts per route
(``n``) and, with exact channels, channel choices (``y``); these functions turn them into
the plan's parts: which workload goes where (class members handed out in order), each
transfer's lightpath with a channel free end to end (:mod:`optimizer.solve.assign`; the
program's own channels where it chose them), and the energy per site and slot that the
plan is accounted from.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

import numpy as np

from optimizer.inputs.instance import Instance
from optimizer.model.formulation import Formulation, transfer_kwh
from optimizer.model.plan import Lightpath, Placement, Unassigned
from optimizer.solve.assign import Request, assign_slot, assign_slot_exact
from optimizer.solve.run import Raw

__all__ = ["assign", "chosen_channels", "energy", "placements", "round_counts", "who"]


def round_counts(shares: list[float], total: int) -> list[int]:
    """Integral counts summing to ``total``, close to ``shares`` (largest remainder).

    >>> round_counts([0.6, 1.4, 0.0], 2), round_counts([0.5, 0.5], 1), round_counts([], 0)
    ([1, 1, 0], [1, 0], [])
    """
    if not shares:
        return []
    vals = [max(v, 0.0) for v in shares]
    base = [int(np.floor(v + 1e-6)) for v in vals]
    while sum(base) > total:
        i = max(range(len(base)), key=lambda k: (base[k] - vals[k], base[k]))
        base[i] -= 1
    rest = sorted(range(len(vals)), key=lambda k: (-(vals[k] - base[k]), k))
    for i in rest[: max(total - sum(base), 0)]:
        base[i] += 1
    while sum(base) < total:
        base[0] += 1
    return base


def who(form: Formulation, inst: Instance, raw: Raw) -> dict[int, list[str]]:
    """Workload ids per option index (class members handed out in order)."""
    nxt: dict[int, int] = defaultdict(int)
    out: dict[int, list[str]] = {}
    for j, (c, _d, _t) in enumerate(form.options):
        k = int(raw.x[j]) if j < len(raw.x) else 0
        if k > 0:
            ids = inst.classes[c].ids
            out[j] = list(ids[nxt[c] : nxt[c] + k])
            nxt[c] += k
    return out


def placements(form: Formulation, inst: Instance, raw: Raw) -> tuple[Placement, ...]:
    out = []
    for j, ids in who(form, inst, raw).items():
        _c, d, t = form.options[j]
        out += [Placement(w, inst.sites[d].id, inst.slots[t], t) for w in ids]
    return tuple(sorted(out, key=lambda p: p.workload))


def assign(
    form: Formulation, inst: Instance, raw: Raw, seed: int = 0
) -> tuple[list[Lightpath], list[Unassigned], dict[tuple[str, int], int]]:
    net = inst.network
    by_option = who(form, inst, raw)
    # workloads per transfer group, biggest volume first
    members: dict[int, list[tuple[float, str]]] = defaultdict(list)
    for j, ids in by_option.items():
        g = form.group_of_option[j]
        if g >= 0:
            vol = inst.classes[form.options[j][0]].volume_gb
            members[g] += [(vol, w) for w in ids]
    per_slot: dict[int, list[Request]] = defaultdict(list)
    owner: dict[int, tuple[int, tuple[str, ...]]] = {}
    key = 0
    by_group: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for k, (g, r) in enumerate(form.route_cols):
        by_group[g].append((r, float(raw.n[k]) if raw.n is not None else 0.0))
    # exact channels: the program chose route and channel; only a surplus is coloured
    chosen = chosen_channels(form, raw)
    taken: dict[tuple[str, int], set[int]] = defaultdict(set)
    got: dict[int, list[tuple[float, tuple[str, ...], int]]] = defaultdict(list)
    for g, picks in chosen.items():
        o, d, t = form.groups[g]
        routes = net.routes[(o, inst.sites[d].id)]
        for r, lam in picks[: len(members.get(g, []))]:
            got[g].append((routes[r].energy_kwh_per_gb, routes[r].fibres, lam))
            for f in routes[r].fibres:
                taken[(f, t)].add(lam)
    for g, shares in by_group.items():
        o, d, t = form.groups[g]
        routes = net.routes[(o, inst.sites[d].id)]
        need = len(members.get(g, [])) - len(got.get(g, []))
        if need <= 0:
            continue
        counts = round_counts([v for _, v in shares], need)
        for (r, _v), cnt in zip(shares, counts, strict=True):
            alts = tuple(rt.fibres for i, rt in enumerate(routes) if i != r)
            for _ in range(cnt):
                per_slot[t].append(Request(key, routes[r].fibres, alts))
                owner[key] = (g, routes[r].fibres)
                key += 1
    lightpaths: list[Lightpath] = []
    blocked: list[Unassigned] = []
    cuts: dict[tuple[str, int], int] = defaultdict(int)
    for t, reqs in per_slot.items():
        free = {
            f: ch - inst.busy.get((f, t), frozenset()) - taken.get((f, t), set())
            for f, ch in net.free.items()
        }
        done, bad = assign_slot(reqs, free)
        if bad:  # the greedy left some without a channel: the slot as a small MILP
            done, bad = assign_slot_exact(reqs, free, seed=seed)
        for kk, fibres, ch in done:
            g = owner[kk][0]
            o, d, _ = form.groups[g]
            rt = next(x for x in net.routes[(o, inst.sites[d].id)] if x.fibres == fibres)
            got[g].append((rt.energy_kwh_per_gb, fibres, ch))
        for kk in bad:
            g, fibres = owner[kk]
            neck = min(fibres, key=lambda f: len(free.get(f, ())))
            cuts[(neck, t)] += 1
            got[g].append((float("inf"), fibres, -2))
    for g, paths in got.items():
        o, d, t = form.groups[g]
        site = inst.sites[d]
        by_fibres = {rt.fibres: rt for rt in net.routes[(o, site.id)]}
        wl = sorted(members.get(g, []), reverse=True)
        for (vol, w), (_e, fibres, ch) in zip(wl, sorted(paths), strict=False):
            rt = by_fibres[fibres]
            if ch == -2:
                blocked.append(Unassigned(w, o, site.id, t, "no common free channel"))
                continue
            tps = (*net.transponders.get(o, ())[:1], *net.transponders.get(site.roadm, ())[:1])
            lightpaths.append(
                Lightpath(
                    workload=w,
                    path=rt.nodes,
                    fibres=rt.fibres,
                    channel=ch,
                    frequency_thz=net.frequency_thz[ch]
                    if 0 <= ch < len(net.frequency_thz)
                    else 0.0,
                    transponders=tps,
                    slot=t,
                    gb=vol,
                    energy_kwh=vol * rt.energy_kwh_per_gb,
                )
            )
    lightpaths.sort(key=lambda lp: (lp.slot, lp.workload or ""))
    return lightpaths, blocked, dict(cuts)


def chosen_channels(form: Formulation, raw: Raw) -> dict[int, list[tuple[int, int]]]:
    """(route index, channel) per transfer group from the exact channel variables."""
    out: dict[int, list[tuple[int, int]]] = defaultdict(list)
    if form.y is None or raw.y is None or len(raw.y) != len(form.chan_cols):
        return out
    for j in np.flatnonzero(raw.y > 0.5):
        k, lam = form.chan_cols[int(j)]
        g, r = form.route_cols[k]
        out[g] += [(r, lam)] * round(float(raw.y[j]))
    return out


def energy(
    form: Formulation,
    inst: Instance,
    raw: Raw,
    lightpaths: list[Lightpath],
    route_of: Mapping[tuple[str, int, int], int] | None = None,
    network: bool = True,
) -> np.ndarray:
    S, T = len(inst.sites), inst.horizon
    energy = np.zeros((S, T))
    for j, (c, d, t) in enumerate(form.options):
        k = float(raw.x[j])
        if k > 0:
            for i, u in enumerate(inst.classes[c].profile_kwh):
                energy[d, t + i] += k * u
            if not network:
                energy[d, t] += k * (transfer_kwh(inst, c, d, t, route_of) or 0.0)
    dest: dict[str, int] = {}
    for j, ids in who(form, inst, raw).items():
        for w in ids:
            dest[w] = form.options[j][1]
    for lp in lightpaths:
        if lp.workload is not None:
            energy[dest[lp.workload], lp.slot] += lp.energy_kwh
    return energy
