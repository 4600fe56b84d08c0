"""§3 apply twice, §4 describe, §5 label/annotate/patch/replace/edit, §6 delete/wait/finalizers, §7 namespaces."""

import json
import os
import re
import stat
import threading
import time

import yaml

from conftest import parse_table
from harness import fails, ok, show, unique, wait_until


def _get(http, path, expect=200):
    r = http.get(path)
    assert r.status_code == expect, f"GET {path}: {r.status_code} {r.text[:300]}"
    return r.json()


def _cm(http, ns, name):
    return _get(http, f"/api/v1/namespaces/{ns}/configmaps/{name}")


# ------------------------------------------------------------------ §3 apply twice
def _manifest(name, data, labels=None):
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}
    if labels:
        obj["metadata"]["labels"] = labels
    return yaml.safe_dump(obj)


def test_apply_created_unchanged_configured(kns, http, ns):
    cp = ok(kns("apply", "-f", "-", input=_manifest("ap", {"a": "1", "b": "2"}, {"keep": "me"})))
    assert cp.stdout.strip() == "configmap/ap created", show(cp)
    rv1 = _cm(http, ns, "ap")["metadata"]["resourceVersion"]

    cp = ok(kns("apply", "-f", "-", input=_manifest("ap", {"a": "1", "b": "2"}, {"keep": "me"})))
    assert cp.stdout.strip() == "configmap/ap unchanged", show(cp)
    assert _cm(http, ns, "ap")["metadata"]["resourceVersion"] == rv1, "unchanged apply must not write"

    # a label added out of band must survive a re-apply (it is not in last-applied)
    ok(kns("label", "cm", "ap", "extra=yes"))

    cp = ok(kns("apply", "-f", "-", input=_manifest("ap", {"a": "1", "c": "3"}, {"keep": "me"})))
    assert cp.stdout.strip() == "configmap/ap configured", show(cp)
    obj = _cm(http, ns, "ap")
    assert obj["data"] == {"a": "1", "c": "3"}, f"removed key b must be gone: {obj['data']}"
    assert obj["metadata"]["labels"] == {"keep": "me", "extra": "yes"}, obj["metadata"]
    assert obj["metadata"]["resourceVersion"] != rv1
    lac = json.loads(obj["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"])
    assert lac["data"] == {"a": "1", "c": "3"}, lac
    assert not any(k.startswith("$") for k in obj["data"]), "patch directives stored"

    # removing a label that was applied removes it; values change
    cp = ok(kns("apply", "-f", "-", input=_manifest("ap", {"a": "2"})))
    assert cp.stdout.strip() == "configmap/ap configured", show(cp)
    obj = _cm(http, ns, "ap")
    assert obj["data"] == {"a": "2"}
    # kubectl's three-way patch sends "labels": null when the manifest drops the whole map, so the
    # out-of-band label goes too (as on Kubernetes)
    assert "labels" not in obj["metadata"], obj["metadata"]


def test_apply_from_file_twice(kns, http, ns, tmp_path):
    f = tmp_path / "cm.yaml"
    f.write_text(_manifest("fromfile", {"x": "1", "y": "2"}))
    cp = ok(kns("apply", "-f", str(f)))
    assert cp.stdout.strip() == "configmap/fromfile created", show(cp)
    f.write_text(_manifest("fromfile", {"x": "1"}))
    cp = ok(kns("apply", "-f", str(f)))
    assert cp.stdout.strip() == "configmap/fromfile configured", show(cp)
    assert _cm(http, ns, "fromfile")["data"] == {"x": "1"}


# ------------------------------------------------------------------ §4 describe
def test_describe_configmap(kns, ns, mk_cm):
    mk_cm(ns, "dcm", {"alpha": "one", "beta": "two"}, labels={"app": "d"}, annotations={"note": "hi"})
    cp = ok(kns("describe", "configmap", "dcm"))
    out = cp.stdout
    assert re.search(r"^Name:\s+dcm$", out, re.M), show(cp)
    assert re.search(rf"^Namespace:\s+{ns}$", out, re.M), show(cp)
    assert re.search(r"^Labels:\s+app=d$", out, re.M), show(cp)
    assert re.search(r"^Annotations:\s+note: hi$", out, re.M), show(cp)
    assert re.search(r"^Data\n====\n", out, re.M), show(cp)
    assert re.search(r"^alpha:\n----\none\n", out, re.M), show(cp)
    assert re.search(r"^beta:\n----\ntwo\n", out, re.M), show(cp)
    assert re.search(r"^BinaryData\n====", out, re.M), show(cp)
    assert re.search(r"^Events:\s+<none>", out, re.M), show(cp)


