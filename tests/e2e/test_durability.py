"""§13 Durability and restarts. Each test runs its own server(s) on its own data dir."""

import json
import threading
import time

import requests

from harness import Server

WRITERS = 16
WRITE_SECONDS = 2.0


def _rv_int(rv: str) -> int:
    assert rv.isdigit(), f"resourceVersion {rv!r} is not numeric; adjust the ordering check"
    return int(rv)


def test_acknowledged_writes_survive_kill_9(new_server):
    s = new_server("durable")
    ns = "dur"
    r = requests.post(s.base + "/api/v1/namespaces", json={"metadata": {"name": ns}}, timeout=10)
    assert r.status_code == 201, r.text
    url = f"{s.base}/api/v1/namespaces/{ns}/configmaps"
    acked: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    bad: list[str] = []

    def writer(w):
        sess = requests.Session()
        i = 0
        while not stop.is_set():
            name = f"w{w}-{i}"
            i += 1
            try:
                resp = sess.post(url, data=json.dumps({"metadata": {"name": name}, "data": {"w": str(w)}}),
                                 headers={"Content-Type": "application/json"}, timeout=10)
            except requests.RequestException:
                if stop.is_set():
                    return
                continue
            if resp.status_code == 201:
                with lock:
                    acked.append(name)
            elif resp.status_code >= 500 and not stop.is_set():
                bad.append(f"{name}: {resp.status_code} {resp.text[:200]}")

    threads = [threading.Thread(target=writer, args=(w,), daemon=True) for w in range(WRITERS)]
    for t in threads:
        t.start()
    time.sleep(WRITE_SECONDS)
    with lock:
        acked_at_kill = list(acked)
    s.kill()  # SIGKILL by PID while writers are mid-flight
    stop.set()
    for t in threads:
        t.join(timeout=15)
    # writes that returned 201 after our snapshot but before the kill are acknowledged too
    with lock:
        acked_all = list(acked)
    assert not bad, bad[:10]
    assert len(acked_at_kill) > 50, f"only {len(acked_at_kill)} creates acknowledged in {WRITE_SECONDS}s"

    s.start()  # same data dir, new port
    sess = requests.Session()
    missing = []
    for name in acked_all:
        r = sess.get(f"{s.base}/api/v1/namespaces/{ns}/configmaps/{name}", timeout=10)
        if r.status_code != 200:
            missing.append((name, r.status_code))
    assert not missing, f"{len(missing)} of {len(acked_all)} acknowledged creates lost after kill -9: {missing[:20]}"
    # list agrees with gets and is not corrupted
    items = sess.get(f"{s.base}/api/v1/namespaces/{ns}/configmaps", timeout=30).json()["items"]
    names = {i["metadata"]["name"] for i in items}
    assert set(acked_all) <= names
    assert len(names) == len(items), "duplicate names in list after recovery"
    # kubectl works against the recovered store
    cp = s.kubectl("-n", ns, "get", "cm", "-o", "name")
    assert cp.returncode == 0 and len(cp.stdout.split()) == len(items), cp.stderr


