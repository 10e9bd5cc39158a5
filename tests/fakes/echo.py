"""A local server that answers every request with one error status and the whole request echoed
back in its body, as a careless or hostile server might: method, path, query, every header
(``Authorization`` with its OAuth parameters included) and the request body (passwords included).

The body has the shape each platform's SDK reads its error text from, so the echo reaches the
publisher's error messages: X's ``{"detail", "errors": [{"message"}]}`` and Bluesky's XRPC
``{"error", "message"}`` (for paths under ``/xrpc/``). Listens on 127.0.0.1 only.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Handler(BaseHTTPRequestHandler):
    server: _EchoHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _echo(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        headers = "\n".join(f"{k}: {v}" for k, v in self.headers.items())
        # The body first: clients cut long error texts short, and the body carries the password.
        request = f"{body}\n\n{self.command} {self.path}\n{headers}"
        self.server.requests.append(request)
        if self.path.startswith("/xrpc/"):
            reply: dict[str, Any] = {"error": "Echo", "message": request}
        else:
            reply = {"title": "Echo", "detail": request, "errors": [{"message": request}]}
        data = json.dumps(reply).encode()
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _echo


class _EchoHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    status: int
    requests: list[str]


class EchoServer:
    """``with EchoServer(401) as url: ...``: every request is answered ``status`` + its echo."""

    def __init__(self, status: int) -> None:
        self._server = _EchoHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.status = status
        self._server.requests = []
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def requests(self) -> list[str]:
        """Every request received, as echoed."""
        return self._server.requests

    def __enter__(self) -> str:
        self._thread.start()
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
