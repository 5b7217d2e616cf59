#!/usr/bin/env bash
# Fetch axe-core's browser file from npm (axe-core, pinned below) into
# tests/ui/vendor/axe-core/, with its licence files, its package.json and a
# README naming the version.
#
# Run by hand to upgrade axe-core, then commit the result: the accessibility
# checks of the browser tests (tests/ui/accessibility.py) inject this file, so
# the tests load nothing from the network and need no npm.
set -euo pipefail

VERSION="4.14.1"
FILES=(
    axe.min.js
    LICENSE
    LICENSE-3RD-PARTY.txt
    package.json
)

cd "$(dirname "${BASH_SOURCE[0]}")/.."
target="tests/ui/vendor/axe-core"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "axe-core@$VERSION" >/dev/null)
tar -xzf "$work/axe-core-$VERSION.tgz" -C "$work"
rm -rf "$target"
mkdir -p "$target"
for file in "${FILES[@]}"; do
    cp "$work/package/$file" "$target/$file"
done
cat >"$target/README.md" <<README
# axe-core $VERSION

\`axe.min.js\` of [axe-core](https://github.com/dequelabs/axe-core) $VERSION from
npm, with its licence (MPL-2.0, \`LICENSE\`; bundled code: \`LICENSE-3RD-PARTY.txt\`)
and \`package.json\`. \`tests/ui/accessibility.py\` injects it into pages under test.

Fetched by \`scripts/vendor_axe_core.sh\`; change the version there and run it
to upgrade. Do not edit these files by hand.
README
echo "axe-core $VERSION is in $target"
