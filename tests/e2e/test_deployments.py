"""ReplicaSet and Deployment controllers with the real kubectl, on a server with 3 simulated nodes:
self-healing, rollouts (`kubectl set image`, `rollout status|history|undo|restart|pause|resume`),
`kubectl describe`, scaling. One server and one simulator per module."""

import json

import pytest
import yaml

from conftest import parse_table
from harness import ok, show, unique, wait_until, sim_cluster


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with sim_cluster(tmp_path_factory, "deployments") as server:
        yield server


@pytest.fixture
def ns(cluster):
    name = unique("dep")
    ok(cluster.kubectl("create", "namespace", name))
    return name


def _json(server, *args):
    return json.loads(ok(server.kubectl(*args, "-o", "json")).stdout)


def _running_pods(server, ns, selector):
    pods = _json(server, "-n", ns, "get", "pods", "-l", selector)["items"]
    return [p for p in pods if p["status"].get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")]


def _apply(server, ns, obj):
    ok(server.kubectl("-n", ns, "apply", "-f", "-", input=yaml.safe_dump(obj)))


def _deployment(name, replicas=3, image="nginx:1.27", **spec):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "app", "image": image}]}}, **spec}}


def _rollout_status(server, ns, name, timeout="60s"):
    return ok(server.kubectl("-n", ns, "rollout", "status", f"deployment/{name}", f"--timeout={timeout}", timeout=90))


def _images(server, ns, selector):
    return {c["image"] for p in _running_pods(server, ns, selector) for c in p["spec"]["containers"]}


