"""Where discovery starts: the devices to ask and the lab's metadata (the I/O loaders).

A seed comes from a running lab (``fsor lab up`` state: addresses, ports, credentials,
known_hosts, metadata file) or from a devices file (YAML/JSON)::

    name: mynet                    # optional
    known_hosts: ~/.ssh/known_hosts  # optional
    metadata: sites.yaml           # optional, relative to this file
    devices:
      - {id: roadm-fra, host: 10.0.0.1, port: 830, username: admin, password: admin,
         role: roadm}

Credentials may instead come from ``FSOR_NETCONF_USERNAME``/``FSOR_NETCONF_PASSWORD``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from controller.schemas import DevicesDoc, load
from controller.session import Credentials, Endpoint
from topology.errors import InputError

__all__ = ["DeviceSeed", "Seed", "seed_from_devices", "seed_from_lab", "seed_from_state"]


@dataclass(frozen=True)
class DeviceSeed:
    """One device to discover: its endpoint and the role the lab file gives it ('' if none)."""

    endpoint: Endpoint
    role: str = ""

    @property
    def id(self) -> str:
        """The device id (clab node name)."""
        return self.endpoint.id


@dataclass(frozen=True)
class Seed:
    """The devices, the known_hosts file to check keys against and the metadata file."""

    name: str
    devices: tuple[DeviceSeed, ...]
    known_hosts: Path | None = None
    metadata: Path | None = None


def seed_from_state(state: Mapping[str, Any], source: str = "lab state") -> Seed:
    """A seed from the lab runner's state document (see :mod:`containerlab.runner`)."""
    devices = []
    for i, nd in enumerate(state.get("nodes") or []):
        try:
            creds = (
                Credentials(str(nd["username"]), str(nd.get("password") or ""))
                if nd.get("username")
                else None
            )
            ep = Endpoint(
                str(nd["name"]), str(nd["host"]), int(nd["port"]), creds, nd.get("key_filename")
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(source, f"nodes[{i}]", nd, f"expected name/host/port ({exc})") from exc
        devices.append(DeviceSeed(ep, str(nd.get("role") or "")))
    kh, meta = state.get("known_hosts"), state.get("metadata")
    return Seed(
        str(state.get("lab") or "lab"),
        tuple(devices),
        Path(kh) if kh else None,
        Path(meta) if meta else None,
    )


def seed_from_lab(clab_file: str | Path, instance: str | None = None) -> Seed:
    """The seed of a lab brought up with ``fsor lab up FILE [--name INSTANCE]``.

    :class:`InputError` when it is not up.
    """
    from containerlab.runner import load_state

    state = load_state(clab_file, instance=instance)
    if state is None:
        raise InputError(str(clab_file), "lab", "down", "expected a running lab (fsor lab up)")
    return seed_from_state(state, str(clab_file))


def seed_from_devices(path: str | Path) -> Seed:
    """A seed from a devices file (YAML or JSON, format in the module docstring)."""
    p = Path(path)
    checked = load(DevicesDoc, p)  # types, unknown fields, duplicate keys: exit 2 by field
    doc = checked.model_dump(exclude_none=True)
    if checked.known_hosts and not Path(checked.known_hosts).expanduser().is_file():
        raise InputError(str(p), "known_hosts", checked.known_hosts, "expected an existing file")
    if not isinstance(doc, Mapping) or not isinstance(doc.get("devices"), list):
        raise InputError(str(p), "devices", doc, "expected a mapping with a 'devices' list")
    nodes = []
    for i, d in enumerate(doc["devices"]):
        if not isinstance(d, Mapping) or not d.get("id") or not d.get("host"):
            raise InputError(str(p), f"devices[{i}]", d, "expected {id, host, port?, ...}")
        nodes.append({**d, "name": d["id"], "port": d.get("port", 830)})
    base = p.resolve().parent
    meta = doc.get("metadata")
    kh = doc.get("known_hosts")
    seed = seed_from_state({"lab": doc.get("name") or p.stem, "nodes": nodes}, str(p))
    return Seed(
        seed.name,
        seed.devices,
        Path(kh).expanduser() if kh else None,
        (base / str(meta)) if meta else None,
    )
