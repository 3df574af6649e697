#!/usr/bin/env bash
# The main job: install what is needed, then run the demo on the embedded default.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
bash scripts/setup.sh
export PATH="$here/.venv/bin:$PATH"
exec fsor demo "$@"
