"""Streams through the API server to a real node's kubelet, volumes of the default StorageClass, and
metrics with autoscaling (issue 5), driven by the real kubectl and the Python client against
`swiftlet server` with its own node agent: `kubectl logs` (-c, --tail, --timestamps, --since, -f,
--previous), `exec` (exit codes, stdin to its end, -it with a terminal), `attach`, `port-forward`, `cp`
both ways; a PVC of the default StorageClass binds and its data outlives the pod; `kubectl top` prints
figures; an HPA scales a CPU-burning Deployment up and back down.

Needs root and the packages realnode.py lists.
"""

import json
import re
import socket
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from harness import fails, ok, show, wait_until
from realnode import attempt, http_get, pod, server_with_agent

BRIDGE = "swlstr0"
NODE = "streams-e2e"


@pytest.fixture(scope="module")
def cluster(swiftlet_bin, tmp_path_factory):
    with server_with_agent(tmp_path_factory, "streams", NODE, BRIDGE, kinds="pods,deployments,replicasets,hpa,pvc",
                           extra_args=["--kubelet-port", "0"]) as (server, _, _):
        wait_until(lambda: _node_ready(server), timeout=90, msg=f"node {NODE} Ready")
        yield server


def _node_ready(server):
    cp = server.kubectl("get", "node", NODE, "-o", "json")
    return cp.returncode == 0 and any(c["type"] == "Ready" and c["status"] == "True"
                                      for c in json.loads(cp.stdout)["status"].get("conditions", []))


def _apply(server, *manifests):
    ok(server.kubectl("apply", "-f", "-", input=yaml.safe_dump_all(list(manifests))))


def _running(server, name, timeout=90):
    wait_until(lambda: ((pod(server, name) or {}).get("status") or {}).get("phase") == "Running",
               timeout=timeout, msg=f"{name} Running")


def _pod(name, containers, **spec):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": name}},
            "spec": {"containers": containers, "terminationGracePeriodSeconds": 1, **spec}}


COUNTER = "i=0; while true; do echo line $i; i=$((i+1)); sleep 1; done"


@pytest.fixture(scope="module")
def talker(cluster):
    """A pod with two containers: `main` prints a numbered line every second, `side` greets once."""
    server = cluster
    _apply(server, _pod("talker", [
        {"name": "main", "image": "busybox:1.36", "command": ["sh", "-c", COUNTER]},
        {"name": "side", "image": "busybox:1.36", "command": ["sh", "-c", "echo side says hi; exec sleep 3600"]},
    ]))
    _running(server, "talker")
    wait_until(lambda: "line 3" in server.kubectl("logs", "talker", "-c", "main").stdout, timeout=30, msg="four lines logged")
    return server


def test_logs_of_a_container_with_tail_timestamps_and_since(talker):
    server = talker
    out = ok(server.kubectl("logs", "talker", "-c", "main")).stdout
    assert out.startswith("line 0\nline 1\n"), out
    assert ok(server.kubectl("logs", "talker", "-c", "side")).stdout == "side says hi\n"
    # Without -c on a pod of two containers: kubectl picks the first and says so.
    assert ok(server.kubectl("logs", "talker")).stdout.startswith("line 0\n")
    tail = ok(server.kubectl("logs", "talker", "-c", "main", "--tail=2")).stdout.splitlines()
    assert len(tail) == 2 and all(re.fullmatch(r"line \d+", line) for line in tail), tail
    stamped = ok(server.kubectl("logs", "talker", "-c", "side", "--timestamps")).stdout
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z side says hi\n", stamped), stamped
    time.sleep(2.5)
    recent = ok(server.kubectl("logs", "talker", "-c", "main", "--since=2s")).stdout.splitlines()
    everything = ok(server.kubectl("logs", "talker", "-c", "main")).stdout.splitlines()
    assert 1 <= len(recent) <= 4 < len(everything), (recent, len(everything))
    assert recent[-1] in everything[-2:]
    # Errors come back as kubectl shows them.
    cp = fails(server.kubectl("logs", "talker", "-c", "nope"))
    assert "container nope is not valid for pod talker" in cp.stderr, show(cp)
    cp = fails(server.kubectl("logs", "talker", "-c", "main", "--previous"))
    assert 'previous terminated container "main" in pod "talker" not found' in cp.stderr, show(cp)