def test_resource_version_and_watch_across_restart(new_server):
    s = new_server("restart")
    ns = "rst"
    base = s.base
    assert requests.post(base + "/api/v1/namespaces", json={"metadata": {"name": ns}}, timeout=10).status_code == 201
    url = lambda b: f"{b}/api/v1/namespaces/{ns}/configmaps"  # noqa: E731
    for i in range(5):
        assert requests.post(url(base), json={"metadata": {"name": f"pre{i}"}}, timeout=10).status_code == 201
    old_rv = requests.get(url(base), timeout=10).json()["metadata"]["resourceVersion"]
    pre = requests.get(url(base) + "/pre0", timeout=10).json()

    code = s.stop(timeout=5)
    assert code == 0, f"SIGTERM: exit code {code} (None = did not exit within 5s)"
    s.start()
    base = s.base

    # state and metadata survived a clean restart
    got = requests.get(url(base) + "/pre0", timeout=10).json()
    assert got["metadata"]["uid"] == pre["metadata"]["uid"]
    assert got["metadata"]["resourceVersion"] == pre["metadata"]["resourceVersion"]
    assert got["metadata"]["creationTimestamp"] == pre["metadata"]["creationTimestamp"]

    post = []
    for i in range(3):
        r = requests.post(url(base), json={"metadata": {"name": f"post{i}"}}, timeout=10)
        assert r.status_code == 201, r.text
        post.append(r.json())
        assert _rv_int(r.json()["metadata"]["resourceVersion"]) > _rv_int(old_rv), \
            f"new write after restart got RV {r.json()['metadata']['resourceVersion']} <= {old_rv}"
    list_rv = requests.get(url(base), timeout=10).json()["metadata"]["resourceVersion"]
    assert _rv_int(list_rv) >= _rv_int(post[-1]["metadata"]["resourceVersion"])

    # a watch from the pre-restart RV: either the later events, or 410 Expired; never a 5xx
    r = requests.get(url(base), params={"watch": "true", "resourceVersion": old_rv, "timeoutSeconds": "3"},
                     stream=True, timeout=20)
    assert r.status_code < 500, r.text[:300]
    if r.status_code == 410:
        st = r.json()
        assert st["kind"] == "Status" and st["code"] == 410 and st["reason"] in ("Expired", "Gone"), st
    else:
        assert r.status_code == 200, r.text[:300]
        events = [json.loads(l) for l in r.raw.read().splitlines() if l.strip()]
        errors = [e for e in events if e["type"] == "ERROR"]
        if errors:
            st = errors[0]["object"]
            assert st["kind"] == "Status" and st["code"] == 410 and st["reason"] in ("Expired", "Gone"), st
        else:
            got = [(e["type"], e["object"]["metadata"]["name"]) for e in events if e["type"] != "BOOKMARK"]
            assert got == [("ADDED", f"post{i}") for i in range(3)], got

    # the Python client sees either the events or an ApiException(410) – never anything else
    from kubernetes import client, watch
    from kubernetes.client.rest import ApiException

    core = client.CoreV1Api(s.api_client())
    try:
        names = [e["object"].metadata.name for e in watch.Watch().stream(
            core.list_namespaced_config_map, ns, resource_version=old_rv, timeout_seconds=3)]
        assert names == [f"post{i}" for i in range(3)], names
    except ApiException as e:
        assert e.status == 410, (e.status, e.reason)

    # a very old RV after restart: 410 (history is not kept across restarts) or a full replay; never 5xx
    r = requests.get(url(base), params={"watch": "true", "resourceVersion": "1", "timeoutSeconds": "2"},
                     stream=True, timeout=20)
    assert r.status_code in (200, 410), r.text[:300]


def test_clean_shutdown_sigterm(new_server):
    s = new_server("sigterm")
    # with an open watch and kubectl traffic, SIGTERM must still exit 0 quickly
    r = requests.get(s.base + "/api/v1/namespaces?watch=true", stream=True, timeout=30)
    assert r.status_code == 200
    assert s.kubectl("get", "ns").returncode == 0
    t0 = time.monotonic()
    code = s.stop(timeout=5)
    assert code == 0, f"exit code {code} after SIGTERM (None means it did not exit within 5s)\n{s.log_tail(40)}"
    assert time.monotonic() - t0 < 5
    r.close()
    # a restart on the same data dir works
    s.start()
    assert requests.get(s.base + "/readyz", timeout=5).text.strip() == "ok"
    code = s.stop(timeout=5)
    assert code == 0


def test_sigint_exit_code(new_server):
    import signal

    s = new_server("sigint")
    s.proc.send_signal(signal.SIGINT)
    try:
        code = s.proc.wait(timeout=5)
    except Exception:
        code = None
    assert code == 0, f"exit code {code} after SIGINT"
