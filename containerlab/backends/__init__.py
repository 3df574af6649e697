"""Lab runner backends: where node processes run and how they are wired.

* :mod:`containerlab.backends.netns` -- one Linux network namespace per node, a veth per
  link with the clab interface names, a management bridge in the root namespace (root only).
* :mod:`containerlab.backends.loopback` -- every node on 127.0.0.1 with its own port.
"""

from __future__ import annotations

from topology.errors import FsorError

__all__ = ["LabBusyError", "LabError"]


class LabError(FsorError):
    """The lab could not be brought up or torn down (the message says what to do)."""


class LabBusyError(LabError):
    """Leftovers of an earlier run (namespace, bridge, port, live state) are in the way."""
