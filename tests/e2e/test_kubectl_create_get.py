"""§2 create / get with the real kubectl, §14 dry runs."""

import base64
import json
import re

import pytest
import yaml

from conftest import parse_table
from harness import fails, ok, show, unique

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def _get(http, path):
    r = http.get(path)
    assert r.status_code == 200, f"GET {path}: {r.status_code} {r.text[:300]}"
    return r.json()


def _assert_no_zero_metadata(meta):
    # protobuf bodies carry gogo zero values; they must be dropped like Go's omitempty
    for k, v in meta.items():
        assert v not in ("", None, [], {}), f"metadata.{k} stored as empty value {v!r}: {meta}"
    for k in ("selfLink", "deletionTimestamp", "deletionGracePeriodSeconds", "generateName"):
        assert k not in meta, f"metadata.{k} should be absent: {meta}"


# ------------------------------------------------------------------ generators (protobuf bodies)
def test_create_configmap_from_literal(kns, http, ns):
    cp = ok(kns("create", "configmap", "c1", "--from-literal=a=1", "--from-literal=b=2"))
    assert cp.stdout.strip() == "configmap/c1 created", show(cp)
    obj = _get(http, f"/api/v1/namespaces/{ns}/configmaps/c1")
    assert obj["data"] == {"a": "1", "b": "2"}, obj
    assert obj["metadata"]["name"] == "c1" and obj["metadata"]["namespace"] == ns
    assert obj.get("kind") == "ConfigMap" and obj.get("apiVersion") == "v1", obj
    assert "immutable" not in obj and not obj.get("binaryData"), obj
    _assert_no_zero_metadata(obj["metadata"])
    assert RFC3339.match(obj["metadata"]["creationTimestamp"]), obj["metadata"]
    assert obj["metadata"]["uid"] and obj["metadata"]["resourceVersion"]
    # duplicate through kubectl -> AlreadyExists
    cp = fails(kns("create", "configmap", "c1", "--from-literal=a=1"))
    # kubectl's generators print the server message without the reason
    assert 'configmaps "c1" already exists' in cp.stderr, show(cp)


def test_create_secret_generic(kns, http, ns):
    cp = ok(kns("create", "secret", "generic", "s1", "--from-literal=p=hunter2"))
    assert cp.stdout.strip() == "secret/s1 created", show(cp)
    obj = _get(http, f"/api/v1/namespaces/{ns}/secrets/s1")
    assert obj["data"] == {"p": "aHVudGVyMg=="}, obj
    assert obj["type"] == "Opaque", obj
    _assert_no_zero_metadata(obj["metadata"])


def test_create_namespace(kubectl, http):
    name = unique("kc-ns")
    try:
        cp = ok(kubectl("create", "namespace", name))
        assert cp.stdout.strip() == f"namespace/{name} created", show(cp)
        obj = _get(http, f"/api/v1/namespaces/{name}")
        assert obj["status"]["phase"] == "Active", obj
        assert obj["metadata"]["labels"].get("kubernetes.io/metadata.name") == name, obj
        assert "namespace" not in obj["metadata"], "cluster-scoped object has metadata.namespace"
        rows = {r["NAME"]: r for r in parse_table(ok(kubectl("get", "ns", name)).stdout)}
        assert rows[name]["STATUS"] == "Active"
    finally:
        http.delete(f"/api/v1/namespaces/{name}")


MULTI = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {p}-one
  labels:
    app: multi
data:
  k: v1
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {p}-two
data:
  k: v2
  num: "3"
---
apiVersion: v1
kind: Secret
metadata:
  name: {p}-sec
type: Opaque
data:
  existing: ZXhpc3Rpbmc=
stringData:
  user: admin
  pass: s3cr3t
