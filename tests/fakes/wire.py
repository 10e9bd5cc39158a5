"""What the wire-level test servers share: an HTTP server on 127.0.0.1 in a thread, the record
of every request, and the fault plan.

A server (``FakeXServer``, ``FakeMastodonServer``) subclasses :class:`WireServer`: it answers in
``_dispatch`` and says how its errors look in ``_error``. Its post endpoint asks
:meth:`WireServer._next_fault` whether an armed fault strikes, answers the faults only it has
(X's 402, each server's 429 headers) and leaves the rest to :meth:`WireServer._strike`:

* ``"500"`` / ``"503"``: that status; with ``after_commit=True`` the post is made first.
* ``"slow"``: wait ``delay`` seconds, then make the post (``commit=False``: answer 503).
* ``"drop"``: close the connection without an answer; with ``after_commit=True`` after making
  the post (the client cannot tell whether it was made).
* ``"empty"`` / ``"html"``: make the post, then answer 200 with ``{}`` / an HTML page (a proxy
  or a broken front end in between): an answer that does not say what was made.

``fail_next(kind, count=1, after=0, **opts)`` arms them, ``after=N`` letting N posts through
first. Standard library only.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, ClassVar, Self
from urllib.parse import parse_qsl, urlsplit

STATUS_TEXT = {500: "Internal Server Error", 503: "Service Unavailable"}
# What a captive portal or a broken proxy answers with status 200.
HTML_PAGE = b"<!DOCTYPE html><html><body><h1>Welcome</h1><p>Please wait.</p></body></html>"
# The faults every server has, with the options each takes (each server adds its own).
COMMON_FAULTS: dict[str, frozenset[str]] = {
    "500": frozenset({"after_commit"}),
    "503": frozenset({"after_commit"}),
    "slow": frozenset({"delay", "commit"}),
    "drop": frozenset({"after_commit"}),
    "empty": frozenset(),
    "html": frozenset(),
}


@dataclass
class Reply:
    """An answer: status, a JSON body (None: no body; bytes: sent as they are, as HTML) and
    headers."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Fault:
    kind: str
    opts: dict[str, Any]


class WireServer:
    """An HTTP server on 127.0.0.1 (ephemeral port) in a background thread, for tests."""

    # Each fault kind the server knows, with the options it takes.
    FAULT_OPTS: ClassVar[dict[str, frozenset[str]]]

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.errors: list[str] = []  # exceptions raised by the fake itself (its own bugs)
        self.faults_hit: list[str] = []  # the kind of each armed fault that struck, in order
        self.base_url = ""

        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._in_flight = 0
        self._faults: deque[Fault] = deque()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ to answer

    def _dispatch(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> Reply | None:
        """The answer to a request; None closes the connection without one."""
        raise NotImplementedError

    def _error(self, status: int, message: str) -> Reply:
        """An error as the platform words it."""
        raise NotImplementedError

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> str:
        """Start serving in a background thread; returns the base URL (``http://127.0.0.1:PORT``)."""
        if self._server is not None:
            return self.base_url
        self._stopping.clear()
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        self._server = server
        host, port = server.server_address[:2]
        self.base_url = f"http://{host!s}:{port}"
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        """Stop serving, close every open connection and wake any "slow" handler."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):  # already closed by the peer
                conn.shutdown(socket.SHUT_RDWR)
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------- control

    def fail_next(self, kind: str, *, count: int = 1, after: int = 0, **opts: Any) -> None:
        """Make the next ``count`` posts fail as ``kind`` (see the module doc).

        With ``after=N`` the next N posts go through normally first (a fault on post N+1).
        """
        allowed = self.FAULT_OPTS.get(kind)
        if allowed is None:
            raise ValueError(f"unknown fault kind {kind!r}; known: {sorted(self.FAULT_OPTS)}")
        unknown = set(opts) - allowed
        if unknown:
            raise ValueError(f"fault {kind!r} takes {sorted(allowed)}, not {sorted(unknown)}")
        if count < 1:
            raise ValueError("count must be >= 1")
        with self._lock:
            self._faults.extend(Fault("pass", {}) for _ in range(after))
            self._faults.extend(Fault(kind, dict(opts)) for _ in range(count))

    def clear_faults(self) -> None:
        """Disarm every fault not struck yet."""
        with self._lock:
            self._faults.clear()

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until no request is being handled; False if that did not happen in ``timeout``."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout=timeout)

    # -------------------------------------------------------------------- faults

    def _next_fault(self) -> Fault | None:
        """The armed fault for this post, if one strikes (it is then counted in ``faults_hit``)."""
        with self._lock:
            fault = self._faults.popleft() if self._faults else None
            if fault is None or fault.kind == "pass":
                return None
            self.faults_hit.append(fault.kind)
            return fault

    def _strike(self, fault: Fault, create: Callable[[], Reply]) -> Reply | None:
        """The faults every server has (module doc); ``create`` makes the post and answers."""
        opts = fault.opts
        if fault.kind in ("500", "503"):
            status = int(fault.kind)
            if opts.get("after_commit"):
                create()
            return self._error(status, STATUS_TEXT[status])
        if fault.kind == "slow":
            if self._stopping.wait(float(opts.get("delay", 5))):
                return None  # the server is stopping: hang up
            if opts.get("commit", True):
                return create()
            return self._error(503, STATUS_TEXT[503])
        if fault.kind in ("empty", "html"):
            create()
            return Reply(200, {} if fault.kind == "empty" else HTML_PAGE)
        if fault.kind != "drop":
            raise ValueError(f"no common fault {fault.kind!r}")
        if opts.get("after_commit"):
            create()
        return None

    # ------------------------------------------------------- handler bookkeeping

    def _opened(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.add(conn)

    def _closed(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.discard(conn)

    def _begin(self, record: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append(record)
            self._in_flight += 1

    def _end(self) -> None:
        with self._idle:
            self._in_flight -= 1
            self._idle.notify_all()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: WireServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.fake._opened(self.connection)

    def finish(self) -> None:
        with contextlib.suppress(OSError):  # the client is gone; nothing left to flush to
            super().finish()
        self.server.fake._closed(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read the server's ``requests`` instead."""

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def _handle(self) -> None:
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        split = urlsplit(self.path)
        record: dict[str, Any] = {
            "method": self.command,
            "path": split.path,
            "query": dict(parse_qsl(split.query, keep_blank_values=True)),
            "headers": dict(self.headers.items()),
            "body": body.decode("utf-8", errors="replace"),
            "status": None,
        }
        fake._begin(record)
        try:
            try:
                reply = fake._dispatch(self.command, self.path, dict(self.headers.items()), body)
            except Exception as exc:  # a bug here must show in the test, not as a hang-up
                fake.errors.append(repr(exc))
                reply = fake._error(500, f"fake bug: {exc!r}")
            if reply is None:
                self.close_connection = True
                return
            record["status"] = reply.status
            self._send(reply)
        finally:
            fake._end()

    def _send(self, reply: Reply) -> None:
        raw = isinstance(reply.body, bytes)
        payload = b"" if reply.body is None else reply.body if raw else json.dumps(reply.body)
        payload = payload.encode("utf-8") if isinstance(payload, str) else payload
        kind = "text/html" if raw else "application/json"
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()
        except OSError:
            self.close_connection = True  # the client hung up (e.g. timed out while we slept)