def test_replicaset_replaces_a_deleted_pod(cluster, ns):
    server = cluster
    rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "frontend"},
          "spec": {"replicas": 3, "selector": {"matchLabels": {"tier": "frontend"}},
                   "template": {"metadata": {"labels": {"tier": "frontend"}},
                                "spec": {"containers": [{"name": "php", "image": "php:8"}]}}}}
    _apply(server, ns, rs)
    pods = wait_until(lambda: (p := _running_pods(server, ns, "tier=frontend")) and len(p) == 3 and p,
                      timeout=30, msg="3 Running pods")
    assert all(p["metadata"]["name"].startswith("frontend-") for p in pods)
    assert all(p["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet" for p in pods)
    victim = pods[0]["metadata"]["name"]
    ok(server.kubectl("-n", ns, "delete", "pod", victim, "--wait=false"))

    def replaced():
        names = {p["metadata"]["name"] for p in _running_pods(server, ns, "tier=frontend")}
        return len(names) == 3 and victim not in names and names
    wait_until(replaced, timeout=30, msg="a replacement pod")
    rows = wait_until(lambda: (r := parse_table(server.kubectl("-n", ns, "get", "rs", "frontend").stdout))
                      and r[0]["READY"] == "3" and r, timeout=30, msg="rs READY 3")
    assert rows[0]["DESIRED"] == "3" and rows[0]["CURRENT"] == "3", rows
    described = ok(server.kubectl("-n", ns, "describe", "rs", "frontend")).stdout
    assert "Pods Status:  3 Running" in described, described
    assert "SuccessfulCreate" in described and "Created pod: frontend-" in described, described
    assert "replicaset-controller" in described, described

    # Scale down then up with kubectl scale.
    ok(server.kubectl("-n", ns, "scale", "rs", "frontend", "--replicas=1"))
    wait_until(lambda: len(_json(server, "-n", ns, "get", "pods", "-l", "tier=frontend")["items"]) == 1,
               timeout=30, msg="1 pod left")
    assert "SuccessfulDelete" in ok(server.kubectl("-n", ns, "describe", "rs", "frontend")).stdout


def test_deployment_rollout_history_undo(cluster, ns):
    server = cluster
    _apply(server, ns, _deployment("web", replicas=3))
    out = _rollout_status(server, ns, "web").stdout
    assert 'deployment "web" successfully rolled out' in out, out
    assert _images(server, ns, "app=web") == {"nginx:1.27"}
    first_rs = _json(server, "-n", ns, "get", "rs", "-l", "app=web")["items"]
    assert len(first_rs) == 1 and first_rs[0]["metadata"]["name"].startswith("web-")

    ok(server.kubectl("-n", ns, "set", "image", "deployment/web", "app=nginx:1.28"))
    ok(server.kubectl("-n", ns, "annotate", "deployment/web", "kubernetes.io/change-cause=upgrade to 1.28"))
    out = _rollout_status(server, ns, "web").stdout
    assert "successfully rolled out" in out, out
    wait_until(lambda: _images(server, ns, "app=web") == {"nginx:1.28"} and len(_running_pods(server, ns, "app=web")) == 3,
               timeout=30, msg="3 pods on nginx:1.28")

    history = ok(server.kubectl("-n", ns, "rollout", "history", "deployment/web")).stdout
    rows = parse_table(history.split("\n", 1)[1])
    assert [r["REVISION"] for r in rows] == ["1", "2"], history
    assert "upgrade to 1.28" in history, history
    detail = ok(server.kubectl("-n", ns, "rollout", "history", "deployment/web", "--revision=1")).stdout
    assert "nginx:1.27" in detail, detail

    rs_rows = parse_table(ok(server.kubectl("-n", ns, "get", "rs", "-l", "app=web")).stdout)
    assert sorted(r["DESIRED"] for r in rs_rows) == ["0", "3"], rs_rows

    described = ok(server.kubectl("-n", ns, "describe", "deployment", "web")).stdout
    assert "ScalingReplicaSet" in described and "deployment-controller" in described, described
    assert "Scaled up replica set web-" in described and "Scaled down replica set" in described, described
    assert "Available      True    MinimumReplicasAvailable" in described, described
    assert "Progressing    True    NewReplicaSetAvailable" in described, described
    assert "NewReplicaSet:   web-" in described and "(3/3 replicas created)" in described, described
    assert "3 desired | 3 updated | 3 total | 3 available | 0 unavailable" in described, described

    ok(server.kubectl("-n", ns, "rollout", "undo", "deployment/web"))
    _rollout_status(server, ns, "web")
    wait_until(lambda: _images(server, ns, "app=web") == {"nginx:1.27"} and len(_running_pods(server, ns, "app=web")) == 3,
               timeout=30, msg="back on nginx:1.27")
    history = ok(server.kubectl("-n", ns, "rollout", "history", "deployment/web")).stdout
    assert [r["REVISION"] for r in parse_table(history.split("\n", 1)[1])] == ["2", "3"], history
    back = _json(server, "-n", ns, "get", "rs", first_rs[0]["metadata"]["name"])
    assert back["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    assert back["spec"]["replicas"] == 3
    d = _json(server, "-n", ns, "get", "deployment", "web")
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"


def test_rollout_restart_rolls_new_pods(cluster, ns):
    server = cluster
    _apply(server, ns, _deployment("api", replicas=2))
    _rollout_status(server, ns, "api")
    before = {p["metadata"]["name"] for p in _running_pods(server, ns, "app=api")}
    ok(server.kubectl("-n", ns, "rollout", "restart", "deployment/api"))
    _rollout_status(server, ns, "api")

    def fresh():
        names = {p["metadata"]["name"] for p in _running_pods(server, ns, "app=api")}
        return len(names) == 2 and not (names & before) and names
    wait_until(fresh, timeout=30, msg="2 new pods")
    d = _json(server, "-n", ns, "get", "deployment", "api")
    assert "kubectl.kubernetes.io/restartedAt" in d["spec"]["template"]["metadata"]["annotations"]
    assert len(_json(server, "-n", ns, "get", "rs", "-l", "app=api")["items"]) == 2


def test_pause_holds_the_rollout_until_resume(cluster, ns):
    server = cluster
    _apply(server, ns, _deployment("pz", replicas=2))
    _rollout_status(server, ns, "pz")
    ok(server.kubectl("-n", ns, "rollout", "pause", "deployment/pz"))
    ok(server.kubectl("-n", ns, "set", "image", "deployment/pz", "app=nginx:1.28"))

    def paused_condition():
        d = _json(server, "-n", ns, "get", "deployment", "pz")
        conds = {c["type"]: c for c in d["status"].get("conditions", [])}
        p = conds.get("Progressing", {})
        return p.get("status") == "Unknown" and p.get("reason") == "DeploymentPaused" \
            and d["status"].get("observedGeneration") == d["metadata"]["generation"]
    wait_until(paused_condition, timeout=20, msg="Progressing Unknown DeploymentPaused")
    import time
    time.sleep(1.5)
    assert len(_json(server, "-n", ns, "get", "rs", "-l", "app=pz")["items"]) == 1
    assert _images(server, ns, "app=pz") == {"nginx:1.27"}
    described = ok(server.kubectl("-n", ns, "describe", "deployment", "pz")).stdout
    assert "Progressing    Unknown  DeploymentPaused" in described, described

    ok(server.kubectl("-n", ns, "rollout", "resume", "deployment/pz"))
    _rollout_status(server, ns, "pz")
    wait_until(lambda: _images(server, ns, "app=pz") == {"nginx:1.28"} and len(_running_pods(server, ns, "app=pz")) == 2,
               timeout=30, msg="resumed rollout on nginx:1.28")


def test_recreate_and_scaling(cluster, ns):
    server = cluster
    _apply(server, ns, _deployment("db", replicas=2, strategy={"type": "Recreate"}))
    _rollout_status(server, ns, "db")
    ok(server.kubectl("-n", ns, "scale", "deployment/db", "--replicas=5"))
    _rollout_status(server, ns, "db")
    wait_until(lambda: len(_running_pods(server, ns, "app=db")) == 5, timeout=30, msg="5 pods")
    rows = parse_table(ok(server.kubectl("-n", ns, "get", "deployment", "db")).stdout)
    assert rows[0]["READY"] == "5/5" and rows[0]["UP-TO-DATE"] == "5" and rows[0]["AVAILABLE"] == "5", rows
    ok(server.kubectl("-n", ns, "set", "image", "deployment/db", "app=postgres:17"))
    _rollout_status(server, ns, "db")
    wait_until(lambda: _images(server, ns, "app=db") == {"postgres:17"} and len(_running_pods(server, ns, "app=db")) == 5,
               timeout=30, msg="5 pods on postgres:17")
    ok(server.kubectl("-n", ns, "scale", "deployment/db", "--replicas=1"))
    _rollout_status(server, ns, "db")
    wait_until(lambda: len(_json(server, "-n", ns, "get", "pods", "-l", "app=db")["items"]) == 1, timeout=30, msg="1 pod")
    events = ok(server.kubectl("-n", ns, "get", "events", "--field-selector", "reason=ScalingReplicaSet")).stdout
    assert "to 5 from 2" in events and "to 0 from 5" in events and "to 1 from 5" in events, events


def test_progress_deadline_exceeded(cluster, ns):
    server = cluster
    # Unschedulable: pods stay Pending, so the rollout cannot progress.
    dep = _deployment("stuck", replicas=1, progressDeadlineSeconds=2)
    dep["spec"]["template"]["spec"]["nodeSelector"] = {"nowhere": "true"}
    _apply(server, ns, dep)
    cp = server.kubectl("-n", ns, "rollout", "status", "deployment/stuck", "--timeout=30s", timeout=60)
    assert cp.returncode != 0, show(cp)
    assert 'deployment "stuck" exceeded its progress deadline' in cp.stderr, show(cp)


def _owned(server, ns, selector):
    rs = _json(server, "-n", ns, "get", "replicasets", "-l", selector)["items"]
    pods = _json(server, "-n", ns, "get", "pods", "-l", selector)["items"]
    return rs, pods


def test_deleting_a_deployment_cascades(cluster, ns):
    """Background (kubectl's default) removes the ReplicaSets and pods the controllers made; Orphan
    leaves them, without the owner reference; Foreground keeps the Deployment (foregroundDeletion
    finalizer) until its dependents are gone."""
    server = cluster
    for name in ("bg", "orphan", "fg"):
        _apply(server, ns, _deployment(name, replicas=2))
    for name in ("bg", "orphan", "fg"):
        _rollout_status(server, ns, name)

    ok(server.kubectl("-n", ns, "delete", "deployment", "bg"))
    wait_until(lambda: _owned(server, ns, "app=bg") == ([], []), timeout=30, msg="bg's ReplicaSets and pods gone")

    ok(server.kubectl("-n", ns, "delete", "deployment", "orphan", "--cascade=orphan"))
    wait_until(lambda: not _json(server, "-n", ns, "get", "deployments")["items"]
               or all(d["metadata"]["name"] != "orphan" for d in _json(server, "-n", ns, "get", "deployments")["items"]),
               timeout=30, msg="orphan deployment gone")
    rs, pods = _owned(server, ns, "app=orphan")
    assert len(rs) == 1 and not rs[0]["metadata"].get("ownerReferences"), rs
    assert len([p for p in pods if not p["metadata"].get("deletionTimestamp")]) == 2, pods
    assert all(p["metadata"]["ownerReferences"][0]["name"] == rs[0]["metadata"]["name"] for p in pods)

    # A finalizer on one pod holds the foreground deletion until it is removed.
    pod = _json(server, "-n", ns, "get", "pods", "-l", "app=fg")["items"][0]["metadata"]["name"]
    ok(server.kubectl("-n", ns, "patch", "pod", pod, "--type=merge", "-p", '{"metadata":{"finalizers":["e2e.swiftlet.dev/hold"]}}'))
    ok(server.kubectl("-n", ns, "delete", "deployment", "fg", "--cascade=foreground", "--wait=false"))
    held = _json(server, "-n", ns, "get", "deployment", "fg")
    assert held["metadata"].get("deletionTimestamp") and "foregroundDeletion" in held["metadata"]["finalizers"], held["metadata"]
    wait_until(lambda: [p["metadata"]["name"] for p in _json(server, "-n", ns, "get", "pods", "-l", "app=fg")["items"]] == [pod],
               timeout=30, msg="only the held pod left")
    assert ok(server.kubectl("-n", ns, "get", "deployment", "fg"))
    ok(server.kubectl("-n", ns, "patch", "pod", pod, "--type=merge", "-p", '{"metadata":{"finalizers":null}}'))
    wait_until(lambda: server.kubectl("-n", ns, "get", "deployment", "fg").returncode != 0, timeout=30,
               msg="fg deployment gone after its dependents")
    assert _owned(server, ns, "app=fg") == ([], [])
