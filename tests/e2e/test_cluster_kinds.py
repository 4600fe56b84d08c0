"""Issue 3 cluster kinds: storage, quotas, autoscaling (v2 and v1 over one object), events.k8s.io,
policy, scheduling, coordination and RBAC, with the real kubectl."""

import json

import yaml

from conftest import parse_table
from harness import fails, ok, show, unique, wait_until


def _apply(kns, *objects):
    return ok(kns("apply", "-f", "-", input=yaml.safe_dump_all(objects)))


def _json(kns, *args):
    return json.loads(ok(kns("get", *args, "-o", "json")).stdout)


def test_storage_objects_defaults(kns, kubectl, ns):
    pv, sc = unique("pv"), unique("sc")
    _apply(kns,
           {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": pv},
            "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "hostPath": {"path": "/tmp/x"},
                     "storageClassName": sc}},
           {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "claim"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "500Mi"}}}},
           {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": sc,
            "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}}, "provisioner": "example.com/nfs",
            "parameters": {"kind": "fast"}})
    obj = _json(kns, "pv", pv)
    assert obj["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    assert obj["spec"]["volumeMode"] == "Filesystem"
    assert obj["spec"]["hostPath"] == {"path": "/tmp/x", "type": ""}
    assert obj["spec"]["capacity"] == {"storage": "1Gi"}
    # Pending on create; the PV controller makes an unclaimed volume Available (as on Kubernetes).
    assert obj["status"]["phase"] in ("Pending", "Available"), obj["status"]
    assert "lastPhaseTransitionTime" in obj["status"]

    pvc = _json(kns, "pvc", "claim")
    assert pvc["spec"]["volumeMode"] == "Filesystem"
    assert pvc["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert pvc["status"] == {"phase": "Pending"}

    sco = _json(kns, "sc", sc)
    assert sco["reclaimPolicy"] == "Delete" and sco["volumeBindingMode"] == "Immediate"
    assert sco["parameters"] == {"kind": "fast"} and sco["provisioner"] == "example.com/nfs"

    rows = parse_table(ok(kubectl("get", "pv", pv)).stdout)
    assert rows == [{"NAME": pv, "CAPACITY": "1Gi", "ACCESS MODES": "RWO", "RECLAIM POLICY": "Retain", "STATUS": rows[0]["STATUS"],
                     "CLAIM": "", "STORAGECLASS": sc, "VOLUMEATTRIBUTESCLASS": "<unset>", "REASON": "",
                     "AGE": rows[0]["AGE"]}], rows
    assert rows[0]["STATUS"] in ("Pending", "Available"), rows
    rows = parse_table(ok(kns("get", "pvc", "-o", "wide")).stdout)
    assert [r["NAME"] for r in rows] == ["claim"]
    assert rows[0]["STATUS"] == "Pending" and rows[0]["VOLUMEMODE"] == "Filesystem", rows
    out = ok(kubectl("get", "storageclass", sc)).stdout
    rows = parse_table(out)
    assert rows[0]["NAME"] == f"{sc} (default)", out
    assert rows[0]["PROVISIONER"] == "example.com/nfs" and rows[0]["RECLAIMPOLICY"] == "Delete"
    assert rows[0]["VOLUMEBINDINGMODE"] == "Immediate" and rows[0]["ALLOWVOLUMEEXPANSION"] == "false", out

    # PVC spec is immutable (but for requests of a bound claim); StorageClass parameters too
    cp = fails(kns("patch", "pvc", "claim", "--type", "merge", "-p", '{"spec":{"accessModes":["ReadWriteMany"]}}'))
    assert "spec: Forbidden: spec is immutable after creation" in cp.stderr, show(cp)
    cp = fails(kubectl("patch", "sc", sc, "--type", "merge", "-p", '{"parameters":{"kind":"slow"}}'))
    assert "parameters: Forbidden: updates to parameters are forbidden." in cp.stderr, show(cp)
    ok(kubectl("delete", "pv", pv))
    ok(kubectl("delete", "sc", sc))


def test_pvc_requires_access_modes_and_storage(http, ns):
    r = http.post_json(f"/api/v1/namespaces/{ns}/persistentvolumeclaims",
                       {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "bad"}, "spec": {}})
    assert r.status_code == 422, r.text
    causes = {(c["field"], c["reason"]) for c in r.json()["details"]["causes"]}
    assert ("spec.accessModes", "FieldValueRequired") in causes
    assert ("spec.resources[storage]", "FieldValueRequired") in causes


def test_limitrange_and_quota(kns, ns):
    _apply(kns,
           {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "lr"},
            "spec": {"limits": [{"type": "Container", "max": {"cpu": "2"}, "min": {"memory": "64Mi"}}]}},
           {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "rq"},
            "spec": {"hard": {"pods": "10", "requests.cpu": "4", "limits.memory": "8Gi"}}})
    lr = _json(kns, "limits", "lr")
    item = lr["spec"]["limits"][0]
    assert item["default"] == {"cpu": "2"}, item
    assert item["defaultRequest"] == {"cpu": "2", "memory": "64Mi"}, item
    rq = _json(kns, "quota", "rq")
    assert rq["spec"]["hard"] == {"pods": "10", "requests.cpu": "4", "limits.memory": "8Gi"}
    rows = parse_table(ok(kns("get", "quota")).stdout)
    assert list(rows[0].keys()) == ["NAME", "AGE", "REQUEST", "LIMIT"], rows

    bad = {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "bad"},
           "spec": {"limits": [{"type": "Container", "max": {"cpu": "1"}, "min": {"cpu": "2"}, "default": {"cpu": "3"}}]}}
    cp = fails(kns("apply", "-f", "-", input=yaml.safe_dump(bad)))
    assert "spec.limits[0].min[cpu]: Invalid value: \"2\": min value 2 is greater than max value 1" in cp.stderr, show(cp)
    assert "spec.limits[0].default[cpu]: Invalid value: \"3\": default value 3 is greater than max value 1" in cp.stderr, show(cp)


