"""Process and HTTP helpers for the Swiftlet end-to-end suite.

Nothing here is a test; conftest.py turns these helpers into fixtures.
Every server process started here is tracked in ``SERVERS`` so that the
conftest hook can print its log when a test fails, and so that teardown
can kill it by the PID we got from Popen.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
DEFAULT_BIN = REPO / ".build" / "debug" / "swiftlet"

SUBPROCESS_TIMEOUT = 30  # seconds, for every kubectl invocation
READY_TIMEOUT = 60  # seconds, first start may have to create the database

# Every Server ever started in this pytest process (for log dumping).
SERVERS: list["Server"] = []


def binary_path() -> Path:
    return Path(os.environ.get("SWIFTLET_BIN", str(DEFAULT_BIN)))


def require_binary() -> Path:
    """Return the server binary or raise a clear AssertionError (never skip)."""
    p = binary_path()
    if not p.exists():
        raise AssertionError(
            f"swiftlet binary not found at {p}. Build it first (swift build) or set "
            f"SWIFTLET_BIN=/path/to/swiftlet. The e2e suite fails rather than skips "
            f"when the binary is missing."
        )
    if not os.access(p, os.X_OK):
        raise AssertionError(f"swiftlet binary at {p} is not executable")
    return p


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unique(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class ServerStartError(AssertionError):
    pass


class Server:
    """One `swiftlet server` process with its own data dir, port and kubeconfig."""

    def __init__(self, workdir: Path, data_dir: Path | None = None, name: str = "server", extra_args: list[str] | None = None,
                 agent: bool = False):
        self.extra_args = list(extra_args or [])
        # Without `agent`, the server runs the control plane only (--disable-agent).
        self.agent = agent
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.data_dir = Path(data_dir) if data_dir else self.workdir / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.kubeconfig = self.workdir / "kubeconfig.yaml"
        self.log_path = self.workdir / f"{name}.log"
        self.home = self.workdir / "home"
        self.home.mkdir(exist_ok=True)
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self.starts = 0
        self._log_file = None
        SERVERS.append(self)

    # ------------------------------------------------------------------ lifecycle
    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def start(self, port: int | None = None, attempts: int = 3) -> "Server":
        binary = require_binary()
        last_err = None
        for attempt in range(attempts):
            self.port = port or free_port()
            self.starts += 1
            self._log_file = open(self.log_path, "ab", buffering=0)
            self._log_file.write(
                f"\n===== start #{self.starts} port={self.port} data={self.data_dir} =====\n".encode()
            )
            args = [
                str(binary), "server",
                "--data-dir", str(self.data_dir),
                "--port", str(self.port),
                "--bind-address", "127.0.0.1",
                "--write-kubeconfig", str(self.kubeconfig),
            ] + ([] if self.agent else ["--disable-agent"]) + self.extra_args
            self.proc = subprocess.Popen(
                args, stdout=self._log_file, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, cwd=str(self.workdir),
            )
            try:
                self._wait_ready()
                return self
            except ServerStartError as e:
                last_err = e
                exited = self.proc.poll() is not None
                self.kill()
                # A port race with another process is the only reason to retry.
                if port is not None or not exited:
                    break
        raise ServerStartError(f"{last_err}\n--- server log ---\n{self.log_tail()}")

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerStartError(
                    f"swiftlet exited with code {self.proc.returncode} before becoming ready"
                )
            try:
                r = requests.get(self.base + "/readyz", timeout=2)
                last = f"{r.status_code} {r.text[:200]!r}"
                if r.status_code == 200 and r.text.strip() == "ok":
                    # The kubeconfig must have been written by now.
                    for _ in range(50):
                        if self.kubeconfig.exists() and self.kubeconfig.stat().st_size > 0:
                            return
                        time.sleep(0.1)
                    raise ServerStartError(f"/readyz is ok but {self.kubeconfig} was not written")
            except requests.RequestException as e:
                last = repr(e)
            time.sleep(0.1)
        raise ServerStartError(f"swiftlet not ready within {READY_TIMEOUT}s (last /readyz: {last})")

    def stop(self, timeout: float = 5.0) -> int | None:
        """SIGTERM, wait; returns the exit code (SIGKILLs if it hangs and returns None)."""
        if not self.proc:
            return None
        if self.proc.poll() is not None:
            return self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None
        finally:
            self._close_log()

    def kill(self) -> None:
        """SIGKILL the process we started (by PID) and reap it."""
        if self.proc and self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        self._close_log()

    def _close_log(self):
        if self._log_file:
            try:
                self._log_file.close()
            except OSError:
                pass
            self._log_file = None

    def log_tail(self, n: int = 150) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-n:])

    def is_ready(self) -> bool:
        try:
            r = requests.get(self.base + "/readyz", timeout=5)
            return r.status_code == 200
        except requests.RequestException:
            return False

    # ------------------------------------------------------------------ clients
    def env(self, extra: dict | None = None) -> dict:
        env = dict(os.environ)
        env["HOME"] = str(self.home)
        env["KUBECONFIG"] = str(self.kubeconfig)
        env.pop("KUBE_EDITOR", None)
        env.pop("EDITOR", None)
        if extra:
            env.update(extra)
        return env

    def kubectl(self, *args, input: str | bytes | None = None, timeout: float = SUBPROCESS_TIMEOUT,
                env: dict | None = None, check: bool = False) -> subprocess.CompletedProcess:
        cmd = ["kubectl", "--kubeconfig", str(self.kubeconfig), *map(str, args)]
        text = not isinstance(input, bytes)
        try:
            cp = subprocess.run(
                cmd, input=input, capture_output=True, text=text, timeout=timeout,
                env=self.env(env), cwd=str(self.workdir),
            )
        except subprocess.TimeoutExpired as e:
            raise AssertionError(
                f"kubectl timed out after {timeout}s: {' '.join(cmd)}\n"
                f"stdout: {e.stdout!r}\nstderr: {e.stderr!r}"
            ) from None
        if check and cp.returncode != 0:
            raise AssertionError("kubectl failed\n" + show(cp))
        return cp

    def session(self) -> "Http":
        return Http(self.base)

    def api_client(self):
        from kubernetes import config

        return config.new_client_from_config(config_file=str(self.kubeconfig))


class Http:
    """Thin requests wrapper with the base URL baked in and a default timeout."""

    def __init__(self, base: str):
        self.base = base
        self.s = requests.Session()

    def request(self, method: str, path: str, **kw) -> requests.Response:
        kw.setdefault("timeout", 30)
        return self.s.request(method, self.base + path, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def post_json(self, path, obj, **kw):
        headers = {"Content-Type": "application/json", **kw.pop("headers", {})}
        return self.post(path, data=json.dumps(obj), headers=headers, **kw)

    def close(self):
        self.s.close()


def assert_status(resp: requests.Response, code: int, reason: str | tuple | None = None) -> dict:
    """Assert an HTTP error response is a proper metav1.Status with the given code/reason."""
    assert resp.status_code == code, (
        f"expected HTTP {code}, got {resp.status_code}: {resp.text[:500]}"
    )
    body = status_body(resp)
    assert body.get("kind") == "Status", f"not a Status body: {resp.text[:500]}"
    assert body.get("status") == "Failure", body
    assert body.get("code") == code, body
    assert isinstance(body.get("message"), str) and body["message"], body
    if reason is not None:
        reasons = (reason,) if isinstance(reason, str) else reason
        assert body.get("reason") in reasons, f"reason {body.get('reason')!r} not in {reasons}: {body}"
    return body


def status_body(resp: requests.Response) -> dict:
    try:
        body = resp.json()
    except ValueError:
        raise AssertionError(
            f"error body is not JSON (HTTP {resp.status_code}, "
            f"Content-Type {resp.headers.get('Content-Type')}): {resp.text[:500]!r}"
        ) from None
    assert isinstance(body, dict), f"error body is not an object: {body!r}"
    return body


def wait_until(pred, timeout: float = 20.0, interval: float = 0.2, msg: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {msg} (last={last!r})")


class LineReader:
    """Collects a subprocess pipe's lines in a background thread."""

    def __init__(self, pipe):
        self.lines: list[str] = []
        self._lock = threading.Lock()
        self._t = threading.Thread(target=self._run, args=(pipe,), daemon=True)
        self._t.start()

    def _run(self, pipe):
        for line in iter(pipe.readline, ""):
            with self._lock:
                self.lines.append(line.rstrip("\n"))

    def snapshot(self) -> list[str]:
        with self._lock:
            return list(self.lines)

    def join(self, timeout=5):
        self._t.join(timeout)


