"""Issue 3 item 4: kubectl generators and views behave as on Kubernetes.

`kubectl create deployment|service clusterip|service nodeport|job|cronjob|serviceaccount|role|rolebinding`,
`expose`, `run`, `autoscale`, `scale` (through the scale subresource), `set image|env|resources`,
`get all`, `describe` and `diff`: the objects they produce, the tables kubectl prints from the server's
Table responses, and the describe output kubectl renders from the objects.
No controllers run in issue 3, so status-derived numbers are matched loosely (\\d+).
"""

from __future__ import annotations

import json
import re

import yaml

from conftest import parse_table
from harness import assert_status, fails, ok, show
from k8s_compare import in_cidr, in_range

SERVICE_CIDR = "10.43.0.0/16"
NODE_PORT = in_range(30000, 32767)


def get_json(http, path, expect=200):
    r = http.get(path)
    assert r.status_code == expect, f"GET {path}: {r.status_code} {r.text[:300]}"
    return r.json()


def deploy_path(ns, name="web"):
    return f"/apis/apps/v1/namespaces/{ns}/deployments/{name}"


def one_row(kns, *args):
    cp = ok(kns("get", *args))
    rows = parse_table(cp.stdout)
    assert len(rows) == 1, show(cp)
    return rows[0], cp


def has_line(pattern, text):
    return re.search(pattern, text, re.M) is not None


# ----------------------------------------------------------------------------- create deployment / get / describe
def test_create_deployment_get_and_describe(kns, http, ns):
    cp = ok(kns("create", "deployment", "web", "--image=nginx:1.14.2", "--replicas=3"))
    assert cp.stdout.strip() == "deployment.apps/web created", show(cp)
    d = get_json(http, deploy_path(ns))
    assert d["spec"]["replicas"] == 3 and d["metadata"]["generation"] == 1, d

    row, cp = one_row(kns, "deployment", "web", "-o", "wide")
    assert re.fullmatch(r"\d+/3", row["READY"]), show(cp)
    assert row["CONTAINERS"] == "nginx" and row["IMAGES"] == "nginx:1.14.2", show(cp)
    assert row["SELECTOR"] == "app=web", show(cp)
    assert re.fullmatch(r"\d+", row["UP-TO-DATE"]) and re.fullmatch(r"\d+", row["AVAILABLE"]), show(cp)

    cp = ok(kns("describe", "deployment", "web"))
    out = cp.stdout
    for pat in [r"^Name:\s+web$", rf"^Namespace:\s+{ns}$", r"^Selector:\s+app=web$",
                r"^Replicas:\s+3 desired \| \d+ updated \| \d+ total \| \d+ available \| \d+ unavailable$",
                r"^StrategyType:\s+RollingUpdate$", r"^MinReadySeconds:\s+0$",
                r"^RollingUpdateStrategy:\s+25% max unavailable, 25% max surge$",
                r"^Pod Template:$", r"^\s+Labels:\s+app=web$", r"^\s+nginx:$", r"^\s+Image:\s+nginx:1\.14\.2$",
                r"^Events:"]:  # the deployment controller's ScalingReplicaSet events, once it ran
        assert has_line(pat, out), f"{pat!r} not in describe output\n{out}"


def test_create_deployment_duplicate_is_already_exists(kns):
    ok(kns("create", "deployment", "dup", "--image=nginx:1.14.2"))
    cp = fails(kns("create", "deployment", "dup", "--image=nginx:1.14.2"))
    assert 'deployments.apps "dup" already exists' in cp.stderr, show(cp)


