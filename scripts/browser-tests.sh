#!/usr/bin/env bash
# Browser tests of the web pages: headless Debian Chromium driven by
# playwright-core (browser/run.mjs, browser/letters.mjs) against the real
# `redress` binary; the letters' PDFs are checked with poppler-utils.
# Screenshots land in $CARGO_TARGET_DIR/browser-screenshots (target/ by default).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

if ! command -v chromium >/dev/null 2>&1; then
  echo "browser-tests: installing Debian's chromium"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if ! command -v pdftotext >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1; then
  echo "browser-tests: installing Debian's poppler-utils (pdftotext, pdftoppm)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "browser-tests: node and npm are needed (apt-get install -y nodejs npm)" >&2
  exit 1
fi

echo "browser-tests: npm ci"
# playwright-core drives the system's Chromium; it downloads no browser.
(cd browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)

if [ -z "${REDRESS_BIN:-}" ]; then
  echo "browser-tests: building redress"
  # The whole workspace, so features resolve as for the tests and the test
  # build is not redone.
  cargo build --locked --workspace --bins
fi

echo "browser-tests: running"
REDRESS_BIN="${REDRESS_BIN:-$CARGO_TARGET_DIR/debug/redress}" \
  SCREENSHOT_DIR="$CARGO_TARGET_DIR/browser-screenshots" \
  CHROMIUM="$(command -v chromium)" \
  node browser/run.mjs
# Decision letters on a demo database: the page, the PDF's text and
# rendering, and the public verification. DOCS_SCREENSHOTS=docs/screenshots
# refreshes the screenshots the documentation shows.
REDRESS_BIN="${REDRESS_BIN:-$CARGO_TARGET_DIR/debug/redress}" \
  SCREENSHOT_DIR="$CARGO_TARGET_DIR/browser-screenshots" \
  CHROMIUM="$(command -v chromium)" \
  node browser/letters.mjs
