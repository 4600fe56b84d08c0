"""Issue 3, "Must show" 3: invalid objects of each kind get 422 Invalid with the field path in details.causes.

Every case POSTs one object that is valid except for one mistake and checks the Status exactly as
Kubernetes 1.32 reports it: HTTP 422, reason Invalid, details {name, group, kind}, the message
`<Kind>[.<group>] "<name>" is invalid: ...`, and a cause with the field path, the cause type
(FieldValueInvalid / Required / Duplicate / NotSupported) and, where it is stable, the detail text.
Afterwards nothing is stored (GET -> 404).
"""

from __future__ import annotations

import copy
import json

import pytest

from harness import assert_status, fails, show

INVALID, REQUIRED, DUPLICATE, NOT_SUPPORTED = ("FieldValueInvalid", "FieldValueRequired", "FieldValueDuplicate",
                                               "FieldValueNotSupported")


def pod_spec(**kw):
    spec = {"containers": [{"name": "app", "image": "nginx:1.14.2"}]}
    spec.update(kw)
    return spec


def template(labels=None, **spec_kw):
    return {"metadata": {"labels": labels or {"app": "web"}}, "spec": pod_spec(**spec_kw)}


def deployment(**spec):
    body = {"selector": {"matchLabels": {"app": "web"}}, "template": template()}
    body.update(spec)
    return {"apiVersion": "apps/v1", "kind": "Deployment", "spec": body}


def with_path(obj, path, value):
    """Copy of obj with obj[path...] = value (path is a list of keys/indices)."""
    obj = copy.deepcopy(obj)
    cur = obj
    for p in path[:-1]:
        cur = cur[p]
    cur[path[-1]] = value
    return obj


