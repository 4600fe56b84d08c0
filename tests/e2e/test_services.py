"""Issue 3 item 2: Services (ClusterIP / NodePort allocation), Endpoints, Nodes, ServiceAccounts,
Ingresses, IngressClasses, NetworkPolicies and EndpointSlices with the real kubectl."""

import ipaddress
import json

import yaml

from conftest import parse_table
from harness import assert_status, fails, ok, show, unique

CIDR = ipaddress.ip_network("10.43.0.0/16")


def _svc(http, ns, name):
    r = http.get(f"/api/v1/namespaces/{ns}/services/{name}")
    assert r.status_code == 200, r.text[:300]
    return r.json()


def test_clusterip_service_gets_address_in_cidr(kns, http, ns):
    cp = ok(kns("create", "service", "clusterip", "web", "--tcp=80:8080"))
    assert cp.stdout.strip() == "service/web created", show(cp)
    rows = parse_table(ok(kns("get", "svc")).stdout)
    assert list(rows[0].keys()) == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"], rows
    row = next(r for r in rows if r["NAME"] == "web")
    assert row["TYPE"] == "ClusterIP"
    assert ipaddress.ip_address(row["CLUSTER-IP"]) in CIDR, row
    assert row["EXTERNAL-IP"] == "<none>"
    assert row["PORT(S)"] == "80/TCP"
    wide = parse_table(ok(kns("get", "svc", "web", "-o", "wide")).stdout)
    assert wide[0]["SELECTOR"] == "app=web", wide
    spec = _svc(http, ns, "web")["spec"]
    assert spec["clusterIPs"] == [row["CLUSTER-IP"]]
    assert spec["ports"] == [{"name": "80-8080", "port": 80, "protocol": "TCP", "targetPort": 8080}]
    assert spec["ipFamilies"] == ["IPv4"] and spec["ipFamilyPolicy"] == "SingleStack"
    assert spec["sessionAffinity"] == "None" and spec["internalTrafficPolicy"] == "Cluster"
    # svc is in the "all" category
    assert "service/web" in ok(kns("get", "all", "-o", "name")).stdout


def test_nodeport_service_gets_node_port(kns, http, ns):
    ok(kns("create", "service", "nodeport", "np", "--tcp=80:8080"))
    spec = _svc(http, ns, "np")["spec"]
    node_port = spec["ports"][0]["nodePort"]
    assert 30000 <= node_port <= 32767, spec
    assert spec["externalTrafficPolicy"] == "Cluster"
    row = parse_table(ok(kns("get", "svc", "np")).stdout)[0]
    assert row["TYPE"] == "NodePort"
    assert row["PORT(S)"] == f"80:{node_port}/TCP", row
    # field selectors spec.type and spec.clusterIP
    ok(kns("create", "service", "clusterip", "other", "--tcp=80"))
    assert ok(kns("get", "svc", "--field-selector", "spec.type=NodePort", "-o", "name")).stdout.split() == ["service/np"]
    assert ok(kns("get", "svc", "--field-selector", f"spec.clusterIP={spec['clusterIP']}", "-o", "name")).stdout.split() == ["service/np"]
    # a second service asking for the same node port is refused
    body = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "np2"},
            "spec": {"type": "NodePort", "ports": [{"port": 81, "nodePort": node_port}]}}
    r = http.post_json(f"/api/v1/namespaces/{ns}/services", body)
    status = assert_status(r, 422, "Invalid")
    assert status["details"]["causes"][0]["field"] == "spec.ports[0].nodePort", status
    assert "provided port is already allocated" in status["message"]
    # deleting the first frees it
    ok(kns("delete", "svc", "np"))
    r = http.post_json(f"/api/v1/namespaces/{ns}/services", body)
    assert r.status_code == 201, r.text[:300]