def test_logs_follow_streams_new_lines(talker):
    server = talker
    proc = subprocess.Popen(["kubectl", "--kubeconfig", str(server.kubeconfig), "logs", "-f", "talker", "-c", "main", "--tail=1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=server.env())
    try:
        first = proc.stdout.readline()
        second = proc.stdout.readline()
        third = proc.stdout.readline()
        n = [int(re.fullmatch(r"line (\d+)\n", s).group(1)) for s in (first, second, third)]
        assert n[1] == n[0] + 1 and n[2] == n[1] + 1, n
        assert proc.poll() is None  # still following
    finally:
        proc.kill()
        proc.wait()


def test_logs_previous_shows_the_last_run(cluster):
    server = cluster
    _apply(server, _pod("crasher", [{"name": "c", "image": "busybox:1.36",
                                      "command": ["sh", "-c", "echo run $RANDOM; sleep 1; exit 3"]}]))
    wait_until(lambda: (((pod(server, "crasher") or {}).get("status") or {}).get("containerStatuses") or [{}])[0]
               .get("restartCount", 0) >= 1, timeout=90, msg="crasher restarted")
    previous = ok(server.kubectl("logs", "crasher", "--previous")).stdout
    assert re.fullmatch(r"run \d+\n", previous), previous
    ok(server.kubectl("delete", "pod", "crasher", "--wait=false"))


def test_exec_returns_output_errors_exit_code_and_reads_stdin_to_its_end(talker):
    server = talker
    cp = server.kubectl("exec", "talker", "-c", "side", "--", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert cp.returncode == 3 and cp.stdout == "out\n" and "err" in cp.stderr, show(cp)
    assert "command terminated with exit code 3" in cp.stderr, show(cp)
    # stdin's end reaches the command: `cat` ends and its output comes back whole.
    data = "".join(f"row {i}\n" for i in range(2000))
    cp = ok(server.kubectl("exec", "-i", "talker", "-c", "side", "--", "sh", "-c", "cat; echo EOF", input=data))
    assert cp.stdout == data + "EOF\n"
    cp = fails(server.kubectl("exec", "talker", "-c", "side", "--", "/no/such/binary"))
    assert "no such file or directory" in (cp.stderr + cp.stdout).lower(), show(cp)
    cp = fails(server.kubectl("exec", "nope", "--", "true"))
    assert 'pods "nope" not found' in cp.stderr, show(cp)


def test_exec_it_gives_the_command_a_terminal(talker):
    server = talker
    # `script` gives kubectl a terminal of its own, as a user at a shell has.
    command = (f"kubectl --kubeconfig {server.kubeconfig} exec -it talker -c side -- "
               "sh -c 'tty; stty size; echo done'")
    cp = subprocess.run(["script", "-qec", command, "/dev/null"], input="", capture_output=True, text=True,
                        timeout=60, env=dict(server.env(), COLUMNS="100", LINES="30"))
    out = cp.stdout.replace("\r", "")
    assert cp.returncode == 0, show(cp)
    assert re.search(r"^/dev/pts/\d+$", out, re.M), out
    assert "done" in out


def test_python_client_exec(talker):
    from kubernetes import client
    from kubernetes.stream import stream

    api = client.CoreV1Api(talker.api_client())
    out = stream(api.connect_get_namespaced_pod_exec, "talker", "default", container="side",
                 command=["sh", "-c", "echo from python; echo oops >&2"], stderr=True, stdin=False, stdout=True, tty=False)
    assert "from python" in out and "oops" in out


def test_attach_reads_output_and_sends_stdin(cluster):
    server = cluster
    _apply(server, _pod("echoer", [{"name": "c", "image": "busybox:1.36", "stdin": True,
                                     "command": ["sh", "-c", "echo ready; while read l; do echo got $l; done"]}]))
    _running(server, "echoer")
    proc = subprocess.Popen(["kubectl", "--kubeconfig", str(server.kubeconfig), "attach", "-i", "echoer"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=server.env())
    try:
        time.sleep(2)
        proc.stdin.write("hello\n")
        proc.stdin.flush()
        line = proc.stdout.readline()
        while line and line != "got hello\n":
            line = proc.stdout.readline()
        assert line == "got hello\n"
    finally:
        proc.kill()
        proc.wait()
    ok(server.kubectl("delete", "pod", "echoer", "--wait=false"))


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_port_forward_reaches_the_pod(cluster):
    server = cluster
    _apply(server, _pod("pfweb", [{"name": "web", "image": "nginx:1.14.2", "ports": [{"containerPort": 80}]}]))
    _running(server, "pfweb")
    port = _free_port()
    proc = subprocess.Popen(["kubectl", "--kubeconfig", str(server.kubeconfig), "port-forward", "pod/pfweb", f"{port}:80"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=server.env())
    try:
        assert proc.stdout.readline().startswith(f"Forwarding from 127.0.0.1:{port} -> 80")
        for _ in range(3):  # one connection after another over the same tunnel
            status, body = wait_until(lambda: attempt(lambda: http_get("127.0.0.1", port=port)), timeout=20, msg="forwarded HTTP")
            assert status == 200 and "Welcome to nginx!" in body
    finally:
        proc.kill()
        proc.wait()
    ok(server.kubectl("delete", "pod", "pfweb", "--wait=false"))


def test_cp_copies_into_and_out_of_a_container(talker, tmp_path):
    server = talker
    src = tmp_path / "notes.txt"
    src.write_text("".join(f"note {i}\n" for i in range(500)))
    ok(server.kubectl("cp", str(src), "talker:/tmp/notes.txt", "-c", "side"))
    assert ok(server.kubectl("exec", "talker", "-c", "side", "--", "cat", "/tmp/notes.txt")).stdout == src.read_text()
    ok(server.kubectl("exec", "talker", "-c", "side", "--", "sh", "-c", "mkdir -p /tmp/d/e && echo deep > /tmp/d/e/f"))
    back = tmp_path / "back"
    ok(server.kubectl("cp", "talker:/tmp/d", str(back), "-c", "side"))
    assert (back / "e" / "f").read_text() == "deep\n"


def test_a_claim_of_the_default_storage_class_binds_and_outlives_its_pod(cluster):
    server = cluster
    sc = json.loads(ok(server.kubectl("get", "storageclass", "local-path", "-o", "json")).stdout)
    assert sc["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"
    claim = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"},
             "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "64Mi"}}}}
    volume = [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]
    mount = [{"name": "d", "mountPath": "/data"}]
    _apply(server, claim, _pod("writer", [{"name": "c", "image": "busybox:1.36", "volumeMounts": mount,
                                           "command": ["sh", "-c", "echo kept-$RANDOM-$RANDOM > /data/f; exec sleep 3600"]}],
                               volumes=volume))
    _running(server, "writer")
    pvc = json.loads(ok(server.kubectl("get", "pvc", "data", "-o", "json")).stdout)
    assert pvc["spec"]["storageClassName"] == "local-path"
    assert pvc["status"]["phase"] == "Bound"
    pv = json.loads(ok(server.kubectl("get", "pv", pvc["spec"]["volumeName"], "-o", "json")).stdout)
    assert pv["spec"]["claimRef"]["name"] == "data" and pv["status"]["phase"] == "Bound"
    # The server's default --default-local-storage-path: DATA-DIR/storage.
    assert pv["spec"]["hostPath"]["path"].startswith(str(server.data_dir / "storage") + "/")
    written = wait_until(lambda: attempt(lambda: ok(server.kubectl("exec", "writer", "--", "cat", "/data/f")).stdout),
                         timeout=20, msg="file written")
    assert written.startswith("kept-")
    ok(server.kubectl("delete", "pod", "writer", "--wait=true", "--timeout=60s"))
    _apply(server, _pod("reader", [{"name": "c", "image": "busybox:1.36", "volumeMounts": mount,
                                    "command": ["sleep", "3600"]}], volumes=volume))
    _running(server, "reader")
    assert ok(server.kubectl("exec", "reader", "--", "cat", "/data/f")).stdout == written
    ok(server.kubectl("delete", "pod", "reader", "--wait=true", "--timeout=60s"))
    # Reclaim policy Delete: deleting the claim removes the volume and its directory.
    ok(server.kubectl("delete", "pvc", "data"))
    wait_until(lambda: server.kubectl("get", "pv", pv["metadata"]["name"]).returncode != 0, timeout=30, msg="pv deleted")
    wait_until(lambda: not Path(pv["spec"]["hostPath"]["path"]).exists(), timeout=60, msg="volume directory removed")


def test_kubectl_top_prints_figures(talker):
    server = talker

    def top(*args):
        cp = server.kubectl("top", *args)
        return cp.stdout if cp.returncode == 0 else None

    nodes = wait_until(lambda: top("nodes"), timeout=90, msg="kubectl top nodes")
    row = next(line for line in nodes.splitlines() if line.startswith(NODE))
    assert re.fullmatch(rf"{NODE}\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%", row.strip()), nodes
    pods_out = wait_until(lambda: (lambda t: t if t and "talker" in t else None)(top("pods")), timeout=90, msg="kubectl top pods")
    row = next(line for line in pods_out.splitlines() if line.startswith("talker"))
    assert re.fullmatch(r"talker\s+\d+m\s+\d+Mi", row.strip()), pods_out
    containers = ok(server.kubectl("top", "pod", "talker", "--containers")).stdout
    assert re.search(r"talker\s+main\s+\d+m\s+\d+Mi", containers) and re.search(r"talker\s+side\s+\d+m\s+\d+Mi", containers), containers


def _deployment(name, command, cpu_limit="200m"):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"terminationGracePeriodSeconds": 1, "containers": [{
                                      "name": "c", "image": "busybox:1.36", "command": ["sh", "-c", command],
                                      "resources": {"requests": {"cpu": "100m"}, "limits": {"cpu": cpu_limit}}}]}}}}


def test_an_hpa_scales_a_cpu_burner_up_and_back_down(cluster):
    server = cluster
    hpa = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "burner"},
           "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "burner"},
                    "minReplicas": 1, "maxReplicas": 3,
                    "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}],
                    "behavior": {"scaleDown": {"stabilizationWindowSeconds": 15}}}}
    # Each replica burns up to its 200m limit: 200% of its 100m request, four times the target.
    _apply(server, _deployment("burner", "while true; do :; done"), hpa)

    def replicas():
        d = json.loads(ok(server.kubectl("get", "deployment", "burner", "-o", "json")).stdout)
        return d["spec"]["replicas"]

    wait_until(lambda: replicas() == 3, timeout=180, interval=2, msg="scaled up to 3")
    status = json.loads(ok(server.kubectl("get", "hpa", "burner", "-o", "json")).stdout)["status"]
    assert status["desiredReplicas"] == 3
    assert status["currentMetrics"][0]["resource"]["current"]["averageUtilization"] > 50
    events = ok(server.kubectl("get", "events", "--field-selector", "involvedObject.name=burner,reason=SuccessfulRescale")).stdout
    assert "New size: 3; reason: cpu resource utilization (percentage of request) above target" in events, events
    # The load stops: the same Deployment now sleeps; after the 15 s window it goes back to one replica.
    ok(server.kubectl("patch", "deployment", "burner", "--type=json", "-p",
                      json.dumps([{"op": "replace", "path": "/spec/template/spec/containers/0/command", "value": ["sleep", "3600"]}])))
    wait_until(lambda: replicas() == 1, timeout=240, interval=2, msg="scaled back down to 1")
    # The HPA's own status follows at its next sync; kubectl prints it.
    row = re.compile(r"burner\s+Deployment/burner\s+cpu: \d+%/50%\s+1\s+3\s+1\s")
    wait_until(lambda: row.search(ok(server.kubectl("get", "hpa", "burner")).stdout), timeout=60, interval=2,
               msg="kubectl get hpa shows 1 replica")
    ok(server.kubectl("delete", "hpa,deployment", "burner"))
