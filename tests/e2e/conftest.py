"""Fixtures for the Swiftlet end-to-end suite.

* ``server``      one shared `swiftlet server` for the session (own data dir, port, HOME).
* ``kubectl``     ``kubectl(*args, input=None, ...) -> CompletedProcess`` against that server.
* ``api_client``  ``kubernetes.client.ApiClient`` loaded from the server's kubeconfig.
* ``core``        ``CoreV1Api`` on that client.
* ``http``        raw HTTP session (requests) with the base URL baked in.
* ``ns``          a fresh namespace per test (deleted afterwards, best effort).
* ``new_server``  factory for extra servers (durability/restart/fuzz tests); all killed at teardown.

If the binary is missing every test fails (never skips).
"""

from __future__ import annotations

import json
import os

import pytest

import harness
from harness import SERVERS, Server, new_workdir, require_binary, unique


# ----------------------------------------------------------------------------- reporting
@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    offsets = {}
    for s in SERVERS:
        try:
            offsets[id(s)] = s.log_path.stat().st_size
        except OSError:
            offsets[id(s)] = 0
    item._swiftlet_log_offsets = offsets


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if not rep.failed:
        return
    offsets = getattr(item, "_swiftlet_log_offsets", {})
    for s in SERVERS:
        start = offsets.get(id(s), 0)
        try:
            with open(s.log_path, "rb") as f:
                f.seek(start)
                chunk = f.read().decode(errors="replace")
        except OSError:
            continue
        if not chunk.strip():
            continue
        lines = chunk.splitlines()[-200:]
        rep.sections.append(
            (f"swiftlet log {s.name} (pid {s.pid}, {s.log_path}) during {rep.when}", "\n".join(lines))
        )


def pytest_sessionfinish(session, exitstatus):
    # Belt and braces: never leave a server we started running.
    for s in SERVERS:
        s.kill()


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def swiftlet_bin():
    try:
        return require_binary()
    except AssertionError as e:
        pytest.fail(str(e), pytrace=False)


@pytest.fixture(scope="session")
def server(swiftlet_bin, tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("main"), name="main")
    try:
        s.start()
    except AssertionError as e:
        s.kill()
        pytest.fail(str(e), pytrace=False)
    yield s
    s.stop()
    s.kill()


@pytest.fixture
def new_server(swiftlet_bin, tmp_path):
    """Factory: new_server(name='x', data_dir=None) -> started Server. Killed at teardown."""
    started: list[Server] = []

    def make(name: str = "extra", data_dir=None, start: bool = True, extra_args=None) -> Server:
        s = Server(tmp_path / f"{name}-{len(started)}", data_dir=data_dir, name=name, extra_args=extra_args)
        started.append(s)
        if start:
            s.start()
        return s

    yield make
    for s in started:
        s.kill()


@pytest.fixture(scope="session")
def kubectl(server):
    return server.kubectl


@pytest.fixture(scope="session")
def api_client(server):
    c = server.api_client()
    yield c
    c.close()


@pytest.fixture(scope="session")
def core(api_client):
    from kubernetes import client

    return client.CoreV1Api(api_client)


@pytest.fixture(scope="session")
def http(server):
    h = server.session()
    yield h
    h.close()


def _create_ns(http, name):
    r = http.post_json("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    assert r.status_code == 201, f"creating namespace {name}: {r.status_code} {r.text[:300]}"
    return name


@pytest.fixture
def ns(http):
    name = _create_ns(http, unique("e2e"))
    yield name
    try:
        http.delete(f"/api/v1/namespaces/{name}", timeout=10)
    except Exception:
        pass


@pytest.fixture
def make_ns(http):
    """Factory for extra namespaces in one test."""
    made = []

    def make(prefix="e2e"):
        n = _create_ns(http, unique(prefix))
        made.append(n)
        return n

    yield make
    for n in made:
        try:
            http.delete(f"/api/v1/namespaces/{n}", timeout=10)
        except Exception:
            pass


@pytest.fixture
def kns(kubectl, ns):
    """kubectl bound to the per-test namespace: kns('get', 'cm') == kubectl('-n', ns, 'get', 'cm')."""

    def run(*args, **kw):
        return kubectl("-n", ns, *args, **kw)

    return run


# ----------------------------------------------------------------------------- helpers exported as fixtures
@pytest.fixture
def mk_cm(http):
    """mk_cm(ns, name, data=None, labels=None, **meta) -> created object (asserts 201)."""

    def make(namespace, name, data=None, labels=None, **meta):
        body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, **meta}}
        if labels:
            body["metadata"]["labels"] = labels
        if data is not None:
            body["data"] = data
        r = http.post_json(f"/api/v1/namespaces/{namespace}/configmaps", body)
        assert r.status_code == 201, f"create cm {namespace}/{name}: {r.status_code} {r.text[:300]}"
        return r.json()

    return make


def parse_table(text: str) -> list[dict]:
    """Parse kubectl's column output using the header's column start offsets."""
    lines = [l for l in text.splitlines() if l.strip()]
    if not lines:
        return []
    header = lines[0]
    cols = []
    i = 0
    while i < len(header):
        if header[i] != " " and (i == 0 or header[i - 1] == " "):
            j = i
            # column names may contain one space (e.g. "LAST SEEN"), never two
            while j < len(header) and not (header[j] == " " and (j + 1 >= len(header) or header[j + 1] == " ")):
                j += 1
            cols.append((header[i:j], i))
            i = j
        else:
            i += 1
    rows = []
    for line in lines[1:]:
        row = {}
        for idx, (name, start) in enumerate(cols):
            end = cols[idx + 1][1] if idx + 1 < len(cols) else None
            row[name] = (line[start:end] if end is not None else line[start:]).strip()
        rows.append(row)
    return rows


harness.parse_table = parse_table
