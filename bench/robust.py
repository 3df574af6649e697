"""Benchmark of the chance-constrained (SOCP) variant with ECOS (``python -m bench.robust``).

Instances: the embedded ORCA network (3 sites, DE/JP/CA) and, unless ``--quick``,
CORONET with 6 sites (``bench.plan.prepare``/``instance``: 40 channels, 50 %
occupied, site power caps at ``--power-factor`` × the mean load), 24 hourly
Table V slots, synthetic workloads, plus carbon caps that bind: per region and
day ``--carbon`` × (the region's share of sites × total energy × the region's
mean co2eq), in total per day ``--carbon`` × total energy × mean co2eq. σ:
``2023`` = the RMS day-ahead persistence error per UTC hour of the 2023
Electricity Maps carbon intensity (optimizer/data/grid-2023,
:func:`optimizer.analysis.robust.estimate_sigma`) applied to the Table V day, or ``10%``
of the signal. Per ε: the deterministic α (HiGHS,
:func:`optimizer.analysis.fsor_region.max_scale`) vs the robust α (ECOS), ECOS solve and
cvxpy compile seconds, the robust plan's expected objective vs the
deterministic LP plan's, and the lowest probability that a cap of the
deterministic LP plan (ε = 0.5) holds under the same σ.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from bench.common import format_table, write_results
from bench.plan import instance as bench_instance
from bench.plan import prepare
from optimizer.analysis.fsor_region import max_scale
from optimizer.analysis.robust import (
    Correlation,
    Sigma,
    cap_confidence,
    estimate_rho,
    estimate_sigma,
    hourly_sigma,
    robust_plan,
    robust_region,
)
from optimizer.inputs import make_instance
from optimizer.inputs.instance import Instance
from optimizer.inputs.signal_grid import GRID_2023_DIR, GRID_2023_REGIONS, load_electricity_maps
from optimizer.inputs.signals import default_signals
from optimizer.inputs.workloads import synthetic_workloads
from topology.io import default_inventory

GRID = GRID_2023_DIR
EPSILONS = (0.5, 0.1, 0.05, 0.01)


def with_carbon_caps(inst: Instance, factor: float) -> Instance:
    """Carbon caps per region and in total per day, scaled to the instance's energy."""
    total = sum(sum(c.profile_kwh) * c.count for c in inst.classes)
    g = {s.id: float(np.mean(inst.signal[(s.id, "co2eq")])) for s in inst.sites}
    regions = sorted({s.region for s in inst.sites})
    per = {}
    for r in regions:
        members = [s for s in inst.sites if s.region == r]
        share = len(members) / len(inst.sites)
        per[r] = factor * share * total * float(np.mean([g[s.id] for s in members]))
    caps = replace(
        inst.caps,
        carbon_g_per_day=per,
        carbon_total_g_per_day=factor * total * float(np.mean(list(g.values()))),
    )
    return replace(inst, caps=caps)


def sigma_2023() -> tuple[dict[tuple[str, str], np.ndarray], float]:
    """σ profile (24 UTC hours) per (region, co2eq) from the 2023 hourly carbon intensity,
    and the largest lag-1 correlation ρ of the three zones' errors (one ρ for all)."""
    out: dict[tuple[str, str], np.ndarray] = {}
    rhos = []
    for zone, region in GRID_2023_REGIONS.items():
        ci = GRID / f"{zone}_2023_carbon_intensity_hourly.csv.gz"
        sig = load_electricity_maps(ci, hours=8760)
        series = sig.series(sig.regions[0], "co2eq")
        out[(region, "co2eq")] = estimate_sigma(series)
        rhos.append(estimate_rho(series))
    return out, max(rhos)


def run(
    name: str, inst: Instance, sigma: Sigma, label: str, corr: Correlation = "independent"
) -> list[dict[str, Any]]:
    t0 = time.perf_counter()
    a_det = max_scale(inst)
    highs_s = time.perf_counter() - t0
    det = robust_plan(inst, 0.0, 0.5)
    p_det = (
        min(cap_confidence(inst, det.energy, sigma, corr).values(), default=1.0)
        if det.energy is not None
        else float("nan")
    )
    rows: list[dict[str, Any]] = []
    for eps in EPSILONS:
        reg = robust_region(inst, sigma, eps, correlation=corr)
        plan = robust_plan(inst, sigma, eps, correlation=corr)
        obj = plan.objective
        rows.append(
            {
                "instance": name,
                "wl": sum(c.count for c in inst.classes),
                "sigma": label,
                "eps": eps,
                "z": round(reg.z, 3),
                "alpha_det": a_det,
                "alpha_rob": reg.alpha if reg.alpha is not None else float("nan"),
                "ratio": (reg.alpha or 0.0) / a_det if a_det else float("nan"),
                "status": f"{reg.status}/{plan.status}",
                "highs_s": highs_s,
                "ecos_region_s": reg.solve_s or float("nan"),
                "ecos_plan_s": plan.solve_s or float("nan"),
                "compile_s": reg.compile_s or float("nan"),
                "obj_vs_det": (
                    (obj - det.objective) / det.objective
                    if obj is not None and det.objective
                    else float("nan")
                ),
                "minP_det_plan": p_det,
            }
        )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--quick", action="store_true", help="ORCA network only")
    ap.add_argument("--carbon", type=float, default=0.7, help="carbon cap factor")
    ap.add_argument("--power-factor", type=float, default=3.0, help="CORONET site power caps")
    ap.add_argument("--coronet", default="100", help="CORONET workload counts, comma-separated")
    ap.add_argument("--name", default="robust")
    args = ap.parse_args(argv)
    sig23, rho = sigma_2023()
    cases: list[tuple[str, Instance]] = []
    for n in (12, 100):
        ws = synthetic_workloads(
            n, ["roadm-fra", "roadm-tyo", "roadm-sjc"], seed=3, power_kw=(5, 50)
        )
        inst = make_instance(default_inventory(), default_signals(), ws)
        cases.append((f"orca-{n}", with_carbon_caps(inst, args.carbon)))
    if not args.quick:
        inv = prepare("coronet", 40, 0.5)
        for n in (int(k) for k in args.coronet.split(",") if k):
            inst = bench_instance(inv, n, args.power_factor)
            cases.append((f"coronet-{n}", with_carbon_caps(inst, args.carbon)))
    rows: list[dict[str, Any]] = []
    for name, inst in cases:
        prof = hourly_sigma(inst, sig23)
        rows += run(name, inst, prof, "2023")
        rows += run(name, inst, prof, f"2023 rho={rho:.2f}", rho)
        rows += run(name, inst, 0.1, "10%")
        print(format_table(rows[-3 * len(EPSILONS) :]), flush=True)
    print()
    print(format_table(rows))
    path = write_results(
        args.name,
        rows,
        carbon_factor=args.carbon,
        power_factor=args.power_factor,
        quick=args.quick,
    )
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
