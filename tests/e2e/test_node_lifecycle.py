"""Node lifecycle with the real kubectl on a server (node-monitor grace period 5 s) with 3 simulated
nodes: a NoSchedule taint keeps new pods off a node; killing a simulator marks its node NotReady
(Ready Unknown) with the unreachable taints; a pod tolerating unreachable for 2 s is evicted; the
taints go when the node comes back; new pods get the default 300 s tolerations."""

import time

import pytest

from conftest import parse_table
from harness import ok, show, unique, wait_until
from nodes_cluster import kjson, nodes_cluster, pod_yaml, start_sim, stop_sim

UNREACHABLE = "node.kubernetes.io/unreachable"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with nodes_cluster(tmp_path_factory, "nodelifecycle") as (server, sims):
        wait_until(lambda: len([r for r in parse_table(server.kubectl("get", "nodes").stdout) if r["STATUS"] == "Ready"]) == 3,
                   timeout=60, msg="3 Ready nodes")
        yield server, sims


def _namespace(server):
    name = unique("nl")
    ok(server.kubectl("create", "namespace", name))
    return name


def _node_row(server, name):
    rows = [r for r in parse_table(server.kubectl("get", "nodes").stdout) if r["NAME"] == name]
    return rows[0] if rows else {}


def _taints(server, node):
    taints = kjson(server, "get", "node", node)["spec"].get("taints") or []
    return sorted(f"{t['key']}:{t['effect']}" for t in taints)


def test_healthy_nodes_stay_ready_past_the_grace_period(cluster):
    server, _ = cluster
    time.sleep(7)
    rows = parse_table(ok(server.kubectl("get", "nodes")).stdout)
    assert [r["STATUS"] for r in rows] == ["Ready"] * 3, rows
    assert all(_taints(server, r["NAME"]) == [] for r in rows)


