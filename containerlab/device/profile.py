"""The startup file of one emulated device: what it is, its ports, modes, power figures.

The format is documented in ``containerlab/device/README.md``. :func:`load_startup` reads a
YAML file, :func:`parse_startup` checks a mapping; both return a frozen :class:`DeviceProfile`
or raise :class:`topology.errors.InputError` naming the file, field and value.

>>> p = parse_startup({"name": "t1", "kind": "transponder",
...     "ports": [{"name": "line-1"}], "modes": [{"id": 1, "rate_gbps": 100, "power_w": 40}],
...     "optical_channels": [{"name": "och-1", "line_port": "line-1"}]}, "<doc>")
>>> p.kind, p.grid.min_mhz, p.modes[0].power_w, p.optical_channels[0].line_port
('transponder', 191300000, 40.0, 'line-1')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from topology.errors import InputError

__all__ = [
    "AmplifierSpec",
    "DeviceProfile",
    "Grid",
    "MediaChannelSpec",
    "Mode",
    "OpticalChannelSpec",
    "Port",
    "Power",
    "load_startup",
    "parse_startup",
]

KINDS = ("transponder", "roadm", "amplifier")


def _bad(source: str, field_: str, value: object, expected: str) -> InputError:
    return InputError(source, field_, value, f"expected {expected}")


@dataclass(frozen=True)
class Port:
    """A line/client port; ``neighbor_*`` feed LLDP neighbour state."""

    name: str
    role: str = "line"
    neighbor_device: str | None = None
    neighbor_port: str | None = None


@dataclass(frozen=True)
class Grid:
    """Supported spectrum in integer MHz; centre frequencies lie on ``anchor + k·step``."""

    min_mhz: int = 191_300_000
    max_mhz: int = 196_100_000
    step_mhz: int = 6_250
    anchor_mhz: int = 193_100_000

    def on_grid(self, mhz: int) -> bool:
        """Whether ``mhz`` is inside the band and on the grid.

        >>> Grid().on_grid(193_150_000), Grid().on_grid(190_000_000), Grid().on_grid(193_100_001)
        (True, False, False)
        """
        return self.min_mhz <= mhz <= self.max_mhz and (mhz - self.anchor_mhz) % self.step_mhz == 0


@dataclass(frozen=True)
class Mode:
    """A transponder operational mode: id advertised by the device, line rate, electrical power."""

    id: int
    rate_gbps: float
    power_w: float
    description: str = ""
    width_ghz: float = 50.0


@dataclass(frozen=True)
class Power:
    """Electrical power figures in watts (see README for where each is reported)."""

    idle_w: float = 100.0
    budget_w: float = 1000.0
    psu_w: float = 1500.0
    per_channel_w: float = 0.0
    per_amplifier_w: float = 15.0
    channel_power_dbm: float = 0.0


@dataclass(frozen=True)
class OpticalChannelSpec:
    """A transponder optical channel and its initial (optional) configuration."""

    name: str
    line_port: str
    frequency_mhz: int | None = None
    target_output_power_dbm: float | None = None
    operational_mode: int | None = None


@dataclass(frozen=True)
class MediaChannelSpec:
    """An initial ROADM media channel."""

    index: int
    lower_mhz: int
    upper_mhz: int
    source: str
    dest: str
    name: str = ""


@dataclass(frozen=True)
class AmplifierSpec:
    """One optical amplifier of an amplifier node."""

    name: str
    type: str = "EDFA"
    gain_db: float = 20.0
    ingress_port: str | None = None
    egress_port: str | None = None


@dataclass(frozen=True)
class DeviceProfile:
    """Everything the startup file says about a device."""

    name: str
    kind: str
    ports: tuple[Port, ...]
    grid: Grid = Grid()
    power: Power = Power()
    modes: tuple[Mode, ...] = ()
    optical_channels: tuple[OpticalChannelSpec, ...] = ()
    media_channels: tuple[MediaChannelSpec, ...] = ()
    amplifiers: tuple[AmplifierSpec, ...] = ()
    spans: int = 0
    length_km: float = 0.0
    config_xml: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)

    def port_names(self) -> tuple[str, ...]:
        """Names of the device's ports."""
        return tuple(p.name for p in self.ports)


