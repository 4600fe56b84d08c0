#!/usr/bin/env bash
# Regenerates Sources/CRI/Generated from Sources/CRI/Proto/runtime_v1.proto.
# Builds the two protoc plugins once (release, outside the repo) and runs protoc.
# Needs: protoc (Debian: protobuf-compiler) and the swift-protobuf / grpc-swift-protobuf sources
# (cloned from $SWIFT_PACKAGES, by default the offline mirror /opt/swift-packages).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PLUGINS="${PLUGINS_DIR:-/tmp/plugins}"
SWIFT_PACKAGES="${SWIFT_PACKAGES:-/opt/swift-packages}"
SWIFT_PROTOBUF_VERSION=1.39.0
GRPC_SWIFT_PROTOBUF_VERSION=2.4.1

mkdir -p "$PLUGINS"
if [ ! -x "$PLUGINS/swift-protobuf/.build/release/protoc-gen-swift" ]; then
    [ -d "$PLUGINS/swift-protobuf" ] || git clone -q --branch "$SWIFT_PROTOBUF_VERSION" \
        "$SWIFT_PACKAGES/apple/swift-protobuf.git" "$PLUGINS/swift-protobuf"
    (cd "$PLUGINS/swift-protobuf" && swift build -c release --product protoc-gen-swift)
fi
if [ ! -x "$PLUGINS/grpc-swift-protobuf/.build/release/protoc-gen-grpc-swift-2" ]; then
    [ -d "$PLUGINS/grpc-swift-protobuf" ] || git clone -q --branch "$GRPC_SWIFT_PROTOBUF_VERSION" \
        "$SWIFT_PACKAGES/grpc/grpc-swift-protobuf.git" "$PLUGINS/grpc-swift-protobuf"
    (cd "$PLUGINS/grpc-swift-protobuf" && swift build -c release --product protoc-gen-grpc-swift-2)
fi

OUT="$ROOT/Sources/CRI/Generated"
rm -rf "$OUT"
mkdir -p "$OUT"
protoc \
    --plugin=protoc-gen-swift="$PLUGINS/swift-protobuf/.build/release/protoc-gen-swift" \
    --plugin=protoc-gen-grpc-swift-2="$PLUGINS/grpc-swift-protobuf/.build/release/protoc-gen-grpc-swift-2" \
    --proto_path="$ROOT/Sources/CRI/Proto" \
    --swift_out="$OUT" \
    --swift_opt=Visibility=Public \
    --grpc-swift-2_out="$OUT" \
    --grpc-swift-2_opt=Visibility=Public,Server=false,Client=true \
    runtime_v1.proto
ls -l "$OUT"
