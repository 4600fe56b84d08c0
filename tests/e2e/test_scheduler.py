"""The scheduler inside `swiftlet server`, seen through the real kubectl: pods are bound to Node objects,
an unschedulable pod stays Pending with kube-scheduler's FailedScheduling wording, taints and cordon
keep new pods off nodes.

The module runs its own server so that its Node objects do not reach the other modules' pods.
"""

import json

import pytest
import yaml

from conftest import parse_table
from harness import Server, ok, show, unique, wait_until

NODES = ["sched-a", "sched-b", "sched-c"]


def _node(name):
    resources = {"cpu": "2", "memory": "4Gi", "pods": "110"}
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
        "status": {
            "capacity": resources, "allocatable": resources,
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "simulated"}],
        },
    }


@pytest.fixture(scope="module")
def sched(swiftlet_bin, tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("sched"), name="sched")
    try:
        s.start()
    except AssertionError as e:
        s.kill()
        pytest.fail(str(e), pytrace=False)
    for name in NODES:
        ok(s.kubectl("create", "-f", "-", input=yaml.safe_dump(_node(name))))
    yield s
    s.stop()
    s.kill()


def _pod(name, node_selector=None):
    spec = {"containers": [{"name": "c", "image": "nginx", "resources": {"requests": {"cpu": "100m"}}}]}
    if node_selector:
        spec["nodeSelector"] = node_selector
    return yaml.safe_dump({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec})


def _pod_json(sched, name):
    return json.loads(ok(sched.kubectl("get", "pod", name, "-o", "json")).stdout)


def _node_of(sched, name):
    return _pod_json(sched, name)["spec"].get("nodeName", "")


def _wait_bound(sched, name, timeout=15):
    wait_until(lambda: _node_of(sched, name) != "", timeout=timeout, msg=f"pod {name} bound")
    return _node_of(sched, name)


def test_nodes_are_listed_ready(sched):
    rows = parse_table(ok(sched.kubectl("get", "nodes")).stdout)
    assert {r["NAME"]: r["STATUS"] for r in rows} == {n: "Ready" for n in NODES}


def test_pod_gets_a_node(sched):
    name = unique("run")
    ok(sched.kubectl("run", name, "--image=nginx", "--restart=Never"))
    node = _wait_bound(sched, name)
    assert node in NODES
    rows = parse_table(ok(sched.kubectl("get", "pods", "-o", "wide")).stdout)
    row = next(r for r in rows if r["NAME"] == name)
    assert row["NODE"] == node, rows
    pod = _pod_json(sched, name)
    scheduled = [c for c in pod["status"].get("conditions", []) if c["type"] == "PodScheduled"]
    assert scheduled and scheduled[0]["status"] == "True", pod["status"]
    events = json.loads(ok(sched.kubectl("get", "events", "--field-selector", f"involvedObject.name={name}", "-o", "json")).stdout)
    messages = [(e["reason"], e["message"], e["source"].get("component")) for e in events["items"]]
    assert ("Scheduled", f"Successfully assigned default/{name} to {node}", "default-scheduler") in messages, messages


def test_unschedulable_pod_stays_pending_with_the_reason(sched):
    name = unique("picky")
    ok(sched.kubectl("create", "-f", "-", input=_pod(name, {"disk": "none"})))
    message = ("0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. "
               "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.")

    def reported():
        cp = sched.kubectl("get", "events", "--field-selector", f"involvedObject.name={name}")
        return cp.returncode == 0 and "FailedScheduling" in cp.stdout and message in cp.stdout

    wait_until(reported, timeout=15, msg="FailedScheduling event")
    pod = _pod_json(sched, name)
    assert pod["status"]["phase"] == "Pending"
    assert not pod["spec"].get("nodeName")
    condition = next(c for c in pod["status"]["conditions"] if c["type"] == "PodScheduled")
    assert (condition["status"], condition["reason"], condition["message"]) == ("False", "Unschedulable", message)
    described = ok(sched.kubectl("describe", "pod", name)).stdout
    assert "FailedScheduling" in described and "default-scheduler" in described, described
    assert message in described, described
    rows = parse_table(ok(sched.kubectl("get", "pods", "-o", "wide")).stdout)
    row = next(r for r in rows if r["NAME"] == name)
    assert row["STATUS"] == "Pending" and row["NODE"] == "<none>", row
    ok(sched.kubectl("delete", "pod", name, "--wait=false"))


