"""The OpenAPI 3.1 document, generated from the route table and the pydantic schemas that
validate the requests (one source: a schema cannot drift from what the server checks).

>>> from controller.service.schemas import PlanIn, Accepted
>>> spec = Route("POST", "/plans", "Queue a plan", lambda r: None, body=PlanIn,
...              responses={202: Accepted})
>>> doc = document([spec], "0")
>>> doc["openapi"], sorted(doc["paths"]["/plans"]["post"]["responses"])
('3.1.0', ['202', '400', '401', '403', '422'])
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from controller.service.schemas import ErrorOut

__all__ = ["Route", "document", "validate_body"]

REF = "#/components/schemas/{model}"


@dataclass(frozen=True)
class Route:
    """One operation: method, path, summary, handler, its schemas and parameters."""

    method: str
    path: str
    summary: str
    handler: Callable[[Any], Awaitable[Any]] | Callable[[Any], Any]
    body: type[BaseModel] | None = None
    responses: Mapping[int, type[BaseModel] | Mapping[str, Any]] = field(default_factory=dict)
    params: Sequence[Mapping[str, Any]] = ()
    raw_body: Mapping[str, Any] | None = None  # a non-JSON body (content type → schema)
    body_required: bool = True

    @property
    def mutates(self) -> bool:
        return self.method not in ("GET", "HEAD", "OPTIONS")


def _models(routes: Sequence[Route]) -> list[type[BaseModel]]:
    seen: dict[str, type[BaseModel]] = {"ErrorOut": ErrorOut}
    for r in routes:
        for m in (r.body, *r.responses.values()):
            if isinstance(m, type) and issubclass(m, BaseModel):
                seen[m.__name__] = m
    return list(seen.values())


def _ref(model: type[BaseModel]) -> dict[str, Any]:
    return {"$ref": REF.format(model=model.__name__)}


def _operation_id(r: Route) -> str:
    name = r.path.strip("/").replace("/", "_").replace("{", "").replace("}", "")
    return f"{r.method.lower()}_{name or 'root'}"


def document(routes: Sequence[Route], version: str, title: str = "fsor") -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``routes``."""
    models = _models(routes)
    _, top = models_json_schema(
        [
            (m, "validation" if any(r.body is m for r in routes) else "serialization")
            for m in models
        ],
        ref_template=REF,
    )
    schemas = dict(top.get("$defs", {}))
    paths: dict[str, dict[str, Any]] = {}
    error = {"description": "error", "content": {"application/json": {"schema": _ref(ErrorOut)}}}
    for r in routes:
        op: dict[str, Any] = {
            "summary": r.summary,
            "operationId": _operation_id(r),
            "responses": {},
        }
        if r.params:
            op["parameters"] = [dict(p) for p in r.params]
        if r.body is not None:
            op["requestBody"] = {
                "required": r.body_required,
                "content": {"application/json": {"schema": _ref(r.body)}},
            }
        elif r.raw_body is not None:
            op["requestBody"] = {"required": True, "content": dict(r.raw_body)}
        for status, model in r.responses.items():
            if isinstance(model, type) and issubclass(model, BaseModel):
                op["responses"][str(status)] = {
                    "description": model.__doc__.strip().splitlines()[0] if model.__doc__ else "ok",
                    "content": {"application/json": {"schema": _ref(model)}},
                }
            else:
                op["responses"][str(status)] = dict(model)
        if r.body is not None or r.raw_body is not None or r.params:
            op["responses"].setdefault("400", error)
            op["responses"].setdefault("422", error)
        if r.mutates:
            op["responses"].setdefault("401", error)
            op["responses"].setdefault("403", error)
            op["security"] = [{"bearer": []}]
        if "{" in r.path:
            op["responses"].setdefault("404", error)
        paths.setdefault(r.path, {})[r.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": "fsor as a service: topology, signals, workloads, caps, plans, "
            "pushes, events. GETs are open; mutations need a bearer token (docs/api.md).",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def validate_body(model: type[BaseModel], raw: bytes, optional: bool = False) -> Any:
    """Parse and validate a JSON body; raises :class:`BodyError` naming the first bad field."""
    import json

    from pydantic import ValidationError

    if not raw.strip():
        if optional:
            return model.model_validate({})
        raise BodyError("expected a JSON body", "(body)")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BodyError(f"expected JSON: {exc}", "(body)") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        first = errors[0]
        where = field_path(first["loc"])
        detail = [{"field": field_path(e["loc"]), "message": e["msg"]} for e in errors]
        raise BodyError(f"{where}: {first['msg']}", where, detail) from None


def field_path(loc: Sequence[int | str]) -> str:
    """A pydantic error location as the loaders spell fields.

    >>> field_path(("workloads", 0, "energy_kwh"))
    'workloads[0].energy_kwh'
    """
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(body)"


class BodyError(Exception):
    """A request body that does not match its schema (→ 422)."""

    def __init__(self, message: str, field: str, detail: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.field = field
        self.detail = detail
