"""Configuration of ``fsor serve``: a YAML file, ``FSOR_*`` variables and flags.

Every key resolves flag → ``FSOR_<KEY>`` variable → config file → default, with a type
check naming where the bad value came from. Tokens never come from argv: from
``FSOR_TOKEN`` (a write token named ``env``), or from the file's ``tokens`` list, each
entry ``{name, role: read|write}`` plus one of ``token_env: VAR``, ``token_file: PATH``,
or an inline ``token`` (refused when the config file is readable by group or others).

>>> cfg = resolve({}, env={"FSOR_PORT": "9000", "FSOR_TOKEN": "s3cret"})
>>> cfg.port, cfg.tokens[0].name, cfg.tokens[0].role
(9000, 'env', 'write')
>>> resolve({"port": "x"}, env={})
Traceback (most recent call last):
...
topology.errors.InputError: config: port: expected an integer, got 'x'
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from topology.errors import InputError

__all__ = ["KEYS", "ServiceConfig", "Token", "load_config", "resolve"]

ROLES = ("read", "write")


@dataclass(frozen=True)
class Token:
    """A named bearer token; only its sha256 is kept in memory."""

    name: str
    role: str
    sha256: bytes = field(repr=False)

    @staticmethod
    def of(name: str, role: str, secret: str) -> Token:
        return Token(name, role, hashlib.sha256(secret.encode()).digest())


@dataclass(frozen=True)
class ServiceConfig:
    """Every setting of the service (see docs/api.md "Configuration")."""

    host: str = "127.0.0.1"
    port: int = 8080
    store: str = ""  # "" = controller default path (FSOR_STORE / XDG state dir)
    lab: str = ""
    lab_instance: str = ""
    devices: str = ""
    network: str = "default"
    signals: str = ""
    date: str = "2025-07-01"
    policy: str = "ffill"
    workloads: str = ""
    caps: str = ""
    tls_cert: str = ""
    tls_key: str = ""
    known_hosts: str = ""
    insecure_lab_hostkeys: bool = False
    rpc_timeout_s: float = 30.0
    confirm_timeout_s: int = 60
    rediscover_s: float = 30.0
    discovery_concurrency: int = 4
    time_limit_s: float = 30.0
    mip_gap: float = 0.01
    method: str = "auto"
    signal_threshold: float = 0.10
    margin: float = 0.01
    auto_apply: bool = True
    shutdown_grace_s: float = 10.0
    pause_before_confirm_s: float = 0.0
    tokens: tuple[Token, ...] = ()


#: settable keys and their types (tokens are special)
KEYS: Mapping[str, type] = {
    f.name: {"int": int, "float": float, "bool": bool, "str": str}[str(f.type)]
    for f in fields(ServiceConfig)
    if f.name != "tokens"
}

_HELP = {
    "host": "address to listen on (127.0.0.1)",
    "port": "TCP port (8080)",
    "store": "SQLite store file (created if missing; default $XDG_STATE_HOME/fsor/)",
    "lab": "a lab brought up with `fsor lab up FILE` (its devices)",
    "lab_instance": "instance name given to `fsor lab up --name`",
    "devices": "devices file (YAML/JSON) instead of --lab",
    "network": "network when there are no devices (default: ORCA)",
    "signals": "signal file (any format `fsor plan --signals` reads)",
    "date": "day of an ORCA Table V file (2025-07-01)",
    "policy": "missing-signal policy (ffill)",
    "workloads": "initial workloads YAML/JSON (default: ORCA's case-study job)",
    "caps": "caps YAML/JSON",
    "tls_cert": "TLS certificate (PEM); with --tls-key serves HTTPS",
    "tls_key": "TLS private key (PEM)",
    "known_hosts": "known_hosts to verify device keys with",
    "insecure_lab_hostkeys": "accept any device SSH host key (labs only)",
    "rpc_timeout_s": "per NETCONF RPC (30)",
    "confirm_timeout_s": "confirmed-commit timeout (60)",
    "rediscover_s": "re-discovery interval, 0 = never (30)",
    "discovery_concurrency": "devices read at once by a discovery (4)",
    "time_limit_s": "solver seconds per plan (30)",
    "mip_gap": "relative MIP gap (0.01)",
    "method": "solver path: auto, lns or milp",
    "signal_threshold": "relative signal move that triggers a re-plan (0.10)",
    "margin": "relative objective gain a re-plan needs to be pushed (0.01)",
    "auto_apply": "the closed loop pushes its decisions (true)",
    "shutdown_grace_s": "seconds the running job gets on SIGTERM before it is cancelled",
    "pause_before_confirm_s": "fault injection (tests): wait between commit and confirm (0)",
}


def _convert(key: str, value: Any, where: str) -> Any:
    kind = KEYS[key]
    if kind is bool:
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("1", "true", "yes", "on"):
            return True
        if str(value).lower() in ("0", "false", "no", "off", ""):
            return False
        raise InputError(where, key, value, "expected a boolean")
    if kind is int:
        if isinstance(value, bool):
            raise InputError(where, key, value, "expected an integer")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise InputError(where, key, value, "expected an integer") from None
    if kind is float:
        try:
            return float(value)
        except (TypeError, ValueError):
            raise InputError(where, key, value, "expected a number") from None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise InputError(where, key, value, "expected a string")
    return str(value)


def _secret(entry: Mapping[str, Any], where: str, private: bool, env: Mapping[str, str]) -> str:
    if "token_env" in entry:
        var = str(entry["token_env"])
        if not env.get(var):
            raise InputError(where, "token_env", var, "expected a set environment variable")
        return env[var]
    if "token_file" in entry:
        p = Path(str(entry["token_file"])).expanduser()
        try:
            text = p.read_text().strip()
        except OSError as exc:
            raise InputError(
                where, "token_file", str(p), f"expected a readable file ({exc})"
            ) from None
        if not text:
            raise InputError(where, "token_file", str(p), "expected a non-empty token")
        return text
    if "token" in entry:
        if not private:
            raise InputError(
                where,
                "token",
                "<hidden>",
                "expected token_env/token_file, or a config file "
                "readable by its owner only (chmod 600) for an inline token",
            )
        return str(entry["token"])
    raise InputError(where, "token", None, "expected one of token_env, token_file, token")


def _tokens(raw: Any, source: str, private: bool, env: Mapping[str, str]) -> list[Token]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InputError(source, "tokens", raw, "expected a list of {name, role, token_*}")
    out = []
    for i, entry in enumerate(raw):
        where = f"{source}: tokens[{i}]"
        if not isinstance(entry, Mapping) or not entry.get("name"):
            raise InputError(source, f"tokens[{i}]", "<entry>", "expected a mapping with 'name'")
        role = str(entry.get("role", "write"))
        if role not in ROLES:
            raise InputError(source, f"tokens[{i}].role", role, f"expected one of {ROLES}")
        out.append(Token.of(str(entry["name"]), role, _secret(entry, where, private, env)))
    return out


def resolve(
    file_doc: Mapping[str, Any],
    flags: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    *,
    source: str = "config",
    private: bool = True,
) -> ServiceConfig:
    """The configuration: ``flags`` (non-None) → ``FSOR_<KEY>`` in ``env`` → file → default."""
    env = os.environ if env is None else env
    flags = flags or {}
    unknown = sorted(set(file_doc) - set(KEYS) - {"tokens"})
    if unknown:
        raise InputError(
            source, unknown[0], file_doc[unknown[0]], f"expected a key of {sorted(KEYS)}"
        )
    values: dict[str, Any] = {}
    for key in KEYS:
        var = f"FSOR_{key.upper()}"
        if flags.get(key) is not None:
            values[key] = _convert(key, flags[key], f"--{key.replace('_', '-')}")
        elif env.get(var):
            values[key] = _convert(key, env[var], var)
        elif key in file_doc:
            values[key] = _convert(key, file_doc[key], source)
    tokens = _tokens(file_doc.get("tokens"), source, private, env)
    if env.get("FSOR_TOKEN"):
        tokens.append(Token.of(env.get("FSOR_TOKEN_NAME", "env"), "write", env["FSOR_TOKEN"]))
    names = [t.name for t in tokens]
    if len(set(names)) != len(names):
        raise InputError(source, "tokens", names, "expected unique token names")
    cfg = ServiceConfig(**values, tokens=tuple(tokens))
    if cfg.lab and cfg.devices:
        raise InputError(source, "lab/devices", (cfg.lab, cfg.devices), "expected one of them")
    if bool(cfg.tls_cert) != bool(cfg.tls_key):
        raise InputError(source, "tls_cert/tls_key", "one of them", "expected both or neither")
    if cfg.method not in ("auto", "lns", "milp"):
        raise InputError(source, "method", cfg.method, "expected auto, lns or milp")
    if not cfg.time_limit_s > 0:
        raise InputError(source, "time_limit_s", cfg.time_limit_s, "expected seconds > 0")
    if not 0 <= cfg.mip_gap < 1:
        raise InputError(source, "mip_gap", cfg.mip_gap, "expected a gap in [0, 1)")
    return cfg


def load_config(
    path: str | None, flags: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None
) -> ServiceConfig:
    """Read the YAML file at ``path`` (if any) and :func:`resolve` it."""
    if not path:
        return resolve({}, flags, env)
    p = Path(path)
    try:
        doc = yaml.safe_load(p.read_text()) or {}
        mode = p.stat().st_mode
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(str(p), "file", str(p), f"expected a readable YAML file ({exc})") from exc
    if not isinstance(doc, Mapping):
        raise InputError(str(p), "(document)", type(doc).__name__, "expected a mapping")
    private = not mode & (stat.S_IRWXG | stat.S_IRWXO)
    return resolve(doc, flags, env, source=str(p), private=private)


def help_of(key: str) -> str:
    """The one-line help of ``key`` (for the CLI)."""
    return _HELP.get(key, key)
