"""Issue 3 item 5: kubectl 1.32's generators send protobuf request bodies; each must succeed and read back.

Each test runs the generator with `-v=8`, checks from kubectl's own request log that the POST body really
was `application/vnd.kubernetes.protobuf` (`run` and `expose` build their objects as unstructured JSON,
so for those the test only checks the result), then reads the object back as JSON and checks the fields
kubectl set, plus that none of the zero values gogo-protobuf always writes leaked into the stored object.
"""

from __future__ import annotations

import base64
import json
import re

import pytest

from harness import PROTOBUF, ok, show
from k8s_compare import in_cidr

SERVICE_CIDR = "10.43.0.0/16"

# Keys that gogo-protobuf writes with their zero value but that Kubernetes' JSON omits (omitempty).
GOGO_ZERO_JUNK = {
    "hostPort": 0, "stdin": False, "stdinOnce": False, "tty": False, "workingDir": "", "hostIP": "",
    "nodeName": "", "hostname": "", "subdomain": "", "hostNetwork": False, "hostPID": False, "hostIPC": False,
    "generateName": "", "paused": False, "minReadySeconds": 0, "externalName": "", "loadBalancerIP": "",
    "serviceAccountName": "", "priorityClassName": "", "selfLink": "", "resourceVersion": "", "uid": "",
    "generation": 0, "nodePort": 0, "appProtocol": "", "subPath": "", "mountPropagation": "",
    "deletionGracePeriodSeconds": 0, "activeDeadlineSeconds": 0, "automountServiceAccountToken": False,
    "globalDefault": False, "immutable": False,
}


def junk_fields(obj, path="") -> list[str]:
    found = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            p = f"{path}.{k}" if path else k
            if k in GOGO_ZERO_JUNK and type(v) is type(GOGO_ZERO_JUNK[k]) and v == GOGO_ZERO_JUNK[k]:
                found.append(f"{p}={v!r}")
            found += junk_fields(v, p)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            found += junk_fields(v, f"{path}[{i}]")
    return found


def request_content_types(stderr: str) -> list[tuple[str, str, str | None]]:
    """[(method, url, request Content-Type)] from kubectl -v=8 output."""
    out: list[list] = []
    awaiting = False
    for line in stderr.splitlines():
        m = re.search(r"round_trippers\.go:\d+\] (GET|POST|PUT|PATCH|DELETE) (\S+)", line)
        if m:
            out.append([m.group(1), m.group(2), None])
            awaiting = True
            continue
        if "Response Status" in line:
            awaiting = False
            continue
        m = re.search(r"round_trippers\.go:\d+\]\s+Content-Type: (\S+)", line)
        if m and awaiting and out:
            out[-1][2] = m.group(1)
            awaiting = False
    return [tuple(x) for x in out]


def run_generator(kns, *args, protobuf=True, expect_line=None):
    # -v=8 before the arguments: after "--" it would be the container's command
    cp = kns("-v=8", *args)
    assert cp.returncode == 0, show(cp)
    posts = [(m, u, ct) for m, u, ct in request_content_types(cp.stderr) if m == "POST"]
    assert posts, f"no POST in kubectl's request log\n{show(cp)}"
    if protobuf:
        assert posts[-1][2] == PROTOBUF, f"expected a protobuf body, kubectl sent {posts[-1]}"
    if expect_line:
        assert expect_line in cp.stdout.splitlines(), show(cp)
    return cp


def get_json(http, path):
    r = http.get(path)
    assert r.status_code == 200, f"GET {path}: {r.status_code} {r.text[:300]}"
    return r.json()


def assert_clean(obj):
    junk = junk_fields(obj)
    assert not junk, f"protobuf zero values stored as fields: {junk}\n{json.dumps(obj, indent=1)[:3000]}"


