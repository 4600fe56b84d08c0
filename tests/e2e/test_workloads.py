"""Workload kinds with the real kubectl: pods, deployments and friends, jobs and cronjobs."""

import json

import yaml

from conftest import parse_table
from harness import assert_status, fails, ok, show


def _json(cp):
    return json.loads(ok(cp).stdout)


def _deployment(name, selector_labels, template_labels, containers=None):
    return yaml.safe_dump({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {"selector": {"matchLabels": selector_labels},
                 "template": {"metadata": {"labels": template_labels},
                              "spec": {"containers": containers or [{"name": "c", "image": "nginx"}]}}},
    })


def test_create_deployment_shows_kubernetes_defaults(kns):
    cp = ok(kns("create", "deployment", "web", "--image=nginx:1.14.2"))
    assert cp.stdout.strip() == "deployment.apps/web created", show(cp)
    d = _json(kns("get", "deploy", "web", "-o", "json"))
    spec = d["spec"]
    assert d["metadata"]["generation"] == 1
    assert spec["replicas"] == 1
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}
    assert spec["revisionHistoryLimit"] == 10
    assert spec["progressDeadlineSeconds"] == 600
    assert spec["selector"] == {"matchLabels": {"app": "web"}}
    tspec = spec["template"]["spec"]
    assert tspec["restartPolicy"] == "Always"
    assert tspec["dnsPolicy"] == "ClusterFirst"
    assert tspec["schedulerName"] == "default-scheduler"
    assert tspec["terminationGracePeriodSeconds"] == 30
    assert tspec["securityContext"] == {}
    c = tspec["containers"][0]
    assert c["name"] == "nginx" and c["image"] == "nginx:1.14.2"
    assert c["imagePullPolicy"] == "IfNotPresent"
    assert c["terminationMessagePath"] == "/dev/termination-log"
    assert c["terminationMessagePolicy"] == "File"
    assert c["resources"] == {}
    assert "serviceAccountName" not in tspec and "enableServiceLinks" not in tspec, tspec

    rows = parse_table(ok(kns("get", "deployments")).stdout)
    assert [r["NAME"] for r in rows] == ["web"]
    # (no nodes: nothing becomes ready; the deployment controller may already count its new pod up to date)
    assert rows[0]["READY"] == "0/1" and rows[0]["UP-TO-DATE"] in ("0", "1") and rows[0]["AVAILABLE"] == "0", rows
    wide = parse_table(ok(kns("get", "deploy", "-o", "wide")).stdout)
    assert wide[0]["CONTAINERS"] == "nginx" and wide[0]["IMAGES"] == "nginx:1.14.2" and wide[0]["SELECTOR"] == "app=web", wide


