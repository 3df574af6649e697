"""The ``fsor`` command line.

Each subcommand lives in its own ``controller.cli.<name>`` module exposing
``register(subparsers)``; the handler it installs returns an exit code.
Exit codes: 0 success (an infeasible plan is an answer, hence success),
2 bad input, 1 internal error. With ``--json`` a subcommand prints exactly one
JSON document on stdout; logs go to stderr.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from importlib import import_module

from controller import __version__
from controller.session import set_ncclient_poll_interval
from topology.errors import FsorError, InputError

__all__ = ["main"]

Handler = Callable[[argparse.Namespace], int]

#: subcommand modules, in the order ``fsor --help`` lists them
COMMAND_MODULES = (
    "controller.cli.topology",
    "controller.cli.validate",
    "controller.cli.plan",
    "controller.cli.region",
    "controller.cli.lab",
    "controller.cli.discover",
    "controller.cli.apply",
    "controller.cli.history",
    "controller.cli.demo",
    "controller.cli.experiment",
    "controller.cli.serve",
)

log = logging.getLogger("fsor")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every available subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="fsor",
        description="Sustainability-constrained orchestration of compute and optical networks.",
    )
    parser.add_argument("--version", action="version", version=f"fsor {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logs on stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``fsor`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=(logging.WARNING, logging.INFO, logging.DEBUG)[min(args.verbose, 2)],
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # the one process-wide ncclient setting fsor makes, here at its entry point
    # (controller.session.DEFAULT_POLL_INTERVAL_S; docs/southbound.md "Sessions")
    set_ncclient_poll_interval()
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return handler(args)
    except InputError as exc:
        print(f"fsor: error: {exc}", file=sys.stderr)
        return 2
    except FsorError as exc:
        print(f"fsor: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("fsor: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