def test_describe_secret(kns, ns):
    ok(kns("create", "secret", "generic", "dsec", "--from-literal=p=hunter2", "--from-literal=user=me"))
    cp = ok(kns("describe", "secret", "dsec"))
    out = cp.stdout
    assert re.search(r"^Name:\s+dsec$", out, re.M), show(cp)
    assert re.search(rf"^Namespace:\s+{ns}$", out, re.M), show(cp)
    assert re.search(r"^Labels:\s+<none>$", out, re.M), show(cp)
    assert re.search(r"^Type:\s+Opaque$", out, re.M), show(cp)
    assert re.search(r"^Data\n====\n", out, re.M), show(cp)
    assert re.search(r"^p:\s+7 bytes$", out, re.M), show(cp)
    assert re.search(r"^user:\s+2 bytes$", out, re.M), show(cp)
    assert "hunter2" not in out


def test_describe_namespace(kubectl, ns):
    cp = ok(kubectl("describe", "namespace", ns))
    out = cp.stdout
    assert re.search(rf"^Name:\s+{ns}$", out, re.M), show(cp)
    assert re.search(rf"^Labels:\s+kubernetes.io/metadata.name={ns}$", out, re.M), show(cp)
    assert re.search(r"^Status:\s+Active$", out, re.M), show(cp)


# ------------------------------------------------------------------ §5 label / annotate
def test_label_and_annotate(kns, http, ns, mk_cm):
    mk_cm(ns, "lab", {"a": "1"})
    cp = ok(kns("label", "cm", "lab", "env=prod"))
    assert cp.stdout.strip() == "configmap/lab labeled", show(cp)
    assert _cm(http, ns, "lab")["metadata"]["labels"] == {"env": "prod"}

    cp = fails(kns("label", "cm", "lab", "env=dev"))
    assert "already has a value (prod)" in cp.stderr and "--overwrite" in cp.stderr, show(cp)
    assert _cm(http, ns, "lab")["metadata"]["labels"] == {"env": "prod"}

    ok(kns("label", "cm", "lab", "env=dev", "--overwrite"))
    ok(kns("label", "cm", "lab", "tier=web"))
    assert _cm(http, ns, "lab")["metadata"]["labels"] == {"env": "dev", "tier": "web"}

    cp = ok(kns("label", "cm", "lab", "env-"))
    assert cp.stdout.strip() == "configmap/lab unlabeled", show(cp)
    assert _cm(http, ns, "lab")["metadata"]["labels"] == {"tier": "web"}

    cp = ok(kns("annotate", "cm", "lab", "note=first"))
    assert cp.stdout.strip() == "configmap/lab annotated", show(cp)
    fails(kns("annotate", "cm", "lab", "note=second"))
    ok(kns("annotate", "cm", "lab", "note=second", "--overwrite"))
    assert _cm(http, ns, "lab")["metadata"]["annotations"]["note"] == "second"
    ok(kns("annotate", "cm", "lab", "note-"))
    assert "note" not in (_cm(http, ns, "lab")["metadata"].get("annotations") or {})

    # label by selector over several objects
    mk_cm(ns, "lab2", {"a": "1"}, labels={"grp": "g"})
    mk_cm(ns, "lab3", {"a": "1"}, labels={"grp": "g"})
    cp = ok(kns("label", "cm", "-l", "grp=g", "bulk=1"))
    assert sorted(cp.stdout.split("\n")[:2]) == ["configmap/lab2 labeled", "configmap/lab3 labeled"], show(cp)
    assert _cm(http, ns, "lab3")["metadata"]["labels"] == {"grp": "g", "bulk": "1"}


