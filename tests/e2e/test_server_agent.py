"""`swiftlet server` without --disable-agent (issue 5): the server runs a node agent on its own machine
(containerd it configures and supervises, a kubelet in-process), so the one command gives a working
single-node cluster. Real containers, driven by the real kubectl: pods answer HTTP, a failing liveness
probe restarts its container, readiness decides Endpoints membership, two containers share an emptyDir,
a killed container process restarts with back-off, postStart and preStop hooks run, and stopping the
server stops its containerd.

Needs root and the packages realnode.py lists.
"""

import json
import os
import shutil
import time
from pathlib import Path

import pytest
import yaml

from harness import ok, wait_until
from realnode import attempt, delete_all_pods, http_get, pod, server_with_agent

BRIDGE = "swlsrv0"
NODE = "server-e2e"


@pytest.fixture(scope="module")
def cluster(swiftlet_bin, tmp_path_factory):
    with server_with_agent(tmp_path_factory, "srv", NODE, BRIDGE) as (server, _, run):
        yield server, run


def _apply(server, manifest):
    ok(server.kubectl("apply", "-f", "-", input=yaml.safe_dump_all(manifest if isinstance(manifest, list) else [manifest])))


def _phase(server, name):
    return ((pod(server, name) or {}).get("status") or {}).get("phase")


def _bare_pod(name, containers, labels=None, volumes=None):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels or {"app": name}},
            "spec": {"containers": containers, "volumes": volumes or [], "terminationGracePeriodSeconds": 2}}


def test_the_servers_own_node_runs_pods(cluster):
    server, _ = cluster

    def ready():
        cp = server.kubectl("get", "node", NODE, "-o", "json")
        if cp.returncode != 0:
            return False
        return any(c["type"] == "Ready" and c["status"] == "True" for c in json.loads(cp.stdout)["status"].get("conditions", []))

    wait_until(ready, timeout=90, msg=f"the server's own node {NODE} Ready")
    node = json.loads(ok(server.kubectl("get", "node", NODE, "-o", "json")).stdout)
    assert {"type": "InternalIP", "address": "127.0.0.1"} in node["status"]["addresses"]
    assert node["status"]["nodeInfo"]["containerRuntimeVersion"].startswith("containerd://")
    ok(server.kubectl("run", "web", "--image=nginx:1.14.2", "--port=80"))
    wait_until(lambda: _phase(server, "web") == "Running", timeout=90, msg="web Running")
    web = pod(server, "web")
    assert web["spec"]["nodeName"] == NODE
    assert web["status"]["hostIP"] == "127.0.0.1"
    status, body = wait_until(lambda: attempt(lambda: http_get(web["status"]["podIP"])), timeout=30, msg="web answers HTTP")
    assert status == 200 and "nginx" in body.lower(), body


def test_a_failing_liveness_probe_restarts_the_container(cluster):
    server, _ = cluster
    _apply(server, _bare_pod("liveness", [{
        "name": "web", "image": "nginx:1.14.2",
        "livenessProbe": {"httpGet": {"path": "/healthz-missing", "port": 80},
                          "initialDelaySeconds": 3, "periodSeconds": 1, "failureThreshold": 2},
    }]))

    def restarts():
        statuses = ((pod(server, "liveness") or {}).get("status") or {}).get("containerStatuses") or []
        return statuses and statuses[0].get("restartCount", 0) >= 1

    wait_until(restarts, timeout=90, msg="the liveness probe restarts the container")
    status = pod(server, "liveness")["status"]["containerStatuses"][0]
    assert status["lastState"]["terminated"]["reason"] in ("Error", "Completed"), status
    described = ok(server.kubectl("describe", "pod", "liveness")).stdout
    # 404 once httpd listens; on a loaded machine an early probe may instead find the port still closed.
    assert ("Liveness probe failed: HTTP probe failed with statuscode: 404" in described
            or "Liveness probe failed: Get \"http://" in described), described
    assert "failed liveness probe, will be restarted" in described, described
    ok(server.kubectl("delete", "pod", "liveness", "--wait=false"))


READY_SCRIPT = "sleep 8; touch /tmp/ready; sleep 15; rm /tmp/ready; exec sleep 3600"


def test_readiness_decides_endpoints_membership(cluster):
    server, _ = cluster
    _apply(server, [
        _bare_pod("flip", [{"name": "app", "image": "busybox:1.36", "command": ["sh", "-c", READY_SCRIPT],
                            "readinessProbe": {"exec": {"command": ["cat", "/tmp/ready"]}, "periodSeconds": 1}}],
                  labels={"app": "flip"}),
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "flip"},
         "spec": {"selector": {"app": "flip"}, "ports": [{"port": 80}]}},
    ])

    def membership():
        cp = server.kubectl("get", "endpoints", "flip", "-o", "json")
        if cp.returncode != 0:
            return None
        subsets = json.loads(cp.stdout).get("subsets") or [{}]
        ready = [a["ip"] for s in subsets for a in s.get("addresses", [])]
        not_ready = [a["ip"] for s in subsets for a in s.get("notReadyAddresses", [])]
        return ready, not_ready

    wait_until(lambda: _phase(server, "flip") == "Running", timeout=60, msg="flip Running")
    ip = pod(server, "flip")["status"]["podIP"]
    # Running but not ready: listed as not ready only.
    assert wait_until(lambda: membership() == ([], [ip]), timeout=20, msg="flip not ready in the Endpoints")
    # The probe succeeds: the address moves to the ready set.
    wait_until(lambda: membership() == ([ip], []), timeout=30, msg="flip ready in the Endpoints")
    ready = [c for c in pod(server, "flip")["status"]["conditions"] if c["type"] == "Ready"][0]
    assert ready["status"] == "True"
    # And back when it fails again.
    wait_until(lambda: membership() == ([], [ip]), timeout=40, msg="flip not ready again")
    ok(server.kubectl("delete", "pod,service", "flip", "--wait=false"))


