"""The Feasible Sovereign Operating Region along the current workload mix.

:func:`max_scale` answers "how much of this workload mix can the
infrastructure sustain under its caps?": the largest α such that α times every
class count can be placed and routed with every cap holding. It solves the LP
relaxation (placements and lightpath counts fractional, α continuous), so α is
an upper estimate of the integral region (the integral plan may need a few
percent less). α ≥ 1 means the instance fits with headroom 1/α of the binding
caps; α < 1 means 1 − α of the workload must go.

>>> from optimizer.inputs import make_instance
>>> from optimizer.inputs.signals import default_signals
>>> from optimizer.inputs.workloads import default_workloads
>>> from optimizer.inputs.caps import Caps
>>> from topology.io import default_inventory
>>> caps = Caps(site_power_kw={"dc-fra": 0.01, "dc-tyo": 0.01, "dc-sjc": 0.01})
>>> inst = make_instance(default_inventory(), default_signals(), default_workloads(), caps)
>>> # per slot: 0.01 kWh / (PUE x 6.9 Wh) = 1.11 (fra) + 1.04 (tyo) + 1.21 (sjc) jobs, x 24 slots
>>> round(max_scale(inst), 1)
80.5
>>> free = make_instance(default_inventory(), default_signals(), default_workloads(), Caps(),
...                      site_caps=False)
>>> max_scale(free)  # nothing caps the workload
inf
"""

from __future__ import annotations

import warnings

import cvxpy as cp
import numpy as np

from optimizer.inputs.instance import Instance
from optimizer.model.formulation import Formulation, build
from optimizer.solve.highs import FsorHighs

__all__ = ["max_scale"]

#: per-option bound standing in for "unbounded" in the LP (an unbounded LP gives no α)
_ARTIFICIAL = 1e9


def max_scale(inst: Instance, *, time_limit: float = 60.0) -> float:
    """Largest α with α × the workload mix feasible (LP relaxation); ``inf`` if unbounded."""
    form = build(inst, integer=False, elastic="scale")
    ub = np.asarray(form.params["ub"].value, dtype=float)
    alpha = _solve(form, ub, _ARTIFICIAL, time_limit)
    if np.isfinite(alpha) and alpha > 0:
        x = np.asarray(form.x.value, dtype=float)
        if np.any(x >= _ARTIFICIAL * (1 - 1e-6)):
            # the stand-in bound binds somewhere: unbounded if α grows with it
            again = _solve(form, ub, 10 * _ARTIFICIAL, time_limit)
            if again > alpha * 1.01:
                return float("inf")
    return alpha


def _solve(form: Formulation, ub: np.ndarray, bound: float, time_limit: float) -> float:
    form.params["ub"].value = np.where(ub > 0, bound, 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        form.problem.solve(solver=FsorHighs(), time_limit=time_limit)  # type: ignore[no-untyped-call]
    if form.problem.status in (cp.UNBOUNDED, cp.settings.INFEASIBLE_OR_UNBOUNDED):
        return float("inf")
    if form.problem.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
        return 0.0
    return float(np.asarray(form.slacks["scale"].value, dtype=float))
