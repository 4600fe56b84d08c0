"""§11 Bad input over raw HTTP: the right status + reason in a Status body, nothing stored, still ready."""

import json
import time

import pytest
import requests

from harness import PROTOBUF, assert_status, pb_configmap, pb_namespace, pb_secret, unique

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def cms(ns):
    return f"/api/v1/namespaces/{ns}/configmaps"


@pytest.fixture(autouse=True)
def still_ready(http):
    yield
    r = http.get("/readyz")
    assert r.status_code == 200 and r.text.strip() == "ok", f"server not ready after the test: {r.status_code}"


def _count(http, path):
    r = http.get(path)
    assert r.status_code == 200, r.text
    return len(r.json()["items"])


def _absent(http, path):
    r = http.get(path)
    assert r.status_code == 404, f"{path} was stored: {r.status_code} {r.text[:200]}"


def test_malformed_json(http, cms):
    before = _count(http, cms)
    for body in ('{"metadata":{"name":"x"', "not json at all", '{"metadata":{"name":"x"}}}', "", "[1,2]", "null"):
        r = http.post(cms, data=body, headers=JSON)
        assert_status(r, 400, "BadRequest")
    assert _count(http, cms) == before


def test_missing_content_type_is_json(http, cms):
    # the Python client sends POST/PUT without Content-Type
    r = http.post(cms, data=json.dumps({"metadata": {"name": "noct"}, "data": {"a": "1"}}),
                  headers={"Content-Type": None})
    assert r.status_code == 201, r.text[:300]
    assert r.json()["data"] == {"a": "1"}


def test_yaml_body(http, cms):
    r = http.post(cms, data="metadata:\n  name: viayaml\ndata:\n  a: '1'\n", headers={"Content-Type": "application/yaml"})
    assert r.status_code == 201, r.text[:300]
    assert r.json()["data"] == {"a": "1"}
    r = http.post(cms, data="metadata:\n  name: [unclosed\n\t- :bad", headers={"Content-Type": "application/yaml"})
    assert_status(r, 400, "BadRequest")


def test_protobuf_body(http, ns, cms):
    r = http.post(cms, data=pb_configmap("viapb", {"a": "1"}, labels={"l": "v"}),
                  headers={"Content-Type": PROTOBUF, "Accept": f"{PROTOBUF},application/json"})
    assert r.status_code == 201, r.text[:300]
    obj = http.get(f"{cms}/viapb").json()
    assert obj["data"] == {"a": "1"} and obj["metadata"]["labels"] == {"l": "v"}
    r = http.post(f"/api/v1/namespaces/{ns}/secrets", data=pb_secret("pbsec", {"k": b"\x00\xff"}),
                  headers={"Content-Type": PROTOBUF})
    assert r.status_code == 201, r.text[:300]
    assert http.get(f"/api/v1/namespaces/{ns}/secrets/pbsec").json()["data"] == {"k": "AP8="}
    # garbage after the magic
    r = http.post(cms, data=b"k8s\x00\xff\xff\xff\xff\x0f", headers={"Content-Type": PROTOBUF})
    assert_status(r, 400, "BadRequest")
    # a protobuf Namespace envelope sent to configmaps -> kind mismatch
    r = http.post(cms, data=pb_namespace("pbns"), headers={"Content-Type": PROTOBUF})
    assert_status(r, 400, "BadRequest")


