#!/usr/bin/env bash
# Regenerates tools/link-order/agent-idle.order: the functions a node agent runs while it sits idle, listed so
# the release link (scripts/build-release.sh) places them next to each other and an idle agent keeps a few
# megabytes of code resident instead of tens (the kernel maps 64 KB around every code page fault).
#
# As root, on a quiet machine (it uses the test registry on 127.0.0.1:5000 and a bridge swlprof0):
#   scripts/build-release.sh && tools/link-order/profile.sh && scripts/build-release.sh
# It runs a release `swiftlet server` and a `swiftlet agent` under valgrind's callgrind (apt install valgrind),
# records every function the agent runs in two idle windows — a fresh node, then a node with three pods
# (one with a ConfigMap volume, environment from it and an exec readiness probe) — and writes them, the
# fresh node's first. Takes about 8 minutes.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${SWIFTLET_BIN:-$ROOT/.build/release/swiftlet}
IDLE=${IDLE_SECONDS:-75}
OUT=$ROOT/tools/link-order/agent-idle.order
WORK=$(mktemp -d /tmp/swiftlet-link-order.XXXXXX)
export SWIFTLET_TEST_IMAGES_DIR=$WORK/images KUBECONFIG=$WORK/server/kubeconfig.yaml
command -v valgrind >/dev/null || apt-get install -y valgrind >/dev/null
SERVER= AGENT=
cleanup() {
  [ -n "$AGENT" ] && kill "$AGENT" 2>/dev/null && wait "$AGENT" 2>/dev/null
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
  umount -R "$WORK/agent" 2>/dev/null || true
  ip link del swlprof0 2>/dev/null || true
  bash "$ROOT/tools/build-test-images.sh" down >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
wait_for() { for _ in $(seq 600); do eval "$1" >/dev/null 2>&1 && return 0; sleep 1; done; echo "timed out: $1" >&2; exit 1; }

bash "$ROOT/tools/build-test-images.sh" up >/dev/null
printf 'mirrors:\n  docker.io:\n    endpoint: ["http://127.0.0.1:5000"]\n' >"$WORK/registries.yaml"
# valgrind 3.19 cannot read the DWARF 5 debug information of the toolchain's clang: profile a copy without it
# (the symbol table, which is all that is needed, stays).
/opt/swift/usr/bin/llvm-objcopy --strip-debug "$BIN" "$WORK/swiftlet" 2>/dev/null || objcopy --strip-debug "$BIN" "$WORK/swiftlet"
"$WORK/swiftlet" server --data-dir "$WORK/server" --port 17443 --write-kubeconfig "$KUBECONFIG" --disable-agent \
  --log-level warning >"$WORK/server.log" 2>&1 &
SERVER=$!
wait_for "test -f $KUBECONFIG"
valgrind --tool=callgrind --demangle=no --callgrind-out-file="$WORK/callgrind.out" "$WORK/swiftlet" agent \
  --node-name prof-node --node-ip 127.0.0.1 --kubeconfig "$KUBECONFIG" --data-dir "$WORK/agent" --run-dir "$WORK/run" \
  --pause-image 127.0.0.1:5000/pause:3.9 --bridge swlprof0 --pod-log-dir "$WORK/agent/logs" --log-level notice \
  --kubelet-port 0 --registries "$WORK/registries.yaml" >"$WORK/agent.log" 2>&1 &
AGENT=$!
wait_for "kubectl wait --for=condition=Ready node/prof-node --timeout=1s"
sleep 20
profile() { callgrind_control -z "$AGENT" >/dev/null 2>&1; sleep "$IDLE"; callgrind_control -d "$AGENT" >/dev/null 2>&1; sleep 2; }
profile   # callgrind.out.1: the fresh node
kubectl create configmap cfg --from-literal=a=1 >/dev/null
kubectl run sleep1 --image=busybox:1.36 -- sleep 3600 >/dev/null
kubectl run sleep2 --image=busybox:1.36 -- sleep 3600 >/dev/null
kubectl apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: probed}
spec:
  containers:
  - name: c
    image: busybox:1.36
    command: [sleep, "3600"]
    env: [{name: A, valueFrom: {configMapKeyRef: {name: cfg, key: a}}}]
    volumeMounts: [{name: v, mountPath: /cfg}]
    readinessProbe: {exec: {command: ["true"]}, periodSeconds: 10}
    resources: {limits: {memory: 64Mi, cpu: 100m}}
  volumes: [{name: v, configMap: {name: cfg}}]
YAML
wait_for "kubectl wait --for=condition=Ready pod --all --timeout=1s"
sleep 20
profile   # callgrind.out.2: three pods
kubectl delete pod --all --wait=true >/dev/null

nm --defined-only "$WORK/swiftlet" >"$WORK/symbols"
python3 - "$WORK" "$OUT" <<'PY'
import collections, re, sys
work, out = sys.argv[1], sys.argv[2]
# Names defined once: a local helper's name (outlined copies, destroy thunks) recurs in many objects, and
# ordering it would pull each of those objects' whole code section (prebuilt libraries are not split into
# one section per function) into the idle region.
counts = collections.Counter(line.split(maxsplit=2)[2].strip() for line in open(f"{work}/symbols") if len(line.split()) == 3)
def functions(path):
    objects, names, current, ran = {}, {}, None, collections.OrderedDict()
    def name(table, text):
        m = re.match(r"\((\d+)\)(?: (.*))?$", text)
        if not m: return text
        if m.group(2): table[m.group(1)] = m.group(2)
        return table.get(m.group(1))
    for line in open(path, errors="replace"):
        if line.startswith("ob="): current = name(objects, line[3:].rstrip("\n"))
        elif line.startswith("cob="): name(objects, line[4:].rstrip("\n"))
        elif line.startswith("cfn="): name(names, line[4:].rstrip("\n"))
        elif line.startswith("fn="):
            function = name(names, line[3:].rstrip("\n"))
            if current and current.endswith("/swiftlet") and function:
                ran[re.sub(r"'\d+$", "", function)] = True
    return [f for f in ran if counts[f] == 1]
order = list(dict.fromkeys(functions(f"{work}/callgrind.out.1") + functions(f"{work}/callgrind.out.2")))
with open(out, "w") as f:
    f.write("\n".join(order) + "\n")
print(f"{out}: {len(order)} functions")
PY
