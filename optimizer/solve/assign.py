"""Exact wavelength assignment for the lightpath counts the program chose.

The program bounds, per fibre and slot, the *number* of lightpaths by the free
channels (a relaxation of wavelength continuity). This step gives every
lightpath one channel free on *all* its fibres, per slot, greedily:
most-constrained first (fewest common free channels, then most fibres), lowest
common channel (first-fit). A request whose route has no common channel tries
the other candidate routes of its (origin, site) pair; if none has one it is
returned as blocked, and the caller re-solves with a cut on the bottleneck
fibre. When every route is a single fibre the count bound is exact and this
step never blocks.

>>> free = {"f1": frozenset({0, 1}), "f2": frozenset({1, 2})}
>>> done, blocked = assign_slot([Request(0, ("f1", "f2"), ())], free)
>>> done, blocked
([(0, ('f1', 'f2'), 1)], [])
>>> assign_slot([Request(0, ("f1", "f2"), ()), Request(1, ("f2",), ())], free)
([(0, ('f1', 'f2'), 1), (1, ('f2',), 2)], [])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Request", "assign_slot"]


@dataclass(frozen=True)
class Request:
    """One lightpath to colour: ``key`` (caller's id), its route, alternative routes."""

    key: int
    fibres: tuple[str, ...]
    alternatives: tuple[tuple[str, ...], ...]


def _common(free: Mapping[str, set[int]], fibres: Sequence[str]) -> set[int]:
    if not fibres:
        return {-1}
    out = set(free.get(fibres[0], set()))
    for f in fibres[1:]:
        out &= free.get(f, set())
    return out


def assign_slot(
    requests: Sequence[Request], free: Mapping[str, frozenset[int]]
) -> tuple[list[tuple[int, tuple[str, ...], int]], list[int]]:
    """Colour one slot's lightpaths; return ([(key, fibres used, channel)], [blocked keys]).

    A route without fibres (origin at the site's ROADM) gets channel ``-1``.
    """
    avail = {f: set(ch) for f, ch in free.items()}
    order = sorted(requests, key=lambda r: (len(_common(avail, r.fibres)), -len(r.fibres), r.key))
    done: list[tuple[int, tuple[str, ...], int]] = []
    blocked: list[int] = []
    for req in order:
        placed = False
        for route in (req.fibres, *req.alternatives):
            common = _common(avail, route)
            if common:
                ch = min(common)
                for f in route:
                    avail[f].discard(ch)
                done.append((req.key, route, ch))
                placed = True
                break
        if not placed:
            blocked.append(req.key)
    done.sort()
    return done, sorted(blocked)
