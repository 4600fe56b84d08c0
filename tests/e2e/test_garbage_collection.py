"""Garbage collection with the real kubectl: deleting a Deployment removes its ReplicaSet and pods
(background), `--cascade=orphan` leaves them without the owner reference, `--cascade=foreground`
keeps the Deployment (deletionTimestamp, foregroundDeletion) until its dependents are gone; deleting a
namespace empties it, reporting what remains in its conditions.

The objects are created here, owner references included, so that the tests do not depend on the
ReplicaSet and Deployment controllers; they stay valid when those run: the Deployment is paused, the
ReplicaSet wants exactly the pods created, and no scheduler picks the pods up (they are deleted at once).
"""

import json
import time

from harness import ok, show, unique, wait_until

HOLD = "e2e.swiftlet.dev/hold"


def _get(http, path):
    r = http.get(path)
    return r.json() if r.status_code == 200 else None


def _tree(http, ns, name, pods=2):
    """A Deployment, a ReplicaSet it owns and `pods` pods the ReplicaSet owns; answers (deploy, rs, pods)."""
    labels = {"gc-test": name}
    template = {
        "metadata": {"labels": labels},
        "spec": {"schedulerName": "gc-e2e-unscheduled", "terminationGracePeriodSeconds": 0,
                 "containers": [{"name": "c", "image": "registry.k8s.io/pause:3.9"}]},
    }
    r = http.post_json(f"/apis/apps/v1/namespaces/{ns}/deployments", {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {"replicas": pods, "paused": True, "selector": {"matchLabels": labels}, "template": template},
    })
    assert r.status_code == 201, r.text[:300]
    deploy = r.json()
    # The pods exist (matching the selector) before their ReplicaSet, so that a ReplicaSet controller
    # finds its replicas there and adopts them rather than creating others; then they are adopted here.
    for i in range(pods):
        r = http.post_json(f"/api/v1/namespaces/{ns}/pods", {
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"{name}-rs-{i}", "labels": labels},
            "spec": template["spec"],
        })
        assert r.status_code == 201, r.text[:300]
    r = http.post_json(f"/apis/apps/v1/namespaces/{ns}/replicasets", {
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": f"{name}-rs", "labels": labels, "ownerReferences": [{
            "apiVersion": "apps/v1", "kind": "Deployment", "name": name, "uid": deploy["metadata"]["uid"],
            "controller": True, "blockOwnerDeletion": True}]},
        "spec": {"replicas": pods, "selector": {"matchLabels": labels}, "template": template},
    })
    assert r.status_code == 201, r.text[:300]
    rs = r.json()
    made = []
    for i in range(pods):
        owner = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": f"{name}-rs", "uid": rs["metadata"]["uid"],
                 "controller": True, "blockOwnerDeletion": True}
        r = http.patch(f"/api/v1/namespaces/{ns}/pods/{name}-rs-{i}",
                       data=json.dumps({"metadata": {"ownerReferences": [owner]}}),
                       headers={"Content-Type": "application/merge-patch+json"})
        assert r.status_code == 200, r.text[:300]
        made.append(r.json())
    return deploy, rs, made


def _pods(http, ns, name):
    return http.get(f"/api/v1/namespaces/{ns}/pods?labelSelector=gc-test={name}").json()["items"]


def test_delete_deployment_removes_replicaset_and_pods(kns, http, ns):
    _tree(http, ns, "bg", pods=3)
    cp = ok(kns("delete", "deployment", "bg"))
    assert 'deployment.apps "bg" deleted' in cp.stdout, show(cp)
    wait_until(lambda: _get(http, f"/apis/apps/v1/namespaces/{ns}/replicasets/bg-rs") is None,
               timeout=20, msg="ReplicaSet collected")
    wait_until(lambda: not _pods(http, ns, "bg"), timeout=20, msg="pods collected")