def _attempts(sched):
    """scheduler_schedule_attempts_total by result, from `kubectl get --raw /metrics`."""
    text = ok(sched.kubectl("get", "--raw", "/metrics")).stdout
    counts = {}
    for line in text.splitlines():
        if line.startswith("scheduler_schedule_attempts_total{"):
            labels, value = line.rsplit(" ", 1)
            assert 'profile="default-scheduler"' in labels, line
            result = labels.split('result="', 1)[1].split('"', 1)[0]
            counts[result] = int(float(value))
    return counts


def test_metrics_count_scheduling_attempts(sched):
    text = ok(sched.kubectl("get", "--raw", "/metrics")).stdout
    assert "# TYPE scheduler_schedule_attempts_total counter" in text, text
    before = _attempts(sched)
    assert set(before) == {"scheduled", "unschedulable", "error"}, before
    bound = unique("counted")
    ok(sched.kubectl("run", bound, "--image=nginx", "--restart=Never"))
    _wait_bound(sched, bound)
    wait_until(lambda: _attempts(sched)["scheduled"] >= before["scheduled"] + 1, timeout=10, msg="scheduled counted")
    picky = unique("uncounted")
    ok(sched.kubectl("create", "-f", "-", input=_pod(picky, {"disk": "none"})))
    wait_until(lambda: _attempts(sched)["unschedulable"] > before["unschedulable"], timeout=15, msg="unschedulable counted")
    ok(sched.kubectl("delete", "pod", bound, picky, "--wait=false"))


def test_noschedule_taint_keeps_new_pods_off(sched):
    ok(sched.kubectl("taint", "nodes", "sched-a", "sched-b", "dedicated=db:NoSchedule"))
    try:
        names = [unique("tol") for _ in range(4)]
        for name in names:
            ok(sched.kubectl("create", "-f", "-", input=_pod(name)))
        for name in names:
            assert _wait_bound(sched, name) == "sched-c", show(sched.kubectl("get", "pods", "-o", "wide"))
    finally:
        ok(sched.kubectl("taint", "nodes", "sched-a", "sched-b", "dedicated=db:NoSchedule-"))


def test_cordon_makes_a_node_unschedulable(sched):
    ok(sched.kubectl("cordon", "sched-a"))
    try:
        rows = parse_table(ok(sched.kubectl("get", "nodes")).stdout)
        assert next(r for r in rows if r["NAME"] == "sched-a")["STATUS"] == "Ready,SchedulingDisabled", rows
        names = [unique("cord") for _ in range(6)]
        for name in names:
            ok(sched.kubectl("create", "-f", "-", input=_pod(name)))
        placed = {name: _wait_bound(sched, name) for name in names}
        assert "sched-a" not in placed.values(), placed
    finally:
        ok(sched.kubectl("uncordon", "sched-a"))


def test_all_nodes_excluded_then_a_node_opens(sched):
    ok(sched.kubectl("taint", "nodes", "sched-a", "sched-b", "dedicated=db:NoSchedule"))
    ok(sched.kubectl("cordon", "sched-c"))
    try:
        name = unique("wait")
        ok(sched.kubectl("create", "-f", "-", input=_pod(name)))
        message = ("0/3 nodes are available: 1 node(s) were unschedulable, 2 node(s) had untolerated taint {dedicated: db}. "
                   "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.")

        def reported():
            pod = _pod_json(sched, name)
            return any(c["type"] == "PodScheduled" and c.get("message") == message for c in pod["status"].get("conditions", []))

        wait_until(reported, timeout=15, msg="PodScheduled=False with the taint and cordon reasons")
        ok(sched.kubectl("uncordon", "sched-c"))
        assert _wait_bound(sched, name) == "sched-c"
    finally:
        sched.kubectl("uncordon", "sched-c")
        ok(sched.kubectl("taint", "nodes", "sched-a", "sched-b", "dedicated=db:NoSchedule-"))


def test_disable_scheduler_leaves_pods_unbound(new_server):
    s = new_server("nosched", extra_args=["--disable-scheduler"])
    ok(s.kubectl("create", "-f", "-", input=yaml.safe_dump(_node("lonely"))))
    ok(s.kubectl("create", "-f", "-", input=_pod("idle")))
    # The scheduler binds within milliseconds when it runs (see the tests above).
    import time
    time.sleep(1.5)
    assert not _pod_json(s, "idle")["spec"].get("nodeName")
    events = json.loads(ok(s.kubectl("get", "events", "-o", "json")).stdout)["items"]
    assert [e for e in events if e["reason"] in ("Scheduled", "FailedScheduling")] == []
