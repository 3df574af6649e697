"""Declared schemas of the documents fsor reads (pydantic), one per input kind.

Every document goes through :func:`parse`: duplicate keys, wrong types (``power_dbm:
"loud"``), non-finite numbers (``NaN``, ``Infinity``) and unknown fields are refused with
an :class:`~topology.errors.InputError` naming the file, the field and the value. The
schemas are also the documentation: ``docs/formats.md`` is generated from them
(``python -m controller.schemas > docs/formats.md``).

>>> doc = parse(PlanDoc, {"status": "optimal", "lightpaths": [{"path": ["r1", "r2"],
...     "frequency_thz": 193.1, "power_dbm": "loud"}]}, "plan.json")
Traceback (most recent call last):
...
topology.errors.InputError: plan.json: lightpaths[0].power_dbm: expected a number \
(Input should be a valid number), got 'loud'
"""

from __future__ import annotations

import importlib
import inspect
import json
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from topology.errors import InputError
from topology.strict_load import load_text

__all__ = [
    "KINDS",
    "LOADER_KINDS",
    "DevicesDoc",
    "LightpathDoc",
    "PlanDoc",
    "load",
    "parse",
    "render_formats",
]

M = TypeVar("M", bound=BaseModel)

Id = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:/-]+$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True, frozen=True)


class LightpathDoc(_Strict):
    """One lightpath of a plan: the ROADM path, the centre frequency, the two transponders."""

    workload: str | None = Field(None, description="the workload it carries (none: shared)")
    path: list[Id] = Field(min_length=1, description="ROADM ids, end to end, each once")
    fibres: list[str] = Field([], description="fibre ids along the path (informative)")
    channel: int | None = Field(None, ge=0, description="channel index on the planning grid")
    frequency_thz: float = Field(
        gt=150, lt=250, description="centre frequency, THz, on the G.694.1 grid (6.25 GHz)"
    )
    transponders: list[Id] = Field(
        [],
        max_length=2,
        description="[A-end, Z-end] transponder ids; empty: `fsor apply` picks free ones",
    )
    slot: int = Field(0, ge=0, description="planning slot the lightpath is needed in")
    gb: float = Field(0.0, ge=0, description="volume it carries, GB (informative)")
    energy_kwh: float = Field(0.0, ge=0, description="transfer energy charged, kWh")
    power_dbm: float | None = Field(None, description="target output power (default: --power-dbm)")
    width_ghz: float | None = Field(None, description="slot width (default: --width-ghz)")
    mode: int | None = Field(None, description="transponder operational-mode id (default --mode)")


class PlacementDoc(BaseModel):
    """Where and when a workload runs."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False, frozen=True)
    workload: str
    site: str
    start: str = Field(description="ISO-8601 start time")
    slot: int | None = Field(None, ge=0)


class PlanDoc(BaseModel):
    """A plan, as `fsor plan --json` prints it (other keys are reports, kept and ignored)."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=True, frozen=True)
    status: Literal["optimal", "feasible", "infeasible", "error"] = Field(
        description="only `optimal` and `feasible` plans are applied"
    )
    lightpaths: list[LightpathDoc] = Field(description="the lightpaths, over all slots")
    placements: list[PlacementDoc] = Field([], description="the placements (informative)")
    slot_starts: list[str] = Field(
        [], description="ISO-8601 start of each slot (for `fsor apply --at`)"
    )
    slot_hours: float | None = Field(None, gt=0, description="slot length, hours")


class DeviceDoc(_Strict):
    """One NETCONF device to discover."""

    id: Id
    host: str = Field(min_length=1, description="address or name")
    port: int = Field(830, ge=1, le=65535)
    username: str | None = None
    password: str | None = Field(
        None, description="prefer FSOR_NETCONF_PASSWORD in the environment over this"
    )
    key_filename: str | None = None
    role: Literal["", "roadm", "transponder", "amplifier", "conformance"] = ""


class DevicesDoc(_Strict):
    """A devices file (`--devices FILE`): the devices and how to trust their keys."""

    name: str | None = None
    known_hosts: str | None = Field(None, description="known_hosts file (must exist)")
    metadata: str | None = Field(None, description="sites/regions YAML, relative to this file")
    devices: list[DeviceDoc] = Field(min_length=1)


#: input kinds with a declared schema: kind -> (model, example file under examples/)
KINDS: dict[str, tuple[type[BaseModel], str]] = {
    "plan": (PlanDoc, "plan.json"),
    "devices": (DevicesDoc, "devices.yaml"),
}


