"""``<rpc-error>`` documents as a strict server writes them (RFC 6241 §4.3, Appendix A).

Every error the emulator sends has

* an ``error-path`` that is an absolute, namespace-qualified XPath with its prefixes
  declared on the ``error-path`` element: ``/nc:rpc/nc:edit-config/nc:config/oc-platform:
  components/oc-platform:component[oc-platform:name='och-1']/…`` for data in an edit,
  ``/oc-platform:components/…`` for data already in a datastore (a commit that fails
  validation), ``/nc:rpc/nc:commit/nc:confirm-timeout`` for an RPC parameter and
  ``/nc:rpc/nc:cancel-commit`` when the operation itself is at fault;
* an ``error-info`` with ``nc:bad-element`` (the element at fault), and
  ``fsor-err:bad-value`` (its value) when the path ends on a leaf that has one, besides
  any specific info (``nc:session-id`` for lock-denied/in-use).

Pure: lxml elements in, lxml elements out.

>>> cfg = etree.fromstring('<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">'
...     '<a xmlns="urn:x"><b><k>1</k><c>9</c></b></a></config>')
>>> q = qualify("/a/b[k='1']/c", cfg, {"urn:x": "x"})
>>> q.path, q.namespaces, q.element, q.value
("/x:a/x:b[x:k='1']/x:c", {'x': 'urn:x'}, 'c', '9')
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import netconf.error as ncerror
from lxml import etree

from containerlab.device.engine import RpcFault

__all__ = ["NC", "VALUE_NS", "QualifiedPath", "error_element", "qualify", "rpc_fault"]

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
#: namespace of ``bad-value`` in ``error-info`` (RFC 6241 leaves error-info open to models)
VALUE_NS = "urn:fsor:params:xml:ns:netconf:error"

_STEP = re.compile(r"/([^/\[]+)((?:\[[^\]]*\])*)")
_PRED = re.compile(r"\[([\w.-]+)='([^']*)'\]")


@dataclass(frozen=True)
class QualifiedPath:
    """A path with every step prefixed, the prefixes it uses, its last element and value."""

    path: str
    namespaces: dict[str, str]
    element: str
    value: str | None


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def _find(
    parent: etree._Element | None, name: str, keys: list[tuple[str, str]]
) -> etree._Element | None:
    if parent is None:
        return None
    for child in parent:
        if not isinstance(child.tag, str) or _local(child) != name:
            continue
        if all(
            any(_local(k) == key and (k.text or "").strip() == value for k in child)
            for key, value in keys
        ):
            return child
    return None


def qualify(path: str, root: etree._Element | None, prefixes: Mapping[str, str]) -> QualifiedPath:
    """``path`` (``/a/b[k='v']/c``, unprefixed, relative to ``root``) with every step
    prefixed by the prefix (``prefixes``: namespace → prefix) of the element it names in
    ``root``; a step not found in ``root`` keeps its parent's namespace. ``module:name``
    steps (libyang style) keep their module as the prefix when it is not a known one."""
    parts: list[str] = []
    used: dict[str, str] = {}
    node, ns, value, last = root, "", None, ""
    by_module = {p: n for n, p in prefixes.items()}
    for m in _STEP.finditer(path):
        raw, preds = m.group(1), m.group(2)
        name = raw.split(":")[-1]
        keys = _PRED.findall(preds)
        node = _find(node, name, keys)
        if node is not None:
            ns = etree.QName(node).namespace or ns
        elif ":" in raw:
            ns = by_module.get(raw.split(":")[0], ns)
        prefix = prefixes.get(ns, "")
        if prefix:
            used[prefix] = ns
        q = f"{prefix}:" if prefix else ""
        parts.append(f"/{q}{name}" + "".join(f"[{q}{k}='{v}']" for k, v in keys))
        last = name
        value = (node.text or "").strip() if node is not None and len(node) == 0 else None
    return QualifiedPath("".join(parts) or "/", used, last, value or None)


def error_element(
    etype: str,
    tag: str,
    message: str,
    path: str,
    namespaces: Mapping[str, str],
    *,
    bad_element: str,
    bad_value: str | None = None,
    info: Mapping[str, str] | None = None,
) -> etree._Element:
    """One ``<rpc-error>`` (NETCONF namespace) with a qualified path and its error-info.

    >>> e = error_element("application", "invalid-value", "too big", "/nc:rpc/x:a",
    ...                   {"x": "urn:x"}, bad_element="a", bad_value="9")
    >>> e.find(f"{{{NC}}}error-path").nsmap["x"], e.findtext(f".//{{{NC}}}bad-element")
    ('urn:x', 'a')
    """
    err = etree.Element(f"{{{NC}}}rpc-error", nsmap={"nc": NC})
    etree.SubElement(err, f"{{{NC}}}error-type").text = etype
    etree.SubElement(err, f"{{{NC}}}error-tag").text = tag
    etree.SubElement(err, f"{{{NC}}}error-severity").text = "error"
    nsmap = {"nc": NC, **{p: n for p, n in namespaces.items() if p != "nc"}}
    etree.SubElement(err, f"{{{NC}}}error-path", nsmap=nsmap).text = path
    msg = etree.SubElement(err, f"{{{NC}}}error-message")
    msg.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
    msg.text = message
    ei = etree.SubElement(err, f"{{{NC}}}error-info")
    for key, val in (info or {}).items():
        etree.SubElement(ei, f"{{{NC}}}{key}").text = val
    etree.SubElement(ei, f"{{{NC}}}bad-element").text = bad_element
    if bad_value is not None:
        etree.SubElement(
            ei, f"{{{VALUE_NS}}}bad-value", nsmap={"fsor-err": VALUE_NS}
        ).text = bad_value
    return err


#: parameters of the base RPCs: a fault path starting with one names the RPC's parameter
_RPC_PARAMETERS = frozenset(
    {"source", "target", "filter", "default-operation", "confirm-timeout", "persist", "persist-id"}
)


def _operation(rpc: etree._Element) -> etree._Element | None:
    return next((c for c in rpc if isinstance(c.tag, str)), None)


def rpc_fault(
    rpc: etree._Element,
    fault: RpcFault,
    tree: etree._Element | None = None,
    prefixes: Mapping[str, str] | None = None,
) -> ncerror.RPCServerError:
    """The library's error with a strict ``<rpc-error>`` (containerlab/device/errors.py).

    ``fault.path`` is an RPC parameter (``/confirm-timeout``), data in the edit's ``<config>``
    (edit-config), or data in a datastore (``tree``, the other operations); None = the
    operation itself is at fault.
    """
    op = _operation(rpc)
    opname = etree.QName(op).localname if op is not None else "rpc"
    base = f"/nc:rpc/nc:{opname}"
    params = (
        {etree.QName(c).localname for c in op if isinstance(c.tag, str)}
        if op is not None
        else set()
    )
    first = (fault.path or "").lstrip("/").split("/")[0].split("[")[0].split(":")[-1]
    nc_only = {NC: "nc"}
    if not fault.path or fault.path == "/":
        q = qualify("", None, nc_only)
        path, element, value, used = base, opname, None, {}
    elif ((first in params or first in _RPC_PARAMETERS) and first != "config") or (
        tree is None and opname != "edit-config"
    ):
        q = qualify(fault.path, op, nc_only)
        path, element, value, used = base + q.path, q.element, q.value, q.namespaces
    else:
        known = {**(prefixes or {}), NC: "nc"}
        if opname == "edit-config" and op is not None:
            config = next((c for c in op if etree.QName(c).localname == "config"), None)
            q = qualify(fault.path, config, known)
            path = base + "/nc:config" + q.path
        else:
            q = qualify(fault.path, tree, known)
            path = q.path
        element, value, used = q.element, q.value, q.namespaces
    err = ncerror.RPCServerError(rpc, fault.etype, fault.tag)
    for old in err.reply.findall(f"{{{NC}}}rpc-error"):
        err.reply.remove(old)
    err.reply.append(
        error_element(
            fault.etype,
            fault.tag,
            fault.message,
            path,
            used,
            bad_element=element,
            bad_value=value,
            info=fault.info,
        )
    )
    return err
