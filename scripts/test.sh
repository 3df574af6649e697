#!/usr/bin/env bash
# The test command: install what is needed, then ruff, strict mypy and pytest.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
bash scripts/setup.sh
export PATH="$here/.venv/bin:$PATH"
echo "== ruff" >&2
ruff check .
echo "== mypy (strict)" >&2
mypy
echo "== pytest" >&2
pytest -q "$@"