def test_invalid_names(http, cms):
    r = http.post(cms, data=json.dumps({"metadata": {"name": "Bad_Name"}}), headers=JSON)
    body = assert_status(r, 422, "Invalid")
    causes = body.get("details", {}).get("causes") or []
    assert causes and causes[0].get("field") == "metadata.name", body
    assert body["details"].get("kind") == "ConfigMap" and body["details"].get("name") == "Bad_Name", body
    assert 'ConfigMap "Bad_Name" is invalid' in body["message"], body
    _absent(http, f"{cms}/Bad_Name")

    r = http.post(cms, data=json.dumps({"metadata": {}, "data": {"a": "1"}}), headers=JSON)
    body = assert_status(r, 422, "Invalid")
    fields = [c.get("field") for c in body["details"].get("causes", [])]
    assert "metadata.name" in fields, body

    for bad in ("a" * 254, "-lead", "trail-", "UPPER", "has space", "dot..dot"):
        r = http.post(cms, data=json.dumps({"metadata": {"name": bad}}), headers=JSON)
        assert_status(r, 422, "Invalid")

    r = http.post("/api/v1/namespaces", data=json.dumps({"metadata": {"name": "bad.ns.name"}}), headers=JSON)
    assert_status(r, 422, "Invalid")  # namespaces are DNS-1123 labels (no dots)
    r = http.post(cms, data=json.dumps({"metadata": {"name": "okname", "labels": {"bad key!": "v"}}}), headers=JSON)
    body = assert_status(r, 422, "Invalid")
    assert any("metadata.labels" in (c.get("field") or "") for c in body["details"]["causes"]), body
    r = http.post(cms, data=json.dumps({"metadata": {"name": "okname2"}, "data": {"bad key/": "v"}}), headers=JSON)
    assert_status(r, 422, "Invalid")
    _absent(http, f"{cms}/okname")
    _absent(http, f"{cms}/okname2")


def test_field_validation(http, cms):
    body = json.dumps({"metadata": {"name": "strict"}, "bogus": 1})
    r = http.post(cms + "?fieldValidation=Strict", data=body, headers=JSON)
    b = assert_status(r, 400, "BadRequest")
    assert 'unknown field "bogus"' in b["message"], b
    _absent(http, f"{cms}/strict")

    r = http.post(cms + "?fieldValidation=Strict",
                  data=json.dumps({"metadata": {"name": "strict2", "bogusMeta": "x"}}), headers=JSON)
    b = assert_status(r, 400, "BadRequest")
    assert 'unknown field "metadata.bogusMeta"' in b["message"], b

    r = http.post(cms + "?fieldValidation=Strict",
                  data='{"metadata":{"name":"dup"},"data":{"a":"1"},"data":{"b":"2"}}', headers=JSON)
    b = assert_status(r, 400, "BadRequest")
    assert "duplicate field" in b["message"], b

    r = http.post(cms + "?fieldValidation=Warn", data=json.dumps({"metadata": {"name": "warned"}, "bogus": 1}),
                  headers=JSON)
    assert r.status_code == 201, r.text[:300]
    warning = r.headers.get("Warning", "")
    assert warning.startswith("299") and "bogus" in warning, r.headers
    assert "bogus" not in http.get(f"{cms}/warned").json()

    r = http.post(cms + "?fieldValidation=Ignore", data=json.dumps({"metadata": {"name": "ignored"}, "bogus": 1}),
                  headers=JSON)
    assert r.status_code == 201 and "Warning" not in r.headers, (r.status_code, r.headers)

    r = http.post(cms + "?fieldValidation=Sometimes", data=json.dumps({"metadata": {"name": "x"}}), headers=JSON)
    assert_status(r, 400, "BadRequest")


def test_kind_and_namespace_mismatch(http, ns, cms):
    r = http.post(cms, data=json.dumps({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "mm"}}), headers=JSON)
    assert_status(r, 400, "BadRequest")
    r = http.post(cms, data=json.dumps({"apiVersion": "apps/v1", "kind": "ConfigMap", "metadata": {"name": "mm"}}),
                  headers=JSON)
    assert_status(r, 400, "BadRequest")
    r = http.post(cms, data=json.dumps({"metadata": {"name": "mm", "namespace": "other"}}), headers=JSON)
    assert_status(r, 400, "BadRequest")
    _absent(http, f"{cms}/mm")
    # PUT whose body name differs from the URL
    assert http.post(cms, data=json.dumps({"metadata": {"name": "real"}}), headers=JSON).status_code == 201
    r = http.put(f"{cms}/real", data=json.dumps({"metadata": {"name": "other"}}), headers=JSON)
    assert_status(r, 400, "BadRequest")


