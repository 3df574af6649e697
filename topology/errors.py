"""The one exception root of fsor, grouped by who is at fault (GNPy style).

Every package raises subclasses of :class:`FsorError`. The CLI maps
:class:`InputError` (the user's file, field or value is wrong) to exit code 2 and
everything else to exit code 1.

>>> err = InputError("net.json", "links[3].length_km", -2.0, "expected a length >= 0 km")
>>> print(err)
net.json: links[3].length_km: expected a length >= 0 km, got -2.0
>>> isinstance(err, FsorError)
True
"""

from __future__ import annotations

from typing import Any

__all__ = ["DeviceError", "FsorError", "InputError", "SolverError"]


class FsorError(Exception):
    """Root of every error fsor raises on purpose."""


class InputError(FsorError):
    """Bad input: names the source (file), the field (path inside it) and the value."""

    def __init__(self, source: str, field: str, value: Any, expected: str) -> None:
        self.source = source
        self.field = field
        self.value = value
        self.expected = expected
        super().__init__(f"{source}: {field}: {expected}, got {value!r}")


class DeviceError(FsorError):
    """A device misbehaved: names the device and, where known, the xpath."""

    def __init__(self, device: str, message: str, xpath: str | None = None) -> None:
        self.device = device
        self.xpath = xpath
        where = f"{device} {xpath}" if xpath else device
        super().__init__(f"{where}: {message}")


class SolverError(FsorError):
    """The solver itself failed (not an infeasible instance, which is a result)."""
