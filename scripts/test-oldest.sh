#!/usr/bin/env bash
# Test fsor against the OLDEST version of every direct dependency pyproject.toml allows
# (runtime and dev): each `name>=floor` becomes a `name==floor` constraint, transitive
# dependencies resolve as pip chooses (the "lowest-direct" resolution). Everything goes into
# a throw-away virtual environment that is removed afterwards (--keep to keep it).
#
#   bash scripts/test-oldest.sh                     # floors, then the whole pytest suite
#   bash scripts/test-oldest.sh tests/unit -x       # floors, then these pytest arguments
#   bash scripts/test-oldest.sh --keep tests/unit   # keep the venv (its path is printed)
#
# A floor that does not install or does not pass is a floor to raise (with a comment in
# pyproject.toml saying why). The newest end of each range: scripts/test-latest.sh.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
keep=0
if [ "${1:-}" = "--keep" ]; then keep=1; shift; fi
py=${PYTHON:-python3}
tmp=$(mktemp -d -t fsor-oldest-XXXXXX)
cleanup() { if [ "$keep" = 0 ]; then rm -rf "$tmp"; else echo "test-oldest: kept $tmp/venv" >&2; fi; }
trap cleanup EXIT

"$py" - "$here/pyproject.toml" > "$tmp/floors.txt" <<'PY'
import re, sys, tomllib
with open(sys.argv[1], "rb") as f:
    project = tomllib.load(f)["project"]
deps = list(project["dependencies"]) + list(project["optional-dependencies"]["dev"])
for dep in deps:
    name = re.match(r"[A-Za-z0-9_.-]+", dep).group(0)
    floor = re.search(r">=\s*([^,;\s]+)", dep)
    if floor is None:
        sys.exit(f"test-oldest: {dep!r}: expected a '>=' floor")
    print(f"{name}=={floor.group(1)}")
PY
echo "test-oldest: constraints:" >&2
sed 's/^/  /' "$tmp/floors.txt" >&2

"$py" -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install -q --upgrade pip >&2
# setuptools/wheel are build tools (the floor of setuptools is build-system.requires)
"$tmp/venv/bin/python" -m pip install -q -c "$tmp/floors.txt" -e ".[dev]" >&2
echo "test-oldest: installed:" >&2
"$tmp/venv/bin/python" -m pip freeze --exclude-editable \
    | grep -i -E "^($(cut -d= -f1 "$tmp/floors.txt" | paste -sd'|'))==" | sed 's/^/  /' >&2

if [ $# -eq 0 ]; then set -- -q; fi
"$tmp/venv/bin/python" -m pytest -p no:cacheprovider "$@"
