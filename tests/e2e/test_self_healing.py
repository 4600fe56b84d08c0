"""Self-healing across nodes: a Deployment's pods on a simulator that dies are evicted after their
short unreachable tolerationSeconds and recreated by the ReplicaSet on the nodes that remain.
(The node lifecycle controller, the ReplicaSet controller and the scheduler together.)"""

import json
import os
import signal
import subprocess
import time

import pytest
import yaml

from harness import Server, ok, require_binary, unique, wait_until


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    binary = require_binary()
    server = Server(tmp_path_factory.mktemp("selfheal"), name="selfheal",
                    extra_args=["--node-monitor-grace-period-seconds", "4"])
    procs = {}
    logs = []
    try:
        server.start()
        for prefix, count in (("keep-", 2), ("doomed-", 1)):
            log = open(server.workdir / f"sim-{prefix}log", "ab", buffering=0)
            logs.append(log)
            procs[prefix] = subprocess.Popen(
                [str(binary), "sim-nodes", "--kubeconfig", str(server.kubeconfig), "--count", str(count),
                 "--prefix", prefix],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=str(server.workdir))
        yield server, procs
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        for log in logs:
            log.close()
        server.stop()
        server.kill()


def _json(server, *args):
    return json.loads(ok(server.kubectl(*args, "-o", "json")).stdout)


def _ready_nodes(server):
    nodes = _json(server, "get", "nodes")["items"]
    return sorted(n["metadata"]["name"] for n in nodes
                  if any(c["type"] == "Ready" and c["status"] == "True" for c in n["status"].get("conditions", [])))


def test_pods_of_a_dead_node_are_recreated_elsewhere(cluster):
    server, procs = cluster
    assert wait_until(lambda: len(_ready_nodes(server)) == 3, timeout=30), _ready_nodes(server)
    ns = unique("heal")
    ok(server.kubectl("create", "namespace", ns))
    # Only the doomed node is schedulable while the Deployment starts.
    keep = [n for n in _ready_nodes(server) if n.startswith("keep-")]
    doomed = next(n for n in _ready_nodes(server) if n.startswith("doomed-"))
    assert len(keep) == 2, keep
    for node in keep:
        ok(server.kubectl("cordon", node))
    manifest = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": ns},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [{"name": "web", "image": "nginx:1.14.2"}],
                    "tolerations": [
                        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
                         "tolerationSeconds": 2},
                        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
                         "tolerationSeconds": 2},
                    ],
                },
            },
        },
    }
    ok(server.kubectl("apply", "-f", "-", input=yaml.safe_dump(manifest)))
    ok(server.kubectl("rollout", "status", "deployment/web", "-n", ns, "--timeout=60s"))
    pods = _json(server, "get", "pods", "-n", ns)["items"]
    assert {p["spec"]["nodeName"] for p in pods} == {doomed}
    first_uids = {p["metadata"]["uid"] for p in pods}
    for node in keep:
        ok(server.kubectl("uncordon", node))

    os.kill(procs["doomed-"].pid, signal.SIGKILL)
    procs["doomed-"].wait(timeout=10)

    def node_unreachable():
        node = _json(server, "get", "node", doomed)
        ready = next(c for c in node["status"]["conditions"] if c["type"] == "Ready")
        taints = {(t["key"], t["effect"]) for t in node["spec"].get("taints", [])}
        return ready["status"] == "Unknown" and ("node.kubernetes.io/unreachable", "NoExecute") in taints
    assert wait_until(node_unreachable, timeout=40), _json(server, "get", "node", doomed)
    nodes = ok(server.kubectl("get", "nodes")).stdout
    assert any(line.split()[0] == doomed and line.split()[1] == "NotReady" for line in nodes.splitlines()[1:]), nodes

    def recreated():
        pods = _json(server, "get", "pods", "-n", ns)["items"]
        live = [p for p in pods if "deletionTimestamp" not in p["metadata"]]
        return (len(live) == 2 and not ({p["metadata"]["uid"] for p in live} & first_uids)
                and all(p["spec"].get("nodeName", "").startswith("keep-") and p["status"].get("phase") == "Running"
                        for p in live))
    assert wait_until(recreated, timeout=60), ok(server.kubectl("get", "pods", "-n", ns, "-o", "wide")).stdout
    events = ok(server.kubectl("get", "events", "-n", ns)).stdout
    assert "TaintManagerEviction" in events, events
