"""The exact wavelength-assignment step: continuity, one use per fibre, alternatives, blocking."""

from __future__ import annotations

import itertools
import random

from optimizer.solve.assign import Request, assign_slot, assign_slot_exact


def test_continuity_and_no_reuse() -> None:
    free = {"f1": frozenset({0, 1, 2}), "f2": frozenset({1, 2}), "f3": frozenset({0, 2})}
    reqs = [Request(0, ("f1", "f2"), ()), Request(1, ("f2", "f3"), ()), Request(2, ("f1",), ())]
    done, blocked = assign_slot(reqs, free)
    assert blocked == []
    used: dict[str, list[int]] = {}
    for _key, fibres, ch in done:
        for f in fibres:
            assert ch in free[f]
            used.setdefault(f, []).append(ch)
    assert all(len(v) == len(set(v)) for v in used.values())


def test_alternative_route_then_blocking() -> None:
    free = {"a": frozenset({0}), "b": frozenset({0}), "c": frozenset({0})}
    reqs = [Request(0, ("a",), ()), Request(1, ("a",), (("b", "c"),)), Request(2, ("a",), ())]
    done, blocked = assign_slot(reqs, free)
    assert [(k, f) for k, f, _ in done] == [(0, ("a",)), (1, ("b", "c"))]
    assert blocked == [2]


def test_local_route_needs_no_channel() -> None:
    done, blocked = assign_slot([Request(7, (), ())], {})
    assert done == [(7, (), -1)] and blocked == []


def _valid(
    reqs: list[Request],
    free: dict[str, frozenset[int]],
    done: list[tuple[int, tuple[str, ...], int]],
) -> bool:
    by_key = {r.key: r for r in reqs}
    used: set[tuple[str, int]] = set()
    for key, route, ch in done:
        if route not in (by_key[key].fibres, *by_key[key].alternatives):
            return False
        for f in route:
            if ch not in free[f] or (f, ch) in used:
                return False
            used.add((f, ch))
    return len({k for k, _r, _c in done}) == len(done)


def _most(reqs: list[Request], free: dict[str, frozenset[int]]) -> int:
    """The most lightpaths any colouring serves (every choice tried)."""
    choices = [
        [None, *[(rt, ch) for rt in (r.fibres, *r.alternatives) for ch in range(3)]] for r in reqs
    ]
    best = 0
    for pick in itertools.product(*choices):
        done = [(r.key, c[0], c[1]) for r, c in zip(reqs, pick, strict=True) if c is not None]
        if len(done) > best and _valid(reqs, free, done):
            best = len(done)
    return best


def test_the_exact_colouring_serves_the_most_and_never_fewer_than_the_greedy() -> None:
    rng = random.Random(4)
    fibres = ["a", "b", "c"]
    beat = 0
    for _ in range(60):
        free = {f: frozenset(c for c in range(3) if rng.random() < 0.6) for f in fibres}
        reqs = []
        for k in range(3):
            own = tuple(sorted(rng.sample(fibres, rng.randint(1, 2))))
            alts = (tuple(sorted(rng.sample(fibres, 1))),) if rng.random() < 0.3 else ()
            reqs.append(Request(k, own, alts))
        greedy, g_blocked = assign_slot(reqs, free)
        done, blocked = assign_slot_exact(reqs, free)
        assert _valid(reqs, free, done)
        assert sorted([k for k, _r, _c in done] + blocked) == [0, 1, 2]
        assert len(done) == _most(reqs, free) >= len(greedy)
        beat += len(blocked) < len(g_blocked)
    assert beat > 0, "some instance where the greedy blocks and a colouring exists"
