"""The baselines by name: co2-only, sequential, sequential+repair, first-fit.

The heuristics themselves live in :mod:`optimizer.solve.heuristics` (the Planner starts
from them too); here :func:`sequential` is bound to the :class:`~optimizer.solve.program.Planner`
and each baseline is registered under the name the CLI, the service and the benches use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from optimizer.inputs.instance import Instance
from optimizer.model.plan import Plan
from optimizer.solve import heuristics
from optimizer.solve.heuristics import LOCAL_DIMS, co2_only, first_fit, zone_burdens
from optimizer.solve.program import Planner
from topology.errors import InputError

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


def sequential(inst: Instance, **options: Any) -> Plan:
    """:func:`optimizer.solve.heuristics.sequential` with the Planner placing the workloads."""
    return heuristics.sequential(inst, planner=Planner, **options)


BASELINES: dict[str, Callable[[Instance], Plan]] = {
    "co2-only": co2_only,
    "sequential": sequential,
    "first-fit": first_fit,
}


#: every name :func:`run_baseline` takes
BASELINE_NAMES: tuple[str, ...] = ("co2-only", "sequential", "sequential+repair", "first-fit")


def run_baseline(name: str, inst: Instance, time_limit: float = 60.0) -> Plan:
    """Run the baseline called ``name`` (:data:`BASELINE_NAMES`) within ``time_limit``.

    ``sequential`` and ``sequential+repair`` give their placement MILP the time limit;
    ``co2-only`` and ``first-fit`` are single greedy passes (no search to stop).
    """
    if name == "sequential+repair":
        return replace(
            sequential(inst, time_limit=time_limit, repair=True), planner="sequential+repair"
        )
    if name == "sequential":
        return sequential(inst, time_limit=time_limit)
    try:
        fn = BASELINES[name]
    except KeyError:
        raise InputError(
            "--baseline", "baseline", name, f"expected one of {', '.join(BASELINE_NAMES)}"
        ) from None
    return fn(inst)
