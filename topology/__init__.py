"""The network model: inventory dataclasses → networkx graph (pure, no I/O)."""

from topology.errors import DeviceError, FsorError, InputError, SolverError

__all__ = ["DeviceError", "FsorError", "InputError", "SolverError"]
