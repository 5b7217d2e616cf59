#!/usr/bin/env bash
# Fetch htmx's browser file from npm (htmx.org, pinned below) into
# src/syncline/ui/static/htmx/, with its licence.
#
# Run by hand to upgrade htmx, then commit the result: the file is part of the
# package, so the UI loads nothing from the network and installs need no npm.
set -euo pipefail

VERSION="2.0.11"

cd "$(dirname "${BASH_SOURCE[0]}")/.."
target="src/syncline/ui/static/htmx"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "htmx.org@$VERSION" >/dev/null)
tar -xzf "$work/htmx.org-$VERSION.tgz" -C "$work"
mkdir -p "$target"
cp "$work/package/dist/htmx.min.js" "$work/package/LICENSE" "$target/"
echo "htmx $VERSION is in $target"
