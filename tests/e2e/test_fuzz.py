"""§12 Fuzz: hundreds of random and mutated bodies; never a 5xx, never a dropped connection, still ready.

Runs against its own server so a crash is attributed here and cannot cascade. Deterministic seed
(override with SWIFTLET_FUZZ_SEED / SWIFTLET_FUZZ_N).
"""

import copy
import json
import os
import random

import pytest
import requests

from harness import PROTOBUF, pb_configmap, pb_namespace, pb_secret

SEED = int(os.environ.get("SWIFTLET_FUZZ_SEED", "20261122"))
N_RANDOM = int(os.environ.get("SWIFTLET_FUZZ_N", "400"))

CT_JSON = "application/json"
CT_YAML = "application/yaml"
CT_MERGE = "application/merge-patch+json"
CT_JSONPATCH = "application/json-patch+json"
CT_SMP = "application/strategic-merge-patch+json"
CT_APPLY = "application/apply-patch+yaml"

WEIRD = [None, 0, -1, 1.5, True, False, "", "s", "Bad_Name", [], [1, "a"], {}, {"x": 1}, {"x": {"y": [None]}},
         10 ** 30, -(10 ** 30), 1e308, "\u0000", "\ud7ff\ue000", "x" * 5000]

TEMPLATES = {
    "configmaps": {"apiVersion": "v1", "kind": "ConfigMap",
                   "metadata": {"name": "t", "labels": {"a": "b"}, "annotations": {"n": "v"},
                                "finalizers": ["example.com/f"], "generateName": "g-",
                                "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "o",
                                                     "uid": "u1"}]},
                   "data": {"k": "v"}, "binaryData": {"b": "AAE="}, "immutable": False},
    "secrets": {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "t", "labels": {"a": "b"}},
                "type": "Opaque", "data": {"k": "dg=="}, "stringData": {"s": "v"}},
    "namespaces": {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "t", "labels": {"a": "b"}},
                   "spec": {"finalizers": ["kubernetes"]}},
    "events": {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "t"},
               "involvedObject": {"kind": "ConfigMap", "name": "x", "namespace": "fuzz", "uid": "u"},
               "reason": "R", "message": "m", "type": "Normal", "count": 1,
               "firstTimestamp": "2026-01-01T00:00:00Z", "lastTimestamp": "2026-01-01T00:00:00Z",
               "eventTime": "2026-01-01T00:00:00.000000Z", "source": {"component": "c"}},
}


def _paths(obj, prefix=()):
    """Every path to every value in a JSON template."""
    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.append(prefix + (k,))
            out += _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out.append(prefix + (i,))
            out += _paths(v, prefix + (i,))
    return out


def _set(obj, path, value):
    cur = obj
    for p in path[:-1]:
        cur = cur[p]
    cur[path[-1]] = value


def _collection(resource, ns):
    return "/api/v1/namespaces" if resource == "namespaces" else f"/api/v1/namespaces/{ns}/{resource}"


def _deep(n, opener="[", closer="]"):
    return opener * n + closer * n


def _mutate_bytes(rng, b: bytes) -> bytes:
    b = bytearray(b)
    for _ in range(rng.randint(1, 6)):
        op = rng.randrange(4)
        if op == 0 and b:
            b[rng.randrange(len(b))] = rng.randrange(256)
        elif op == 1 and b:
            i = rng.randrange(len(b))
            del b[i:i + rng.randint(1, 8)]
        elif op == 2:
            i = rng.randrange(len(b) + 1)
            b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        else:
            b = b[: rng.randrange(len(b) + 1)]
    return bytes(b)


