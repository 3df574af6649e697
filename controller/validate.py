"""Validation before the wire: lightpath intents against the network and what it carries.

Pure functions over the intents, the discovered topology and the devices' state. Each
raises :class:`~topology.errors.InputError` naming the source (plan file), the lightpath
and the field, so nothing is sent when anything is wrong:

* :func:`check_ranges` -- power, width, mode and the confirm timeout in range, finite;
* :func:`check_grid` -- centre frequencies on the ITU-T G.694.1 flexible grid (193.1 THz
  + n x 6.25 GHz), widths a multiple of 12.5 GHz, the whole slot inside the band;
* :func:`check_paths` -- no repeated node (loops, hairpins), every hop a fibre, the
  transponders attached to the path's ends;
* :func:`check_spectrum` -- no two lightpaths overlap on a fibre, and none overlaps a
  channel the devices already carry that fsor does not manage.

>>> from controller.edits import LightpathIntent
>>> it = LightpathIntent("fsor-1", ("a", "b", "a"), 193_100_000, ("t1", "t2"))
>>> check_paths([it], "plan.json", fibres={frozenset("ab")}, attached={})
Traceback (most recent call last):
...
topology.errors.InputError: plan.json: lightpaths[fsor-1].path: expected a path \
that visits each node once (a repeats), got ['a', 'b', 'a']
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from controller.edits import PREFIX, DeviceState, LightpathIntent, Port, chain_end
from topology.errors import InputError

__all__ = [
    "BAND_MHZ",
    "GRID_ANCHOR_MHZ",
    "GRID_STEP_MHZ",
    "LIMITS",
    "WIDTH_STEP_MHZ",
    "Limits",
    "check_grid",
    "check_intents",
    "check_knobs",
    "check_paths",
    "check_ranges",
    "check_spectrum",
    "roadm_ports",
]

GRID_ANCHOR_MHZ = 193_100_000
GRID_STEP_MHZ = 6_250  # G.694.1 flexible grid: centre = 193.1 THz + n x 6.25 GHz
WIDTH_STEP_MHZ = 12_500  # slot width = m x 12.5 GHz
#: the band fsor provisions by default: C and L (as the fsor-lightpath YANG range)
BAND_MHZ = (184_500_000, 196_125_000)


@dataclass(frozen=True)
class Limits:
    """Accepted ranges of the per-lightpath and per-transaction knobs (inclusive)."""

    power_dbm: tuple[float, float] = (-30.0, 10.0)
    width_mhz: tuple[int, int] = (12_500, 400_000)
    mode: tuple[int, int] = (1, 65_535)
    confirm_timeout_s: tuple[int, int] = (1, 3_600)


LIMITS = Limits()


def _where(it: LightpathIntent) -> str:
    return f"lightpaths[{it.workload or it.id}]" if it.workload else f"lightpaths[{it.id}]"


def check_ranges(
    intents: Iterable[LightpathIntent],
    source: str,
    *,
    confirm_timeout_s: float | None = None,
    limits: Limits = LIMITS,
) -> None:
    """Power, width, mode (and the confirm timeout) finite and in range.

    >>> check_ranges([], "--confirm-timeout", confirm_timeout_s=0)
    Traceback (most recent call last):
    ...
    topology.errors.InputError: --confirm-timeout: confirm_timeout: expected seconds in \
1..3600, got 0
    """
    if confirm_timeout_s is not None:
        lo, hi = limits.confirm_timeout_s
        if not (isinstance(confirm_timeout_s, int) and lo <= confirm_timeout_s <= hi):
            raise InputError(
                source, "confirm_timeout", confirm_timeout_s, f"expected seconds in {lo}..{hi}"
            )
    for it in intents:
        w = _where(it)
        p_lo, p_hi = limits.power_dbm
        if not (math.isfinite(it.power_dbm) and p_lo <= it.power_dbm <= p_hi):
            raise InputError(
                source, f"{w}.power_dbm", it.power_dbm, f"expected a power in {p_lo}..{p_hi} dBm"
            )
        w_lo, w_hi = limits.width_mhz
        if not w_lo <= it.width_mhz <= w_hi:
            raise InputError(
                source,
                f"{w}.width_ghz",
                it.width_mhz / 1000,
                f"expected a width in {w_lo / 1000}..{w_hi / 1000} GHz",
            )
        m_lo, m_hi = limits.mode
        if it.mode is not None and not m_lo <= it.mode <= m_hi:
            raise InputError(
                source, f"{w}.mode", it.mode, f"expected an operational-mode id in {m_lo}..{m_hi}"
            )


def check_knobs(
    *, power_dbm: float, width_ghz: float, mode: int | None, limits: Limits = LIMITS
) -> None:
    """The command-line defaults (``--power-dbm``, ``--width-ghz``, ``--mode``) in range.

    >>> check_knobs(power_dbm=float("nan"), width_ghz=50, mode=None)
    Traceback (most recent call last):
    ...
    topology.errors.InputError: --power-dbm: power_dbm: expected a power in -30.0..10.0 dBm, \