# ------------------------------------------------------------------ §5 patch
def test_patch_types(kns, http, ns, mk_cm):
    mk_cm(ns, "pt", {"a": "1", "b": "2"})
    cp = ok(kns("patch", "cm", "pt", "--type", "merge", "-p", '{"data":{"m":"1","b":null}}'))
    assert cp.stdout.strip() == "configmap/pt patched", show(cp)
    assert _cm(http, ns, "pt")["data"] == {"a": "1", "m": "1"}

    cp = ok(kns("patch", "cm", "pt", "--type", "json",
                "-p", '[{"op":"add","path":"/data/j","value":"2"},{"op":"replace","path":"/data/a","value":"x"}]'))
    assert cp.stdout.strip() == "configmap/pt patched", show(cp)
    assert _cm(http, ns, "pt")["data"] == {"a": "x", "m": "1", "j": "2"}

    before = _cm(http, ns, "pt")
    cp = fails(kns("patch", "cm", "pt", "--type", "json",
                   "-p", '[{"op":"test","path":"/data/a","value":"nope"},{"op":"replace","path":"/data/a","value":"zzz"}]'))
    assert "invalid" in cp.stderr.lower() and "test" in cp.stderr, show(cp)
    after = _cm(http, ns, "pt")
    assert after["data"] == before["data"], "failed json-patch test op must not apply the rest"
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]

    fails(kns("patch", "cm", "pt", "--type", "json", "-p", '[{"op":"remove","path":"/data/nosuchkey"}]'))

    # default: strategic merge patch
    cp = ok(kns("patch", "cm", "pt", "-p", '{"data":{"s":"3","m":null},"metadata":{"labels":{"sl":"v"}}}'))
    assert cp.stdout.strip() == "configmap/pt patched", show(cp)
    obj = _cm(http, ns, "pt")
    assert obj["data"] == {"a": "x", "j": "2", "s": "3"}, obj["data"]
    assert obj["metadata"]["labels"] == {"sl": "v"}

    cp = ok(kns("patch", "cm", "pt", "-p", '{"data":{"s":"3"}}'))
    assert cp.stdout.strip() == "configmap/pt patched (no change)", show(cp)

    cp = fails(kns("patch", "cm", "nosuch", "--type", "merge", "-p", '{"data":{"a":"1"}}'))
    assert 'configmaps "nosuch" not found' in cp.stderr, show(cp)


def test_patch_secret_and_namespace(kubectl, kns, http, ns):
    ok(kns("create", "secret", "generic", "ps", "--from-literal=p=x"))
    ok(kns("patch", "secret", "ps", "--type", "merge", "-p", '{"stringData":{"q":"y"}}'))
    obj = _get(http, f"/api/v1/namespaces/{ns}/secrets/ps")
    assert obj["data"] == {"p": "eA==", "q": "eQ=="}, obj
    ok(kubectl("patch", "ns", ns, "-p", '{"metadata":{"labels":{"team":"e2e"}}}'))
    assert _get(http, f"/api/v1/namespaces/{ns}")["metadata"]["labels"]["team"] == "e2e"


# ------------------------------------------------------------------ §5 replace
def test_replace(kns, http, ns, mk_cm):
    mk_cm(ns, "rp", {"a": "1"})
    current = yaml.safe_load(ok(kns("get", "cm", "rp", "-o", "yaml")).stdout)
    stale_rv = current["metadata"]["resourceVersion"]
    current["data"] = {"a": "2", "new": "v"}
    cp = ok(kns("replace", "-f", "-", input=yaml.safe_dump(current)))
    assert cp.stdout.strip() == "configmap/rp replaced", show(cp)
    obj = _cm(http, ns, "rp")
    assert obj["data"] == {"a": "2", "new": "v"}
    assert obj["metadata"]["resourceVersion"] != stale_rv

    # a body without resourceVersion replaces unconditionally
    fresh = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "rp"}, "data": {"only": "this"}}
    ok(kns("replace", "-f", "-", input=yaml.safe_dump(fresh)))
    assert _cm(http, ns, "rp")["data"] == {"only": "this"}

    # the stale resourceVersion is kept by kubectl -> 409 Conflict
    current["data"] = {"a": "stale"}
    cp = fails(kns("replace", "-f", "-", input=yaml.safe_dump(current)))
    assert "the object has been modified" in cp.stderr, show(cp)
    assert "Conflict" in cp.stderr, show(cp)
    assert _cm(http, ns, "rp")["data"] == {"only": "this"}

    # replace of a missing object fails with NotFound
    missing = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "rp-missing"}, "data": {}}
    cp = fails(kns("replace", "-f", "-", input=yaml.safe_dump(missing)))
    assert "NotFound" in cp.stderr or "not found" in cp.stderr, show(cp)


