#!/usr/bin/env bash
# Start Syncline: ./scripts/start.sh [syncline serve options]
#
# Creates .venv if missing, installs the package (without dev tools; skipped
# when pyproject.toml has not changed since the last install), then runs
# `syncline serve`, which prints the URL and the API key.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

ensure_venv base
exec "$VENV/bin/syncline" serve "$@"
