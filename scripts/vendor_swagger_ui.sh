#!/usr/bin/env bash
# Fetch Swagger UI's browser files from npm (swagger-ui-dist, pinned below) into
# src/syncline/api/static/swagger-ui/, with their licence files.
#
# Run by hand to upgrade Swagger UI, then commit the result: the files are part
# of the package, so /docs loads nothing from the network and installs need no npm.
set -euo pipefail

VERSION="5.36.0"
FILES=(
    swagger-ui-bundle.js
    swagger-ui-bundle.js.LICENSE.txt
    swagger-ui.css
    swagger-ui.css.map
    favicon-32x32.png
    LICENSE
    NOTICE
    package.json
)

cd "$(dirname "${BASH_SOURCE[0]}")/.."
target="src/syncline/api/static/swagger-ui"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "swagger-ui-dist@$VERSION" >/dev/null)
tar -xzf "$work/swagger-ui-dist-$VERSION.tgz" -C "$work"
rm -rf "$target"
mkdir -p "$target"
for file in "${FILES[@]}"; do
    cp "$work/package/$file" "$target/$file"
done
echo "Swagger UI $VERSION is in $target"