# ------------------------------------------------------------------ §5 edit
def test_edit_with_kube_editor(kns, http, ns, mk_cm, tmp_path):
    mk_cm(ns, "ed", {"a": "1", "b": "2"})
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/a: \"1\"/a: \"9\"/' \"$1\"\n")
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)
    cp = ok(kns("edit", "cm", "ed", env={"KUBE_EDITOR": str(editor)}))
    assert cp.stdout.strip() == "configmap/ed edited", show(cp)
    assert _cm(http, ns, "ed")["data"] == {"a": "9", "b": "2"}

    # an editor that changes nothing -> "Edit cancelled, no changes made."
    noop = tmp_path / "noop.sh"
    noop.write_text("#!/bin/sh\nexit 0\n")
    noop.chmod(noop.stat().st_mode | stat.S_IEXEC)
    cp = ok(kns("edit", "cm", "ed", env={"KUBE_EDITOR": str(noop)}))
    assert "Edit cancelled, no changes made." in (cp.stdout + cp.stderr), show(cp)

    # deleting a key through the editor
    delb = tmp_path / "delb.sh"
    delb.write_text("#!/bin/sh\nsed -i '/^  b: \"2\"$/d' \"$1\"\n")
    delb.chmod(delb.stat().st_mode | stat.S_IEXEC)
    ok(kns("edit", "cm", "ed", env={"KUBE_EDITOR": str(delb)}))
    assert _cm(http, ns, "ed")["data"] == {"a": "9"}


# ------------------------------------------------------------------ §6 delete
def test_delete_variants(kns, http, ns, mk_cm):
    mk_cm(ns, "d1", {"a": "1"})
    cp = ok(kns("delete", "cm", "d1"))
    assert cp.stdout.strip() == 'configmap "d1" deleted', show(cp)
    _get(http, f"/api/v1/namespaces/{ns}/configmaps/d1", expect=404)

    mk_cm(ns, "d2", {"a": "1"})
    cp = ok(kns("delete", "cm", "d2", "--wait=true", "--timeout=20s"))
    assert cp.stdout.strip() == 'configmap "d2" deleted', show(cp)
    _get(http, f"/api/v1/namespaces/{ns}/configmaps/d2", expect=404)

    cp = fails(kns("delete", "cm", "d2"))
    assert 'configmaps "d2" not found' in cp.stderr, show(cp)
    ok(kns("delete", "cm", "d2", "--ignore-not-found"))

    for n, app in (("l1", "x"), ("l2", "x"), ("l3", "y")):
        mk_cm(ns, n, {"a": "1"}, labels={"app": app})
    cp = ok(kns("delete", "cm", "-l", "app=x"))
    assert sorted(cp.stdout.strip().splitlines()) == ['configmap "l1" deleted', 'configmap "l2" deleted'], show(cp)
    _get(http, f"/api/v1/namespaces/{ns}/configmaps/l3")

    mk_cm(ns, "l4", {"a": "1"})
    ok(kns("create", "secret", "generic", "keep-me", "--from-literal=a=b"))
    cp = ok(kns("delete", "cm", "--all"))
    assert 'configmap "l3" deleted' in cp.stdout and 'configmap "l4" deleted' in cp.stdout, show(cp)
    items = _get(http, f"/api/v1/namespaces/{ns}/configmaps")["items"]
    assert not {"l3", "l4"} & {i["metadata"]["name"] for i in items}, items
    _get(http, f"/api/v1/namespaces/{ns}/secrets/keep-me")  # other kinds untouched

    ok(kns("create", "secret", "generic", "s-del", "--from-literal=a=b"))
    cp = ok(kns("delete", "secret", "s-del"))
    assert cp.stdout.strip() == 'secret "s-del" deleted', show(cp)