# ----------------------------------------------------------------------------- services
def test_create_service_clusterip_and_nodeport(kns, http, ns):
    cp = ok(kns("create", "service", "clusterip", "api", "--tcp=80:8080"))
    assert cp.stdout.strip() == "service/api created", show(cp)
    row, cp = one_row(kns, "service", "api", "-o", "wide")
    assert row["TYPE"] == "ClusterIP" and in_cidr(SERVICE_CIDR)(row["CLUSTER-IP"]), show(cp)
    assert row["EXTERNAL-IP"] == "<none>" and row["PORT(S)"] == "80/TCP" and row["SELECTOR"] == "app=api", show(cp)

    cp = ok(kns("create", "service", "nodeport", "np", "--tcp=80:8080", "--node-port=30090"))
    assert cp.stdout.strip() == "service/np created", show(cp)
    s = get_json(http, f"/api/v1/namespaces/{ns}/services/np")
    assert s["spec"]["type"] == "NodePort" and s["spec"]["ports"][0]["nodePort"] == 30090, s["spec"]
    assert s["spec"]["externalTrafficPolicy"] == "Cluster", s["spec"]
    row, cp = one_row(kns, "service", "np")
    assert row["TYPE"] == "NodePort" and row["PORT(S)"] == "80:30090/TCP", show(cp)

    ok(kns("create", "service", "nodeport", "np-auto", "--tcp=8443:443"))
    s = get_json(http, f"/api/v1/namespaces/{ns}/services/np-auto")
    port = s["spec"]["ports"][0]["nodePort"]
    assert NODE_PORT(port) and port != 30090, s["spec"]
    # the same node port twice is refused (Kubernetes: 422, "provided port is already allocated")
    cp = fails(kns("create", "service", "nodeport", "np-clash", "--tcp=81:8080", "--node-port=30090"))
    assert "provided port is already allocated" in cp.stderr, show(cp)

    cp = ok(kns("describe", "service", "api"))
    for pat in [r"^Name:\s+api$", r"^Selector:\s+app=api$", r"^Type:\s+ClusterIP$", r"^IP Families:\s+IPv4$",
                r"^IP:\s+10\.43\.\d+\.\d+$", r"^Port:\s+80-8080\s+80/TCP$", r"^TargetPort:\s+8080/TCP$",
                r"^Session Affinity:\s+None$"]:
        assert has_line(pat, cp.stdout), f"{pat!r} not in\n{cp.stdout}"


def test_clusterip_addresses_are_unique(kns, http, ns):
    ips = set()
    for i in range(5):
        ok(kns("create", "service", "clusterip", f"u{i}", "--tcp=80:80"))
        ip = get_json(http, f"/api/v1/namespaces/{ns}/services/u{i}")["spec"]["clusterIP"]
        assert in_cidr(SERVICE_CIDR)(ip), ip
        ips.add(ip)
    assert len(ips) == 5, ips


# ----------------------------------------------------------------------------- expose / run
def test_expose_deployment_and_pod(kns, http, ns):
    ok(kns("create", "deployment", "web", "--image=nginx:1.14.2", "--port=8080"))
    cp = ok(kns("expose", "deployment", "web", "--port=80", "--target-port=8080", "--name=web-svc", "--type=NodePort"))
    assert cp.stdout.strip() == "service/web-svc exposed", show(cp)
    s = get_json(http, f"/api/v1/namespaces/{ns}/services/web-svc")
    assert s["spec"]["selector"] == {"app": "web"} and s["spec"]["type"] == "NodePort", s["spec"]
    assert s["spec"]["ports"][0]["port"] == 80 and s["spec"]["ports"][0]["targetPort"] == 8080, s["spec"]
    assert NODE_PORT(s["spec"]["ports"][0]["nodePort"]), s["spec"]
    assert s["metadata"]["labels"] == {"app": "web"}, s["metadata"]

    cp = ok(kns("run", "shell", "--image=busybox:1.36", "--restart=Never", "--", "sleep", "3600"))
    assert cp.stdout.strip() == "pod/shell created", show(cp)
    p = get_json(http, f"/api/v1/namespaces/{ns}/pods/shell")
    assert p["metadata"]["labels"] == {"run": "shell"}, p["metadata"]
    assert p["spec"]["restartPolicy"] == "Never", p["spec"]
    assert p["spec"]["containers"][0]["args"] == ["sleep", "3600"], p["spec"]["containers"][0]
    assert "command" not in p["spec"]["containers"][0], p["spec"]["containers"][0]
    assert p["status"]["qosClass"] == "BestEffort", p["status"]
    cp = ok(kns("expose", "pod", "shell", "--port=7000"))
    assert cp.stdout.strip() == "service/shell exposed", show(cp)
    s = get_json(http, f"/api/v1/namespaces/{ns}/services/shell")
    assert s["spec"]["selector"] == {"run": "shell"}, s["spec"]
    assert s["spec"]["ports"][0]["targetPort"] == 7000, s["spec"]


