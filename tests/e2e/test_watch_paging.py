"""§8 get -w and Python watch resumption, §9 pagination."""

import json
import re
import subprocess
import time

import pytest

from harness import LineReader, ok, show, wait_until


def test_kubectl_get_watch(server, http, ns):
    path = f"/api/v1/namespaces/{ns}/configmaps"
    # kubectl prints nothing for an empty list in watch mode, so seed one object: once its row is
    # printed, the LIST is done and the watch (from the list RV) must deliver every later event
    assert http.post_json(path, {"metadata": {"name": "pre"}}).status_code == 201
    proc = subprocess.Popen(
        ["kubectl", "--kubeconfig", str(server.kubeconfig), "-n", ns, "get", "cm", "-w"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=server.env(),
    )
    try:
        out, err = LineReader(proc.stdout), LineReader(proc.stderr)
        wait_until(lambda: any(l.split()[:1] == ["pre"] for l in out.snapshot()) or proc.poll() is not None,
                   timeout=20, msg="kubectl get -w to print its initial list")
        assert proc.poll() is None, f"kubectl get -w exited: rc={proc.returncode} stderr={err.snapshot()}"
        r = http.post_json(path, {"metadata": {"name": "watched"}, "data": {"a": "1", "b": "2"}})
        assert r.status_code == 201, r.text
        r = http.patch(f"{path}/watched", data='{"metadata":{"labels":{"x":"y"}}}',
                       headers={"Content-Type": "application/merge-patch+json"})
        assert r.status_code == 200, r.text
        r = http.delete(f"{path}/watched")
        assert r.status_code == 200, r.text
        wait_until(lambda: len([l for l in out.snapshot() if l.split()[:1] == ["watched"]]) >= 3,
                   timeout=15, msg="3 watch rows (ADDED, MODIFIED, DELETED) for cm/watched")
    finally:
        proc.kill()
        proc.wait(timeout=10)
    lines = out.snapshot()
    rows = [l.split() for l in lines if l.split()[:1] == ["watched"]]
    assert lines[0].split() == ["NAME", "DATA", "AGE"], lines
    assert rows[0][1] == "2", lines  # DATA column rendered in watch Tables
    assert not any(l.startswith("NAME") for l in lines[1:]), f"headers repeated: {lines}"


def _json_stream(text):
    dec, i, out = json.JSONDecoder(), 0, []
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return out
        obj, i = dec.raw_decode(text, i)
        out.append(obj)


def test_kubectl_get_watch_output_events(server, http, ns):
    path = f"/api/v1/namespaces/{ns}/configmaps"
    assert http.post_json(path, {"metadata": {"name": "pre"}}).status_code == 201
    proc = subprocess.Popen(
        ["kubectl", "--kubeconfig", str(server.kubeconfig), "-n", ns, "get", "cm", "-w",
         "--output-watch-events", "-o", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=server.env(),
    )
    try:
        out, err = LineReader(proc.stdout), LineReader(proc.stderr)
        wait_until(lambda: any(re.search(r'"name":\s*"pre"', l) for l in out.snapshot()) or proc.poll() is not None,
                   timeout=20, msg="initial ADDED for pre")
        time.sleep(0.5)
        assert http.post_json(path, {"metadata": {"name": "post"}}).status_code == 201
        assert http.delete(f"{path}/post").status_code == 200

        def done():
            try:
                evs = _json_stream("\n".join(out.snapshot()))
            except ValueError:
                return False
            return any(e.get("type") == "DELETED" for e in evs)

        wait_until(done, timeout=15, msg="DELETED event for configmap/post")
    finally:
        proc.kill()
        proc.wait(timeout=10)
    evs = [(e["type"], e["object"]["metadata"]["name"]) for e in _json_stream("\n".join(out.snapshot()))]
    assert evs[0] == ("ADDED", "pre"), evs
    assert ("ADDED", "post") in evs and evs.index(("ADDED", "post")) < evs.index(("DELETED", "post")), evs


def _mk(core, ns, name, labels=None):
    from kubernetes import client

    return core.create_namespaced_config_map(
        ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name, labels=labels), data={"n": name}))


@pytest.mark.parametrize("bookmarks", [False, True])
def test_python_watch_resumes_from_list_rv(core, ns, bookmarks):
    from kubernetes import watch

    _mk(core, ns, "before")
    rv = core.list_namespaced_config_map(ns).metadata.resource_version
    assert rv, "list must carry metadata.resourceVersion"
    names = [f"w{i}" for i in range(3)]
    for n in names:
        _mk(core, ns, n)
    kw = {"resource_version": rv, "timeout_seconds": 5}
    if bookmarks:
        kw["allow_watch_bookmarks"] = True
    w = watch.Watch()
    events = []
    t0 = time.monotonic()
    for ev in w.stream(core.list_namespaced_config_map, ns, **kw):
        events.append(ev)
        if len([e for e in events if e["type"] != "BOOKMARK"]) >= 3 and not bookmarks:
            w.stop()
    assert time.monotonic() - t0 < 30
    real = [e for e in events if e["type"] != "BOOKMARK"]
    assert [(e["type"], e["object"].metadata.name) for e in real] == [("ADDED", n) for n in names], \
        [(e["type"], e["raw_object"].get("metadata", {}).get("name")) for e in events]
    for e in real:
        assert e["raw_object"]["kind"] == "ConfigMap" and e["raw_object"]["apiVersion"] == "v1", e["raw_object"]
        assert e["object"].data == {"n": e["object"].metadata.name}
    rvs = [e["object"].metadata.resource_version for e in real]
    assert len(set(rvs)) == 3 and rv not in rvs, rvs
    for e in events:
        if e["type"] == "BOOKMARK":
            assert e["raw_object"]["metadata"]["resourceVersion"], e