def test_two_containers_share_an_empty_dir(cluster):
    server, _ = cluster
    _apply(server, _bare_pod("shared", [
        {"name": "writer", "image": "busybox:1.36",
         "command": ["sh", "-c", "echo written-by-the-other-container > /data/index.html; exec sleep 3600"],
         "volumeMounts": [{"name": "scratch", "mountPath": "/data"}]},
        {"name": "web", "image": "nginx:1.14.2", "volumeMounts": [{"name": "scratch", "mountPath": "/www"}]},
    ], volumes=[{"name": "scratch", "emptyDir": {}}]))
    wait_until(lambda: _phase(server, "shared") == "Running", timeout=60, msg="shared Running")
    ip = pod(server, "shared")["status"]["podIP"]
    status, body = wait_until(lambda: attempt(lambda: http_get(ip)), timeout=60, msg="the web container serves the shared file")
    assert (status, body.strip()) == (200, "written-by-the-other-container")
    ok(server.kubectl("delete", "pod", "shared", "--wait=false"))


def _container_pids(p):
    """Host PIDs in a running container's memory cgroup (cgroup v1, cgroupfs driver)."""
    status = p["status"]["containerStatuses"][0]
    cid = status["containerID"].split("://", 1)[1]
    qos = p["status"]["qosClass"].lower()
    base = Path("/sys/fs/cgroup/memory/kubepods") / ("" if qos == "guaranteed" else qos) / f"pod{p['metadata']['uid']}" / cid
    return [int(x) for x in (base / "cgroup.procs").read_text().split()]


def _restarts(server, name):
    statuses = ((pod(server, name) or {}).get("status") or {}).get("containerStatuses") or [{}]
    return statuses[0].get("restartCount", 0), statuses[0].get("state", {})


def test_killing_a_containers_process_restarts_it_with_back_off(cluster):
    server, _ = cluster
    _apply(server, _bare_pod("victim", [{"name": "app", "image": "busybox:1.36", "command": ["sleep", "3600"]}]))
    wait_until(lambda: _phase(server, "victim") == "Running", timeout=60, msg="victim Running")
    for pid in _container_pids(pod(server, "victim")):
        os.kill(pid, 9)
    wait_until(lambda: (r := _restarts(server, "victim"))[0] == 1 and "running" in r[1], timeout=60, msg="restartCount 1 and running again")
    last = pod(server, "victim")["status"]["containerStatuses"][0]["lastState"]["terminated"]
    assert last["exitCode"] == 137 and last["reason"] == "Error", last
    # A second crash is held back: CrashLoopBackOff before the next restart.
    killed = time.monotonic()
    for pid in _container_pids(pod(server, "victim")):
        os.kill(pid, 9)
    wait_until(lambda: _restarts(server, "victim")[1].get("waiting", {}).get("reason") == "CrashLoopBackOff",
               timeout=30, msg="CrashLoopBackOff")
    wait_until(lambda: (r := _restarts(server, "victim"))[0] == 2 and "running" in r[1], timeout=60, msg="restartCount 2")
    assert time.monotonic() - killed >= 5, "the second restart was not held back"
    assert "Back-off restarting failed container app" in ok(server.kubectl("describe", "pod", "victim")).stdout
    ok(server.kubectl("delete", "pod", "victim", "--wait=false"))


def test_post_start_and_pre_stop_hooks_run(cluster):
    server, _ = cluster
    host = Path("/tmp") / f"swl-e2e-hooks-{os.getpid()}"
    host.mkdir(exist_ok=True)
    try:
        _apply(server, _bare_pod("hooks", [{
            "name": "web", "image": "nginx:1.14.2",
            "volumeMounts": [{"name": "host", "mountPath": "/host"}],
            "lifecycle": {"postStart": {"exec": {"command": ["sh", "-c", "echo started > /www/hook.txt"]}},
                          "preStop": {"exec": {"command": ["sh", "-c", "echo stopped-gracefully > /host/prestop.txt"]}}},
        }], volumes=[{"name": "host", "hostPath": {"path": str(host), "type": "Directory"}}]))
        wait_until(lambda: _phase(server, "hooks") == "Running", timeout=60, msg="hooks Running")
        ip = pod(server, "hooks")["status"]["podIP"]
        status, body = wait_until(lambda: attempt(lambda: http_get(ip, "/hook.txt")), timeout=30, msg="the postStart file")
        assert body.strip() == "started"
        ok(server.kubectl("delete", "pod", "hooks", "--wait=true", "--timeout=60s"))
        assert (host / "prestop.txt").read_text().strip() == "stopped-gracefully"
    finally:
        shutil.rmtree(host, ignore_errors=True)


def test_stopping_the_server_stops_its_containerd(cluster):
    server, run = cluster
    delete_all_pods(server)
    pid = int((run / "containerd" / "containerd.pid").read_text())
    os.kill(pid, 0)  # running now
    assert server.stop(timeout=30) == 0, server.log_tail()

    def gone():
        try:
            os.kill(pid, 0)
            return False
        except ProcessLookupError:
            return True

    wait_until(gone, timeout=20, msg="containerd stopped with the server")