def test_loadbalancer_pending(kns, http, ns):
    ok(kns("create", "service", "loadbalancer", "lb", "--tcp=443:8443"))
    spec = _svc(http, ns, "lb")["spec"]
    assert spec["allocateLoadBalancerNodePorts"] is True
    row = parse_table(ok(kns("get", "svc", "lb")).stdout)[0]
    assert row["EXTERNAL-IP"] == "<pending>", row
    # the status subresource sets the ingress; the main resource keeps it
    ok(kns("patch", "svc", "lb", "--subresource=status", "--type=merge",
           "-p", '{"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.7"}]}}}'))
    ok(kns("label", "svc", "lb", "tier=edge"))
    row = parse_table(ok(kns("get", "svc", "lb")).stdout)[0]
    assert row["EXTERNAL-IP"] == "192.0.2.7", row


def test_headless_and_external_name(kns, http, ns):
    ok(kns("create", "service", "clusterip", "db", "--clusterip=None", "--tcp=5432:5432"))
    obj = _svc(http, ns, "db")
    assert obj["spec"]["clusterIP"] == "None" and obj["spec"]["clusterIPs"] == ["None"]
    ok(kns("create", "service", "externalname", "ext", "--external-name=db.example.com"))
    obj = _svc(http, ns, "ext")
    assert obj["spec"]["type"] == "ExternalName"
    assert "clusterIP" not in obj["spec"]
    rows = {r["NAME"]: r for r in parse_table(ok(kns("get", "svc")).stdout)}
    assert rows["db"]["CLUSTER-IP"] == "None"
    assert rows["ext"]["CLUSTER-IP"] == "<none>"
    assert rows["ext"]["EXTERNAL-IP"] == "db.example.com"
    assert rows["ext"]["PORT(S)"] == "<none>"


def test_port_out_of_range_is_invalid(kns, http, ns):
    manifest = yaml.safe_dump({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "bad"},
                               "spec": {"ports": [{"port": 70000, "protocol": "HTTP"}]}})
    cp = fails(kns("apply", "-f", "-", input=manifest))
    assert "spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive" in cp.stderr, show(cp)
    r = http.post_json(f"/api/v1/namespaces/{ns}/services", yaml.safe_load(manifest))
    status = assert_status(r, 422, "Invalid")
    fields = [c["field"] for c in status["details"]["causes"]]
    assert "spec.ports[0].port" in fields and "spec.ports[0].protocol" in fields, status


def test_same_cluster_ip_twice(kns, http, ns):
    ip = "10.43.200.200"
    ok(kns("create", "service", "clusterip", "first", f"--clusterip={ip}", "--tcp=80"))
    assert _svc(http, ns, "first")["spec"]["clusterIP"] == ip
    cp = fails(kns("create", "service", "clusterip", "second", f"--clusterip={ip}", "--tcp=80"))
    assert "provided IP is already allocated" in cp.stderr, show(cp)
    r = http.post_json(f"/api/v1/namespaces/{ns}/services", {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "second"},
        "spec": {"clusterIP": ip, "ports": [{"port": 80}]}})
    status = assert_status(r, 422, "Invalid")
    assert status["details"]["causes"][0]["field"] == "spec.clusterIPs"
    cp = fails(kns("create", "service", "clusterip", "outside", "--clusterip=10.99.0.1", "--tcp=80"))
    assert "is not in the valid range" in cp.stderr, show(cp)
    # clusterIP is immutable
    cp = fails(kns("patch", "svc", "first", "--type=merge", "-p",
                   '{"spec":{"clusterIP":"10.43.200.201","clusterIPs":["10.43.200.201"]}}'))
    assert "may not change once set" in cp.stderr, show(cp)


def test_dual_stack_rejected(http, ns):
    r = http.post_json(f"/api/v1/namespaces/{ns}/services", {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "ds"},
        "spec": {"ipFamilyPolicy": "RequireDualStack", "ipFamilies": ["IPv4", "IPv6"],
                 "clusterIPs": ["10.43.9.9", "fd00::9"], "ports": [{"port": 80}]}})
    status = assert_status(r, 422, "Invalid")
    fields = [c["field"] for c in status["details"]["causes"]]
    assert "spec.ipFamilyPolicy" in fields, status