def test_scale_and_set_image(kns):
    ok(kns("create", "deployment", "web", "--image=nginx:1.14.2"))
    cp = ok(kns("scale", "deployment", "web", "--replicas=3"))
    assert "scaled" in cp.stdout, show(cp)
    d = _json(kns("get", "deploy", "web", "-o", "json"))
    assert d["spec"]["replicas"] == 3
    assert d["metadata"]["generation"] == 2
    cp = ok(kns("set", "image", "deployment/web", "nginx=nginx:1.16"))
    assert "image updated" in cp.stdout, show(cp)
    d = _json(kns("get", "deploy", "web", "-o", "json"))
    assert d["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.16"
    assert d["metadata"]["generation"] == 3
    scale = _json(kns("get", "--raw", f"/apis/apps/v1/namespaces/{d['metadata']['namespace']}/deployments/web/scale"))
    assert scale["kind"] == "Scale" and scale["apiVersion"] == "autoscaling/v1"
    assert scale["spec"] == {"replicas": 3}
    assert scale["status"]["selector"] == "app=web"


def test_scale_in_discovery(kubectl):
    doc = _json(kubectl("get", "--raw", "/apis/apps/v1"))
    by_name = {r["name"]: r for r in doc["resources"]}
    assert by_name["deployments/scale"]["kind"] == "Scale"
    assert by_name["deployments/scale"]["group"] == "autoscaling"
    assert by_name["deployments/scale"]["version"] == "v1"
    assert by_name["deployments"]["shortNames"] == ["deploy"]
    assert by_name["deployments"]["categories"] == ["all"]
    core = {r["name"]: r for r in _json(kubectl("get", "--raw", "/api/v1"))["resources"]}
    assert core["pods/binding"]["kind"] == "Binding" and core["pods/binding"]["verbs"] == ["create"]
    assert core["pods/eviction"]["group"] == "policy" and core["pods/eviction"]["kind"] == "Eviction"
    # The streams proxied to the node's kubelet.
    assert core["pods/log"]["kind"] == "Pod" and core["pods/log"]["verbs"] == ["get"]
    assert core["pods/exec"]["kind"] == "PodExecOptions" and core["pods/exec"]["verbs"] == ["create", "get"]
    assert core["pods/attach"]["kind"] == "PodAttachOptions"
    assert core["pods/portforward"]["kind"] == "PodPortForwardOptions"


def test_selector_mismatch_is_invalid(kns, http, ns):
    cp = fails(kns("create", "-f", "-", input=_deployment("bad", {"app": "a"}, {"app": "b"})))
    assert "spec.template.metadata.labels" in cp.stderr, show(cp)
    assert "`selector` does not match template `labels`" in cp.stderr, show(cp)
    body = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "bad"},
            "spec": {"selector": {"matchLabels": {"app": "a"}},
                     "template": {"metadata": {"labels": {"app": "b"}},
                                  "spec": {"containers": [{"name": "c", "image": "x"}]}}}}
    r = http.post_json(f"/apis/apps/v1/namespaces/{ns}/deployments", body)
    status = assert_status(r, 422, "Invalid")
    causes = status["details"]["causes"]
    assert causes == [{"reason": "FieldValueInvalid", "field": "spec.template.metadata.labels",
                       "message": "Invalid value: map[string]string{\"app\":\"b\"}: `selector` does not match template `labels`"}], causes


def test_duplicate_container_name_is_invalid(kns):
    containers = [{"name": "c", "image": "nginx"}, {"name": "c", "image": "busybox"}]
    cp = fails(kns("create", "-f", "-", input=_deployment("dup", {"app": "a"}, {"app": "a"}, containers)))
    assert 'spec.template.spec.containers[1].name: Duplicate value: "c"' in cp.stderr, show(cp)


def test_run_pod_tables_and_binding(kns, http, ns):
    cp = ok(kns("run", "nginx", "--image=nginx"))
    assert cp.stdout.strip() == "pod/nginx created", show(cp)
    pod = _json(kns("get", "pod", "nginx", "-o", "json"))
    assert pod["status"]["phase"] == "Pending"
    assert pod["status"]["qosClass"] == "BestEffort"
    assert pod["spec"]["serviceAccountName"] == "default"
    assert pod["spec"]["enableServiceLinks"] is True
    assert pod["spec"]["containers"][0]["imagePullPolicy"] == "Always"
    rows = parse_table(ok(kns("get", "pods")).stdout)
    assert list(rows[0].keys()) == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"], rows
    assert rows[0]["NAME"] == "nginx" and rows[0]["READY"] == "0/1" and rows[0]["STATUS"] == "Pending" and rows[0]["RESTARTS"] == "0"
    wide = parse_table(ok(kns("get", "pods", "-o", "wide")).stdout)
    assert list(wide[0].keys()) == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE", "READINESS GATES"]
    assert wide[0]["NODE"] == "<none>" and wide[0]["IP"] == "<none>"

    binding = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "nginx"}, "target": {"kind": "Node", "name": "node-1"}}
    r = http.post_json(f"/api/v1/namespaces/{ns}/pods/nginx/binding", binding)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "Success"
    wide = parse_table(ok(kns("get", "pods", "-o", "wide")).stdout)
    assert wide[0]["NODE"] == "node-1", wide
    assert ok(kns("get", "pods", "--field-selector", "spec.nodeName=node-1", "-o", "name")).stdout.strip() == "pod/nginx"
    assert ok(kns("get", "pods", "--field-selector", "spec.nodeName=other", "-o", "name")).stdout.strip() == ""
    r = http.post_json(f"/api/v1/namespaces/{ns}/pods/nginx/binding", binding)
    assert_status(r, 409, "Conflict")

    eviction = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "nginx", "namespace": ns}}
    r = http.post_json(f"/api/v1/namespaces/{ns}/pods/nginx/eviction", eviction)
    assert r.status_code == 201, r.text
    # a pod on a node terminates gracefully: it stays, Terminating, until its kubelet (or a forced
    # delete) confirms
    rows = parse_table(ok(kns("get", "pod", "nginx")).stdout)
    assert rows[0]["STATUS"] == "Terminating", rows
    ok(kns("delete", "pod", "nginx", "--grace-period=0", "--force"))
    fails(kns("get", "pod", "nginx"))


