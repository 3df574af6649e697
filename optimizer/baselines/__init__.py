"""Baseline planners to compare the joint program with: co2-only, sequential, first-fit.

Imports :mod:`optimizer.solve` (sequential uses the Planner), model and inputs; not analysis.
"""

from optimizer.baselines.planners import (
    BASELINE_NAMES,
    BASELINES,
    LOCAL_DIMS,
    co2_only,
    first_fit,
    run_baseline,
    sequential,
    zone_burdens,
)

__all__ = [
    "BASELINES",
    "BASELINE_NAMES",
    "LOCAL_DIMS",
    "co2_only",
    "first_fit",
    "run_baseline",
    "sequential",
    "zone_burdens",
]
