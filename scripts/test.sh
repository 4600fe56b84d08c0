#!/usr/bin/env bash
# Runs every test: Swift unit and conformance tests, then the end-to-end suite that drives the built
# binary with the real kubectl and the official Python client. Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  need=()
  # libsqlite3-dev for the build; the rest for the real container runtime tests (containerd, images).
  for pkg in libsqlite3-dev containerd runc containernetworking-plugins busybox-static skopeo umoci \
             docker-registry iptables; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
  done
  if [ ${#need[@]} -gt 0 ]; then
    # No service may start on install (docker-registry would take :5000 with its own config).
    [ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; }
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
  fi
  # Here the containerd tests can run: never let them skip silently.
  export SWIFTLET_REQUIRE_CONTAINERD=1
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