def test_body_too_large(http, cms):
    big = json.dumps({"metadata": {"name": "huge"}, "data": {"a": "x" * (3 * 1024 * 1024 + 10)}})
    try:
        r = http.post(cms, data=big, headers=JSON, timeout=60)
    except requests.ConnectionError as e:
        pytest.fail(f"server dropped the connection instead of answering 413: {e!r}")
    assert_status(r, 413, "RequestEntityTooLarge")
    _absent(http, f"{cms}/huge")


def test_object_too_large(http, cms):
    body = json.dumps({"metadata": {"name": "toolarge"}, "data": {"a": "x" * (2 * 1024 * 1024)}})
    assert len(body) < 3 * 1024 * 1024
    r = http.post(cms, data=body, headers=JSON, timeout=60)
    assert r.status_code in (413, 422), r.text[:300]
    assert_status(r, r.status_code, ("RequestEntityTooLarge", "Invalid"))
    _absent(http, f"{cms}/toolarge")


def test_conflicts_and_duplicates(http, cms):
    r = http.post(cms, data=json.dumps({"metadata": {"name": "c"}, "data": {"a": "1"}}), headers=JSON)
    assert r.status_code == 201
    old = r.json()
    r = http.post(cms, data=json.dumps({"metadata": {"name": "c"}}), headers=JSON)
    b = assert_status(r, 409, "AlreadyExists")
    assert b["message"] == 'configmaps "c" already exists', b
    assert b["details"] == {"name": "c", "kind": "configmaps"} or b["details"].get("name") == "c", b

    upd = dict(old, data={"a": "2"})
    r = http.put(f"{cms}/c", data=json.dumps(upd), headers=JSON)
    assert r.status_code == 200, r.text
    stale = dict(old, data={"a": "3"})
    r = http.put(f"{cms}/c", data=json.dumps(stale), headers=JSON)
    b = assert_status(r, 409, "Conflict")
    assert "the object has been modified" in b["message"], b
    # merge patch carrying a stale resourceVersion -> Conflict as well
    r = http.patch(f"{cms}/c", data=json.dumps({"metadata": {"resourceVersion": old["metadata"]["resourceVersion"]},
                                                "data": {"a": "4"}}),
                   headers={"Content-Type": "application/merge-patch+json"})
    assert_status(r, 409, "Conflict")
    assert http.get(f"{cms}/c").json()["data"] == {"a": "2"}
    # json-patch test op failure -> 422 Invalid
    r = http.patch(f"{cms}/c", data=json.dumps([{"op": "test", "path": "/data/a", "value": "nope"}]),
                   headers={"Content-Type": "application/json-patch+json"})
    assert_status(r, 422, "Invalid")
    # PUT/PATCH of a missing object
    r = http.put(f"{cms}/missing", data=json.dumps({"metadata": {"name": "missing"}}), headers=JSON)
    assert_status(r, 404, "NotFound")
    r = http.patch(f"{cms}/missing", data="{}", headers={"Content-Type": "application/merge-patch+json"})
    assert_status(r, 404, "NotFound")


def test_not_found_paths(http, ns):
    b = assert_status(http.get(f"/api/v1/namespaces/{ns}/configmaps/nosuch"), 404, "NotFound")
    assert b["message"] == 'configmaps "nosuch" not found', b
    assert b["details"]["name"] == "nosuch" and b["details"]["kind"] == "configmaps", b
    for path in (f"/api/v1/namespaces/{ns}/foos", "/api/v1/foos", "/apis/nosuch.example.com/v1/things",
                 "/api/v2/namespaces", f"/api/v1/namespaces/{ns}/configmaps/a/b/c"):
        r = http.get(path)
        assert r.status_code == 404, (path, r.status_code, r.text[:200])
        assert_status(r, 404, "NotFound")


def test_method_not_allowed(http, ns, cms):
    r = http.put(cms, data=json.dumps({"metadata": {"name": "x"}}), headers=JSON)
    assert_status(r, 405, "MethodNotAllowed")
    r = http.delete("/api/v1/namespaces")
    assert_status(r, 405, "MethodNotAllowed")
    r = http.post(f"{cms}/named", data=json.dumps({"metadata": {"name": "named"}}), headers=JSON)
    assert_status(r, 405, "MethodNotAllowed")
    r = http.patch(cms, data="{}", headers={"Content-Type": "application/merge-patch+json"})
    assert_status(r, 405, "MethodNotAllowed")
    assert http.get(f"/api/v1/namespaces/{ns}").status_code == 200


