"""``fsor serve``: fsor as a long-running controller behind an HTTP API (docs/api.md).

``init(config) -> aiohttp.web.Application`` builds the app; :mod:`controller.cli.serve` runs
it. Components: :mod:`.config`, :mod:`.storage`, :mod:`.inputs`, :mod:`.devices`,
:mod:`.worker` (solves in a worker process), :mod:`.jobs`, :mod:`.push`,
:mod:`.closed_loop`, :mod:`.events`, :mod:`.metrics`, :mod:`.auth`, :mod:`.routes` (handlers),
:mod:`.table` (the route table).
"""

from controller.service.app import init
from controller.service.config import ServiceConfig, load_config

__all__ = ["ServiceConfig", "init", "load_config"]
