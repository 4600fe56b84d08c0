"""The shipped benchmark runs end to end (small sizes): every figure is printed and plausible."""

import json
import subprocess

from harness import binary_path, free_port


def test_bench_smoke():
    cp = subprocess.run(
        [str(binary_path()), "bench", "--port", str(free_port()), "--list-objects", "300",
         "--creates-per-client", "20", "--watchers", "5", "--watch-events", "10", "--sqlite-rows", "200"],
        capture_output=True, text=True, timeout=240,
    )
    assert cp.returncode == 0, cp.stderr[-2000:]
    figures = json.loads(cp.stdout.strip().splitlines()[-1])
    for key in ["sqlite_raw_inserts_per_s_1_per_txn", "sqlite_raw_inserts_per_s_100_per_txn", "start_to_ready_ms",
                "idle_rss_mb", "creates_per_s_1_client", "creates_per_s_16_clients", "list_300_p50_ms",
                "watch_delivery_5_watchers_p50_ms", "watch_delivery_5_watchers_p99_ms"]:
        assert key in figures, (key, cp.stdout)
        assert figures[key] > 0, (key, figures[key])
    assert figures["creates_per_s_16_clients"] > 50
    assert figures["idle_rss_mb"] < 500
