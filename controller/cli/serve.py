"""``fsor serve``: run fsor as a long-running controller behind an HTTP API.

Every setting is a key of the YAML ``--config`` file, a flag (``--time-limit-s 20``) and an
``FSOR_<KEY>`` variable (``FSOR_TIME_LIMIT_S=20``); a flag wins over the variable, the
variable over the file. Tokens come from ``FSOR_TOKEN`` (a write token) or the file's
``tokens`` list, never from a flag. With no config, it serves the embedded default (the ORCA
network, its signals and job; no devices). SIGTERM/SIGINT stop it gracefully: no new jobs,
the running one finishes within ``shutdown_grace_s`` or is cancelled, sessions close, the
store is flushed. API: docs/api.md.
"""

from __future__ import annotations

import argparse
import logging
import ssl
import sys
from typing import Any

from controller.service.config import KEYS, ServiceConfig, help_of, load_config

__all__ = ["register", "run"]

log = logging.getLogger("fsor.serve")


def register(subparsers: Any) -> None:
    """Add ``fsor serve``."""
    p = subparsers.add_parser(
        "serve",
        help="run as a controller: HTTP API, jobs, events, closed loop, SQLite store",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--config", metavar="FILE", help="YAML config (keys as the flags below)")
    for key, kind in KEYS.items():
        flag = "--" + key.replace("_", "-")
        if kind is bool:
            p.add_argument(
                flag,
                dest=key,
                default=None,
                action=argparse.BooleanOptionalAction,
                help=help_of(key),
            )
        else:
            p.add_argument(flag, dest=key, type=kind, default=None, help=help_of(key))
    p.set_defaults(handler=run)


def ssl_context(cfg: ServiceConfig) -> ssl.SSLContext | None:
    """A server TLS context when a certificate and key are configured."""
    if not cfg.tls_cert:
        return None
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cfg.tls_cert, cfg.tls_key)
    return ctx


def run(args: argparse.Namespace) -> int:
    """Handler of ``fsor serve``."""
    from aiohttp import web

    from controller.service import init

    flags = {k: getattr(args, k, None) for k in KEYS}
    cfg = load_config(args.config, flags)
    if not any(t.role == "write" for t in cfg.tokens):
        log.warning("no write token configured (FSOR_TOKEN or tokens:): every mutation gets 401")
    from controller.service.hosted import DEFAULT_EXTENSIONS

    app = init(cfg, DEFAULT_EXTENSIONS)  # the dashboard at / and the scheduler extender
    scheme = "https" if cfg.tls_cert else "http"
    print(f"fsor serve: listening on {scheme}://{cfg.host}:{cfg.port}", file=sys.stderr, flush=True)
    web.run_app(
        app,
        host=cfg.host,
        port=cfg.port,
        ssl_context=ssl_context(cfg),
        shutdown_timeout=cfg.shutdown_grace_s + 5,
        print=None,
        access_log=None,
    )
    return 0