def test_pods_get_default_toleration_seconds(cluster):
    server, _ = cluster
    ns = _namespace(server)
    ok(server.kubectl("-n", ns, "apply", "-f", "-", input=pod_yaml("plain")))
    tolerations = kjson(server, "-n", ns, "get", "pod", "plain")["spec"]["tolerations"]
    assert tolerations == [
        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
        {"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
    ]


def test_noschedule_taint_keeps_new_pods_off_a_node(cluster):
    server, _ = cluster
    ns = _namespace(server)
    ok(server.kubectl("taint", "nodes", "sim-1", "dedicated=infra:NoSchedule"))
    try:
        assert _taints(server, "sim-1") == ["dedicated:NoSchedule"]
        for i in range(6):
            ok(server.kubectl("-n", ns, "apply", "-f", "-", input=pod_yaml(f"p{i}")))

        def placed():
            pods = kjson(server, "-n", ns, "get", "pods")["items"]
            nodes = [p["spec"].get("nodeName") for p in pods]
            return nodes if len(nodes) == 6 and all(nodes) else None

        nodes = wait_until(placed, timeout=30, msg="6 pods scheduled")
        assert "sim-1" not in nodes, nodes
        assert set(nodes) == {"sim-2", "sim-3"}, nodes
        # A pod tolerating the taint may go there.
        tolerating = pod_yaml("tolerant", node=None, tolerations=[{"key": "dedicated", "operator": "Equal", "value": "infra",
                                                                   "effect": "NoSchedule"}])
        ok(server.kubectl("-n", ns, "apply", "-f", "-", input=tolerating))
        wait_until(lambda: kjson(server, "-n", ns, "get", "pod", "tolerant")["spec"].get("nodeName"), timeout=30, msg="tolerant scheduled")
    finally:
        ok(server.kubectl("taint", "nodes", "sim-1", "dedicated-"))
    assert _taints(server, "sim-1") == []


def test_noexecute_taint_evicts_pods_by_their_tolerations(cluster):
    server, _ = cluster
    ns = _namespace(server)
    timed = [{"key": "maintenance", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 2}]
    forever = [{"key": "maintenance", "operator": "Exists", "effect": "NoExecute"}]
    for name, tolerations in (("plain", None), ("timed", timed), ("forever", forever)):
        ok(server.kubectl("-n", ns, "apply", "-f", "-", input=pod_yaml(name, node="sim-2", tolerations=tolerations)))
        wait_until(lambda: kjson(server, "-n", ns, "get", "pod", name)["status"].get("phase") == "Running", timeout=30,
                   msg=f"{name} Running")

    def gone(name):
        return server.kubectl("-n", ns, "get", "pod", name).returncode != 0

    ok(server.kubectl("taint", "nodes", "sim-2", "maintenance=now:NoExecute"))
    try:
        tainted = time.monotonic()
        wait_until(lambda: gone("plain"), timeout=15, msg="plain evicted")
        assert not gone("timed"), "the 2 s toleration was not honoured"
        wait_until(lambda: gone("timed"), timeout=15, msg="timed evicted")
        assert time.monotonic() - tainted >= 1.5
        time.sleep(1)
        assert not gone("forever")
        events = kjson(server, "-n", ns, "get", "events")["items"]
        assert any(e["reason"] == "TaintManagerEviction" and e["message"] == f"Marking for deletion Pod {ns}/plain"
                   for e in events), events
    finally:
        ok(server.kubectl("taint", "nodes", "sim-2", "maintenance-"))


def test_killed_simulator_marks_its_node_not_ready_and_evicts_pods(cluster):
    server, sims = cluster
    doomed = start_sim(server, 1, prefix="doomed-")
    sims.append(doomed)
    wait_until(lambda: _node_row(server, "doomed-1").get("STATUS") == "Ready", timeout=60, msg="doomed-1 Ready")
    ns = _namespace(server)
    short = [{"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 2}]
    ok(server.kubectl("-n", ns, "apply", "-f", "-", input=pod_yaml("short", node="doomed-1", tolerations=short)))
    ok(server.kubectl("-n", ns, "apply", "-f", "-", input=pod_yaml("patient", node="doomed-1")))
    for name in ("short", "patient"):
        wait_until(lambda: kjson(server, "-n", ns, "get", "pod", name)["status"].get("phase") == "Running", timeout=30,
                   msg=f"{name} Running")

    stop_sim(doomed)  # SIGKILL
    killed = time.monotonic()
    wait_until(lambda: _node_row(server, "doomed-1").get("STATUS") == "NotReady", timeout=30, msg="doomed-1 NotReady")
    assert time.monotonic() - killed >= 3, "marked NotReady before the grace period"
    wait_until(lambda: _taints(server, "doomed-1") == [f"{UNREACHABLE}:NoExecute", f"{UNREACHABLE}:NoSchedule"], timeout=15,
               msg="unreachable taints")
    node = kjson(server, "get", "node", "doomed-1")
    conditions = {c["type"]: c for c in node["status"]["conditions"]}
    assert conditions["Ready"]["status"] == "Unknown"
    assert conditions["Ready"]["reason"] == "NodeStatusUnknown"
    assert conditions["Ready"]["message"] == "Kubelet stopped posting node status."
    assert conditions["MemoryPressure"]["status"] == "Unknown"
    described = ok(server.kubectl("describe", "node", "doomed-1")).stdout
    assert f"{UNREACHABLE}:NoExecute" in described, described
    assert "Kubelet stopped posting node status." in described
    wait_until(lambda: "Node doomed-1 status is now: NodeNotReady" in ok(server.kubectl("describe", "node", "doomed-1")).stdout,
               timeout=10, msg="NodeNotReady event in describe")
    assert "Registered Node doomed-1 in Controller" in ok(server.kubectl("describe", "node", "doomed-1")).stdout

    # The 2 s toleration runs out: the pod is deleted; the one with the default 300 s stays.
    wait_until(lambda: kjson(server, "-n", ns, "get", "pod", "short")["metadata"].get("deletionTimestamp")
               if server.kubectl("-n", ns, "get", "pod", "short").returncode == 0 else True,
               timeout=20, msg="short deleted")
    patient = kjson(server, "-n", ns, "get", "pod", "patient")
    assert "deletionTimestamp" not in patient["metadata"]
    ready = [c for c in patient["status"]["conditions"] if c["type"] == "Ready"][0]
    assert ready["status"] == "False", patient["status"]
    events = kjson(server, "-n", ns, "get", "events")["items"]
    assert any(e["reason"] == "TaintManagerEviction" and e["message"] == f"Marking for deletion Pod {ns}/short" for e in events), events
    node_events = kjson(server, "-n", "default", "get", "events", "--field-selector", "involvedObject.name=doomed-1")["items"]
    assert any(e["reason"] == "NodeNotReady" and e["message"] == "Node doomed-1 status is now: NodeNotReady" for e in node_events)

    # A new pod stays off the unreachable node.
    ok(server.kubectl("-n", ns, "apply", "-f", "-", input=pod_yaml("fresh")))
    node_name = wait_until(lambda: kjson(server, "-n", ns, "get", "pod", "fresh")["spec"].get("nodeName"), timeout=30, msg="fresh scheduled")
    assert node_name != "doomed-1"

    # The simulator comes back: Ready again, taints removed.
    sims.append(start_sim(server, 1, prefix="doomed-"))
    wait_until(lambda: _node_row(server, "doomed-1").get("STATUS") == "Ready", timeout=30, msg="doomed-1 Ready again")
    wait_until(lambda: _taints(server, "doomed-1") == [], timeout=15, msg="taints removed")