"""


@pytest.mark.parametrize("verb", ["create", "apply"])
def test_create_and_apply_multi_document(kns, http, ns, verb):
    p = verb
    cp = ok(kns(verb, "-f", "-", input=MULTI.format(p=p)))
    expect = [f"configmap/{p}-one created", f"configmap/{p}-two created", f"secret/{p}-sec created"]
    assert cp.stdout.strip().splitlines() == expect, show(cp)
    one = _get(http, f"/api/v1/namespaces/{ns}/configmaps/{p}-one")
    two = _get(http, f"/api/v1/namespaces/{ns}/configmaps/{p}-two")
    sec = _get(http, f"/api/v1/namespaces/{ns}/secrets/{p}-sec")
    assert one["data"] == {"k": "v1"} and one["metadata"]["labels"] == {"app": "multi"}
    assert two["data"] == {"k": "v2", "num": "3"}
    assert sec["data"] == {
        "existing": "ZXhpc3Rpbmc=",
        "user": base64.b64encode(b"admin").decode(),
        "pass": base64.b64encode(b"s3cr3t").decode(),
    }, sec
    assert "stringData" not in sec, "stringData must be merged into data, not stored"
    ann = one["metadata"].get("annotations", {})
    if verb == "apply":
        lac = json.loads(ann["kubectl.kubernetes.io/last-applied-configuration"])
        assert lac["metadata"]["name"] == f"{p}-one" and lac["data"] == {"k": "v1"}
    else:
        assert "kubectl.kubernetes.io/last-applied-configuration" not in ann


# ------------------------------------------------------------------ get variants on one populated namespace
@pytest.fixture(scope="module")
def populated(server):
    """A namespace with cm-b(app=x,{a:1,b:2}), cm-c(app=y,{a:2}), cm-a(no labels,{a:3}) created in that order, and secret s1."""
    h = server.session()
    name = unique("get")
    r = h.post_json("/api/v1/namespaces", {"metadata": {"name": name}})
    assert r.status_code == 201, r.text
    for cm, labels, data in (("cm-b", {"app": "x"}, {"a": "1", "b": "2"}),
                             ("cm-c", {"app": "y"}, {"a": "2"}),
                             ("cm-a", None, {"a": "3"})):
        meta = {"name": cm}
        if labels:
            meta["labels"] = labels
        r = h.post_json(f"/api/v1/namespaces/{name}/configmaps", {"metadata": meta, "data": data})
        assert r.status_code == 201, r.text
    r = h.post_json(f"/api/v1/namespaces/{name}/secrets",
                    {"metadata": {"name": "s1"}, "stringData": {"p": "hunter2"}})
    assert r.status_code == 201, r.text
    yield name
    h.delete(f"/api/v1/namespaces/{name}")
    h.close()


OURS = {"cm-a", "cm-b", "cm-c"}


def _names(kubectl, ns, *args):
    cp = ok(kubectl("-n", ns, "get", "cm", "-o", "name", *args))
    return [l.strip() for l in cp.stdout.splitlines() if l.strip()]


def test_get_cm_table(kubectl, populated):
    cp = ok(kubectl("-n", populated, "get", "cm"))
    rows = parse_table(cp.stdout)
    assert rows and list(rows[0]) == ["NAME", "DATA", "AGE"], show(cp)
    by = {r["NAME"]: r for r in rows}
    assert OURS <= set(by), show(cp)
    assert by["cm-b"]["DATA"] == "2" and by["cm-c"]["DATA"] == "1", show(cp)
    assert re.match(r"^\d+(s|m)", by["cm-b"]["AGE"]), show(cp)


def test_get_single_cm_table(kubectl, populated):
    cp = ok(kubectl("-n", populated, "get", "cm", "cm-b"))
    rows = parse_table(cp.stdout)
    assert [r["NAME"] for r in rows] == ["cm-b"] and rows[0]["DATA"] == "2", show(cp)
    cp = fails(kubectl("-n", populated, "get", "cm", "nosuch"))
    assert 'configmaps "nosuch" not found' in cp.stderr, show(cp)


def test_get_secrets_table(kubectl, populated):
    cp = ok(kubectl("-n", populated, "get", "secrets"))
    rows = parse_table(cp.stdout)
    assert rows and list(rows[0]) == ["NAME", "TYPE", "DATA", "AGE"], show(cp)
    by = {r["NAME"]: r for r in rows}
    assert by["s1"]["TYPE"] == "Opaque" and by["s1"]["DATA"] == "1", show(cp)


def test_get_show_labels(kubectl, populated):
    cp = ok(kubectl("-n", populated, "get", "cm", "--show-labels"))
    by = {r["NAME"]: r for r in parse_table(cp.stdout)}
    assert by["cm-b"]["LABELS"] == "app=x" and by["cm-a"]["LABELS"] == "<none>", show(cp)
    cp = ok(kubectl("-n", populated, "get", "cm", "-L", "app"))
    by = {r["NAME"]: r for r in parse_table(cp.stdout)}
    assert by["cm-c"]["APP"] == "y", show(cp)


def test_get_yaml_and_json(kubectl, populated):
    y = yaml.safe_load(ok(kubectl("-n", populated, "get", "cm", "cm-b", "-o", "yaml")).stdout)
    j = json.loads(ok(kubectl("-n", populated, "get", "cm", "cm-b", "-o", "json")).stdout)
    for obj in (y, j):
        assert obj["kind"] == "ConfigMap" and obj["apiVersion"] == "v1", obj
        m = obj["metadata"]
        assert m["name"] == "cm-b" and m["namespace"] == populated
        assert m["uid"] and m["resourceVersion"], m
        assert RFC3339.match(m["creationTimestamp"]), m
        assert obj["data"] == {"a": "1", "b": "2"}
    assert y == j
    lst = json.loads(ok(kubectl("-n", populated, "get", "cm", "-o", "json")).stdout)
    assert lst["kind"] == "List" and OURS <= {i["metadata"]["name"] for i in lst["items"]}


def test_get_jsonpath_and_custom_columns(kubectl, populated):
    cp = ok(kubectl("-n", populated, "get", "cm", "cm-b", "-o", "jsonpath={.data.a}"))
    assert cp.stdout == "1", show(cp)
    cp = ok(kubectl("-n", populated, "get", "cm", "-o", "jsonpath={.items[*].metadata.name}"))
    assert OURS <= set(cp.stdout.split()), show(cp)
    cp = ok(kubectl("-n", populated, "get", "cm", "-o", "custom-columns=NAME:.metadata.name,A:.data.a",
                    "--sort-by=.metadata.name"))
    rows = [r for r in parse_table(cp.stdout) if r["NAME"] in OURS]
    assert [(r["NAME"], r["A"]) for r in rows] == [("cm-a", "3"), ("cm-b", "1"), ("cm-c", "2")], show(cp)


def test_get_sort_by(kubectl, populated):
    cp = ok(kubectl("-n", populated, "get", "cm", "--sort-by=.metadata.name"))
    names = [r["NAME"] for r in parse_table(cp.stdout) if r["NAME"] in OURS]
    assert names == ["cm-a", "cm-b", "cm-c"], show(cp)
    rows = {r["NAME"]: r for r in parse_table(cp.stdout)}
    assert rows["cm-b"]["DATA"] == "2", show(cp)  # includeObject=Object rows still print the columns
    cp = ok(kubectl("-n", populated, "get", "cm", "--sort-by=.data.a", "-o", "name"))
    names = [l for l in cp.stdout.split() if l.split("/")[-1] in OURS]
    assert names == ["configmap/cm-b", "configmap/cm-c", "configmap/cm-a"], show(cp)


def test_get_label_selectors(kubectl, populated):
    assert _names(kubectl, populated, "-l", "app=x") == ["configmap/cm-b"]
    assert sorted(_names(kubectl, populated, "-l", "app in (x,y)")) == ["configmap/cm-b", "configmap/cm-c"]
    assert _names(kubectl, populated, "-l", "app notin (x),app") == ["configmap/cm-c"]
    assert _names(kubectl, populated, "-l", "app!=x,app") == ["configmap/cm-c"]
    no_app = set(_names(kubectl, populated, "-l", "!app"))
    assert "configmap/cm-a" in no_app and not ({"configmap/cm-b", "configmap/cm-c"} & no_app), no_app
    assert sorted(_names(kubectl, populated, "-l", "app")) == ["configmap/cm-b", "configmap/cm-c"]
    assert _names(kubectl, populated, "-l", "app=nomatch") == []
    cp = ok(kubectl("-n", populated, "get", "cm", "-l", "app=nomatch"))
    assert f"No resources found in {populated} namespace." in cp.stderr, show(cp)


def test_get_field_selector(kubectl, populated):
    assert _names(kubectl, populated, "--field-selector", "metadata.name=cm-b") == ["configmap/cm-b"]
    others = set(_names(kubectl, populated, "--field-selector", "metadata.name!=cm-b"))
    assert {"configmap/cm-a", "configmap/cm-c"} <= others and "configmap/cm-b" not in others
    assert _names(kubectl, populated, "--field-selector", f"metadata.namespace={populated},metadata.name=cm-c") \
        == ["configmap/cm-c"]


def test_get_output_name(kubectl, populated):
    names = _names(kubectl, populated)
    assert {"configmap/cm-a", "configmap/cm-b", "configmap/cm-c"} <= set(names), names
    cp = ok(kubectl("-n", populated, "get", "secret", "s1", "-o", "name"))
    assert cp.stdout.strip() == "secret/s1"


def test_get_all_namespaces(kubectl, populated):
    cp = ok(kubectl("get", "cm", "-A"))
    rows = parse_table(cp.stdout)
    assert rows and list(rows[0]) == ["NAMESPACE", "NAME", "DATA", "AGE"], show(cp)
    ours = {(r["NAMESPACE"], r["NAME"]) for r in rows}
    assert {(populated, n) for n in OURS} <= ours, show(cp)
    cp = ok(kubectl("get", "cm", "-A", "-l", "app=x", "-o", "json"))
    items = json.loads(cp.stdout)["items"]
    assert (populated, "cm-b") in {(i["metadata"]["namespace"], i["metadata"]["name"]) for i in items}
    assert all(i["metadata"].get("labels", {}).get("app") == "x" for i in items)


def test_get_namespace_yaml(kubectl):
    obj = yaml.safe_load(ok(kubectl("get", "ns", "default", "-o", "yaml")).stdout)
    assert obj["kind"] == "Namespace" and obj["status"]["phase"] == "Active", obj
    assert "namespace" not in obj["metadata"]


# ------------------------------------------------------------------ §14 dry runs
def test_create_dry_run_server(kns, http, ns):
    cp = ok(kns("create", "configmap", "dr", "--from-literal=a=1", "--dry-run=server", "-o", "yaml"))
    obj = yaml.safe_load(cp.stdout)
    assert obj["metadata"]["name"] == "dr" and obj["data"] == {"a": "1"}, show(cp)
    assert obj["metadata"]["namespace"] == ns
    r = http.get(f"/api/v1/namespaces/{ns}/configmaps/dr")
    assert r.status_code == 404, f"dry-run object was stored: {r.text[:300]}"
    cp = ok(kns("create", "configmap", "dr2", "--from-literal=a=1", "--dry-run=server"))
    assert cp.stdout.strip() == "configmap/dr2 created (server dry run)", show(cp)
    assert http.get(f"/api/v1/namespaces/{ns}/configmaps/dr2").status_code == 404
    # apply --dry-run=server of a new object and of a change
    ok(kns("create", "configmap", "real", "--from-literal=a=1"))
    manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: real\ndata:\n  a: \"2\"\n"
    cp = ok(kns("apply", "--dry-run=server", "-f", "-", "-o", "yaml", input=manifest))
    assert yaml.safe_load(cp.stdout)["data"] == {"a": "2"}, show(cp)
    assert http.get(f"/api/v1/namespaces/{ns}/configmaps/real").json()["data"] == {"a": "1"}
    # client dry run never talks to the store either
    ok(kns("create", "configmap", "dr3", "--from-literal=a=1", "--dry-run=client"))
    assert http.get(f"/api/v1/namespaces/{ns}/configmaps/dr3").status_code == 404


def test_http_dry_run_all(http, ns):
    r = http.post_json(f"/api/v1/namespaces/{ns}/configmaps?dryRun=All", {"metadata": {"name": "dra"}, "data": {"x": "y"}})
    assert r.status_code == 201, r.text[:300]
    assert r.json()["metadata"]["name"] == "dra"
    assert http.get(f"/api/v1/namespaces/{ns}/configmaps/dra").status_code == 404
