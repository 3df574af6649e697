"""The integral α: the largest scale of the workload mix with integral placements, by bisection.

The integral region at scale α asks for ``⌈α·m_c⌉`` workloads of every class c
placed integrally (placements and lightpath counts integral, every cap
holding; wavelength continuity is the aggregated channel bound of the program,
not the assignment step). Feasibility is monotone in α (dropping workloads
never breaks a cap), and it changes only at the breakpoints ``j / m_c``, so
α_int is one of them. Bisection over the sorted breakpoints below the LP α
solves one MILP per step, compiled once: the class counts are Parameters
(``shed ≤ N_c − ⌈α·m_c⌉`` on a copy of the instance with ``N_c`` workloads per
class). Every answer is proven: a feasible MILP gives a lower bound, an
infeasible one (or the LP relaxation) an upper bound; a MILP that ends at its
time limit without either stops the bisection and the bounds are reported as
they stand.

>>> from optimizer.inputs import make_instance
>>> from optimizer.inputs.signals import default_signals
>>> from optimizer.inputs.workloads import default_workloads
>>> from optimizer.inputs.caps import Caps
>>> from topology.io import default_inventory
>>> caps = Caps(site_power_kw={"dc-fra": 0.01, "dc-tyo": 0.01, "dc-sjc": 0.01})
>>> inst = make_instance(default_inventory(), default_signals(), default_workloads(), caps)
>>> r = integral_alpha(inst)
>>> r.lower, r.upper, r.exact  # 1 job per site and slot fits (0.0083 kW), 2 do not
(72.0, 72.0, True)
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace
from fractions import Fraction

import cvxpy as cp
import numpy as np

from optimizer.analysis.region import ScaleModel
from optimizer.inputs.instance import Instance
from optimizer.model.formulation import build
from optimizer.solve.highs import FsorHighs

__all__ = ["IntegralAlpha", "breakpoints", "integral_alpha"]


@dataclass(frozen=True)
class IntegralAlpha:
    """Proven bounds ``lower ≤ α_int ≤ upper``; ``solves`` MILPs, ``lp_alpha`` the relaxation."""

    lower: float
    upper: float
    lp_alpha: float
    solves: int
    note: str = ""

    @property
    def exact(self) -> bool:
        return self.lower == self.upper

    def to_json(self) -> dict[str, object]:
        up = self.upper if math.isfinite(self.upper) else None
        return {
            "lower": self.lower,
            "upper": up,
            "lp_alpha": _finite(self.lp_alpha),
            "exact": self.exact,
            "milp_solves": self.solves,
            "note": self.note,
        }


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def breakpoints(counts: list[int], alpha_max: float) -> list[Fraction]:
    """Sorted distinct ``j / m`` ≤ ``alpha_max`` for every class count m (0 included).

    >>> [str(b) for b in breakpoints([2, 3], 1.0)]
    ['0', '1/3', '1/2', '2/3', '1']
    """
    out: set[Fraction] = {Fraction(0)}
    for m in counts:
        top = math.floor(alpha_max * m + 1e-9)
        out.update(Fraction(j, m) for j in range(1, top + 1))
    return sorted(out)


def _need(alpha: Fraction, m: int) -> int:
    return math.ceil(alpha * m)


class _Feasibility:
    """The integral program with ``⌈α·m_c⌉`` workloads of each class, compiled once."""

    def __init__(self, inst: Instance, alpha_max: float, time_limit: float) -> None:
        self.counts = [c.count for c in inst.classes]
        top = [max(_need(Fraction(alpha_max).limit_denominator(10**6), m), m) for m in self.counts]
        classes = tuple(
            replace(c, ids=tuple(f"{c.ids[0]}#{i}" for i in range(n)))
            for c, n in zip(inst.classes, top, strict=True)
        )
        self.top = top
        self.form = build(
            replace(inst, classes=classes),
            integer=True,
            elastic="workload",
            integer_lightpaths=True,
        )
        self.limit = cp.Parameter(len(top), nonneg=True, name="shed_max")
        shed = self.form.slacks["workload"]
        self.problem = cp.Problem(
            cp.Minimize(0), [*self.form.problem.constraints, shed <= self.limit]
        )
        self.time_limit = time_limit

    def feasible(self, alpha: Fraction) -> bool | None:
        """True/False when proven, None when the time limit ended the search first."""
        self.limit.value = np.array(
            [n - _need(alpha, m) for n, m in zip(self.top, self.counts, strict=True)], dtype=float
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            try:
                self.problem.solve(  # type: ignore[no-untyped-call]
                    solver=FsorHighs(), time_limit=self.time_limit
                )
            except cp.error.SolverError:
                return None
        st = self.problem.status
        if st in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
            return True
        if st in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
            return False
        return None


def integral_alpha(
    inst: Instance, *, time_limit: float = 30.0, lp_alpha: float | None = None
) -> IntegralAlpha:
    """Bisection for α_int with proven bounds (see the module docstring)."""
    if lp_alpha is None:
        lp_alpha = ScaleModel(inst, time_limit=time_limit).solve()
    if not math.isfinite(lp_alpha):
        return IntegralAlpha(0.0, math.inf, lp_alpha, 0, "LP relaxation unbounded or failed")
    cands = breakpoints([c.count for c in inst.classes], lp_alpha)
    feas = _Feasibility(inst, float(cands[-1]), time_limit)
    lo, hi = 0, len(cands) - 1  # cands[lo] proven feasible; α_int ≤ cands[hi] (LP bound)
    solves = 0
    note = "bisection over the breakpoints j/m_c below the LP alpha"
    # the top candidate first: when it fits, α_int is found in one solve
    while lo < hi:
        mid = hi if solves == 0 else (lo + hi + 1) // 2
        ok = feas.feasible(cands[mid])
        solves += 1
        if ok is None:
            note = f"stopped: the MILP at alpha={float(cands[mid]):.6g} hit its time limit"
            break
        if ok:
            lo = mid
        else:
            hi = mid - 1
    return IntegralAlpha(float(cands[lo]), float(cands[hi]), lp_alpha, solves, note)
