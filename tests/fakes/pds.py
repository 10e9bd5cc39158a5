"""Test helpers around the real local Bluesky PDS (``tools/local-pds``) and a fault-injecting proxy.

* :func:`install_pds` runs ``tools/local-pds/setup`` when the PDS is not installed yet, and reports
  when the install starts and ends (it takes minutes).
* :func:`start_pds` runs ``tools/local-pds/start PORT`` (which installs nothing when
  ``tools/local-pds/setup`` already ran) and returns a :class:`PdsInfo`; :func:`stop_pds` stops
  the node process and every process in its group and waits until they are gone.
* :class:`FaultProxy` is a threaded reverse proxy on 127.0.0.1 that forwards requests verbatim to
  the PDS (only ``Host`` is rewritten, and hop-by-hop headers are dropped), records
  ``(method, path)`` of each request and can be told to fail the next matching requests.

Standard library only.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

FaultKind = Literal["500_after_commit", "500", "503", "429", "drop", "slow"]
FAULT_KINDS: tuple[str, ...] = ("500_after_commit", "500", "503", "429", "drop", "slow")

_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "host",
}


@dataclass(frozen=True)
class PdsInfo:
    url: str
    handle: str
    password: str
    did: str
    pid: int
    pgid: int
    port: int
    started_in: float  # seconds ``start`` took

    def __repr__(self) -> str:  # keep the password out of test reports
        return (
            f"PdsInfo(url={self.url!r}, handle={self.handle!r}, did={self.did!r}, pid={self.pid})"
        )


def free_port(span: int = 10) -> int:
    """A port ``p`` on 127.0.0.1 such that ``p`` and ``p + span`` are both free right now."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port: int = s.getsockname()[1]
        if port + span > 65535:
            continue
        with socket.socket() as s2:
            try:
                s2.bind(("127.0.0.1", port + span))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port pair found")


INSTALL_NEEDS = "Node 22 and @atproto/dev-env from npm; needs npm, a C++ toolchain, ~700 MB"


def pds_installed(tools_dir: Path, home: str | None = None) -> bool:
    """Whether ``tools/local-pds/setup`` already installed the PDS (``setup --check``)."""
    done = subprocess.run(
        [str(Path(tools_dir) / "local-pds" / "setup"), "--check"],
        env=_env(home),
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def install_pds(
    tools_dir: Path,
    home: str | None = None,
    *,
    report: Callable[[str], None],
    timeout: float = 1200.0,
) -> float | None:
    """Install the PDS if it is not installed yet, telling ``report`` when it starts and ends.

    Returns the seconds the install took, or None when it was already installed. The install is
    minutes of silence otherwise (npm, a native build), so the lines say what is happening.
    Raises RuntimeError with the end of the script's output on failure.
    """
    if pds_installed(tools_dir, home):
        return None
    script = Path(tools_dir) / "local-pds" / "setup"
    report(f"local PDS: installing ({INSTALL_NEEDS}); about 7 minutes the first time ...")
    began = time.monotonic()
    try:  # in its own session, so that a timeout stops npm and node-gyp too
        proc, stdout, stderr = _run_in_own_group([str(script)], _env(home), timeout)
    except subprocess.TimeoutExpired:
        report(f"local PDS: the install did not finish in {timeout:.0f} s")
        raise RuntimeError(f"{script} did not finish in {timeout:.0f} s") from None
    took = time.monotonic() - began
    if proc.returncode != 0:
        report(f"local PDS: the install failed after {took:.0f} s")
        raise RuntimeError(f"{script} failed (exit {proc.returncode}):\n{stderr[-4000:]}")
    report(f"local PDS: installed in {took:.0f} s into {stdout.strip()}")
    return took


def _run_in_own_group(
    argv: list[str], env: dict[str, str], timeout: float
) -> tuple[subprocess.Popen[str], str, str]:
    """Run ``argv`` in a new session, its output captured; on a timeout its whole process group
    is killed and ``TimeoutExpired`` raised. The group stays ``proc.pid`` for the caller."""
    proc = subprocess.Popen(
        argv,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc.pid)
        proc.communicate()
        raise
    return proc, stdout, stderr


def _env(home: str | None) -> dict[str, str]:
    env = dict(os.environ)
    if home:
        env["LOCAL_PDS_HOME"] = home
    return env


def start_pds(
    tools_dir: Path,
    *,
    port: int | None = None,
    home: str | None = None,
    handle: str | None = None,
    password: str | None = None,
    timeout: float = 120.0,
) -> PdsInfo:
    """Start the local PDS in the background (own process group) and return how to reach it.

    ``tools_dir`` is the folder holding ``local-pds/`` (i.e. the repository's ``tools``).
    ``home`` overrides ``LOCAL_PDS_HOME``. Raises RuntimeError with the script's output on failure.
    """
    script = Path(tools_dir) / "local-pds" / "start"
    if not script.is_file():
        raise RuntimeError(f"{script} not found")
    port = port or free_port()
    env = _env(home)
    if handle:
        env["PDS_HANDLE"] = handle
    if password:
        env["PDS_PASSWORD"] = password
    began = time.monotonic()
    # own session: node (and, on a first run, setup's npm/node-gyp) live in group ``proc.pid``
    try:
        proc, stdout, stderr = _run_in_own_group([str(script), str(port)], env, timeout)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"{script} {port} did not finish in {timeout} s") from None
    if proc.returncode != 0:
        _kill_group(proc.pid)
        raise RuntimeError(f"{script} {port} failed (exit {proc.returncode}):\n{stderr[-4000:]}")
    lines = [line for line in stdout.splitlines() if line.strip().startswith("{")]
    if not lines:
        _kill_group(proc.pid)
        raise RuntimeError(f"{script} printed no JSON line:\n{stdout}\n{stderr}")
    data = json.loads(lines[-1])
    pid = int(data["pid"])
    try:
        pgid = os.getpgid(pid)
    except ProcessLookupError as e:
        raise RuntimeError(f"local PDS (pid {pid}) exited right after starting") from e
    _watch_owner(pgid)
    return PdsInfo(
        url=str(data["url"]).rstrip("/"),
        handle=str(data["handle"]),
        password=str(data["password"]),
        did=str(data["did"]),
        pid=pid,
        pgid=pgid,
        port=port,
        started_in=time.monotonic() - began,
    )


