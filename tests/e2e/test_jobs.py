"""Job, CronJob and TTL-after-finished controllers end to end: a server, `swiftlet sim-nodes --count 3`
(which completes Never/OnFailure pods at once, or fails them with the exit-code annotation) and the
real kubectl."""

import json
import time

import pytest
import yaml

from conftest import parse_table
from harness import ok, show, unique, wait_until, sim_cluster


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with sim_cluster(tmp_path_factory, "jobs") as server:
        yield server


def _json(server, *args):
    return json.loads(ok(server.kubectl(*args, "-o", "json")).stdout)


def _namespace(server):
    name = unique("jobs")
    ok(server.kubectl("create", "namespace", name))
    return name


def _job(name, completions=1, parallelism=1, annotations=None, **spec):
    template = {"spec": {"restartPolicy": "Never", "containers": [{"name": "work", "image": "busybox:1.36"}]}}
    if annotations:
        template["metadata"] = {"annotations": annotations}
    body = {"completions": completions, "parallelism": parallelism, "template": template}
    body.update(spec)
    return yaml.safe_dump({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name}, "spec": body})


def _events(server, ns, name):
    items = _json(server, "-n", ns, "get", "events")["items"]
    return [e for e in items if e["involvedObject"]["name"] == name]


def test_job_with_three_completions_completes(cluster):
    server = cluster
    ns = _namespace(server)
    ok(server.kubectl("-n", ns, "apply", "-f", "-", input=_job("pi", completions=3, parallelism=2)))
    cp = server.kubectl("-n", ns, "wait", "--for=condition=complete", "job/pi", "--timeout=60s", timeout=70)
    assert cp.returncode == 0 and "job.batch/pi condition met" in cp.stdout, show(cp)
    job = _json(server, "-n", ns, "get", "job", "pi")
    status = job["status"]
    assert status["succeeded"] == 3 and "failed" not in status, status
    assert status.get("active") is None and status["ready"] == 0 and status["terminating"] == 0, status
    assert status["startTime"] and status["completionTime"], status
    types = {c["type"]: c["status"] for c in status["conditions"]}
    assert types == {"SuccessCriteriaMet": "True", "Complete": "True"}, status["conditions"]
    row = parse_table(ok(server.kubectl("-n", ns, "get", "jobs")).stdout)[0]
    assert row["NAME"] == "pi" and row["STATUS"] == "Complete" and row["COMPLETIONS"] == "3/3", row
    assert row["DURATION"].endswith("s"), row
    pods = _json(server, "-n", ns, "get", "pods", "-l", "batch.kubernetes.io/job-name=pi")["items"]
    assert len(pods) == 3 and all(p["status"]["phase"] == "Succeeded" for p in pods), [p["status"]["phase"] for p in pods]
    assert all(not p["metadata"].get("finalizers") for p in pods), [p["metadata"].get("finalizers") for p in pods]
    events = _events(server, ns, "pi")
    created = [e for e in events if e["reason"] == "SuccessfulCreate"]
    assert len(created) == 3 and all(e["message"].startswith("Created pod: pi-") for e in created), created
    assert any(e["reason"] == "Completed" and e["message"] == "Job completed" and e["source"]["component"] == "job-controller"
               for e in events), events
    described = ok(server.kubectl("-n", ns, "describe", "job", "pi")).stdout
    assert "3 Succeeded" in described and "SuccessfulCreate" in described, described


