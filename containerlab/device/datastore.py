"""edit-config on lxml configuration trees (RFC 6241 section 7.2), pure functions.

Operations ``merge``, ``replace``, ``create``, ``delete``, ``remove`` (attribute
``nc:operation``) and default operations ``merge``, ``replace``, ``none``. List entries are
matched by their key leaves (keys read from the vendored YANG, see
:func:`containerlab.device.yangmeta.list_keys`); containers and leaves by qualified name.
:func:`apply_edit` works on a copy and raises :class:`EditError` on the first failure, so a
rejected edit changes nothing.

>>> from containerlab.device.config import new_data
>>> cfg = new_data()
>>> edit = etree.fromstring(
...     '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">'
...     '<components xmlns="http://openconfig.net/yang/platform"><component><name>a</name>'
...     '<config><name>a</name></config></component></components></config>')
>>> out = apply_edit(cfg, edit, "merge")
>>> path_of(out[0][0][1][0])
"/components/component[name='a']/config/name"
"""

from __future__ import annotations

import copy
import re

from lxml import etree

from containerlab.device.config import empty_like, prefix_for
from containerlab.device.yangmeta import list_keys

__all__ = ["EditError", "apply_edit", "entry_keys", "find_match", "path_of", "strip_ops"]

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
OP_ATTR = f"{{{NC}}}operation"
OPERATIONS = ("merge", "replace", "create", "delete", "remove")


class EditError(Exception):
    """An edit that cannot be applied: NETCONF error-tag, error-path and message."""

    def __init__(self, tag: str, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.tag, self.path, self.message = tag, path, message


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def entry_keys(el: etree._Element) -> tuple[str, ...]:
    """Key leaf names if ``el`` is a list entry carrying all its keys, else ``()``.

    >>> entry_keys(etree.fromstring("<channel><index>3</index><config/></channel>"))
    ('index',)
    """
    options = list_keys().get(_local(el))
    if not options:
        return ()
    children = {_local(c) for c in el if isinstance(c.tag, str)}
    for keys in options:
        if all(k in children for k in keys):
            return keys
    return ()


def _key_values(el: etree._Element, keys: tuple[str, ...]) -> tuple[str, ...]:
    values = []
    for k in keys:
        child = next(c for c in el if isinstance(c.tag, str) and _local(c) == k)
        values.append((child.text or "").strip())
    return tuple(values)


def _same_ns(a: etree._Element, b: etree._Element) -> bool:
    na, nb = etree.QName(a).namespace, etree.QName(b).namespace
    return na == nb or not na or not nb


def find_match(parent: etree._Element, el: etree._Element) -> etree._Element | None:
    """The child of ``parent`` that ``el`` addresses (same name; same keys for list entries)."""
    keys = entry_keys(el)
    want = _key_values(el, keys) if keys else ()
    for child in parent:
        if not isinstance(child.tag, str) or _local(child) != _local(el) or not _same_ns(child, el):
            continue
        if not keys or (entry_keys(child) == keys and _key_values(child, keys) == want):
            return child
    return None


def path_of(el: etree._Element) -> str:
    """Unprefixed XPath of ``el`` below the ``config``/``data`` root, keys as predicates."""
    parts = []
    cur: etree._Element | None = el
    while cur is not None and cur.getparent() is not None:
        keys = entry_keys(cur)
        pred = "".join(f"[{k}='{v}']" for k, v in zip(keys, _key_values(cur, keys), strict=True))
        parts.append(_local(cur) + pred)
        cur = cur.getparent()
    return "/" + "/".join(reversed(parts))


_IDENT = re.compile(r"^\s*([A-Za-z_][\w.-]*):([A-Za-z_][\w.-]*)\s*$")


def strip_ops(el: etree._Element) -> etree._Element:
    """A deep copy of ``el`` without ``nc:operation`` attributes.

    Identityref-looking values ``p:NAME`` whose prefix ``p`` is bound to a vendored module get
    that module's canonical prefix (declared on every data root), so they survive moves.
    """
    out = copy.deepcopy(el)
    for node in out.iter():
        if not isinstance(node.tag, str):
            continue
        if OP_ATTR in node.attrib:
            del node.attrib[OP_ATTR]
        m = _IDENT.match(node.text or "") if len(node) == 0 else None
        if m and m.group(1) in node.nsmap:
            canonical = prefix_for(node.nsmap[m.group(1)] or "")
            if canonical:
                node.text = f"{canonical}:{m.group(2)}"
    return out


def _operation(el: etree._Element, inherited: str) -> str:
    op = el.get(OP_ATTR)
    if op is None:
        return inherited
    if op not in OPERATIONS:
        raise EditError("bad-attribute", path_of(el), f"unknown operation {op!r}")
    return op


def _is_leaf(el: etree._Element) -> bool:
    return not any(isinstance(c.tag, str) for c in el)


def _shell(el: etree._Element) -> etree._Element:
    """A copy of ``el`` with no children except its list keys."""
    out = empty_like(el)
    keys = entry_keys(el)
    for c in el:
        if isinstance(c.tag, str) and _local(c) in keys:
            out.append(strip_ops(c))
    return out


def _apply(target: etree._Element, edit: etree._Element, inherited: str) -> None:
    for child in edit:
        if not isinstance(child.tag, str):
            continue
        op = _operation(child, inherited)
        match = find_match(target, child)
        if op in ("delete", "remove"):
            if match is None:
                if op == "delete":
                    raise EditError("data-missing", path_of(child), "delete: no such data")
                continue
            target.remove(match)
        elif op == "create":
            if match is not None:
                raise EditError("data-exists", path_of(child), "create: data already exists")
            target.append(strip_ops(child))
        elif op == "replace":
            if match is not None:
                target.replace(match, strip_ops(child))
            else:
                target.append(strip_ops(child))
        elif _is_leaf(child):  # merge or none on a leaf
            if op == "merge" and match is None:
                target.append(strip_ops(child))
            elif op == "merge" and match is not None:
                target.replace(match, strip_ops(child))
        else:  # merge or none on a container/list entry: descend
            if match is None:
                match = _shell(child)
                target.append(match)
            _apply(match, child, op)


def apply_edit(
    config: etree._Element, edit: etree._Element, default_operation: str = "merge"
) -> etree._Element:
    """Return a new configuration: ``config`` with the ``<config>`` element ``edit`` applied."""
    if default_operation not in ("merge", "replace", "none"):
        raise EditError("invalid-value", "/", f"default-operation {default_operation!r}")
    out = copy.deepcopy(config)
    if default_operation == "replace":
        out = empty_like(config)
        for child in edit:
            if isinstance(child.tag, str) and _operation(child, "replace") not in (
                "delete",
                "remove",
            ):
                out.append(strip_ops(child))
        return out
    _apply(out, edit, default_operation)
    return out