def build_cases(ns):
    """(method, path, content_type, body) tuples; deterministic."""
    rng = random.Random(SEED)
    cases = []
    counter = [0]

    def name():
        counter[0] += 1
        return f"fz{counter[0]}"

    # 1. wrong type at every field position of every kind's template
    for resource, tmpl in TEMPLATES.items():
        for path in _paths(tmpl):
            for value in rng.sample(WEIRD, 4):
                obj = copy.deepcopy(tmpl)
                obj["metadata"]["name"] = name()
                _set(obj, path, value)
                cases.append(("POST", _collection(resource, ns), CT_JSON, json.dumps(obj).encode()))

    # 2. structural nasties
    coll = _collection("configmaps", ns)
    nasties = [
        _deep(10_000).encode(),
        ('{"a":' * 10_000 + "1" + "}" * 10_000).encode(),
        json.dumps({"metadata": {"name": name()}, "data": {"k": "v"}}).encode()[:-3],
        b'{"metadata":{"name":"' + name().encode() + b'"},"data":{"k":"\xff\xfe\xfd"}}',
        b'{"metadata":{"name":"\xc3\x28"}}',
        b'{"metadata":{"name":"' + name().encode() + b'"},"data":{"k":"\\ud800"}}',
        b'{"metadata":{"name":"' + name().encode() + b'","resourceVersion":"99999999999999999999999"}}',
        b'{"metadata":{"name":"' + name().encode() + b'","generation":1e400}}',
        b'{"metadata":{"name":"' + name().encode() + b'","generation":123456789012345678901234567890}}',
        b'{"metadata":{"name":"' + name().encode() + b'","creationTimestamp":"not a time"}}',
        b'{"metadata":{"name":"' + name().encode() + b'","deletionTimestamp":"2026-01-01T00:00:00Z"}}',
        b'{"metadata":{"name":"' + name().encode() + b'","uid":12}}',
        b"\x00" * 100,
        b"\xef\xbb\xbf{}",
        b"{}",
        b"[]",
        b'"string"',
        b"1e999999",
        b"-",
        b'{"metadata":{"name":"' + name().encode() + b'"},"data":{"' + b"k" * 300 + b'":"v"}}',
    ]
    for body in nasties:
        for ct in (CT_JSON, CT_YAML):
            cases.append(("POST", coll, ct, body))
    yaml_nasties = [
        b"a: &a [*a]",
        b"a: &x\n  b: *x\n",
        b"- - - - - - - - - -\n" * 50,
        ("x: " + "[" * 5000 + "]" * 5000).encode(),
        b"metadata: !!binary AAAA\n",
        b"metadata:\n  name: " + name().encode() + b"\ndata:\n  k: !!python/object:os.system ls\n",
        b"%YAML 9.9\n---\nmetadata: {}\n",
        b"---\n---\n---\n",
        b"metadata:\n  name: " + name().encode() + b"\n  labels: {a: 1, b: true, c: null}\n",
        b"{ metadata: { name: " + name().encode() + b" }, data: { k: 1.0e+3 } }",
        b"lol: &a [\"lol\",\"lol\"]\nlol2: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nlol3: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        b"lol4: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\nlol5: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
        b"lol6: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\nlol7: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n",
    ]
    for body in yaml_nasties:
        cases.append(("POST", coll, CT_YAML, body))

    # 3. protobuf envelopes, valid and mutated
    valid_pb = {
        "configmaps": lambda: pb_configmap(name(), {"a": "1", "b": "2"}, labels={"x": "y"}),
        "secrets": lambda: pb_secret(name(), {"p": b"\x00\x01"}),
        "namespaces": lambda: pb_namespace(name()),
    }
    for resource, mk in valid_pb.items():
        for _ in range(30):
            cases.append(("POST", _collection(resource, ns), PROTOBUF, _mutate_bytes(rng, mk())))
        cases.append(("POST", _collection(resource, ns), PROTOBUF, b"k8s\x00" + bytes(rng.randrange(256) for _ in range(64))))
    cases.append(("POST", coll, PROTOBUF, b"k8s\x00"))
    cases.append(("POST", coll, PROTOBUF, b"k8s"))
    cases.append(("POST", coll, PROTOBUF, b"k8s\x00" + b"\x0a\xff\xff\xff\xff\x07"))  # huge length prefix
    cases.append(("POST", coll, PROTOBUF, b"k8s\x00" + b"\x12\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01"))  # overlong varint
    nested = b""
    for _ in range(2000):
        nested = b"\x0a" + bytes([min(len(nested), 127)]) + nested[:127]
    cases.append(("POST", coll, PROTOBUF, b"k8s\x00" + nested))

    # 4. random bytes and random JSON-ish text
    alphabet = b'{}[]":,0123456789.eE+-truefalsnul \\/\n\tmetadatanamelabelsdata'
    for _ in range(N_RANDOM):
        resource = rng.choice(list(TEMPLATES))
        ct = rng.choice([CT_JSON, CT_YAML, PROTOBUF, CT_JSON, None])
        kind = rng.randrange(3)
        if kind == 0:
            body = bytes(rng.randrange(256) for _ in range(rng.randint(0, 300)))
        elif kind == 1:
            body = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 300)))
        else:
            obj = copy.deepcopy(TEMPLATES[resource])
            obj["metadata"]["name"] = name()
            body = _mutate_bytes(rng, json.dumps(obj).encode())
        cases.append(("POST", _collection(resource, ns), ct, body))

    # 5. patches (every patch type) against existing objects
    targets = [f"/api/v1/namespaces/{ns}/configmaps/target", f"/api/v1/namespaces/{ns}/secrets/target",
               f"/api/v1/namespaces/{ns}"]
    patch_bodies = [b"{}", b"[]", b"null", b'{"metadata":null}', b'{"metadata":{"name":"renamed"}}',
                    b'{"metadata":{"labels":{"a":1}}}', b'{"data":[1]}', b'{"data":{"k":null,"$patch":"delete"}}',
                    b'{"$patch":"replace"}', b'{"metadata":{"$deleteFromPrimitiveList/finalizers":[1]}}',
                    b'{"metadata":{"$setElementOrder/finalizers":"x"}}', b'{"kind":"Secret"}',
                    b'[{"op":"remove","path":"/metadata"}]', b'[{"op":"add","path":"/data/~2","value":1}]',
                    b'[{"op":"move","from":"/data","path":"/data/x"}]', b'[{"op":"copy","from":"/nope","path":"/x"}]',
                    b'[{"op":"replace","path":"","value":null}]', b'[{"op":"bogus"}]', b'[{"path":"/x"}]',
                    b'[{"op":"add","path":"/metadata/labels/-","value":"x"}]', b'[{"op":"test","path":"/kind","value":5}]',
                    _deep(5000).encode(), b'{"metadata":{"resourceVersion":"abc"}}']
    for target in targets:
        for ct in (CT_MERGE, CT_JSONPATCH, CT_SMP, CT_APPLY):
            for body in patch_bodies:
                cases.append(("PATCH", target, ct, body))
            for _ in range(8):
                cases.append(("PATCH", target, ct, _mutate_bytes(rng, rng.choice(patch_bodies))))
        # PUT with garbage
        for _ in range(5):
            cases.append(("PUT", target, CT_JSON, _mutate_bytes(rng, json.dumps(TEMPLATES["configmaps"]).encode())))
    return cases


