"""A local stand-in for arXiv's query API and for web pages with link cards, for tests.

One ``ThreadingHTTPServer`` on 127.0.0.1 (a free port), standard library plus Pillow:

* ``GET /api/query?search_query=ti:"…" OR ti:"…"&max_results=N`` answers Atom 1.0 as arXiv does
  (``opensearch:totalResults``; per entry ``<id>http://arxiv.org/abs/ID v1</id>``, ``<title>``
  broken over lines with double spaces as arXiv's are, ``<summary>``, ``<author><name>``). A
  phrase matches a paper whose title holds its words in order (arXiv's phrase search), so
  ``papers`` with near-identical titles answer together.
* ``GET /page.html`` has ``og:title``, ``og:description`` and ``og:image`` = ``/small.png``;
  ``/big-page.html`` points at ``/big.png`` (over 1,000,000 bytes), ``/broken-page.html`` at
  ``/broken.png`` (not an image), ``/plain.html`` has only ``<title>`` and a meta description.
* ``fail_next(kind, n)``: the next ``n`` API requests answer ``"503"`` or are ``"slow"``
  (``delay`` s before answering). ``requests`` records every request (path, query, headers).

Use it as a context manager; it stops its thread on exit.
"""

from __future__ import annotations

import io
import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape as xml_escape

from publisher.arxiv import normalise


@dataclass(frozen=True)
class FakePaper:
    id: str
    title: str
    authors: tuple[str, ...]
    abstract: str


def png(width: int, height: int, *, noise: bool = False) -> bytes:
    """A PNG; with ``noise`` random pixels, which do not compress (for an image over 1 MB)."""
    from PIL import Image

    if noise:
        rng = random.Random(13)
        image = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    else:
        image = Image.new("RGB", (width, height), (40, 90, 200))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


class LinksServer:
    """See the module docstring."""

    def __init__(self, papers: Sequence[FakePaper] = ()) -> None:
        self.papers = list(papers)
        self.requests: list[dict[str, Any]] = []
        self.delay = 5.0
        self._faults: list[str] = []
        self._lock = threading.Lock()
        self.small_png = png(120, 63)
        self.big_png = png(700, 700, noise=True)
        assert len(self.big_png) > 1_000_000
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        return self.url + "/api/query"

    def fail_next(self, kind: str, n: int = 1) -> None:
        with self._lock:
            self._faults.extend([kind] * n)

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LinksServer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- answers ----------------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.requests.append({"path": parts.path, "query": query, "headers": dict(handler.headers)})
        if parts.path == "/api/query":
            with self._lock:
                fault = self._faults.pop(0) if self._faults else None
            if fault == "slow":
                time.sleep(self.delay)
            if fault == "503":
                self._send(handler, 503, b"Service Unavailable", "text/plain")
                return
            self._send(handler, 200, self._feed(query), "application/atom+xml; charset=utf-8")
            return
        pages = {
            "/page.html": _page(
                "A page with a card", "What the page says about itself.", "/small.png"
            ),
            "/big-page.html": _page(
                "A page with a big image", "Its image is over 1 MB.", "/big.png"
            ),
            "/broken-page.html": _page(
                "A page with a broken image", "Not an image.", "/broken.png"
            ),
            "/plain.html": (
                "<html><head><title>Only a title</title>"
                '<meta name="description" content="And a meta description."></head></html>'
            ),
        }
        images = {
            "/small.png": self.small_png,
            "/big.png": self.big_png,
            "/broken.png": b"\x89PNG oops",
        }
        if parts.path in pages:
            self._send(handler, 200, pages[parts.path].encode(), "text/html; charset=utf-8")
        elif parts.path in images:
            self._send(handler, 200, images[parts.path], "image/png")
        else:
            self._send(handler, 404, b"not found", "text/plain")

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, body: bytes, kind: str) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", kind)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def _feed(self, query: dict[str, str]) -> bytes:
        phrases = [
            normalise(part.split('"')[1])
            for part in query.get("search_query", "").split(" OR ")
            if part.startswith('ti:"') and part.count('"') == 2
        ]
        found = [
            p
            for p in self.papers
            if any(f" {phrase} " in f" {normalise(p.title)} " for phrase in phrases if phrase)
        ][: int(query.get("max_results", "10"))]
        entries = "".join(_entry(p) for p in found)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<feed xmlns="http://www.w3.org/2005/Atom" '
            'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
            'xmlns:arxiv="http://arxiv.org/schemas/atom">\n'
            f"<title>arXiv Query</title><opensearch:totalResults>{len(found)}"
            f"</opensearch:totalResults>{entries}</feed>\n"
        ).encode()


def _page(title: str, description: str, image: str) -> str:
    return (
        f"<!doctype html><html><head><title>{escape(title)} | Site</title>"
        f'<meta property="og:title" content="{escape(title)}">'
        f'<meta property="og:description" content="{escape(description)}">'
        f'<meta property="og:image" content="{escape(image)}">'
        "</head><body><p>Body</p></body></html>"
    )


def _entry(paper: FakePaper) -> str:
    words = paper.title.split()
    half = len(words) // 2
    title = " ".join(words[:half]) + "\n   " + "  ".join(words[half:])  # as arXiv breaks titles
    authors = "".join(f"<author><name>{xml_escape(a)}</name></author>" for a in paper.authors)
    return (
        f"<entry><id>http://arxiv.org/abs/{paper.id}v1</id>"
        f"<published>2025-05-19T17:59:00Z</published>"
        f"<title>{xml_escape(title)}</title>"
        f"<summary>  {xml_escape(paper.abstract)}\n</summary>{authors}"
        f'<arxiv:primary_category term="cs.LG"/></entry>'
    )