def test_unsupported_media_type(http, cms):
    r = http.post(cms, data="metadata: x", headers={"Content-Type": "text/plain"})
    assert_status(r, 415, "UnsupportedMediaType")
    assert http.post(cms, data=json.dumps({"metadata": {"name": "m"}}), headers=JSON).status_code == 201
    r = http.patch(f"{cms}/m", data='{"data":{"a":"1"}}', headers={"Content-Type": "text/plain"})
    assert_status(r, 415, "UnsupportedMediaType")
    r = http.patch(f"{cms}/m", data='{"data":{"a":"1"}}', headers={"Content-Type": "application/json"})
    assert_status(r, 415, "UnsupportedMediaType")  # PATCH needs a patch media type
    assert "data" not in http.get(f"{cms}/m").json()


def test_invalid_selectors(http, cms):
    for q in ("labelSelector=a%20in%20(", "labelSelector=%21%21a", "labelSelector=a%3D%3D%3Db",
              "fieldSelector=metadata.name%3D%3D%3Dx", "limit=abc"):
        r = http.get(f"{cms}?{q}")
        assert_status(r, 400, "BadRequest")


def test_watch_too_old_resource_version(new_server):
    """410 Expired for a compacted RV: a server that keeps 5 revisions and compacts every second."""
    srv = new_server("compacting", extra_args=["--history-revisions", "5", "--compaction-interval-seconds", "1"])
    base = srv.base
    cms = f"{base}/api/v1/namespaces/default/configmaps"
    first = requests.post(cms, data=json.dumps({"metadata": {"name": "old0"}}), headers=JSON, timeout=10)
    assert first.status_code == 201, first.text
    old_rv = first.json()["metadata"]["resourceVersion"]
    for i in range(1, 30):
        assert requests.post(cms, data=json.dumps({"metadata": {"name": f"old{i}"}}), headers=JSON, timeout=10).status_code == 201
    deadline = time.monotonic() + 15
    while True:
        r = requests.get(f"{cms}?watch=true&resourceVersion={old_rv}&timeoutSeconds=1", stream=True, timeout=15)
        if r.status_code == 410:
            assert_status(r, 410, "Expired")
            break
        assert r.status_code == 200, r.text[:300]
        lines = [json.loads(l) for l in r.raw.read().splitlines() if l.strip()]
        errors = [e for e in lines if e["type"] == "ERROR"]
        if errors:
            obj = errors[0]["object"]
            assert obj["kind"] == "Status" and obj["code"] == 410 and obj["reason"] == "Expired", obj
            assert obj["message"].startswith("too old resource version"), obj
            break
        assert time.monotonic() < deadline, "history was never compacted"
        time.sleep(0.5)
    # a list at the compacted revision is Expired too; the current state is intact
    r = requests.get(f"{cms}?resourceVersion={old_rv}&resourceVersionMatch=Exact", timeout=10)
    assert_status(r, 410, "Expired")
    assert len(requests.get(cms, timeout=10).json()["items"]) == 30


def test_yaml_alias_bomb_is_rejected(http, cms):
    """A small YAML document whose aliases expand to ~10^9 values is refused quickly, not expanded."""
    doc = 'metadata: {name: lol}\ndata:\n  a: &a ["x","x","x","x","x","x","x","x","x","x"]\n'
    prev = "a"
    for i in range(1, 9):
        name = chr(ord("a") + i)
        doc += f"  {name}: &{name} [" + ",".join([f"*{prev}"] * 10) + "]\n"
        prev = name
    started = time.monotonic()
    r = http.post(cms, data=doc, headers={"Content-Type": "application/yaml"}, timeout=30)
    assert_status(r, 400, "BadRequest")
    assert time.monotonic() - started < 10
    assert http.get(f"{cms}/lol").status_code == 404
    assert http.get("/readyz").text == "ok"