HPA = {
    "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web"},
    "spec": {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
        "maxReplicas": 10,
        "metrics": [
            {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}},
            {"type": "Pods", "pods": {"metric": {"name": "rps"}, "target": {"type": "AverageValue", "averageValue": "1k"}}},
            {"type": "Resource", "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "500Mi"}}},
        ],
        "behavior": {"scaleDown": {"stabilizationWindowSeconds": 60}},
    },
}


def test_hpa_v2_and_v1_views(kns, ns):
    _apply(kns, HPA)
    obj = _json(kns, "horizontalpodautoscalers.v2.autoscaling", "web")
    spec = obj["spec"]
    assert obj["apiVersion"] == "autoscaling/v2"
    assert spec["minReplicas"] == 1 and spec["metrics"] == HPA["spec"]["metrics"]
    assert spec["behavior"]["scaleDown"] == {"stabilizationWindowSeconds": 60, "selectPolicy": "Max",
                                             "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]}
    assert spec["behavior"]["scaleUp"] == {"stabilizationWindowSeconds": 0, "selectPolicy": "Max",
                                           "policies": [{"type": "Pods", "value": 4, "periodSeconds": 15},
                                                        {"type": "Percent", "value": 100, "periodSeconds": 15}]}
    status = obj["status"]
    assert status["desiredReplicas"] == 0 and not status.get("currentMetrics"), status
    # The autoscaler may already have looked: there is no Deployment "web" to scale.
    for condition in status.get("conditions") or []:
        if condition["type"] == "AbleToScale":
            assert condition["status"] == "False" and condition["reason"] == "FailedGetScale", status

    v1 = _json(kns, "horizontalpodautoscalers.v1.autoscaling", "web")
    assert v1["apiVersion"] == "autoscaling/v1"
    assert v1["spec"]["targetCPUUtilizationPercentage"] == 60
    assert v1["spec"]["minReplicas"] == 1 and v1["spec"]["maxReplicas"] == 10
    others = json.loads(v1["metadata"]["annotations"]["autoscaling.alpha.kubernetes.io/metrics"])
    assert others == [{"type": "Pods", "pods": {"metricName": "rps", "targetAverageValue": "1k"}},
                      {"type": "Resource", "resource": {"name": "memory", "targetAverageValue": "500Mi"}}], others
    assert "autoscaling.alpha.kubernetes.io/behavior" in v1["metadata"]["annotations"]
    assert v1["status"] == {"currentReplicas": 0, "desiredReplicas": 0}

    # a write through v1 keeps the v2-only parts (annotations round trip) and changes the cpu target
    v1["spec"]["targetCPUUtilizationPercentage"] = 70
    ok(kns("replace", "-f", "-", input=json.dumps(v1)))
    obj = _json(kns, "horizontalpodautoscalers.v2.autoscaling", "web")
    metrics = obj["spec"]["metrics"]
    assert {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}} in metrics
    assert {"type": "Pods", "pods": {"metric": {"name": "rps"}, "target": {"type": "AverageValue", "averageValue": "1k"}}} in metrics
    assert len(metrics) == 3 and obj["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 60
    assert not any(k.startswith("autoscaling.alpha") for k in obj["metadata"].get("annotations", {})), obj["metadata"]

    rows = parse_table(ok(kns("get", "hpa")).stdout)
    assert rows[0]["NAME"] == "web" and rows[0]["REFERENCE"] == "Deployment/web"
    # the cpu metric comes back last from the v1 write, as Kubernetes converts it
    assert rows[0]["TARGETS"] == "<unknown>/1k, memory: <unknown>/500Mi + 1 more...", rows
    assert rows[0]["MINPODS"] == "1" and rows[0]["MAXPODS"] == "10" and rows[0]["REPLICAS"] == "0", rows


def test_hpa_v1_create_defaults_cpu_and_autoscaling_discovery(kns, kubectl, http, ns):
    v1 = {"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "plain"},
          "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "x"}, "maxReplicas": 3}}
    _apply(kns, v1)
    got = _json(kns, "horizontalpodautoscalers.v1.autoscaling", "plain")
    assert got["spec"]["targetCPUUtilizationPercentage"] == 80 and got["spec"]["minReplicas"] == 1
    v2 = _json(kns, "horizontalpodautoscalers.v2.autoscaling", "plain")
    assert v2["spec"]["metrics"] == [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]
    group = http.get("/apis/autoscaling").json()
    assert group["preferredVersion"]["version"] == "v2"
    # kubectl resolves `hpa` to the preferred version
    assert _json(kns, "hpa", "plain")["apiVersion"] == "autoscaling/v2"
    # invalid through v1: field paths of the stored form
    bad = dict(v1, metadata={"name": "bad"}, spec=dict(v1["spec"], minReplicas=5, maxReplicas=2))
    cp = fails(kns("apply", "-f", "-", input=yaml.safe_dump(bad)))
    assert "spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`" in cp.stderr, show(cp)


def test_events_v1_view_of_core_event(kns, http, ns):
    ev = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e1"},
          "involvedObject": {"kind": "ConfigMap", "name": "c", "namespace": ns},
          "reason": "Tested", "message": "hello", "type": "Normal", "source": {"component": "me"}, "count": 3,
          "firstTimestamp": "2024-01-01T00:00:00Z", "lastTimestamp": "2024-01-01T00:01:00Z"}
    r = http.post_json(f"/api/v1/namespaces/{ns}/events", ev)
    assert r.status_code == 201, r.text
    got = _json(kns, "events.v1.events.k8s.io", "e1")
    assert got["apiVersion"] == "events.k8s.io/v1"
    assert got["note"] == "hello" and got["regarding"]["name"] == "c"
    assert got["deprecatedSource"] == {"component": "me"} and got["deprecatedCount"] == 3
    assert got["deprecatedFirstTimestamp"] == "2024-01-01T00:00:00Z"
    assert "message" not in got and "involvedObject" not in got
    out = ok(kns("get", "events.v1.events.k8s.io")).stdout
    assert "Tested" in out and "configmap/c" in out and "hello" in out, out

    # created through events.k8s.io, read through core/v1
    new = {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "e2"},
           "eventTime": "2024-01-01T00:00:00.000000Z", "reportingController": "example.com/ctl", "reportingInstance": "i-1",
           "action": "Check", "reason": "Checked", "note": "via events api", "type": "Warning",
           "regarding": {"kind": "ConfigMap", "name": "c", "namespace": ns}}
    r = http.post_json(f"/apis/events.k8s.io/v1/namespaces/{ns}/events", new)
    assert r.status_code == 201, r.text
    core = http.get(f"/api/v1/namespaces/{ns}/events/e2").json()
    assert core["message"] == "via events api" and core["reportingComponent"] == "example.com/ctl"
    assert core["involvedObject"]["kind"] == "ConfigMap" and core["reason"] == "Checked"
    # strict rules of the events API
    r = http.post_json(f"/apis/events.k8s.io/v1/namespaces/{ns}/events",
                       {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "e3"}, "type": "Normal"})
    assert r.status_code == 422, r.text
    fields = {c["field"] for c in r.json()["details"]["causes"]}
    assert fields == {"eventTime", "involvedObject.namespace"}, fields
    r = http.post_json(f"/apis/events.k8s.io/v1/namespaces/{ns}/events",
                       {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "e3"}, "type": "Normal",
                        "eventTime": "2024-01-01T00:00:00.000000Z", "regarding": {"namespace": ns}})
    assert r.status_code == 422, r.text
    fields = {c["field"] for c in r.json()["details"]["causes"]}
    assert fields == {"reportingController", "reportingInstance", "action", "reason"}, fields
    # field selector through the events API names
    r = http.get(f"/apis/events.k8s.io/v1/namespaces/{ns}/events", params={"fieldSelector": "reason=Checked"})
    assert [i["metadata"]["name"] for i in r.json()["items"]] == ["e2"], r.text