def test_run_with_command_and_dry_run_server(kns, http, ns):
    cp = ok(kns("run", "cmd", "--image=busybox:1.36", "--command", "--", "sh", "-c", "echo hi"))
    c = get_json(http, f"/api/v1/namespaces/{ns}/pods/cmd")["spec"]["containers"][0]
    assert c["command"] == ["sh", "-c", "echo hi"] and "args" not in c, c
    assert c["imagePullPolicy"] == "IfNotPresent" and c["terminationMessagePath"] == "/dev/termination-log", c

    cp = ok(kns("run", "dry", "--image=nginx", "--dry-run=server", "-o", "json"))
    out = json.loads(cp.stdout)
    assert out["spec"]["containers"][0]["imagePullPolicy"] == "Always", out  # untagged image
    assert out["spec"]["schedulerName"] == "default-scheduler", out
    get_json(http, f"/api/v1/namespaces/{ns}/pods/dry", expect=404)

    cp = ok(kns("describe", "pod", "cmd"))
    for pat in [r"^Name:\s+cmd$", r"^Labels:\s+run=cmd$", r"^QoS Class:\s+BestEffort$",
                r"^\s+Image:\s+busybox:1\.36$", r"^\s+Command:$"]:
        assert has_line(pat, cp.stdout), f"{pat!r} not in\n{cp.stdout}"


# ----------------------------------------------------------------------------- jobs and cronjobs
def test_create_job_cronjob_and_job_from_cronjob(kns, http, ns):
    cp = ok(kns("create", "cronjob", "nightly", "--image=busybox:1.36", "--schedule=*/5 * * * *", "--", "date"))
    assert cp.stdout.strip() == "cronjob.batch/nightly created", show(cp)
    row, cp = one_row(kns, "cronjob", "nightly")
    assert row["SCHEDULE"] == "*/5 * * * *" and row["SUSPEND"] == "False" and row["ACTIVE"] == "0", show(cp)
    assert row["TIMEZONE"] == "<none>" and row["LAST SCHEDULE"] == "<none>", show(cp)

    cp = ok(kns("create", "job", "manual-run", "--from=cronjob/nightly"))
    assert cp.stdout.strip() == "job.batch/manual-run created", show(cp)
    cj = get_json(http, f"/apis/batch/v1/namespaces/{ns}/cronjobs/nightly")
    j = get_json(http, f"/apis/batch/v1/namespaces/{ns}/jobs/manual-run")
    assert j["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"] == "manual", j["metadata"]
    owner = j["metadata"]["ownerReferences"]
    # kubectl deliberately leaves blockOwnerDeletion unset here
    assert owner == [{"apiVersion": "batch/v1", "kind": "CronJob", "name": "nightly", "uid": cj["metadata"]["uid"],
                      "controller": True}], owner
    assert j["spec"]["template"]["spec"]["containers"][0]["command"] == ["date"], j["spec"]

    cp = ok(kns("create", "job", "once", "--image=busybox:1.36", "--", "echo", "done"))
    assert cp.stdout.strip() == "job.batch/once created", show(cp)
    row, cp = one_row(kns, "job", "once", "-o", "wide")
    assert re.fullmatch(r"\d+/1", row["COMPLETIONS"]), show(cp)
    assert row["IMAGES"] == "busybox:1.36" and row["CONTAINERS"] == "once", show(cp)
    j = get_json(http, f"/apis/batch/v1/namespaces/{ns}/jobs/once")
    uid = j["metadata"]["uid"]
    assert row["SELECTOR"] == f"batch.kubernetes.io/controller-uid={uid}", show(cp)

    cp = ok(kns("describe", "cronjob", "nightly"))
    for pat in [r"^Name:\s+nightly$", r"^Schedule:\s+\*/5 \* \* \* \*$", r"^Concurrency Policy:\s+Allow$",
                r"^Suspend:\s+False$", r"^Successful Job History Limit:\s+3$", r"^Failed Job History Limit:\s+1$"]:
        assert has_line(pat, cp.stdout), f"{pat!r} not in\n{cp.stdout}"
    cp = ok(kns("describe", "job", "once"))
    for pat in [r"^Name:\s+once$", r"^Parallelism:\s+1$", r"^Completions:\s+1$", r"^Completion Mode:\s+NonIndexed$",
                r"^Pods Statuses:\s+\d+ Active"]:
        assert has_line(pat, cp.stdout), f"{pat!r} not in\n{cp.stdout}"