def test_jobs_and_cronjobs(kns, http, ns):
    cp = ok(kns("create", "job", "once", "--image=busybox", "--", "true"))
    assert cp.stdout.strip() == "job.batch/once created", show(cp)
    job = _json(kns("get", "job", "once", "-o", "json"))
    uid = job["metadata"]["uid"]
    assert job["spec"]["completions"] == 1 and job["spec"]["parallelism"] == 1
    assert job["spec"]["backoffLimit"] == 6
    assert job["spec"]["completionMode"] == "NonIndexed"
    assert job["spec"]["suspend"] is False
    assert job["spec"]["podReplacementPolicy"] == "TerminatingOrFailed"
    assert job["spec"]["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    labels = job["spec"]["template"]["metadata"]["labels"]
    assert labels["job-name"] == "once" and labels["controller-uid"] == uid and labels["batch.kubernetes.io/job-name"] == "once"
    rows = parse_table(ok(kns("get", "jobs")).stdout)
    assert list(rows[0].keys()) == ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"], rows
    assert rows[0]["STATUS"] == "Running" and rows[0]["COMPLETIONS"] == "0/1"

    cp = ok(kns("create", "cronjob", "tick", "--image=busybox", "--schedule=*/1 * * * *"))
    assert cp.stdout.strip() == "cronjob.batch/tick created", show(cp)
    cj = _json(kns("get", "cj", "tick", "-o", "json"))
    assert cj["spec"]["concurrencyPolicy"] == "Allow"
    assert cj["spec"]["suspend"] is False
    assert cj["spec"]["successfulJobsHistoryLimit"] == 3
    assert cj["spec"]["failedJobsHistoryLimit"] == 1
    rows = parse_table(ok(kns("get", "cronjobs")).stdout)
    assert list(rows[0].keys()) == ["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE"], rows
    assert rows[0]["SCHEDULE"] == "*/1 * * * *" and rows[0]["TIMEZONE"] == "<none>" and rows[0]["SUSPEND"] == "False"

    cp = fails(kns("create", "cronjob", "bad", "--image=busybox", "--schedule=61 * * * *"))
    assert 'spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61' in cp.stderr, show(cp)
    body = cj.copy()
    body["metadata"] = {"name": "bad2"}
    body["spec"] = dict(cj["spec"], schedule="not a schedule")
    r = http.post_json(f"/apis/batch/v1/namespaces/{ns}/cronjobs", body)
    status = assert_status(r, 422, "Invalid")
    assert status["details"]["causes"][0]["field"] == "spec.schedule"


def test_get_all_lists_workloads(kns):
    ok(kns("create", "deployment", "web", "--image=nginx"))
    ok(kns("run", "solo", "--image=nginx"))
    ok(kns("create", "job", "once", "--image=busybox"))
    out = ok(kns("get", "all")).stdout
    assert "pod/solo" in out, out
    assert "deployment.apps/web" in out, out
    assert "job.batch/once" in out, out


def test_other_kinds_defaults(kns):
    sts = yaml.safe_dump({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
                          "spec": {"selector": {"matchLabels": {"app": "db"}}, "serviceName": "db",
                                   "template": {"metadata": {"labels": {"app": "db"}},
                                                "spec": {"containers": [{"name": "c", "image": "postgres:16"}]}}}})
    ok(kns("apply", "-f", "-", input=sts))
    s = _json(kns("get", "sts", "db", "-o", "json"))
    assert s["spec"]["podManagementPolicy"] == "OrderedReady"
    assert s["spec"]["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
    assert s["spec"]["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}
    ok(kns("scale", "sts", "db", "--replicas=2"))
    rows = parse_table(ok(kns("get", "sts")).stdout)
    assert rows[0]["READY"] == "0/2", rows

    ds = yaml.safe_dump({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
                         "spec": {"selector": {"matchLabels": {"app": "agent"}},
                                  "template": {"metadata": {"labels": {"app": "agent"}},
                                               "spec": {"nodeSelector": {"disk": "ssd"},
                                                        "containers": [{"name": "c", "image": "agent:1"}]}}}})
    ok(kns("apply", "-f", "-", input=ds))
    d = _json(kns("get", "ds", "agent", "-o", "json"))
    assert d["spec"]["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}
    rows = parse_table(ok(kns("get", "ds")).stdout)
    assert list(rows[0].keys()) == ["NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE SELECTOR", "AGE"]
    assert rows[0]["NODE SELECTOR"] == "disk=ssd"

    rc = yaml.safe_dump({"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "old"},
                         "spec": {"template": {"metadata": {"labels": {"app": "old"}},
                                               "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}})
    ok(kns("apply", "-f", "-", input=rc))
    r = _json(kns("get", "rc", "old", "-o", "json"))
    assert r["spec"]["selector"] == {"app": "old"} and r["spec"]["replicas"] == 1
    ok(kns("scale", "rc", "old", "--replicas=4"))
    rows = parse_table(ok(kns("get", "rc")).stdout)
    assert rows[0]["DESIRED"] == "4", rows


def test_debug_adds_an_ephemeral_container(kns):
    ok(kns("run", "target", "--image=nginx"))
    cp = kns("debug", "target", "--image=busybox", "--container=dbg")
    assert cp.returncode == 0, show(cp)
    pod = _json(kns("get", "pod", "target", "-o", "json"))
    names = [c["name"] for c in pod["spec"].get("ephemeralContainers", [])]
    assert names == ["dbg"], pod["spec"]


def test_python_client_scale_and_field_selectors(api_client, ns):
    from kubernetes import client

    apps = client.AppsV1Api(api_client)
    core = client.CoreV1Api(api_client)
    body = client.V1Deployment(
        metadata=client.V1ObjectMeta(name="py"),
        spec=client.V1DeploymentSpec(
            selector=client.V1LabelSelector(match_labels={"app": "py"}),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels={"app": "py"}),
                spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="nginx:1.25")]))))
    created = apps.create_namespaced_deployment(ns, body)
    assert created.spec.replicas == 1
    assert created.spec.strategy.rolling_update.max_surge == "25%"
    scale = apps.read_namespaced_deployment_scale("py", ns)
    assert scale.spec.replicas == 1 and scale.status.selector == "app=py"
    scaled = apps.patch_namespaced_deployment_scale("py", ns, {"spec": {"replicas": 4}})
    assert scaled.spec.replicas == 4
    assert apps.read_namespaced_deployment("py", ns).spec.replicas == 4

    core.create_namespaced_pod(ns, client.V1Pod(metadata=client.V1ObjectMeta(name="p1"),
                                                spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="x:1")])))
    core.create_namespaced_pod(ns, client.V1Pod(metadata=client.V1ObjectMeta(name="p2"),
                                                spec=client.V1PodSpec(node_name="n1", restart_policy="Never",
                                                                      containers=[client.V1Container(name="c", image="x:1")])))
    on_node = core.list_namespaced_pod(ns, field_selector="spec.nodeName=n1")
    assert [p.metadata.name for p in on_node.items] == ["p2"]
    never = core.list_namespaced_pod(ns, field_selector="spec.restartPolicy=Never,status.phase=Pending")
    assert [p.metadata.name for p in never.items] == ["p2"]


