"""Check each per-device ``<edit-config>`` payload against the YANG models before sending.

libyang (``oopt-gnpy-libyang``) parses the payload's data trees in parse-only strict mode
against the vendored OpenConfig modules and ``fsor-lightpath``: unknown elements, values
that do not fit their type (an empty ``uint64``, a frequency out of range) and malformed
list keys fail. The ``nc:operation`` attributes are edit metadata, not data: they are
removed from the copy that is parsed (``delete``/``remove`` entries keep their keys and
values, so they are still type-checked, as ``yanglint -t edit`` does). Mandatory-node and
``must`` checks are left to the device, which sees the merged result.

A failing payload is a bug in fsor (the edit builders), not bad user input, so it raises
:class:`PayloadError` naming the device and the schema path.

>>> from controller.adapters.terminal_device import OpticalChannel, edit_config
>>> check_payload("tp-1", edit_config([OpticalChannel("och-1", 193_100_000, 0.0, 1, None)]))
>>> bad = ('<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">'
...     '<components xmlns="http://openconfig.net/yang/platform"><component>'
...     '<name>och-1</name><optical-channel xmlns="http://openconfig.net/yang/'
...     'terminal-device"><config><frequency/></config></optical-channel>'
...     '</component></components></config>')
>>> try:
...     check_payload("tp-1", bad)
... except PayloadError as exc:
...     print(exc.device, exc.xpath)
tp-1 /components/component[name='och-1']/optical-channel/config/frequency
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any

from lxml import etree

from controller.adapters._xml import NC_NS
from topology.errors import DeviceError
from yang import directory, openconfig_directory

__all__ = ["MODULES", "PayloadError", "check_payload"]

#: modules fsor writes to (and so validates against)
MODULES = (
    "openconfig-platform",
    "openconfig-terminal-device",
    "openconfig-wavelength-router",
    "fsor-lightpath",
)

_LOCK = threading.Lock()
_LOCATION = re.compile(r'(?:Data|Schema) location "([^"]+)"')
_PREFIX = re.compile(r"(?<=/)[A-Za-z0-9_.-]+:")


class PayloadError(DeviceError):
    """An edit fsor built does not conform to the device's YANG model (a bug report)."""


@lru_cache(maxsize=1)
def _context() -> Any:
    import oopt_gnpy_libyang as ly

    ly.set_log_level(ly.LogLevel.Error)
    ly.set_log_options(ly.LogOptions.Store)
    ctx = ly.Context(
        str(openconfig_directory()),
        ly.ContextOptions.NoYangLibrary | ly.ContextOptions.DisableSearchCwd,
    )
    for name in MODULES[:-1]:
        ctx.load_module(name).set_implemented_all_features()
    ctx.parse_module((directory() / "fsor-lightpath.yang").read_text(), ly.SchemaFormat.YANG)
    return ctx


def _strip_path(path: str) -> str:
    """``/openconfig-platform:components/x:c`` → ``/components/c`` (outside predicates)."""
    depth, out = 0, []
    i = 0
    while i < len(path):
        ch = path[i]
        depth += ch == "["
        depth -= ch == "]"
        if ch == "/" and depth == 0:
            m = _PREFIX.match(path, i + 1)
            out.append("/")
            i = m.end() if m else i + 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _data_trees(config_xml: str) -> list[str]:
    """The children of ``<config>`` as XML text, with ``nc:operation`` attributes removed."""
    root = etree.fromstring(config_xml.encode())
    for el in root.iter():
        el.attrib.pop(f"{{{NC_NS}}}operation", "")
    etree.cleanup_namespaces(root)
    return [etree.tostring(child, encoding="unicode") for child in root]


def check_payload(device: str, config_xml: str) -> None:
    """Raise :class:`PayloadError` unless every data tree of ``config_xml`` fits the models."""
    import oopt_gnpy_libyang as ly

    ctx = _context()
    opts = ly.ParseOptions.ParseOnly | ly.ParseOptions.Strict | ly.ParseOptions.NoState
    for tree in _data_trees(config_xml):
        with _LOCK:
            ctx.clean_all_errors()
            try:
                ctx.parse_data(tree, ly.DataFormat.XML, opts, ly.ValidationOptions.NoState)
                continue
            except Exception:  # libyang raises its own error type; details in errors()
                errors = list(ctx.errors())
        message = str(errors[-1].message) if errors else "invalid data"
        path = str(errors[-1].path or "") if errors else ""
        loc = _LOCATION.search(message) or _LOCATION.search(path)
        if loc:
            path = loc.group(1)
        message = re.sub(r"\s*\((?:Data|Schema) location.*$", "", message).strip(" .")
        raise PayloadError(
            device, f"edit payload does not fit the YANG model: {message}", _strip_path(path)
        )