got nan
    """
    lo, hi = limits.power_dbm
    if not (math.isfinite(power_dbm) and lo <= power_dbm <= hi):
        raise InputError(
            "--power-dbm", "power_dbm", power_dbm, f"expected a power in {lo}..{hi} dBm"
        )
    w_lo, w_hi = limits.width_mhz
    if not (math.isfinite(width_ghz) and w_lo <= width_ghz * 1000 <= w_hi):
        raise InputError(
            "--width-ghz",
            "width_ghz",
            width_ghz,
            f"expected a width in {w_lo / 1000}..{w_hi / 1000} GHz",
        )
    m_lo, m_hi = limits.mode
    if mode is not None and not m_lo <= mode <= m_hi:
        raise InputError(
            "--mode", "mode", mode, f"expected an operational-mode id in {m_lo}..{m_hi}"
        )


def check_grid(
    intents: Iterable[LightpathIntent], source: str, band_mhz: tuple[int, int] = BAND_MHZ
) -> None:
    """Centres on the G.694.1 flexible grid, widths m x 12.5 GHz, slots inside the band.

    >>> from controller.edits import LightpathIntent
    >>> check_grid([LightpathIntent("x", ("a",), 193_103_000, ("t", "u"))], "p.json")
    Traceback (most recent call last):
    ...
    topology.errors.InputError: p.json: lightpaths[x].frequency_thz: expected a centre \
frequency on the G.694.1 grid (193.1 THz + n x 6.25 GHz), got 193.103
    """
    lo_band, hi_band = band_mhz
    for it in intents:
        w = _where(it)
        f_thz = it.frequency_mhz / 1e6
        if (it.frequency_mhz - GRID_ANCHOR_MHZ) % GRID_STEP_MHZ:
            raise InputError(
                source,
                f"{w}.frequency_thz",
                f_thz,
                "expected a centre frequency on the G.694.1 grid (193.1 THz + n x 6.25 GHz)",
            )
        if it.width_mhz % WIDTH_STEP_MHZ:
            raise InputError(
                source,
                f"{w}.width_ghz",
                it.width_mhz / 1000,
                "expected a slot width of m x 12.5 GHz",
            )
        lo, hi = it.frequency_mhz - it.width_mhz // 2, it.frequency_mhz + it.width_mhz // 2
        if lo < lo_band or hi > hi_band:
            raise InputError(
                source,
                f"{w}.frequency_thz",
                f_thz,
                f"expected the slot ({lo / 1e6}..{hi / 1e6} THz) inside the band "
                f"{lo_band / 1e6}..{hi_band / 1e6} THz",
            )


def check_paths(
    intents: Iterable[LightpathIntent],
    source: str,
    *,
    fibres: Collection[frozenset[str]],
    attached: Mapping[str, str],
) -> None:
    """No repeated node, every hop a fibre, transponders attached to the path's ends.

    ``fibres`` holds the ROADM pairs joined by a fibre, ``attached`` maps each transponder
    to its ROADM (a transponder absent from it is not checked here).
    """
    for it in intents:
        w = _where(it)
        repeated = sorted({n for n in it.path if it.path.count(n) > 1})
        if repeated:
            raise InputError(
                source,
                f"{w}.path",
                list(it.path),
                f"expected a path that visits each node once ({', '.join(repeated)} repeats)",
            )
        for a, b in zip(it.path, it.path[1:], strict=False):
            if frozenset((a, b)) not in fibres:
                raise InputError(
                    source,
                    f"{w}.path",
                    f"{a}->{b}",
                    "expected every hop to be a discovered fibre between two ROADMs",
                )
        for t, end in zip(it.transponders, (it.path[0], it.path[-1]), strict=True):
            if t in attached and attached[t] != end:
                raise InputError(
                    source,
                    f"{w}.transponders",
                    t,
                    f"expected a transponder attached to {end} (it is attached to {attached[t]})",
                )
        if len(set(it.transponders)) != len(it.transponders):
            raise InputError(
                source, f"{w}.transponders", list(it.transponders), "expected two transponders"
            )


def _slot(it: LightpathIntent) -> tuple[int, int]:
    return it.frequency_mhz - it.width_mhz // 2, it.frequency_mhz + it.width_mhz // 2


def check_spectrum(
    intents: Sequence[LightpathIntent],
    source: str,
    *,
    states: Mapping[str, DeviceState] | None = None,
    ports: Mapping[tuple[str, str], str] | None = None,
) -> None:
    """No two intents overlap on a fibre; none overlaps a channel fsor does not manage.

    ``ports`` maps (ROADM, neighbour ROADM) to the ROADM's port towards that neighbour;
    with ``states`` it locates the channels the devices already carry.

    >>> from controller.edits import LightpathIntent
    >>> a = LightpathIntent("a", ("r1", "r2"), 193_100_000, ("t1", "t2"))
    >>> b = LightpathIntent("b", ("r2", "r1"), 193_125_000, ("t3", "t4"))
    >>> check_spectrum([a, b], "plan.json")
    Traceback (most recent call last):
    ...
    topology.errors.InputError: plan.json: lightpaths[b].frequency_thz: expected spectrum \
