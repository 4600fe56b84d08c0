"""Issue 3, "Must show" 1: real-world manifests of every built-in kind apply unchanged and read back intact.

The manifests in tests/e2e/manifests/ are applied file by file with client-side `kubectl apply` into the
namespace e2e-manifests on a server of this module's own (the files also hold cluster-scoped objects with
fixed names). Then, for every object:
  * `kubectl get -o json` returns every field applied (k8s_compare.assert_subset),
  * Kubernetes' defaults for that kind are filled in (DEFAULTS below, checked against the API reference),
  * `kubectl describe` exits 0 and names the object.
And: a second apply reports every object "unchanged", `kubectl get all` lists workloads and services,
the official Python client reads every kind into its typed models, and the HPA reads back as autoscaling/v1.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
import yaml

from harness import Server, show
from k8s_compare import ABSENT, assert_subset, check_expectation, in_cidr, in_range, quantities_equal

MANIFESTS = Path(__file__).resolve().parent / "manifests"
NS = "e2e-manifests"
SERVICE_CIDR = "10.43.0.0/16"
NODE_PORTS = in_range(30000, 32767)


# ----------------------------------------------------------------------------- manifest inventory
def _load():
    objs = []
    for f in sorted(MANIFESTS.glob("*.yaml")):
        for doc in yaml.safe_load_all(f.read_text()):
            if doc:
                objs.append((f.name, doc))
    return objs


OBJECTS = _load()

CLUSTER_SCOPED = {"Namespace", "Node", "PersistentVolume", "StorageClass", "PriorityClass", "IngressClass",
                  "ClusterRole", "ClusterRoleBinding"}


def _gv(obj):
    av = obj["apiVersion"]
    return av.split("/", 1) if "/" in av else ("", av)


def kubectl_ref(obj) -> str:
    """`kind.version.group/name`, which kubectl resolves unambiguously (plain `kind/name` for core)."""
    group, version = _gv(obj)
    kind = obj["kind"].lower()
    if not group:
        return f"{kind}/{obj['metadata']['name']}"
    return f"{kind}.{version}.{group}/{obj['metadata']['name']}"


def obj_id(obj) -> str:
    group, _ = _gv(obj)
    return f"{obj['kind']}{'.' + group if group else ''}/{obj['metadata']['name']}"


def api_path(obj) -> str:
    group, version = _gv(obj)
    base = f"/api/{version}" if not group else f"/apis/{group}/{version}"
    plural = PLURALS[obj["kind"]]
    name = obj["metadata"]["name"]
    if obj["kind"] in CLUSTER_SCOPED:
        return f"{base}/{plural}/{name}"
    return f"{base}/namespaces/{NS}/{plural}/{name}"


PLURALS = {
    "Namespace": "namespaces", "Node": "nodes", "ConfigMap": "configmaps", "Secret": "secrets",
    "ServiceAccount": "serviceaccounts",
    "PriorityClass": "priorityclasses", "StorageClass": "storageclasses", "PersistentVolume": "persistentvolumes",
    "PersistentVolumeClaim": "persistentvolumeclaims", "Pod": "pods", "PodTemplate": "podtemplates",
    "ReplicationController": "replicationcontrollers", "ReplicaSet": "replicasets", "Deployment": "deployments",
    "Service": "services", "StatefulSet": "statefulsets", "DaemonSet": "daemonsets", "Job": "jobs",
    "CronJob": "cronjobs", "ControllerRevision": "controllerrevisions", "Endpoints": "endpoints",
    "EndpointSlice": "endpointslices", "IngressClass": "ingressclasses", "Ingress": "ingresses",
    "NetworkPolicy": "networkpolicies", "HorizontalPodAutoscaler": "horizontalpodautoscalers",
    "PodDisruptionBudget": "poddisruptionbudgets", "Role": "roles", "RoleBinding": "rolebindings",
    "ClusterRole": "clusterroles", "ClusterRoleBinding": "clusterrolebindings", "Lease": "leases", "Event": "events",
    "LimitRange": "limitranges", "ResourceQuota": "resourcequotas",
}


# ----------------------------------------------------------------------------- Kubernetes' defaults
def _cluster_ips_match(v, obj):
    return v == [obj["spec"]["clusterIP"]]


_cluster_ips_match.wants_object = True
_cluster_ips_match.__name__ = "== [spec.clusterIP]"


def _uid_of_object(v, obj):
    return v == obj["metadata"]["uid"]


_uid_of_object.wants_object = True
_uid_of_object.__name__ = "== metadata.uid"


def _other_node_port(v, obj):
    return NODE_PORTS(v) and v != 30080


_other_node_port.wants_object = True
_other_node_port.__name__ = "a node port in 30000-32767 other than 30080"

PROBE_DEFAULTS = {"timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3, "periodSeconds": 10}


def _container_defaults(prefix: str, pull: str = "IfNotPresent") -> dict:
    return {
        f"{prefix}.terminationMessagePath": "/dev/termination-log",
        f"{prefix}.terminationMessagePolicy": "File",
        f"{prefix}.imagePullPolicy": pull,
    }


def _pod_spec_defaults(prefix: str, restart: str = "Always", grace: int = 30) -> dict:
    return {
        f"{prefix}.restartPolicy": restart,
        f"{prefix}.dnsPolicy": "ClusterFirst",
        f"{prefix}.schedulerName": "default-scheduler",
        f"{prefix}.terminationGracePeriodSeconds": grace,
        f"{prefix}.securityContext": lambda v: isinstance(v, dict),
    }


def _probe(prefix: str, **overrides) -> dict:
    vals = {**PROBE_DEFAULTS, **overrides}
    return {f"{prefix}.{k}": v for k, v in vals.items()}


# (kind, name) -> {path: expected}; expected is a value, ABSENT, or a predicate.
# Sources: the Kubernetes v1.32 API reference (field descriptions "Defaults to ...") and the v1 defaulting
# functions (SetDefaults_PodSpec, _Container, _Probe, _HTTPGetAction, _Service, _Job, _CronJob, _StatefulSet,
# _DaemonSet, _Deployment, _HorizontalPodAutoscaler (v2), _LimitRangeItem, _Subject, _PriorityClass, ...).
def _replicas_1_or_hpa_min_2(v):
    return v in (1, 2) and type(v) is int


DEFAULTS: dict[tuple[str, str], dict] = {
    ("Namespace", NS): {
        '["metadata"]["labels"]["kubernetes.io/metadata.name"]': NS,
        "spec.finalizers": ["kubernetes"],
        "status.phase": "Active",
    },
    ("Secret", "registry-token"): {"stringData": ABSENT},
    ("PriorityClass", "storefront-high"): {"preemptionPolicy": "PreemptLowerPriority"},
    ("StorageClass", "fast-local"): {"reclaimPolicy": "Delete", "volumeBindingMode": "Immediate"},
    ("PersistentVolume", "pv-orders-0001"): {"spec.persistentVolumeReclaimPolicy": "Retain",
                                             "spec.volumeMode": "Filesystem"},
    ("PersistentVolumeClaim", "media-uploads"): {"spec.volumeMode": "Filesystem"},
    ("Pod", "storefront"): {
        **_pod_spec_defaults("spec"),
        "spec.enableServiceLinks": True,
        "status.qosClass": "Burstable",  # computed on create
        **_container_defaults("spec.initContainers[0]"),
        **_container_defaults("spec.initContainers[1]"),
        **_container_defaults("spec.containers[0]"),
        **_container_defaults("spec.containers[1]"),
        "spec.containers[1].ports[0].protocol": "TCP",
        "spec.containers[0].env[2].valueFrom.fieldRef.apiVersion": "v1",
        "spec.containers[0].livenessProbe.httpGet.scheme": "HTTP",
        "spec.containers[0].livenessProbe.successThreshold": 1,
        **_probe("spec.containers[0].readinessProbe", periodSeconds=5),
        **_probe("spec.containers[0].startupProbe", periodSeconds=2, failureThreshold=30),
        **_probe("spec.containers[1].readinessProbe"),
        "spec.volumes[0].configMap.defaultMode": 420,
        "spec.volumes[3].secret.defaultMode": 288,
        "spec.volumes[4].downwardAPI.defaultMode": 420,
        "spec.volumes[4].downwardAPI.items[0].fieldRef.apiVersion": "v1",
        "spec.volumes[5].projected.sources[2].downwardAPI.items[0].fieldRef.apiVersion": "v1",
    },
    ("Pod", "toolbox"): {
        **_pod_spec_defaults("spec", restart="Never", grace=5),
        "status.qosClass": "BestEffort",
        **_container_defaults("spec.containers[0]", pull="Always"),   # busybox (no tag)
        **_container_defaults("spec.containers[1]", pull="Always"),   # alpine:latest
        **_container_defaults("spec.containers[2]", pull="IfNotPresent"),  # nginx@sha256:...
    },
    ("PodTemplate", "batch-worker"): {
        **_pod_spec_defaults("template.spec"),
        **_container_defaults("template.spec.containers[0]"),
    },
    ("ReplicationController", "legacy-nginx"): {
        "spec.selector": {"app": "legacy-nginx"},
        "metadata.labels": {"app": "legacy-nginx"},
        **_pod_spec_defaults("spec.template.spec"),
        **_container_defaults("spec.template.spec.containers[0]"),
        "spec.template.spec.containers[0].ports[0].protocol": "TCP",
    },
    ("ReplicaSet", "guestbook-frontend"): {
        "spec.replicas": 1,
        **_pod_spec_defaults("spec.template.spec"),
        **_container_defaults("spec.template.spec.containers[0]"),
    },
    ("Deployment", "web"): {
        # Defaulted to 1; the HPA `web` (minReplicas 2, 40-autoscaling-rbac.yaml) then raises it to 2, as in Kubernetes.
        "spec.replicas": _replicas_1_or_hpa_min_2,
        "spec.strategy.type": "RollingUpdate",
        "spec.strategy.rollingUpdate.maxSurge": "25%",
        "spec.strategy.rollingUpdate.maxUnavailable": "25%",
        "spec.revisionHistoryLimit": 10,
        "spec.progressDeadlineSeconds": 600,
        **_pod_spec_defaults("spec.template.spec"),
        **_container_defaults("spec.template.spec.containers[0]"),
        "spec.template.spec.containers[0].ports[0].protocol": "TCP",
        "spec.template.spec.containers[0].readinessProbe.httpGet.scheme": "HTTP",
        **_probe("spec.template.spec.containers[0].readinessProbe"),
        **_probe("spec.template.spec.containers[0].livenessProbe", periodSeconds=20),
    },
    ("Service", "redis"): {
        "spec.type": "ClusterIP",
        "spec.clusterIP": "None",
        "spec.clusterIPs": ["None"],
        "spec.sessionAffinity": "None",
        "spec.ipFamilies": ["IPv4"],
        "spec.ipFamilyPolicy": "SingleStack",
        "spec.ports[0].protocol": "TCP",
        "spec.ports[0].targetPort": 6379,
    },
    ("StatefulSet", "redis"): {
        "spec.podManagementPolicy": "OrderedReady",
        "spec.updateStrategy.type": "RollingUpdate",
        "spec.updateStrategy.rollingUpdate.partition": 0,
        "spec.revisionHistoryLimit": 10,
        "spec.persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
        "spec.volumeClaimTemplates[0].spec.volumeMode": "Filesystem",
        **_pod_spec_defaults("spec.template.spec", grace=10),
        **_container_defaults("spec.template.spec.containers[0]"),
        **_probe("spec.template.spec.containers[0].readinessProbe"),
    },
    ("DaemonSet", "fluent-bit"): {
        "spec.updateStrategy.type": "RollingUpdate",
        "spec.updateStrategy.rollingUpdate.maxUnavailable": 1,
        "spec.updateStrategy.rollingUpdate.maxSurge": 0,
        "spec.revisionHistoryLimit": 10,
        **_pod_spec_defaults("spec.template.spec"),
        **_container_defaults("spec.template.spec.containers[0]"),
    },
    ("Job", "db-migrate"): {
        "spec.backoffLimit": 6,
        "spec.completions": 1,
        "spec.parallelism": 1,
        "spec.completionMode": "NonIndexed",
        "spec.suspend": False,
        "spec.podReplacementPolicy": "TerminatingOrFailed",
        '["spec"]["selector"]["matchLabels"]["batch.kubernetes.io/controller-uid"]': _uid_of_object,
        '["spec"]["template"]["metadata"]["labels"]["batch.kubernetes.io/controller-uid"]': _uid_of_object,
        '["spec"]["template"]["metadata"]["labels"]["batch.kubernetes.io/job-name"]': "db-migrate",
        '["spec"]["template"]["metadata"]["labels"]["controller-uid"]': _uid_of_object,
        '["spec"]["template"]["metadata"]["labels"]["job-name"]': "db-migrate",
        **_pod_spec_defaults("spec.template.spec", restart="Never"),
        **_container_defaults("spec.template.spec.containers[0]"),
    },
    ("CronJob", "nightly-report"): {
        "spec.concurrencyPolicy": "Allow",
        "spec.suspend": False,
        "spec.successfulJobsHistoryLimit": 3,
        "spec.failedJobsHistoryLimit": 1,
        **_pod_spec_defaults("spec.jobTemplate.spec.template.spec", restart="OnFailure"),
        **_container_defaults("spec.jobTemplate.spec.template.spec.containers[0]"),
    },
    ("Service", "web"): {
        "spec.type": "ClusterIP",
        "spec.sessionAffinity": "None",
        "spec.clusterIP": in_cidr(SERVICE_CIDR),
        "spec.clusterIPs": _cluster_ips_match,
        "spec.ipFamilies": ["IPv4"],
        "spec.ipFamilyPolicy": "SingleStack",
        "spec.internalTrafficPolicy": "Cluster",
        "spec.ports[0].protocol": "TCP",
        "spec.ports[0].targetPort": "http",
        "spec.ports[1].protocol": "TCP",
        "spec.ports[1].targetPort": 443,
    },
    ("Service", "web-nodeport"): {
        "spec.sessionAffinity": "None",
        "spec.clusterIP": in_cidr(SERVICE_CIDR),
        "spec.clusterIPs": _cluster_ips_match,
        "spec.externalTrafficPolicy": "Cluster",
        "spec.ports[0].nodePort": 30080,
        "spec.ports[0].protocol": "TCP",
        "spec.ports[1].nodePort": _other_node_port,
        "spec.ports[1].targetPort": 9113,
    },
    ("Service", "web-lb"): {
        "spec.clusterIP": in_cidr(SERVICE_CIDR),
        "spec.externalTrafficPolicy": "Cluster",
        "spec.allocateLoadBalancerNodePorts": True,
        "spec.ports[0].nodePort": NODE_PORTS,
        "spec.ports[0].protocol": "TCP",
        "spec.ipFamilies": ["IPv4"],
    },
    ("Service", "payments-api"): {
        "spec.sessionAffinity": "None",
        "spec.clusterIP": ABSENT,
        "spec.clusterIPs": ABSENT,
        "spec.ipFamilies": ABSENT,
    },
    ("Service", "external-db"): {
        "spec.type": "ClusterIP",
        "spec.clusterIP": in_cidr(SERVICE_CIDR),
        "spec.ports[0].protocol": "TCP",
    },
    ("Endpoints", "external-db"): {"subsets[0].ports[0].protocol": "TCP"},
    ("EndpointSlice", "external-db-1"): {"ports[0].protocol": "TCP"},
    ("NetworkPolicy", "web-allow-frontend"): {
        "spec.policyTypes": ["Ingress", "Egress"],
        "spec.ingress[0].ports[1].protocol": "TCP",
    },
    ("HorizontalPodAutoscaler", "web"): {
        "spec.behavior.scaleUp": {
            "stabilizationWindowSeconds": 0, "selectPolicy": "Max",
            "policies": [{"type": "Pods", "value": 4, "periodSeconds": 15},
                         {"type": "Percent", "value": 100, "periodSeconds": 15}],
        },
        "spec.behavior.scaleDown.selectPolicy": "Max",
    },
    ("HorizontalPodAutoscaler", "redis"): {
        "spec.minReplicas": 1,
        "spec.metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
            "type": "Utilization", "averageUtilization": 80}}}],
    },
    # SetDefaults_Subject: User and Group subjects get apiGroup rbac.authorization.k8s.io.
    ("RoleBinding", "storefront-config-reader"): {"subjects[2].apiGroup": "rbac.authorization.k8s.io"},
    ("LimitRange", "max-only"): {
        "spec.limits[0].default": quantities_equal({"cpu": "1", "memory": "512Mi"}),
        "spec.limits[0].defaultRequest": quantities_equal({"cpu": "1", "memory": "512Mi"}),
    },
}


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def mserver(swiftlet_bin, tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("manifests"), name="manifests")
    try:
        s.start()
    except AssertionError as e:
        s.kill()
        pytest.fail(str(e), pytrace=False)
    yield s
    s.stop()
    s.kill()


@pytest.fixture(scope="module")
def applied(mserver):
    """Apply every manifest file in order; {file name: CompletedProcess}. Failures are reported per object."""
    results = {}
    for f in sorted(MANIFESTS.glob("*.yaml")):
        results[f.name] = mserver.kubectl("apply", "-n", NS, "-f", str(f), timeout=90)
    return results


@pytest.fixture(scope="module")
def mhttp(mserver):
    h = mserver.session()
    yield h
    h.close()


def _live(mserver, applied, fname, obj) -> dict:
    cp = mserver.kubectl("get", "-n", NS, kubectl_ref(obj), "-o", "json")
    assert cp.returncode == 0, (
        f"{obj_id(obj)} could not be read back.\n{show(cp)}\n"
        f"--- apply of {fname} ---\n{show(applied[fname])}"
    )
    import json

    return json.loads(cp.stdout)


def _expected_manifest(obj) -> dict:
    """The applied manifest as the server must return it (Secret stringData is merged into data)."""
    obj = dict(obj)
    if obj["kind"] == "Secret" and "stringData" in obj:
        data = dict(obj.get("data") or {})
        for k, v in obj.pop("stringData").items():
            data[k] = base64.b64encode(v.encode()).decode()
        obj["data"] = data
    return obj


PARAMS = [pytest.param(f, o, id=obj_id(o)) for f, o in OBJECTS]


# ----------------------------------------------------------------------------- per-object checks
@pytest.mark.parametrize("fname,obj", PARAMS)
def test_applied_fields_returned(mserver, applied, fname, obj):
    live = _live(mserver, applied, fname, obj)
    assert live.get("apiVersion") == obj["apiVersion"] and live.get("kind") == obj["kind"], live
    assert_subset(_expected_manifest(obj), live, obj_id(obj))
    meta = live["metadata"]
    assert meta.get("uid") and meta.get("resourceVersion") and meta.get("creationTimestamp"), meta
    if obj["kind"] in CLUSTER_SCOPED:
        assert "namespace" not in meta, f"cluster-scoped {obj_id(obj)} has metadata.namespace: {meta}"
    else:
        assert meta.get("namespace") == NS, meta
    assert "kubectl.kubernetes.io/last-applied-configuration" in (meta.get("annotations") or {}), meta


DEFAULT_PARAMS = [
    pytest.param(f, o, id=obj_id(o)) for f, o in OBJECTS if (o["kind"], o["metadata"]["name"]) in DEFAULTS
]


def test_defaults_table_names_real_objects():
    known = {(o["kind"], o["metadata"]["name"]) for _, o in OBJECTS}
    assert set(DEFAULTS) <= known, set(DEFAULTS) - known


@pytest.mark.parametrize("fname,obj", DEFAULT_PARAMS)
def test_kubernetes_defaults(mserver, applied, fname, obj):
    live = _live(mserver, applied, fname, obj)
    problems = [m for path, exp in DEFAULTS[(obj["kind"], obj["metadata"]["name"])].items()
                if (m := check_expectation(live, path, exp))]
    assert not problems, f"{obj_id(obj)} defaults:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("fname,obj", PARAMS)
def test_describe(mserver, applied, fname, obj):
    cp = mserver.kubectl("describe", "-n", NS, kubectl_ref(obj))
    assert cp.returncode == 0, show(cp)
    assert re.search(rf"^Name:\s+{re.escape(obj['metadata']['name'])}\s*$", cp.stdout, re.M), show(cp)


# ----------------------------------------------------------------------------- whole-set checks
def test_every_kind_of_issue_3_is_covered():
    kinds = {(o["apiVersion"], o["kind"]) for _, o in OBJECTS}
    want = {
        ("v1", "Pod"), ("v1", "Service"), ("v1", "Endpoints"), ("v1", "ServiceAccount"), ("v1", "PersistentVolume"),
        ("v1", "PersistentVolumeClaim"), ("v1", "LimitRange"), ("v1", "ResourceQuota"), ("v1", "PodTemplate"),
        ("v1", "ReplicationController"), ("v1", "ConfigMap"), ("v1", "Secret"), ("v1", "Namespace"), ("v1", "Event"),
        ("v1", "Node"),
        ("apps/v1", "Deployment"), ("apps/v1", "ReplicaSet"), ("apps/v1", "StatefulSet"), ("apps/v1", "DaemonSet"),
        ("apps/v1", "ControllerRevision"), ("batch/v1", "Job"), ("batch/v1", "CronJob"),
        ("autoscaling/v2", "HorizontalPodAutoscaler"), ("networking.k8s.io/v1", "Ingress"),
        ("networking.k8s.io/v1", "IngressClass"), ("networking.k8s.io/v1", "NetworkPolicy"),
        ("discovery.k8s.io/v1", "EndpointSlice"), ("coordination.k8s.io/v1", "Lease"),
        ("events.k8s.io/v1", "Event"), ("policy/v1", "PodDisruptionBudget"), ("scheduling.k8s.io/v1", "PriorityClass"),
        ("storage.k8s.io/v1", "StorageClass"), ("rbac.authorization.k8s.io/v1", "Role"),
        ("rbac.authorization.k8s.io/v1", "RoleBinding"), ("rbac.authorization.k8s.io/v1", "ClusterRole"),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    }
    assert want <= kinds, want - kinds
    svc_types = {o["spec"].get("type", "ClusterIP") + ("/headless" if o["spec"].get("clusterIP") == "None" else "")
                 for _, o in OBJECTS if o["kind"] == "Service"}
    assert svc_types >= {"ClusterIP", "ClusterIP/headless", "NodePort", "LoadBalancer", "ExternalName"}, svc_types


def _dropped_fields(a, b, path, out):
    if isinstance(a, dict):
        if not isinstance(b, dict):
            out.append(f"{path}: not an object in the typed model")
            return
        for k, v in a.items():
            if k not in b:
                out.append(f"{path}.{k}")
            else:
                _dropped_fields(v, b[k], f"{path}.{k}", out)
    elif isinstance(a, list):
        if not isinstance(b, list) or len(a) != len(b):
            out.append(f"{path}: list changed")
            return
        for i, (x, y) in enumerate(zip(a, b)):
            _dropped_fields(x, y, f"{path}[{i}]", out)


def test_manifests_use_only_real_kubernetes_fields():
    """Self-check of the manifests (no server): each one round-trips through the official Python client's
    typed model for its kind (which knows every v1.32 field and its required fields) without losing a key,
    so a typo in a manifest cannot hide behind a lenient server."""
    from kubernetes import client

    api = client.ApiClient()
    models = {("v1", "Event"): "CoreV1Event", ("events.k8s.io/v1", "Event"): "EventsV1Event",
              ("autoscaling/v2", "HorizontalPodAutoscaler"): "V2HorizontalPodAutoscaler"}
    dropped = []
    for _, obj in OBJECTS:
        model = models.get((obj["apiVersion"], obj["kind"]), "V1" + obj["kind"])
        typed = api._ApiClient__deserialize(obj, model)  # raises on a missing required field
        back = api.sanitize_for_serialization(typed)
        src = {k: v for k, v in obj.items() if not (obj["kind"] == "ControllerRevision" and k == "data")}
        _dropped_fields(src, back, obj_id(obj), dropped)
    assert not dropped, "fields unknown to the Kubernetes v1.32 models:\n  " + "\n  ".join(dropped)


def test_apply_is_clean(applied):
    bad = {f: show(cp) for f, cp in applied.items() if cp.returncode != 0 or cp.stderr.strip()}
    assert not bad, "kubectl apply reported errors or warnings:\n" + "\n".join(bad.values())
    out = "".join(cp.stdout for cp in applied.values())
    for _, obj in OBJECTS:
        group, _ = _gv(obj)
        res = obj["kind"].lower() + (f".{group}" if group else "")
        assert f"{res}/{obj['metadata']['name']} created" in out, f"{obj_id(obj)} not created:\n{out}"


def test_reapply_reports_unchanged(mserver, applied):
    """A second apply of the same files computes an empty patch for every object: nothing applied was
    dropped, renamed or rewritten by the server (the one exception is a Secret's stringData)."""
    problems = []
    for f in sorted(MANIFESTS.glob("*.yaml")):
        cp = mserver.kubectl("apply", "-n", NS, "-f", str(f), timeout=90)
        lines = [l for l in cp.stdout.splitlines() if l.strip()]
        # kubectl's three-way patch re-sends, as on Kubernetes, what the server changed inside a list it
        # treats as atomic or a map with the "replace" strategy: stringData is never stored; admission
        # adds the default not-ready toleration to a pod that lists tolerations; a StatefulSet's
        # volumeClaimTemplates, endpoint/slice/network-policy ports (protocol TCP), RoleBinding subjects
        # (apiGroup) and LimitRange limits (default/defaultRequest) come back defaulted; a PDB selector
        # is always replaced whole.
        resent = {f"{o} configured" for o in [
            "secret/registry-token", "pod/storefront", "statefulset.apps/redis", "endpoints/external-db",
            "endpointslice.discovery.k8s.io/external-db-1", "networkpolicy.networking.k8s.io/web-allow-frontend",
            "poddisruptionbudget.policy/web-pdb", "poddisruptionbudget.policy/redis-pdb",
            "rolebinding.rbac.authorization.k8s.io/storefront-config-reader", "limitrange/max-only"]}
        changed = [l for l in lines if not l.endswith(" unchanged") and l not in resent]
        if cp.returncode != 0 or changed or cp.stderr.strip():
            problems.append(show(cp))
    assert not problems, "\n".join(problems)


def test_get_all_lists_workloads_and_services(mserver, applied):
    cp = mserver.kubectl("get", "all", "-n", NS)
    assert cp.returncode == 0, show(cp)
    out = cp.stdout
    for ref in ["pod/storefront", "pod/toolbox", "service/web", "service/web-nodeport", "service/web-lb",
                "service/payments-api", "service/redis", "service/external-db", "replicationcontroller/legacy-nginx",
                "deployment.apps/web", "replicaset.apps/guestbook-frontend", "statefulset.apps/redis",
                "daemonset.apps/fluent-bit", "job.batch/db-migrate", "cronjob.batch/nightly-report",
                "horizontalpodautoscaler.autoscaling/web", "horizontalpodautoscaler.autoscaling/redis"]:
        assert re.search(rf"^{re.escape(ref)}\s", out, re.M), f"{ref} missing from get all\n{show(cp)}"
    for ref in ["configmap/", "secret/", "ingress", "persistentvolumeclaim/", "lease"]:
        assert ref not in out, f"{ref} is not in the 'all' category\n{show(cp)}"
    # The service table: TYPE, CLUSTER-IP and PORT(S) as Kubernetes prints them.
    svc = re.search(r"^service/web-nodeport\s+NodePort\s+(\S+)\s+<none>\s+80:30080/TCP,9113:(\d+)/TCP\s", out, re.M)
    assert svc, show(cp)
    assert in_cidr(SERVICE_CIDR)(svc.group(1)), svc.group(0)
    assert re.search(r"^service/redis\s+ClusterIP\s+None\s+<none>\s+6379/TCP\s", out, re.M), show(cp)
    assert re.search(r"^service/payments-api\s+ExternalName\s+<none>\s+api\.payments\.example\.com\s", out,
                     re.M), show(cp)


def test_hpa_readable_as_autoscaling_v1(mhttp, applied):
    r = mhttp.get(f"/apis/autoscaling/v1/namespaces/{NS}/horizontalpodautoscalers/web")
    assert r.status_code == 200, r.text[:500]
    v1 = r.json()
    assert v1["apiVersion"] == "autoscaling/v1" and v1["kind"] == "HorizontalPodAutoscaler", v1
    assert v1["spec"]["targetCPUUtilizationPercentage"] == 70, v1["spec"]
    assert v1["spec"]["minReplicas"] == 2 and v1["spec"]["maxReplicas"] == 10, v1["spec"]
    assert v1["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}, v1["spec"]
    assert "metrics" not in v1["spec"], v1["spec"]
    r2 = mhttp.get(f"/apis/autoscaling/v2/namespaces/{NS}/horizontalpodautoscalers/web")
    assert r2.status_code == 200, r2.text[:300]
    assert r2.json()["metadata"]["uid"] == v1["metadata"]["uid"], "v1 and v2 must be one object"
    # The defaulted one: only the CPU default, so v1 shows 80%.
    r3 = mhttp.get(f"/apis/autoscaling/v1/namespaces/{NS}/horizontalpodautoscalers/redis")
    assert r3.status_code == 200, r3.text[:300]
    assert r3.json()["spec"]["targetCPUUtilizationPercentage"] == 80, r3.json()["spec"]


def test_events_k8s_io_event_visible_as_core_event(mhttp, applied):
    """events.k8s.io/v1 and core/v1 serve one Event store: regarding <-> involvedObject, note <-> message."""
    r = mhttp.get(f"/api/v1/namespaces/{NS}/events/web.17a3b2c1d0e9f8a7")
    assert r.status_code == 200, r.text[:500]
    ev = r.json()
    assert ev["involvedObject"]["kind"] == "Deployment" and ev["involvedObject"]["name"] == "web", ev
    assert ev["message"] == "Scaled deployment web from 1 to 3 replicas", ev
    assert ev["reason"] == "ScaledUp" and ev["action"] == "Scaling", ev
    assert ev["reportingComponent"] == "example.com/storefront-operator", ev


# ----------------------------------------------------------------------------- the official Python client
# kind -> (API class, snake name used in the method names)
PY_API = {
    "Namespace": ("CoreV1Api", "namespace"), "Node": ("CoreV1Api", "node"),
    "ConfigMap": ("CoreV1Api", "config_map"),
    "Secret": ("CoreV1Api", "secret"), "ServiceAccount": ("CoreV1Api", "service_account"),
    "PersistentVolume": ("CoreV1Api", "persistent_volume"),
    "PersistentVolumeClaim": ("CoreV1Api", "persistent_volume_claim"), "Pod": ("CoreV1Api", "pod"),
    "PodTemplate": ("CoreV1Api", "pod_template"), "ReplicationController": ("CoreV1Api", "replication_controller"),
    "Service": ("CoreV1Api", "service"), "Endpoints": ("CoreV1Api", "endpoints"),
    "LimitRange": ("CoreV1Api", "limit_range"), "ResourceQuota": ("CoreV1Api", "resource_quota"),
    ("v1", "Event"): ("CoreV1Api", "event"),
    "Deployment": ("AppsV1Api", "deployment"), "ReplicaSet": ("AppsV1Api", "replica_set"),
    "StatefulSet": ("AppsV1Api", "stateful_set"), "DaemonSet": ("AppsV1Api", "daemon_set"),
    "ControllerRevision": ("AppsV1Api", "controller_revision"),
    "Job": ("BatchV1Api", "job"), "CronJob": ("BatchV1Api", "cron_job"),
    "HorizontalPodAutoscaler": ("AutoscalingV2Api", "horizontal_pod_autoscaler"),
    "Ingress": ("NetworkingV1Api", "ingress"), "IngressClass": ("NetworkingV1Api", "ingress_class"),
    "NetworkPolicy": ("NetworkingV1Api", "network_policy"),
    "EndpointSlice": ("DiscoveryV1Api", "endpoint_slice"), "Lease": ("CoordinationV1Api", "lease"),
    ("events.k8s.io/v1", "Event"): ("EventsV1Api", "event"),
    "PodDisruptionBudget": ("PolicyV1Api", "pod_disruption_budget"),
    "PriorityClass": ("SchedulingV1Api", "priority_class"), "StorageClass": ("StorageV1Api", "storage_class"),
    "Role": ("RbacAuthorizationV1Api", "role"), "RoleBinding": ("RbacAuthorizationV1Api", "role_binding"),
    "ClusterRole": ("RbacAuthorizationV1Api", "cluster_role"),
    "ClusterRoleBinding": ("RbacAuthorizationV1Api", "cluster_role_binding"),
}


def _py_api(obj):
    return PY_API.get((obj["apiVersion"], obj["kind"])) or PY_API[obj["kind"]]


def _py_groups():
    groups: dict[tuple[str, str, str], list[str]] = {}
    for _, o in OBJECTS:
        cls, snake = _py_api(o)
        groups.setdefault((cls, snake, o["kind"]), []).append(o["metadata"]["name"])
    return groups


PY_PARAMS = [pytest.param(cls, snake, kind, names, id=f"{cls}.{snake}")
             for (cls, snake, kind), names in sorted(_py_groups().items())]


@pytest.fixture(scope="module")
def mapi(mserver):
    c = mserver.api_client()
    yield c
    c.close()


@pytest.mark.parametrize("cls,snake,kind,names", PY_PARAMS)
def test_python_client_reads_every_kind(mapi, applied, cls, snake, kind, names):
    from kubernetes import client

    api = getattr(client, cls)(mapi)
    cluster = kind in CLUSTER_SCOPED
    lst = getattr(api, f"list_{snake}")() if cluster else getattr(api, f"list_namespaced_{snake}")(NS)
    listed = {i.metadata.name for i in lst.items}
    assert set(names) <= listed, f"{cls}.list: {sorted(listed)} lacks {sorted(set(names) - listed)}"
    for name in names:
        obj = getattr(api, f"read_{snake}")(name) if cluster else getattr(api, f"read_namespaced_{snake}")(name, NS)
        assert obj.metadata.name == name, obj.metadata
        assert obj.metadata.uid, obj.metadata
        if not cluster:
            assert obj.metadata.namespace == NS
    if cls == "AutoscalingV2Api":
        v1 = client.AutoscalingV1Api(mapi).read_namespaced_horizontal_pod_autoscaler("web", NS)
        assert v1.spec.target_cpu_utilization_percentage == 70, v1.spec
        v1list = client.AutoscalingV1Api(mapi).list_namespaced_horizontal_pod_autoscaler(NS)
        assert {i.metadata.name for i in v1list.items} >= set(names)


def test_python_client_typed_fields(mapi, applied):
    """A few deep typed fields survive the round trip into the Python models."""
    from kubernetes import client

    core = client.CoreV1Api(mapi)
    pod = core.read_namespaced_pod("storefront", NS)
    nginx = pod.spec.containers[0]
    assert nginx.liveness_probe.http_get.port == "http"
    assert nginx.readiness_probe.tcp_socket.port == 8080
    assert nginx.resources.limits["memory"] == "256Mi"
    assert nginx.env[1].value_from.secret_key_ref.name == "db-credentials"
    assert pod.spec.affinity.pod_anti_affinity.preferred_during_scheduling_ignored_during_execution[0].weight == 100
    assert pod.spec.volumes[5].projected.sources[3].service_account_token.audience == "vault"
    sts = client.AppsV1Api(mapi).read_namespaced_stateful_set("redis", NS)
    assert sts.spec.volume_claim_templates[0].spec.resources.requests["storage"] == "1Gi"
    hpa = client.AutoscalingV2Api(mapi).read_namespaced_horizontal_pod_autoscaler("web", NS)
    assert [m.type for m in hpa.spec.metrics] == ["Resource", "Resource", "Pods", "Object"]
    ev = client.EventsV1Api(mapi).read_namespaced_event("web.17a3b2c1d0e9f8a7", NS)
    assert ev.regarding.name == "web" and ev.event_time is not None
    lease = client.CoordinationV1Api(mapi).read_namespaced_lease("storefront-leader", NS)
    assert lease.spec.lease_transitions == 3 and lease.spec.renew_time.microsecond == 123456
