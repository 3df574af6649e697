"""The network model: inventory dataclasses → networkx graph (pure, no I/O).

Public API (see ``docs/network.md``)::

    from topology import Inventory, build, candidate_paths, load_network, default_inventory
"""

from __future__ import annotations

import sys
import types
from importlib import import_module
from typing import TYPE_CHECKING, Any

from topology.errors import DeviceError, FsorError, InputError, SolverError

if TYPE_CHECKING:
    from topology.build import build, fibre_graph
    from topology.energy import (
        energy_kwh_per_gb,
        lightpath_power_breakdown_w,
        lightpath_power_w,
        transfer_energy_kwh,
    )
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

#: public name -> defining module; imported on first use so that ``topology.errors``
#: (used by the device emulator and every CLI start) does not pull in networkx.
_LAZY = {
    "Amplifier": "topology.model",
    "CandidatePath": "topology.paths",
    "ChannelGrid": "topology.model",
    "DEFAULT_MODES": "topology.model",
    "Demand": "topology.model",
    "EnergyParams": "topology.model",
    "Fibre": "topology.model",
    "Inventory": "topology.model",
    "Roadm": "topology.model",
    "Site": "topology.model",
    "TransceiverMode": "topology.model",
    "Transponder": "topology.model",
    "best_mode": "topology.paths",
    "build": "topology.build",
    "candidate_paths": "topology.paths",
    "check": "topology.validate",
    "default_inventory": "topology.io",
    "energy_kwh_per_gb": "topology.energy",
    "fibre_graph": "topology.build",
    "first_fit": "topology.paths",
    "lightpath_power_breakdown_w": "topology.energy",
    "lightpath_power_w": "topology.energy",
    "load_named": "topology.io",
    "load_network": "topology.io",
    "load_source": "topology.io",
    "parse_native": "topology.io_native",
    "parse_network": "topology.io",
    "regeneration_points": "topology.paths",
    "roadm_of": "topology.paths",
    "to_native": "topology.io_native",
    "to_rfc8345": "topology.export",
    "transfer_energy_kwh": "topology.energy",
}


class _Package(types.ModuleType):
    """The package keeps ``topology.build`` the function when its submodule is imported.

    Importing ``topology.build`` (the module) makes Python set the package attribute
    ``build`` to that module, which would shadow the public function for every later
    ``from topology import build``; the module stays reachable in ``sys.modules``.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _LAZY.get(name) == f"topology.{name}":
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'topology' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


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
