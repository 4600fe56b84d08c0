"""The node agent with real containers (issue 5): `swiftlet agent` starts its own containerd (from a
config it writes, with a CNI bridge on the podCIDR the API server gave its Node), registers the node,
and the real kubectl's pods run as containers built offline (tools/build-test-images.sh: an httpd
"nginx:1.14.2" served by a registry on 127.0.0.1:5000 that mirrors docker.io). Pod IPs answer HTTP
from the host; deletions stop the containers; a restarted agent finishes what it left.

Needs root and the packages realnode.py lists.
"""

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from harness import Server, ok, require_binary, wait_until
from realnode import PAUSE_IMAGE, attempt as _try, delete_all_pods, http_get, pod as _pod, pods as _pods
from realnode import remove_agent_leftovers, require_real_node, offline_images

BRIDGE = "swlte2e0"
NODE = "agent-e2e"


@pytest.fixture(scope="module")
def agent_cluster(swiftlet_bin, tmp_path_factory):
    require_real_node()
    work = tmp_path_factory.mktemp("agent")
    agents = []
    data, run = work / "agent-data", Path("/tmp") / f"swl-e2e-run-{os.getpid()}"
    with offline_images(work) as registries:
        server = Server(work / "server", name="agent-server")

        def start_agent():
            log = open(work / "agent.log", "ab", buffering=0)
            proc = subprocess.Popen(
                [str(require_binary()), "agent", "--kubeconfig", str(server.kubeconfig), "--node-name", NODE,
                 "--data-dir", str(data), "--run-dir", str(run), "--registries", str(registries),
                 "--pause-image", PAUSE_IMAGE, "--bridge", BRIDGE, "--pod-log-dir", str(data / "logs")],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            proc.log = log
            agents.append(proc)
            return proc

        try:
            server.start()
            start_agent()
            yield server, start_agent, agents, run
        finally:
            try:
                # Pods first (the agent stops their containers), then the agent, its containerd, the registry.
                delete_all_pods(server)
            except Exception:
                pass
            finally:
                for proc in agents:
                    if proc.poll() is None:
                        os.kill(proc.pid, signal.SIGTERM)
                        try:
                            proc.wait(timeout=20)
                        except subprocess.TimeoutExpired:
                            os.kill(proc.pid, signal.SIGKILL)
                            proc.wait(timeout=10)
                    proc.log.close()
                server.stop()
                server.kill()
                remove_agent_leftovers(BRIDGE, data, run)


def _http(ip):
    return http_get(ip)


def test_node_registers_ready_with_the_machine(agent_cluster):
    server, *_ = agent_cluster
    def ready():
        cp = server.kubectl("get", "node", NODE, "-o", "json")
        if cp.returncode != 0:
            return False
        conditions = json.loads(cp.stdout)["status"].get("conditions", [])
        return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)

    wait_until(ready, timeout=60, msg=f"node {NODE} Ready")
    node = json.loads(ok(server.kubectl("get", "node", NODE, "-o", "json")).stdout)
    assert node["status"]["nodeInfo"]["containerRuntimeVersion"].startswith("containerd://1.6")
    assert int(node["status"]["capacity"]["cpu"]) >= 1
    assert node["spec"]["podCIDR"]
    lease = json.loads(ok(server.kubectl("get", "lease", NODE, "-n", "kube-node-lease", "-o", "json")).stdout)
    assert lease["spec"]["holderIdentity"] == NODE


def test_replicaset_pods_run_as_containers_and_answer_http(agent_cluster):
    server, *_ = agent_cluster
    ok(server.kubectl("create", "deployment", "nginx", "--image=nginx:1.14.2", "--replicas=2"))

    def running():
        pods = _pods(server, "app=nginx")
        return len(pods) == 2 and all(p["status"].get("phase") == "Running" and p["status"].get("podIP") for p in pods)

    wait_until(running, timeout=90, msg="2 nginx pods Running")
    pods = _pods(server, "app=nginx")
    ips = {p["status"]["podIP"] for p in pods}
    assert len(ips) == 2
    cidr = json.loads(ok(server.kubectl("get", "node", NODE, "-o", "json")).stdout)["spec"]["podCIDR"]
    prefix = cidr.rsplit(".", 1)[0]
    for pod in pods:
        assert pod["status"]["podIP"].startswith(prefix + "."), (pod["status"]["podIP"], cidr)
        status = pod["status"]["containerStatuses"][0]
        assert status["ready"] is True and status["restartCount"] == 0
        assert status["containerID"].startswith("containerd://")
        assert status["imageID"].startswith("docker.io/library/nginx@sha256:")
        assert status["image"] == "docker.io/library/nginx:1.14.2"
        code, body = _http(pod["status"]["podIP"])
        assert code == 200 and "Welcome to nginx!" in body
    wide = ok(server.kubectl("get", "pods", "-l", "app=nginx", "-o", "wide")).stdout
    assert NODE in wide and "Running" in wide


