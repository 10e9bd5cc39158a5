"""A local stand-in for a Mastodon instance's REST API, answering on the wire as Mastodon does.

The real Mastodon.py client talks to it over HTTP (``api_base_url`` pointed here); nothing in
Mastodon.py is mocked. Standard library only, plus ``publisher.platforms.url_grammar``
(twitter-text's URL extraction, which Mastodon's own ``Extractor`` is built on) and ``regex``
for grapheme clusters.

Endpoints (for one account):

* ``GET /api/v2/instance`` -- no token needed; ``configuration.statuses`` carries
  ``max_characters`` and ``characters_reserved_per_url`` as given to the constructor.
* ``POST /api/v1/statuses`` -- form or JSON: ``status``, ``in_reply_to_id``, ``language``,
  ``visibility``, ``spoiler_text``. Checks, in Mastodon's order: the bearer token (401), the
  rate limit (429), the ``Idempotency-Key`` (a key this account used within ``key_ttl``
  seconds, an hour as on Mastodon, answers the status it made, 200, and makes nothing), the
  reply target (404 ``Record not found``), the visibility and the text (422 ``Validation
  failed: ...``), counted as ``StatusLengthValidator`` does: grapheme clusters, each URL with a
  scheme as ``characters_reserved_per_url`` characters, ``@user@domain`` as ``@user``.
  Success: 200 with the status.
* ``GET /api/v1/statuses/:id``, ``DELETE /api/v1/statuses/:id``.
* ``GET /api/v1/accounts/verify_credentials`` -- the account (with ``source``).
* ``GET /api/v1/accounts/:id/statuses`` -- newest first; ``limit`` (default 20, at most 40),
  ``max_id``, ``since_id``, ``min_id``, ``exclude_replies``; a ``Link`` header with the next
  and previous pages, as Mastodon sends.

Statuses have Mastodon's ids (milliseconds << 16, plus a sequence) and their ``content`` is the
HTML Mastodon renders (paragraphs, ``<br />``, links with the scheme and the long middle in
hidden spans, hashtags as links), not the text as sent. Every answer to an authenticated
request carries ``X-RateLimit-Limit/Remaining/Reset`` (the reset an ISO 8601 time) for the
account's window of ``request_limit`` requests per 5 minutes.

The server's clock is the real one plus :meth:`advance` (to let an Idempotency-Key's hour pass).

Faults (``fail_next``) are consumed by the next POST /api/v1/statuses requests in the order
queued, after the token is checked (a refused token is refused whatever is armed) and before
anything else -- the same plan as ``x_server``'s:

* ``"429"`` (``reset_in=2``): 429 ``{"error": "Too many requests"}`` with
  ``X-RateLimit-Remaining: 0`` and ``X-RateLimit-Reset`` in ``reset_in`` s.
* ``"500"``, ``"503"`` (``after_commit=False``): a 5xx; with ``after_commit`` the request is
  first processed normally (the status is made if valid) -- an unknown outcome.
* ``"slow"`` (``delay=5``, ``commit=True``): waits ``delay`` s, then processes normally; with
  ``commit=False`` nothing is made and a 503 is answered after the delay.
* ``"drop"`` (``after_commit=False``): closes the connection without a response.

``requests`` records every request (``method``, ``path``, ``query``, ``headers``, ``body`` and
the ``status`` answered, None when dropped). ``statuses`` holds what was made, oldest first.
"""

from __future__ import annotations

import html
import json
import re
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from tests.fakes.wire import COMMON_FAULTS, Fault, Reply, WireServer

__all__ = ["FakeMastodonServer", "countable_length"]

WINDOW_SECONDS = 5 * 60
KEY_TTL_SECONDS = 3600  # PostStatusService: redis.setex("idempotency:status:...", 3600, ...)
VISIBILITIES = ("public", "unlisted", "private", "direct")

_FAULT_OPTS: dict[str, frozenset[str]] = {
    "429": frozenset({"reset_in"}),
    **COMMON_FAULTS,
}
_ID = re.compile(r"[0-9]{1,20}")
_SCHEME = re.compile(r"https?://", re.I)
_MENTION = re.compile(r"(?<![=/\w])@([a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)@\w+(?:[.-]+\w+)*", re.I)
_HASHTAG = re.compile(r"(?<![=/)\w])#(\w*[^\W\d]\w*)")


