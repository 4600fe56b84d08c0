"""`swiftlet bench scheduler` runs end to end at a tiny size (5 nodes, 50 pods) and reports every figure:
the scheduler core baseline, scheduled pods/s, time to all Running, the server's peak RSS, and the
Deployment run (a number once the Deployment controller runs, else "not reached")."""

import json
import subprocess

from harness import binary_path, free_port


def test_bench_scheduler_smoke():
    cp = subprocess.run(
        [str(binary_path()), "bench", "scheduler", "--port", str(free_port()), "--nodes", "5", "--pods", "50",
         "--replicas", "10", "--deployment-timeout", "15", "--timeout", "60"],
        capture_output=True, text=True, timeout=240,
    )
    assert cp.returncode == 0, cp.stdout[-2000:] + cp.stderr[-2000:]
    lines = cp.stdout.strip().splitlines()
    figures = json.loads(lines[-1])
    for key in ["scheduler_core_pods_per_s_in_process", "nodes_5_ready_s", "pod_creates_per_s_during_scheduling",
                "scheduled_pods_per_s", "scheduled_vs_core_percent", "pods_50_all_running_s", "pods_50_deleted_s",
                "server_peak_rss_mb", "sim_nodes_peak_rss_mb"]:
        assert key in figures, (key, cp.stdout)
        assert figures[key] > 0, (key, figures[key])
    # Every pod was bound and ran, so the server held them: its peak RSS is a real figure.
    assert 10 < figures["server_peak_rss_mb"] < 1024
    assert figures["scheduled_vs_core_percent"] < 150
    assert figures["pods_50_all_running_s"] >= 50 / figures["scheduled_pods_per_s"] * 0.99
    # The Deployment run reports either its time or, without the controllers, that it was not reached.
    assert "deployment_10_replicas_ready_s" in figures
    line = next(l for l in lines if l.startswith("deployment_10_replicas_ready_s"))
    if figures["deployment_10_replicas_ready_s"] is None:
        assert "not reached in 15 s" in line, line
    else:
        assert 0 < figures["deployment_10_replicas_ready_s"] <= 15
