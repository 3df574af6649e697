#!/usr/bin/env bash
# Install what fsor needs on a fresh Debian machine: system packages when root
# (netconfd and sshd for the conformance lab nodes, iproute2 for namespaces),
# then a virtual environment in .venv with fsor and its dev tools, at the exact versions of
# requirements.lock.
# Idempotent: a second run only checks. Source it or run it; it prints to stderr.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    need=()
    command -v netconfd >/dev/null 2>&1 || need+=(netconfd)
    [ -x /usr/sbin/sshd ] || need+=(openssh-server)
    command -v ip >/dev/null 2>&1 || need+=(iproute2)
    command -v yanglint >/dev/null 2>&1 || need+=(libyang2-tools)
    # the dashboard test loads the page in a real headless browser
    command -v chromium >/dev/null 2>&1 || need+=(chromium)
    if [ ${#need[@]} -gt 0 ]; then
        echo "setup: apt-get install ${need[*]}" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >&2
        apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
    fi
fi

py=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv" >&2
    "$py" -m venv .venv
fi
stamp=.venv/.fsor-installed
want=$(cat pyproject.toml requirements.lock | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    # exact versions and hashes from the lock (scripts/lock.sh refreshes it), then fsor itself
    # without touching them; the editable build uses the locked setuptools (no isolation)
    echo "setup: pip install -r requirements.lock (first run takes a few minutes)" >&2
    .venv/bin/python -m pip install -q --require-hashes --no-deps -r requirements.lock >&2
    .venv/bin/python -m pip install -q --no-deps --no-build-isolation -e . >&2
    .venv/bin/python -m pip check >&2
    echo "$want" > "$stamp"
fi
