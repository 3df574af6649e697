"""Sans-IO adapters, one module per YANG model: request XML builders and typed reply parsers.

No adapter does I/O. Builders return XML text (subtree filters, ``<config>`` documents);
parsers take the reply text (an ``<rpc-reply>`` or its ``<data>``) and return frozen
dataclasses, raising :class:`topology.errors.DeviceError` naming the device and the xpath
when the reply is malformed or misses a required leaf.
"""