@pytest.fixture(scope="module")
def fuzz_server(swiftlet_bin, tmp_path_factory):
    from harness import Server

    s = Server(tmp_path_factory.mktemp("fuzz"), name="fuzz")
    s.start()
    yield s
    s.kill()


def test_fuzz_never_5xx(fuzz_server):
    base = fuzz_server.base
    sess = requests.Session()
    ns = "fuzz"
    # Setup failures are not fatal here (they are asserted elsewhere); the fuzz still runs.
    setup = []
    r = sess.post(base + "/api/v1/namespaces", json={"metadata": {"name": ns}}, timeout=30)
    setup.append(r.status_code)
    for coll in ("configmaps", "secrets"):
        body = {"metadata": {"name": "target"}, "data": {"k": "dg=="}}
        r = sess.post(f"{base}/api/v1/namespaces/{ns}/{coll}", json=body, timeout=30)
        setup.append(r.status_code)
    assert all(c < 500 for c in setup), setup
    cases = build_cases(ns)
    assert len(cases) >= 400
    failures = []
    statuses = {}
    for i, (method, path, ct, body) in enumerate(cases):
        headers = {"Content-Type": ct} if ct else {"Content-Type": None}
        try:
            r = sess.request(method, base + path, data=body, headers=headers, timeout=30)
        except requests.RequestException as e:
            pytest.fail(f"case {i} {method} {path} {ct} body={body[:120]!r}: connection error {e!r}\n"
                        f"server alive: {fuzz_server.proc.poll() is None}")
        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
        if r.status_code >= 500:
            failures.append(f"case {i}: {method} {path} {ct} -> {r.status_code} {r.text[:200]!r} body={body[:120]!r}")
            continue
        if r.status_code >= 400:
            try:
                st = r.json()
                ok_status = st.get("kind") == "Status" and st.get("code") == r.status_code and st.get("reason")
            except ValueError:
                ok_status = False
            if not ok_status:
                failures.append(f"case {i}: {method} {path} {ct} -> {r.status_code} non-Status body {r.text[:200]!r}")
    assert fuzz_server.proc.poll() is None, "server died during the fuzz run"
    assert not failures, f"{len(failures)} bad responses of {len(cases)} (status histogram {statuses}):\n" + \
        "\n".join(failures[:40])
    r = requests.get(base + "/readyz", timeout=10)
    assert r.status_code == 200 and r.text.strip() == "ok"
    assert setup == [201, 201, 201], f"fuzz setup did not create its objects: {setup}"
    # the store is still consistent: lists decode, targets are readable
    for path in (f"/api/v1/namespaces/{ns}/configmaps", f"/api/v1/namespaces/{ns}/secrets",
                 f"/api/v1/namespaces/{ns}/events", "/api/v1/namespaces",
                 f"/api/v1/namespaces/{ns}/configmaps/target"):
        r = requests.get(base + path, timeout=10)
        assert r.status_code == 200, (path, r.status_code, r.text[:200])
        r.json()
    # and kubectl still renders them
    cp = fuzz_server.kubectl("get", "cm,secrets,events", "-n", ns)
    assert cp.returncode == 0, cp.stderr
