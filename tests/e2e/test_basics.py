"""§1 Basics: version, health endpoints, discovery through kubectl, initial namespaces."""

import json
import re

from conftest import parse_table
from harness import binary_path, show

INITIAL_NAMESPACES = {"default", "kube-system", "kube-public", "kube-node-lease"}
VERSION_KEYS = ["buildDate", "gitCommit", "gitTreeState", "gitVersion", "goVersion",
                "major", "minor", "compiler", "platform"]


def test_binary_exists():
    p = binary_path()
    assert p.exists(), f"swiftlet binary not found at {p}; build it or set SWIFTLET_BIN"


def test_version_endpoint(http):
    for path in ("/version", "/version/", "/version?timeout=32s"):
        r = http.get(path)
        assert r.status_code == 200, (path, r.status_code, r.text[:300])
        assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers
        v = r.json()
        for k in VERSION_KEYS:
            assert isinstance(v.get(k), str), f"{path}: /version field {k!r} missing or not a string: {v}"
        assert v["major"] == "1" and v["minor"] == "32", v
        assert re.match(r"^v1\.32\.\d+\+swiftlet\.", v["gitVersion"]), v["gitVersion"]


def test_python_client_version(api_client):
    from kubernetes import client

    v = client.VersionApi(api_client).get_code()
    assert v.major == "1" and v.minor == "32"
    assert v.git_version.startswith("v1.32.")


def test_health_endpoints(http):
    for path in ("/healthz", "/livez", "/readyz"):
        r = http.get(path)
        assert r.status_code == 200, (path, r.status_code, r.text[:200])
        assert r.text.strip() == "ok", (path, r.text[:200])


def test_kubectl_version(kubectl):
    cp = kubectl("version", check=True)
    m = re.search(r"^Server Version: (v\S+)$", cp.stdout, re.M)
    assert m, cp.stdout
    assert re.match(r"^v1\.32\.\d+\+swiftlet", m.group(1)), m.group(1)
    # the dispatcher must have picked kubectl 1.32
    cm = re.search(r"^Client Version: v1\.(\d+)\.", cp.stdout, re.M)
    assert cm and cm.group(1) == "32", cp.stdout
    j = json.loads(kubectl("version", "-o", "json", check=True).stdout)
    assert j["serverVersion"]["major"] == "1" and j["serverVersion"]["minor"] == "32", j


def _api_resources(kubectl, *extra):
    cp = kubectl("api-resources", *extra, check=True)
    lines = [l for l in cp.stdout.splitlines() if l.strip()]
    assert lines and lines[0].split()[:2] == ["NAME", "SHORTNAMES"], cp.stdout
    rows = {}
    for line in lines[1:]:
        t = line.split()
        name, kind, namespaced, apiversion = t[0], t[-1], t[-2], t[-3]
        shortnames = t[1:-3]
        rows[(name, apiversion)] = {"short": shortnames, "namespaced": namespaced, "kind": kind}
    return rows, cp.stdout


def test_api_resources(kubectl):
    rows, out = _api_resources(kubectl)
    expect = {
        "configmaps": (["cm"], "true", "ConfigMap"),
        "namespaces": (["ns"], "false", "Namespace"),
        "secrets": ([], "true", "Secret"),
        "events": (["ev"], "true", "Event"),
    }
    for name, (short, namespaced, kind) in expect.items():
        assert (name, "v1") in rows, f"{name} (v1) missing from api-resources:\n{out}"
        r = rows[(name, "v1")]
        assert r["short"] == short, (name, r, out)
        assert r["namespaced"] == namespaced, (name, r)
        assert r["kind"] == kind, (name, r)


def test_api_resources_namespaced_filter(kubectl):
    rows, out = _api_resources(kubectl, "--namespaced=false")
    names = {n for (n, _v) in rows}
    assert "namespaces" in names and "configmaps" not in names, out


def test_discovery_documents(http):
    r = http.get("/api")
    assert r.status_code == 200
    r = http.get("/api/v1")
    assert r.status_code == 200, r.text[:300]
    doc = r.json()
    assert doc.get("groupVersion") == "v1", doc
    by_name = {x["name"]: x for x in doc["resources"]}
    for n in ("configmaps", "secrets", "namespaces", "events"):
        assert n in by_name, (n, list(by_name))
        res = by_name[n]
        for key in ("kind", "name", "namespaced", "singularName", "verbs"):
            assert key in res, (n, key, res)
        for verb in ("create", "delete", "get", "list", "patch", "update", "watch"):
            assert verb in res["verbs"], (n, res["verbs"])


def test_get_initial_namespaces(kubectl):
    cp = kubectl("get", "ns", check=True)
    rows = parse_table(cp.stdout)
    assert rows, show(cp)
    assert list(rows[0].keys()) == ["NAME", "STATUS", "AGE"], show(cp)
    by_name = {r["NAME"]: r for r in rows}
    for n in INITIAL_NAMESPACES:
        assert n in by_name, (n, show(cp))
        assert by_name[n]["STATUS"] == "Active", (n, show(cp))
        assert re.match(r"^\d+(s|m|h|d|y)", by_name[n]["AGE"]), by_name[n]


def test_python_list_namespace(core):
    names = {n.metadata.name for n in core.list_namespace().items}
    assert INITIAL_NAMESPACES <= names, names
