"""Pure planning core: inputs → model → solve → baselines → analysis (no I/O, no clock).

Imports go one way, left to right; ``docs/architecture.md`` and ``tests/unit/test_layers.py``.
"""
