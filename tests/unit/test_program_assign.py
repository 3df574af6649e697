"""The exact wavelength-assignment step: continuity, one use per fibre, alternatives, blocking."""

from __future__ import annotations

from optimizer.solve.assign import Request, assign_slot


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