def countable_length(text: str, url_weight: int = 23) -> int:
    """``StatusLengthValidator``'s count of ``text``: see the module doc."""
    import regex

    from publisher.platforms.url_grammar import extract_urls

    for span in reversed(extract_urls(text)):
        if _SCHEME.match(span.url):
            text = text[: span.start] + "x" * url_weight + text[span.end :]
    text = _MENTION.sub(r"@\1", text)
    return len(regex.findall(r"\X", text))


def render_content(text: str) -> str:
    """The HTML Mastodon renders for a plain-text status."""
    from publisher.platforms.url_grammar import extract_urls

    parts: list[str] = []
    cursor = 0
    for span in extract_urls(text):
        if not _SCHEME.match(span.url):
            continue
        parts.append(_linked_tags(text[cursor : span.start]))
        scheme = _SCHEME.match(span.url)
        assert scheme is not None
        rest = span.url[scheme.end() :]
        shown, hidden = rest[:30], rest[30:]
        parts.append(
            f'<a href="{html.escape(span.url)}" target="_blank" rel="nofollow noopener" '
            f'translate="no"><span class="invisible">{html.escape(scheme.group(0))}</span>'
            f'<span class="{"ellipsis" if hidden else ""}">{html.escape(shown)}</span>'
            f'<span class="invisible">{html.escape(hidden)}</span></a>'
        )
        cursor = span.end
    parts.append(_linked_tags(text[cursor:]))
    body = "".join(parts)
    paragraphs = [p.replace("\n", "<br />") for p in re.split(r"\n\n+", body.strip("\n"))]
    return "".join(f"<p>{p}</p>" for p in paragraphs)


def _linked_tags(text: str) -> str:
    out: list[str] = []
    cursor = 0
    for match in _HASHTAG.finditer(text):
        out.append(html.escape(text[cursor : match.start()], quote=False))
        tag = html.escape(match.group(1), quote=False)
        out.append(
            f'<a href="https://example.social/tags/{tag.lower()}" class="mention hashtag" '
            f'rel="tag">#<span>{tag}</span></a>'
        )
        cursor = match.end()
    out.append(html.escape(text[cursor:], quote=False))
    return "".join(out)


