"""Issue 3 item 2: status subresources keep spec, the main resource keeps status, generation rules;
pods/binding and pods/eviction."""

from __future__ import annotations

import json

from harness import assert_status

JSON = {"Content-Type": "application/json"}
MERGE = {"Content-Type": "application/merge-patch+json"}


def _deployment(name="web"):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "nginx", "image": "nginx:1.14.2"}]}}}}


def _pod(name):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": name}},
            "spec": {"containers": [{"name": "app", "image": "busybox:1.36", "command": ["sleep", "3600"]}]}}


def _ok(r, code=200):
    assert r.status_code == code, f"{r.request.method} {r.url}: {r.status_code} {r.text[:500]}"
    return r.json()


def test_status_subresource_and_generation(new_server):
    # The deployment controller would write the status this test writes by hand: a server without it.
    server = new_server("nodeploy", extra_args=["--disable-controllers", "deployment,replicaset"])
    http = server.session()
    base = "/apis/apps/v1/namespaces/default/deployments"
    d = _ok(http.post_json(base, _deployment()), 201)
    assert d["metadata"]["generation"] == 1 and not d.get("status", {}).get("replicas"), d

    # /status writes status only: the spec change in the same body is ignored, generation unchanged
    body = json.loads(json.dumps(d))
    body["spec"]["replicas"] = 9
    body["status"] = {"observedGeneration": 1, "replicas": 3, "readyReplicas": 1}
    s = _ok(http.put(f"{base}/web/status", data=json.dumps(body), headers=JSON))
    assert s["spec"]["replicas"] == 2, s["spec"]
    assert s["status"]["replicas"] == 3 and s["status"]["readyReplicas"] == 1, s["status"]
    assert s["metadata"]["generation"] == 1, s["metadata"]

    # the main resource keeps status: a status change through it is ignored
    body = s
    body["status"]["replicas"] = 7
    m = _ok(http.put(f"{base}/web", data=json.dumps(body), headers=JSON))
    assert m["status"]["replicas"] == 3, m["status"]
    assert m["metadata"]["generation"] == 1, "no spec change, no new generation"

    # metadata changes do not bump generation; spec changes do
    m = _ok(http.patch(f"{base}/web", data=json.dumps({"metadata": {"labels": {"team": "a"}}}), headers=MERGE))
    assert m["metadata"]["generation"] == 1, m["metadata"]
    m = _ok(http.patch(f"{base}/web", data=json.dumps({"spec": {"replicas": 4}}), headers=MERGE))
    assert m["metadata"]["generation"] == 2 and m["status"]["replicas"] == 3, m
    m = _ok(http.patch(f"{base}/web/status", data=json.dumps({"status": {"observedGeneration": 2}}), headers=MERGE))
    assert m["metadata"]["generation"] == 2 and m["status"]["observedGeneration"] == 2, m
    assert m["spec"]["replicas"] == 4


def test_service_status_load_balancer(http, ns):
    base = f"/api/v1/namespaces/{ns}/services"
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "lb"},
           "spec": {"type": "LoadBalancer", "selector": {"app": "x"}, "ports": [{"port": 80}]}}
    s = _ok(http.post_json(base, svc), 201)
    assert s["status"] == {"loadBalancer": {}}, s["status"]
    s = _ok(http.patch(f"{base}/lb/status",
                       data=json.dumps({"status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.10"}]}}}),
                       headers=MERGE))
    assert s["status"]["loadBalancer"]["ingress"] == [{"ip": "192.0.2.10"}], s["status"]
    got = _ok(http.get(f"{base}/lb"))
    assert got["status"]["loadBalancer"]["ingress"][0]["ip"] == "192.0.2.10", got


def test_pod_binding(http, ns):
    base = f"/api/v1/namespaces/{ns}/pods"
    p = _ok(http.post_json(base, _pod("bound")), 201)
    assert "nodeName" not in p["spec"] and p["status"]["phase"] == "Pending", p
    binding = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "bound"},
               "target": {"apiVersion": "v1", "kind": "Node", "name": "node-a"}}
    r = http.post_json(f"{base}/bound/binding", binding)
    assert r.status_code == 201, r.text[:300]
    assert _ok(http.get(f"{base}/bound"))["spec"]["nodeName"] == "node-a"
    binding["target"]["name"] = "node-b"
    st = assert_status(http.post_json(f"{base}/bound/binding", binding), 409, "Conflict")
    assert 'is already assigned to node "node-a"' in st["message"], st
    assert _ok(http.get(f"{base}/bound"))["spec"]["nodeName"] == "node-a"


def test_pod_eviction(http, ns):
    base = f"/api/v1/namespaces/{ns}/pods"
    _ok(http.post_json(base, _pod("loose")), 201)
    eviction = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "loose", "namespace": ns}}
    r = http.post_json(f"{base}/loose/eviction", eviction)
    assert r.status_code == 201, r.text[:300]
    # a pod that was never scheduled is deleted at once
    assert http.get(f"{base}/loose").status_code == 404

    _ok(http.post_json(base, _pod("placed")), 201)
    r = http.post_json(f"{base}/placed/binding", {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "placed"},
                                                  "target": {"apiVersion": "v1", "kind": "Node", "name": "node-a"}})
    assert r.status_code == 201, r.text[:300]
    eviction["metadata"]["name"] = "placed"
    r = http.post_json(f"{base}/placed/eviction", eviction)
    assert r.status_code == 201, r.text[:300]
    # a scheduled pod is deleted gracefully: it stays, marked, until its kubelet confirms
    p = _ok(http.get(f"{base}/placed"))
    assert p["metadata"].get("deletionTimestamp") and p["metadata"].get("deletionGracePeriodSeconds") == 30, p
    assert_status(http.post_json(f"{base}/missing/eviction",
                                 {**eviction, "metadata": {"name": "missing", "namespace": ns}}), 404, "NotFound")
