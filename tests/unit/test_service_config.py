"""``fsor serve`` configuration: flag → FSOR_* → file → default; tokens never from argv."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from controller.cli import build_parser
from controller.service.auth import who
from controller.service.config import KEYS, ServiceConfig, Token, load_config, resolve
from topology.errors import InputError


def test_precedence_flag_env_file_default() -> None:
    doc = {"port": 1000, "time_limit_s": 5, "margin": 0.2}
    env = {"FSOR_PORT": "2000", "FSOR_TIME_LIMIT_S": "6"}
    cfg = resolve(doc, {"port": 3000}, env)
    assert (cfg.port, cfg.time_limit_s, cfg.margin, cfg.host) == (3000, 6.0, 0.2, "127.0.0.1")


def test_every_key_is_a_flag_and_a_variable() -> None:
    parser = build_parser()
    serve = parser.parse_args(["serve", "--port", "9", "--no-auto-apply"])
    assert serve.port == 9 and serve.auto_apply is False
    for key in KEYS:
        assert resolve({}, env={f"FSOR_{key.upper()}": _sample(key)}) is not None


def _sample(key: str) -> str:
    kind = KEYS[key]
    if key == "method":
        return "lns"
    if key in ("lab", "devices", "tls_cert", "tls_key"):
        return ""
    return {bool: "true", int: "3", float: "0.5", str: "x"}[kind]


def test_bad_values_name_their_source() -> None:
    with pytest.raises(InputError, match="FSOR_PORT: port: expected an integer, got 'x'"):
        resolve({}, env={"FSOR_PORT": "x"})
    with pytest.raises(InputError, match="--mip-gap"):
        resolve({}, {"mip_gap": "lots"}, env={})
    with pytest.raises(InputError, match="colour"):
        resolve({"colour": "red"}, env={})
    with pytest.raises(InputError, match="tls_cert/tls_key"):
        resolve({"tls_cert": "c.pem"}, env={})
    with pytest.raises(InputError, match="lab/devices"):
        resolve({"lab": "a", "devices": "b"}, env={})


def test_tokens_from_env_file_and_inline_only_in_a_private_file(tmp_path: Path) -> None:
    secret = tmp_path / "ro.token"
    secret.write_text("read-me\n")
    cfg_file = tmp_path / "serve.yaml"
    cfg_file.write_text(
        "tokens:\n"
        "  - {name: ops, role: write, token_env: OPS_TOKEN}\n"
        f"  - {{name: viewer, role: read, token_file: {secret}}}\n"
    )
    cfg = load_config(str(cfg_file), env={"OPS_TOKEN": "w1", "FSOR_TOKEN": "w2"})
    assert [(t.name, t.role) for t in cfg.tokens] == [
        ("ops", "write"),
        ("viewer", "read"),
        ("env", "write"),
    ]
    viewer = who(cfg.tokens, "Bearer read-me")
    assert viewer is not None and viewer.name == "viewer"
    assert "w1" not in repr(cfg) and "read-me" not in repr(cfg)
    inline = tmp_path / "inline.yaml"
    inline.write_text("tokens:\n  - {name: ops, token: s3cret}\n")
    os.chmod(inline, 0o644)
    with pytest.raises(InputError, match="chmod 600") as err:
        load_config(str(inline), env={})
    assert "s3cret" not in str(err.value)
    os.chmod(inline, 0o600)
    assert load_config(str(inline), env={}).tokens[0].name == "ops"
    with pytest.raises(InputError, match="token_env"):
        resolve({"tokens": [{"name": "x", "token_env": "UNSET_VAR"}]}, env={})
    with pytest.raises(InputError, match="unique"):
        resolve({"tokens": [{"name": "env", "token_env": "A"}]}, env={"A": "1", "FSOR_TOKEN": "2"})


def test_who_needs_the_bearer_scheme_and_an_exact_token() -> None:
    toks = (Token.of("ops", "write", "abc"),)
    assert who(toks, "Bearer abc") is toks[0]
    assert who(toks, "bearer abc") is None and who(toks, "Basic abc") is None
    assert who(toks, "Bearer abcd") is None and who(toks, "Bearer ") is None
    assert ServiceConfig().tokens == ()