def _iso(moment: float) -> str:
    stamp = datetime.fromtimestamp(moment, tz=UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


class FakeMastodonServer(WireServer):
    """A Mastodon instance stand-in on 127.0.0.1 (ephemeral port). See the module doc."""

    FAULT_OPTS = _FAULT_OPTS

    def __init__(
        self,
        *,
        access_token: str,
        account_id: str = "109000000000000001",
        username: str = "paperbot",
        max_characters: int = 500,
        characters_reserved_per_url: int = 23,
        request_limit: int = 300,
        key_ttl: float = KEY_TTL_SECONDS,
    ) -> None:
        super().__init__()
        self.access_token = access_token
        self.account_id = account_id
        self.username = username
        self.max_characters = max_characters
        self.characters_reserved_per_url = characters_reserved_per_url
        self.request_limit = request_limit
        self.key_ttl = key_ttl

        self.statuses: list[dict[str, Any]] = []
        self._keys: dict[str, tuple[str, float]] = {}  # key -> (status id, stored at)
        self._offset = 0.0
        self._sequence = 0
        self._window_start = 0.0
        self._window_used = 0

    def _error(self, status: int, message: str) -> Reply:
        return Reply(status, {"error": message})

    # ------------------------------------------------------------------- control

    def advance(self, seconds: float) -> None:
        """Move the server's clock on (Idempotency-Keys older than ``key_ttl`` are forgotten)."""
        with self._lock:
            self._offset += seconds

    def now(self) -> float:
        return time.time() + self._offset

    def texts(self) -> list[str]:
        """The text of every status made, oldest first."""
        with self._lock:
            return [s["text"] for s in self.statuses]

    # ------------------------------------------------------------------- routing

    def _dispatch(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> Reply | None:
        split = urlsplit(raw_path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        parts = tuple(unquote(p) for p in split.path.strip("/").split("/"))
        if (method, parts) == ("GET", ("api", "v2", "instance")):
            return self._instance()
        if not self._authorized(headers):
            return self._error(401, "The access token is invalid")
        if (method, parts) == ("POST", ("api", "v1", "statuses")):
            fault = self._next_fault()
            if fault is not None:
                return self._faulted(fault, headers, body)
            return self._limited(lambda: self._create(headers, body))
        match (method, *parts):
            case ("GET", "api", "v1", "accounts", "verify_credentials"):
                return self._limited(self._verify_credentials)
            case ("GET", "api", "v1", "accounts", account_id, "statuses"):
                return self._limited(lambda: self._account_statuses(account_id, query, split))
            case ("GET", "api", "v1", "statuses", status_id):
                return self._limited(lambda: self._show(status_id))
            case ("DELETE", "api", "v1", "statuses", status_id):
                return self._limited(lambda: self._delete(status_id))
        return self._error(404, "Record not found")

    def _authorized(self, headers: dict[str, str]) -> bool:
        header = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        return header == f"Bearer {self.access_token}"

    def _limited(self, answer: Any) -> Reply:
        """``answer()`` within the account's rate limit, with the X-RateLimit-* headers."""
        with self._lock:
            now = self.now()
            if now >= self._window_start + WINDOW_SECONDS:
                self._window_start, self._window_used = now, 0
            allowed = self._window_used < self.request_limit
            if allowed:
                self._window_used += 1
            headers = self._limit_headers(self.request_limit - self._window_used)
        reply: Reply = answer() if allowed else self._error(429, "Too many requests")
        reply.headers.update(headers)
        return reply

    def _limit_headers(self, remaining: int, reset: float | None = None) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.request_limit),
            "X-RateLimit-Remaining": str(max(remaining, 0)),
            "X-RateLimit-Reset": _iso(reset if reset is not None else self._reset_at()),
        }

    def _reset_at(self) -> float:
        """The window's end, on the real clock (clients compare it with theirs)."""
        return self._window_start + WINDOW_SECONDS - self._offset

    # -------------------------------------------------------------------- faults

    def _faulted(self, fault: Fault, headers: dict[str, str], body: bytes) -> Reply | None:
        opts = fault.opts
        if fault.kind == "429":
            reset = time.time() + float(opts.get("reset_in", 2))
            return Reply(429, {"error": "Too many requests"}, self._limit_headers(0, reset=reset))
        return self._strike(fault, lambda: self._limited(lambda: self._create(headers, body)))

    # ----------------------------------------------------------------- endpoints

    def _instance(self) -> Reply:
        return Reply(
            200,
            {
                "domain": "127.0.0.1",
                "title": "Local Mastodon",
                "version": "4.3.0",
                "configuration": {
                    "statuses": {
                        "max_characters": self.max_characters,
                        "max_media_attachments": 4,
                        "characters_reserved_per_url": self.characters_reserved_per_url,
                    }
                },
            },
        )

    def _account(self) -> dict[str, Any]:
        return {
            "id": self.account_id,
            "username": self.username,
            "acct": self.username,
            "display_name": "Paper Bot",
            "url": f"{self.base_url}/@{self.username}",
            "created_at": "2024-01-01T00:00:00.000Z",
        }

    def _verify_credentials(self) -> Reply:
        return Reply(200, {**self._account(), "source": {"privacy": "public", "note": ""}})

    @staticmethod
    def _form(headers: dict[str, str], body: bytes) -> dict[str, Any] | None:
        kind = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        text = body.decode("utf-8", errors="replace")
        if kind.startswith("application/json"):
            try:
                found = json.loads(text)
            except ValueError:
                return None
            return found if isinstance(found, dict) else None
        return dict(parse_qsl(text, keep_blank_values=True))

    def _create(self, headers: dict[str, str], body: bytes) -> Reply:
        form = self._form(headers, body)
        if form is None:
            return self._error(400, "Error occurred while parsing request parameters")
        key = next((v for k, v in headers.items() if k.lower() == "idempotency-key"), "")
        with self._lock:
            now = self.now()
            if key:
                known = self._keys.get(key)
                if known is not None and now - known[1] < self.key_ttl:
                    made = next((s for s in self.statuses if s["id"] == known[0]), None)
                    if made is not None:
                        return Reply(200, self._render(made))
            reply_to = form.get("in_reply_to_id") or None
            parent = None
            if reply_to is not None:
                parent = next((s for s in self.statuses if s["id"] == str(reply_to)), None)
                if parent is None:
                    return self._error(404, "Record not found")
            text = str(form.get("status") or "")
            visibility = str(form.get("visibility") or "public")
            if visibility not in VISIBILITIES:
                return self._error(422, "Validation failed: Visibility is not included in the list")
            if not text.strip():
                return self._error(422, "Validation failed: Text can't be blank")
            spoiler = str(form.get("spoiler_text") or "")
            count = len(spoiler) + countable_length(text, self.characters_reserved_per_url)
            if count > self.max_characters:
                return self._error(
                    422,
                    f"Validation failed: Text character limit of {self.max_characters} exceeded",
                )
            status = {
                "id": self._next_id(now),
                "created_at": now,
                "text": text,
                "in_reply_to_id": parent["id"] if parent else None,
                "visibility": visibility,
                "language": form.get("language") or None,
                "spoiler_text": spoiler,
            }
            self.statuses.append(status)
            if key:
                self._keys[key] = (str(status["id"]), now)
            return Reply(200, self._render(status))

    def _next_id(self, now: float) -> str:
        """Mastodon's id: milliseconds since the epoch << 16, plus a sequence; always rising."""
        self._sequence = (self._sequence + 1) & 0xFFFF
        new = (int(now * 1000) << 16) | self._sequence
        last = int(self.statuses[-1]["id"]) if self.statuses else 0
        return str(max(new, last + 1))

    def _render(self, status: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.base_url}/@{self.username}/{status['id']}"
        return {
            "id": status["id"],
            "created_at": _iso(status["created_at"]),
            "in_reply_to_id": status["in_reply_to_id"],
            "in_reply_to_account_id": self.account_id if status["in_reply_to_id"] else None,
            "sensitive": False,
            "spoiler_text": status["spoiler_text"],
            "visibility": status["visibility"],
            "language": status["language"],
            "uri": f"{self.base_url}/users/{self.username}/statuses/{status['id']}",
            "url": url,
            "replies_count": 0,
            "reblogs_count": 0,
            "favourites_count": 0,
            "edited_at": None,
            "content": render_content(status["text"]),
            "reblog": None,
            "account": self._account(),
            "media_attachments": [],
            "mentions": [],
            "tags": [],
            "emojis": [],
            "card": None,
            "poll": None,
        }

    def _show(self, status_id: str) -> Reply:
        with self._lock:
            found = next((s for s in self.statuses if s["id"] == status_id), None)
            return (
                Reply(200, self._render(found)) if found else self._error(404, "Record not found")
            )

    def _delete(self, status_id: str) -> Reply:
        with self._lock:
            found = next((s for s in self.statuses if s["id"] == status_id), None)
            if found is None:
                return self._error(404, "Record not found")
            self.statuses.remove(found)
            return Reply(200, {**self._render(found), "text": found["text"]})

    def _account_statuses(self, account_id: str, query: dict[str, str], split: Any) -> Reply:
        if account_id != self.account_id:
            return self._error(404, "Record not found")
        try:
            limit = min(max(int(query.get("limit", "20")), 1), 40)
        except ValueError:
            limit = 20
        bounds: dict[str, int] = {}
        for name in ("max_id", "since_id", "min_id"):
            value = query.get(name)
            if value:
                if not _ID.fullmatch(value):
                    return self._error(400, f"Invalid {name}")
                bounds[name] = int(value)
        with self._lock:
            items = list(self.statuses)
        if query.get("exclude_replies") in ("1", "true", "True"):
            items = [s for s in items if s["in_reply_to_id"] is None]
        if "max_id" in bounds:
            items = [s for s in items if int(s["id"]) < bounds["max_id"]]
        if "since_id" in bounds:
            items = [s for s in items if int(s["id"]) > bounds["since_id"]]
        if "min_id" in bounds:  # the page just above min_id, still given newest first
            items = [s for s in items if int(s["id"]) > bounds["min_id"]][:limit]
        page = sorted(items, key=lambda s: int(s["id"]), reverse=True)[:limit]
        reply = Reply(200, [self._render(s) for s in page])
        if page:
            path = f"{self.base_url}{split.path}"
            older = urlencode({"limit": limit, "max_id": page[-1]["id"]})
            newer = urlencode({"limit": limit, "min_id": page[0]["id"]})
            reply.headers["Link"] = f'<{path}?{older}>; rel="next", <{path}?{newer}>; rel="prev"'
        return reply
