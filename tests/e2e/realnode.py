"""Shared set-up of the real-container tests (issue 5): what the machine needs, the offline test images
served by a registry on 127.0.0.1:5000 (tools/build-test-images.sh), the registries.yaml that mirrors
docker.io to it, and the clean-up of what an agent leaves behind (its bridge, mounts, directories).

Needs root and containerd, runc, containernetworking-plugins, busybox-static, umoci, skopeo,
docker-registry (scripts/test.sh installs them in CI and sets SWIFTLET_REQUIRE_CONTAINERD=1, which
turns a missing piece into a failure instead of a skip).
"""

import contextlib
import json
import os
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest

from harness import Server, ok, wait_until

REPO = Path(__file__).resolve().parents[2]
NEEDED = ["/usr/bin/containerd", "/usr/sbin/runc", "/usr/lib/cni/bridge", "/usr/bin/umoci", "/usr/bin/skopeo", "/usr/bin/docker-registry"]
PAUSE_IMAGE = "127.0.0.1:5000/pause:3.9"


def missing():
    if os.geteuid() != 0:
        return "not root"
    absent = [p for p in NEEDED if not os.path.exists(p)]
    return f"missing {', '.join(absent)}" if absent else None


def require_real_node():
    """Skip (or, with SWIFTLET_REQUIRE_CONTAINERD=1, fail) when the machine cannot run real containers."""
    why = missing()
    if why:
        if os.environ.get("SWIFTLET_REQUIRE_CONTAINERD") == "1":
            pytest.fail(f"real container tests required but {why}", pytrace=False)
        pytest.skip(why)


@contextlib.contextmanager
def offline_images(work: Path):
    """The offline images in a registry on 127.0.0.1:5000; yields the registries.yaml mirroring docker.io to it."""
    env = dict(os.environ, SWIFTLET_TEST_IMAGES_DIR=str(work / "images"))
    subprocess.run(["bash", str(REPO / "tools/build-test-images.sh"), "up"], check=True, env=env,
                   stdout=subprocess.DEVNULL, timeout=300)
    registries = work / "registries.yaml"
    registries.write_text('mirrors:\n  docker.io:\n    endpoint: ["http://127.0.0.1:5000"]\n'
                          '  "127.0.0.1:5000":\n    endpoint: ["http://127.0.0.1:5000"]\n')
    try:
        yield registries
    finally:
        subprocess.run(["bash", str(REPO / "tools/build-test-images.sh"), "down"], env=env, stdout=subprocess.DEVNULL)


@contextlib.contextmanager
def server_with_agent(tmp_path_factory, name, node, bridge, extra_args=(), kinds="pods,deployments,replicasets"):
    """`swiftlet server` running its own node agent on the offline images; yields (server, work dir, run dir).
    At the end its workloads (`kinds`) are deleted, the server stopped and what the agent left removed."""
    require_real_node()
    work = tmp_path_factory.mktemp(name)
    run = Path("/tmp") / f"swl-e2e-{name}-{os.getpid()}"
    with offline_images(work) as registries:
        server = Server(work / "server", name=name, agent=True, extra_args=[
            "--node-name", node, "--node-ip", "127.0.0.1", "--run-dir", str(run), "--registries", str(registries),
            "--pause-image", PAUSE_IMAGE, "--bridge", bridge, "--pod-log-dir", str(work / "pod-logs"), *extra_args])
        try:
            server.start()
            yield server, work, run
        finally:
            try:
                delete_all_pods(server, kinds=kinds)
            except Exception:
                pass
            finally:
                server.stop(timeout=30)
                server.kill()
                remove_agent_leftovers(bridge, server.data_dir / "agent", run)


def delete_all_pods(server, kinds="pods,deployments,replicasets", timeout=60):
    """Deletes the workloads (the agent stops their containers) and waits until no pod is left."""
    if not server.is_ready():
        return
    server.kubectl("delete", kinds, "--all", "--wait=false")
    wait_until(lambda: not json.loads(server.kubectl("get", "pods", "-o", "json").stdout or "{}").get("items"),
               timeout=timeout, msg="pods gone")


def remove_agent_leftovers(bridge: str, data: Path, run: Path):
    """The CNI bridge, the mounts under the agent's data directory, and its directories."""
    subprocess.run(["ip", "link", "del", bridge], stderr=subprocess.DEVNULL)
    subprocess.run(["umount", "-R", str(data)], stderr=subprocess.DEVNULL)
    shutil.rmtree(run, ignore_errors=True)
    shutil.rmtree(data, ignore_errors=True)


def pods(server, selector=None, namespace=None):
    args = ["get", "pods", "-o", "json"] + (["-l", selector] if selector else []) + (["-n", namespace] if namespace else [])
    return json.loads(ok(server.kubectl(*args)).stdout)["items"]


def pod(server, name, namespace=None):
    cp = server.kubectl("get", "pod", name, "-o", "json", *(["-n", namespace] if namespace else []))
    return json.loads(cp.stdout) if cp.returncode == 0 else None


def http_get(ip, path="/", port=80):
    with urllib.request.urlopen(f"http://{ip}:{port}{path}", timeout=3) as r:
        return r.status, r.read().decode()


def attempt(fn):
    """fn() or None when it raises (for wait_until)."""
    try:
        return fn()
    except Exception:
        return None
