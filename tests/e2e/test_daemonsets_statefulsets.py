"""DaemonSet and StatefulSet controllers with the real kubectl, on a server with 3 simulated nodes
(`swiftlet sim-nodes --count 3`): one daemon pod per eligible node following nodes as they come and
go, taints the daemon does not tolerate, rolling updates and history; StatefulSet ordinals created in
order with their claims, scaled down from the highest, rolled out by ordinal with a partition."""

import json
import os
import signal
import subprocess
import time

import pytest
import yaml

from conftest import parse_table
from harness import ok, require_binary, show, unique, wait_until, sim_cluster


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with sim_cluster(tmp_path_factory, "dssts") as server:
        yield server


def _json(server, *args):
    return json.loads(ok(server.kubectl(*args, "-o", "json")).stdout)


def _namespace(server):
    name = unique("dssts")
    ok(server.kubectl("create", "namespace", name))
    return name


def _apply(server, ns, obj):
    ok(server.kubectl("-n", ns, "apply", "-f", "-", input=yaml.safe_dump(obj)))


def _daemonset(name, image="nginx:1.27", tolerations=None):
    spec = {"containers": [{"name": "app", "image": image}]}
    if tolerations:
        spec["tolerations"] = tolerations
    return {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": name},
            "spec": {"selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": spec}}}


def _pods(server, ns, app):
    return [p for p in _json(server, "-n", ns, "get", "pods", "-l", f"app={app}")["items"]
            if not p["metadata"].get("deletionTimestamp")]


def _running_by_node(server, ns, app):
    """node -> pod names of the app's Running and Ready pods (None if any pod is not yet so)."""
    out = {}
    for p in _pods(server, ns, app):
        node = p["spec"].get("nodeName")
        ready = any(c["type"] == "Ready" and c["status"] == "True" for c in p.get("status", {}).get("conditions", []))
        if not node or p.get("status", {}).get("phase") != "Running" or not ready:
            return None
        out.setdefault(node, []).append(p["metadata"]["name"])
    return out


def _node_names(server):
    return sorted(n["metadata"]["name"] for n in _json(server, "get", "nodes")["items"])


# ----------------------------------------------------------------------------- DaemonSet

def test_daemonset_skips_a_node_with_an_untolerated_taint(cluster):
    server = cluster
    ns = _namespace(server)
    ok(server.kubectl("taint", "nodes", "sim-3", "dedicated=db:NoSchedule"))
    try:
        _apply(server, ns, _daemonset("picky"))
        _apply(server, ns, _daemonset("tolerant", tolerations=[{"key": "dedicated", "operator": "Equal", "value": "db",
                                                                 "effect": "NoSchedule"}]))
        wait_until(lambda: (m := _running_by_node(server, ns, "picky")) is not None and sorted(m) == ["sim-1", "sim-2"],
                   timeout=60, msg="picky on sim-1 and sim-2")
        wait_until(lambda: (m := _running_by_node(server, ns, "tolerant")) is not None
                   and sorted(m) == ["sim-1", "sim-2", "sim-3"], timeout=60, msg="tolerant on every node")
        time.sleep(1)
        assert sorted(_running_by_node(server, ns, "picky")) == ["sim-1", "sim-2"]
        status = _json(server, "-n", ns, "get", "ds", "picky")["status"]
        assert status["desiredNumberScheduled"] == 2 and status["currentNumberScheduled"] == 2, status
        assert status["numberMisscheduled"] == 0, status
        row = parse_table(ok(server.kubectl("-n", ns, "get", "ds", "picky")).stdout)[0]
        assert (row["DESIRED"], row["CURRENT"]) == ("2", "2"), row
    finally:
        ok(server.kubectl("taint", "nodes", "sim-3", "dedicated=db:NoSchedule-"))
    # Without the taint, sim-3 gets its daemon pod.
    wait_until(lambda: (m := _running_by_node(server, ns, "picky")) is not None
               and sorted(m) == ["sim-1", "sim-2", "sim-3"], timeout=60, msg="picky on sim-3 once untainted")