def test_indexed_job(cluster):
    server = cluster
    ns = _namespace(server)
    ok(server.kubectl("-n", ns, "apply", "-f", "-", input=_job("idx", completions=3, parallelism=3, completionMode="Indexed")))
    ok(server.kubectl("-n", ns, "wait", "--for=condition=complete", "job/idx", "--timeout=60s", timeout=70))
    status = _json(server, "-n", ns, "get", "job", "idx")["status"]
    assert status["completedIndexes"] == "0-2" and status["succeeded"] == 3, status
    pods = _json(server, "-n", ns, "get", "pods", "-l", "batch.kubernetes.io/job-name=idx")["items"]
    indexes = sorted(p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"] for p in pods)
    assert indexes == ["0", "1", "2"], indexes
    for pod in pods:
        index = pod["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"]
        assert pod["spec"]["hostname"] == f"idx-{index}"
        assert pod["metadata"]["labels"]["batch.kubernetes.io/job-completion-index"] == index
        assert pod["metadata"]["name"].startswith(f"idx-{index}-")
        env = pod["spec"]["containers"][0]["env"]
        assert any(e["name"] == "JOB_COMPLETION_INDEX" for e in env), env


def test_backoff_limit_fails_the_job(cluster):
    server = cluster
    ns = _namespace(server)
    ok(server.kubectl("-n", ns, "apply", "-f", "-",
                      input=_job("bad", backoffLimit=1, annotations={"sim.swiftlet.dev/exit-code": "1"})))
    # One failure, a 10 s backoff, a second failure: past the limit.
    cp = server.kubectl("-n", ns, "wait", "--for=condition=failed", "job/bad", "--timeout=60s", timeout=70)
    assert cp.returncode == 0, show(cp)
    status = _json(server, "-n", ns, "get", "job", "bad")["status"]
    assert status["failed"] == 2 and "succeeded" not in status, status
    failed = [c for c in status["conditions"] if c["type"] == "Failed"][0]
    assert failed["reason"] == "BackoffLimitExceeded" and failed["message"] == "Job has reached the specified backoff limit"
    assert "completionTime" not in status
    row = parse_table(ok(server.kubectl("-n", ns, "get", "jobs")).stdout)[0]
    assert row["STATUS"] == "Failed" and row["COMPLETIONS"] == "0/1", row
    assert any(e["reason"] == "BackoffLimitExceeded" and e["type"] == "Warning" for e in _events(server, ns, "bad"))


def test_pod_failure_policy_fails_the_job_on_an_exit_code(cluster):
    server = cluster
    ns = _namespace(server)
    policy = {"rules": [{"action": "FailJob", "onExitCodes": {"containerName": "work", "operator": "In", "values": [42]}}]}
    ok(server.kubectl("-n", ns, "apply", "-f", "-",
                      input=_job("policy", backoffLimit=6, podFailurePolicy=policy, annotations={"sim.swiftlet.dev/exit-code": "42"})))
    ok(server.kubectl("-n", ns, "wait", "--for=condition=failed", "job/policy", "--timeout=30s", timeout=40))
    status = _json(server, "-n", ns, "get", "job", "policy")["status"]
    assert status["failed"] == 1, status
    failed = [c for c in status["conditions"] if c["type"] == "Failed"][0]
    pod = _json(server, "-n", ns, "get", "pods", "-l", "batch.kubernetes.io/job-name=policy")["items"][0]["metadata"]["name"]
    assert failed["reason"] == "PodFailurePolicy", failed
    assert failed["message"] == f"Container work for pod {ns}/{pod} failed with exit code 42 matching FailJob rule at index 0", failed
    assert {c["type"] for c in status["conditions"]} == {"FailureTarget", "Failed"}, status["conditions"]


def test_active_deadline_stops_a_running_job(cluster):
    server = cluster
    ns = _namespace(server)
    ok(server.kubectl("-n", ns, "apply", "-f", "-",
                      input=_job("late", completions=2, parallelism=2, activeDeadlineSeconds=3,
                                 annotations={"sim.swiftlet.dev/run-seconds": "120"})))
    wait_until(lambda: _json(server, "-n", ns, "get", "job", "late")["status"].get("ready") == 2, timeout=30,
               msg="2 ready pods")
    ok(server.kubectl("-n", ns, "wait", "--for=condition=failed", "job/late", "--timeout=30s", timeout=40))
    status = _json(server, "-n", ns, "get", "job", "late")["status"]
    failed = [c for c in status["conditions"] if c["type"] == "Failed"][0]
    assert failed["reason"] == "DeadlineExceeded" and failed["message"] == "Job was active longer than specified deadline"
    assert status.get("active") is None and status["terminating"] == 0, status
    # The simulator stops deleted pods with exit code 0: each is counted once, as it ended.
    assert status.get("succeeded", 0) + status.get("failed", 0) == 2, status
    assert status["uncountedTerminatedPods"] == {}, status
    # Its pods were stopped.
    wait_until(lambda: not _json(server, "-n", ns, "get", "pods", "-l", "batch.kubernetes.io/job-name=late")["items"],
               timeout=30, msg="the Job's pods gone")
    assert any(e["reason"] == "DeadlineExceeded" for e in _events(server, ns, "late"))


def test_ttl_after_finished_deletes_the_job(cluster):
    server = cluster
    ns = _namespace(server)
    ok(server.kubectl("-n", ns, "apply", "-f", "-", input=_job("short", ttlSecondsAfterFinished=2)))
    ok(server.kubectl("-n", ns, "wait", "--for=condition=complete", "job/short", "--timeout=60s", timeout=70))
    wait_until(lambda: server.kubectl("-n", ns, "get", "job", "short").returncode != 0, timeout=20, msg="job deleted by its TTL")
    cp = server.kubectl("-n", ns, "get", "job", "short")
    assert "NotFound" in cp.stderr, show(cp)


def test_cronjob_starts_a_job_within_75_seconds(cluster):
    server = cluster
    ns = _namespace(server)
    ok(server.kubectl("-n", ns, "create", "cronjob", "tick", "--image=busybox:1.36", "--schedule=*/1 * * * *",
                      "--restart=Never"))
    start = time.monotonic()
    jobs = wait_until(lambda: (items := _json(server, "-n", ns, "get", "jobs")["items"]) and items, timeout=75, interval=1,
                      msg="a Job of the CronJob")
    assert time.monotonic() - start < 75
    job = jobs[0]
    minutes = int(job["metadata"]["name"].rsplit("-", 1)[1])
    assert job["metadata"]["name"] == f"tick-{minutes}"
    scheduled = job["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"]
    assert scheduled == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(minutes * 60)), scheduled
    owner = job["metadata"]["ownerReferences"][0]
    assert owner["kind"] == "CronJob" and owner["name"] == "tick" and owner["controller"] is True
    ok(server.kubectl("-n", ns, "wait", "--for=condition=complete", f"job/{job['metadata']['name']}", "--timeout=60s", timeout=70))

    def seen_completed():
        cj = _json(server, "-n", ns, "get", "cronjob", "tick")
        return cj if cj["status"].get("lastSuccessfulTime") and not cj["status"].get("active") else None

    cj = wait_until(seen_completed, timeout=20, msg="CronJob status to follow the completed Job")
    assert cj["status"]["lastScheduleTime"] == scheduled
    reasons = [e["reason"] for e in _events(server, ns, "tick")]
    assert "SuccessfulCreate" in reasons and "SawCompletedJob" in reasons, reasons
    row = parse_table(ok(server.kubectl("-n", ns, "get", "cronjobs")).stdout)[0]
    assert row["LAST SCHEDULE"] != "<none>", row
    # A manual run from the CronJob's template.
    ok(server.kubectl("-n", ns, "create", "job", "manual", "--from=cronjob/tick"))
    ok(server.kubectl("-n", ns, "wait", "--for=condition=complete", "job/manual", "--timeout=60s", timeout=70))
