#!/usr/bin/env bash
# Creates .venv for this checkout, installing only what is missing.
#
# The heavy dependencies (Rasa, TensorFlow: ~2.7 GB) live in a shared cache keyed by the hash of
# requirements.lock and the interpreter version, like a CI cache: a miss rebuilds it from scratch,
# a hit costs nothing. .venv itself is a small per-checkout venv that sees the cached packages
# through a .pth file and holds the project as an editable install.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python310() {
    local candidate
    if [ -n "${PYTHON310:-}" ]; then echo "$PYTHON310"; return 0; fi
    # The pyenv shim refuses to run unless 3.10 is selected, so test that it really starts.
    if command -v python3.10 >/dev/null 2>&1 && python3.10 -c 'import sys' >/dev/null 2>&1; then
        command -v python3.10; return 0
    fi
    if command -v pyenv >/dev/null 2>&1; then
        for candidate in $(ls -d "$(pyenv root)"/versions/3.10.*/bin/python3.10 2>/dev/null | sort -V -r); do
            if "$candidate" -c 'import sys' >/dev/null 2>&1; then echo "$candidate"; return 0; fi
        done
    fi
    for candidate in /usr/local/bin/python3.10 /usr/bin/python3.10; do
        if [ -x "$candidate" ]; then echo "$candidate"; return 0; fi
    done
    return 1
}

PY=$(find_python310) || {
    echo "error: Python 3.10 is required (Rasa 3.6 does not run on 3.11+) and none was found." >&2
    echo "       Install it (e.g. 'pyenv install 3.10.13') or set PYTHON310=/path/to/python3.10." >&2
    exit 1
}
"$PY" -c 'import sys; assert sys.version_info[:2] == (3, 10), sys.version' || {
    echo "error: $PY is not Python 3.10." >&2; exit 1; }

pyver=$("$PY" -c 'import platform; print(platform.python_version())')
deps_hash=$( (cat requirements.lock; echo "$pyver") | sha256sum | cut -c1-16)
cache=${POLICYBOT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/policybot}
deps="$cache/deps-$deps_hash"

if [ ! -f "$deps/.complete" ]; then
    echo "==> Installing dependencies into $deps (first time: several minutes, ~2.7 GB)"
    rm -rf "$deps"
    mkdir -p "$cache"
    "$PY" -m venv "$deps"
    "$deps/bin/python" -m pip install --quiet wheel
    "$deps/bin/python" -m pip install --progress-bar off -r requirements.lock
    "$deps/bin/python" -m pip check
    touch "$deps/.complete"
fi

project_hash=$( (echo "$deps"; cat pyproject.toml) | sha256sum | cut -c1-16)
if [ ! -f .venv/.stamp ] || [ "$(cat .venv/.stamp)" != "$project_hash" ]; then
    echo "==> Creating .venv (dependencies from $deps)"
    # Without its own pip and setuptools: the cached ones (those rasa pins) are used, so pip check is clean.
    "$PY" -m venv --clear --without-pip .venv
    site=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    deps_site=$("$deps/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    echo "$deps_site" > "$site/policybot-deps.pth"
    .venv/bin/python -m pip install --quiet --no-deps --no-build-isolation -e .
    echo "$project_hash" > .venv/.stamp
fi
bash scripts/install-fonts.sh || true  # CJK font for report charts; no-op when one is installed
