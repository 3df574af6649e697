"""Blocked transfers placed again first-fit around the rest of a plan.

Used by the Planner after its wavelength cuts and by the ``sequential+repair``
baseline: a transfer that found no free channel on any candidate route is taken
back with its workload, and the workload is placed again greedily
(:func:`optimizer.solve.greedy.greedy`) around everything the plan keeps.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from optimizer.inputs.instance import Instance
from optimizer.model.plan import Lightpath, Placement, Unassigned
from optimizer.solve.greedy import Result, greedy, jobs

__all__ = ["repair_blocked", "repair_result"]


def repair_result(inst: Instance, res: Result) -> Result:
    """Take back the blocked workloads and place them again first-fit."""
    blocked = {u.workload for u in res.unassigned}
    keep = Result(
        [p for p in res.placements if p.workload not in blocked],
        list(res.lightpaths),
        [],
        list(res.rejected),
        np.zeros_like(res.energy),
    )
    return greedy(inst, [j for j in jobs(inst) if j.wid in blocked], keep)


def repair_blocked(
    inst: Instance,
    placements: Sequence[Placement],
    lightpaths: Sequence[Lightpath],
    blocked: Sequence[Unassigned],
) -> tuple[list[Placement], list[Lightpath], list[Unassigned], npt.NDArray[np.float64]]:
    """A plan's blocked transfers placed again first-fit around everything else it keeps.

    Returns placements, lightpaths, what is still unplaced (rejected: no option within the
    caps with a channel) and energy[site, slot] of the repaired plan.
    """
    res = Result(list(placements), list(lightpaths), list(blocked), [], np.zeros(0))
    out = repair_result(inst, res)
    return out.placements, out.lightpaths, out.unassigned, out.energy
