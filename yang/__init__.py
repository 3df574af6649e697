"""YANG modules fsor reads and its lab devices serve.

``openconfig/`` holds the vendored OpenConfig modules (Apache-2.0, see its LICENSE);
project modules sit beside it.

>>> (directory() / "openconfig" / "openconfig-terminal-device.yang").is_file()
True
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["directory", "openconfig_directory"]


def directory() -> Path:
    """The folder holding all YANG modules shipped with fsor."""
    return Path(__file__).resolve().parent


def openconfig_directory() -> Path:
    """The folder of the vendored OpenConfig modules."""
    return directory() / "openconfig"