# ----------------------------------------------------------------------------------
# Minimal protobuf encoding for the k8s "k8s\0" envelope (runtime.Unknown).
# ----------------------------------------------------------------------------------
def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def pb_bytes(field: int, payload: bytes) -> bytes:
    return _varint((field << 3) | 2) + _varint(len(payload)) + payload


def pb_str(field: int, s: str) -> bytes:
    return pb_bytes(field, s.encode())


def pb_map(field: int, m: dict) -> bytes:
    out = b""
    for k, v in m.items():
        vb = v if isinstance(v, bytes) else v.encode()
        out += pb_bytes(field, pb_str(1, k) + pb_bytes(2, vb))
    return out


def pb_object_meta(name: str | None = None, labels: dict | None = None, namespace: str | None = None) -> bytes:
    out = b""
    if name is not None:
        out += pb_str(1, name)
    if namespace is not None:
        out += pb_str(3, namespace)
    if labels:
        out += pb_map(11, labels)
    return out


def pb_envelope(api_version: str, kind: str, raw: bytes) -> bytes:
    type_meta = pb_str(1, api_version) + pb_str(2, kind)
    unknown = pb_bytes(1, type_meta) + pb_bytes(2, raw) + pb_str(3, "") + pb_str(4, "")
    return b"k8s\x00" + unknown