def test_cascade_orphan_keeps_dependents_without_the_reference(kns, http, ns):
    _, rs, _ = _tree(http, ns, "or")
    cp = ok(kns("delete", "deployment", "or", "--cascade=orphan"))
    assert 'deployment.apps "or" deleted' in cp.stdout, show(cp)
    assert _get(http, f"/apis/apps/v1/namespaces/{ns}/deployments/or") is None
    kept = _get(http, f"/apis/apps/v1/namespaces/{ns}/replicasets/or-rs")
    assert kept is not None, "the orphaned ReplicaSet must stay"
    assert "ownerReferences" not in kept["metadata"], kept["metadata"]
    assert "deletionTimestamp" not in kept["metadata"], kept["metadata"]
    pods = _pods(http, ns, "or")
    assert len(pods) == 2, [p["metadata"]["name"] for p in pods]
    # Only direct dependents are orphaned: the pods keep their ReplicaSet.
    for p in pods:
        assert [o["uid"] for o in p["metadata"]["ownerReferences"]] == [rs["metadata"]["uid"]]
    # Still there a moment later (nothing collects them).
    time.sleep(1)
    assert len(_pods(http, ns, "or")) == 2
    assert _get(http, f"/apis/apps/v1/namespaces/{ns}/replicasets/or-rs") is not None
    # kubectl sends the policy in DeleteOptions, and background is what deletes the rest.
    cp = ok(kns("delete", "replicaset", "or-rs", "--cascade=background", "-v=8"))
    assert '"propagationPolicy":"Background"' in cp.stderr, cp.stderr[-2000:]
    wait_until(lambda: not _pods(http, ns, "or"), timeout=20, msg="pods collected after their ReplicaSet")


def test_cascade_foreground_keeps_the_owner_until_dependents_are_gone(kns, http, ns):
    _, _, pods = _tree(http, ns, "fg", pods=2)
    held = pods[0]["metadata"]["name"]
    r = http.patch(f"/api/v1/namespaces/{ns}/pods/{held}", data=json.dumps({"metadata": {"finalizers": [HOLD]}}),
                   headers={"Content-Type": "application/merge-patch+json"})
    assert r.status_code == 200, r.text[:300]

    cp = ok(kns("delete", "deployment", "fg", "--cascade=foreground", "--wait=false", "-v=8"))
    assert 'deployment.apps "fg" deleted' in cp.stdout, show(cp)
    assert '"propagationPolicy":"Foreground"' in cp.stderr, cp.stderr[-2000:]

    deploy = _get(http, f"/apis/apps/v1/namespaces/{ns}/deployments/fg")
    assert deploy is not None, "a foreground deletion keeps the owner while dependents exist"
    assert deploy["metadata"].get("deletionTimestamp"), deploy["metadata"]
    assert deploy["metadata"].get("finalizers") == ["foregroundDeletion"], deploy["metadata"]

    # The ReplicaSet is deleted in the foreground too; the pod without finalizer goes; the held one waits.
    wait_until(lambda: (_get(http, f"/apis/apps/v1/namespaces/{ns}/replicasets/fg-rs") or {})
               .get("metadata", {}).get("finalizers") == ["foregroundDeletion"], timeout=20,
               msg="ReplicaSet deleting its pods in the foreground")
    wait_until(lambda: [p["metadata"]["name"] for p in _pods(http, ns, "fg")] == [held], timeout=20,
               msg="only the held pod left")
    wait_until(lambda: (_get(http, f"/api/v1/namespaces/{ns}/pods/{held}") or {})
               .get("metadata", {}).get("deletionTimestamp") is not None, timeout=20, msg="held pod terminating")
    cp = ok(kns("get", "deployment", "fg", "-o", "jsonpath={.metadata.finalizers}"))
    assert "foregroundDeletion" in cp.stdout, show(cp)

    r = http.patch(f"/api/v1/namespaces/{ns}/pods/{held}", data=json.dumps({"metadata": {"finalizers": None}}),
                   headers={"Content-Type": "application/merge-patch+json"})
    assert r.status_code == 200, r.text[:300]
    wait_until(lambda: _get(http, f"/apis/apps/v1/namespaces/{ns}/deployments/fg") is None, timeout=20,
               msg="Deployment gone once its dependents are")
    assert _get(http, f"/apis/apps/v1/namespaces/{ns}/replicasets/fg-rs") is None
    assert not _pods(http, ns, "fg")


