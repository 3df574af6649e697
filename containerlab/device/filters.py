"""``<get>``/``<get-config>`` filters on lxml data trees (pure).

Subtree filters follow RFC 6241 section 6 (containment, selection and content-match nodes; a
filter node without a namespace matches any namespace). XPath filters are XPath 1.0 with the
filter's namespace declarations (see :func:`select_xpath`).

>>> data = etree.fromstring('<data><components xmlns="urn:p"><component><name>a</name>'
...     '<state><used-power>5</used-power></state></component><component><name>b</name>'
...     '</component></components></data>')
>>> f = etree.fromstring('<filter><components xmlns="urn:p"><component><name>a</name>'
...     '<state/></component></components></filter>')
>>> out = filter_subtree(data, f)
>>> [e.text for e in out.iter("{urn:p}name")], out.findtext(".//{urn:p}used-power")
(['a'], '5')
>>> out = filter_xpath(data, "/p:components/p:component[p:name='b']", {"p": "urn:p"})
>>> [e.text for e in out.iter("{urn:p}name")]
['b']
>>> out = filter_xpath(data, "/p:components/p:component[2]/p:name", {"p": "urn:p"})
>>> [e.text for e in out.iter("{urn:p}name")]
['b']
"""

from __future__ import annotations

import copy
import re

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


_OPERAND_END = re.compile(r"[\w.*)\]'\"]$")
_OPERATOR_WORDS = ("and", "or", "div", "mod")


def _rooted(select: str) -> str:
    """``select`` with every absolute location path starting below ``<data>``.

    NETCONF's data tree has many top-level nodes under the conceptual root; here they are
    the children of one ``<data>`` element, so ``/x`` becomes ``/*/x`` (and ``//x``
    ``/*//x``). A ``/`` that follows an operand (``a/b``, ``f()/x``, ``[1]/y``) is a step.

    >>> _rooted("/a/b[c='/x'] | //d[e = /f]")
    "/*/a/b[c='/x'] | /*//d[e = /*/f]"
    """
    out: list[str] = []
    i, n = 0, len(select)
    while i < n:
        ch = select[i]
        if ch in "'\"":
            j = select.find(ch, i + 1)
            j = n - 1 if j < 0 else j
            out.append(select[i : j + 1])
            i = j + 1
            continue
        if ch == "/":
            before = "".join(out).rstrip()
            word = re.search(r"([\w-]+)$", before)
            operand = bool(_OPERAND_END.search(before)) and not (
                word and word.group(1) in _OPERATOR_WORDS
            )
            if not operand:
                if select.startswith("//", i):
                    out.append("/*//")
                    i += 2
                    continue
                nxt = select[i + 1 : i + 2]
                out.append("/*/" if nxt and (nxt.isalpha() or nxt in "_*@") else "/*")
                i += 1
                continue
        out.append(ch)
        i += 1
    return "".join(out)


def select_xpath(
    data: etree._Element, select: str, namespaces: dict[str, str] | None = None
) -> list[etree._Element]:
    """Elements of ``data`` (a ``<data>`` root) selected by the XPath 1.0 expression ``select``.

    Full XPath 1.0 (lxml/libxml2): every axis, function and predicate, positional ones
    included. Prefixes resolve through ``namespaces`` (RFC 6241 §8.9: the declarations in
    scope on the ``<filter>`` element); an unprefixed name matches elements in no namespace,
    as XPath 1.0 says, i.e. nothing a YANG server serves. A selected text or attribute node
    selects its element. The result must be a node-set.
    """
    ns = {k: v for k, v in (namespaces or {}).items() if k}
    try:
        found = data.xpath(_rooted(select), namespaces=ns)
    except etree.XPathError as exc:
        raise FilterError(f"XPath {select!r}: {exc}") from exc
    if not isinstance(found, list):
        raise FilterError(f"XPath {select!r}: expected a node-set, got {type(found).__name__}")
    out: list[etree._Element] = []
    for node in found:
        el = node if isinstance(node, etree._Element) else getattr(node, "getparent", None)
        if el is not None and not isinstance(el, etree._Element):
            el = el()
        if isinstance(el, etree._Element) and isinstance(el.tag, str) and el not in out:
            out.append(el)
    return out


def filter_xpath(
    data: etree._Element, select: str, namespaces: dict[str, str] | None = None
) -> etree._Element:
    """A new root with the nodes ``select`` picks, their ancestors and the ancestors' keys."""
    out = empty_like(data)
    copies: dict[etree._Element, etree._Element] = {data: out}
    for node in select_xpath(data, select, namespaces):
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