def test_python_watch_modified_deleted_and_selectors(core, ns):
    from kubernetes import client, watch

    _mk(core, ns, "sel-a", labels={"w": "yes"})
    _mk(core, ns, "sel-b", labels={"w": "no"})
    rv = core.list_namespaced_config_map(ns).metadata.resource_version
    core.patch_namespaced_config_map("sel-a", ns, {"data": {"n": "changed"}})
    core.patch_namespaced_config_map("sel-b", ns, {"data": {"n": "changed"}})
    core.delete_namespaced_config_map("sel-a", ns)
    core.delete_namespaced_config_map("sel-b", ns)
    got = [(e["type"], e["object"].metadata.name) for e in watch.Watch().stream(
        core.list_namespaced_config_map, ns, resource_version=rv, timeout_seconds=3, label_selector="w=yes")]
    assert got == [("MODIFIED", "sel-a"), ("DELETED", "sel-a")], got
    got = [(e["type"], e["object"].metadata.name) for e in watch.Watch().stream(
        core.list_namespaced_config_map, ns, resource_version=rv, timeout_seconds=3,
        field_selector="metadata.name=sel-b")]
    assert got == [("MODIFIED", "sel-b"), ("DELETED", "sel-b")], got
    # no resourceVersion: synthetic ADDED for existing objects first
    _mk(core, ns, "exists")
    got = [(e["type"], e["object"].metadata.name) for e in watch.Watch().stream(
        core.list_namespaced_config_map, ns, timeout_seconds=2)]
    assert ("ADDED", "exists") in got and ("ADDED", "sel-a") not in got, got


def test_watch_stream_framing(http, ns):
    """Raw check of §9.1: chunked, newline-terminated JSON events, timeoutSeconds closes the stream."""
    path = f"/api/v1/namespaces/{ns}/configmaps"
    rv = http.get(path).json()["metadata"]["resourceVersion"]
    assert http.post_json(path, {"metadata": {"name": "raw"}}).status_code == 201
    t0 = time.monotonic()
    r = http.get(f"{path}?watch=true&resourceVersion={rv}&timeoutSeconds=2", stream=True, timeout=15)
    assert r.status_code == 200
    assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers
    body = r.raw.read(decode_content=True)
    assert time.monotonic() - t0 < 10, "timeoutSeconds=2 did not end the watch"
    assert body.endswith(b"\n"), body[-200:]
    evs = [json.loads(l) for l in body.splitlines() if l.strip()]
    assert evs and evs[0]["type"] == "ADDED" and evs[0]["object"]["metadata"]["name"] == "raw", evs


# ------------------------------------------------------------------ §9 pagination
@pytest.fixture
def ns25(http, ns):
    for i in range(25):
        r = http.post_json(f"/api/v1/namespaces/{ns}/configmaps", {"metadata": {"name": f"p{i:02d}"}, "data": {"i": str(i)}})
        assert r.status_code == 201, r.text
    return ns


EXPECTED = {f"p{i:02d}" for i in range(25)}


def test_kubectl_chunk_size(kubectl, ns25):
    cp = ok(kubectl("-n", ns25, "get", "cm", "--chunk-size=7", "-o", "name"))
    names = [l.split("/", 1)[1] for l in cp.stdout.split()]
    assert EXPECTED <= set(names) and len(names) == len(set(names)), show(cp)
    # Table paging uses the Table's own metadata.continue
    cp = ok(kubectl("-n", ns25, "get", "cm", "--chunk-size=7"))
    rows = [l.split()[0] for l in cp.stdout.splitlines()[1:] if l.strip()]
    assert EXPECTED <= set(rows) and len(rows) == len(set(rows)), show(cp)
    assert sum(1 for l in cp.stdout.splitlines() if l.startswith("NAME")) == 1, show(cp)


def test_python_limit_continue(core, ns25):
    seen, tokens = [], []
    cont = None
    for _page in range(10):
        resp = core.list_namespaced_config_map(ns25, limit=10, _continue=cont)
        assert len(resp.items) <= 10
        seen += [i.metadata.name for i in resp.items]
        cont = resp.metadata._continue
        if not cont:
            break
        tokens.append(cont)
        assert resp.metadata.remaining_item_count is None or resp.metadata.remaining_item_count > 0
    ours = [n for n in seen if n in EXPECTED]
    assert len(ours) == 25 and set(ours) == EXPECTED, seen
    assert len(seen) == len(set(seen)), f"duplicates across pages: {seen}"
    # 25 items (plus e.g. a kube-root-ca.crt configmap) in pages of 10: ceil(n/10) pages
    assert len(tokens) == (len(seen) - 1) // 10 and len(tokens) >= 2, (tokens, len(seen))
    # paging with a field selector
    got = core.list_namespaced_config_map(ns25, limit=3, field_selector="metadata.name=p07")
    assert [i.metadata.name for i in got.items] == ["p07"]


def test_invalid_continue_token(http, ns25):
    r = http.get(f"/api/v1/namespaces/{ns25}/configmaps?limit=10&continue=not-a-valid-token%21%21")
    assert r.status_code in (400, 410), r.text[:300]
    body = r.json()
    assert body["kind"] == "Status" and body["code"] == r.status_code
    assert body["reason"] in ("BadRequest", "Expired", "Gone"), body
    assert http.get("/readyz").status_code == 200