# ----------------------------------------------------------------------------- serviceaccount / role / rolebinding
def test_create_serviceaccount_role_rolebinding(kns, http, ns):
    cp = ok(kns("create", "serviceaccount", "builder"))
    assert cp.stdout.strip() == "serviceaccount/builder created", show(cp)
    row, cp = one_row(kns, "serviceaccount", "builder")
    assert row["SECRETS"] == "0", show(cp)

    cp = ok(kns("create", "role", "reader", "--verb=get,list,watch", "--resource=pods,deployments.apps"))
    assert cp.stdout.strip() == "role.rbac.authorization.k8s.io/reader created", show(cp)
    cp = ok(kns("create", "rolebinding", "reader-binding", "--role=reader", "--user=jane",
                f"--serviceaccount={ns}:builder"))
    assert cp.stdout.strip() == "rolebinding.rbac.authorization.k8s.io/reader-binding created", show(cp)
    row, cp = one_row(kns, "rolebinding", "reader-binding", "-o", "wide")
    assert row["ROLE"] == "Role/reader" and row["USERS"] == "jane", show(cp)
    assert row["SERVICEACCOUNTS"] == f"{ns}/builder", show(cp)

    cp = ok(kns("describe", "role", "reader"))
    assert has_line(r"^PolicyRule:$", cp.stdout), cp.stdout
    assert has_line(r"^\s+pods\s+\[\]\s+\[\]\s+\[get list watch\]$", cp.stdout), cp.stdout
    assert has_line(r"^\s+deployments\.apps\s+\[\]\s+\[\]\s+\[get list watch\]$", cp.stdout), cp.stdout
    cp = ok(kns("describe", "rolebinding", "reader-binding"))
    for pat in [r"^Role:$", r"^\s+Kind:\s+Role$", r"^\s+Name:\s+reader$", r"^\s+User\s+jane\s*$",
                rf"^\s+ServiceAccount\s+builder\s+{ns}$"]:
        assert has_line(pat, cp.stdout), f"{pat!r} not in\n{cp.stdout}"


# ----------------------------------------------------------------------------- autoscale
def test_autoscale(kns, http, ns):
    ok(kns("create", "deployment", "web", "--image=nginx:1.14.2"))
    cp = ok(kns("autoscale", "deployment", "web", "--min=2", "--max=5", "--cpu-percent=60"))
    assert cp.stdout.strip() == "horizontalpodautoscaler.autoscaling/web autoscaled", show(cp)
    row, cp = one_row(kns, "hpa", "web")
    assert row["REFERENCE"] == "Deployment/web", show(cp)
    assert row["TARGETS"] == "cpu: <unknown>/60%", show(cp)
    assert row["MINPODS"] == "2" and row["MAXPODS"] == "5", show(cp)
    assert re.fullmatch(r"\d+", row["REPLICAS"]), show(cp)
    cp = ok(kns("describe", "hpa", "web"))
    for pat in [r"^Name:\s+web$", r"^Reference:\s+Deployment/web$", r"^Min replicas:\s+2$", r"^Max replicas:\s+5$",
                r"^\s+resource cpu on pods\s+\(as a percentage of request\):\s+<unknown> / 60%$"]:
        assert has_line(pat, cp.stdout), f"{pat!r} not in\n{cp.stdout}"
    # without --cpu-percent kubectl leaves the target unset; the server keeps it unset in v1 (v2 shows the default)
    ok(kns("create", "deployment", "api", "--image=nginx:1.14.2"))
    ok(kns("autoscale", "deployment", "api", "--max=3"))
    v2 = get_json(http, f"/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers/api")
    assert v2["spec"]["minReplicas"] == 1 and v2["spec"]["maxReplicas"] == 3, v2["spec"]


