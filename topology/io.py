"""Loaders: a network file or a named network → :class:`Inventory`.

These are the only functions in :mod:`topology` that read files. The format is
auto-detected from the document: GNPy JSON (``elements`` + ``connections``),
topohub / networkx node-link JSON (``nodes`` + ``edges``), or fsor's own
description (``roadms`` ...; JSON or YAML, see ``docs/network.md``).

Named networks (:func:`load_named`): ``default`` / ``orca`` (embedded),
``gnpy:coronet-global``, ``gnpy:coronet-conus``, ``gnpy:sweden``, ``gnpy:mesh``
(GNPy example data) and ``topohub:<key>`` such as ``topohub:sndlib/nobel-germany``.

>>> inv = default_inventory()
>>> len(inv.roadms), sorted(s.region for s in inv.sites)
(9, ['CA', 'DE', 'JP'])
"""

from __future__ import annotations

import importlib.resources
import importlib.util
import json
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from topology.errors import InputError
from topology.io_gnpy import is_gnpy, parse_gnpy
from topology.io_native import parse_native
from topology.io_topohub import is_topohub, parse_topohub
from topology.model import Inventory

__all__ = [
    "GNPY_NETWORKS",
    "default_inventory",
    "gnpy_example_dir",
    "load_named",
    "load_network",
    "load_source",
    "parse_network",
]

#: named GNPy example networks → file in gnpy's example-data
GNPY_NETWORKS = {
    "coronet-global": "CORONET_Global_Topology.json",
    "coronet-conus": "CORONET_CONUS_Topology.json",
    "sweden": "Sweden_OpenROADMv5_example_network.json",
    "mesh": "meshTopologyExampleV2.json",
}


def parse_network(doc: Any, source: str) -> Inventory:
    """An :class:`Inventory` from an already parsed document (format auto-detected)."""
    if is_gnpy(doc):
        return parse_gnpy(doc, source)
    if is_topohub(doc):
        return parse_topohub(doc, source)
    if isinstance(doc, dict) and "roadms" in doc:
        return parse_native(doc, source)
    keys = sorted(doc) if isinstance(doc, dict) else type(doc).__name__
    raise InputError(
        source,
        "(document)",
        keys,
        "expected a GNPy (elements, connections), node-link (nodes, edges) or fsor (roadms, ...) "
        "network",
    )


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            str(path), "(file)", str(path), f"expected a readable file ({exc})"
        ) from None
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InputError(
                str(path), "(yaml)", str(exc).splitlines()[0], "expected YAML"
            ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            str(path), f"line {exc.lineno} column {exc.colno}", exc.msg, "expected JSON"
        ) from None


def load_network(path: str | Path) -> Inventory:
    """Read and validate a network file (GNPy, node-link or fsor JSON/YAML)."""
    p = Path(path)
    return parse_network(_read(p), str(p))


@lru_cache(maxsize=1)
def default_inventory() -> Inventory:
    """The embedded ORCA network (``topology/data/orca.json``)."""
    ref = importlib.resources.files("topology.data") / "orca.json"
    return parse_native(json.loads(ref.read_text(encoding="utf-8")), "topology/data/orca.json")


def gnpy_example_dir() -> Path:
    """gnpy's ``example-data`` folder; :class:`InputError` if gnpy is not installed."""
    spec = importlib.util.find_spec("gnpy")
    if spec is None or spec.origin is None:
        raise InputError("gnpy", "package", None, "expected the gnpy package (pip install gnpy)")
    return Path(spec.origin).parent / "example-data"


def load_named(name: str) -> Inventory:
    """A named network: ``default``, ``orca``, ``gnpy:<name>``, ``topohub:<key>``."""
    if name in ("default", "orca"):
        return default_inventory()
    scheme, _, key = name.partition(":")
    if scheme == "gnpy" and key in GNPY_NETWORKS:
        return replace(load_network(gnpy_example_dir() / GNPY_NETWORKS[key]), name=name)
    if scheme == "topohub" and key:
        if importlib.util.find_spec("topohub") is None:
            raise InputError(name, "package", None, "expected the topohub package")
        import topohub

        try:
            doc = topohub.get(key)
        except (KeyError, FileNotFoundError, OSError):
            raise InputError(
                name, "key", key, "expected a topohub key like sndlib/polska"
            ) from None
        return parse_topohub(doc, name)
    known = ", ".join(["default", *(f"gnpy:{k}" for k in GNPY_NETWORKS), "topohub:<group/name>"])
    raise InputError("network", "name", name, f"expected one of {known}")


def load_source(source: str) -> Inventory:
    """A path if one exists, else a named network (what the CLI's SOURCE means)."""
    if Path(source).exists():
        return load_network(source)
    if ":" in source or source in ("default", "orca"):
        return load_named(source)
    raise InputError(source, "(file)", source, "expected an existing file or a named network")
