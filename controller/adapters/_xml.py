"""XML helpers shared by the adapters (pure).

>>> root = parse_reply("r1", "<data><a xmlns='urn:x'><b>7</b></a></data>")
>>> leaf_int("r1", root.find("{urn:x}a"), "{urn:x}b", "/a/b")
7
>>> parse_reply("r1", "<data><a>")
Traceback (most recent call last):
...
topology.errors.DeviceError: r1 /: malformed XML reply: ...
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from lxml import etree

from topology.errors import DeviceError

__all__ = [
    "NC_NS",
    "child_ns",
    "config_document",
    "delete_entry",
    "element",
    "filter_document",
    "leaf_float",
    "leaf_int",
    "leaf_text",
    "parse_reply",
    "required_text",
    "sub",
    "to_text",
]

NC_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=True)

Element = etree._Element


def parse_reply(device: str, reply: str | bytes | Element) -> Element:
    """The ``<data>`` element of a reply (or the root if it has none).

    Raises :class:`DeviceError` (xpath ``/``) when the text is not well-formed XML.
    """
    if isinstance(reply, etree._Element):
        root = reply
    else:
        raw = reply.encode() if isinstance(reply, str) else reply
        try:
            root = etree.fromstring(raw, _PARSER)
        except etree.XMLSyntaxError as exc:
            raise DeviceError(device, f"malformed XML reply: {exc}", xpath="/") from exc
    if etree.QName(root).localname == "rpc-reply":
        data = root.find(f"{{{NC_NS}}}data")
        if data is None:
            data = next((c for c in root if etree.QName(c).localname == "data"), None)
        if data is None:
            raise DeviceError(device, "rpc-reply without <data>", xpath="/rpc-reply/data")
        return data
    return root


def leaf_text(elem: Element | None, tag: str) -> str | None:
    """Text of child ``tag`` of ``elem`` (stripped), or None when absent or empty."""
    if elem is None:
        return None
    child = elem.find(tag)
    if child is None or child.text is None:
        return None
    text = child.text.strip()
    return text or None


def required_text(device: str, elem: Element | None, tag: str, xpath: str) -> str:
    """Like :func:`leaf_text` but a missing leaf is a :class:`DeviceError` naming ``xpath``."""
    text = leaf_text(elem, tag)
    if text is None:
        raise DeviceError(device, "required leaf missing from reply", xpath=xpath)
    return text


def leaf_int(device: str, elem: Element | None, tag: str, xpath: str) -> int | None:
    """Integer leaf or None; a non-integer value is a :class:`DeviceError` naming ``xpath``."""
    text = leaf_text(elem, tag)
    if text is None:
        return None
    try:
        return int(text)
    except ValueError as exc:
        raise DeviceError(device, f"expected an integer, got {text!r}", xpath=xpath) from exc


def leaf_float(device: str, elem: Element | None, tag: str, xpath: str) -> float | None:
    """Decimal leaf or None; a non-number is a :class:`DeviceError` naming ``xpath``."""
    text = leaf_text(elem, tag)
    if text is None:
        return None
    try:
        return float(text)
    except ValueError as exc:
        raise DeviceError(device, f"expected a decimal number, got {text!r}", xpath=xpath) from exc


def element(tag: str, ns: str) -> Element:
    """A new root element ``tag`` declaring ``ns`` as its default namespace."""
    return etree.Element(tag, nsmap={None: ns})  # type: ignore[dict-item]


def child_ns(parent: Element, tag: str, ns: str) -> Element:
    """Append child ``tag`` declaring ``ns`` as its default namespace (for augments)."""
    return etree.SubElement(parent, tag, nsmap={None: ns})  # type: ignore[dict-item]


def sub(parent: Element, tag: str, text: str | int | float | None = None) -> Element:
    """Append child ``tag`` (Clark notation) with optional text; return it."""
    child = etree.SubElement(parent, tag)
    if text is not None:
        child.text = _fmt(text)
    return child


def delete_entry(parent: Element, tag: str, key_tag: str, key: str | int) -> Element:
    """Append list entry ``tag`` marked ``nc:operation="delete"`` with its key leaf; return it."""
    entry = sub(parent, tag)
    entry.set(f"{{{NC_NS}}}operation", "delete")
    sub(entry, key_tag, key)
    return entry


def _fmt(value: str | int | float) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def to_text(elem: Element) -> str:
    """Pretty, deterministic XML text of an element."""
    return etree.tostring(elem, pretty_print=True, encoding="unicode")


def _merge_into(target: Element, extra: Element) -> None:
    target.extend(list(extra))


def config_document(fragments: Iterable[Element]) -> str:
    """One ``<config>`` holding ``fragments``; top-level containers with the same tag merge.

    >>> a = element("{urn:x}top", "urn:x"); _ = sub(a, "{urn:x}item", 1)
    >>> b = element("{urn:x}top", "urn:x"); _ = sub(b, "{urn:x}item", 2)
    >>> doc = config_document([a, b])
    >>> doc.count("<top"), doc.count("<item>")
    (1, 2)
    """
    root = etree.Element(f"{{{NC_NS}}}config", nsmap={"nc": NC_NS})
    by_tag: dict[str, Element] = {}
    for frag in fragments:
        tag = str(frag.tag)
        if tag in by_tag:
            _merge_into(by_tag[tag], frag)
        else:
            by_tag[tag] = frag
            root.append(frag)
    return to_text(root)


def filter_document(paths: Sequence[Element]) -> str:
    """A subtree ``<filter type="subtree">`` text holding ``paths``."""
    root = etree.Element(f"{{{NC_NS}}}filter", nsmap={"nc": NC_NS})
    root.set("type", "subtree")
    for p in paths:
        root.append(p)
    return to_text(root)
