"""A server with a short node-monitor grace period and simulated nodes, for the node lifecycle,
endpoints and disruption e2e tests (the `cluster` fixture of test_sim_nodes.py, with fast heartbeats)."""

import json
import os
import signal
import subprocess
from contextlib import contextmanager

import yaml

from harness import Server, ok, require_binary

GRACE_SECONDS = 5


def start_sim(server, count, prefix="sim-"):
    log = open(server.workdir / f"sim-nodes-{prefix}.log", "ab", buffering=0)
    proc = subprocess.Popen(
        [str(require_binary()), "sim-nodes", "--kubeconfig", str(server.kubeconfig), "--count", str(count),
         "--prefix", prefix, "--lease-interval-seconds", "1"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=str(server.workdir),
    )
    proc.log = log
    return proc


def stop_sim(proc):
    if proc is not None and proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    if proc is not None:
        proc.log.close()


@contextmanager
def nodes_cluster(tmp_path_factory, name, count=3):
    server = Server(tmp_path_factory.mktemp(name), name=name,
                    extra_args=["--node-monitor-grace-period-seconds", str(GRACE_SECONDS)])
    sims = []
    try:
        server.start()
        sims.append(start_sim(server, count))
        yield server, sims
    finally:
        for proc in sims:
            stop_sim(proc)
        server.stop()
        server.kill()


def kjson(server, *args):
    return json.loads(ok(server.kubectl(*args, "-o", "json")).stdout)


def pod_yaml(name, labels=None, node=None, tolerations=None, ports=None):
    spec = {"containers": [{"name": "app", "image": "nginx:1.27"}]}
    if ports:
        spec["containers"][0]["ports"] = ports
    if node:
        spec["nodeName"] = node
    if tolerations is not None:
        spec["tolerations"] = tolerations
    meta = {"name": name}
    if labels:
        meta["labels"] = labels
    return yaml.safe_dump({"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec})