def load_startup(path: str | Path) -> DeviceProfile:
    """Read and check a startup YAML file."""
    src = str(path)
    try:
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise _bad(src, "file", str(exc), "a readable startup YAML file") from exc
    except yaml.YAMLError as exc:
        raise _bad(src, "file", str(exc).splitlines()[0], "valid YAML") from exc
    return parse_startup(doc, src)


class _Reader:
    """Typed field access that raises ``InputError`` naming source and field."""

    def __init__(self, source: str) -> None:
        self.source = source

    def mapping(self, obj: object, where: str) -> Mapping[str, Any]:
        if not isinstance(obj, Mapping):
            raise _bad(self.source, where, obj, "a mapping")
        return obj

    def seq(self, obj: Mapping[str, Any], key: str, where: str) -> list[Any]:
        value = obj.get(key, [])
        if not isinstance(value, list):
            raise _bad(self.source, f"{where}{key}", value, "a list")
        return value

    def text(self, obj: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
        value = obj.get(key, default)
        if not isinstance(value, str) or not value:
            raise _bad(self.source, f"{where}{key}", value, "a non-empty string")
        return value

    def opt_text(self, obj: Mapping[str, Any], key: str, where: str) -> str | None:
        return None if obj.get(key) is None else self.text(obj, key, where)

    def number(self, obj: Mapping[str, Any], key: str, where: str, default: float) -> float:
        value = obj.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _bad(self.source, f"{where}{key}", value, "a number")
        return float(value)

    def integer(
        self, obj: Mapping[str, Any], key: str, where: str, default: int | None = None
    ) -> int:
        value = obj.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise _bad(self.source, f"{where}{key}", value, "an integer")
        return value

    def opt_integer(self, obj: Mapping[str, Any], key: str, where: str) -> int | None:
        return None if obj.get(key) is None else self.integer(obj, key, where)

    def opt_number(self, obj: Mapping[str, Any], key: str, where: str) -> float | None:
        return None if obj.get(key) is None else self.number(obj, key, where, 0.0)


def _thz_to_mhz(r: _Reader, obj: Mapping[str, Any], key: str, where: str, default: int) -> int:
    if key not in obj:
        return default
    return round(r.number(obj, key, where, 0.0) * 1_000_000)


def parse_startup(doc: object, source: str) -> DeviceProfile:
    """Check a startup mapping (already parsed YAML) and build the profile."""
    r = _Reader(source)
    top = r.mapping(doc, "(top level)")
    name, kind = r.text(top, "name", ""), r.text(top, "kind", "")
    if kind not in KINDS:
        raise _bad(source, "kind", kind, " or ".join(KINDS))
    ports = tuple(
        _port(r, r.mapping(p, f"ports[{i}]"), i) for i, p in enumerate(r.seq(top, "ports", ""))
    )
    names = [p.name for p in ports]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise _bad(source, "ports", dup[0], "unique port names")
    g = r.mapping(top.get("grid", {}), "grid")
    d = Grid()
    grid = Grid(
        _thz_to_mhz(r, g, "min_thz", "grid.", d.min_mhz),
        _thz_to_mhz(r, g, "max_thz", "grid.", d.max_mhz),
        round(r.number(g, "step_ghz", "grid.", d.step_mhz / 1000) * 1000),
        _thz_to_mhz(r, g, "anchor_thz", "grid.", d.anchor_mhz),
    )
    if grid.min_mhz >= grid.max_mhz or grid.step_mhz <= 0:
        raise _bad(source, "grid", g, "min_thz < max_thz and step_ghz > 0")
    pw = r.mapping(top.get("power", {}), "power")
    dp = Power()
    power = Power(*(r.number(pw, f, "power.", getattr(dp, f)) for f in Power.__dataclass_fields__))
    modes = tuple(
        Mode(
            r.integer(m, "id", f"modes[{i}]."),
            r.number(m, "rate_gbps", f"modes[{i}].", 100.0),
            r.number(m, "power_w", f"modes[{i}].", 0.0),
            str(m.get("description", "")),
            r.number(m, "width_ghz", f"modes[{i}].", 50.0),
        )
        for i, m in enumerate(
            r.mapping(x, f"modes[{i}]") for i, x in enumerate(r.seq(top, "modes", ""))
        )
    )
    ochs = tuple(
        _och(r, r.mapping(o, f"optical_channels[{i}]"), i, set(names))
        for i, o in enumerate(r.seq(top, "optical_channels", ""))
    )
    mcs = tuple(
        _media(r, r.mapping(m, f"media_channels[{i}]"), i, set(names))
        for i, m in enumerate(r.seq(top, "media_channels", ""))
    )
    amps = tuple(
        _amp(r, r.mapping(a, f"amplifiers[{i}]"), i, set(names))
        for i, a in enumerate(r.seq(top, "amplifiers", ""))
    )
    config_xml = top.get("config_xml", "") or ""
    if not isinstance(config_xml, str):
        raise _bad(source, "config_xml", config_xml, "an XML string")
    labels = r.mapping(top.get("labels", {}), "labels")
    return DeviceProfile(
        name=name,
        kind=kind,
        ports=ports,
        grid=grid,
        power=power,
        modes=modes,
        optical_channels=ochs,
        media_channels=mcs,
        amplifiers=amps,
        spans=r.integer(top, "spans", "", 0),
        length_km=r.number(top, "length_km", "", 0.0),
        config_xml=config_xml,
        labels={str(k): str(v) for k, v in labels.items()},
    )


def _port(r: _Reader, p: Mapping[str, Any], i: int) -> Port:
    where = f"ports[{i}]."
    nb = r.mapping(p.get("neighbor", {}) or {}, f"{where}neighbor")
    role = r.text(p, "role", where, "line")
    return Port(
        r.text(p, "name", where),
        role,
        r.opt_text(nb, "device", f"{where}neighbor."),
        r.opt_text(nb, "port", f"{where}neighbor."),
    )


def _known_port(r: _Reader, value: str, field_: str, ports: set[str]) -> str:
    if value not in ports:
        raise _bad(r.source, field_, value, f"one of the ports {sorted(ports)}")
    return value


def _och(r: _Reader, o: Mapping[str, Any], i: int, ports: set[str]) -> OpticalChannelSpec:
    where = f"optical_channels[{i}]."
    return OpticalChannelSpec(
        r.text(o, "name", where),
        _known_port(r, r.text(o, "line_port", where), f"{where}line_port", ports),
        r.opt_integer(o, "frequency_mhz", where),
        r.opt_number(o, "target_output_power_dbm", where),
        r.opt_integer(o, "operational_mode", where),
    )


def _media(r: _Reader, m: Mapping[str, Any], i: int, ports: set[str]) -> MediaChannelSpec:
    where = f"media_channels[{i}]."
    return MediaChannelSpec(
        r.integer(m, "index", where),
        r.integer(m, "lower_mhz", where),
        r.integer(m, "upper_mhz", where),
        _known_port(r, r.text(m, "source", where), f"{where}source", ports),
        _known_port(r, r.text(m, "dest", where), f"{where}dest", ports),
        str(m.get("name", "") or ""),
    )


def _amp(r: _Reader, a: Mapping[str, Any], i: int, ports: set[str]) -> AmplifierSpec:
    where = f"amplifiers[{i}]."
    typ = r.text(a, "type", where, "EDFA")
    if typ not in ("EDFA", "FORWARD_RAMAN", "BACKWARD_RAMAN", "HYBRID"):
        raise _bad(r.source, f"{where}type", typ, "EDFA, FORWARD_RAMAN, BACKWARD_RAMAN or HYBRID")
    ing, eg = r.opt_text(a, "ingress_port", where), r.opt_text(a, "egress_port", where)
    return AmplifierSpec(
        r.text(a, "name", where),
        typ,
        r.number(a, "gain_db", where, 20.0),
        None if ing is None else _known_port(r, ing, f"{where}ingress_port", ports),
        None if eg is None else _known_port(r, eg, f"{where}egress_port", ports),
    )
