"""`swiftlet sim-nodes`: simulated nodes register, heartbeat through Leases, run the pods bound to
them (Running with a pod IP from the node's podCIDR), complete run-to-completion pods, finish
graceful deletions, and stop renewing when killed. One server and one simulator (3 nodes) per module."""

import ipaddress
import json
import os
import signal
import subprocess
import time

import pytest
import yaml

from conftest import parse_table
from harness import Server, ok, require_binary, show, unique, wait_until


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    binary = require_binary()
    server = Server(tmp_path_factory.mktemp("simnodes"), name="simnodes")
    sim = None
    log = None
    try:
        server.start()
        log = open(server.workdir / "sim-nodes.log", "ab", buffering=0)
        sim = subprocess.Popen(
            [str(binary), "sim-nodes", "--kubeconfig", str(server.kubeconfig), "--count", "3"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=str(server.workdir),
        )
        yield server, sim
    finally:
        if sim is not None and sim.poll() is None:
            os.kill(sim.pid, signal.SIGKILL)
            sim.wait(timeout=10)
        if log is not None:
            log.close()
        server.stop()
        server.kill()


def _json(server, *args):
    return json.loads(ok(server.kubectl(*args, "-o", "json")).stdout)


def _renew_times(server):
    leases = _json(server, "get", "leases", "-n", "kube-node-lease")["items"]
    return {l["metadata"]["name"]: l["spec"].get("renewTime") for l in leases}


def _node_cidrs(server):
    return {n["metadata"]["name"]: n["spec"].get("podCIDR") for n in _json(server, "get", "nodes")["items"]}


def _namespace(server):
    name = unique("sim")
    ok(server.kubectl("create", "namespace", name))
    return name


def _pod(name, node="sim-1", restart="Always", annotations=None):
    meta = {"name": name}
    if annotations:
        meta["annotations"] = annotations
    return yaml.safe_dump({"apiVersion": "v1", "kind": "Pod", "metadata": meta,
                           "spec": {"nodeName": node, "restartPolicy": restart,
                                    "containers": [{"name": "app", "image": "nginx:1.27"}]}})


def _pod_row(server, ns, name):
    rows = parse_table(ok(server.kubectl("-n", ns, "get", "pod", name)).stdout)
    return rows[0] if rows else {}


def test_three_ready_nodes_with_distinct_pod_cidrs(cluster):
    server, sim = cluster

    def ready():
        rows = parse_table(server.kubectl("get", "nodes").stdout)
        return rows if len(rows) == 3 and all(r["STATUS"] == "Ready" for r in rows) else None

    rows = wait_until(ready, timeout=60, msg="3 Ready nodes")
    assert sorted(r["NAME"] for r in rows) == ["sim-1", "sim-2", "sim-3"]
    assert all(r["VERSION"] == "v1.32.0" for r in rows), rows
    cidrs = _node_cidrs(server)
    assert len(set(cidrs.values())) == 3, cidrs
    for cidr in cidrs.values():
        net = ipaddress.ip_network(cidr)
        assert net.prefixlen == 24 and net.subnet_of(ipaddress.ip_network("10.42.0.0/16")), cidrs
    wide = parse_table(ok(server.kubectl("get", "node", "sim-1", "-o", "wide")).stdout)[0]
    assert wide["INTERNAL-IP"] == "172.30.0.1" and wide["CONTAINER-RUNTIME"] == "sim://1.0", wide
    node = _json(server, "get", "node", "sim-2")
    assert node["metadata"]["labels"]["node.kubernetes.io/instance-type"] == "sim"
    assert node["status"]["allocatable"]["pods"] == "110"
    assert node["status"]["capacity"]["memory"] == "32Gi"
    assert node["spec"]["podCIDRs"] == [node["spec"]["podCIDR"]]


def test_leases_are_renewed(cluster):
    server, sim = cluster
    first = wait_until(lambda: (t := _renew_times(server)) and len(t) == 3 and t, timeout=30, msg="3 leases")
    lease = _json(server, "get", "lease", "-n", "kube-node-lease", "sim-1")
    assert lease["spec"]["holderIdentity"] == "sim-1" and lease["spec"]["leaseDurationSeconds"] == 40
    # Leases are renewed every 10 s.
    wait_until(lambda: all(_renew_times(server)[n] != first[n] for n in first), timeout=25, interval=1,
               msg="every renewTime to advance")


def test_bound_pod_runs_with_ip_from_its_node_cidr(cluster):
    server, sim = cluster
    ns = _namespace(server)
    ok(server.kubectl("-n", ns, "apply", "-f", "-", input=_pod("web")))
    wait_until(lambda: (r := _pod_row(server, ns, "web")) and r["STATUS"] == "Running" and r["READY"] == "1/1" and r,
               timeout=30, msg="web Running 1/1")
    pod = _json(server, "-n", ns, "get", "pod", "web")
    cidr = ipaddress.ip_network(_node_cidrs(server)["sim-1"])
    assert ipaddress.ip_address(pod["status"]["podIP"]) in cidr, (pod["status"], cidr)
    assert pod["status"]["podIPs"] == [{"ip": pod["status"]["podIP"]}]
    assert pod["status"]["hostIP"] == "172.30.0.1"
    container = pod["status"]["containerStatuses"][0]
    assert container["ready"] and container["started"] and container["restartCount"] == 0
    assert container["imageID"] == "sim://nginx:1.27"
    assert container["containerID"] == f"sim://{pod['metadata']['uid']}-app"
    assert "running" in container["state"]
    conditions = {c["type"]: c["status"] for c in pod["status"]["conditions"]}
    for t in ("PodScheduled", "Initialized", "ContainersReady", "Ready"):
        assert conditions.get(t) == "True", conditions
    # A second pod on the same node gets another address.
    ok(server.kubectl("-n", ns, "apply", "-f", "-", input=_pod("web2")))
    wait_until(lambda: _pod_row(server, ns, "web2").get("STATUS") == "Running", timeout=30, msg="web2 Running")
    other = _json(server, "-n", ns, "get", "pod", "web2")["status"]["podIP"]
    assert other != pod["status"]["podIP"] and ipaddress.ip_address(other) in cidr


def test_never_pod_completes_and_exit_code_fails(cluster):
    server, sim = cluster
    ns = _namespace(server)
    ok(server.kubectl("-n", ns, "apply", "-f", "-", input=_pod("once", node="sim-2", restart="Never")))
    ok(server.kubectl("-n", ns, "apply", "-f", "-",
                      input=_pod("bad", node="sim-3", restart="OnFailure", annotations={"sim.swiftlet.dev/exit-code": "3"})))
    wait_until(lambda: _pod_row(server, ns, "once").get("STATUS") == "Completed", timeout=30, msg="once Completed")
    assert _pod_row(server, ns, "once")["READY"] == "0/1"
    assert _json(server, "-n", ns, "get", "pod", "once")["status"]["phase"] == "Succeeded"
    wait_until(lambda: _pod_row(server, ns, "bad").get("STATUS") == "Error", timeout=30, msg="bad Error")
    bad = _json(server, "-n", ns, "get", "pod", "bad")
    assert bad["status"]["phase"] == "Failed"
    assert bad["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 3


def test_run_seconds_annotation_delays_completion(cluster):
    server, sim = cluster
    ns = _namespace(server)
    ok(server.kubectl("-n", ns, "apply", "-f", "-",
                      input=_pod("timed", node="sim-2", restart="Never", annotations={"sim.swiftlet.dev/run-seconds": "3"})))
    wait_until(lambda: _pod_row(server, ns, "timed").get("STATUS") == "Running", timeout=30, msg="timed Running")
    wait_until(lambda: _pod_row(server, ns, "timed").get("STATUS") == "Completed", timeout=15, msg="timed Completed")


def test_graceful_delete_of_running_pod_returns_promptly(cluster):
    server, sim = cluster
    ns = _namespace(server)
    ok(server.kubectl("-n", ns, "apply", "-f", "-", input=_pod("doomed", node="sim-3")))
    wait_until(lambda: _pod_row(server, ns, "doomed").get("STATUS") == "Running", timeout=30, msg="doomed Running")
    start = time.monotonic()
    cp = ok(server.kubectl("-n", ns, "delete", "pod", "doomed", timeout=25))
    elapsed = time.monotonic() - start
    assert 'pod "doomed" deleted' in cp.stdout, show(cp)
    assert elapsed < 10, f"delete took {elapsed:.1f}s (grace period 30 s not finished by the simulator)"
    cp = server.kubectl("-n", ns, "get", "pod", "doomed")
    assert cp.returncode != 0 and "NotFound" in cp.stderr, show(cp)


def test_killing_the_simulator_stops_lease_renewals(cluster):
    server, sim = cluster
    assert sim.poll() is None, "simulator exited early"
    sim.send_signal(signal.SIGTERM)
    assert sim.wait(timeout=10) is not None
    before = _renew_times(server)
    time.sleep(12)
    assert _renew_times(server) == before
    # The nodes stay registered.
    assert len(parse_table(ok(server.kubectl("get", "nodes")).stdout)) == 3


def test_cluster_cidr_flag(tmp_path):
    binary = require_binary()
    bad = subprocess.run([str(binary), "server", "--cluster-cidr", "10.0.0.0/25", "--data-dir", str(tmp_path / "bad")],
                         capture_output=True, text=True, timeout=30)
    assert bad.returncode != 0 and "--cluster-cidr must be an IPv4 CIDR" in bad.stderr, bad.stderr
    server = Server(tmp_path / "cidr", name="cidr", extra_args=["--cluster-cidr", "10.77.0.0/16"])
    try:
        server.start()
        node = yaml.safe_dump({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "plain"}})
        ok(server.kubectl("create", "-f", "-", input=node))
        own = yaml.safe_dump({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "own"}, "spec": {"podCIDR": "10.77.0.0/24"}})
        ok(server.kubectl("create", "-f", "-", input=own))
        ok(server.kubectl("create", "-f", "-", input=node.replace("plain", "plain2")))
        assert _node_cidrs(server) == {"plain": "10.77.0.0/24", "own": "10.77.0.0/24", "plain2": "10.77.1.0/24"}
    finally:
        server.stop()
        server.kill()