def test_python_client_reads_every_workload_kind(kns, api_client, ns):
    from kubernetes import client

    docs = [
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
         "spec": {"selector": {"matchLabels": {"app": "db"}}, "serviceName": "db",
                  "volumeClaimTemplates": [{"metadata": {"name": "data"},
                                            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}],
                  "template": {"metadata": {"labels": {"app": "db"}}, "spec": {"containers": [{"name": "c", "image": "postgres:16"}]}}}},
        {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
         "spec": {"selector": {"matchLabels": {"app": "agent"}},
                  "template": {"metadata": {"labels": {"app": "agent"}}, "spec": {"containers": [{"name": "c", "image": "agent:1"}]}}}},
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "rs"},
         "spec": {"selector": {"matchLabels": {"app": "rs"}},
                  "template": {"metadata": {"labels": {"app": "rs"}}, "spec": {"containers": [{"name": "c", "image": "rs:1"}]}}}},
        {"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "rc"},
         "spec": {"template": {"metadata": {"labels": {"app": "rc"}}, "spec": {"containers": [{"name": "c", "image": "rc:1"}]}}}},
        {"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "pt"},
         "template": {"metadata": {"labels": {"app": "pt"}}, "spec": {"containers": [{"name": "c", "image": "pt:1"}]}}},
        {"apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": {"name": "cr"}, "data": {"a": 1}},
    ]
    ok(kns("apply", "-f", "-", input=yaml.safe_dump_all(docs)))
    ok(kns("create", "job", "j", "--image=busybox"))
    ok(kns("create", "cronjob", "cj", "--image=busybox", "--schedule=@hourly"))
    ok(kns("run", "p", "--image=nginx"))
    apps = client.AppsV1Api(api_client)
    batch = client.BatchV1Api(api_client)
    core = client.CoreV1Api(api_client)
    sts = apps.read_namespaced_stateful_set("db", ns)
    assert sts.spec.volume_claim_templates[0].spec.volume_mode == "Filesystem"
    assert sts.spec.persistent_volume_claim_retention_policy.when_deleted == "Retain"
    assert apps.read_namespaced_daemon_set("agent", ns).spec.update_strategy.rolling_update.max_unavailable == 1
    assert apps.read_namespaced_replica_set("rs", ns).spec.replicas == 1
    assert apps.read_namespaced_controller_revision("cr", ns).revision == 0
    assert core.read_namespaced_replication_controller("rc", ns).spec.selector == {"app": "rc"}
    assert core.read_namespaced_pod_template("pt", ns).template.spec.restart_policy == "Always"
    assert batch.read_namespaced_job("j", ns).spec.backoff_limit == 6
    assert batch.read_namespaced_cron_job("cj", ns).spec.concurrency_policy == "Allow"
    assert core.read_namespaced_pod("p", ns).status.qos_class == "BestEffort"
    assert apps.read_namespaced_stateful_set_scale("db", ns).spec.replicas == 1
    assert core.read_namespaced_replication_controller_scale("rc", ns).status.selector == "app=rc"
    for lister in (apps.list_namespaced_stateful_set, apps.list_namespaced_daemon_set, apps.list_namespaced_replica_set,
                   apps.list_namespaced_controller_revision, apps.list_namespaced_deployment, batch.list_namespaced_job,
                   batch.list_namespaced_cron_job, core.list_namespaced_pod, core.list_namespaced_pod_template,
                   core.list_namespaced_replication_controller):
        lister(ns)


