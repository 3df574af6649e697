"""fsor-device: an OpenConfig optical device (transponder, ROADM, amplifier) served over NETCONF.

Run it with ``fsor-device --startup FILE`` (see ``README.md`` beside this file and
``docs/device.md``). Tests and tools start real processes with
:func:`containerlab.device.testing.running_device`. Submodules are imported on demand so the
device process stays small.
"""
