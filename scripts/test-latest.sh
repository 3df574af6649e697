#!/usr/bin/env bash
# Test fsor against the NEWEST releases its pyproject.toml ranges allow, in a throw-away
# venv, so drift at the top of a range is caught on purpose (the bottom end:
# scripts/test-oldest.sh). Not part of CI (which installs the lock); run it before widening
# a range or refreshing the lock.
#     bash scripts/test-latest.sh [pytest args...]
# Prints the versions it tested; exits with pytest's status.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
mode=latest
bash scripts/setup.sh            # system packages and uv (in .venv)
uv=.venv/bin/uv
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fsor-$mode.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$uv" venv -q --seed --python "${PYTHON:-python3}" "$tmp/venv" >&2
extras=$(python3 -c 'import tomllib; print(",".join(tomllib.load(open("pyproject.toml","rb"))["project"].get("optional-dependencies", {})))')
resolution=highest
echo "test-$mode: installing fsor[$extras] with --resolution $resolution (no lock)" >&2
VIRTUAL_ENV="$tmp/venv" "$uv" pip install -q --resolution "$resolution" --refresh \
    -e ".[$extras]" >&2
echo "== versions tested ($mode within the ranges of pyproject.toml)"
"$tmp/venv/bin/python" - <<'PY'
import re, tomllib
from importlib.metadata import version
proj = tomllib.load(open("pyproject.toml", "rb"))["project"]
reqs = proj["dependencies"] + [r for rs in proj.get("optional-dependencies", {}).values() for r in rs]
for req in reqs:
    name = re.split(r"[<>=!~;\[ ]", req, maxsplit=1)[0]
    print(f"  {name:22s} {version(name):12s} (range {req[len(name):] or 'any'})")
PY
export PATH="$tmp/venv/bin:$PATH"
cd "$here"
"$tmp/venv/bin/python" -m pytest -q -p no:cacheprovider "$@"
