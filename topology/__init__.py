"""The network model: inventory dataclasses → networkx graph (pure, no I/O).

Public API (see ``docs/network.md``)::

    from topology import Inventory, build, candidate_paths, load_network, default_inventory
"""

from topology.build import build, fibre_graph
from topology.errors import DeviceError, FsorError, InputError, SolverError
from topology.model import (
    DEFAULT_MODES,
    Amplifier,
    ChannelGrid,
    Demand,
    EnergyParams,
    Fibre,
    Inventory,
    Roadm,
    Site,
    TransceiverMode,
    Transponder,
)
from topology.validate import check

__all__ = [
    "DEFAULT_MODES",
    "Amplifier",
    "ChannelGrid",
    "Demand",
    "DeviceError",
    "EnergyParams",
    "Fibre",
    "FsorError",
    "InputError",
    "Inventory",
    "Roadm",
    "Site",
    "SolverError",
    "TransceiverMode",
    "Transponder",
    "build",
    "check",
    "fibre_graph",
]
