"""Patch semantics as on Kubernetes: client-side `kubectl apply` (3-way strategic merge patch from the
last-applied annotation), server-side apply (managedFields, removals, conflicts, force) and `kubectl diff`."""

import json

import yaml

from harness import fails, ok, show, unique


def _get(http, path):
    r = http.get(path)
    assert r.status_code == 200, f"GET {path}: {r.status_code} {r.text[:300]}"
    return r.json()


def _cm(http, ns, name):
    return _get(http, f"/api/v1/namespaces/{ns}/configmaps/{name}")


def _managers(obj):
    return {(e["manager"], e["operation"]) for e in obj["metadata"].get("managedFields", [])}


def _fields(obj, manager, operation=None):
    for e in obj["metadata"].get("managedFields", []):
        if e["manager"] == manager and (operation is None or e["operation"] == operation):
            return e["fieldsV1"]
    return None


def _cm_yaml(name, data, labels=None, namespace=None):
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}
    if labels:
        obj["metadata"]["labels"] = labels
    if namespace:
        obj["metadata"]["namespace"] = namespace
    return yaml.safe_dump(obj)


# ------------------------------------------------------------------ client-side apply
def test_client_side_apply_removes_what_the_manifest_no_longer_has(kns, http, ns):
    ok(kns("apply", "-f", "-", input=_cm_yaml("csa", {"p": "1", "q": "2"}, {"a": "1", "b": "2"})))
    obj = _cm(http, ns, "csa")
    assert obj["metadata"]["labels"] == {"a": "1", "b": "2"}
    assert _fields(obj, "kubectl-client-side-apply") == {
        "f:data": {".": {}, "f:p": {}, "f:q": {}},
        "f:metadata": {"f:annotations": {".": {}, "f:kubectl.kubernetes.io/last-applied-configuration": {}},
                       "f:labels": {".": {}, "f:a": {}, "f:b": {}}},
    }, obj["metadata"].get("managedFields")

    cp = ok(kns("apply", "-f", "-", input=_cm_yaml("csa", {"p": "1", "q": "2"}, {"a": "1"})))
    assert cp.stdout.strip() == "configmap/csa configured", show(cp)
    obj = _cm(http, ns, "csa")
    assert obj["metadata"]["labels"] == {"a": "1"}, obj["metadata"]

    # edit the manifest: change a value, drop a key, add a key
    ok(kns("apply", "-f", "-", input=_cm_yaml("csa", {"p": "9", "z": "3"}, {"a": "1"})))
    obj = _cm(http, ns, "csa")
    assert obj["data"] == {"p": "9", "z": "3"}, obj["data"]
    assert not any(k.startswith("$") for k in obj["data"])


def test_kubectl_field_managers_are_recorded(kns, http, ns):
    ok(kns("create", "configmap", "made", "--from-literal=k=v"))
    obj = _cm(http, ns, "made")
    assert _managers(obj) == {("kubectl-create", "Update")}, obj["metadata"].get("managedFields")
    assert _fields(obj, "kubectl-create") == {"f:data": {".": {}, "f:k": {}}}, obj["metadata"]["managedFields"]
    entry = obj["metadata"]["managedFields"][0]
    assert entry["apiVersion"] == "v1" and entry["fieldsType"] == "FieldsV1" and entry["time"].endswith("Z"), entry

    ok(kns("label", "cm", "made", "l=1"))
    obj = _cm(http, ns, "made")
    assert ("kubectl-label", "Update") in _managers(obj)
    assert _fields(obj, "kubectl-label") == {"f:metadata": {"f:labels": {".": {}, "f:l": {}}}}, obj["metadata"]["managedFields"]

    # kubectl hides managedFields unless asked
    out = ok(kns("get", "cm", "made", "-o", "yaml")).stdout
    assert "managedFields" not in out, out
    out = ok(kns("get", "cm", "made", "-o", "yaml", "--show-managed-fields")).stdout
    assert "managedFields" in out and "kubectl-label" in out, out

    # a client without fieldManager gets the product of its User-Agent
    r = http.patch(f"/api/v1/namespaces/{ns}/configmaps/made", data=json.dumps({"data": {"ua": "1"}}),
                   headers={"Content-Type": "application/merge-patch+json", "User-Agent": "my-tool/1.0 (linux)"})
    assert r.status_code == 200, r.text
    assert ("my-tool", "Update") in _managers(r.json()), r.json()["metadata"]["managedFields"]

    # list answers (the metadata-first fast path) carry them too
    items = _get(http, f"/api/v1/namespaces/{ns}/configmaps")["items"]
    assert any(("kubectl-label", "Update") in _managers(i) for i in items)


