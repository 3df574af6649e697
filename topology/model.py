"""Inventory dataclasses: the optical network as plain, frozen data.

Everything here is pure and immutable. An :class:`Inventory` is what a loader
(:mod:`topology.io`) or NETCONF discovery produces; :func:`topology.build.build`
turns it into a networkx graph.

Conventions
-----------
* Ids are strings, unique across all element kinds of one inventory.
* A :class:`Fibre` is a *bidirectional fibre pair* between two ROADMs: one
  fibre each way, sharing the channel occupancy. A lightpath uses the same
  channel (frequency) in both directions. This is a simplification (real
  networks can use different frequencies per direction); it is documented in
  ``docs/network.md``.
* Channels are integers ``0 .. grid.count - 1`` of an ITU-T G.694.1 fixed grid.

>>> grid = ChannelGrid()
>>> grid.count, grid.frequency_thz(0), grid.frequency_thz(95)
(96, 191.35, 196.1)
>>> grid.channel_of(193.1)
35
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol, TypeVar

from topology.errors import InputError

__all__ = [
    "DEFAULT_MODES",
    "Amplifier",
    "ChannelGrid",
    "Demand",
    "EnergyParams",
    "Fibre",
    "Inventory",
    "Roadm",
    "Site",
    "TransceiverMode",
    "Transponder",
]

_FREQ_TOL_THZ = 1e-6


@dataclass(frozen=True)
class ChannelGrid:
    """An ITU-T G.694.1 fixed DWDM grid.

    Channel ``ch`` (0-based) has nominal central frequency
    ``anchor_thz + (first_index + ch) * spacing_ghz / 1000`` THz. The default,
    96 channels at 50 GHz from n = -35, spans 191.35-196.10 THz (the C band).

    >>> g = ChannelGrid(count=48, spacing_ghz=100.0, first_index=-17)
    >>> round(g.frequency_thz(0), 3), round(g.frequency_thz(47), 3)
    (191.4, 196.1)
    """

    count: int = 96
    spacing_ghz: float = 50.0
    anchor_thz: float = 193.1
    first_index: int = -35

    def __post_init__(self) -> None:
        if self.count <= 0:
            raise InputError("grid", "count", self.count, "expected a channel count > 0")
        if not self.spacing_ghz > 0:
            raise InputError("grid", "spacing_ghz", self.spacing_ghz, "expected a spacing > 0 GHz")

    @property
    def channels(self) -> frozenset[int]:
        """All channel numbers of the grid."""
        return frozenset(range(self.count))

    def frequency_thz(self, ch: int) -> float:
        """Central frequency of channel ``ch`` in THz (rounded to 1 MHz)."""
        if not 0 <= ch < self.count:
            raise InputError("grid", "channel", ch, f"expected a channel in 0..{self.count - 1}")
        n = self.first_index + ch
        return round(self.anchor_thz + n * self.spacing_ghz / 1000.0, 6)

    def channel_of(self, frequency_thz: float) -> int:
        """Channel number of a central frequency; :class:`InputError` when off-grid.

        >>> ChannelGrid().channel_of(193.125)
        Traceback (most recent call last):
        ...
        topology.errors.InputError: grid: frequency_thz: expected a frequency on the 50.0 GHz \
