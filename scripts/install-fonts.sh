#!/usr/bin/env bash
# Installs a CJK font so report charts (matplotlib) can draw their Chinese labels.
#
# Idempotent and quick: does nothing when fontconfig already knows a Chinese font. Never fails
# the setup: without root or apt-get it prints what to run instead and exits 0.
set -uo pipefail

# Small first (WenQuanYi Micro Hei, ~5 MB); Noto CJK (~80 MB) only if that one is unavailable.
PACKAGES=(fonts-wqy-microhei fonts-noto-cjk)

has_cjk_font() {
    command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh family 2>/dev/null)" ]
}

if has_cjk_font; then
    exit 0
fi

advise() {
    echo "warning: no CJK font found; report charts will show boxes instead of Chinese labels." >&2
    echo "         $1" >&2
    echo "         e.g. sudo apt-get install ${PACKAGES[0]}   (or any font listed by: fc-list :lang=zh)" >&2
    exit 0
}

command -v apt-get >/dev/null 2>&1 || advise "apt-get is not available here: install a Chinese font by hand."
[ "$(id -u)" -eq 0 ] || advise "Not root: cannot install one."

has_candidate() {
    # Captured rather than piped into grep -q: with pipefail, grep's early exit fails the pipe.
    local policy
    policy=$(apt-cache policy "$1" 2>/dev/null)
    [[ $policy =~ Candidate:\ [0-9] ]]
}

for package in "${PACKAGES[@]}"; do
    # Candidate "(none)" means the package is not in the package lists (yet).
    has_candidate "$package" || apt-get update -qq >/dev/null 2>&1 || true
    if has_candidate "$package"; then
        echo "==> Installing CJK font $package (for the Chinese labels of report charts)"
        if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package" >/dev/null; then
            break
        fi
        echo "warning: installing $package failed" >&2
    fi
done

if has_cjk_font; then
    # matplotlib caches its font list; drop it so the new font is found on the next run.
    rm -f "${MPLCONFIGDIR:-${XDG_CACHE_HOME:-$HOME/.cache}/matplotlib}"/fontlist-*.json
    echo "==> CJK font ready: $(fc-list :lang=zh family | sort | head -n 1)"
else
    advise "Could not install one of: ${PACKAGES[*]}."
fi
