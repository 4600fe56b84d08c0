#!/usr/bin/env bash
# Brings up a Swiftlet cluster on this machine (Debian 12, as root): installs the system packages it
# needs, builds and installs `swiftlet`, starts the server in the background and waits until it is ready.
# Usage: scripts/up.sh        Then: export KUBECONFIG=/etc/swiftlet/swiftlet.yaml; kubectl get ns
set -euo pipefail
cd "$(dirname "$0")/.."
DATA_DIR=${SWIFTLET_DATA_DIR:-/var/lib/swiftlet}
KUBECONFIG_PATH=${SWIFTLET_KUBECONFIG:-/etc/swiftlet/swiftlet.yaml}
PORT=${SWIFTLET_PORT:-6443}

# libsqlite3-dev to build; containerd, runc and the CNI plugins for the node agent's container runtime.
PKGS="libsqlite3-dev containerd runc containernetworking-plugins"
if ! dpkg -s $PKGS >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $PKGS
fi
scripts/build-release.sh
install -m 0755 "$(swift build -c release --show-bin-path)/swiftlet" /usr/local/bin/swiftlet

mkdir -p "$DATA_DIR" /var/log
nohup /usr/local/bin/swiftlet server --data-dir "$DATA_DIR" --port "$PORT" \
  --write-kubeconfig "$KUBECONFIG_PATH" >/var/log/swiftlet.log 2>&1 &
echo $! > /run/swiftlet.pid
for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1; then
    echo "Swiftlet is ready (pid $(cat /run/swiftlet.pid), log /var/log/swiftlet.log)."
    echo "export KUBECONFIG=$KUBECONFIG_PATH"
    # The server's own node agent starts containerd and registers this machine as a node.
    for _ in $(seq 1 120); do
      if curl -fsS "http://127.0.0.1:$PORT/api/v1/nodes" 2>/dev/null | python3 -c '
import json, sys
nodes = json.load(sys.stdin)["items"]
sys.exit(0 if any(c["type"] == "Ready" and c["status"] == "True" for n in nodes for c in n["status"].get("conditions", [])) else 1)'; then
        echo "Node ready: $(curl -fsS "http://127.0.0.1:$PORT/api/v1/nodes" | python3 -c 'import json,sys; print(" ".join(n["metadata"]["name"] for n in json.load(sys.stdin)["items"]))')"
        exit 0
      fi
      sleep 0.5
    done
    echo "The control plane is up but no node became Ready in 60 s; see /var/log/swiftlet.log" >&2
    exit 0
  fi
  sleep 0.1
done
echo "Swiftlet did not become ready; see /var/log/swiftlet.log" >&2
exit 1
