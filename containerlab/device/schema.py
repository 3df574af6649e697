"""YANG validation of configuration and operational trees with libyang.

libyang comes from ``oopt-gnpy-libyang`` (python bindings to libyang 2). When it cannot be
imported, :class:`Schema` still answers (``available`` is False) and validation is reduced to
the device checks in :mod:`containerlab.device.checks` — the device logs that at start.

Errors are returned as :class:`SchemaIssue` with a NETCONF error-tag, an unprefixed error-path
(``/components/component[name='och-1']/optical-channel/config/frequency``) and the message.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

from lxml import etree

from containerlab.device.yangmeta import COMMON_MODULES, KIND_MODULES, ModuleMeta, module_meta
from yang import openconfig_directory

__all__ = ["Schema", "SchemaIssue", "unprefix_path"]

try:  # optional: dev dependency via gnpy
    import oopt_gnpy_libyang as _ly
except ImportError:  # pragma: no cover - exercised only without libyang
    _ly = None


@dataclass(frozen=True)
class SchemaIssue:
    """One validation failure."""

    tag: str  # NETCONF error-tag: unknown-element, invalid-value, bad-element, ...
    path: str
    message: str


_MOD_PREFIX = re.compile(r"(?<=/)[A-Za-z0-9_.-]+:")
_CHILD = re.compile(r'Node "([^"]+)" not found as a child')
_LOCATION = re.compile(r'Data location "([^"]+)"|Schema location "([^"]+)"')


def unprefix_path(path: str) -> str:
    """Drop module prefixes from a libyang path outside predicates.

    >>> unprefix_path("/openconfig-platform:components/component[name='a:b']/x:config")
    "/components/component[name='a:b']/config"
    """
    out, depth, i = [], 0, 0
    while i < len(path):
        ch = path[i]
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "/" and depth == 0:
            m = _MOD_PREFIX.match(path, i + 1)
            out.append("/")
            i = m.end() if m else i + 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _classify(message: str) -> str:
    low = message.lower()
    if "not found as a child" in low or "unknown element" in low or "no module" in low:
        return "unknown-element"
    if "invalid" in low or "does not fit" in low or "out of" in low or "not satisfied" in low:
        return "invalid-value"
    if "missing" in low or "mandatory" in low:
        return "missing-element"
    if "duplicate" in low or "already exists" in low:
        return "data-exists"
    return "bad-element"


class Schema:
    """The YANG modules a device of one kind implements, compiled once."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.module_names: tuple[str, ...] = (*COMMON_MODULES, *KIND_MODULES[kind])
        self._lock = threading.Lock()
        self._ctx: Any = None
        if _ly is not None:
            _ly.set_log_level(_ly.LogLevel.Error)
            _ly.set_log_options(_ly.LogOptions.Store)
            ctx = _ly.Context(
                str(openconfig_directory()),
                _ly.ContextOptions.NoYangLibrary | _ly.ContextOptions.DisableSearchCwd,
            )
            for name in self.module_names:
                ctx.load_module(name).set_implemented_all_features()
            self._ctx = ctx

    @property
    def available(self) -> bool:
        """Whether libyang validation is active."""
        return self._ctx is not None

    def served_modules(self) -> list[ModuleMeta]:
        """Modules to advertise in the hello: implemented ones and everything they import."""
        names = set(self.module_names)
        if self._ctx is not None:
            vendored = {p.stem for p in openconfig_directory().glob("*.yang")}
            names |= {m.name for m in self._ctx.modules() if m.name in vendored}
        return [module_meta(n) for n in sorted(names)]

    def validate(self, root: etree._Element, *, state: bool) -> list[SchemaIssue]:
        """Validate the children of ``root``; ``state`` False = configuration only."""
        if self._ctx is None:
            return []
        text = "".join(etree.tostring(child, encoding="unicode") for child in root)
        if not text:
            return []
        parse = _ly.ParseOptions.Strict
        valid = _ly.ValidationOptions.Present
        if not state:
            parse |= _ly.ParseOptions.NoState
            valid |= _ly.ValidationOptions.NoState
        with self._lock:
            self._ctx.clean_all_errors()
            try:
                self._ctx.parse_data(text, _ly.DataFormat.XML, parse, valid)
            except Exception:  # libyang raises its own ErrorWithCode; details are in errors()
                return self._issues()
        return []

    def _issues(self) -> list[SchemaIssue]:
        issues = []
        for err in self._ctx.errors():
            message = str(err.message)
            path = str(err.path or "")
            loc = _LOCATION.search(message) or _LOCATION.search(path)
            if loc:
                path = loc.group(1) or loc.group(2)
            message = _LOCATION.sub("", message).rstrip(" .,") or message
            message = re.sub(r"\s*line number \d+\.?", "", message).strip(" .,")
            tag = _classify(message)
            path = unprefix_path(path)
            child = _CHILD.search(message)
            if tag == "unknown-element" and child:
                path = f"{path.rstrip('/')}/{child.group(1)}"
            issues.append(SchemaIssue(tag, path, message))
        return issues[-1:] if issues else [SchemaIssue("bad-element", "/", "invalid data")]
