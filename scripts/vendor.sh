#!/usr/bin/env bash
# Copy the pinned front-end packages (package.json + package-lock.json) into the repository with
# their licences. Run after changing a version; commit the result. The platform never fetches them.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp package.json package-lock.json "$work/"
(cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)

static=src/nonpro/core/static/vendor
mkdir -p "$static/htmx" tests/browser/vendor/axe-core
cp "$work/node_modules/htmx.org/dist/htmx.min.js" "$static/htmx/htmx.min.js"
cp "$work/node_modules/htmx.org/LICENSE" "$static/htmx/LICENSE"
node -e 'console.log(require(process.argv[1]).version)' "$work/node_modules/htmx.org/package.json" > "$static/htmx/VERSION"

cp "$work/node_modules/axe-core/axe.min.js" tests/browser/vendor/axe-core/axe.min.js
cp "$work/node_modules/axe-core/LICENSE" tests/browser/vendor/axe-core/LICENSE
node -e 'console.log(require(process.argv[1]).version)' "$work/node_modules/axe-core/package.json" > tests/browser/vendor/axe-core/VERSION
echo "Vendored htmx $(cat "$static/htmx/VERSION") and axe-core $(cat tests/browser/vendor/axe-core/VERSION)."
