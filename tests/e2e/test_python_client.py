"""§10 CRUD with the official Python client (kubernetes==37), events with kubectl."""

import base64
import datetime
import re

import pytest

from conftest import parse_table
from harness import ok, show, unique


@pytest.fixture(scope="module")
def k8s():
    from kubernetes import client
    from kubernetes.client.rest import ApiException

    return client, ApiException


def test_configmap_crud(core, ns, k8s):
    client, ApiException = k8s
    cm = core.create_namespaced_config_map(
        ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="pycm", labels={"a": "b"}), data={"k": "v"}))
    assert cm.metadata.name == "pycm" and cm.metadata.namespace == ns
    assert cm.metadata.uid and cm.metadata.resource_version and cm.metadata.creation_timestamp
    assert cm.kind == "ConfigMap" and cm.api_version == "v1"

    got = core.read_namespaced_config_map("pycm", ns)
    assert got.data == {"k": "v"} and got.metadata.uid == cm.metadata.uid

    got.data = {"k": "v2", "x": "y"}
    replaced = core.replace_namespaced_config_map("pycm", ns, got)
    assert replaced.data == {"k": "v2", "x": "y"}
    assert replaced.metadata.resource_version != cm.metadata.resource_version

    # stale replace -> 409 Conflict
    got.data = {"stale": "1"}
    with pytest.raises(ApiException) as ei:
        core.replace_namespaced_config_map("pycm", ns, got)
    assert ei.value.status == 409 and "the object has been modified" in ei.value.body

    patched = core.patch_namespaced_config_map("pycm", ns, {"data": {"x": None, "p": "q"}})
    assert patched.data == {"k": "v2", "p": "q"}
    patched = core.patch_namespaced_config_map("pycm", ns, [{"op": "add", "path": "/data/j", "value": "1"}])
    assert patched.data == {"k": "v2", "p": "q", "j": "1"}

    lst = core.list_namespaced_config_map(ns, label_selector="a=b")
    assert [i.metadata.name for i in lst.items] == ["pycm"]
    assert lst.metadata.resource_version

    st = core.delete_namespaced_config_map("pycm", ns)
    assert st is not None
    with pytest.raises(ApiException) as ei:
        core.read_namespaced_config_map("pycm", ns)
    assert ei.value.status == 404
    with pytest.raises(ApiException) as ei:
        core.delete_namespaced_config_map("pycm", ns)
    assert ei.value.status == 404


def test_configmap_generate_name(core, ns, k8s):
    client, _ = k8s
    cm = core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(generate_name="gen-")))
    assert re.fullmatch(r"gen-[bcdfghjklmnpqrstvwxz2456789]{5}", cm.metadata.name), cm.metadata.name
    assert core.read_namespaced_config_map(cm.metadata.name, ns).metadata.uid == cm.metadata.uid


def test_secret_crud(core, ns, k8s):
    client, ApiException = k8s
    s = core.create_namespaced_secret(ns, client.V1Secret(
        metadata=client.V1ObjectMeta(name="pysec"), string_data={"user": "admin"},
        data={"raw": base64.b64encode(b"\x00\x01bin").decode()}))
    assert s.type == "Opaque"
    assert s.data == {"user": base64.b64encode(b"admin").decode(), "raw": base64.b64encode(b"\x00\x01bin").decode()}
    assert s.string_data is None
    s = core.read_namespaced_secret("pysec", ns)
    s.data["user"] = base64.b64encode(b"root").decode()
    s = core.replace_namespaced_secret("pysec", ns, s)
    assert base64.b64decode(s.data["user"]) == b"root"
    s = core.patch_namespaced_secret("pysec", ns, {"metadata": {"labels": {"l": "1"}}})
    assert s.metadata.labels == {"l": "1"}
    # typed secret
    tls = core.create_namespaced_secret(ns, client.V1Secret(
        metadata=client.V1ObjectMeta(name="tok"), type="example.com/custom", data={"a": "Yg=="}))
    assert tls.type == "example.com/custom"
    # invalid base64 in data -> 400
    with pytest.raises(ApiException) as ei:
        core.create_namespaced_secret(ns, {"metadata": {"name": "badb64"}, "data": {"a": "!!notbase64"}})
    assert ei.value.status in (400, 422), ei.value.body
    core.delete_namespaced_secret("pysec", ns)
    with pytest.raises(ApiException) as ei:
        core.read_namespaced_secret("pysec", ns)
    assert ei.value.status == 404


