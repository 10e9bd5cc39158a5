"""A local stand-in for the Threads API (graph.threads.net), answering on the wire as Meta does.

The real adapter (``publisher.platforms.threads_adapter``, plain ``requests``) talks to it over
HTTP with ``THREADS_API_BASE_URL`` pointed here. Standard library only, plus
``publisher.platforms.url_grammar`` to count links as Threads refuses them.

Endpoints (one account, ``user_id``; the version path ``/v1.0`` in front of all but the token
refresh, which is answered with or without it). The token is read from ``Authorization: Bearer``
or an ``access_token`` parameter; a wrong or expired one answers 401 with code 190
(``OAuthException``), as Meta does.

* ``POST /{user}/threads`` (``media_type=TEXT``, ``text``, ``reply_to_id``, ``reply_control``)
  makes a container, ``{"id"}``. Refused (400, code 100): a text over ``max_bytes`` UTF-8 bytes,
  more than ``max_links`` unique links (``THREADS_API__LINK_LIMIT_EXCEEDED``), a reply to a post
  that does not exist.
* ``GET /{container}?fields=status,error_message``: ``IN_PROGRESS`` for the first
  ``not_ready`` reads of a fresh container (the configurable not-ready period), then
  ``FINISHED``; ``PUBLISHED`` once published; ``EXPIRED`` after :meth:`expire_containers`;
  ``ERROR`` for a container made while :attr:`container_error` is set. On a post's id: the post.
* ``POST /{user}/threads_publish`` (``creation_id``): the post's id. A container not yet
  ``FINISHED`` answers code 24, subcode 4279009, "The requested resource does not exist" (and
  counts as one read of its not-ready period). A used quota answers code 4 (rate limited).
  Publishing a published container again answers the same post (nothing new is made).
* ``GET /{user}/threads_publishing_limit``: ``quota_usage``/``config`` and
  ``reply_quota_usage``/``reply_config`` over the rolling ``quota_window``.
* ``GET /{user}/threads`` (top-level posts) and ``GET /{user}/replies``: newest first,
  ``limit`` (25 by default, at most 100), cursor paging (``after``; ``paging.cursors`` and
  ``paging.next``), fields ``id,text,timestamp,permalink,is_reply,replied_to,root_post``.
* ``GET /me?fields=id,username``.
* ``GET /refresh_access_token?grant_type=th_refresh_token&access_token=T``: a new token (the
  old one stays valid until it expires), ``expires_in`` 60 days. :meth:`expire_token` makes the
  current token answer 190 everywhere.

Faults (``fail_next``) strike the next ``threads_publish`` requests, after the token check:
``"500"``/``"503"`` (``after_commit``), ``"slow"``, ``"drop"`` (``after_commit``: the post is
made and the connection dropped, so the client cannot tell), ``"rate"`` (code 4, rate limited)
and ``"not_ready"`` (4279009 whatever the container's state).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from tests.fakes.wire import Fault, Reply, WireServer

__all__ = ["FakeThreadsServer"]

VERSION = "v1.0"
DAY = 24 * 60 * 60
_FAULT_OPTS: dict[str, frozenset[str]] = {
    "500": frozenset({"after_commit"}),
    "503": frozenset({"after_commit"}),
    "slow": frozenset({"delay", "commit"}),
    "drop": frozenset({"after_commit"}),
    "empty": frozenset(),
    "html": frozenset(),
    "rate": frozenset(),
    "not_ready": frozenset(),
}


def _stamp(moment: float) -> str:
    """Meta's time format: ``2025-05-20T10:00:00+0000``."""
    return datetime.fromtimestamp(moment, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def unique_links(text: str) -> int:
    from publisher.platforms.url_grammar import extract_urls

    return len({span.url for span in extract_urls(text)})


class FakeThreadsServer(WireServer):
    """A Threads API stand-in on 127.0.0.1 (ephemeral port). See the module doc."""

    FAULT_OPTS = _FAULT_OPTS

    def __init__(
        self,
        *,
        access_token: str,
        user_id: str = "17841400000000001",
        username: str = "paperbot",
        not_ready: int = 1,
        max_bytes: int = 500,
        max_links: int = 5,
        quota_posts: int = 250,
        quota_replies: int = 1000,
        quota_window: int = DAY,
    ) -> None:
        super().__init__()
        self.tokens = {access_token}
        self.access_token = access_token
        self.user_id = user_id
        self.username = username
        self.not_ready = not_ready
        self.max_bytes = max_bytes
        self.max_links = max_links
        self.quota_posts = quota_posts
        self.quota_replies = quota_replies
        self.quota_window = quota_window
        self.container_error: str | None = None  # the error_message of containers made now

        self.posts: list[dict[str, Any]] = []  # oldest first
        self.containers: dict[str, dict[str, Any]] = {}
        self.refreshed: list[str] = []  # tokens handed out by the refresh
        self._offset = 0.0
        self._next = 0

    def _error(self, status: int, message: str) -> Reply:
        return self._meta_error(status, message, code=1 if status >= 500 else 100)

    @staticmethod
    def _meta_error(
        status: int,
        message: str,
        *,
        code: int,
        subcode: int | None = None,
        kind: str = "THApiException",
        transient: bool = False,
        title: str | None = None,
    ) -> Reply:
        error: dict[str, Any] = {
            "message": message,
            "type": kind,
            "code": code,
            "is_transient": transient,
            "fbtrace_id": "AbCdEfGh123",
        }
        if subcode is not None:
            error["error_subcode"] = subcode
        if title is not None:
            error["error_user_title"] = title
        return Reply(status, {"error": error})

    # ------------------------------------------------------------------- control

    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the server's clock on (posts leave the rolling quota window)."""
        with self._lock:
            self._offset += seconds

    def expire_token(self) -> None:
        """Every token known so far dies: every call answers code 190."""
        with self._lock:
            self.tokens.clear()

    def expire_containers(self) -> None:
        """Every unpublished container expires (as after 24 h)."""
        with self._lock:
            for container in self.containers.values():
                if container["status"] != "PUBLISHED":
                    container["status"] = "EXPIRED"

    def texts(self) -> list[str]:
        with self._lock:
            return [p["text"] for p in self.posts]

    def add_post(self, text: str, *, reply_to: str | None = None, age: float = 0) -> str:
        """A post made ``age`` seconds ago by someone else's hand (another tool, the app)."""
        with self._lock:
            return str(self._make_post(text, reply_to, self.now() - age)["id"])

    # ------------------------------------------------------------------- routing

    def _dispatch(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> Reply | None:
        split = urlsplit(raw_path)
        params = dict(parse_qsl(split.query, keep_blank_values=True))
        if body:
            params.update(self._form(headers, body))
        parts = [p for p in split.path.strip("/").split("/") if p]
        if parts and parts[0] == VERSION:
            parts = parts[1:]
        elif parts != ["refresh_access_token"]:
            return self._error(400, "Unknown path components: the version is missing")
        token = self._token(headers, params)
        with self._lock:
            known = token in self.tokens
        if not known:
            return self._meta_error(
                401,
                "Error validating access token: Session has expired.",
                code=190,
                kind="OAuthException",
            )
        return self._route(method, parts, params, token)

    def _route(
        self, method: str, parts: list[str], params: dict[str, str], token: str
    ) -> Reply | None:
        match (method, *parts):
            case ("GET", "refresh_access_token"):
                return self._refresh(params, token)
            case ("GET", "me"):
                return Reply(200, {"id": self.user_id, "username": self.username})
            case ("POST", user, "threads") if user == self.user_id:
                return self._create(params)
            case ("POST", user, "threads_publish") if user == self.user_id:
                fault = self._next_fault()
                if fault is not None:
                    return self._faulted(fault, params)
                return self._publish(params)
            case ("GET", user, "threads_publishing_limit") if user == self.user_id:
                return self._limit()
            case ("GET", user, "threads") if user == self.user_id:
                return self._listing(params, replies=False)
            case ("GET", user, "replies") if user == self.user_id:
                return self._listing(params, replies=True)
            case ("GET", object_id):
                return self._show(object_id)
        return self._error(400, "Unsupported request")

    @staticmethod
    def _token(headers: dict[str, str], params: dict[str, str]) -> str:
        header = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        if header.startswith("Bearer "):
            return header[len("Bearer ") :]
        return params.get("access_token", "")

    @staticmethod
    def _form(headers: dict[str, str], body: bytes) -> dict[str, str]:
        kind = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        text = body.decode("utf-8", errors="replace")
        if kind.startswith("application/json"):
            found = json.loads(text)
            return {k: str(v) for k, v in found.items()} if isinstance(found, dict) else {}
        return dict(parse_qsl(text, keep_blank_values=True))

    # -------------------------------------------------------------------- faults

    def _faulted(self, fault: Fault, params: dict[str, str]) -> Reply | None:
        if fault.kind == "rate":
            return self._meta_error(
                400, "Application request limit reached", code=4, transient=True
            )
        if fault.kind == "not_ready":
            return self._not_ready()
        return self._strike(fault, lambda: self._publish(params))

    @classmethod
    def _not_ready(cls) -> Reply:
        return cls._meta_error(
            400,
            "The requested resource does not exist",
            code=24,
            subcode=4279009,
            title="Media Not Found",
        )

    # ----------------------------------------------------------------- endpoints

    def _new_id(self, base: int) -> str:
        self._next += 1
        return str(base + self._next)

    def _create(self, params: dict[str, str]) -> Reply:
        text = params.get("text", "")
        if params.get("media_type") != "TEXT":
            return self._meta_error(400, "Invalid parameter: media_type", code=100)
        if not text.strip():
            return self._meta_error(400, "Invalid parameter: text is empty", code=100)
        if len(text.encode("utf-8")) > self.max_bytes:
            return self._meta_error(
                400, f"Param text must be at most {self.max_bytes} characters long.", code=100
            )
        if unique_links(text) > self.max_links:
            return self._meta_error(
                400,
                "THREADS_API__LINK_LIMIT_EXCEEDED: a post may hold at most 5 links",
                code=100,
                subcode=4279031,
            )
        reply_to = params.get("reply_to_id") or None
        with self._lock:
            if reply_to is not None and not any(p["id"] == reply_to for p in self.posts):
                return self._meta_error(400, "Invalid parameter: reply_to_id", code=100)
            container_id = self._new_id(18_000_000_000_000_000)
            container: dict[str, Any] = {
                "id": container_id,
                "text": text,
                "reply_to": reply_to,
                "status": "ERROR" if self.container_error else "IN_PROGRESS",
                "error_message": self.container_error,
                "reads_left": self.not_ready,
                "post": None,
            }
            self.containers[container_id] = container
        return Reply(200, {"id": container_id})

    def _ready(self, container: dict[str, Any]) -> None:
        """One read of the container's not-ready period."""
        if container["status"] == "IN_PROGRESS":
            if container["reads_left"] <= 0:
                container["status"] = "FINISHED"
            else:
                container["reads_left"] -= 1

    def _publish(self, params: dict[str, str]) -> Reply:
        with self._lock:
            container = self.containers.get(params.get("creation_id", ""))
            if container is None:
                return self._meta_error(400, "Invalid parameter: creation_id", code=100)
            if container["status"] == "PUBLISHED":
                return Reply(200, {"id": container["post"]})
            if container["status"] == "IN_PROGRESS" and container["reads_left"] > 0:
                container["reads_left"] -= 1
                return self._not_ready()
            self._ready(container)
            if container["status"] != "FINISHED":
                return self._meta_error(
                    400, f"The media container is {container['status']}", code=24
                )
            kind = "replies" if container["reply_to"] else "posts"
            used = self._used(kind)
            if used >= (self.quota_replies if container["reply_to"] else self.quota_posts):
                return self._meta_error(
                    400, f"The {kind} publishing limit is reached", code=4, transient=True
                )
            post = self._make_post(container["text"], container["reply_to"], self.now())
            container["status"], container["post"] = "PUBLISHED", post["id"]
        return Reply(200, {"id": post["id"]})

    def _make_post(self, text: str, reply_to: str | None, moment: float) -> dict[str, Any]:
        parent = next((p for p in self.posts if p["id"] == reply_to), None) if reply_to else None
        post_id = self._new_id(17_900_000_000_000_000)
        post = {
            "id": post_id,
            "text": text,
            "made": moment,
            "reply_to": reply_to,
            "root": (parent["root"] or parent["id"]) if parent else None,
        }
        self.posts.append(post)
        return post

    def _used(self, kind: str) -> int:
        since = self.now() - self.quota_window
        replies = kind == "replies"
        return sum(
            1 for p in self.posts if p["made"] >= since and (p["reply_to"] is not None) == replies
        )

    def _limit(self) -> Reply:
        with self._lock:
            posts, replies = self._used("posts"), self._used("replies")
        window = self.quota_window
        return Reply(
            200,
            {
                "data": [
                    {
                        "quota_usage": posts,
                        "config": {"quota_total": self.quota_posts, "quota_duration": window},
                        "reply_quota_usage": replies,
                        "reply_config": {
                            "quota_total": self.quota_replies,
                            "quota_duration": window,
                        },
                    }
                ]
            },
        )

    def _render(self, post: dict[str, Any]) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "id": post["id"],
            "text": post["text"],
            "timestamp": _stamp(post["made"]),
            "permalink": f"{self.base_url}/@{self.username}/post/{post['id']}",
            "is_reply": post["reply_to"] is not None,
            "media_type": "TEXT_POST",
        }
        if post["reply_to"] is not None:
            shown["replied_to"] = {"id": post["reply_to"]}
            shown["root_post"] = {"id": post["root"]}
        return shown

    def _show(self, object_id: str) -> Reply:
        with self._lock:
            container = self.containers.get(object_id)
            if container is not None:
                self._ready(container)
                found: dict[str, Any] = {"id": object_id, "status": container["status"]}
                if container["error_message"]:
                    found["error_message"] = container["error_message"]
                return Reply(200, found)
            post = next((p for p in self.posts if p["id"] == object_id), None)
            if post is None:
                return self._meta_error(
                    400, "Object does not exist or cannot be loaded", code=100, subcode=33
                )
            return Reply(200, self._render(post))

    def _listing(self, params: dict[str, str], *, replies: bool) -> Reply:
        try:
            limit = min(max(int(params.get("limit", "25")), 1), 100)
            start = int(params.get("after") or "0")
        except ValueError:
            return self._meta_error(400, "Invalid parameter: limit or after", code=100)
        with self._lock:
            mine = [p for p in reversed(self.posts) if (p["reply_to"] is not None) == replies]
            page = [self._render(p) for p in mine[start : start + limit]]
        fields = [f for f in params.get("fields", "id").split(",") if f]
        data = [{k: v for k, v in p.items() if k in fields or k == "id"} for p in page]
        body: dict[str, Any] = {"data": data}
        if page:
            after = str(start + len(page))
            body["paging"] = {"cursors": {"before": str(start), "after": after}}
            if start + len(page) < len(mine):
                edge = "replies" if replies else "threads"
                query = urlencode({"fields": ",".join(fields), "limit": limit, "after": after})
                body["paging"]["next"] = f"{self.base_url}/{VERSION}/{self.user_id}/{edge}?{query}"
        return Reply(200, body)

    def _refresh(self, params: dict[str, str], token: str) -> Reply:
        if params.get("grant_type") != "th_refresh_token":
            return self._meta_error(400, "Invalid parameter: grant_type", code=100)
        with self._lock:
            fresh = f"THAA-refreshed-{len(self.refreshed) + 1}-{token[-6:]}"
            self.tokens.add(fresh)
            self.refreshed.append(fresh)
        return Reply(200, {"access_token": fresh, "token_type": "bearer", "expires_in": 60 * DAY})