def test_cascade_foreground_waits_until_dependents_are_gone(kns, http, ns):
    """kubectl waits for the owner; when it is gone, its blocking dependents are gone already."""
    _tree(http, ns, "fgw", pods=3)
    cp = ok(kns("delete", "deployment", "fgw", "--cascade=foreground"))
    assert 'deployment.apps "fgw" deleted' in cp.stdout, show(cp)
    assert _get(http, f"/apis/apps/v1/namespaces/{ns}/deployments/fgw") is None
    assert _get(http, f"/apis/apps/v1/namespaces/{ns}/replicasets/fgw-rs") is None
    assert not _pods(http, ns, "fgw")


def test_deleting_a_namespace_empties_it(kubectl, http):
    name = unique("gc-ns")
    ok(kubectl("create", "namespace", name))
    try:
        _tree(http, name, "web", pods=3)
        for i in range(3):
            r = http.post_json(f"/api/v1/namespaces/{name}/configmaps", {"metadata": {"name": f"cm{i}"}, "data": {"i": str(i)}})
            assert r.status_code == 201, r.text[:300]
        r = http.post_json(f"/api/v1/namespaces/{name}/configmaps", {"metadata": {"name": "held", "finalizers": [HOLD]}})
        assert r.status_code == 201, r.text[:300]

        ok(kubectl("delete", "namespace", name, "--wait=false"))

        def reported():
            obj = _get(http, f"/api/v1/namespaces/{name}") or {}
            conditions = {c["type"]: c for c in obj.get("status", {}).get("conditions", [])}
            remaining = conditions.get("NamespaceContentRemaining", {})
            return remaining.get("message") == "Some resources are remaining: configmaps. has 1 resource instances" and conditions

        conditions = wait_until(reported, timeout=30, msg="namespace conditions report the held configmap")
        assert conditions["NamespaceContentRemaining"]["status"] == "True"
        assert conditions["NamespaceContentRemaining"]["reason"] == "SomeResourcesRemain"
        assert conditions["NamespaceFinalizersRemaining"]["status"] == "True", conditions
        assert conditions["NamespaceFinalizersRemaining"]["message"] == \
            f"Some content in the namespace has finalizers remaining: {HOLD} in 1 resource instances"
        assert conditions["NamespaceDeletionContentFailure"]["status"] == "False"
        assert conditions["NamespaceDeletionContentFailure"]["reason"] == "ContentDeleted"
        # Everything else is gone already.
        assert not http.get(f"/api/v1/namespaces/{name}/pods").json()["items"]
        assert not http.get(f"/apis/apps/v1/namespaces/{name}/replicasets").json()["items"]
        assert not http.get(f"/apis/apps/v1/namespaces/{name}/deployments").json()["items"]
        assert [c["metadata"]["name"] for c in http.get(f"/api/v1/namespaces/{name}/configmaps").json()["items"]] == ["held"]
        cp = ok(kubectl("describe", "namespace", name))
        assert "NamespaceContentRemaining" in cp.stdout and "SomeResourcesRemain" in cp.stdout, show(cp)
    finally:
        http.patch(f"/api/v1/namespaces/{name}/configmaps/held", data='{"metadata":{"finalizers":null}}',
                   headers={"Content-Type": "application/merge-patch+json"})
    wait_until(lambda: http.get(f"/api/v1/namespaces/{name}").status_code == 404, timeout=30,
               msg=f"namespace {name} gone")