def test_kubectl_wait_for_delete(kns, http, ns, mk_cm):
    mk_cm(ns, "w", {"a": "1"})
    errors = []

    def deleter():
        time.sleep(2.0)
        try:
            r = http.delete(f"/api/v1/namespaces/{ns}/configmaps/w")
            if r.status_code not in (200, 202):
                errors.append(f"delete: {r.status_code} {r.text[:200]}")
        except Exception as e:  # pragma: no cover
            errors.append(repr(e))

    t = threading.Thread(target=deleter)
    t0 = time.monotonic()
    t.start()
    cp = kns("wait", "--for=delete", "cm/w", "--timeout=20s", timeout=40)
    elapsed = time.monotonic() - t0
    t.join()
    assert not errors, errors
    ok(cp)
    assert "configmap/w condition met" in cp.stdout, show(cp)
    assert elapsed >= 1.5, f"kubectl wait returned after {elapsed:.1f}s, before the delete happened"
    # and a wait that times out reports an error
    mk_cm(ns, "w2", {"a": "1"})
    cp = fails(kns("wait", "--for=delete", "cm/w2", "--timeout=2s", timeout=30))
    assert "timed out" in cp.stderr, show(cp)


def test_finalizers(kns, http, ns):
    path = f"/api/v1/namespaces/{ns}/configmaps"
    r = http.post_json(path, {"metadata": {"name": "fin", "finalizers": ["example.com/f"]}, "data": {"a": "1"}})
    assert r.status_code == 201, r.text
    cp = ok(kns("delete", "cm", "fin", "--wait=false"))
    assert 'configmap "fin" deleted' in cp.stdout, show(cp)
    obj = _get(http, f"{path}/fin")
    assert obj["metadata"].get("deletionTimestamp"), f"deletionTimestamp not set: {obj['metadata']}"
    assert obj["metadata"]["finalizers"] == ["example.com/f"]
    # still listed
    assert "fin" in {i["metadata"]["name"] for i in _get(http, path)["items"]}
    # deleting again is fine and keeps it
    ok(kns("delete", "cm", "fin", "--wait=false"))
    _get(http, f"{path}/fin")
    # removing the finalizer completes the deletion
    ok(kns("patch", "cm", "fin", "--type", "merge", "-p", '{"metadata":{"finalizers":null}}'))
    wait_until(lambda: http.get(f"{path}/fin").status_code == 404, timeout=10, msg="cm/fin to disappear")

    # the same through a json patch, with kubectl delete --wait in the background
    r = http.post_json(path, {"metadata": {"name": "fin2", "finalizers": ["example.com/a", "example.com/b"]}})
    assert r.status_code == 201, r.text
    ok(kns("delete", "cm", "fin2", "--wait=false"))
    ok(kns("patch", "cm", "fin2", "--type", "json", "-p", '[{"op":"remove","path":"/metadata/finalizers/0"}]'))
    obj = _get(http, f"{path}/fin2")
    assert obj["metadata"]["finalizers"] == ["example.com/b"] and obj["metadata"]["deletionTimestamp"]
    ok(kns("patch", "cm", "fin2", "--type", "json", "-p", '[{"op":"remove","path":"/metadata/finalizers"}]'))
    wait_until(lambda: http.get(f"{path}/fin2").status_code == 404, timeout=10, msg="cm/fin2 to disappear")


# ------------------------------------------------------------------ §7 namespaces
def _ns_phase(http, name):
    r = http.get(f"/api/v1/namespaces/{name}")
    if r.status_code == 404:
        return None
    assert r.status_code == 200, r.text
    return r.json().get("status", {}).get("phase")