# id: (collection URL (NS substituted), body, kind, group, [(field, cause type, detail fragment or None)])
CASES = {
    "configmap-bad-key": (
        "/api/v1/namespaces/{ns}/configmaps",
        {"apiVersion": "v1", "kind": "ConfigMap", "data": {"bad key": "x"}},
        "ConfigMap", "", [("data[bad key]", INVALID, "a valid config key must consist of alphanumeric characters")]),
    "secret-tls-without-key": (
        "/api/v1/namespaces/{ns}/secrets",
        {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls", "data": {"tls.crt": "Y2VydA=="}},
        "Secret", "", [("data[tls.key]", REQUIRED, None)]),
    "core-event-namespace-mismatch": (
        "/api/v1/namespaces/{ns}/events",
        {"apiVersion": "v1", "kind": "Event", "reason": "Pulled", "message": "pulled", "type": "Normal",
         "involvedObject": {"apiVersion": "v1", "kind": "Pod", "name": "p", "namespace": "elsewhere"}},
        "Event", "", [("involvedObject.namespace", INVALID, "does not match event.namespace")]),
    "service-port-out-of-range": (
        "/api/v1/namespaces/{ns}/services",
        {"apiVersion": "v1", "kind": "Service",
         "spec": {"selector": {"app": "web"}, "ports": [{"port": 70000, "targetPort": 80}]}},
        "Service", "", [("spec.ports[0].port", INVALID, "Invalid value: 70000: must be between 1 and 65535, inclusive")]),
    "service-nodeport-out-of-range": (
        "/api/v1/namespaces/{ns}/services",
        {"apiVersion": "v1", "kind": "Service",
         "spec": {"type": "NodePort", "selector": {"app": "web"}, "ports": [{"port": 80, "nodePort": 80}]}},
        "Service", "", [("spec.ports[0].nodePort", INVALID, "Invalid value: 80")]),
    "deployment-selector-mismatch": (
        "/apis/apps/v1/namespaces/{ns}/deployments",
        deployment(template=template(labels={"app": "other"})),
        "Deployment", "apps",
        [("spec.template.metadata.labels", INVALID, "`selector` does not match template `labels`")]),
    "deployment-negative-replicas": (
        "/apis/apps/v1/namespaces/{ns}/deployments",
        deployment(replicas=-1),
        "Deployment", "apps", [("spec.replicas", INVALID, "Invalid value: -1: must be greater than or equal to 0")]),
    "deployment-duplicate-container": (
        "/apis/apps/v1/namespaces/{ns}/deployments",
        deployment(template=template(containers=[{"name": "app", "image": "nginx:1.14.2"},
                                                 {"name": "app", "image": "busybox:1.36"}])),
        "Deployment", "apps", [("spec.template.spec.containers[1].name", DUPLICATE, 'Duplicate value: "app"')]),
    "pod-duplicate-container": (
        "/api/v1/namespaces/{ns}/pods",
        {"apiVersion": "v1", "kind": "Pod",
         "spec": {"containers": [{"name": "app", "image": "nginx:1.14.2"}, {"name": "app", "image": "redis:7"}]}},
        "Pod", "", [("spec.containers[1].name", DUPLICATE, 'Duplicate value: "app"')]),
    "pod-without-image": (
        "/api/v1/namespaces/{ns}/pods",
        {"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [{"name": "app"}]}},
        "Pod", "", [("spec.containers[0].image", REQUIRED, "Required value")]),
    "replicaset-negative-replicas": (
        "/apis/apps/v1/namespaces/{ns}/replicasets",
        {"apiVersion": "apps/v1", "kind": "ReplicaSet",
         "spec": {"replicas": -2, "selector": {"matchLabels": {"app": "web"}}, "template": template()}},
        "ReplicaSet", "apps", [("spec.replicas", INVALID, "must be greater than or equal to 0")]),
    "replicationcontroller-selector-mismatch": (
        "/api/v1/namespaces/{ns}/replicationcontrollers",
        {"apiVersion": "v1", "kind": "ReplicationController",
         "spec": {"selector": {"app": "web"}, "template": template(labels={"app": "legacy"})}},
        "ReplicationController", "",
        [("spec.template.metadata.labels", INVALID, "`selector` does not match template `labels`")]),
    "statefulset-selector-mismatch": (
        "/apis/apps/v1/namespaces/{ns}/statefulsets",
        {"apiVersion": "apps/v1", "kind": "StatefulSet",
         "spec": {"serviceName": "db", "selector": {"matchLabels": {"app": "db"}}, "template": template()}},
        "StatefulSet", "apps",
        [("spec.template.metadata.labels", INVALID, "`selector` does not match template `labels`")]),
    "daemonset-restart-never": (
        "/apis/apps/v1/namespaces/{ns}/daemonsets",
        {"apiVersion": "apps/v1", "kind": "DaemonSet",
         "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": template(restartPolicy="Never")}},
        "DaemonSet", "apps",
        [("spec.template.spec.restartPolicy", NOT_SUPPORTED, 'Unsupported value: "Never": supported values: "Always"')]),
    "podtemplate-duplicate-container": (
        "/api/v1/namespaces/{ns}/podtemplates",
        {"apiVersion": "v1", "kind": "PodTemplate",
         "template": template(containers=[{"name": "w", "image": "busybox:1.36"},
                                          {"name": "w", "image": "busybox:1.36"}])},
        "PodTemplate", "", [("template.spec.containers[1].name", DUPLICATE, 'Duplicate value: "w"')]),
    "controllerrevision-without-data": (
        "/apis/apps/v1/namespaces/{ns}/controllerrevisions",
        {"apiVersion": "apps/v1", "kind": "ControllerRevision", "revision": 1},
        "ControllerRevision", "apps", [("data", REQUIRED, None)]),
    "job-restart-always": (
        "/apis/batch/v1/namespaces/{ns}/jobs",
        {"apiVersion": "batch/v1", "kind": "Job", "spec": {"template": {"spec": pod_spec(restartPolicy="Always")}}},
        "Job", "batch",
        # Kubernetes words this one as a Required error ("The Job "pi" is invalid: ...").
        [("spec.template.spec.restartPolicy", REQUIRED,
          'Required value: valid values: "OnFailure", "Never"')]),
    "cronjob-bad-schedule": (
        "/apis/batch/v1/namespaces/{ns}/cronjobs",
        {"apiVersion": "batch/v1", "kind": "CronJob",
         "spec": {"schedule": "not a schedule",
                  "jobTemplate": {"spec": {"template": {"spec": pod_spec(restartPolicy="OnFailure")}}}}},
        "CronJob", "batch", [("spec.schedule", INVALID, 'Invalid value: "not a schedule"')]),
    "pdb-min-and-max": (
        "/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets",
        {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
         "spec": {"minAvailable": 1, "maxUnavailable": 1, "selector": {"matchLabels": {"app": "web"}}}},
        "PodDisruptionBudget", "policy", [("spec", INVALID, "minAvailable and maxUnavailable cannot be both set")]),
    "pvc-without-access-modes": (
        "/api/v1/namespaces/{ns}/persistentvolumeclaims",
        {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
         "spec": {"resources": {"requests": {"storage": "1Gi"}}}},
        "PersistentVolumeClaim", "", [("spec.accessModes", REQUIRED, "at least 1 access mode is required")]),
    "pv-without-capacity": (
        "/api/v1/persistentvolumes",
        {"apiVersion": "v1", "kind": "PersistentVolume",
         "spec": {"accessModes": ["ReadWriteOnce"], "hostPath": {"path": "/mnt/x"}}},
        "PersistentVolume", "", [("spec.capacity", REQUIRED, None)]),
    "role-rule-without-verbs": (
        "/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles",
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
         "rules": [{"apiGroups": [""], "resources": ["pods"]}]},
        "Role", "rbac.authorization.k8s.io", [("rules[0].verbs", REQUIRED, "verbs must contain at least one value")]),
    "clusterrole-rule-without-verbs": (
        "/apis/rbac.authorization.k8s.io/v1/clusterroles",
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
         "rules": [{"apiGroups": [""], "resources": ["nodes"], "verbs": []}]},
        "ClusterRole", "rbac.authorization.k8s.io",
        [("rules[0].verbs", REQUIRED, "verbs must contain at least one value")]),
    "rolebinding-bad-roleref-kind": (
        "/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings",
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
         "subjects": [{"kind": "User", "name": "jane", "apiGroup": "rbac.authorization.k8s.io"}],
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Deployment", "name": "x"}},
        "RoleBinding", "rbac.authorization.k8s.io", [("roleRef.kind", NOT_SUPPORTED, 'Unsupported value: "Deployment"')]),
    "ingress-path-without-pathtype": (
        "/apis/networking.k8s.io/v1/namespaces/{ns}/ingresses",
        {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
         "spec": {"rules": [{"host": "shop.example.com", "http": {"paths": [
             {"path": "/", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}},
        "Ingress", "networking.k8s.io",
        [("spec.rules[0].http.paths[0].pathType", REQUIRED, "pathType must be specified")]),
    "ingressclass-without-controller": (
        "/apis/networking.k8s.io/v1/ingressclasses",
        {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "spec": {}},
        "IngressClass", "networking.k8s.io", [("spec.controller", REQUIRED, None)]),
    "networkpolicy-bad-protocol": (
        "/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies",
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
         "spec": {"podSelector": {}, "ingress": [{"ports": [{"protocol": "HTTP", "port": 80}]}]}},
        "NetworkPolicy", "networking.k8s.io",
        [("spec.ingress[0].ports[0].protocol", NOT_SUPPORTED, 'Unsupported value: "HTTP"')]),
    "hpa-max-below-min": (
        "/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers",
        {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
         "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                  "minReplicas": 5, "maxReplicas": 3}},
        "HorizontalPodAutoscaler", "autoscaling",
        [("spec.maxReplicas", INVALID, "must be greater than or equal to `minReplicas`")]),
    "endpointslice-bad-address-type": (
        "/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices",
        {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv7", "endpoints": []},
        "EndpointSlice", "discovery.k8s.io", [("addressType", NOT_SUPPORTED, 'Unsupported value: "IPv7"')]),
    "lease-zero-duration": (
        "/apis/coordination.k8s.io/v1/namespaces/{ns}/leases",
        {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
         "spec": {"holderIdentity": "me", "leaseDurationSeconds": 0}},
        "Lease", "coordination.k8s.io", [("spec.leaseDurationSeconds", INVALID, "must be greater than 0")]),
    "event-without-reporting-controller": (
        "/apis/events.k8s.io/v1/namespaces/{ns}/events",
        {"apiVersion": "events.k8s.io/v1", "kind": "Event", "eventTime": "2025-01-15T10:00:00.000000Z",
         "reportingInstance": "op-1", "action": "Scaling", "reason": "ScaledUp", "type": "Normal",
         "regarding": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "namespace": "{ns}"}},
        # events.k8s.io/v1 shares the core Event storage, whose internal kind is the core one: the Status may
        # name either group
        "Event", ("events.k8s.io", ""), [("reportingController", REQUIRED, None)]),
    "storageclass-bad-reclaim-policy": (
        "/apis/storage.k8s.io/v1/storageclasses",
        {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "provisioner": "rancher.io/local-path",
         "reclaimPolicy": "Keep"},
        "StorageClass", "storage.k8s.io", [("reclaimPolicy", NOT_SUPPORTED, 'Unsupported value: "Keep"')]),
    "resourcequota-negative-hard": (
        "/api/v1/namespaces/{ns}/resourcequotas",
        {"apiVersion": "v1", "kind": "ResourceQuota", "spec": {"hard": {"pods": "-1"}}},
        "ResourceQuota", "", [("spec.hard[pods]", INVALID, "must be greater than or equal to 0")]),
    "limitrange-min-above-max": (
        "/api/v1/namespaces/{ns}/limitranges",
        {"apiVersion": "v1", "kind": "LimitRange",
         "spec": {"limits": [{"type": "Container", "min": {"cpu": "2"}, "max": {"cpu": "1"}}]}},
        "LimitRange", "", [("spec.limits[0].min[cpu]", INVALID, None)]),
    "serviceaccount-bad-name": (
        "/api/v1/namespaces/{ns}/serviceaccounts",
        {"apiVersion": "v1", "kind": "ServiceAccount"},
        "ServiceAccount", "", [("metadata.name", INVALID, "a lowercase RFC 1123 subdomain")]),
    "priorityclass-bad-name": (
        "/apis/scheduling.k8s.io/v1/priorityclasses",
        {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "value": 10},
        "PriorityClass", "scheduling.k8s.io", [("metadata.name", INVALID, "a lowercase RFC 1123 subdomain")]),
}

# Cases whose whole point is the object's name.
BAD_NAMES = {"serviceaccount-bad-name": "Bad_Name", "priorityclass-bad-name": "Low_Priority"}
CLUSTER_URLS = ("/api/v1/persistentvolumes", "/apis/rbac.authorization.k8s.io/v1/clusterroles",
                "/apis/networking.k8s.io/v1/ingressclasses", "/apis/storage.k8s.io/v1/storageclasses",
                "/apis/scheduling.k8s.io/v1/priorityclasses")


def _fill_ns(obj, ns):
    return json.loads(json.dumps(obj).replace('"{ns}"', json.dumps(ns)))


@pytest.mark.parametrize("case", sorted(CASES))
def test_invalid_object_rejected(http, ns, case):
    url_tpl, body, kind, group, expected = CASES[case]
    url = url_tpl.format(ns=ns)
    name = BAD_NAMES.get(case, f"e2e3-{case}"[:60].rstrip("-"))
    body = _fill_ns(copy.deepcopy(body), ns)
    body.setdefault("metadata", {})["name"] = name

    r = http.post_json(url, body)
    st = assert_status(r, 422, "Invalid")
    details = st.get("details") or {}
    assert details.get("name") == name, st
    assert details.get("kind") == kind, st
    groups = group if isinstance(group, tuple) else (group,)
    assert (details.get("group") or "") in groups, st
    got_group = details.get("group") or ""
    qualified = f"{kind}.{got_group}" if got_group else kind
    assert st["message"].startswith(f'{qualified} "{name}" is invalid: '), st["message"]

    causes = details.get("causes") or []
    for field, ctype, fragment in expected:
        matching = [c for c in causes if c.get("field") == field]
        assert matching, f"no cause for {field!r}; causes: {json.dumps(causes, indent=1)}"
        assert any(c.get("reason") == ctype for c in matching), f"{field}: want {ctype}, got {matching}"
        if fragment:
            assert any(fragment in (c.get("message") or "") for c in matching), f"{field}: {fragment!r} not in {matching}"
            assert fragment in st["message"], st["message"]
        assert f"{field}: " in st["message"], st["message"]

    # nothing was stored
    item = f"{url}/{name}"
    g = http.get(item)
    assert g.status_code == 404, f"GET {item} after a rejected create: {g.status_code} {g.text[:300]}"
    if url_tpl in CLUSTER_URLS:  # cluster-scoped: make sure it is not listed either
        lst = http.get(url)
        assert lst.status_code == 200, lst.text[:300]
        assert name not in [i["metadata"]["name"] for i in lst.json().get("items", [])]


def test_kubectl_prints_the_field_error(kubectl, ns, tmp_path):
    """kubectl shows the server's Status message verbatim, as on Kubernetes."""
    f = tmp_path / "svc.yaml"
    f.write_text(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: bad-port\nspec:\n  selector:\n    app: web\n"
        "  ports:\n  - port: 70000\n    targetPort: 80\n")
    cp = fails(kubectl("-n", ns, "apply", "-f", str(f)))
    assert ('The Service "bad-port" is invalid: spec.ports[0].port: Invalid value: 70000: '
            "must be between 1 and 65535, inclusive") in cp.stderr, show(cp)
    cp = fails(kubectl("-n", ns, "get", "service", "bad-port"))
    assert 'services "bad-port" not found' in cp.stderr, show(cp)


def test_update_to_invalid_is_rejected_and_object_kept(http, ns):
    """An update that breaks validation is refused with 422 and the stored object is unchanged."""
    url = f"/apis/apps/v1/namespaces/{ns}/deployments"
    body = deployment()
    body["metadata"] = {"name": "web"}
    r = http.post_json(url, body)
    assert r.status_code == 201, r.text[:500]
    created = r.json()
    bad = with_path(created, ["spec", "template", "spec", "containers", 0, "image"], "")
    bad["metadata"].pop("resourceVersion", None)  # unconditional: the deployment controller writes status meanwhile
    r = http.put(f"{url}/web", data=json.dumps(bad), headers={"Content-Type": "application/json"})
    st = assert_status(r, 422, "Invalid")
    fields = [c.get("field") for c in st["details"].get("causes", [])]
    assert "spec.template.spec.containers[0].image" in fields, st
    r = http.patch(f"{url}/web", data=json.dumps({"spec": {"replicas": -3}}),
                   headers={"Content-Type": "application/merge-patch+json"})
    st = assert_status(r, 422, "Invalid")
    assert "spec.replicas" in [c.get("field") for c in st["details"].get("causes", [])], st
    now = http.get(f"{url}/web").json()
    # (the deployment controller writes status meanwhile: spec and generation tell whether it changed)
    assert (now["spec"], now["metadata"]["generation"]) == (created["spec"], created["metadata"]["generation"]), now["metadata"]
    assert now["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.14.2"


def test_every_error_is_reported_at_once(http, ns):
    """Validation returns every field error, not just the first one."""
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "many-errors"},
            "spec": {"containers": [{"name": "a"}, {"name": "a", "image": "nginx:1.14.2",
                                                     "ports": [{"containerPort": 70000}]}],
                     "restartPolicy": "Sometimes"}}
    r = http.post_json(f"/api/v1/namespaces/{ns}/pods", body)
    st = assert_status(r, 422, "Invalid")
    got = {(c.get("field"), c.get("reason")) for c in st["details"].get("causes", [])}
    want = {("spec.containers[0].image", REQUIRED), ("spec.containers[1].name", DUPLICATE),
            ("spec.containers[1].ports[0].containerPort", INVALID), ("spec.restartPolicy", NOT_SUPPORTED)}
    assert want <= got, f"missing {want - got}; got {got}"