# ----------------------------------------------------------------------------- served today
def test_create_configmap(kns, http, ns):
    run_generator(kns, "create", "configmap", "pb-cm", "--from-literal=a=1", "--from-literal=b=two",
                  expect_line="configmap/pb-cm created")
    obj = get_json(http, f"/api/v1/namespaces/{ns}/configmaps/pb-cm")
    assert obj["data"] == {"a": "1", "b": "two"}, obj
    assert_clean(obj)


def test_create_secret_generic_and_docker_registry(kns, http, ns):
    run_generator(kns, "create", "secret", "generic", "pb-sec", "--from-literal=password=hunter2",
                  expect_line="secret/pb-sec created")
    obj = get_json(http, f"/api/v1/namespaces/{ns}/secrets/pb-sec")
    assert obj["type"] == "Opaque" and obj["data"] == {"password": "aHVudGVyMg=="}, obj
    assert_clean(obj)
    run_generator(kns, "create", "secret", "docker-registry", "pb-reg", "--docker-server=registry.example.com",
                  "--docker-username=e2e", "--docker-password=token", expect_line="secret/pb-reg created")
    obj = get_json(http, f"/api/v1/namespaces/{ns}/secrets/pb-reg")
    assert obj["type"] == "kubernetes.io/dockerconfigjson", obj
    cfg = json.loads(base64.b64decode(obj["data"][".dockerconfigjson"]))
    assert cfg["auths"]["registry.example.com"]["username"] == "e2e", cfg
    assert_clean(obj)


def test_create_namespace(kubectl, http):
    from harness import unique

    name = unique("pb-ns")
    try:
        cp = kubectl("create", "namespace", name, "-v=8")
        assert cp.returncode == 0, show(cp)
        posts = [x for x in request_content_types(cp.stderr) if x[0] == "POST"]
        assert posts and posts[-1][2] == PROTOBUF, posts
        obj = get_json(http, f"/api/v1/namespaces/{name}")
        assert obj["status"]["phase"] == "Active" and obj["spec"]["finalizers"] == ["kubernetes"], obj
        assert_clean(obj)
    finally:
        http.delete(f"/api/v1/namespaces/{name}")


# ----------------------------------------------------------------------------- issue 3 kinds
def test_create_deployment(kns, http, ns):
    run_generator(kns, "create", "deployment", "web", "--image=nginx:1.14.2", "--replicas=2", "--port=80",
                  expect_line="deployment.apps/web created")
    d = get_json(http, f"/apis/apps/v1/namespaces/{ns}/deployments/web")
    assert d["metadata"]["labels"] == {"app": "web"}, d["metadata"]
    spec = d["spec"]
    assert spec["replicas"] == 2 and spec["selector"] == {"matchLabels": {"app": "web"}}, spec
    assert spec["template"]["metadata"]["labels"] == {"app": "web"}, spec["template"]
    c = spec["template"]["spec"]["containers"]
    assert len(c) == 1 and c[0]["name"] == "nginx" and c[0]["image"] == "nginx:1.14.2", c
    assert c[0]["ports"] == [{"containerPort": 80, "protocol": "TCP"}], c[0]
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}
    assert d["metadata"]["generation"] == 1, d["metadata"]
    assert_clean(d)


def test_create_service_clusterip(kns, http, ns):
    run_generator(kns, "create", "service", "clusterip", "pb-svc", "--tcp=80:8080", "--tcp=443:8443",
                  expect_line="service/pb-svc created")
    s = get_json(http, f"/api/v1/namespaces/{ns}/services/pb-svc")
    assert s["spec"]["type"] == "ClusterIP" and s["spec"]["selector"] == {"app": "pb-svc"}, s["spec"]
    assert s["spec"]["ports"] == [
        {"name": "80-8080", "port": 80, "protocol": "TCP", "targetPort": 8080},
        {"name": "443-8443", "port": 443, "protocol": "TCP", "targetPort": 8443},
    ], s["spec"]["ports"]
    assert in_cidr(SERVICE_CIDR)(s["spec"]["clusterIP"]), s["spec"]
    assert_clean(s)


