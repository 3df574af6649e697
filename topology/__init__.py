"""The network model: inventory dataclasses → networkx graph (pure, no I/O).

Public API (see ``docs/network.md``)::

    from topology import Inventory, build, candidate_paths, load_network, default_inventory
"""

from topology.build import build, fibre_graph
from topology.energy import (
    energy_kwh_per_gb,
    lightpath_power_breakdown_w,
    lightpath_power_w,
    transfer_energy_kwh,
)
from topology.errors import DeviceError, FsorError, InputError, SolverError
from topology.export import to_rfc8345
from topology.io import default_inventory, load_named, load_network, load_source, parse_network
from topology.io_native import parse_native, to_native
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
from topology.paths import (
    CandidatePath,
    best_mode,
    candidate_paths,
    first_fit,
    regeneration_points,
    roadm_of,
)
from topology.validate import check

__all__ = [
    "DEFAULT_MODES",
    "Amplifier",
    "CandidatePath",
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
    "best_mode",
    "build",
    "candidate_paths",
    "check",
    "default_inventory",
    "energy_kwh_per_gb",
    "fibre_graph",
    "first_fit",
    "lightpath_power_breakdown_w",
    "lightpath_power_w",
    "load_named",
    "load_network",
    "load_source",
    "parse_native",
    "parse_network",
    "regeneration_points",
    "roadm_of",
    "to_native",
    "to_rfc8345",
    "transfer_energy_kwh",
]