RICH_DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: rich
  labels: {app: rich, tier: web}
  annotations: {team: blue}
spec:
  replicas: 2
  minReadySeconds: 5
  selector:
    matchLabels: {app: rich}
    matchExpressions:
    - {key: tier, operator: In, values: [web, api]}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}
  template:
    metadata:
      labels: {app: rich, tier: web}
      annotations: {prometheus.io/scrape: "true"}
    spec:
      serviceAccountName: builder
      securityContext: {runAsNonRoot: true, runAsUser: 1000, fsGroup: 2000, seccompProfile: {type: RuntimeDefault}}
      nodeSelector: {disktype: ssd}
      tolerations:
      - {key: dedicated, operator: Equal, value: web, effect: NoSchedule}
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
            - matchExpressions:
              - {key: kubernetes.io/os, operator: In, values: [linux]}
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
          - weight: 100
            podAffinityTerm:
              topologyKey: kubernetes.io/hostname
              labelSelector: {matchLabels: {app: rich}}
      initContainers:
      - name: migrate
        image: registry.example.com/migrate:v2
        command: [sh, -c, "echo migrate"]
      containers:
      - name: web
        image: nginx:1.25
        ports:
        - {name: http, containerPort: 8080}
        - {name: metrics, containerPort: 9090, protocol: TCP}
        env:
        - {name: MODE, value: production}
        - name: DB_PASSWORD
          valueFrom: {secretKeyRef: {name: db, key: password}}
        - name: POD_NAME
          valueFrom: {fieldRef: {fieldPath: metadata.name}}
        envFrom:
        - configMapRef: {name: web-config}
        - secretRef: {name: web-secret, optional: true}
        resources:
          requests: {cpu: 250m, memory: 64Mi}
          limits: {cpu: "1", memory: 256Mi}
        livenessProbe:
          httpGet: {path: /healthz, port: http}
          initialDelaySeconds: 10
        readinessProbe:
          tcpSocket: {port: 8080}
          periodSeconds: 5
        startupProbe:
          exec: {command: [cat, /tmp/ready]}
          failureThreshold: 30
        lifecycle:
          preStop:
            exec: {command: [sleep, "5"]}
        securityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities: {drop: [ALL]}
        volumeMounts:
        - {name: config, mountPath: /etc/web, readOnly: true}
        - {name: cache, mountPath: /cache}
        - {name: secret, mountPath: /etc/secret}
      - name: sidecar
        image: busybox
        args: [sleep, infinity]
      volumes:
      - name: config
        configMap:
          name: web-config
          items: [{key: nginx.conf, path: nginx.conf}]
      - name: cache
        emptyDir: {medium: Memory, sizeLimit: 128Mi}
      - name: secret
        secret: {secretName: web-secret, defaultMode: 256}