# ----------------------------------------------------------------------------- scale subresource
def test_scale_through_the_scale_subresource(kns, http, ns):
    ok(kns("create", "deployment", "web", "--image=nginx:1.14.2", "--replicas=1"))
    cp = ok(kns("scale", "deployment", "web", "--replicas=4"))
    assert cp.stdout.strip() == "deployment.apps/web scaled", show(cp)
    d = get_json(http, deploy_path(ns))
    assert d["spec"]["replicas"] == 4 and d["metadata"]["generation"] == 2, d["metadata"]

    # (the deployment controller writes status meanwhile: read the Scale and the object back to back)
    for _ in range(50):
        sc = get_json(http, deploy_path(ns) + "/scale")
        d = get_json(http, deploy_path(ns))
        if sc["metadata"]["resourceVersion"] == d["metadata"]["resourceVersion"]:
            break
    assert sc["kind"] == "Scale" and sc["apiVersion"] == "autoscaling/v1", sc
    assert sc["metadata"]["name"] == "web" and sc["metadata"]["namespace"] == ns, sc
    assert sc["metadata"]["resourceVersion"] == d["metadata"]["resourceVersion"], (sc, d["metadata"])
    assert sc["spec"] == {"replicas": 4}, sc
    assert sc["status"]["selector"] == "app=web", sc

    # --current-replicas makes kubectl PUT the Scale (without Content-Type) with its resourceVersion
    cp = ok(kns("scale", "deployment", "web", "--current-replicas=4", "--replicas=2"))
    assert get_json(http, deploy_path(ns))["spec"]["replicas"] == 2
    cp = fails(kns("scale", "deployment", "web", "--current-replicas=9", "--replicas=1"))
    assert "Expected replicas to be 9, was 2" in cp.stderr, show(cp)

    # the subresource validates like Kubernetes and never touches the rest of the object
    r = http.patch(deploy_path(ns) + "/scale", data=json.dumps({"spec": {"replicas": -1}}),
                   headers={"Content-Type": "application/merge-patch+json"})
    body = assert_status(r, 422, "Invalid")
    assert "spec.replicas" in [c.get("field") for c in body["details"].get("causes", [])], body
    r = http.patch(deploy_path(ns) + "/scale", data=json.dumps({"spec": {"replicas": 6}}),
                   headers={"Content-Type": "application/merge-patch+json"})
    assert r.status_code == 200 and r.json()["spec"]["replicas"] == 6, r.text[:300]
    d2 = get_json(http, deploy_path(ns))
    assert d2["spec"]["replicas"] == 6 and d2["spec"]["template"] == d["spec"]["template"], d2


def test_scale_statefulset_replicaset_and_rc(kns, http, ns):
    docs = [
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
         "spec": {"serviceName": "db", "replicas": 1, "selector": {"matchLabels": {"app": "db"}},
                  "template": {"metadata": {"labels": {"app": "db"}},
                               "spec": {"containers": [{"name": "redis", "image": "redis:7"}]}}}},
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "rs"},
         "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "rs"}},
                  "template": {"metadata": {"labels": {"app": "rs"}},
                               "spec": {"containers": [{"name": "nginx", "image": "nginx:1.14.2"}]}}}},
        {"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "rc"},
         "spec": {"replicas": 1, "template": {"metadata": {"labels": {"app": "rc"}},
                                              "spec": {"containers": [{"name": "nginx", "image": "nginx:1.14.2"}]}}}},
    ]
    ok(kns("apply", "-f", "-", input=yaml.safe_dump_all(docs)))
    for ref, path, out in [
        ("statefulset/db", f"/apis/apps/v1/namespaces/{ns}/statefulsets/db", "statefulset.apps/db scaled"),
        ("replicaset/rs", f"/apis/apps/v1/namespaces/{ns}/replicasets/rs", "replicaset.apps/rs scaled"),
        ("replicationcontroller/rc", f"/api/v1/namespaces/{ns}/replicationcontrollers/rc",
         "replicationcontroller/rc scaled"),
    ]:
        cp = ok(kns("scale", ref, "--replicas=3"))
        assert cp.stdout.strip() == out, show(cp)
        assert get_json(http, path)["spec"]["replicas"] == 3, ref
        sc = get_json(http, path + "/scale")
        assert sc["kind"] == "Scale" and sc["spec"]["replicas"] == 3, sc
        app = ref.split("/")[1]
        assert sc["status"]["selector"] == f"app={app}", sc


