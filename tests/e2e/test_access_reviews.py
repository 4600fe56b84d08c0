"""Access reviews (`kubectl auth can-i`, `auth whoami`): answered, never stored. Until the security
issue every client is the administrator and everything is allowed, and the answers say exactly that."""

from harness import assert_status, ok, show


def test_auth_can_i_says_yes(kns):
    cp = kns("auth", "can-i", "create", "deployments")
    assert cp.returncode == 0 and cp.stdout.strip() == "yes", show(cp)
    cp = kns("auth", "can-i", "delete", "nodes", "--all-namespaces")
    assert cp.returncode == 0 and cp.stdout.strip() == "yes", show(cp)


def test_auth_can_i_list_and_whoami(kns):
    lines = ok(kns("auth", "can-i", "--list")).stdout.splitlines()
    assert lines[0].split()[:3] == ["Resources", "Non-Resource", "URLs"], lines
    assert lines[1].split()[0] == "*.*" and lines[1].split()[-1] == "[*]", lines
    out = ok(kns("auth", "whoami")).stdout
    assert "system:admin" in out and "system:masters" in out, out


def test_reviews_are_validated_answered_and_not_stored(http, ns):
    base = "/apis/authorization.k8s.io/v1"
    review = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
              "spec": {"resourceAttributes": {"namespace": ns, "verb": "get", "resource": "pods"}}}
    r = http.post_json(f"{base}/selfsubjectaccessreviews", review)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == {"allowed": True}, r.text
    assert r.json()["spec"] == review["spec"], r.text
    # neither kind of attribute: 422 on spec.resourceAttributes
    r = http.post_json(f"{base}/selfsubjectaccessreviews", {**review, "spec": {}})
    assert_status(r, 422, "Invalid")
    assert [c["field"] for c in r.json()["details"]["causes"]] == ["spec.resourceAttributes"], r.text
    # a local review must name its own namespace
    local = {"apiVersion": "authorization.k8s.io/v1", "kind": "LocalSubjectAccessReview",
             "metadata": {"namespace": ns},
             "spec": {"user": "jane", "resourceAttributes": {"namespace": "elsewhere", "verb": "get", "resource": "pods"}}}
    r = http.post_json(f"{base}/namespaces/{ns}/localsubjectaccessreviews", local)
    assert_status(r, 422, "Invalid")
    assert [c["field"] for c in r.json()["details"]["causes"]] == ["spec.resourceAttributes.namespace"], r.text
    local["spec"]["resourceAttributes"]["namespace"] = ns
    r = http.post_json(f"{base}/namespaces/{ns}/localsubjectaccessreviews", local)
    assert r.status_code == 201 and r.json()["status"]["allowed"] is True, r.text
    # only create is served
    assert_status(http.get(f"{base}/selfsubjectaccessreviews"), 405, "MethodNotAllowed")
    r = http.post_json("/apis/authentication.k8s.io/v1/selfsubjectreviews",
                       {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
    assert r.status_code == 201 and r.json()["status"]["userInfo"]["username"] == "system:admin", r.text


def test_kubectl_create_f_of_a_review(kns, tmp_path):
    f = tmp_path / "sar.yaml"
    f.write_text("""apiVersion: authorization.k8s.io/v1
kind: SubjectAccessReview
spec:
  user: jane
  resourceAttributes: {verb: list, resource: secrets}
""")
    cp = ok(kns("create", "-f", str(f), "-o", "jsonpath={.status.allowed}"))
    assert cp.stdout.strip() == "true", show(cp)