# ------------------------------------------------------------------ server-side apply
def test_server_side_apply_multi_doc_removal_conflict_and_force(kns, http, ns):
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "ssa-s"}, "stringData": {"p": "q"}}
    manifest = _cm_yaml("ssa", {"key": "1", "gone": "2"}, {"app": "x"}) + "---\n" + yaml.safe_dump(secret)
    cp = ok(kns("apply", "--server-side", "-f", "-", input=manifest))
    assert "configmap/ssa serverside-applied" in cp.stdout and "secret/ssa-s serverside-applied" in cp.stdout, show(cp)
    obj = _cm(http, ns, "ssa")
    assert obj["data"] == {"key": "1", "gone": "2"}
    assert _managers(obj) == {("kubectl", "Apply")}, obj["metadata"]["managedFields"]
    assert _fields(obj, "kubectl") == {"f:data": {"f:key": {}, "f:gone": {}}, "f:metadata": {"f:labels": {"f:app": {}}}}
    sec = _get(http, f"/api/v1/namespaces/{ns}/secrets/ssa-s")
    assert sec["data"] == {"p": "cQ=="}, sec

    # re-apply without a key removes it; a key someone else added survives
    ok(kns("patch", "cm", "ssa", "--type=merge", "-p", '{"data":{"theirs":"t"}}'))
    ok(kns("apply", "--server-side", "-f", "-", input=_cm_yaml("ssa", {"key": "1"}, {"app": "x"})))
    obj = _cm(http, ns, "ssa")
    assert obj["data"] == {"key": "1", "theirs": "t"}, obj["data"]

    # another manager changing an owned field conflicts
    cp = fails(kns("apply", "--server-side", "--field-manager=other", "-f", "-", input=_cm_yaml("ssa", {"key": "2"})))
    assert cp.returncode == 1, show(cp)
    assert "conflict" in cp.stderr.lower() and ".data.key" in cp.stderr, show(cp)
    assert _cm(http, ns, "ssa")["data"]["key"] == "1"

    # the same value is shared ownership, no conflict
    ok(kns("apply", "--server-side", "--field-manager=sharer", "-f", "-", input=_cm_yaml("ssa", {"key": "1"})))

    # --force-conflicts takes ownership
    ok(kns("apply", "--server-side", "--field-manager=other", "--force-conflicts", "-f", "-", input=_cm_yaml("ssa", {"key": "2"})))
    obj = _cm(http, ns, "ssa")
    assert obj["data"]["key"] == "2"
    assert _fields(obj, "other", "Apply") == {"f:data": {"f:key": {}}}, obj["metadata"]["managedFields"]
    assert "f:key" not in json.dumps(_fields(obj, "kubectl", "Apply") or {}), obj["metadata"]["managedFields"]

    # now kubectl re-applying its manifest without key=... (it no longer owns it) leaves it alone
    ok(kns("apply", "--server-side", "-f", "-", input=_cm_yaml("ssa", {}, {"app": "x"})))
    assert _cm(http, ns, "ssa")["data"]["key"] == "2"


