"""The ``fsor demo`` report: text and figure from the demo's JSON document (pure, no network).

The document is what ``fsor demo --json`` prints (built by :mod:`controller.cli.demo`):
``plan`` and ``baselines[name]`` are :meth:`optimizer.model.plan.Plan.to_json` documents,
``zone_burdens[planner][dim][zone]`` the burden per zone, ``push`` the per-slot push
results, ``timings`` seconds per stage. :func:`report_text` renders it as < ~40 lines;
:func:`write_figure` draws power per site per hour (joint vs co2-only, with the site power
caps) and the burden per dimension of every baseline relative to the joint plan (matplotlib,
Agg backend; writing the PNG is the only I/O here).

>>> cap_rows({"caps": [{"cap": "water", "site_or_zone": "dc-a", "slot": "2025-07-01",
...     "value": 98.0, "limit": 100.0, "unit": "L", "utilisation": 0.98}]})[0]["binding"]
True
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "BINDING",
    "burden_totals",
    "cap_rows",
    "per_site_power",
    "report_text",
    "write_figure",
]

#: A cap "binds" when the plan uses at least this share of it (workloads are indivisible,
#: so a binding cap is rarely filled exactly).
BINDING = 0.97

_ORDER = ("co2eq", "so2eq", "co", "no2", "pm25", "water", "price")


def burden_totals(plan: Mapping[str, Any]) -> dict[str, float]:
    """Sum over sites and slots of the plan's burden per dimension."""
    out: dict[str, float] = defaultdict(float)
    for b in plan.get("burdens", []):
        for dim, v in b.get("burdens", {}).items():
            if v is not None:
                out[dim] += float(v)
    return dict(out)