# ----------------------------------------------------------------------------- set image / env / resources
def test_set_image_env_resources(kns, http, ns, mk_cm):
    ok(kns("create", "deployment", "web", "--image=nginx:1.14.2"))
    gen = get_json(http, deploy_path(ns))["metadata"]["generation"]

    cp = ok(kns("set", "image", "deployment/web", "nginx=nginx:1.16.1"))
    assert cp.stdout.strip() == "deployment.apps/web image updated", show(cp)
    d = get_json(http, deploy_path(ns))
    assert d["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.16.1", d["spec"]
    assert d["metadata"]["generation"] == gen + 1, d["metadata"]

    cp = ok(kns("set", "env", "deployment/web", "LOG_LEVEL=debug", "MODE=prod"))
    assert cp.stdout.strip() == "deployment.apps/web env updated", show(cp)
    c = get_json(http, deploy_path(ns))["spec"]["template"]["spec"]["containers"][0]
    assert c["env"] == [{"name": "LOG_LEVEL", "value": "debug"}, {"name": "MODE", "value": "prod"}], c
    ok(kns("set", "env", "deployment/web", "MODE-"))
    c = get_json(http, deploy_path(ns))["spec"]["template"]["spec"]["containers"][0]
    assert c["env"] == [{"name": "LOG_LEVEL", "value": "debug"}], c
    mk_cm(ns, "gen-config", {"cache-ttl": "300"})
    ok(kns("set", "env", "deployment/web", "--from=configmap/gen-config"))
    c = get_json(http, deploy_path(ns))["spec"]["template"]["spec"]["containers"][0]
    assert {"name": "CACHE_TTL", "valueFrom": {"configMapKeyRef": {"name": "gen-config", "key": "cache-ttl"}}} \
        in c["env"], c["env"]
    cp = ok(kns("set", "env", "deployment/web", "--list"))
    assert "LOG_LEVEL=debug" in cp.stdout.splitlines(), show(cp)

    cp = ok(kns("set", "resources", "deployment", "web", "--limits=cpu=200m,memory=512Mi",
                "--requests=cpu=100m,memory=256Mi"))
    assert cp.stdout.strip() == "deployment.apps/web resource requirements updated", show(cp)
    c = get_json(http, deploy_path(ns))["spec"]["template"]["spec"]["containers"][0]
    assert c["resources"] == {"limits": {"cpu": "200m", "memory": "512Mi"},
                              "requests": {"cpu": "100m", "memory": "256Mi"}}, c["resources"]
    assert c["image"] == "nginx:1.16.1", c

    cp = ok(kns("describe", "deployment", "web"))
    for pat in [r"^\s+Image:\s+nginx:1\.16\.1$", r"^\s+Limits:$", r"^\s+cpu:\s+200m$", r"^\s+memory:\s+512Mi$",
                r"^\s+LOG_LEVEL:\s+debug$"]:
        assert has_line(pat, cp.stdout), f"{pat!r} not in\n{cp.stdout}"


# ----------------------------------------------------------------------------- get all
def test_get_all(kns, ns):
    ok(kns("create", "deployment", "web", "--image=nginx:1.14.2"))
    ok(kns("expose", "deployment", "web", "--port=80"))
    ok(kns("run", "solo", "--image=busybox:1.36", "--", "sleep", "60"))
    ok(kns("create", "job", "once", "--image=busybox:1.36"))
    ok(kns("create", "cronjob", "tick", "--image=busybox:1.36", "--schedule=0 * * * *"))
    ok(kns("autoscale", "deployment", "web", "--max=3"))
    ok(kns("create", "configmap", "not-in-all", "--from-literal=a=1"))
    cp = ok(kns("get", "all"))
    out = cp.stdout
    for ref in ["pod/solo", "service/web", "deployment.apps/web", "job.batch/once", "cronjob.batch/tick",
                "horizontalpodautoscaler.autoscaling/web"]:
        assert re.search(rf"^{re.escape(ref)}\s", out, re.M), f"{ref} missing\n{show(cp)}"
    assert "not-in-all" not in out, show(cp)
    assert not cp.stderr.strip(), show(cp)
    cp = ok(kns("get", "all", "-o", "name"))
    names = set(cp.stdout.split())
    assert {"pod/solo", "service/web", "deployment.apps/web", "job.batch/once", "cronjob.batch/tick",
            "horizontalpodautoscaler.autoscaling/web"} <= names, show(cp)


# ----------------------------------------------------------------------------- diff
def _deploy_manifest(image, replicas):
    return yaml.safe_dump({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "diffme", "labels": {"app": "diffme"}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "diffme"}},
                 "template": {"metadata": {"labels": {"app": "diffme"}},
                              "spec": {"containers": [{"name": "nginx", "image": image}]}}}})