def test_delete_namespace_with_contents(kubectl, http, mk_cm):
    name = unique("nsdel")
    ok(kubectl("create", "namespace", name))
    for i in range(3):
        mk_cm(name, f"c{i}", {"a": str(i)})
    ok(kubectl("-n", name, "create", "secret", "generic", "s", "--from-literal=a=b"))
    cp = ok(kubectl("delete", "namespace", name, "--wait=false"))
    assert f'namespace "{name}" deleted' in cp.stdout, show(cp)
    phases = set()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ph = _ns_phase(http, name)
        phases.add(ph)
        if ph is None:
            break
        assert ph == "Terminating", f"deleted namespace has phase {ph}"
        time.sleep(0.1)
    assert None in phases, f"namespace {name} still exists 30s after delete (phases seen {phases})"
    # contents are gone
    for i in range(3):
        r = http.get(f"/api/v1/namespaces/{name}/configmaps/c{i}")
        assert r.status_code == 404, r.text[:200]
    items = http.get(f"/api/v1/configmaps?fieldSelector=metadata.namespace={name}").json()["items"]
    assert items == [], items
    items = http.get(f"/api/v1/secrets?fieldSelector=metadata.namespace={name}").json()["items"]
    assert items == [], items


def test_namespace_terminating_blocked_by_finalizer(kubectl, http):
    name = unique("nsterm")
    ok(kubectl("create", "namespace", name))
    r = http.post_json(f"/api/v1/namespaces/{name}/configmaps",
                       {"metadata": {"name": "held", "finalizers": ["example.com/hold"]}})
    assert r.status_code == 201, r.text
    r = http.post_json(f"/api/v1/namespaces/{name}/configmaps", {"metadata": {"name": "plain"}})
    assert r.status_code == 201, r.text
    try:
        ok(kubectl("delete", "namespace", name, "--wait=false"))
        wait_until(lambda: _ns_phase(http, name) == "Terminating", timeout=10, msg="phase Terminating")
        ns_obj = http.get(f"/api/v1/namespaces/{name}").json()
        assert ns_obj["metadata"].get("deletionTimestamp"), ns_obj
        rows = {r["NAME"]: r for r in parse_table(ok(kubectl("get", "ns", name)).stdout)}
        assert rows[name]["STATUS"] == "Terminating"
        # the unfinalized content goes away, the finalized one waits with a deletionTimestamp
        wait_until(lambda: http.get(f"/api/v1/namespaces/{name}/configmaps/plain").status_code == 404,
                   timeout=20, msg="plain cm deleted by namespace termination")
        held = http.get(f"/api/v1/namespaces/{name}/configmaps/held").json()
        assert held["metadata"].get("deletionTimestamp"), held
        # no new content in a terminating namespace
        r = http.post_json(f"/api/v1/namespaces/{name}/configmaps", {"metadata": {"name": "late"}})
        assert 400 <= r.status_code < 500, f"create in terminating namespace: {r.status_code} {r.text[:300]}"
        assert r.json().get("kind") == "Status", r.text
        cp = fails(kubectl("-n", name, "create", "configmap", "late2", "--from-literal=a=b"))
        assert "forbidden" in cp.stderr and "being terminated" in cp.stderr, show(cp)
        assert http.get(f"/api/v1/namespaces/{name}/configmaps/late").status_code == 404
    finally:
        http.patch(f"/api/v1/namespaces/{name}/configmaps/held", data='{"metadata":{"finalizers":null}}',
                   headers={"Content-Type": "application/merge-patch+json"})
    wait_until(lambda: _ns_phase(http, name) is None, timeout=30, msg=f"namespace {name} to disappear")


def test_create_in_missing_namespace(kubectl, http):
    missing = unique("nope")
    r = http.post_json(f"/api/v1/namespaces/{missing}/configmaps", {"metadata": {"name": "x"}})
    assert r.status_code == 404, r.text[:300]
    body = r.json()
    assert body["kind"] == "Status" and body["reason"] == "NotFound", body
    assert f'namespaces "{missing}" not found' in body["message"], body
    cp = fails(kubectl("-n", missing, "create", "configmap", "x", "--from-literal=a=b"))
    assert f'namespaces "{missing}" not found' in cp.stderr, show(cp)
    assert http.get(f"/api/v1/namespaces/{missing}/configmaps/x").status_code == 404