grid anchored at 193.1 THz, got 193.125
        """
        step = self.spacing_ghz / 1000.0
        n_float = (frequency_thz - self.anchor_thz) / step
        n = round(n_float)
        if not math.isfinite(n_float) or abs(n_float - n) * step > _FREQ_TOL_THZ:
            raise InputError(
                "grid",
                "frequency_thz",
                frequency_thz,
                f"expected a frequency on the {self.spacing_ghz} GHz grid anchored at "
                f"{self.anchor_thz} THz",
            )
        ch = n - self.first_index
        if not 0 <= ch < self.count:
            raise InputError(
                "grid",
                "frequency_thz",
                frequency_thz,
                f"expected a frequency in {self.frequency_thz(0)}.."
                f"{self.frequency_thz(self.count - 1)} THz",
            )
        return ch


@dataclass(frozen=True)
class TransceiverMode:
    """One operational mode of a coherent transceiver (modulation, rate, reach).

    ``power_w`` is the power of ONE transponder (both directions) in this mode;
    ``reach_km`` the transparent reach without regeneration (approximate, see
    ``docs/model.md``).
    """

    name: str
    line_rate_gbps: float
    reach_km: float
    power_w: float
    modulation: str = ""
    baud_gbd: float = 0.0


def _vizcaino_w(rate_gbps: float) -> float:
    # López Vizcaíno et al. 2012, linear transponder model: P = 1.683 * R + 91.333 W
    return round(1.683 * rate_gbps + 91.333, 3)


#: Default reach table (one mode per modulation format on a 50 GHz grid).
#: Reaches are typical published planning values, approximate; the subsea mode
#: stands for submarine-class line systems with strong FEC (order 10^4 km).
DEFAULT_MODES: tuple[TransceiverMode, ...] = (
    TransceiverMode("dp-16qam-200g", 200.0, 800.0, _vizcaino_w(200.0), "DP-16QAM", 32.0),
    TransceiverMode("dp-8qam-150g", 150.0, 1500.0, _vizcaino_w(150.0), "DP-8QAM", 32.0),
    TransceiverMode("dp-qpsk-100g", 100.0, 3000.0, _vizcaino_w(100.0), "DP-QPSK", 32.0),
    TransceiverMode("dp-qpsk-100g-subsea", 100.0, 12000.0, _vizcaino_w(100.0) + 30.0, "DP-QPSK"),
    TransceiverMode("dp-bpsk-50g-subsea", 50.0, 14000.0, _vizcaino_w(50.0) + 30.0, "DP-BPSK"),
)


@dataclass(frozen=True)
class EnergyParams:
    """Per-device-type power figures (W); every field can be overridden.

    Defaults and their sources are listed in ``docs/model.md``
    ("Network model and energy").
    """

    #: one bidirectional in-line amplifier site (two EDFAs + shelf share)
    amplifier_w: float = 110.0
    #: ROADM power per degree (WSS, booster/pre-amp, OCM) ...
    roadm_degree_w: float = 85.0
    #: ... plus a fixed base per ROADM node (controller, fans, shelf)
    roadm_base_w: float = 150.0
    #: charge amplifier and ROADM power to one lightpath as its 1/channels share
    share_line_equipment: bool = True
    #: modes used when a transponder declares none; also the default reach table
    modes: tuple[TransceiverMode, ...] = DEFAULT_MODES

    def mode(self, name: str) -> TransceiverMode:
        """The mode called ``name``; :class:`InputError` if unknown."""
        for m in self.modes:
            if m.name == name:
                return m
        known = ", ".join(m.name for m in self.modes)
        raise InputError("energy", "mode", name, f"expected one of {known}")


@dataclass(frozen=True)
class Roadm:
    """A ROADM. ``degrees`` are the ids of the fibres it terminates (one per degree)."""

    id: str
    degrees: tuple[str, ...] = ()
    add_drop_ports: int = 16
    name: str = ""
    region: str = ""
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class Transponder:
    """A transponder attached to a ROADM's add/drop side.

    ``freq_range_thz`` is the tunable range (inclusive); ``modes`` empty means
    the inventory's :attr:`EnergyParams.modes`.
    """

    id: str
    roadm: str
    line_ports: int = 1
    modes: tuple[TransceiverMode, ...] = ()
    freq_range_thz: tuple[float, float] = (191.35, 196.10)

    def supports(self, frequency_thz: float) -> bool:
        """Whether the transponder can tune to ``frequency_thz``.

        >>> Transponder("t", "r").supports(193.1), Transponder("t", "r").supports(197.0)
        (True, False)
        """
        lo, hi = self.freq_range_thz
        return lo - _FREQ_TOL_THZ <= frequency_thz <= hi + _FREQ_TOL_THZ


@dataclass(frozen=True)
class Amplifier:
    """A managed in-line amplifier site on a fibre. ``power_w`` None: use EnergyParams."""

    id: str
    fibre: str
    gain_db: float = 20.0
    power_w: float | None = None
    position_km: float | None = None


@dataclass(frozen=True)
class Site:
    """A data-centre site attached to a ROADM.

    ``region`` keys the signal region (e.g. "DE", "JP", "CA"); caps None = uncapped.
    """

    id: str
    roadm: str
    region: str
    pue: float = 1.2
    wue_l_per_kwh: float = 1.8
    power_cap_kw: float | None = None
    water_cap_l_per_day: float | None = None
    name: str = ""


@dataclass(frozen=True)
class Fibre:
    """A bidirectional fibre pair between ROADMs ``a`` and ``b``.

    ``spans`` amplified spans, ``amplifiers`` in-line amplifier sites (usually
    ``spans - 1``), ``occupied`` channels already lit (both directions).

    >>> f = Fibre("f1", "r1", "r2", 160.0, 2, 1, ChannelGrid(count=4), frozenset({1}))
    >>> sorted(f.free)
    [0, 2, 3]
    """

    id: str
    a: str
    b: str
    length_km: float
    spans: int = 1
    amplifiers: int = 0
    grid: ChannelGrid = field(default_factory=ChannelGrid)
    occupied: frozenset[int] = frozenset()

    @property
    def free(self) -> frozenset[int]:
        """Channels not occupied."""
        return self.grid.channels - self.occupied

    def other_end(self, node: str) -> str:
        """The end of the fibre that is not ``node``."""
        return self.b if node == self.a else self.a


@dataclass(frozen=True)
class Demand:
    """A traffic demand between two nodes (e.g. an SNDlib demand), ``value`` in ``unit``."""

    id: str
    source: str
    target: str
    value: float
    unit: str = "Gbps"


@dataclass(frozen=True)
class Inventory:
    """A whole network: devices, sites, fibres, energy figures and demands."""

    name: str
    roadms: tuple[Roadm, ...]
    transponders: tuple[Transponder, ...] = ()
    amplifiers: tuple[Amplifier, ...] = ()
    sites: tuple[Site, ...] = ()
    fibres: tuple[Fibre, ...] = ()
    energy: EnergyParams = field(default_factory=EnergyParams)
    demands: tuple[Demand, ...] = ()
    directed_source: bool = False  # did the source file count links one-way?
    source_links: int | None = None  # the number of links as the source counted them

    def roadm(self, rid: str) -> Roadm:
        """ROADM by id (KeyError if absent)."""
        return _find(self.roadms, rid)

    def fibre(self, fid: str) -> Fibre:
        """Fibre by id (KeyError if absent)."""
        return _find(self.fibres, fid)

    def site(self, sid: str) -> Site:
        """Site by id (KeyError if absent)."""
        return _find(self.sites, sid)

    def transponder(self, tid: str) -> Transponder:
        """Transponder by id (KeyError if absent)."""
        return _find(self.transponders, tid)

    def transponders_at(self, roadm: str) -> tuple[Transponder, ...]:
        """Transponders attached to ``roadm``."""
        return tuple(t for t in self.transponders if t.roadm == roadm)

    def sites_at(self, roadm: str) -> tuple[Site, ...]:
        """Sites attached to ``roadm``."""
        return tuple(s for s in self.sites if s.roadm == roadm)

    def fibres_between(self, a: str, b: str) -> tuple[Fibre, ...]:
        """Fibres joining ROADMs ``a`` and ``b`` (either orientation)."""
        return tuple(f for f in self.fibres if {f.a, f.b} == {a, b})

    def with_occupied(self, occupied: Mapping[str, frozenset[int]]) -> Inventory:
        """A copy whose fibres have the given occupancy (fibre id -> channels)."""
        fibres = tuple(
            replace(f, occupied=frozenset(occupied[f.id])) if f.id in occupied else f
            for f in self.fibres
        )
        return replace(self, fibres=fibres)


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


_T = TypeVar("_T", bound=_HasId)


def _find(items: tuple[_T, ...], key: str) -> _T:
    for item in items:
        if item.id == key:
            return item
    raise KeyError(key)