def test_deleted_pod_is_replaced_and_its_containers_stop(agent_cluster):
    server, *_ = agent_cluster
    victim = _pods(server, "app=nginx")[0]
    ok(server.kubectl("delete", "pod", victim["metadata"]["name"], "--grace-period=1", "--wait=false"))

    def replaced():
        pods = [p for p in _pods(server, "app=nginx") if p["metadata"].get("deletionTimestamp") is None]
        return len(pods) == 2 and victim["metadata"]["uid"] not in {p["metadata"]["uid"] for p in pods} \
            and all(p["status"].get("phase") == "Running" for p in pods)

    wait_until(replaced, timeout=90, msg="the deleted pod replaced")
    wait_until(lambda: victim["metadata"]["name"] not in {p["metadata"]["name"] for p in _pods(server)},
               timeout=60, msg="the deleted pod's object removed once its containers stopped")
    with pytest.raises(Exception):
        _http(victim["status"]["podIP"])


ENV_POD = """
apiVersion: v1
kind: Pod
metadata:
  name: envcheck
spec:
  containers:
  - name: web
    image: busybox:1.36
    command: ["sh", "-c"]
    args:
    - mkdir -p /www; env > /www/env.txt;
      (while true; do cat /etc/conf/mode > /www/mode.txt; cat /etc/secret/token > /www/token.txt; sleep 0.3; done) &
      exec httpd -f -p 80 -h /www
    env:
    - name: MODE
      valueFrom: {configMapKeyRef: {name: settings, key: mode}}
    - name: POD_NAME
      valueFrom: {fieldRef: {fieldPath: metadata.name}}
    - name: GREETING
      value: "hello from $(POD_NAME)"
    envFrom:
    - secretRef: {name: creds}
      prefix: S_
    resources:
      limits: {memory: 64Mi, cpu: 250m}
      requests: {memory: 32Mi, cpu: 100m}
    volumeMounts:
    - {name: conf, mountPath: /etc/conf}
    - {name: secret, mountPath: /etc/secret}
  volumes:
  - {name: conf, configMap: {name: settings}}
  - {name: secret, secret: {secretName: creds}}
"""


def _get(ip, path):
    return http_get(ip, path)[1]


def test_configmap_and_secret_reach_env_and_files_and_limits_reach_the_cgroup(agent_cluster):
    server, *_ = agent_cluster
    ok(server.kubectl("create", "configmap", "settings", "--from-literal=mode=blue"))
    ok(server.kubectl("create", "secret", "generic", "creds", "--from-literal=token=s3cret"))
    ok(server.kubectl("apply", "-f", "-", input=ENV_POD))
    wait_until(lambda: (_pod(server, "envcheck") or {}).get("status", {}).get("phase") == "Running", timeout=90, msg="envcheck Running")
    pod = _pod(server, "envcheck")
    ip = pod["status"]["podIP"]
    wait_until(lambda: _try(lambda: _get(ip, "/mode.txt")) == "blue", timeout=30, msg="the ConfigMap file served")
    env = dict(line.split("=", 1) for line in _get(ip, "/env.txt").splitlines() if "=" in line)
    assert env["MODE"] == "blue"
    assert env["POD_NAME"] == "envcheck"
    assert env["GREETING"] == "hello from envcheck"
    assert env["S_token"] == "s3cret"
    assert env["KUBERNETES_SERVICE_HOST"]
    assert _get(ip, "/token.txt") == "s3cret"
    # The file follows an update of the ConfigMap.
    ok(server.kubectl("patch", "configmap", "settings", "-p", '{"data":{"mode":"green"}}'))
    wait_until(lambda: _try(lambda: _get(ip, "/mode.txt")) == "green", timeout=60, msg="the updated ConfigMap file")
    # resources.limits as cgroup settings of the container (cgroup v1, cgroupfs driver).
    cid = pod["status"]["containerStatuses"][0]["containerID"].split("://", 1)[1]
    base = Path(f"/sys/fs/cgroup/memory/kubepods/burstable/pod{pod['metadata']['uid']}/{cid}")
    assert (base / "memory.limit_in_bytes").read_text().strip() == str(64 * 1024 * 1024)
    cpu = Path(f"/sys/fs/cgroup/cpu/kubepods/burstable/pod{pod['metadata']['uid']}/{cid}")
    assert (cpu / "cpu.cfs_quota_us").read_text().strip() == "25000"
    assert (cpu / "cpu.shares").read_text().strip() == "102"
    # The kubelet's events, as kubectl describe shows them.
    described = ok(server.kubectl("describe", "pod", "envcheck")).stdout
    for word in ("Scheduled", "Pulled", "Created", "Started", "Created container web", "Started container web"):
        assert word in described, described
    assert pod["status"]["qosClass"] == "Burstable"
    ok(server.kubectl("delete", "pod", "envcheck", "--grace-period=1"))
    wait_until(lambda: not base.exists() and not base.parent.exists(), timeout=30, msg="the pod's cgroups removed")


