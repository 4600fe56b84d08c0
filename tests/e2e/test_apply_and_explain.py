"""Issue 3, "Must show" 2 and 4.

* Re-applying an edited manifest removes what the edit removed (a label, an env var, a container, a port, a
  volume source, the rolling-update parameters when switching to Recreate), for client-side apply (strategic
  merge patch with $setElementOrder / $retainKeys / $patch: delete) and for server-side apply.
* A server-side apply conflict is reported (409, FieldManagerConflict) and can be forced.
* `kubectl explain pod.spec.containers.livenessProbe` prints the field tree.
"""

from __future__ import annotations

import json
import re

import yaml

from harness import assert_status, fails, ok, show


def deployment(name, *, labels, env, ports, sidecar, strategy, volume, replicas=2):
    containers = [{"name": "app", "image": "nginx:1.14.2", "env": env, "ports": ports,
                   "volumeMounts": [{"name": "cache", "mountPath": "/cache"}]}]
    if sidecar:
        containers.append({"name": "sidecar", "image": "busybox:1.36", "command": ["sleep", "infinity"]})
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {"replicas": replicas, "strategy": strategy,
                 "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": containers, "volumes": [{"name": "cache", **volume}]}}},
    }


def v1(name):
    return deployment(
        name, labels={"app": name, "team": "storefront"},
        env=[{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
        ports=[{"name": "http", "containerPort": 80}, {"name": "metrics", "containerPort": 9090}],
        sidecar=True,
        strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
        volume={"emptyDir": {}})


def v2(name):
    return deployment(
        name, labels={"app": name},
        env=[{"name": "A", "value": "1"}],
        ports=[{"name": "http", "containerPort": 80}],
        sidecar=False,
        strategy={"type": "Recreate"},
        volume={"configMap": {"name": "cache-seed"}})


def get_deploy(http, ns, name):
    r = http.get(f"/apis/apps/v1/namespaces/{ns}/deployments/{name}")
    assert r.status_code == 200, r.text[:300]
    return r.json()


def assert_v2_shape(d, name, extra_labels=None):
    assert d["metadata"]["labels"] == {"app": name, **(extra_labels or {})}, d["metadata"]["labels"]
    spec = d["spec"]
    assert spec["strategy"] == {"type": "Recreate"}, spec["strategy"]
    cs = spec["template"]["spec"]["containers"]
    assert [c["name"] for c in cs] == ["app"], cs
    assert cs[0]["env"] == [{"name": "A", "value": "1"}], cs[0]["env"]
    assert [p["containerPort"] for p in cs[0]["ports"]] == [80], cs[0]["ports"]
    vol = spec["template"]["spec"]["volumes"]
    assert len(vol) == 1 and vol[0]["name"] == "cache", vol
    assert "emptyDir" not in vol[0] and vol[0]["configMap"]["name"] == "cache-seed", vol
    for key in d["metadata"].get("labels", {}):
        assert not key.startswith("$"), d["metadata"]
    assert "$setElementOrder" not in json.dumps(d) and "$retainKeys" not in json.dumps(d), d


def test_client_side_apply_removes_what_the_edit_removed(kns, http, ns, tmp_path):
    f = tmp_path / "shop.yaml"
    f.write_text(yaml.safe_dump(v1("shop")))
    cp = ok(kns("apply", "-f", str(f)))
    assert cp.stdout.strip() == "deployment.apps/shop created", show(cp)
    d = get_deploy(http, ns, "shop")
    assert len(d["spec"]["template"]["spec"]["containers"]) == 2
    assert d["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": 0}, d["spec"]["strategy"]

    # a change made outside the manifest survives the re-apply
    ok(kns("label", "deployment", "shop", "owner=ops"))

    f.write_text(yaml.safe_dump(v2("shop")))
    cp = ok(kns("apply", "-f", str(f)))
    assert cp.stdout.strip() == "deployment.apps/shop configured", show(cp)
    d2 = get_deploy(http, ns, "shop")
    assert_v2_shape(d2, "shop", extra_labels={"owner": "ops"})
    assert d2["metadata"]["generation"] == d["metadata"]["generation"] + 1, d2["metadata"]
    lac = json.loads(d2["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"])
    assert lac["spec"]["strategy"] == {"type": "Recreate"}, lac

    cp = ok(kns("apply", "-f", str(f)))
    assert cp.stdout.strip() == "deployment.apps/shop unchanged", show(cp)


def test_server_side_apply_removes_fields_and_reports_conflicts(kns, http, ns, tmp_path):
    f = tmp_path / "ssa.yaml"
    f.write_text(yaml.safe_dump(v1("ssa")))
    cp = ok(kns("apply", "--server-side", "-f", str(f)))
    assert cp.stdout.strip() == "deployment.apps/ssa serverside-applied", show(cp)
    d = get_deploy(http, ns, "ssa")
    managers = {(m["manager"], m["operation"]) for m in d["metadata"].get("managedFields", [])}
    assert ("kubectl", "Apply") in managers, d["metadata"].get("managedFields")
    assert d["spec"]["strategy"]["type"] == "RollingUpdate", d["spec"]

    f.write_text(yaml.safe_dump(v2("ssa")))
    cp = ok(kns("apply", "--server-side", "-f", str(f)))
    assert cp.stdout.strip() == "deployment.apps/ssa serverside-applied", show(cp)
    assert_v2_shape(get_deploy(http, ns, "ssa"), "ssa")

    # another manager claims spec.replicas: conflict, reported with the owner, and nothing changes
    other = v2("ssa")
    other["spec"]["replicas"] = 5
    g = tmp_path / "other.yaml"
    g.write_text(yaml.safe_dump(other))
    # (the deployment controller writes status and annotations meanwhile: compare spec and generation)
    before = get_deploy(http, ns, "ssa")
    cp = fails(kns("apply", "--server-side", "--field-manager=autoscaler-bot", "-f", str(g)))
    assert 'Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas' in cp.stderr, show(cp)
    after = get_deploy(http, ns, "ssa")
    assert (after["spec"], after["metadata"]["generation"]) == (before["spec"], before["metadata"]["generation"])

    # the same through the API: 409 Conflict with a FieldManagerConflict cause
    r = http.patch(f"/apis/apps/v1/namespaces/{ns}/deployments/ssa?fieldManager=autoscaler-bot",
                   data=json.dumps(other), headers={"Content-Type": "application/apply-patch+yaml"})
    body = assert_status(r, 409, "Conflict")
    causes = body.get("details", {}).get("causes", [])
    assert {"reason": "FieldManagerConflict", "message": 'conflict with "kubectl"', "field": ".spec.replicas"} \
        in causes, body

    cp = ok(kns("apply", "--server-side", "--field-manager=autoscaler-bot", "--force-conflicts", "-f", str(g)))
    d = get_deploy(http, ns, "ssa")
    assert d["spec"]["replicas"] == 5, d["spec"]
    owners = {m["manager"]: json.dumps(m.get("fieldsV1", {})) for m in d["metadata"]["managedFields"]}
    assert '"f:replicas"' in owners["autoscaler-bot"], owners
    assert '"f:replicas"' not in owners.get("kubectl", ""), owners


def test_server_side_apply_dry_run_and_manager_required(kns, http, ns):
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa-cm"}, "data": {"a": "1"}}
    r = http.patch(f"/api/v1/namespaces/{ns}/configmaps/ssa-cm", data=json.dumps(body),
                   headers={"Content-Type": "application/apply-patch+yaml"})
    # Kubernetes validates PatchOptions: 422, PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value
    assert_status(r, 422, "Invalid")
    assert r.json()["message"].startswith('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value'), r.text
    r = http.patch(f"/api/v1/namespaces/{ns}/configmaps/ssa-cm?fieldManager=e2e&dryRun=All", data=json.dumps(body),
                   headers={"Content-Type": "application/apply-patch+yaml"})
    assert r.status_code == 201, r.text[:300]
    assert http.get(f"/api/v1/namespaces/{ns}/configmaps/ssa-cm").status_code == 404
    r = http.patch(f"/api/v1/namespaces/{ns}/configmaps/ssa-cm?fieldManager=e2e", data=yaml.safe_dump(body),
                   headers={"Content-Type": "application/apply-patch+yaml"})
    assert r.status_code == 201, r.text[:300]
    mf = r.json()["metadata"]["managedFields"]
    assert [(m["manager"], m["operation"]) for m in mf] == [("e2e", "Apply")], mf


def test_explain_prints_the_field_tree(kubectl):
    cp = ok(kubectl("explain", "pod.spec.containers.livenessProbe"))
    out = cp.stdout
    for pat in [r"^KIND:\s+Pod$", r"^VERSION:\s+v1$", r"^FIELD:\s+livenessProbe\s+<Probe>$", r"^FIELDS:$",
                r"^\s+exec\s+<ExecAction>$", r"^\s+failureThreshold\s+<integer>$", r"^\s+httpGet\s+<HTTPGetAction>$",
                r"^\s+initialDelaySeconds\s+<integer>$", r"^\s+periodSeconds\s+<integer>$",
                r"^\s+tcpSocket\s+<TCPSocketAction>$", r"^\s+timeoutSeconds\s+<integer>$"]:
        assert re.search(pat, out, re.M), f"{pat!r} not in explain output\n{show(cp)}"
    cp = ok(kubectl("explain", "deployment.spec.strategy", "--recursive"))
    for pat in [r"^GROUP:\s+apps$", r"^KIND:\s+Deployment$", r"^FIELD:\s+strategy\s+<DeploymentStrategy>$",
                r"^\s+rollingUpdate\s+<RollingUpdateDeployment>$", r"^\s+maxSurge\s+<IntOrString>$",
                r"^\s+type\s+<string>$"]:
        assert re.search(pat, cp.stdout, re.M), f"{pat!r} not in explain output\n{show(cp)}"
    cp = ok(kubectl("explain", "hpa.spec.metrics", "--api-version=autoscaling/v2"))
    assert re.search(r"^\s+resource\s+<ResourceMetricSource>$", cp.stdout, re.M), show(cp)
