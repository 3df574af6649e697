#!/usr/bin/env bash
# Refresh requirements.lock: every dependency of fsor (runtime, the dev and the optional
# extras, and the build back-end) pinned to one version with its hashes, for any platform
# on CPython 3.11+. scripts/setup.sh installs from it. Run after changing a range in
# pyproject.toml, or to move to newer releases on purpose:
#     bash scripts/lock.sh            # keep locked versions that still fit the ranges
#     bash scripts/lock.sh --upgrade  # newest versions within the ranges
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
uv=${UV:-.venv/bin/uv}
[ -x "$uv" ] || uv=$(command -v uv) || { echo "lock: needs uv (bash scripts/setup.sh installs it)" >&2; exit 2; }
build=$(mktemp --suffix=.in)
trap 'rm -f "$build"' EXIT
# the build back-end, so `pip install --no-build-isolation -e .` uses locked versions too
python3 - "$build" <<'PY'
import sys, tomllib
reqs = tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"]
open(sys.argv[1], "w").write("\n".join(reqs) + "\n")
PY
extras=()
for e in $(python3 -c 'import tomllib; print(" ".join(tomllib.load(open("pyproject.toml","rb"))["project"].get("optional-dependencies", {})))'); do
    extras+=(--extra "$e")
done
"$uv" pip compile pyproject.toml "$build" "${extras[@]}" "$@" \
    --universal --python-version 3.11 --generate-hashes --no-header \
    --custom-compile-command "bash scripts/lock.sh" -o requirements.lock.new >&2
{ echo "# fsor's locked dependencies: made by \`bash scripts/lock.sh\` (uv pip compile), installed by"
  echo "# scripts/setup.sh with pip --require-hashes. Do not edit by hand."
  cat requirements.lock.new; } > requirements.lock
rm -f requirements.lock.new
echo "lock: requirements.lock ($(grep -c '==' requirements.lock) pins)" >&2