#: kinds whose loaders are their schema: kind -> (loader, example file under examples/)
LOADER_KINDS: dict[str, tuple[str, str]] = {
    "clab": ("containerlab.clab.load", "lab.clab.yml"),
    "workloads": ("optimizer.inputs.workloads.load_workloads", "workloads.yaml"),
    "caps": ("optimizer.inputs.caps.load_caps", "caps.yaml"),
    "weights": ("optimizer.inputs.caps.load_weights", "weights.yaml"),
    "signals": ("optimizer.inputs.signals.load_signals", "signals.csv"),
}


def _field(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


def _expected(err: Any) -> str:
    kind, msg = str(err["type"]), str(err["msg"])
    if kind == "finite_number" or (kind.startswith(("float", "int")) and "finite" in msg):
        return "expected a finite number"
    if kind.startswith(("float", "int")) and "valid" in msg:
        return f"expected a number ({msg})"
    if kind == "missing":
        return "expected this field (it is missing)"
    if kind == "extra_forbidden":
        return "expected no such field (misspelt?)"
    return f"expected {msg[0].lower()}{msg[1:]}" if msg else "expected a valid value"


def parse(model: type[M], doc: Any, source: str) -> M:
    """``doc`` checked against ``model``; the first problem as an :class:`InputError`."""
    try:
        return model.model_validate(doc)
    except ValidationError as exc:
        err = exc.errors()[0]
        value = err.get("input")
        if err["type"] == "extra_forbidden":
            value = err["loc"][-1]
        if err["type"] == "missing":
            value = None
        raise InputError(source, _field(tuple(err["loc"])), value, _expected(err)) from None


def load(model: type[M], path: str | Path) -> M:
    """Read ``path`` (JSON or YAML, duplicate keys refused) and :func:`parse` it."""
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as exc:
        raise InputError(str(p), "file", str(p), f"expected a readable file ({exc})") from exc
    return parse(model, load_text(text, str(p)), str(p))


def _type(prop: dict[str, Any]) -> str:
    if "$ref" in prop:
        return str(prop["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in prop:
        return " or ".join(_type(p) for p in prop["anyOf"])
    if "enum" in prop or "const" in prop:
        return " or ".join(f"`{v}`" for v in prop.get("enum", [prop.get("const")]))
    if prop.get("type") == "array":
        return f"list[{_type(prop.get('items', {}))}]"
    return str(prop.get("type", "any"))


def _table(name: str, schema: dict[str, Any]) -> list[str]:
    out = [f"#### {name}", "", schema.get("description", "").strip(), ""]
    out += ["| field | type | required | default | meaning |", "|---|---|---|---|---|"]
    required = set(schema.get("required", []))
    for field, prop in schema.get("properties", {}).items():
        limits = [
            f"{k} {prop[k]}"
            for k in (
                "minimum",
                "maximum",
                "exclusiveMinimum",
                "exclusiveMaximum",
                "minItems",
                "maxItems",
            )
            if k in prop
        ]
        meaning = " ".join(
            [prop.get("description", ""), f"({', '.join(limits)})" if limits else ""]
        ).strip()
        default = "" if field in required else json.dumps(prop.get("default"))
        out.append(
            f"| `{field}` | {_type(prop)} | {'yes' if field in required else ''} "
            f"| {default} | {meaning} |"
        )
    return [*out, ""]


def render_formats() -> str:
    """``docs/formats.md``: every kind's schema as tables, with its example file."""
    out = [
        "# Input formats",
        "",
        "Generated from `controller/schemas.py` (`python -m controller.schemas >"
        " docs/formats.md`); do not edit by hand. Check a file with `fsor validate FILE`"
        " (the kind is guessed from the content, or `--kind`). JSON or YAML; a key given"
        " twice, a non-finite number or an unknown field is an error (exit 2).",
        "",
    ]
    for kind, (model, example) in KINDS.items():
        schema = model.model_json_schema()
        out += [f"## `{kind}`", "", f"Example: [`examples/{example}`](../examples/{example}).", ""]
        out += _table(model.__name__, schema)
        for name, sub in schema.get("$defs", {}).items():
            out += _table(name, sub)
    out += ["## Kinds checked by their loaders", ""]
    out += [
        "These kinds are parsed by the loaders that use them (duplicate keys refused, values"
        " range-checked, errors name file/field/value); their documented layouts follow.",
        "",
    ]
    for kind, (func, example) in LOADER_KINDS.items():
        module, name = func.rsplit(".", 1)
        doc = inspect.getdoc(getattr(importlib.import_module(module), name)) or ""
        out += [f"### `{kind}`", "", f"Example: [`examples/{example}`](../examples/{example}).", ""]
        out += [f"From `{func}`:", "", "```text", doc.strip(), "```", ""]
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(render_formats(), end="")