def test_create_service_clusterip_headless(kns, http, ns):
    run_generator(kns, "create", "service", "clusterip", "pb-headless", "--clusterip=None",
                  expect_line="service/pb-headless created")
    s = get_json(http, f"/api/v1/namespaces/{ns}/services/pb-headless")
    assert s["spec"]["clusterIP"] == "None" and s["spec"]["clusterIPs"] == ["None"], s["spec"]
    assert_clean(s)


def test_create_job(kns, http, ns):
    run_generator(kns, "create", "job", "pb-job", "--image=busybox:1.36", "--", "echo", "hello",
                  expect_line="job.batch/pb-job created")
    j = get_json(http, f"/apis/batch/v1/namespaces/{ns}/jobs/pb-job")
    pod = j["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Never", pod
    assert pod["containers"][0]["name"] == "pb-job" and pod["containers"][0]["image"] == "busybox:1.36", pod
    assert pod["containers"][0]["command"] == ["echo", "hello"], pod
    assert j["spec"]["backoffLimit"] == 6 and j["spec"]["completions"] == 1, j["spec"]
    assert_clean(j)


def test_create_cronjob(kns, http, ns):
    run_generator(kns, "create", "cronjob", "pb-cron", "--image=busybox:1.36", "--schedule=*/5 * * * *",
                  "--restart=OnFailure", "--", "date", expect_line="cronjob.batch/pb-cron created")
    cj = get_json(http, f"/apis/batch/v1/namespaces/{ns}/cronjobs/pb-cron")
    assert cj["spec"]["schedule"] == "*/5 * * * *", cj["spec"]
    assert cj["spec"]["jobTemplate"]["metadata"]["name"] == "pb-cron", cj["spec"]["jobTemplate"]
    pod = cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "OnFailure" and pod["containers"][0]["command"] == ["date"], pod
    assert cj["spec"]["concurrencyPolicy"] == "Allow" and cj["spec"]["suspend"] is False, cj["spec"]
    assert_clean(cj)


def test_create_serviceaccount(kns, http, ns):
    run_generator(kns, "create", "serviceaccount", "pb-sa", expect_line="serviceaccount/pb-sa created")
    sa = get_json(http, f"/api/v1/namespaces/{ns}/serviceaccounts/pb-sa")
    assert sa["metadata"]["name"] == "pb-sa" and sa["metadata"]["namespace"] == ns, sa
    assert_clean(sa)


def test_create_role_and_rolebinding(kns, http, ns):
    run_generator(kns, "create", "role", "pb-role", "--verb=get,list", "--resource=pods,deployments.apps",
                  "--resource-name=web", expect_line="role.rbac.authorization.k8s.io/pb-role created")
    role = get_json(http, f"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles/pb-role")
    assert role["rules"] == [
        {"apiGroups": [""], "resources": ["pods"], "resourceNames": ["web"], "verbs": ["get", "list"]},
        {"apiGroups": ["apps"], "resources": ["deployments"], "resourceNames": ["web"], "verbs": ["get", "list"]},
    ], role["rules"]
    assert_clean(role)
    run_generator(kns, "create", "rolebinding", "pb-rb", "--role=pb-role", "--user=jane", "--group=devs",
                  f"--serviceaccount={ns}:pb-sa", expect_line="rolebinding.rbac.authorization.k8s.io/pb-rb created")
    rb = get_json(http, f"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings/pb-rb")
    assert rb["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pb-role"}, rb
    assert rb["subjects"] == [
        {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "jane"},
        {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "devs"},
        {"kind": "ServiceAccount", "name": "pb-sa", "namespace": ns},
    ], rb["subjects"]
    assert_clean(rb)


def test_create_clusterrole(kubectl, http):
    from harness import unique

    name = unique("pb-cr")
    try:
        cp = kubectl("create", "clusterrole", name, "--verb=get,watch", "--resource=nodes", "-v=8")
        assert cp.returncode == 0, show(cp)
        posts = [x for x in request_content_types(cp.stderr) if x[0] == "POST"]
        assert posts and posts[-1][2] == PROTOBUF, posts
        cr = get_json(http, f"/apis/rbac.authorization.k8s.io/v1/clusterroles/{name}")
        assert cr["rules"] == [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "watch"]}], cr
        assert_clean(cr)
    finally:
        http.delete(f"/apis/rbac.authorization.k8s.io/v1/clusterroles/{name}")


