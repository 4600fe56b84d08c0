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
unit_log="$(mktemp)"
swift test --skip-build --parallel >"$unit_log" 2>&1 && unit_status=0 || unit_status=$?
tail -n 40 "$unit_log"
# Every failure in full (the tail alone can miss which test failed).
grep -E "✘|recorded an issue" "$unit_log" || true
rm -f "$unit_log"
[ "$unit_status" -eq 0 ] || exit "$unit_status"

echo "== end-to-end tests"
SWIFTLET_BIN="$PWD/.build/debug/swiftlet" python3 -m pytest -q tests/e2e