def test_diff_deployment(kns, http, ns, tmp_path):
    f = tmp_path / "d.yaml"
    f.write_text(_deploy_manifest("nginx:1.14.2", 2))
    ok(kns("apply", "-f", str(f)))
    before = get_json(http, deploy_path(ns, "diffme"))

    cp = kns("diff", "-f", str(f))
    assert cp.returncode == 0 and cp.stdout == "", show(cp)

    f.write_text(_deploy_manifest("nginx:1.16.1", 3))
    cp = kns("diff", "-f", str(f))
    assert cp.returncode == 1, show(cp)
    for pat in [r"^-\s+(- )?image: nginx:1\.14\.2$", r"^\+\s+(- )?image: nginx:1\.16\.1$", r"^-\s+replicas: 2$",
                r"^\+\s+replicas: 3$", r"^-\s+generation: 1$", r"^\+\s+generation: 2$"]:
        assert has_line(pat, cp.stdout), f"{pat!r} not in diff\n{show(cp)}"
    after = get_json(http, deploy_path(ns, "diffme"))
    # (the deployment controller writes status meanwhile: spec and generation tell whether diff wrote)
    assert (after["spec"], after["metadata"]["generation"]) == (before["spec"], before["metadata"]["generation"]), \
        "diff must not write"
    assert after["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.14.2"


def test_diff_configmap(kns, http, ns, tmp_path):
    """diff on a kind that is served today: unchanged, changed and not-yet-existing objects."""
    f = tmp_path / "cm.yaml"
    f.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "dcm"},
                                 "data": {"mode": "prod", "ttl": "300"}}))
    ok(kns("apply", "-f", str(f)))
    rv = get_json(http, f"/api/v1/namespaces/{ns}/configmaps/dcm")["metadata"]["resourceVersion"]
    cp = kns("diff", "-f", str(f))
    assert cp.returncode == 0 and cp.stdout == "", show(cp)

    f.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "dcm"},
                                 "data": {"mode": "dev"}}))
    cp = kns("diff", "-f", str(f))
    assert cp.returncode == 1, show(cp)
    for pat in [r"^-\s+mode: prod$", r"^\+\s+mode: dev$", r"^-\s+ttl: \"300\"$"]:
        assert has_line(pat, cp.stdout), f"{pat!r} not in diff\n{show(cp)}"
    assert get_json(http, f"/api/v1/namespaces/{ns}/configmaps/dcm")["metadata"]["resourceVersion"] == rv

    g = tmp_path / "new.yaml"
    g.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "brand-new"},
                                 "data": {"k": "v"}}))
    cp = kns("diff", "-f", str(g))
    assert cp.returncode == 1, show(cp)
    assert has_line(r"^\+\s+name: brand-new$", cp.stdout) and has_line(r"^\+\s+k: v$", cp.stdout), show(cp)
    get_json(http, f"/api/v1/namespaces/{ns}/configmaps/brand-new", expect=404)
