#!/usr/bin/env bash
# The release build of `swiftlet` (scripts/up.sh, the benchmarks): one self-contained executable (the Swift
# runtime and Foundation linked in), linked by lld with the functions an idle node agent runs placed next to
# each other (tools/link-order/agent-idle.order; every function gets its own section so the linker can move
# it). Extra arguments go to `swift build`. Prints nothing but errors and the last lines of the build.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
ORDER=$ROOT/tools/link-order/agent-idle.order
# The build does not know the order file as an input of the link: relink when it changed.
BIN=$(swift build -c release --show-bin-path "$@")/swiftlet
if [ -e "$BIN" ] && [ "$ORDER" -nt "$BIN" ]; then rm -f "$BIN"; fi
swift build -c release --product swiftlet --static-swift-stdlib \
  -Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections \
  -Xswiftc -use-ld=lld -Xlinker "--symbol-ordering-file=$ORDER" -Xlinker --no-warn-symbol-ordering "$@" 2>&1 | tail -n 3
