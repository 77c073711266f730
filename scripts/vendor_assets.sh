#!/usr/bin/env bash
# Install the web application's front-end assets from npm (exact versions of
# package-lock.json) and copy the files the pages load into the package, so
# that nothing is ever fetched from a CDN at run time. Run after changing
# package.json; the copied files are committed (budget: < 3 MB in total).
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --ignore-scripts --no-audit --no-fund
vendor=src/testigo/web/static/vendor
rm -rf "$vendor"
mkdir -p "$vendor"
zxing=node_modules/zxing-wasm
# the QR reader only (not the writer): an IIFE build exposing window.ZXingWASM, and its WebAssembly
cp "$zxing/dist/iife/reader/index.js" "$vendor/zxing-reader.js"
cp "$zxing/dist/reader/zxing_reader.wasm" "$vendor/zxing_reader.wasm"
cp "$zxing/LICENSE" "$vendor/zxing-wasm.LICENSE"
version=$(node -p "require('./$zxing/package.json').version")
echo "zxing-wasm $version (npm), reader build; see zxing-wasm.LICENSE" > "$vendor/README"
total=$(du -cb "$vendor"/* | tail -1 | cut -f1)
if [ "$total" -ge 3000000 ]; then
    echo "vendored assets are $total bytes, above the 3 MB budget" >&2
    exit 1
fi
echo "vendored $(ls "$vendor" | wc -l) files, $total bytes, into $vendor"

# axe-core, for the browser tests' accessibility check only (never served by the application)
axe=node_modules/axe-core
tests_vendor=tests/web/vendor
rm -rf "$tests_vendor"
mkdir -p "$tests_vendor"
cp "$axe/axe.min.js" "$tests_vendor/axe.min.js"
cp "$axe/LICENSE" "$tests_vendor/axe-core.LICENSE"
echo "axe-core $(node -p "require('./$axe/package.json').version") (npm, devDependency), for tests/web/test_accessibility.py" > "$tests_vendor/README"
echo "vendored axe-core into $tests_vendor"