def test_pdb_priorityclass_lease(kns, kubectl, ns):
    pc = unique("pc")
    _apply(kns,
           {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "pdb"},
            "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}}},
           {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": pc}, "value": 1000,
            "description": "test"},
           {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "lock"},
            "spec": {"holderIdentity": "me", "leaseDurationSeconds": 15}})
    pdb = _json(kns, "pdb", "pdb")
    assert pdb["metadata"]["generation"] == 1
    assert pdb["spec"] == {"minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}}
    # The disruption controller fills in the status: no pods, 2 wanted, no disruption allowed.
    pdb = wait_until(lambda: (p := _json(kns, "pdb", "pdb"))["status"].get("observedGeneration") == 1 and p,
                     timeout=10, msg="PDB status observed")
    status = {k: v for k, v in pdb["status"].items() if k != "conditions"}
    assert status == {"currentHealthy": 0, "desiredHealthy": 2, "disruptionsAllowed": 0, "expectedPods": 0, "observedGeneration": 1}
    assert [(c["type"], c["status"], c["reason"]) for c in pdb["status"]["conditions"]] == [("DisruptionAllowed", "False", "InsufficientPods")]
    rows = parse_table(ok(kns("get", "pdb")).stdout)
    assert rows == [{"NAME": "pdb", "MIN AVAILABLE": "2", "MAX UNAVAILABLE": "N/A", "ALLOWED DISRUPTIONS": "0",
                     "AGE": rows[0]["AGE"]}], rows
    pco = _json(kubectl, "pc", pc)
    assert pco["value"] == 1000 and pco["preemptionPolicy"] == "PreemptLowerPriority"
    names = {i["metadata"]["name"]: i["value"] for i in _json(kubectl, "priorityclasses")["items"]}
    assert names["system-cluster-critical"] == 2000000000 and names["system-node-critical"] == 2000001000
    lease = _json(kns, "lease", "lock")
    assert lease["spec"] == {"holderIdentity": "me", "leaseDurationSeconds": 15}
    assert parse_table(ok(kns("get", "leases")).stdout)[0]["HOLDER"] == "me"

    cp = fails(kns("apply", "-f", "-", input=yaml.safe_dump(
        {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "both"},
         "spec": {"minAvailable": 1, "maxUnavailable": "150%"}})))
    assert "minAvailable and maxUnavailable cannot be both set" in cp.stderr, show(cp)
    assert "spec.maxUnavailable: Invalid value: \"150%\": must not be greater than 100%" in cp.stderr, show(cp)
    cp = fails(kubectl("create", "-f", "-", input=yaml.safe_dump(
        {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "system-mine"}, "value": 5})))
    assert "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved" in cp.stderr, show(cp)
    cp = fails(kubectl("patch", "pc", pc, "--type", "merge", "-p", '{"value": 7}'))
    assert "value: Forbidden: may not be changed in an update." in cp.stderr, show(cp)
    ok(kubectl("delete", "pc", pc))