def test_a_restarted_agent_adopts_its_pods(agent_cluster):
    server, start_agent, agents, _ = agent_cluster
    before = {p["metadata"]["uid"]: p["status"]["containerStatuses"][0]["containerID"] for p in _pods(server, "app=nginx")}
    proc = agents[-1]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    start_agent()
    time.sleep(3)
    wait_until(lambda: all(p["status"].get("phase") == "Running" for p in _pods(server, "app=nginx")), timeout=60, msg="pods Running")
    after = {p["metadata"]["uid"]: p["status"]["containerStatuses"][0]["containerID"] for p in _pods(server, "app=nginx")}
    # The same pods with the same containers: nothing recreated, no duplicates.
    assert after == before
    for pod in _pods(server, "app=nginx"):
        assert pod["status"]["containerStatuses"][0]["restartCount"] == 0
        assert _http(pod["status"]["podIP"])[0] == 200


CRASHER = """
apiVersion: v1
kind: Pod
metadata:
  name: crasher
spec:
  containers:
  - name: app
    image: busybox:1.36
    command: ["sh", "-c", "sleep 1; exit 3"]
"""


def test_a_crashing_container_restarts_with_back_off(agent_cluster):
    server, *_ = agent_cluster
    ok(server.kubectl("apply", "-f", "-", input=CRASHER))
    seen = set()

    def backing_off():
        status = ((_pod(server, "crasher") or {}).get("status", {}).get("containerStatuses") or [{}])[0]
        waiting = status.get("state", {}).get("waiting", {})
        seen.add(waiting.get("reason"))
        return status.get("restartCount", 0) >= 2 and "CrashLoopBackOff" in seen

    wait_until(backing_off, timeout=90, interval=0.3, msg="restarts with CrashLoopBackOff")
    status = _pod(server, "crasher")["status"]["containerStatuses"][0]
    assert status["lastState"]["terminated"]["exitCode"] == 3
    assert status["lastState"]["terminated"]["reason"] == "Error"
    events = ok(server.kubectl("get", "events", "--field-selector", "involvedObject.name=crasher")).stdout
    assert "BackOff" in events and "Back-off restarting failed container app" in events, events
    ok(server.kubectl("delete", "pod", "crasher", "--grace-period=1"))


def test_containerd_killed_is_restarted_and_pods_keep_running(agent_cluster):
    server, _, _, run = agent_cluster
    pid_file = run / "containerd" / "containerd.pid"
    old = int(pid_file.read_text().strip())
    pods = _pods(server, "app=nginx")
    os.kill(old, signal.SIGKILL)
    wait_until(lambda: pid_file.exists() and pid_file.read_text().strip() not in ("", str(old)), timeout=30, msg="containerd restarted")
    # The pods' containers live in their shims: they still answer, with the same containers.
    for pod in pods:
        assert _http(pod["status"]["podIP"])[0] == 200
    ok(server.kubectl("run", "after-restart", "--image=nginx:1.14.2", "--restart=Never"))
    wait_until(lambda: (_pod(server, "after-restart") or {}).get("status", {}).get("phase") == "Running", timeout=60,
               msg="a new pod runs on the restarted containerd")
    after = {p["metadata"]["uid"]: p["status"]["containerStatuses"][0]["containerID"] for p in _pods(server, "app=nginx")}
    assert after == {p["metadata"]["uid"]: p["status"]["containerStatuses"][0]["containerID"] for p in pods}
    ok(server.kubectl("delete", "pod", "after-restart", "--grace-period=1"))


def test_a_pod_deleted_while_the_agent_is_down_is_cleaned_up_when_it_returns(agent_cluster):
    server, start_agent, agents, _ = agent_cluster
    ok(server.kubectl("run", "orphaned", "--image=nginx:1.14.2", "--restart=Never"))
    wait_until(lambda: (_pod(server, "orphaned") or {}).get("status", {}).get("phase") == "Running", timeout=60, msg="orphaned Running")
    ip = _pod(server, "orphaned")["status"]["podIP"]
    proc = agents[-1]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    ok(server.kubectl("delete", "pod", "orphaned", "--wait=false"))
    time.sleep(1)
    # Nobody stops it while the agent is down: still terminating, still serving.
    assert _pod(server, "orphaned")["metadata"].get("deletionTimestamp")
    assert _http(ip)[0] == 200
    start_agent()
    wait_until(lambda: _pod(server, "orphaned") is None, timeout=90, msg="the pod object removed by the returning agent")
    wait_until(lambda: _try(lambda: _http(ip)) is None, timeout=30, msg="its containers stopped")
