# shellcheck shell=bash
# Shared by scripts/test.sh and scripts/start.sh; source it, do not run it.
#
# ensure_venv KIND   KIND is "dev" (package + dev tools) or "base" (package only).
#   Creates .venv with the first Python >= 3.11 found (SYNCLINE_PYTHON, python3,
#   python3.13, python3.12, python3.11) and installs the package editable. The
#   install is skipped when .venv/.syncline-install records the same KIND (or
#   "dev", which includes "base") and the same hash of pyproject.toml.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO_ROOT/.venv"
STAMP="$VENV/.syncline-install"

die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

header() {
    printf '\n==> %s\n' "$*"
}

_python_ok() {
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null
}

_find_python() {
    local candidate
    for candidate in "${SYNCLINE_PYTHON:-}" python3 python3.13 python3.12 python3.11; do
        if [[ -n "$candidate" ]] && command -v "$candidate" >/dev/null && _python_ok "$candidate"; then
            printf '%s\n' "$candidate"
            return 0
        fi
    done
    return 1
}

_pyproject_hash() {
    "$VENV/bin/python" -c \
        'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' \
        "$REPO_ROOT/pyproject.toml"
}

ensure_venv() {
    local kind="$1" python hash stamp=""
    if [[ ! -x "$VENV/bin/python" ]]; then
        python="$(_find_python)" || die "Python 3.11 or newer is needed; install it or set SYNCLINE_PYTHON to its path"
        header "Creating .venv with $python"
        "$python" -m venv "$VENV"
    fi
    _python_ok "$VENV/bin/python" || die "$VENV uses a Python older than 3.11; delete it and run again"
    hash="$(_pyproject_hash)"
    [[ -f "$STAMP" ]] && stamp="$(<"$STAMP")"
    if [[ "$stamp" == "dev $hash" || "$stamp" == "$kind $hash" ]]; then
        return 0
    fi
    local target="."
    [[ "$kind" == "dev" ]] && target=".[dev]"
    header "Installing syncline ($kind) into .venv"
    rm -f "$STAMP"
    (cd "$REPO_ROOT" && "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$target")
    printf '%s %s\n' "$kind" "$hash" >"$STAMP"
}