free on fibre r1-r2 (lightpaths[a] holds 193.075..193.125 THz), got 193.125
    """
    held: dict[frozenset[str], list[tuple[int, int, LightpathIntent]]] = {}
    for it in intents:
        lo, hi = _slot(it)
        for a, b in zip(it.path, it.path[1:], strict=False):
            key = frozenset((a, b))
            for o_lo, o_hi, other in held.get(key, []):
                if lo < o_hi and o_lo < hi:
                    raise InputError(
                        source,
                        f"{_where(it)}.frequency_thz",
                        it.frequency_mhz / 1e6,
                        f"expected spectrum free on fibre {'-'.join(sorted(key))} "
                        f"({_where(other)} holds {o_lo / 1e6}..{o_hi / 1e6} THz)",
                    )
            held.setdefault(key, []).append((lo, hi, it))
    if not states or not ports:
        return
    for it in intents:
        lo, hi = _slot(it)
        for a, b in zip(it.path, it.path[1:], strict=False):
            for dev, nbr in ((a, b), (b, a)):
                port = ports.get((dev, nbr))
                st = states.get(dev)
                if port is None or st is None:
                    continue
                for c_lo, c_hi, name in _foreign(st, port):
                    if lo < c_hi and c_lo < hi:
                        raise InputError(
                            source,
                            f"{_where(it)}.frequency_thz",
                            it.frequency_mhz / 1e6,
                            f"expected spectrum free on {dev} port {port} towards {nbr} "
                            f"(channel {name!r} already carries {c_lo / 1e6}..{c_hi / 1e6} THz)",
                        )


def _foreign(st: DeviceState, port: str) -> list[tuple[int, int, str]]:
    """Channels on ``port`` of ``st`` that fsor does not manage: (lo, hi, name)."""
    out = [
        (mc.lower_mhz, mc.upper_mhz, str(mc.name))
        for mc in st.media_channels
        if not (mc.name or "").startswith(PREFIX) and port in (mc.source_port, mc.dest_port)
    ]
    for lp in st.lightpaths:
        if not lp.id.startswith(PREFIX) and port in (lp.source_port, lp.destination_port):
            half = (lp.width_mhz or 50_000) // 2
            out.append((lp.frequency_mhz - half, lp.frequency_mhz + half, lp.id))
    return out


def check_intents(
    intents: Sequence[LightpathIntent],
    source: str,
    *,
    fibres: Collection[frozenset[str]],
    attached: Mapping[str, str],
    states: Mapping[str, DeviceState] | None = None,
    ports: Mapping[tuple[str, str], str] | None = None,
    band_mhz: tuple[int, int] = BAND_MHZ,
    confirm_timeout_s: int | None = None,
) -> None:
    """Every check above, cheapest first."""
    check_ranges(intents, source, confirm_timeout_s=confirm_timeout_s)
    check_grid(intents, source, band_mhz)
    check_paths(intents, source, fibres=fibres, attached=attached)
    check_spectrum(intents, source, states=states, ports=ports)


def roadm_ports(
    neighbours: Mapping[Port, Port], passthrough: frozenset[str], roadms: Collection[str]
) -> dict[tuple[str, str], str]:
    """(ROADM, neighbour ROADM) → the ROADM's port facing it (walking through amplifiers)."""
    out: dict[tuple[str, str], str] = {}
    for loc in sorted(neighbours, key=lambda p: (p.device, p.port)):
        if loc.device not in roadms:
            continue
        end = chain_end(loc, neighbours, passthrough)
        if end is not None and end in roadms:
            out.setdefault((loc.device, end), loc.port)
    return out