def test_create_quota(kns, http, ns):
    run_generator(kns, "create", "quota", "pb-quota", "--hard=pods=10,requests.cpu=2,requests.memory=4Gi",
                  expect_line="resourcequota/pb-quota created")
    q = get_json(http, f"/api/v1/namespaces/{ns}/resourcequotas/pb-quota")
    assert q["spec"]["hard"] == {"pods": "10", "requests.cpu": "2", "requests.memory": "4Gi"}, q["spec"]
    assert_clean(q)


def test_create_priorityclass(kubectl, http):
    from harness import unique

    name = unique("pb-pc")
    try:
        cp = kubectl("create", "priorityclass", name, "--value=1000", "--description=batch work",
                     "--preemption-policy=Never", "-v=8")
        assert cp.returncode == 0, show(cp)
        posts = [x for x in request_content_types(cp.stderr) if x[0] == "POST"]
        assert posts and posts[-1][2] == PROTOBUF, posts
        pc = get_json(http, f"/apis/scheduling.k8s.io/v1/priorityclasses/{name}")
        assert pc["value"] == 1000 and pc["description"] == "batch work", pc
        assert pc["preemptionPolicy"] == "Never", pc
        assert_clean(pc)
    finally:
        http.delete(f"/apis/scheduling.k8s.io/v1/priorityclasses/{name}")


def test_create_poddisruptionbudget(kns, http, ns):
    run_generator(kns, "create", "poddisruptionbudget", "pb-pdb", "--selector=app=web", "--min-available=50%",
                  expect_line="poddisruptionbudget.policy/pb-pdb created")
    pdb = get_json(http, f"/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets/pb-pdb")
    assert pdb["spec"]["minAvailable"] == "50%", pdb["spec"]
    assert "maxUnavailable" not in pdb["spec"], pdb["spec"]
    assert pdb["spec"]["selector"] == {"matchLabels": {"app": "web"}}, pdb["spec"]
    assert_clean(pdb)
    run_generator(kns, "create", "pdb", "pb-pdb2", "--selector=app=db", "--max-unavailable=1",
                  expect_line="poddisruptionbudget.policy/pb-pdb2 created")
    pdb2 = get_json(http, f"/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets/pb-pdb2")
    assert pdb2["spec"]["maxUnavailable"] == 1 and "minAvailable" not in pdb2["spec"], pdb2["spec"]


def test_create_ingress(kns, http, ns):
    run_generator(kns, "create", "ingress", "pb-ing", "--class=nginx",
                  "--rule=shop.example.com/api*=api:8080,tls=shop-tls", "--rule=shop.example.com/=web:http",
                  expect_line="ingress.networking.k8s.io/pb-ing created")
    ing = get_json(http, f"/apis/networking.k8s.io/v1/namespaces/{ns}/ingresses/pb-ing")
    spec = ing["spec"]
    assert spec["ingressClassName"] == "nginx", spec
    assert spec["tls"] == [{"hosts": ["shop.example.com"], "secretName": "shop-tls"}], spec
    paths = [p for r in spec["rules"] for p in r["http"]["paths"]]
    assert {"path": "/api", "pathType": "Prefix",
            "backend": {"service": {"name": "api", "port": {"number": 8080}}}} in paths, paths
    assert {"path": "/", "pathType": "Exact",
            "backend": {"service": {"name": "web", "port": {"name": "http"}}}} in paths, paths
    assert all(r.get("host") == "shop.example.com" for r in spec["rules"]), spec["rules"]
    assert_clean(ing)


