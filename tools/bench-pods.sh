#!/usr/bin/env bash
# Pod start latency on a real node, offline: builds the test images into a registry on 127.0.0.1:5000
# (tools/build-test-images.sh), runs `swiftlet bench pods` with a registries.yaml that mirrors docker.io
# to it, then stops the registry. As root. Arguments go to `swiftlet bench pods` (e.g. --pods 100).
#   scripts/build-release.sh && tools/bench-pods.sh --pods 100
# SWIFTLET_BIN overrides the binary (default: .build/release/swiftlet).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=${SWIFTLET_BIN:-$HERE/../.build/release/swiftlet}
WORK=$(mktemp -d /tmp/swiftlet-bench-pods-images.XXXXXX)
export SWIFTLET_TEST_IMAGES_DIR=$WORK/images
cleanup() { bash "$HERE/build-test-images.sh" down >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT
bash "$HERE/build-test-images.sh" up >/dev/null
cat >"$WORK/registries.yaml" <<'YAML'
mirrors:
  docker.io:
    endpoint: ["http://127.0.0.1:5000"]
  "127.0.0.1:5000":
    endpoint: ["http://127.0.0.1:5000"]
YAML
"$BIN" bench pods --registries "$WORK/registries.yaml" --pause-image 127.0.0.1:5000/pause:3.9 "$@"
