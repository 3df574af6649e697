"""The CLI contract: --help lists subcommands, --version, exit codes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from controller import __version__
from controller.cli import main
from topology.errors import InputError


def test_version_prints_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"fsor {__version__}"


def test_no_subcommand_is_bad_input() -> None:
    assert main([]) == 2


def test_console_script_help_runs() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "controller", "--help"], capture_output=True, text=True, check=True
    )
    assert "usage: fsor" in out.stdout


def test_input_error_names_source_field_value() -> None:
    err = InputError("w.yaml", "workloads[0].origin", "XX", "expected a known node")
    assert str(err) == "w.yaml: workloads[0].origin: expected a known node, got 'XX'"