"""


def _is_subset(applied, served, path="$"):
    """Every field of `applied` is in `served` with the same value (lists element-wise)."""
    if isinstance(applied, dict):
        assert isinstance(served, dict), f"{path}: expected an object, got {served!r}"
        for k, v in applied.items():
            assert k in served, f"{path}.{k} was dropped"
            _is_subset(v, served[k], f"{path}.{k}")
    elif isinstance(applied, list):
        assert isinstance(served, list) and len(served) == len(applied), f"{path}: {served!r} != {applied!r}"
        for i, (a, s) in enumerate(zip(applied, served)):
            _is_subset(a, s, f"{path}[{i}]")
    else:
        assert applied == served, f"{path}: applied {applied!r}, served {served!r}"


def test_rich_deployment_keeps_every_field_and_gets_defaults(kns):
    ok(kns("apply", "-f", "-", input=RICH_DEPLOYMENT))
    served = _json(kns("get", "deploy", "rich", "-o", "json"))
    applied = yaml.safe_load(RICH_DEPLOYMENT)
    _is_subset(applied["spec"], served["spec"], "spec")
    _is_subset(applied["metadata"]["labels"], served["metadata"]["labels"], "metadata.labels")
    tspec = served["spec"]["template"]["spec"]
    web, sidecar = tspec["containers"]
    assert web["imagePullPolicy"] == "IfNotPresent" and sidecar["imagePullPolicy"] == "Always"
    assert tspec["initContainers"][0]["imagePullPolicy"] == "IfNotPresent"
    assert web["livenessProbe"] == {"httpGet": {"path": "/healthz", "port": "http", "scheme": "HTTP"}, "initialDelaySeconds": 10,
                                    "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3}
    assert web["readinessProbe"]["timeoutSeconds"] == 1 and web["readinessProbe"]["failureThreshold"] == 3
    assert web["env"][2]["valueFrom"]["fieldRef"]["apiVersion"] == "v1"
    assert web["ports"][0]["protocol"] == "TCP"
    assert tspec["volumes"][0]["configMap"]["defaultMode"] == 420
    assert tspec["volumes"][2]["secret"]["defaultMode"] == 256
    assert served["spec"]["revisionHistoryLimit"] == 10 and served["spec"]["progressDeadlineSeconds"] == 600
    assert tspec["serviceAccount"] == "builder"
    # re-applying the same manifest changes nothing
    cp = ok(kns("apply", "-f", "-", input=RICH_DEPLOYMENT))
    assert cp.stdout.strip() == "deployment.apps/rich unchanged", show(cp)


def test_reapply_removes_what_the_manifest_dropped(kns):
    ok(kns("apply", "-f", "-", input=RICH_DEPLOYMENT))
    edited = yaml.safe_load(RICH_DEPLOYMENT)
    tspec = edited["spec"]["template"]["spec"]
    tspec["containers"] = [tspec["containers"][0]]                       # drop the sidecar
    web = tspec["containers"][0]
    web["env"] = [e for e in web["env"] if e["name"] != "MODE"]          # drop an env var
    web["ports"] = [web["ports"][0]]                                     # drop a port
    del edited["metadata"]["labels"]["tier"]                              # drop a label
    cp = ok(kns("apply", "-f", "-", input=yaml.safe_dump(edited)))
    assert cp.stdout.strip() == "deployment.apps/rich configured", show(cp)
    served = _json(kns("get", "deploy", "rich", "-o", "json"))
    containers = served["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["web"]
    assert [e["name"] for e in containers[0]["env"]] == ["DB_PASSWORD", "POD_NAME"]
    assert [p["name"] for p in containers[0]["ports"]] == ["http"]
    assert served["metadata"]["labels"] == {"app": "rich"}
    assert served["metadata"]["generation"] == 2


def test_cronjob_manifest_round_trips(kns):
    manifest = {
        "apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "purge"},
        "spec": {"schedule": "0 3 * * *", "timeZone": "Europe/Paris", "concurrencyPolicy": "Forbid",
                 "startingDeadlineSeconds": 3600, "successfulJobsHistoryLimit": 2, "failedJobsHistoryLimit": 3,
                 "jobTemplate": {"metadata": {"labels": {"job": "purge"}},
                                 "spec": {"backoffLimit": 2, "activeDeadlineSeconds": 600, "ttlSecondsAfterFinished": 86400,
                                          "template": {"spec": {"restartPolicy": "OnFailure",
                                                                "containers": [{"name": "purge", "image": "purge:1",
                                                                                "args": ["--older-than", "30d"]}]}}}}},
    }
    ok(kns("apply", "-f", "-", input=yaml.safe_dump(manifest)))
    served = _json(kns("get", "cronjob", "purge", "-o", "json"))
    _is_subset(manifest["spec"], served["spec"], "spec")
    assert served["spec"]["suspend"] is False
    rows = parse_table(ok(kns("get", "cronjob", "purge")).stdout)
    assert rows[0]["TIMEZONE"] == "Europe/Paris" and rows[0]["SCHEDULE"] == "0 3 * * *"
    bad = dict(manifest, metadata={"name": "bad-zone"})
    bad["spec"] = dict(manifest["spec"], timeZone="Europe/Pariss")
    cp = fails(kns("apply", "-f", "-", input=yaml.safe_dump(bad)))
    assert 'spec.timeZone: Invalid value: "Europe/Pariss": unknown time zone Europe/Pariss' in cp.stderr, show(cp)


def test_bindings_resource_binds_a_pod(kns, http, ns):
    ok(kns("run", "later", "--image=nginx"))
    binding = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "later"}, "target": {"kind": "Node", "name": "node-9"}}
    r = http.post_json(f"/api/v1/namespaces/{ns}/bindings", binding)
    assert r.status_code == 201, r.text
    assert _json(kns("get", "pod", "later", "-o", "json"))["spec"]["nodeName"] == "node-9"
    r = http.post_json(f"/api/v1/namespaces/{ns}/bindings", dict(binding, target={"kind": "Node", "name": "node-10"}))
    assert_status(r, 409, "Conflict")
    r = http.get(f"/api/v1/namespaces/{ns}/bindings")
    assert_status(r, 405, "MethodNotAllowed")
    names = [line.split()[0] for line in ok(kns("api-resources", "--api-group=")).stdout.splitlines()[1:]]
    assert "bindings" in names and "pods" in names