def test_namespace_waits_for_pods_terminating_gracefully(kubectl, http):
    """A pod on a node terminates gracefully; the namespace stays until the node confirms it gone."""
    name = unique("gc-ns")
    ok(kubectl("create", "namespace", name))
    try:
        r = http.post_json(f"/api/v1/namespaces/{name}/pods", {
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bound"},
            "spec": {"nodeName": "gc-e2e-absent-node", "terminationGracePeriodSeconds": 300,
                     "containers": [{"name": "c", "image": "registry.k8s.io/pause:3.9"}]},
        })
        assert r.status_code == 201, r.text[:300]
        ok(kubectl("delete", "namespace", name, "--wait=false"))

        def reported():
            obj = _get(http, f"/api/v1/namespaces/{name}") or {}
            conditions = {c["type"]: c for c in obj.get("status", {}).get("conditions", [])}
            return conditions.get("NamespaceContentRemaining", {}).get("message") == \
                "Some resources are remaining: pods. has 1 resource instances" and conditions

        conditions = wait_until(reported, timeout=20, msg="namespace conditions report the terminating pod")
        assert conditions["NamespaceFinalizersRemaining"]["status"] == "False", conditions
        assert conditions["NamespaceFinalizersRemaining"]["reason"] == "ContentHasNoFinalizers"
        pod = _get(http, f"/api/v1/namespaces/{name}/pods/bound")
        assert pod is not None and pod["metadata"].get("deletionTimestamp"), pod
        time.sleep(1.5)
        assert (_get(http, f"/api/v1/namespaces/{name}") or {}).get("status", {}).get("phase") == "Terminating"
    finally:
        # What the kubelet does once the containers stopped.
        http.delete(f"/api/v1/namespaces/{name}/pods/bound", json={"kind": "DeleteOptions", "apiVersion": "v1",
                                                                   "gracePeriodSeconds": 0})
    wait_until(lambda: http.get(f"/api/v1/namespaces/{name}").status_code == 404, timeout=30,
               msg=f"namespace {name} gone")


def _job_with_dependent(http, ns, name):
    r = http.post_json(f"/apis/batch/v1/namespaces/{ns}/jobs", {
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
        "spec": {"suspend": True, "template": {"spec": {"restartPolicy": "Never",
                                                         "containers": [{"name": "c", "image": "busybox"}]}}},
    })
    assert r.status_code == 201, r.text[:300]
    job = r.json()
    r = http.post_json(f"/api/v1/namespaces/{ns}/configmaps", {"metadata": {"name": f"{name}-dep", "ownerReferences": [{
        "apiVersion": "batch/v1", "kind": "Job", "name": name, "uid": job["metadata"]["uid"]}]}})
    assert r.status_code == 201, r.text[:300]


def test_api_delete_policies_and_defaults(http, ns):
    """Without a policy, batch/v1 Jobs orphan their dependents (as Kubernetes keeps it for
    compatibility); orphanDependents=false deletes them; orphanDependents excludes propagationPolicy."""
    _job_with_dependent(http, ns, "plain")
    r = http.delete(f"/apis/batch/v1/namespaces/{ns}/jobs/plain")
    assert r.status_code == 200, r.text[:300]
    assert "child pods are preserved by default when jobs are deleted" in r.headers.get("Warning", ""), r.headers
    assert r.json()["metadata"].get("finalizers") == ["orphan"], r.json()["metadata"]
    wait_until(lambda: _get(http, f"/apis/batch/v1/namespaces/{ns}/jobs/plain") is None, timeout=20, msg="job gone")
    kept = _get(http, f"/api/v1/namespaces/{ns}/configmaps/plain-dep")
    assert kept is not None and "ownerReferences" not in kept["metadata"], kept

    _job_with_dependent(http, ns, "cascade")
    r = http.delete(f"/apis/batch/v1/namespaces/{ns}/jobs/cascade", json={"orphanDependents": False})
    assert r.status_code == 200, r.text[:300]
    assert "Warning" not in r.headers, r.headers
    wait_until(lambda: _get(http, f"/api/v1/namespaces/{ns}/configmaps/cascade-dep") is None, timeout=20,
               msg="dependent collected")

    r = http.delete(f"/api/v1/namespaces/{ns}/configmaps/plain-dep",
                    json={"orphanDependents": True, "propagationPolicy": "Foreground"})
    assert r.status_code == 422, r.text[:300]
    assert r.json()["message"] == ('DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Invalid value: '
                                   '"Foreground": orphanDependents and deletionPropagation cannot be both set'), r.json()

    # Foreground through the API: 200 with the object, deletionTimestamp and the finalizer.
    r = http.delete(f"/api/v1/namespaces/{ns}/configmaps/plain-dep", json={"propagationPolicy": "Foreground"})
    assert r.status_code == 200, r.text[:300]
    meta = r.json()["metadata"]
    assert meta.get("finalizers") == ["foregroundDeletion"] and meta.get("deletionTimestamp"), meta
    wait_until(lambda: _get(http, f"/api/v1/namespaces/{ns}/configmaps/plain-dep") is None, timeout=20,
               msg="an object without dependents goes once the collector sees it")