def cap_rows(plan: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per (cap, site or zone): highest utilisation, slots at it, binding flag."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for c in plan.get("caps", []):
        u = c.get("utilisation")
        if u is None:
            continue
        key = (str(c["cap"]), str(c["site_or_zone"]))
        r = rows.setdefault(key, {"cap": key[0], "zone": key[1], "util": -1.0, "n_binding": 0})
        if u >= BINDING:
            r["n_binding"] += 1
        if u > r["util"]:
            r.update(util=float(u), value=c["value"], limit=c["limit"], unit=c["unit"])
            r["slot"] = c.get("slot")
    out = sorted(rows.values(), key=lambda r: (-r["util"], r["cap"], r["zone"]))
    for r in out:
        r["binding"] = r["util"] >= BINDING
    return out


def per_site_power(
    plan: Mapping[str, Any], sites: Sequence[str], n_slots: int
) -> dict[str, list[float]]:
    """kW per site per slot (compute + network, with PUE) from the plan's burdens."""
    out = {s: [0.0] * n_slots for s in sites}
    for b in plan.get("burdens", []):
        if b["site"] in out and 0 <= int(b["slot"]) < n_slots:
            out[b["site"]][int(b["slot"])] += float(b["power_kw"])
    return out


def _g(x: float) -> str:
    return f"{x:.4g}" if abs(x) < 1e5 else f"{x:.3g}"


def _num(x: Any) -> str:
    return "n/a" if x is None else _g(float(x))


def _broken(plan: Mapping[str, Any]) -> str:
    count: dict[str, int] = defaultdict(int)
    for r in plan.get("diagnosis", []):
        if r["cap"] != "workload":
            count[f"{r['cap']}@{r['site_or_zone']}"] += 1
    parts = [f"{k}" + (f" x{n}" if n > 1 else "") for k, n in sorted(count.items())]
    return ", ".join(parts) or "none"


def _rejected(plan: Mapping[str, Any]) -> int:
    return int(
        sum(r["needed_relaxation"] for r in plan.get("diagnosis", []) if r["cap"] == "workload")
    )


def _head(doc: Mapping[str, Any]) -> list[str]:
    t = doc.get("timings", {})
    d = doc.get("discovery_summary", {})
    inp = doc.get("inputs", {})
    lines = [
        f"fsor demo: {doc.get('lab_name', doc.get('lab', '?'))} as {doc.get('instance', '?')} "
        f"({doc.get('backend', '?')} backend), up in {t.get('up_s', 0.0):.1f} s",
        f"discovery: {d.get('reachable', 0)}/{d.get('devices', 0)} devices in "
        f"{t.get('discover_s', 0.0):.2f} s -> {d.get('roadms', 0)} ROADMs, "
        f"{d.get('transponders', 0)} transponders, {d.get('fibres', 0)} fibres, "
        f"{d.get('sites', 0)} sites",
    ]
    lines += [f"  unreachable {u}" for u in d.get("unreachable", [])]
    lines += [f"inputs: {s}" for s in inp.get("summary", [])]
    return lines


def _placements(doc: Mapping[str, Any]) -> list[str]:
    plan = doc["plan"]
    hours: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for p in plan.get("placements", []):
        hours[str(p["start"])[11:16]][p["site"]].append(str(p["workload"]))
    lines = [
        f"joint plan: {plan['status']}, objective {_num(plan.get('objective'))}, gap "
        f"{(plan.get('gap') or 0.0) * 100:.2f} %, solve {plan['timings']['solve_s']:.2f} s; "
        f"{len(plan.get('placements', []))} placements, {len(plan.get('lightpaths', []))} "
        "lightpaths; starts per hour:"
    ]
    for r in plan.get("diagnosis", [])[:6]:
        lines.append(
            f"  must move: {r['cap']} {r['site_or_zone']} {r.get('slot') or ''} by "
            f"{_g(float(r['needed_relaxation']))} {r['unit']}"
        )
    for h, by_site in sorted(hours.items()):
        lines.append(
            f"  {h}  " + " | ".join(f"{s}: {' '.join(w)}" for s, w in sorted(by_site.items()))
        )
    return lines


def _burdens(doc: Mapping[str, Any]) -> list[str]:
    joint = burden_totals(doc["plan"])
    bases = doc.get("baselines", {})
    tot = {n: burden_totals(p) for n, p in bases.items()}
    names = list(bases)
    dims = [d for d in _ORDER if d in joint] + sorted(set(joint) - set(_ORDER))
    lines = ["burdens: joint total, and baseline relative to joint (+ = baseline higher):"]
    lines.append(f"  {'dim':<7}{'joint':>10}" + "".join(f"{n:>12}" for n in names))
    for d in dims:
        cells = []
        for n in names:
            b, j = tot[n].get(d, 0.0), joint[d]
            cells.append(f"{(b - j) / abs(j) * 100:+11.1f}%" if j else f"{_g(b):>12}")
        lines.append(f"  {d:<7}{_g(joint[d]):>10}" + "".join(cells))
    zones = doc.get("zone_burdens", {})
    if "joint" in zones and "co2-only" in zones:
        moved = []
        for d in dims:
            for z, v in zones["joint"].get(d, {}).items():
                b = zones["co2-only"].get(d, {}).get(z, 0.0)
                if b > 0 and d != "co2eq":
                    moved.append(((v - b) / b, d, z))
        moved.sort()
        if moved:
            lines.append(
                "  local zones, joint vs co2-only: "
                + ", ".join(
                    f"{d}@{z} {r * 100:+.0f}%"
                    for r, d, z in moved[:4] + [m for m in moved[-2:] if m not in moved[:4]]
                )
            )
    for n in names:
        p = bases[n]
        lines.append(
            f"  {n}: {p['status']}; breaks {_broken(p)}; rejected {_rejected(p)}; "
            f"blocked transfers {len(p.get('unassigned', [])) - _rejected(p)}"
        )
        notes = [m for m in str(p.get("message", "")).split("; ") if "ignored the network" in m]
        lines += [f"    ({m.split(', placement objective')[0]})" for m in notes]
    return lines


def _caps(doc: Mapping[str, Any]) -> list[str]:
    rows = cap_rows(doc["plan"])
    lines = [f"caps of the joint plan (highest use; * binds, >= {BINDING:.0%} used):"]
    for r in rows[:6]:
        mark = "*" if r["binding"] else " "
        lines.append(
            f"  {mark} {r['cap']} {r['zone']}"
            + (f" {str(r['slot'])[:16]}" if r.get("slot") else "")
            + f": "
            f"{_g(r['value'])} / {_g(r['limit'])} {r['unit']} ({r['util'] * 100:.1f} %)"
        )
    if len(rows) > 6:
        lines.append(f"    ... {len(rows) - 6} more caps, all below {rows[6]['util'] * 100:.0f} %")
    return lines


def _push(doc: Mapping[str, Any]) -> list[str]:
    push = doc.get("push", {})
    slots = push.get("slots", [])
    lines = [
        f"push: {push.get('pushed', 0)} of {push.get('planned', 0)} lightpaths in "
        f"{len(slots)} confirmed transactions (one per slot with transfers; each also removes "
        f"the previous slot's); read back from the devices: {push.get('read_back', 0)}"
    ]
    for s in push.get("not_pushed", []):
        lines.append(f"  not pushed: {s}")
    per = push.get("per_device", {})
    if per:
        lines.append(
            "  lightpaths per device (sum over slots, read back): "
            + ", ".join(f"{d} {n}" for d, n in sorted(per.items()))
        )
    return lines


def _sci(doc: Mapping[str, Any]) -> list[str]:
    """SCI per workload (lowest/highest) and the Green Score where the plan placed work."""
    plan = doc.get("plan", {})
    rows = plan.get("sci", [])
    if not rows:
        return []
    rows = sorted(rows, key=lambda r: r["sci"])
    lo, hi = rows[0], rows[-1]
    out = [
        f"SCI (GSF, gCO2eq per {lo['unit'].split('/', 1)[1]}): {len(rows)} workloads, "
        f"lowest {lo['sci']:.4g} ({lo['workload']} at {lo['site']}), highest {hi['sci']:.4g} "
        f"({hi['workload']} at {hi['site']})"
    ]
    score = {(g["site"], g["slot"]): g["score"] for g in plan.get("green_score", [])}
    used = [score[(p["site"], p["slot"])] for p in plan.get("placements", [])
            if (p["site"], p["slot"]) in score]  # fmt: skip
    if used and score:
        mean_all = sum(score.values()) / len(score)
        out.append(
            f"Green Score (0-100) where work starts: mean {sum(used) / len(used):.1f} "
            f"(all sites and slots: {mean_all:.1f})"
        )
    return out


def report_text(doc: Mapping[str, Any]) -> str:
    """The readable report of a demo document (see the module docstring)."""
    t = doc.get("timings", {})
    lines = _head(doc) + _placements(doc) + _burdens(doc) + _caps(doc) + _sci(doc) + _push(doc)
    keys = ("up_s", "discover_s", "plan_s", "baselines_s", "push_s", "read_back_s", "down_s")
    lines.append("timings: " + ", ".join(f"{k[:-2]} {t[k]:.2f} s" for k in keys if k in t))
    if doc.get("figure"):
        lines.append(f"figure: {doc['figure']}")
    return "\n".join(lines)


def write_figure(doc: Mapping[str, Any], path: str | Path) -> Path:
    """Draw the demo figure to ``path`` (PNG) and return the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plan, bases = doc["plan"], doc.get("baselines", {})
    sites = [s["id"] for s in doc.get("sites", [])]
    n = int(doc.get("n_slots", 24))
    joint = per_site_power(plan, sites, n)
    co2 = per_site_power(bases["co2-only"], sites, n) if "co2-only" in bases else None
    caps = {s["id"]: s.get("power_cap_kw") for s in doc.get("sites", [])}
    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    hours = list(range(n))
    for ax, s in zip(axes.flat[:3], sites[:3], strict=False):
        ax.bar(hours, joint[s], width=0.8, color="tab:green", label="joint (fsor)")
        if co2 is not None:
            ax.step(hours, co2[s], where="mid", color="tab:red", lw=1.8, label="co2-only")
        if caps.get(s) is not None:
            ax.axhline(float(caps[s]), color="black", ls="--", lw=1.2, label="power cap")
        ax.set_title(f"{s}: power per hour (compute + network, with PUE)")
        ax.set_xlabel("hour (UTC)")
        ax.set_ylabel("kW")
        ax.set_xlim(-0.6, n - 0.4)
        ax.legend(fontsize=8, loc="upper left")
    ax = axes.flat[3]
    tj = burden_totals(plan)
    dims = [d for d in _ORDER if tj.get(d)]
    names = list(bases)
    w = 0.8 / max(1, len(names))
    colours = {"co2-only": "tab:red", "sequential": "tab:orange", "first-fit": "tab:blue"}
    for i, name in enumerate(names):
        tb = burden_totals(bases[name])
        rej = _rejected(bases[name])
        ax.bar(
            [k + (i - (len(names) - 1) / 2) * w for k in range(len(dims))],
            [tb.get(d, 0.0) / tj[d] for d in dims],
            width=w,
            color=colours.get(name),
            label=f"{name} ({bases[name]['status']}"
            + (f", {rej} workload(s) rejected)" if rej else ")"),
        )
    ax.axhline(1.0, color="tab:green", lw=2, label="joint (fsor) = 1")
    ax.set_xticks(range(len(dims)), dims)
    ax.set_ylabel("burden / joint plan's burden")
    ax.set_title("total burden per dimension, baselines vs joint")
    ax.set_ylim(0, 1.45)
    ax.legend(fontsize=8, loc="upper left", ncol=2)
    fig.suptitle(f"fsor demo, {doc.get('inputs', {}).get('date', '')}: joint plan vs baselines")
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out
