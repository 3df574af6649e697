"""Embedded network descriptions (``orca.json``: the default ORCA network)."""
