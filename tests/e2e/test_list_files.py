"""`kind: List` files, as `kubectl get -o yaml` writes them, create and apply. kubectl validates a List
through the protobuf /openapi/v2 document (the kind has no PATCH operation in v3)."""

import json

from harness import ok, show

LIST = """apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: listed}
  data: {x: "1"}
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: listed}
  spec:
    selector: {matchLabels: {app: listed}}
    template:
      metadata: {labels: {app: listed}}
      spec: {containers: [{name: c, image: nginx:1.14.2}]}
"""


def test_create_and_apply_a_list_file(kns, tmp_path):
    f = tmp_path / "list.yaml"
    f.write_text(LIST)
    cp = ok(kns("create", "-f", str(f)))
    assert cp.stdout.split() == ["configmap/listed", "created", "deployment.apps/listed", "created"], show(cp)
    exported = tmp_path / "export.json"
    exported.write_text(ok(kns("get", "configmap/listed", "deployment/listed", "-o", "json")).stdout)
    assert json.loads(exported.read_text())["kind"] == "List"
    ok(kns("apply", "-f", str(exported)))
    assert ok(kns("get", "configmap", "listed", "-o", "jsonpath={.data.x}")).stdout == "1"


def test_openapi_v2_answers_protobuf_requests(http):
    r = http.get("/openapi/v2", headers={"Accept": "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"})
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
    assert r.content.startswith(b"\x0a\x032.0"), r.content[:20]
    r = http.get("/openapi/v2", headers={"Accept": "application/json"})
    assert r.status_code == 200 and r.json()["swagger"] == "2.0"
