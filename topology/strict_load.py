"""Parse YAML and JSON text refusing duplicate mapping keys (pure: text in, data out).

PyYAML and :mod:`json` keep the last of two equal keys silently, so a clab file with a
node named twice, or a plan with two ``frequency_thz``, would lose data without a word.
These parsers raise :class:`~topology.errors.InputError` naming the source, the key path
and the line instead.

>>> load_yaml("nodes:\\n  r1: {}\\n  r1: {}\\n", "lab.clab.yml")
Traceback (most recent call last):
...
topology.errors.InputError: lab.clab.yml: nodes.r1: expected each key once (again on \
line 3), got 'r1'
>>> load_json('{"a": 1, "a": 2}', "plan.json")
Traceback (most recent call last):
...
topology.errors.InputError: plan.json: a: expected each key once, got 'a'
>>> load_yaml("a: [1, 2]", "x")
{'a': [1, 2]}
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from topology.errors import InputError

__all__ = ["load_json", "load_text", "load_yaml"]


class _StrictLoader(yaml.SafeLoader):
    """A SafeLoader whose mappings refuse a key seen twice."""

    source = "<yaml>"


def _mapping(loader: _StrictLoader, node: yaml.MappingNode, path: str = "") -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:  # before merging ``<<`` keys: an override is no duplicate
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)  # type: ignore[no-untyped-call]
        line = key_node.start_mark.line + 1
        if key in seen:
            where = _key_path(loader, node, key)
            raise InputError(
                loader.source, where, key, f"expected each key once (again on line {line})"
            )
        seen[key] = line
    loader.flatten_mapping(node)
    return loader.construct_mapping(node, deep=True)


def _key_path(loader: _StrictLoader, node: yaml.Node, key: Any) -> str:
    """Dotted path of ``key`` inside ``node`` (found by walking from the document root)."""
    root = getattr(loader, "_fsor_root", None)
    parts: list[str] = []

    def walk(n: yaml.Node, acc: list[str]) -> bool:
        if n is node:
            parts.extend(acc)
            return True
        if isinstance(n, yaml.MappingNode):
            return any(walk(v, [*acc, str(k.value)]) for k, v in n.value)
        if isinstance(n, yaml.SequenceNode):
            head, last = acc[:-1], acc[-1] if acc else ""
            return any(walk(v, [*head, f"{last}[{i}]"]) for i, v in enumerate(n.value))
        return False

    if root is not None:
        walk(root, [])
    return ".".join([*parts, str(key)])


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _mapping,  # type: ignore[arg-type]
)


def load_yaml(text: str, source: str) -> Any:
    """YAML ``text`` as Python data; :class:`InputError` on a syntax error or a duplicate key."""
    loader = _StrictLoader(text)
    loader.source = source
    try:
        root = loader.get_single_node()
        loader._fsor_root = root  # type: ignore[attr-defined]
        return None if root is None else loader.construct_document(root)
    except yaml.YAMLError as exc:
        where = str(exc).splitlines()[0][:120]
        raise InputError(source, "document", where, "expected valid YAML/JSON") from None
    finally:
        loader.dispose()


def load_json(text: str, source: str) -> Any:
    """JSON ``text`` as Python data; :class:`InputError` on a syntax error or a duplicate key."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in items:
            if k in out:
                raise InputError(source, k, k, "expected each key once")
            out[k] = v
        return out

    try:
        return json.loads(text, object_pairs_hook=pairs)
    except ValueError as exc:
        raise InputError(source, "document", str(exc)[:120], "expected valid YAML/JSON") from None


def load_text(text: str, source: str) -> Any:
    """JSON when ``source`` ends in ``.json``, YAML otherwise (YAML is a superset)."""
    return load_json(text, source) if source.endswith(".json") else load_yaml(text, source)
