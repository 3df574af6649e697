"""Inputs of the program: signals (and their file formats), workloads, caps, units, network data.

The lowest room of :mod:`optimizer`: imports only :mod:`topology`. :func:`make_instance`
turns them into the slot-resolved :class:`~optimizer.inputs.instance.Instance`.
"""

from optimizer.inputs.make import cap_spec, classes_of, make_instance

__all__ = ["cap_spec", "classes_of", "make_instance"]
