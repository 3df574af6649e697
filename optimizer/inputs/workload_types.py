"""The :class:`Workload` and :class:`Variant` types (see :mod:`optimizer.inputs.workloads`).

>>> Workload("w", "n1", (1.0, 3.0), 3600.0).energy_per_slot(2.0)
(4.0,)
>>> [round(x, 3) for x in Workload.uniform("w", "n1", 3.0, 5400.0).energy_per_slot(1.0)]
[2.0, 1.0]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from topology.errors import InputError

__all__ = ["SciInputs", "Variant", "Workload"]

_EPS = 1e-9


@dataclass(frozen=True)
class SciInputs:
    """Inputs of the Software Carbon Intensity beyond energy and grid intensity (docs/region.md).

    ``embodied_g`` TE (embodied emissions of the hardware, g CO2-eq), ``lifespan_s`` EL,
    ``resource_share`` RR/ToR (the share of that hardware the workload reserves),
    ``functional_unit`` R (how many functional units one run delivers) and its name.
    Defaults are fsor assumptions: one 1.5 t CO2-eq server for 4 years, reserved whole.
    """

    embodied_g: float = 1.5e6
    lifespan_s: float = 4 * 365 * 24 * 3600.0
    resource_share: float = 1.0
    functional_unit: float = 1.0
    unit_name: str = "run"


@dataclass(frozen=True)
class Variant:
    """A service variant for throttling (EXIGENCE): power × f, duration × g, worth ``value``.

    ``energy_factor`` = f·g, ``duration_factor`` = g; ``value`` is the share of the
    full service's value it delivers (the full workload is worth 1, dropping it 0).

    >>> v = Variant("lite", 0.6, 0.7, duration_factor=1.5)
    >>> round(v.power_factor, 3), v.apply(Workload("w", "n", (3.0,), 3600.0)).profile_kwh
    (0.4, (1.7999999999999998,))
    """

    name: str
    energy_factor: float = 1.0
    value: float = 1.0
    duration_factor: float = 1.0

    @property
    def power_factor(self) -> float:
        """f: the variant's power relative to the full workload's."""
        return self.energy_factor / self.duration_factor

    def apply(self, w: Workload) -> Workload:
        """``w`` run as this variant: every interval's power × f, its length × g."""
        from dataclasses import replace

        return replace(
            w,
            profile_kwh=tuple(e * self.energy_factor for e in w.profile_kwh),
            interval_s=w.interval_s * self.duration_factor,
            variants=(),
        )


@dataclass(frozen=True)
class Workload:
    """One job. See the module docstring for the profile and window conventions.

    ``source`` and ``ref`` (file and ``workloads[i]``) only name it in errors.
    """

    id: str
    origin: str
    profile_kwh: tuple[float, ...]
    interval_s: float
    allowed_sites: tuple[str, ...] | None = None
    release: datetime | int | None = None
    deadline: datetime | int | None = None
    data_in_gb: float = 0.0
    data_out_gb: float = 0.0
    variants: tuple[Variant, ...] = ()
    sci: SciInputs = field(default_factory=SciInputs)
    source: str = field(default="<workloads>", compare=False, repr=False)
    ref: str = field(default="", compare=False, repr=False)

    @classmethod
    def uniform(
        cls, id: str, origin: str, energy_kwh: float, duration_s: float, **kw: Any
    ) -> Workload:
        """A workload drawing ``energy_kwh`` uniformly over ``duration_s`` seconds."""
        return cls(id, origin, (float(energy_kwh),), float(duration_s), **kw)

    @property
    def energy_kwh(self) -> float:
        """Total energy of the profile."""
        return float(sum(self.profile_kwh))

    @property
    def duration_s(self) -> float:
        """Total duration of the profile."""
        return len(self.profile_kwh) * self.interval_s

    def slots_needed(self, slot_hours: float) -> int:
        """Number of slots the job spans when it starts at a slot boundary (≥ 1)."""
        return max(1, math.ceil(self.duration_s / (slot_hours * 3600.0) - _EPS))

    def energy_per_slot(self, slot_hours: float) -> tuple[float, ...]:
        """u(i): energy (kWh) in each of the job's slots, from the piecewise-uniform profile."""
        n = self.slots_needed(slot_hours)
        h = slot_hours * 3600.0
        out = [0.0] * n
        for i, e in enumerate(self.profile_kwh):
            a, b = i * self.interval_s, (i + 1) * self.interval_s
            for j in range(int(a // h), min(n, math.ceil(b / h - _EPS))):
                overlap = min(b, (j + 1) * h) - max(a, j * h)
                if overlap >= self.interval_s:
                    out[j] += e
                elif overlap > 0:
                    out[j] += e * overlap / self.interval_s
        return tuple(out)

    def power_kw_per_slot(self, slot_hours: float) -> tuple[float, ...]:
        """Average power (kW) in each of the job's slots: u(i) / slot_hours."""
        return tuple(e / slot_hours for e in self.energy_per_slot(slot_hours))

    def start_window(self, slots: Sequence[datetime], slot_hours: float) -> range:
        """Slot indices the job may start at; :class:`InputError` if none fits."""
        n = self.slots_needed(slot_hours)
        count = len(slots)
        first = 0
        if isinstance(self.release, int):
            first = max(0, self.release)
        elif isinstance(self.release, datetime):
            rel = _utc(self.release)
            first = next((i for i, s in enumerate(slots) if s >= rel), count)
        last = count - n
        if isinstance(self.deadline, int):
            last = min(last, self.deadline - n)
        elif isinstance(self.deadline, datetime):
            dl = _utc(self.deadline)
            hours = slot_hours * n
            fits = [
                i for i, s in enumerate(slots) if (dl - s).total_seconds() >= hours * 3600 - 1e-6
            ]
            last = min(last, fits[-1] if fits else -1)
        if first > last:
            where = f"{self.ref}." if self.ref else f"workload {self.id}: "
            raise InputError(
                self.source,
                f"{where}release/deadline",
                f"{_show(self.release)}..{_show(self.deadline)}",
                f"expected a window that fits {n} slot(s) of {slot_hours:g} h within the "
                f"{count}-slot horizon from {slots[0].isoformat() if slots else '-'}",
            )
        return range(first, last + 1)


def _show(t: datetime | int | None) -> str:
    return t.isoformat() if isinstance(t, datetime) else str(t)


def _utc(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)
