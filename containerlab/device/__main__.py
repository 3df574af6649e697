"""``fsor-device``: serve one emulated OpenConfig optical device over NETCONF/SSH."""

from __future__ import annotations

import argparse
import faulthandler
import logging
import os
import signal
import sys
import tempfile
import threading
from pathlib import Path

from topology.errors import FsorError, InputError

__all__ = ["main"]

log = logging.getLogger("fsor.device")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="fsor-device", description=__doc__)
    p.add_argument("--startup", required=True, type=Path, help="startup YAML file")
    p.add_argument("--address", default="0.0.0.0", help="listen address (default 0.0.0.0)")
    p.add_argument("--port", type=int, default=830, help="listen port, 0 = any (default 830)")
    p.add_argument("--username", default=os.environ.get("FSOR_DEVICE_USERNAME", "admin"))
    p.add_argument("--password", default=os.environ.get("FSOR_DEVICE_PASSWORD", "admin"))
    p.add_argument("--host-key", type=Path, help="SSH host key (generated if missing)")
    p.add_argument("--state-dir", type=Path, help="keep running config, pid file, host key here")
    p.add_argument(
        "--delay-ms",
        type=float,
        default=float(os.environ.get("FSOR_DELAY_MS", "0") or 0),
        help="one-way delay of every byte sent and received, ms: a device this far away "
        "(round trip 2x; default $FSOR_DELAY_MS or 0; the lab label fsor.delay-ms)",
    )
    p.add_argument("--log-level", default="INFO")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the device until SIGTERM/SIGINT; return the exit code."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    for noisy in ("paramiko", "netconf", "sshutil"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    try:
        return _run(args)
    except InputError as exc:
        print(f"fsor-device: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"fsor-device: cannot listen on {args.address}:{args.port}: {exc}", file=sys.stderr)
        return 1
    except FsorError as exc:
        print(f"fsor-device: {exc}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    from containerlab.device.engine import DeviceEngine, RpcFault
    from containerlab.device.profile import load_startup
    from containerlab.device.server import DeviceServer, ensure_host_key

    if not 0 <= args.delay_ms <= 10_000:
        raise InputError("--delay-ms", "delay", args.delay_ms, "expected 0 to 10000 ms")
    profile = load_startup(args.startup)
    state_dir: Path | None = args.state_dir
    if state_dir is not None:
        state_dir.mkdir(parents=True, exist_ok=True)
    tmp = None
    if args.host_key is not None:
        key_path = args.host_key
    elif state_dir is not None:
        key_path = state_dir / "host_key"
    else:
        tmp = tempfile.TemporaryDirectory(prefix="fsor-device-")
        key_path = Path(tmp.name) / "host_key"
    try:
        engine = DeviceEngine(profile, state_dir)
    except RpcFault as fault:
        raise InputError(str(args.startup), "config_xml", fault.path or "/", str(fault)) from fault
    if not engine.schema.available:
        log.warning("libyang not importable: edits get device checks only, no YANG validation")
    server = DeviceServer(
        engine,
        address=args.address,
        port=args.port,
        username=args.username,
        password=args.password,
        host_key=ensure_host_key(key_path),
        delay_s=args.delay_ms / 1000.0,
    )
    faulthandler.register(signal.SIGUSR1)  # `kill -USR1 PID` dumps thread stacks to stderr
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    if state_dir is not None:
        (state_dir / "fsor-device.pid").write_text(f"{os.getpid()}\n")
    print(
        f"READY fsor-device name={profile.name} kind={profile.kind} pid={os.getpid()} "
        f"address={args.address} port={server.port}",
        flush=True,
    )
    log.info(
        "%s (%s) serving NETCONF on %s:%d", profile.name, profile.kind, args.address, server.port
    )
    while not stop.wait(3600):
        pass
    log.info("%s: stopping", profile.name)
    server.shutdown()
    if state_dir is not None:
        (state_dir / "fsor-device.pid").unlink(missing_ok=True)
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
