#!/usr/bin/env bash
# Runs every test: Swift unit and conformance tests, then the end-to-end suite that drives the built
# binary with the real kubectl and the official Python client. Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  need=()
  dpkg -s libsqlite3-dev >/dev/null 2>&1 || need+=(libsqlite3-dev)
  if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
  fi
fi
python3 -m pip install -q -r tests/e2e/requirements.txt

echo "== build (debug, once for every test)"
swift build --build-tests 2>&1 | tail -n 5

echo "== unit and conformance tests"
swift test --skip-build --parallel 2>&1 | tail -n 40

echo "== end-to-end tests"
SWIFTLET_BIN="$PWD/.build/debug/swiftlet" python3 -m pytest -q tests/e2e
