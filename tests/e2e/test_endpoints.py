"""Endpoints, EndpointSlices, default ServiceAccounts and PodDisruptionBudgets with the real kubectl
on a server with 3 simulated nodes."""

import json

import pytest
import yaml

from conftest import parse_table
from harness import ok, show, unique, wait_until
from nodes_cluster import kjson, nodes_cluster, pod_yaml


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with nodes_cluster(tmp_path_factory, "endpoints") as (server, sims):
        wait_until(lambda: len([r for r in parse_table(server.kubectl("get", "nodes").stdout) if r["STATUS"] == "Ready"]) == 3,
                   timeout=60, msg="3 Ready nodes")
        yield server


def _namespace(server):
    name = unique("ep")
    ok(server.kubectl("create", "namespace", name))
    return name


SERVICE = yaml.safe_dump({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                          "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}})
PORTS = [{"name": "http", "containerPort": 8080}]


def _running(server, ns, name):
    wait_until(lambda: kjson(server, "-n", ns, "get", "pod", name)["status"].get("podIP"), timeout=30, msg=f"{name} has an IP")
    return kjson(server, "-n", ns, "get", "pod", name)


def _slice_endpoints(server, ns):
    slices = kjson(server, "-n", ns, "get", "endpointslices", "-l", "kubernetes.io/service-name=web")["items"]
    return slices, {e["targetRef"]["name"]: e for s in slices for e in (s.get("endpoints") or [])}


def test_endpoints_and_slices_follow_pods_and_readiness(cluster):
    server = cluster
    ns = _namespace(server)
    ok(server.kubectl("-n", ns, "apply", "-f", "-", input=SERVICE))
    pods = {}
    for name in ("web-1", "web-2"):
        ok(server.kubectl("-n", ns, "apply", "-f", "-", input=pod_yaml(name, labels={"app": "web"}, ports=PORTS)))
    ok(server.kubectl("-n", ns, "apply", "-f", "-", input=pod_yaml("db", labels={"app": "db"}, ports=PORTS)))
    for name in ("web-1", "web-2"):
        pods[name] = _running(server, ns, name)
    ips = sorted(p["status"]["podIP"] for p in pods.values())
    want = ",".join(f"{ip}:8080" for ip in ips)

    def endpoints_column():
        rows = parse_table(server.kubectl("-n", ns, "get", "ep", "web").stdout)
        return rows[0]["ENDPOINTS"] if rows else None

    wait_until(lambda: endpoints_column() == want, timeout=20, msg=f"ENDPOINTS {want}")
    described = ok(server.kubectl("-n", ns, "describe", "svc", "web")).stdout
    assert "Endpoints:" in described and all(f"{ip}:8080" in described for ip in ips), described

    ep = kjson(server, "-n", ns, "get", "endpoints", "web")
    subset = ep["subsets"][0]
    assert subset["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]
    by_name = {a["targetRef"]["name"]: a for a in subset["addresses"]}
    assert by_name["web-1"]["targetRef"]["uid"] == pods["web-1"]["metadata"]["uid"]
    assert by_name["web-1"]["nodeName"] == pods["web-1"]["spec"]["nodeName"]

    slices, endpoints = wait_until(lambda: (r := _slice_endpoints(server, ns)) and len(r[1]) == 2 and r, timeout=20, msg="slice")
    assert len(slices) == 1
    s = slices[0]
    assert s["metadata"]["name"].startswith("web-") and s["addressType"] == "IPv4"
    assert s["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"] == "endpointslice-controller.k8s.io"
    assert s["metadata"]["ownerReferences"][0]["kind"] == "Service"
    assert s["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]
    assert endpoints["web-1"]["conditions"] == {"ready": True, "serving": True, "terminating": False}
    rows = parse_table(ok(server.kubectl("-n", ns, "get", "endpointslices")).stdout)
    assert rows[0]["ADDRESSTYPE"] == "IPv4" and rows[0]["PORTS"] == "8080", rows

    # web-2 turns not ready: it moves to notReadyAddresses and its slice endpoint is not ready.
    ok(server.kubectl("-n", ns, "patch", "pod", "web-2", "--subresource=status",
                      "-p", json.dumps({"status": {"conditions": [{"type": "Ready", "status": "False"}]}})))
    ip1, ip2 = pods["web-1"]["status"]["podIP"], pods["web-2"]["status"]["podIP"]
    wait_until(lambda: endpoints_column() == f"{ip1}:8080", timeout=20, msg="only web-1 ready")
    ep = kjson(server, "-n", ns, "get", "endpoints", "web")
    assert [a["ip"] for a in ep["subsets"][0]["notReadyAddresses"]] == [ip2]
    wait_until(lambda: _slice_endpoints(server, ns)[1]["web-2"]["conditions"]["ready"] is False, timeout=20, msg="slice not ready")

    # Deleting a pod removes it.
    ok(server.kubectl("-n", ns, "delete", "pod", "web-1"))
    wait_until(lambda: endpoints_column() == "<none>" or endpoints_column() == "", timeout=20, msg="no ready endpoints")
    wait_until(lambda: "web-1" not in _slice_endpoints(server, ns)[1], timeout=20, msg="web-1 out of the slice")


def test_kubernetes_service_endpoints_stay_the_api_servers(cluster):
    server = cluster
    ep = kjson(server, "-n", "default", "get", "endpoints", "kubernetes")
    assert ep["subsets"][0]["addresses"] == [{"ip": "127.0.0.1"}]
    assert ep["subsets"][0]["ports"][0]["port"] == server.port


def test_every_namespace_has_a_default_service_account(cluster):
    server = cluster
    ns = _namespace(server)
    wait_until(lambda: server.kubectl("-n", ns, "get", "serviceaccount", "default").returncode == 0, timeout=10, msg="default SA")
    ok(server.kubectl("-n", ns, "delete", "serviceaccount", "default"))
    wait_until(lambda: server.kubectl("-n", ns, "get", "serviceaccount", "default").returncode == 0, timeout=10, msg="default SA again")
    rows = parse_table(ok(server.kubectl("-n", ns, "get", "serviceaccounts")).stdout)
    assert [r["NAME"] for r in rows] == ["default"]


def test_drain_honours_a_pod_disruption_budget(cluster):
    server = cluster
    ns = _namespace(server)
    for name in ("a", "b"):
        ok(server.kubectl("-n", ns, "apply", "-f", "-", input=pod_yaml(name, labels={"app": "guarded"}, node="sim-3")))
        _running(server, ns, name)
    pdb = yaml.safe_dump({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "guard"},
                          "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "guarded"}}}})
    ok(server.kubectl("-n", ns, "apply", "-f", "-", input=pdb))
    wait_until(lambda: kjson(server, "-n", ns, "get", "pdb", "guard").get("status", {}).get("disruptionsAllowed") == 1,
               timeout=20, msg="disruptionsAllowed 1")
    rows = parse_table(ok(server.kubectl("-n", ns, "get", "pdb")).stdout)
    assert rows[0]["MIN AVAILABLE"] == "1" and rows[0]["ALLOWED DISRUPTIONS"] == "1", rows
    status = kjson(server, "-n", ns, "get", "pdb", "guard")["status"]
    assert status["currentHealthy"] == 2 and status["desiredHealthy"] == 1 and status["expectedPods"] == 2
    assert status["conditions"][0]["reason"] == "SufficientPods"

    # Bare pods need --force; the budget lets one go and holds the other until the timeout.
    cp = server.kubectl("drain", "sim-3", "--force", "--ignore-daemonsets", "--timeout=8s", "--pod-selector=app=guarded", timeout=40)
    assert cp.returncode != 0, show(cp)
    assert "Cannot evict pod as it would violate the pod's disruption budget." in cp.stderr + cp.stdout, show(cp)
    left = [p for p in kjson(server, "-n", ns, "get", "pods")["items"] if "deletionTimestamp" not in p["metadata"]]
    assert len(left) == 1, [p["metadata"]["name"] for p in left]
    assert parse_table(ok(server.kubectl("get", "node", "sim-3")).stdout)[0]["STATUS"] == "Ready,SchedulingDisabled"
    wait_until(lambda: kjson(server, "-n", ns, "get", "pdb", "guard")["status"].get("disruptionsAllowed") == 0, timeout=20,
               msg="disruptionsAllowed 0")
    ok(server.kubectl("uncordon", "sim-3"))
