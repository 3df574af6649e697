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

__all__ = ["place_unserved", "repair_blocked", "repair_result"]


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


def place_unserved(
    inst: Instance,
    placements: Sequence[Placement],
    lightpaths: Sequence[Lightpath],
    unserved: Sequence[str],
) -> tuple[list[Placement], list[Lightpath], list[str], npt.NDArray[np.float64]]:
    """Workloads a plan leaves out placed first-fit around everything it keeps.

    The search may end with a workload unserved that a greedy pass still fits (its
    neighbourhoods never freed the right rivals): priced as lost work, one such workload
    can be several per cent of the objective. Returns placements, lightpaths, the
    workloads still unplaced and energy[site, slot].
    """
    before = Result(list(placements), list(lightpaths), [], [], np.zeros(0))
    todo = set(unserved)
    out = greedy(inst, [j for j in jobs(inst) if j.wid in todo], before)
    placed = {p.workload for p in out.placements}
    left = [w for w in unserved if w not in placed]
    return out.placements, out.lightpaths, left, out.energy