def test_run_pod(kns, http, ns):
    run_generator(kns, "run", "pb-run", "--image=nginx:1.14.2", "--port=80", "--labels=app=pb-run,tier=web",
                  "--env=MODE=prod", protobuf=False, expect_line="pod/pb-run created")
    p = get_json(http, f"/api/v1/namespaces/{ns}/pods/pb-run")
    assert p["metadata"]["labels"] == {"app": "pb-run", "tier": "web"}, p["metadata"]
    c = p["spec"]["containers"][0]
    assert c["name"] == "pb-run" and c["image"] == "nginx:1.14.2", c
    assert c["ports"] == [{"containerPort": 80, "protocol": "TCP"}], c
    assert c["env"] == [{"name": "MODE", "value": "prod"}], c
    assert p["spec"]["restartPolicy"] == "Always" and p["spec"]["dnsPolicy"] == "ClusterFirst", p["spec"]
    assert_clean(p)


def test_expose_deployment(kns, http, ns):
    ok(kns("create", "deployment", "exp", "--image=nginx:1.14.2", "--port=8080"))
    run_generator(kns, "expose", "deployment", "exp", "--port=80", "--target-port=8080", protobuf=False,
                  expect_line="service/exp exposed")
    s = get_json(http, f"/api/v1/namespaces/{ns}/services/exp")
    assert s["spec"]["selector"] == {"app": "exp"}, s["spec"]
    assert s["spec"]["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 8080}], s["spec"]["ports"]
    assert s["spec"]["type"] == "ClusterIP" and in_cidr(SERVICE_CIDR)(s["spec"]["clusterIP"]), s["spec"]
    assert_clean(s)


def test_autoscale_deployment(kns, http, ns):
    ok(kns("create", "deployment", "auto", "--image=nginx:1.14.2"))
    cp = run_generator(kns, "autoscale", "deployment", "auto", "--min=2", "--max=5", "--cpu-percent=60",
                       expect_line="horizontalpodautoscaler.autoscaling/auto autoscaled")
    posts = [x for x in request_content_types(cp.stderr) if x[0] == "POST"]
    assert "/apis/autoscaling/v1/" in posts[-1][1], posts
    v1 = get_json(http, f"/apis/autoscaling/v1/namespaces/{ns}/horizontalpodautoscalers/auto")
    assert v1["spec"]["minReplicas"] == 2 and v1["spec"]["maxReplicas"] == 5, v1["spec"]
    assert v1["spec"]["targetCPUUtilizationPercentage"] == 60, v1["spec"]
    assert v1["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "auto"}, v1
    assert_clean(v1)
    v2 = get_json(http, f"/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers/auto")
    assert v2["spec"]["metrics"] == [{"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}}], v2["spec"]


@pytest.mark.parametrize("generator", ["configmap", "deployment"])
def test_protobuf_dry_run_server_stores_nothing(kns, http, ns, generator):
    """--dry-run=server with a protobuf body: the server answers with the object but keeps nothing."""
    if generator == "configmap":
        args, path = ["create", "configmap", "dry", "--from-literal=a=1"], f"/api/v1/namespaces/{ns}/configmaps/dry"
    else:
        args, path = (["create", "deployment", "dry", "--image=nginx:1.14.2"],
                      f"/apis/apps/v1/namespaces/{ns}/deployments/dry")
    cp = kns(*args, "--dry-run=server", "-o", "json", "-v=8")
    assert cp.returncode == 0, show(cp)
    posts = [x for x in request_content_types(cp.stderr) if x[0] == "POST"]
    assert posts and posts[-1][2] == PROTOBUF and "dryRun=All" in posts[-1][1], posts
    out = json.loads(cp.stdout)
    assert out["metadata"]["name"] == "dry", out
    assert http.get(path).status_code == 404