def test_rbac(kns, kubectl, ns):
    cr, crb = unique("cr"), unique("crb")
    ok(kns("create", "role", "pod-reader", "--verb=get", "--verb=list", "--resource=configmaps"))
    ok(kns("create", "rolebinding", "read-it", "--role=pod-reader", "--user=alice", "--group=devs",
           f"--serviceaccount={ns}:robot"))
    _apply(kns,
           {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": cr},
            "rules": [{"nonResourceURLs": ["/healthz"], "verbs": ["get"]}]},
           {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": crb},
            "roleRef": {"kind": "ClusterRole", "name": cr}, "subjects": [{"kind": "User", "name": "bob"}]})
    role = _json(kns, "role", "pod-reader")
    assert role["rules"] == [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}], role
    rb = _json(kns, "rolebinding", "read-it")
    assert rb["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pod-reader"}
    crbo = _json(kubectl, "clusterrolebinding", crb)
    assert crbo["roleRef"]["apiGroup"] == "rbac.authorization.k8s.io"
    assert crbo["subjects"] == [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "bob"}]
    rows = parse_table(ok(kns("get", "rolebinding", "read-it", "-o", "wide")).stdout)
    assert rows[0]["ROLE"] == "Role/pod-reader" and rows[0]["USERS"] == "alice" and rows[0]["GROUPS"] == "devs", rows
    assert rows[0]["SERVICEACCOUNTS"] == f"{ns}/robot", rows
    assert list(parse_table(ok(kns("get", "roles")).stdout)[0].keys()) == ["NAME", "CREATED AT"]

    cp = fails(kns("apply", "-f", "-", input=yaml.safe_dump(
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "bad"},
         "rules": [{"apiGroups": [""], "resources": ["pods"]}, {"verbs": ["get"]}]})))
    assert "rules[0].verbs: Required value: verbs must contain at least one value" in cp.stderr, show(cp)
    assert "rules[1].apiGroups: Required value" in cp.stderr and "rules[1].resources: Required value" in cp.stderr, show(cp)
    cp = fails(kns("apply", "-f", "-", input=yaml.safe_dump(
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "badrb"},
         "roleRef": {"kind": "Role", "name": "x"}, "subjects": [{"kind": "Robot", "name": "r"}]})))
    assert "subjects[0].kind: Unsupported value: \"Robot\"" in cp.stderr, show(cp)
    cp = fails(kubectl("patch", "clusterrolebinding", crb, "--type", "merge", "-p", '{"roleRef":{"name":"other"}}'))
    assert "roleRef: Invalid value" in cp.stderr and "cannot change roleRef" in cp.stderr, show(cp)
    ok(kubectl("delete", "clusterrolebinding", crb))
    ok(kubectl("delete", "clusterrole", cr))


def test_discovery_short_names(kubectl):
    out = ok(kubectl("api-resources", "-o", "wide")).stdout
    rows = {(r["NAME"], r["APIVERSION"]): r for r in parse_table(out)}
    assert rows[("persistentvolumes", "v1")]["SHORTNAMES"] == "pv"
    assert rows[("horizontalpodautoscalers", "autoscaling/v2")]["SHORTNAMES"] == "hpa"
    assert rows[("poddisruptionbudgets", "policy/v1")]["SHORTNAMES"] == "pdb"
    assert rows[("priorityclasses", "scheduling.k8s.io/v1")]["NAMESPACED"] == "false"
    assert rows[("events", "events.k8s.io/v1")]["SHORTNAMES"] == "ev"
