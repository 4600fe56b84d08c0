"""A server with a short node-monitor grace period and simulated nodes, for the node lifecycle,
endpoints and disruption e2e tests (the `cluster` fixture of test_sim_nodes.py, with fast heartbeats)."""

import json
from contextlib import contextmanager

import yaml

from harness import Server, ok, stop_sim  # noqa: F401 (stop_sim is re-exported)
from harness import start_sim as harness_start_sim

GRACE_SECONDS = 5


def start_sim(server, count, prefix="sim-"):
    """A simulator with 1-second Lease heartbeats (the grace period here is short)."""
    return harness_start_sim(server, count, prefix=prefix, extra_args=["--lease-interval-seconds", "1"])


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