def test_daemonset_one_pod_per_node_follows_new_node_and_rolls_out(cluster):
    server = cluster
    ns = _namespace(server)
    _apply(server, ns, _daemonset("agent"))
    cp = ok(server.kubectl("-n", ns, "rollout", "status", "ds/agent", "--timeout=90s", timeout=100))
    assert 'daemon set "agent" successfully rolled out' in cp.stdout, show(cp)
    by_node = _running_by_node(server, ns, "agent")
    assert sorted(by_node) == ["sim-1", "sim-2", "sim-3"] and all(len(v) == 1 for v in by_node.values()), by_node
    pod = _pods(server, ns, "agent")[0]
    terms = pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert terms == [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": [pod["spec"]["nodeName"]]}]}]
    assert pod["metadata"]["labels"]["controller-revision-hash"]
    events = ok(server.kubectl("-n", ns, "get", "events", "--field-selector", "involvedObject.name=agent")).stdout
    assert "SuccessfulCreate" in events and "Created pod: agent-" in events, events
    describe = ok(server.kubectl("-n", ns, "describe", "ds", "agent")).stdout
    assert "daemonset-controller" in describe, describe

    # A new node gets its daemon pod.
    binary = require_binary()
    log = open(server.workdir / "sim-extra.log", "ab", buffering=0)
    extra = subprocess.Popen(
        [str(binary), "sim-nodes", "--kubeconfig", str(server.kubeconfig), "--count", "1", "--prefix", "extra-"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=str(server.workdir),
    )
    try:
        wait_until(lambda: (m := _running_by_node(server, ns, "agent")) is not None
                   and sorted(m) == ["extra-1", "sim-1", "sim-2", "sim-3"] and all(len(v) == 1 for v in m.values()),
                   timeout=60, msg="a daemon pod on extra-1")
        wait_until(lambda: _json(server, "-n", ns, "get", "ds", "agent")["status"].get("numberAvailable") == 4,
                   timeout=30, msg="4 available")
    finally:
        os.kill(extra.pid, signal.SIGKILL)
        extra.wait(timeout=10)
        log.close()
    # A removed node loses it.
    ok(server.kubectl("delete", "node", "extra-1"))
    wait_until(lambda: sorted(p["spec"].get("nodeName", "") for p in _pods(server, ns, "agent")) == ["sim-1", "sim-2", "sim-3"],
               timeout=60, msg="the daemon pod of extra-1 gone")

    # Rolling update: a new revision, one node at a time, then history lists both.
    ok(server.kubectl("-n", ns, "set", "image", "ds/agent", "app=nginx:1.28"))
    cp = ok(server.kubectl("-n", ns, "rollout", "status", "ds/agent", "--timeout=120s", timeout=130))
    assert 'daemon set "agent" successfully rolled out' in cp.stdout, show(cp)
    images = {p["spec"]["nodeName"]: p["spec"]["containers"][0]["image"] for p in _pods(server, ns, "agent")}
    assert images == {"sim-1": "nginx:1.28", "sim-2": "nginx:1.28", "sim-3": "nginx:1.28"}, images
    history = ok(server.kubectl("-n", ns, "rollout", "history", "ds/agent")).stdout
    rows = [line.split()[0] for line in history.splitlines()[2:] if line.strip()]
    assert rows == ["1", "2"], history
    detail = ok(server.kubectl("-n", ns, "rollout", "history", "ds/agent", "--revision=2")).stdout
    assert "nginx:1.28" in detail, detail
    status = _json(server, "-n", ns, "get", "ds", "agent")["status"]
    assert status["updatedNumberScheduled"] == 3 and status["numberReady"] == 3 and status["observedGeneration"] == 2, status

    # Undo: revision 1's template comes back as revision 3.
    ok(server.kubectl("-n", ns, "rollout", "undo", "ds/agent"))
    ok(server.kubectl("-n", ns, "rollout", "status", "ds/agent", "--timeout=120s", timeout=130))
    wait_until(lambda: sorted(p["spec"]["containers"][0]["image"] for p in _pods(server, ns, "agent")) == ["nginx:1.27"] * 3,
               timeout=60, msg="every daemon pod back on nginx:1.27")
    history = ok(server.kubectl("-n", ns, "rollout", "history", "ds/agent")).stdout
    rows = [line.split()[0] for line in history.splitlines()[2:] if line.strip()]
    assert rows == ["2", "3"], history


# ----------------------------------------------------------------------------- StatefulSet

def _statefulset(replicas=3, image="nginx:1.27", partition=None):
    spec = {"replicas": replicas, "serviceName": "nginx",
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                         "spec": {"containers": [{"name": "app", "image": image,
                                                  "volumeMounts": [{"name": "www", "mountPath": "/usr/share/nginx/html"}]}]}},
            "volumeClaimTemplates": [{"metadata": {"name": "www"},
                                      "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}
    if partition is not None:
        spec["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"partition": partition}}
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "web"}, "spec": spec}


def _service():
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "nginx"},
            "spec": {"clusterIP": "None", "selector": {"app": "web"}, "ports": [{"port": 80, "name": "web"}]}}


def _ready_time(pod):
    for c in pod.get("status", {}).get("conditions", []):
        if c["type"] == "Ready" and c["status"] == "True":
            return c["lastTransitionTime"]
    return None


def _web_pods(server, ns):
    return {p["metadata"]["name"]: p for p in _json(server, "-n", ns, "get", "pods", "-l", "app=web")["items"]}


def test_statefulset_ordered_creation_claims_and_scale_down(cluster):
    server = cluster
    ns = _namespace(server)
    _apply(server, ns, _service())
    _apply(server, ns, _statefulset())
    # Ordered: while web-0 is not Ready, there is no web-1.
    seen = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        pods = _web_pods(server, ns)
        for name in sorted(pods):
            if name not in seen:
                seen.append(name)
        if "web-1" in pods:
            assert _ready_time(pods.get("web-0", {})) or "web-0" not in pods, "web-1 exists while web-0 is not Ready"
        if len(pods) == 3 and all(_ready_time(p) for p in pods.values()):
            break
        time.sleep(0.1)
    assert seen == ["web-0", "web-1", "web-2"], seen
    cp = ok(server.kubectl("-n", ns, "rollout", "status", "sts/web", "--timeout=60s", timeout=70))
    # The server defaults rollingUpdate.partition to 0, so kubectl reports a (complete) partitioned roll out.
    assert "partitioned roll out complete: 3 new pods have been updated..." in cp.stdout, show(cp)

    pods = _web_pods(server, ns)
    for prev, nxt in (("web-0", "web-1"), ("web-1", "web-2")):
        assert pods[nxt]["metadata"]["creationTimestamp"] >= _ready_time(pods[prev]), (prev, nxt)
        assert pods[nxt]["metadata"]["creationTimestamp"] >= pods[prev]["metadata"]["creationTimestamp"]
    web1 = pods["web-1"]
    assert web1["spec"]["hostname"] == "web-1" and web1["spec"]["subdomain"] == "nginx"
    assert web1["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"] == "web-1"
    assert web1["metadata"]["labels"]["apps.kubernetes.io/pod-index"] == "1"
    assert {"name": "www", "persistentVolumeClaim": {"claimName": "www-web-1"}} in web1["spec"]["volumes"]
    claims = sorted(c["metadata"]["name"] for c in _json(server, "-n", ns, "get", "pvc")["items"])
    assert claims == ["www-web-0", "www-web-1", "www-web-2"], claims
    row = parse_table(ok(server.kubectl("-n", ns, "get", "sts", "web")).stdout)[0]
    assert row["READY"] == "3/3", row
    events = ok(server.kubectl("-n", ns, "get", "events", "--field-selector", "involvedObject.name=web")).stdout
    assert "create Pod web-0 in StatefulSet web successful" in events, events
    assert "create Claim www-web-0 Pod web-0 in StatefulSet web success" in events, events

    # Scale down: web-2 goes first, then web-1; the claims stay.
    ok(server.kubectl("-n", ns, "scale", "sts/web", "--replicas=1"))
    gone = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(gone) < 2:
        live = {n for n, p in _web_pods(server, ns).items() if not p["metadata"].get("deletionTimestamp")}
        for name in ("web-2", "web-1"):
            if name not in live and name not in gone:
                gone.append(name)
        time.sleep(0.05)
    assert gone == ["web-2", "web-1"], gone
    wait_until(lambda: sorted(_web_pods(server, ns)) == ["web-0"], timeout=30, msg="only web-0 left")
    claims = sorted(c["metadata"]["name"] for c in _json(server, "-n", ns, "get", "pvc")["items"])
    assert claims == ["www-web-0", "www-web-1", "www-web-2"], claims
    wait_until(lambda: _json(server, "-n", ns, "get", "sts", "web")["status"].get("replicas") == 1, timeout=30,
               msg="status.replicas 1")


def test_statefulset_rolling_update_by_ordinal_with_partition(cluster):
    server = cluster
    ns = _namespace(server)
    _apply(server, ns, _service())
    _apply(server, ns, _statefulset(partition=1))
    ok(server.kubectl("-n", ns, "rollout", "status", "sts/web", "--timeout=90s", timeout=100))
    old_revision = _json(server, "-n", ns, "get", "sts", "web")["status"]["currentRevision"]

    ok(server.kubectl("-n", ns, "set", "image", "sts/web", "app=nginx:1.28"))
    def updated():
        pods = _web_pods(server, ns)
        return all(pods.get(n, {}).get("spec", {}).get("containers", [{}])[0].get("image") == "nginx:1.28"
                   and _ready_time(pods[n]) for n in ("web-1", "web-2")) and pods
    pods = wait_until(updated, timeout=90, msg="web-2 and web-1 updated and Ready")
    # From the highest ordinal, one at a time: web-1 was replaced only once the new web-2 was Ready.
    assert pods["web-1"]["metadata"]["creationTimestamp"] >= _ready_time(pods["web-2"])
    deletes = [e["message"] for e in sorted(_json(server, "-n", ns, "get", "events")["items"], key=lambda e: e["metadata"]["name"])
               if e["message"].startswith("delete Pod")]
    assert deletes == ["delete Pod web-2 in StatefulSet web successful", "delete Pod web-1 in StatefulSet web successful"], deletes
    cp = ok(server.kubectl("-n", ns, "rollout", "status", "sts/web", "--timeout=60s", timeout=70))
    assert "partitioned roll out complete: 2 new pods have been updated" in cp.stdout, show(cp)
    pods = _web_pods(server, ns)
    assert pods["web-0"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    status = _json(server, "-n", ns, "get", "sts", "web")["status"]
    assert status["currentRevision"] == old_revision and status["updateRevision"] != old_revision, status
    assert status["updatedReplicas"] == 2, status
    assert pods["web-2"]["metadata"]["labels"]["controller-revision-hash"] == status["updateRevision"]

    ok(server.kubectl("-n", ns, "patch", "sts", "web", "-p", '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":0}}}}'))
    cp = ok(server.kubectl("-n", ns, "rollout", "status", "sts/web", "--timeout=60s", timeout=70))
    assert "partitioned roll out complete: 3 new pods have been updated..." in cp.stdout, show(cp)
    images = {n: p["spec"]["containers"][0]["image"] for n, p in _web_pods(server, ns).items()}
    assert images == {"web-0": "nginx:1.28", "web-1": "nginx:1.28", "web-2": "nginx:1.28"}, images
    status = _json(server, "-n", ns, "get", "sts", "web")["status"]
    assert status["currentRevision"] == status["updateRevision"] and status["currentReplicas"] == 3, status
    revisions = _json(server, "-n", ns, "get", "controllerrevisions")["items"]
    assert sorted(r["revision"] for r in revisions) == [1, 2]
    history = ok(server.kubectl("-n", ns, "rollout", "history", "sts/web")).stdout
    assert [line.split()[0] for line in history.splitlines()[2:] if line.strip()] == ["1", "2"], history
    detail = ok(server.kubectl("-n", ns, "rollout", "history", "sts/web", "--revision=1")).stdout
    assert "nginx:1.27" in detail, detail
    events = ok(server.kubectl("-n", ns, "get", "events", "--field-selector", "involvedObject.name=web")).stdout
    assert "delete Pod web-2 in StatefulSet web successful" in events, events