def test_server_side_apply_over_http(http, ns):
    path = f"/api/v1/namespaces/{ns}/configmaps/raw"
    body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "raw"}, "data": {"key": "1"}})
    headers = {"Content-Type": "application/apply-patch+yaml"}

    r = http.patch(path, data=body, headers=headers)
    assert r.status_code == 422, r.text
    assert r.json()["message"] == 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch'

    r = http.patch(path + "?fieldManager=a", data="apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: raw\ndata:\n  key: '1'\n",
                   headers=headers)
    assert r.status_code == 201, r.text
    assert r.json()["metadata"]["managedFields"][0]["operation"] == "Apply"

    r = http.patch(path + "?fieldManager=b", data=body.replace('"1"', '"2"'), headers=headers)
    assert r.status_code == 409, r.text
    status = r.json()
    assert status["reason"] == "Conflict"
    assert status["message"] == 'Apply failed with 1 conflict: conflict with "a": .data.key', status
    assert status["details"]["causes"] == [{"reason": "FieldManagerConflict", "message": 'conflict with "a"', "field": ".data.key"}]

    r = http.patch(path + "?fieldManager=b&force=true", data=body.replace('"1"', '"2"'), headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["data"] == {"key": "2"}

    r = http.patch(path + "?force=true", data=json.dumps({"data": {"x": "1"}}),
                   headers={"Content-Type": "application/merge-patch+json"})
    assert r.status_code == 422, r.text
    assert "force: Forbidden: may not be specified for non-apply patch" in r.json()["message"]

    r = http.patch(path + "?fieldManager=a&dryRun=All", data=body.replace('"1"', '"3"'),
                   headers={**headers, "Content-Type": "application/apply-patch+yaml"})
    assert r.status_code == 409, r.text  # a lost ownership to b


def test_server_side_apply_cluster_scoped_namespace(kubectl, http):
    name = unique("ssa-ns")
    manifest = yaml.safe_dump({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": {"a": "1", "b": "2"}}})
    try:
        ok(kubectl("apply", "--server-side", "-f", "-", input=manifest))
        ns = _get(http, f"/api/v1/namespaces/{name}")
        assert ns["metadata"]["labels"]["a"] == "1" and ns["metadata"]["labels"]["b"] == "2"
        manifest = yaml.safe_dump({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": {"a": "1"}}})
        ok(kubectl("apply", "--server-side", "-f", "-", input=manifest))
        ns = _get(http, f"/api/v1/namespaces/{name}")
        assert "b" not in ns["metadata"]["labels"] and ns["metadata"]["labels"]["a"] == "1", ns["metadata"]["labels"]
    finally:
        http.delete(f"/api/v1/namespaces/{name}")


# ------------------------------------------------------------------ kubectl diff
def test_kubectl_diff(kns, http, ns, tmp_path):
    f = tmp_path / "cm.yaml"
    f.write_text(_cm_yaml("d", {"a": "1"}, namespace=ns))
    ok(kns("apply", "-f", str(f)))
    cp = kns("diff", "-f", str(f))
    assert cp.returncode == 0 and cp.stdout == "", show(cp)

    f.write_text(_cm_yaml("d", {"a": "2"}, namespace=ns))
    cp = kns("diff", "-f", str(f))
    assert cp.returncode == 1, show(cp)
    assert "-  a: \"1\"" in cp.stdout and "+  a: \"2\"" in cp.stdout, show(cp)
    assert _cm(http, ns, "d")["data"] == {"a": "1"}, "diff must not write"

    cp = kns("diff", "--server-side", "-f", str(f))
    assert cp.returncode == 1, show(cp)
    assert "+  a: \"2\"" in cp.stdout, show(cp)
    assert "keeps changing" not in cp.stderr, show(cp)
    assert _cm(http, ns, "d")["data"] == {"a": "1"}, "diff must not write"

    # a new object: server-side dry-run create
    g = tmp_path / "new.yaml"
    g.write_text(_cm_yaml("fresh", {"nk": "1"}, namespace=ns))
    cp = kns("diff", "--server-side", "-f", str(g))
    assert cp.returncode == 1 and "+  nk: \"1\"" in cp.stdout, show(cp)
    assert http.get(f"/api/v1/namespaces/{ns}/configmaps/fresh").status_code == 404


# ------------------------------------------------------------------ strategic merge patch directives
def test_strategic_merge_patch_directives_on_configmaps(kns, http, ns):
    ok(kns("create", "configmap", "smp", "--from-literal=a=1"))
    ok(kns("label", "cm", "smp", "x=1", "y=2"))

    def patch(p):
        ok(kns("patch", "cm", "smp", "--type=strategic", "-p", json.dumps(p)))
        return _cm(http, ns, "smp")

    # finalizers are a merged primitive list
    obj = patch({"metadata": {"finalizers": ["example.com/a"]}})
    assert obj["metadata"]["finalizers"] == ["example.com/a"]
    obj = patch({"metadata": {"finalizers": ["example.com/b"]}})
    assert sorted(obj["metadata"]["finalizers"]) == ["example.com/a", "example.com/b"]
    obj = patch({"metadata": {"$deleteFromPrimitiveList/finalizers": ["example.com/a"]}})
    assert obj["metadata"]["finalizers"] == ["example.com/b"]
    obj = patch({"metadata": {"$setElementOrder/finalizers": ["example.com/c", "example.com/b"], "finalizers": ["example.com/c"]}})
    assert obj["metadata"]["finalizers"] == ["example.com/c", "example.com/b"]
    # null deletes a key; $patch: replace replaces a map
    obj = patch({"metadata": {"labels": {"x": None}}})
    assert obj["metadata"]["labels"] == {"y": "2"}
    obj = patch({"data": {"$patch": "replace", "b": "2"}})
    assert obj["data"] == {"b": "2"}
    # $patch: delete removes a map; $retainKeys keeps only the listed keys
    obj = patch({"metadata": {"labels": {"$patch": "delete"}}})
    assert "labels" not in obj["metadata"]
    obj = patch({"data": {"$retainKeys": ["c"], "c": "3"}})
    assert obj["data"] == {"c": "3"}
    # an unknown directive is a bad request
    cp = fails(kns("patch", "cm", "smp", "--type=strategic", "-p", '{"data":{"$patch":"bogus"}}'))
    assert "unknown patch type" in cp.stderr, show(cp)
    ok(kns("patch", "cm", "smp", "--type=json", "-p", '[{"op":"remove","path":"/metadata/finalizers"}]'))


def test_server_side_reapply_without_changes_is_a_no_op(kns, http, ns):
    manifest = _cm_yaml("noop", {"k": "v"})
    ok(kns("apply", "--server-side", "-f", "-", input=manifest))
    rv = _cm(http, ns, "noop")["metadata"]["resourceVersion"]
    cp = ok(kns("apply", "--server-side", "-f", "-", input=manifest))
    assert cp.stdout.strip() == "configmap/noop serverside-applied", show(cp)
    assert _cm(http, ns, "noop")["metadata"]["resourceVersion"] == rv


def test_server_side_apply_rejects_unknown_fields_and_works_from_the_python_client(kns, core, ns):
    bad = _cm_yaml("strict", {"k": "v"}).replace("kind: ConfigMap", "kind: ConfigMap\nspec:\n  x: 1")
    cp = fails(kns("apply", "--server-side", "-f", "-", input=bad))
    assert "field not declared in schema" in cp.stderr and ".spec" in cp.stderr, show(cp)

    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "py"}, "data": {"k": "v", "drop": "me"}}
    core.patch_namespaced_config_map("py", ns, body, field_manager="py-mgr", _content_type="application/apply-patch+yaml")
    body["data"] = {"k": "v2"}
    obj = core.patch_namespaced_config_map("py", ns, body, field_manager="py-mgr", _content_type="application/apply-patch+yaml")
    assert obj.data == {"k": "v2"}
    assert [(e.manager, e.operation) for e in obj.metadata.managed_fields] == [("py-mgr", "Apply")]
