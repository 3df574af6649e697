"""``<get>``/``<get-config>`` filters on lxml data trees (pure).

Subtree filters follow RFC 6241 section 6 (containment, selection and content-match nodes; a
filter node without a namespace matches any namespace). XPath filters accept a practical
subset of XPath 1.0 (see :func:`select_xpath`).

>>> data = etree.fromstring('<data><components xmlns="urn:p"><component><name>a</name>'
...     '<state><used-power>5</used-power></state></component><component><name>b</name>'
...     '</component></components></data>')
>>> f = etree.fromstring('<filter><components xmlns="urn:p"><component><name>a</name>'
...     '<state/></component></components></filter>')
>>> out = filter_subtree(data, f)
>>> [e.text for e in out.iter("{urn:p}name")], out.findtext(".//{urn:p}used-power")
(['a'], '5')
>>> out = filter_xpath(data, "/components/component[name='b']")
>>> [e.text for e in out.iter("{urn:p}name")]
['b']
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass

from lxml import etree

from containerlab.device.config import empty_like
from containerlab.device.datastore import entry_keys

__all__ = ["FilterError", "filter_subtree", "filter_xpath", "select_xpath"]


class FilterError(ValueError):
    """A filter the device cannot evaluate."""


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def _matches(f: etree._Element, d: etree._Element) -> bool:
    ns = etree.QName(f).namespace
    return _local(f) == _local(d) and (not ns or ns == etree.QName(d).namespace)


def _elements(el: etree._Element) -> list[etree._Element]:
    return [c for c in el if isinstance(c.tag, str)]


def _shell(d: etree._Element) -> etree._Element:
    """Copy of ``d`` without children except list keys."""
    out = empty_like(d)
    keys = entry_keys(d)
    for c in _elements(d):
        if _local(c) in keys:
            out.append(copy.deepcopy(c))
    return out


def _select(d_parent: etree._Element, f_parent: etree._Element) -> list[etree._Element] | None:
    """Filtered copies of ``d_parent``'s children, None if a content match fails."""
    fs = _elements(f_parent)
    content = [f for f in fs if not _elements(f) and (f.text or "").strip()]
    others = [f for f in fs if f not in content]
    out: list[etree._Element] = []
    for f in content:
        hits = [
            d
            for d in _elements(d_parent)
            if _matches(f, d) and (d.text or "").strip() == (f.text or "").strip()
        ]
        if not hits:
            return None
        out.extend(copy.deepcopy(h) for h in hits)
    if content and not others:
        return [copy.deepcopy(d) for d in _elements(d_parent)]
    for f in others:
        for d in _elements(d_parent):
            if not _matches(f, d):
                continue
            if not _elements(f):
                out.append(copy.deepcopy(d))
                continue
            sub = _select(d, f)
            if sub is None or not sub:
                continue
            shell = _shell(d)
            have = {_local(c) for c in shell}
            for s in sub:
                if _local(s) not in have or _elements(s):
                    shell.append(s)
            out.append(shell)
    return out


def filter_subtree(data: etree._Element, flt: etree._Element) -> etree._Element:
    """A new root like ``data`` keeping what the subtree filter ``flt`` selects."""
    out = empty_like(data)
    for el in _select(data, flt) or []:
        out.append(el)
    return out


@dataclass(frozen=True)
class _Step:
    name: str  # local name or "*"
    preds: tuple[tuple[str, str], ...]
    descendant: bool


_STEP = re.compile(r"(//|/)([A-Za-z_*][\w.*-]*(?::[A-Za-z_][\w.-]*)?)((?:\[[^\]]*\])*)")
_NAME = r"[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?"
_PRED = re.compile(rf"""\s*({_NAME}(?:/{_NAME})*)\s*=\s*(?:'([^']*)'|"([^"]*)"|([^\s\]'"]+))\s*""")


def _parse(path: str) -> list[_Step]:
    steps, pos = [], 0
    path = path.strip()
    while pos < len(path):
        m = _STEP.match(path, pos)
        if m is None:
            raise FilterError(f"unsupported XPath at {path[pos:]!r} in {path!r}")
        name = m.group(2).split(":")[-1]
        preds: list[tuple[str, str]] = []
        for raw in re.findall(r"\[([^\]]*)\]", m.group(3)):
            for part in re.split(r"\s+and\s+", raw):
                pm = _PRED.fullmatch(part)
                if pm is None:
                    raise FilterError(f"unsupported XPath predicate [{raw}] in {path!r}")
                value = next(v for v in pm.groups()[1:] if v is not None)
                rel = "/".join(seg.split(":")[-1] for seg in pm.group(1).split("/"))
                preds.append((rel, value))
        steps.append(_Step(name, tuple(preds), m.group(1) == "//"))
        pos = m.end()
    if not steps:
        raise FilterError(f"empty XPath {path!r}")
    return steps


def _step_ok(step: _Step, el: etree._Element) -> bool:
    if step.name != "*" and _local(el) != step.name:
        return False
    for rel, value in step.preds:
        nodes = [el]
        for seg in rel.split("/"):
            nodes = [c for n in nodes for c in _elements(n) if _local(c) == seg]
        if not any((n.text or "").strip() == value for n in nodes):
            return False
    return True


def select_xpath(data: etree._Element, select: str) -> list[etree._Element]:
    """Nodes of ``data`` selected by an XPath of the supported subset.

    Supported: absolute location paths of child (``/``) and descendant (``//``) steps; names
    with or without a prefix (prefixes are ignored, names match local names); ``*``; predicates
    ``[leaf='value']``, ``[leaf="value"]``, ``[leaf=value]``, ``[child/leaf='value']`` joined by
    ``and`` or repeated; union
    of paths with ``|``.
    """
    found: list[etree._Element] = []
    for branch in select.split("|"):
        current = [data]
        for step in _parse(branch):
            nxt: list[etree._Element] = []
            for node in current:
                pool = (
                    [d for d in node.iterdescendants() if isinstance(d.tag, str)]
                    if (step.descendant)
                    else _elements(node)
                )
                nxt.extend(d for d in pool if _step_ok(step, d))
            current = nxt
        found.extend(n for n in current if n not in found)
    return found


def filter_xpath(data: etree._Element, select: str) -> etree._Element:
    """A new root with the nodes ``select`` picks, their ancestors and the ancestors' keys."""
    out = empty_like(data)
    copies: dict[etree._Element, etree._Element] = {data: out}
    for node in select_xpath(data, select):
        chain = []
        cur = node.getparent()
        while cur is not None and cur not in copies:
            chain.append(cur)
            cur = cur.getparent()
        parent_copy = copies[cur] if cur is not None else out
        for anc in reversed(chain):
            shell = _shell(anc)
            parent_copy.append(shell)
            copies[anc] = shell
            parent_copy = shell
        if node is data:
            return copy.deepcopy(data)
        node_copy = copy.deepcopy(node)
        keys = {_local(c) for c in _elements(parent_copy)}
        if _local(node) in keys and not _elements(node):
            continue  # a key leaf already present in its entry's shell
        parent_copy.append(node_copy)
        copies[node] = node_copy
    return out