def test_kubernetes_service(kubectl):
    rows = parse_table(ok(kubectl("get", "svc", "kubernetes", "-n", "default")).stdout)
    assert rows[0]["CLUSTER-IP"] == "10.43.0.1", rows
    assert rows[0]["PORT(S)"] == "443/TCP"
    ep = parse_table(ok(kubectl("get", "ep", "kubernetes", "-n", "default")).stdout)
    assert list(ep[0].keys()) == ["NAME", "ENDPOINTS", "AGE"]
    assert ep[0]["ENDPOINTS"].startswith("127.0.0.1:"), ep


def test_ingress_with_tls(kns, http, ns):
    manifest = yaml.safe_dump({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web"},
        "spec": {
            "ingressClassName": "traefik",
            "tls": [{"hosts": ["web.example.com"], "secretName": "web-tls"}],
            "rules": [{"host": "web.example.com", "http": {"paths": [
                {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}],
        }})
    ok(kns("apply", "-f", "-", input=manifest))
    obj = json.loads(ok(kns("get", "ing", "web", "-o", "json")).stdout)
    assert obj["spec"]["tls"] == [{"hosts": ["web.example.com"], "secretName": "web-tls"}]
    assert obj["metadata"]["generation"] == 1
    rows = parse_table(ok(kns("get", "ing")).stdout)
    assert list(rows[0].keys()) == ["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"], rows
    assert rows[0]["CLASS"] == "traefik" and rows[0]["HOSTS"] == "web.example.com"
    assert rows[0]["PORTS"] == "80, 443", rows
    bad = yaml.safe_load(manifest)
    bad["metadata"]["name"] = "bad"
    del bad["spec"]["rules"][0]["http"]["paths"][0]["pathType"]
    cp = fails(kns("apply", "-f", "-", input=yaml.safe_dump(bad)))
    assert "spec.rules[0].http.paths[0].pathType: Required value" in cp.stderr, show(cp)


def test_other_kinds_columns(kubectl, kns, http, ns):
    node = unique("node")
    ok(kubectl("apply", "-f", "-", input=yaml.safe_dump({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": node, "labels": {"node-role.kubernetes.io/control-plane": "true"}},
        "status": {"conditions": [{"type": "Ready", "status": "True"}],
                   "addresses": [{"type": "InternalIP", "address": "192.0.2.10"}],
                   "nodeInfo": {"kubeletVersion": "v1.32.0+swiftlet"}}})))
    try:
        ok(kubectl("apply", "-f", "-", input=yaml.safe_dump({
            "apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": node},
            "spec": {"controller": "example.com/ingress"}})))
        ok(kns("create", "serviceaccount", "builder"))
        ok(kns("apply", "-f", "-", input=yaml.safe_dump({
            "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "deny"},
            "spec": {"podSelector": {"matchLabels": {"app": "web"}}}})))
        ok(kns("apply", "-f", "-", input=yaml.safe_dump({
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": {"name": "web-abc"},
            "addressType": "IPv4", "endpoints": [{"addresses": ["10.42.0.5"], "conditions": {"ready": True}}],
            "ports": [{"name": "http", "port": 8080}]})))
        ok(kns("apply", "-f", "-", input=yaml.safe_dump({
            "apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "web"},
            "subsets": [{"addresses": [{"ip": "10.42.0.5"}], "ports": [{"port": 8080}]}]})))
        ok(kns("apply", "-f", "-", input=yaml.safe_dump({
            "apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "plain"},
            "spec": {"defaultBackend": {"service": {"name": "web", "port": {"number": 80}}}}})))

        out = ok(kns("get", "ep,ing,netpol,endpointslices,sa")).stdout
        blocks = [b for b in out.split("\n\n") if b.strip()]
        headers = [b.strip().splitlines()[0].split() for b in blocks]
        assert ["NAME", "ENDPOINTS", "AGE"] in headers, out
        assert ["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"] in headers, out
        assert ["NAME", "POD-SELECTOR", "AGE"] in headers, out
        assert ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"] in headers, out
        assert ["NAME", "SECRETS", "AGE"] in headers, out
        assert "endpoints/web" in out and "10.42.0.5:8080" in out, out
        assert "networkpolicy.networking.k8s.io/deny" in out and "app=web" in out, out
        assert "endpointslice.discovery.k8s.io/web-abc" in out, out
        ing = parse_table(ok(kns("get", "ing", "plain")).stdout)[0]
        assert ing["CLASS"] == "<none>" and ing["HOSTS"] == "*" and ing["PORTS"] == "80", ing
        netpol = json.loads(ok(kns("get", "netpol", "deny", "-o", "json")).stdout)
        assert netpol["spec"]["policyTypes"] == ["Ingress"], netpol

        rows = {r["NAME"]: r for r in parse_table(ok(kubectl("get", "nodes")).stdout)}
        assert list(next(iter(rows.values())).keys()) == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
        assert rows[node]["STATUS"] == "Ready" and rows[node]["ROLES"] == "control-plane", rows
        assert rows[node]["VERSION"] == "v1.32.0+swiftlet"
        wide = {r["NAME"]: r for r in parse_table(ok(kubectl("get", "no", "-o", "wide")).stdout)}
        assert list(wide[node].keys()) == ["NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP", "EXTERNAL-IP",
                                           "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"], wide
        assert wide[node]["INTERNAL-IP"] == "192.0.2.10" and wide[node]["EXTERNAL-IP"] == "<none>"
        ok(kubectl("cordon", node))
        assert node in ok(kubectl("get", "nodes", "--field-selector", "spec.unschedulable=true", "-o", "name")).stdout
        assert node not in ok(kubectl("get", "nodes", "--field-selector", "spec.unschedulable=false", "-o", "name")).stdout
        row = {r["NAME"]: r for r in parse_table(ok(kubectl("get", "nodes")).stdout)}[node]
        assert row["STATUS"] == "Ready,SchedulingDisabled", row
        ic = parse_table(ok(kubectl("get", "ingressclass", node)).stdout)[0]
        assert ic["CONTROLLER"] == "example.com/ingress" and ic["PARAMETERS"] == "<none>", ic
    finally:
        kubectl("delete", "node", node, "--ignore-not-found")
        kubectl("delete", "ingressclass", node, "--ignore-not-found")


def test_service_cidr_flag(new_server):
    s = new_server(name="cidr", extra_args=["--service-cidr", "10.96.0.0/12"])
    rows = parse_table(ok(s.kubectl("get", "svc", "kubernetes", "-n", "default")).stdout)
    assert rows[0]["CLUSTER-IP"] == "10.96.0.1", rows
    ok(s.kubectl("create", "service", "clusterip", "web", "--tcp=80", "-n", "default"))
    row = {r["NAME"]: r for r in parse_table(ok(s.kubectl("get", "svc", "-n", "default")).stdout)}["web"]
    assert ipaddress.ip_address(row["CLUSTER-IP"]) in ipaddress.ip_network("10.96.0.0/12"), row


def test_python_client(core, api_client, ns):
    from kubernetes import client

    svc = client.V1Service(
        metadata=client.V1ObjectMeta(name="py"),
        spec=client.V1ServiceSpec(type="NodePort", selector={"app": "py"},
                                  ports=[client.V1ServicePort(name="http", port=80, target_port="http")]))
    created = core.create_namespaced_service(ns, svc)
    assert ipaddress.ip_address(created.spec.cluster_ip) in CIDR
    assert 30000 <= created.spec.ports[0].node_port <= 32767
    assert created.spec.ports[0].target_port == "http"
    listed = core.list_namespaced_service(ns)
    assert [s.metadata.name for s in listed.items] == ["py"]
    eps = core.read_namespaced_endpoints("kubernetes", "default")
    assert eps.subsets[0].ports[0].name == "https"
    net = client.NetworkingV1Api(api_client)
    ing = net.create_namespaced_ingress(ns, client.V1Ingress(
        metadata=client.V1ObjectMeta(name="py"),
        spec=client.V1IngressSpec(rules=[client.V1IngressRule(host="py.example.com", http=client.V1HTTPIngressRuleValue(paths=[
            client.V1HTTPIngressPath(path="/", path_type="Prefix", backend=client.V1IngressBackend(
                service=client.V1IngressServiceBackend(name="py", port=client.V1ServiceBackendPort(number=80))))]))])))
    assert ing.metadata.generation == 1
    core.delete_namespaced_service("py", ns)
    assert core.list_namespaced_service(ns).items == []