def pb_configmap(name: str, data: dict | None = None, labels: dict | None = None) -> bytes:
    raw = pb_bytes(1, pb_object_meta(name, labels))
    if data:
        raw += pb_map(2, data)
    return pb_envelope("v1", "ConfigMap", raw)


def pb_secret(name: str, data: dict | None = None, type_: str = "Opaque") -> bytes:
    raw = pb_bytes(1, pb_object_meta(name))
    if data:
        raw += pb_map(2, {k: (v if isinstance(v, bytes) else v.encode()) for k, v in data.items()})
    raw += pb_str(3, type_)
    return pb_envelope("v1", "Secret", raw)


def pb_namespace(name: str) -> bytes:
    return pb_envelope("v1", "Namespace", pb_bytes(1, pb_object_meta(name)))


PROTOBUF = "application/vnd.kubernetes.protobuf"


def new_workdir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"swiftlet-e2e-{prefix}-"))


def show(cp: subprocess.CompletedProcess) -> str:
    """Human-readable dump of a CompletedProcess for assertion messages."""
    args = cp.args if isinstance(cp.args, str) else " ".join(map(str, cp.args))
    return f"$ {args}\nrc={cp.returncode}\n--- stdout ---\n{cp.stdout}\n--- stderr ---\n{cp.stderr}"


def ok(cp: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert cp.returncode == 0, show(cp)
    return cp


def fails(cp: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert cp.returncode != 0, "expected kubectl to fail\n" + show(cp)
    return cp


# ----------------------------------------------------------------------------- simulated nodes
def start_sim(server: "Server", count: int, prefix: str = "sim-", extra_args: list[str] | None = None) -> subprocess.Popen:
    """`swiftlet sim-nodes` against `server`, logging beside the server's log."""
    log = open(server.workdir / f"sim-nodes-{prefix}.log", "ab", buffering=0)
    proc = subprocess.Popen(
        [str(require_binary()), "sim-nodes", "--kubeconfig", str(server.kubeconfig), "--count", str(count),
         "--prefix", prefix, *(extra_args or [])],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=str(server.workdir),
    )
    proc.log = log
    return proc


def stop_sim(proc: subprocess.Popen | None) -> None:
    """SIGKILL a simulator we started (by PID) and reap it."""
    if proc is None:
        return
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    proc.log.close()


def ready_node_count(server: "Server") -> int:
    nodes = json.loads(server.kubectl("get", "nodes", "-o", "json").stdout or "{}").get("items", [])
    return sum(1 for n in nodes
               if any(c["type"] == "Ready" and c["status"] == "True" for c in n.get("status", {}).get("conditions", [])))


@contextmanager
def sim_cluster(tmp_path_factory, name: str, count: int = 3, server_args: list[str] | None = None):
    """A server of its own with `count` simulated nodes, all Ready before it is yielded."""
    server = Server(tmp_path_factory.mktemp(name), name=name, extra_args=server_args)
    sim = None
    try:
        server.start()
        sim = start_sim(server, count)
        wait_until(lambda: ready_node_count(server) == count, timeout=60, msg=f"{count} Ready nodes")
        yield server
    finally:
        stop_sim(sim)
        server.stop()
        server.kill()