def _watch_owner(pgid: int) -> None:
    """Stop the PDS if this process dies without stopping it (killed test run, Ctrl-C twice).

    A small shell loop in its own session polls our pid; once we are gone it ends the group.
    It ends itself when the group is gone, so a normal ``stop_pds`` leaves nothing behind.
    """
    owner = os.getpid()
    script = (
        f"while kill -0 {owner} 2>/dev/null && kill -0 -{pgid} 2>/dev/null; do sleep 1; done; "
        f"kill -TERM -{pgid} 2>/dev/null; sleep 3; kill -KILL -{pgid} 2>/dev/null; exit 0"
    )
    subprocess.Popen(
        ["/bin/sh", "-c", script],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _kill_group(pgid: int) -> None:
    """SIGKILL every process of a group this module started (never the caller's own group)."""
    if pgid != os.getpgrp():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    """True if ``pid`` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) pids whose process group is ``pgid``."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def stop_pds(info: PdsInfo, timeout: float = 15.0) -> None:
    """SIGTERM the PDS's process group, wait, SIGKILL what is left; return once all are gone."""
    # never signal our own group (the PDS was started in a new session, so this cannot match)
    if info.pgid == os.getpgrp():
        raise RuntimeError("refusing to signal the test runner's own process group")

    def signal_all(sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(info.pgid, sig)
        with contextlib.suppress(ProcessLookupError):
            os.kill(info.pid, sig)

    signal_all(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(info.pid) and not group_members(info.pgid):
            return
        time.sleep(0.1)
    signal_all(signal.SIGKILL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if not _alive(info.pid) and not group_members(info.pgid):
            return
        time.sleep(0.1)
    raise RuntimeError(f"local PDS pid {info.pid} (group {info.pgid}) did not stop")


# -- fault-injecting proxy ------------------------------------------------------------------------


@dataclass
class _Rule:
    kind: str
    count: int
    path_contains: str
    delay: float
    forward: bool
    reset_in: int
    after: int = 0  # matching requests to let through before the fault


@dataclass
class FaultProxy:
    """Reverse proxy in front of ``upstream`` (e.g. ``http://localhost:2583``) on 127.0.0.1."""

    upstream: str
    requests: list[tuple[str, str]] = field(default_factory=list)
    faults: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, method, path)
    upstream_timeout: float = 30.0

    def __post_init__(self) -> None:
        parts = urlsplit(self.upstream)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"FaultProxy needs an http:// upstream, got {self.upstream!r}")
        self._up_host: str = parts.hostname
        self._up_port: int = parts.port or 80
        self._rules: list[_Rule] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self.port: int = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fault-proxy", daemon=True
        )
        self._thread.start()

    # -- control --

    def fail_next(
        self,
        kind: FaultKind,
        count: int = 1,
        path_contains: str = "com.atproto.repo.createRecord",
        *,
        delay: float = 5.0,
        forward: bool = False,
        reset_in: int = 30,
        after: int = 0,
    ) -> None:
        """Fail the next ``count`` requests whose path contains ``path_contains``.

        With ``after=N`` the next N matching requests go through first (a fault on the N+1th).

        ``500_after_commit``: forward, then answer 500 instead of the PDS's answer.
        ``500`` / ``503``: answer that status without forwarding.
        ``429``: answer 429 with ``ratelimit-limit/remaining/reset/policy`` (reset = now +
        ``reset_in`` s, epoch seconds) and ``retry-after``, without forwarding.
        ``drop``: close the connection without an answer (after forwarding if ``forward``).
        ``slow``: sleep ``delay`` s, then forward and answer normally.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}")
        with self._lock:
            self._rules.append(_Rule(kind, count, path_contains, delay, forward, reset_in, after))

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self.requests.clear()
            self.faults.clear()

    def count(self, nsid: str, method: str | None = None) -> int:
        """How many requests went to ``/xrpc/<nsid>`` (optionally with this method)."""
        with self._lock:
            return sum(
                1
                for m, p in self.requests
                if p == f"/xrpc/{nsid}" and (method is None or m == method)
            )

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals --

    def _take_rule(self, path: str) -> _Rule | None:
        with self._lock:
            for rule in self._rules:
                if rule.count > 0 and rule.path_contains in path:
                    if rule.after > 0:
                        rule.after -= 1
                        return None
                    rule.count -= 1
                    if rule.count == 0:
                        self._rules.remove(rule)
                    return rule
        return None

    def _forward(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[int, str, list[tuple[str, str]], bytes]:
        conn = http.client.HTTPConnection(
            self._up_host, self._up_port, timeout=self.upstream_timeout
        )
        try:
            conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", f"{self._up_host}:{self._up_port}")
            for name, value in headers:
                if name.lower() not in _HOP_BY_HOP:
                    conn.putheader(name, value)
            if body or method not in ("GET", "HEAD"):
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body or None)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, resp.reason, list(resp.getheaders()), data
        finally:
            conn.close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass  # quiet: no request lines on stderr

            def _read_body(self) -> bytes:
                if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                    chunks = []
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            break
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                    return b"".join(chunks)
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def _send(
                self, status: int, headers: list[tuple[str, str]], body: bytes, reason: str = ""
            ) -> None:
                self.send_response(status, reason or None)
                for name, value in headers:
                    if name.lower() not in _HOP_BY_HOP and name.lower() not in ("date", "server"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body and self.command != "HEAD":
                    self.wfile.write(body)
                self.wfile.flush()

            def _xrpc_error(
                self,
                status: int,
                error: str,
                message: str,
                extra: tuple[tuple[str, str], ...] = (),
            ) -> None:
                body = json.dumps({"error": error, "message": message}).encode()
                self._send(status, [("Content-Type", "application/json"), *extra], body)

            def _drop(self) -> None:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)

            def _handle(self) -> None:
                body = self._read_body()
                path = urlsplit(self.path).path
                with proxy._lock:
                    proxy.requests.append((self.command, path))
                rule = proxy._take_rule(self.path)
                if rule is not None:
                    with proxy._lock:
                        proxy.faults.append((rule.kind, self.command, path))
                headers = list(self.headers.items())
                kind = rule.kind if rule else None
                if kind == "500":
                    self._xrpc_error(500, "InternalServerError", "Internal Server Error")
                    return
                if kind == "503":
                    self._xrpc_error(503, "ServiceUnavailable", "Service Unavailable")
                    return
                if kind == "429":
                    assert rule is not None
                    reset = int(time.time()) + rule.reset_in
                    self._xrpc_error(
                        429,
                        "RateLimitExceeded",
                        "Rate Limit Exceeded",
                        (
                            ("ratelimit-limit", "5000"),
                            ("ratelimit-remaining", "0"),
                            ("ratelimit-reset", str(reset)),
                            ("ratelimit-policy", "5000;w=3600"),
                            ("retry-after", str(rule.reset_in)),
                        ),
                    )
                    return
                if kind == "drop" and rule is not None and not rule.forward:
                    self._drop()
                    return
                if kind == "slow" and rule is not None:
                    time.sleep(rule.delay)
                try:
                    status, reason, up_headers, up_body = proxy._forward(
                        self.command, self.path, headers, body
                    )
                except OSError as e:
                    self._xrpc_error(502, "UpstreamFailure", f"proxy: {type(e).__name__}")
                    return
                if kind == "drop":
                    self._drop()
                    return
                if kind == "500_after_commit":
                    self._xrpc_error(500, "InternalServerError", "Internal Server Error")
                    return
                self._send(status, up_headers, up_body, reason)

            def _guarded(self) -> None:
                try:
                    self._handle()
                except (BrokenPipeError, ConnectionResetError):
                    # the client gave up first (a "slow" fault past its timeout)
                    self.close_connection = True

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = _guarded

        return Handler


def list_posts(info: PdsInfo) -> list[dict[str, object]]:
    """Every ``app.bsky.feed.post`` record of the account (``com.atproto.repo.listRecords``)."""
    found: list[dict[str, object]] = []
    cursor = ""
    while True:
        query = f"repo={info.did}&collection=app.bsky.feed.post&limit=100"
        if cursor:
            query += f"&cursor={cursor}"
        conn = http.client.HTTPConnection("127.0.0.1", info.port, timeout=10)
        try:
            conn.request("GET", f"/xrpc/com.atproto.repo.listRecords?{query}")
            response = conn.getresponse()
            body = json.loads(response.read())
        finally:
            conn.close()
        if response.status != 200:
            raise RuntimeError(f"listRecords answered {response.status}: {body}")
        found.extend(body["records"])
        cursor = body.get("cursor") or ""
        if not cursor or not body["records"]:
            return found