def test_namespace_crud(core, k8s):
    client, ApiException = k8s
    name = unique("pyns")
    n = core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name, labels={"x": "1"})))
    try:
        assert n.status.phase == "Active"
        assert n.metadata.labels == {"x": "1", "kubernetes.io/metadata.name": name}
        assert n.spec.finalizers == ["kubernetes"]
        assert name in {i.metadata.name for i in core.list_namespace().items}
        assert [i.metadata.name for i in core.list_namespace(label_selector="x=1").items] == [name]
        n = core.patch_namespace(name, {"metadata": {"labels": {"y": "2"}}})
        assert n.metadata.labels["y"] == "2" and n.metadata.labels["x"] == "1"
        n = core.read_namespace(name)
        n.metadata.annotations = {"a": "b"}
        n = core.replace_namespace(name, n)
        assert n.metadata.annotations == {"a": "b"}
        with pytest.raises(ApiException) as ei:
            core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
        assert ei.value.status == 409 and '"reason":"AlreadyExists"' in ei.value.body.replace(" ", "")
    finally:
        core.delete_namespace(name)
    # gone, or going
    try:
        assert core.read_namespace(name).status.phase == "Terminating"
    except ApiException as e:
        assert e.status == 404


def _event(client, ns, name, cm, reason, message, type_="Normal"):
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    return client.CoreV1Event(
        metadata=client.V1ObjectMeta(name=name, namespace=ns),
        involved_object=client.V1ObjectReference(
            api_version="v1", kind="ConfigMap", name=cm.metadata.name, namespace=ns, uid=cm.metadata.uid),
        reason=reason, message=message, type=type_,
        source=client.V1EventSource(component="e2e-test"),
        first_timestamp=now, last_timestamp=now, count=1,
    )


def test_events_crud_and_kubectl(core, ns, kubectl, k8s):
    client, ApiException = k8s
    cm1 = core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="evcm1")))
    cm2 = core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="evcm2")))
    e1 = core.create_namespaced_event(ns, _event(client, ns, "evcm1.e1", cm1, "Tested", "hello from e2e"))
    core.create_namespaced_event(ns, _event(client, ns, "evcm2.e2", cm2, "Other", "second event", "Warning"))
    assert e1.involved_object.name == "evcm1" and e1.reason == "Tested"
    got = core.read_namespaced_event("evcm1.e1", ns)
    assert got.message == "hello from e2e" and got.count == 1

    # field selectors on involvedObject.*
    sel = core.list_namespaced_event(ns, field_selector="involvedObject.name=evcm1")
    assert [e.metadata.name for e in sel.items] == ["evcm1.e1"]
    sel = core.list_namespaced_event(ns, field_selector=f"involvedObject.uid={cm2.metadata.uid},involvedObject.kind=ConfigMap")
    assert [e.metadata.name for e in sel.items] == ["evcm2.e2"]
    sel = core.list_namespaced_event(ns, field_selector="reason=Other")
    assert [e.metadata.name for e in sel.items] == ["evcm2.e2"]

    cp = ok(kubectl("-n", ns, "get", "events"))
    rows = parse_table(cp.stdout)
    assert rows and list(rows[0])[:5] == ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"], show(cp)
    by = {r["REASON"]: r for r in rows}
    assert by["Tested"]["OBJECT"] == "configmap/evcm1" and by["Tested"]["MESSAGE"] == "hello from e2e", show(cp)
    assert by["Other"]["TYPE"] == "Warning", show(cp)
    cp = ok(kubectl("-n", ns, "get", "ev", "--field-selector", "involvedObject.name=evcm1"))
    rows = parse_table(cp.stdout)
    assert [r["REASON"] for r in rows] == ["Tested"], show(cp)

    cp = ok(kubectl("-n", ns, "describe", "cm", "evcm1"))
    out = cp.stdout
    m = re.search(r"^Events:\n(.*)", out, re.M | re.S)
    assert m, show(cp)
    events_section = m.group(1)
    assert re.search(r"Normal\s+Tested\s+\S+\s+e2e-test\s+hello from e2e", events_section), show(cp)
    assert "second event" not in events_section, show(cp)

    # update + delete
    got.count = 2
    got.message = "updated"
    got = core.replace_namespaced_event("evcm1.e1", ns, got)
    assert got.count == 2
    got = core.patch_namespaced_event("evcm1.e1", ns, {"message": "patched"})
    assert got.message == "patched"
    core.delete_namespaced_event("evcm1.e1", ns)
    with pytest.raises(ApiException) as ei:
        core.read_namespaced_event("evcm1.e1", ns)
    assert ei.value.status == 404
    assert "evcm2.e2" in {e.metadata.name for e in core.list_event_for_all_namespaces(
        field_selector=f"metadata.namespace={ns}").items}


def test_list_across_namespaces(core, make_ns, k8s):
    client, _ = k8s
    a, b = make_ns(), make_ns()
    for n in (a, b):
        core.create_namespaced_config_map(n, client.V1ConfigMap(
            metadata=client.V1ObjectMeta(name="same", labels={"acr": a})))
    got = core.list_config_map_for_all_namespaces(label_selector=f"acr={a}")
    assert sorted((i.metadata.namespace, i.metadata.name) for i in got.items) == sorted([(a, "same"), (b, "same")])
    got = core.list_config_map_for_all_namespaces(field_selector=f"metadata.namespace={b}")
    assert {i.metadata.namespace for i in got.items} == {b}
