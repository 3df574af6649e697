"""Baseline planners to compare the joint program with: co2-only, sequential, first-fit.

Imports :mod:`optimizer.solve` (sequential uses the Planner), model and inputs; not analysis.
"""

from optimizer.baselines.planners import (
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
    "LOCAL_DIMS",
    "co2_only",
    "first_fit",
    "run_baseline",
    "sequential",
    "zone_burdens",
]
