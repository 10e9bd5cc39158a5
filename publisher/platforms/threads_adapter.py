"""Posting to Threads through its HTTP API, with ``requests`` (no Threads SDK is depended on).

Imported only when a post is really sent. A post is three steps: make a text container
(``POST /{user}/threads``), wait until its status is ``FINISHED`` (``GET /{container}``, a
bounded number of reads with a growing wait, through the injectable ``sleep``), then publish it
(``POST /{user}/threads_publish``). Publishing too soon answers code 24 / subcode 4279009
("Media Not Found", marked not transient by Meta): here it is one more not-ready read.

Only the publish makes a post. The container made for a post is kept in memory, by its thread
and place, for this run only: a retry within the run publishes the same container (publishing a
published one answers its post). A container lost with the process is harmless (it is never
published and expires after 24 h): nothing about it is written to the queue.

Threads has no idempotency key: after an unknown outcome (an answer to the publish lost, a
crash), ``find`` looks the post up among the account's own posts (``/threads``) or replies
(``/replies``) with the own-thread rule: the same text, a reply to this thread's previous post
(the first post to nothing), made no earlier than ``slot.since``, not recorded by another thread.

Every error is turned into the publisher's own, with Meta's message (scrubbed), never the
token: code 190 is the token (``AccountRefused`` naming ``THREADS_ACCESS_TOKEN`` and the
refresh), codes 4/17/32/613 and a used quota are rate limits, a 5xx or ``is_transient`` is
transient.
"""

from __future__ import annotations

import datetime as dt
import time
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

import requests

from publisher.errors import (
    AccountRefused,
    PermanentError,
    PlatformError,
    RateLimited,
    TransientError,
)
from publisher.platforms._http import made_id, no_answer, not_theirs
from publisher.platforms.base import PostRef, Slot
from publisher.platforms.threads import (
    POSTS_PER_DAY,
    REPLIES_PER_DAY,
    ThreadsCredentials,
    ThreadsOptions,
)
from publisher.ratelimit import retry_at
from publisher.scrub import scrub

VERSION = "v1.0"
NOT_READY = 4279009  # error_subcode of a publish before the container is ready
RATE_CODES = (4, 17, 32, 613)
TOKEN_CODE = 190
READY_STEPS = 6  # container status reads that may wait, before giving up for this attempt
RATE_WAIT = 60.0  # when a rate limit says nothing of its end
PAGE = 50
MAX_PAGES = 4  # how far back a look-up goes
FIELDS = "id,text,timestamp,permalink,is_reply,replied_to,root_post"
REFRESH_ADVICE = (
    "THREADS_ACCESS_TOKEN is expired or invalid: refresh it with "
    "`publisher refresh-token threads` (the threads-token workflow does it on a schedule), "
    "or make a new long-lived token"
)


def connect(
    credentials: ThreadsCredentials, options: ThreadsOptions, timeout: float
) -> ThreadsAdapter:
    """The adapter the registry builds when a post is really sent."""
    return ThreadsAdapter(credentials, timeout=timeout, ready_wait=options.ready_wait)


def ready_waits(first: float) -> tuple[float, ...]:
    """The waits between a container's status reads: doubling from ``first``, at most 15 times
    it each (1, 2, 4, 8, 15, 15 s for 1 s)."""
    return tuple(min(first * 2**step, first * 15) for step in range(READY_STEPS))


def refresh_token(credentials: ThreadsCredentials, timeout: float) -> str:
    """A refreshed long-lived token (``GET /refresh_access_token``), for 60 more days."""
    client = _Client(credentials, timeout)
    try:
        answer = client.call(
            "GET",
            "refresh_access_token",
            params={
                "grant_type": "th_refresh_token",
                "access_token": credentials.access_token.get_secret_value(),
            },
            versioned=False,
            sent=False,
        )
    finally:
        client.close()
    token = answer.get("access_token")
    if not isinstance(token, str) or not token:
        raise PermanentError("threads: the refresh answered no access_token")
    return token


class ThreadsAdapter:
    """The Threads adapter: one HTTP session per run; each post replies to the one before."""

    platform = "threads"

    def __init__(
        self,
        credentials: ThreadsCredentials,
        *,
        timeout: float = 20.0,
        sleep: Callable[[float], None] = time.sleep,
        ready_wait: float = 1.0,
    ) -> None:
        self._client = _Client(credentials, timeout)
        self._user = credentials.user_id
        self._sleep = sleep
        self._waits = ready_waits(ready_wait)
        # (thread key, index) -> the container made for that post in this run
        self._containers: dict[tuple[str, int], str] = {}

    def post(self, payload: dict[str, Any], slot: Slot) -> PostRef:
        key = (slot.thread_key, slot.index)
        container = self._containers.get(key)
        if container is None or self._status(container)[0] in ("ERROR", "EXPIRED"):
            container = self._create(payload, slot)
            self._containers[key] = container
        self._wait_ready(container)
        for wait in (*self._waits, None):
            try:
                answer = self._client.call(
                    "POST", f"{self._user}/threads_publish", data={"creation_id": container}
                )
            except _NotReady:
                if wait is None:
                    break
                self._sleep(wait)
                continue
            self._containers.pop(key, None)
            return self._ref(made_id("threads", answer))
        raise TransientError("threads: the container was still not ready to publish")

    def find(self, payload: dict[str, Any], slot: Slot) -> PostRef | None:
        """This post among the account's own posts or replies made since ``slot.since``."""
        wanted = comparable(payload["text"])
        parent = slot.parent.id if slot.parent else None
        edge = "replies" if parent else "threads"
        params: dict[str, Any] = {"fields": FIELDS, "limit": PAGE}
        for _ in range(MAX_PAGES):
            page = self._client.call("GET", f"{self._user}/{edge}", params=params, sent=False)
            items = page.get("data") or []
            for item in items:
                if _is_this_post(item, wanted, parent, slot):
                    return self._ref(str(item["id"]), item.get("permalink"))
            after = ((page.get("paging") or {}).get("cursors") or {}).get("after")
            older = bool(items) and _made(items[-1]) < (slot.since or 0)
            if not items or older or not (page.get("paging") or {}).get("next") or not after:
                return None
            params = {**params, "after": after}
        if slot.since is None:
            return None
        raise PermanentError(
            f"threads: more than {PAGE * MAX_PAGES} posts since this one was sent: "
            "cannot tell whether it was made; check the account"
        )

    def quota_used(self) -> dict[str, tuple[int, int]]:
        """Posts and replies made within Threads' rolling 24 hours, and their limits."""
        answer = self._client.call(
            "GET",
            f"{self._user}/threads_publishing_limit",
            params={"fields": "quota_usage,config,reply_quota_usage,reply_config"},
            sent=False,
        )
        data = (answer.get("data") or [{}])[0]
        posts = (data.get("config") or {}).get("quota_total")
        replies = (data.get("reply_config") or {}).get("quota_total")
        return {
            "posts": (_count(data.get("quota_usage")), _count(posts, POSTS_PER_DAY)),
            "replies": (_count(data.get("reply_quota_usage")), _count(replies, REPLIES_PER_DAY)),
        }

    def whoami(self) -> str:
        """``@username`` from ``GET /me``: the cheapest call that proves the credentials."""
        answer = self._client.call("GET", "me", params={"fields": "id,username"}, sent=False)
        return f"@{answer.get('username') or answer.get('id') or ''}"

    def close(self) -> None:
        self._client.close()

    # ------------------------------------------------------------------ steps

    def _create(self, payload: Mapping[str, Any], slot: Slot) -> str:
        data = {
            "media_type": payload.get("media_type", "TEXT"),
            "text": payload["text"],
            "reply_control": payload.get("reply_control", "everyone"),
        }
        if slot.parent is not None:
            data["reply_to_id"] = slot.parent.id
        # A container is not a post: an answer lost here leaves nothing to look up.
        answer = self._client.call("POST", f"{self._user}/threads", data=data, sent=False)
        return made_id("threads", answer, sent=False)

    def _status(self, container: str) -> tuple[str, str]:
        answer = self._client.call(
            "GET", container, params={"fields": "status,error_message"}, sent=False
        )
        return str(answer.get("status") or "UNKNOWN"), str(answer.get("error_message") or "")

    def _wait_ready(self, container: str) -> None:
        """Until the container is ``FINISHED`` (or ``PUBLISHED``), within ``READY_WAITS``."""
        for wait in (*self._waits, None):
            status, message = self._status(container)
            if status in ("FINISHED", "PUBLISHED"):
                return
            if status in ("ERROR", "EXPIRED"):
                self._containers = {k: v for k, v in self._containers.items() if v != container}
                if status == "EXPIRED":
                    raise TransientError("threads: the container expired before it was published")
                raise PermanentError(scrub(f"threads: the container failed: {message or status}"))
            if wait is None:
                break
            self._sleep(wait)
        raise TransientError("threads: the container was not ready in time")

    def _ref(self, post_id: str, permalink: Any = None) -> PostRef:
        if not isinstance(permalink, str) or not permalink:
            try:
                shown = self._client.call(
                    "GET", post_id, params={"fields": "id,permalink"}, sent=False
                )
                permalink = shown.get("permalink")
            except PlatformError:
                permalink = None  # the post is made; its address is a nicety
        return PostRef(id=post_id, url=str(permalink or f"https://www.threads.net/post/{post_id}"))


def _is_this_post(item: Mapping[str, Any], wanted: str, parent: str | None, slot: Slot) -> bool:
    """The own-thread rule (see the module doc)."""
    if str(item.get("id")) in slot.taken:
        return False
    replied = (item.get("replied_to") or {}).get("id")
    if (str(replied) if replied is not None else None) != parent:
        return False
    root = (item.get("root_post") or {}).get("id")
    if slot.root is not None and root is not None and str(root) != slot.root.id:
        return False
    if slot.since is not None and _made(item) < slot.since:
        return False
    return comparable(str(item.get("text") or "")) == wanted


def comparable(text: str) -> str:
    """Text compared without regard to normalization or runs of white space."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def _made(item: Mapping[str, Any]) -> float:
    """When a post was made (epoch seconds), from Meta's ``2025-05-20T10:00:00+0000``."""
    stamp = str(item.get("timestamp") or "")
    try:
        return dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S%z").timestamp()
    except ValueError:
        return 0.0


def _count(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and value >= 0 else default


class _NotReady(TransientError):
    """A publish before the container was ready (4279009): nothing was made."""


class _Client:
    """One ``requests`` session to the Threads API, and the one converter of its errors."""

    def __init__(self, credentials: ThreadsCredentials, timeout: float) -> None:
        self._root = credentials.base_url.rstrip("/")
        self._timeout = timeout
        self._session = requests.Session()
        token = credentials.access_token.get_secret_value()
        self._session.headers["Authorization"] = f"Bearer {token}"

    def close(self) -> None:
        self._session.close()

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        versioned: bool = True,
        sent: bool = True,
    ) -> dict[str, Any]:
        """The JSON answer to one request, or the publisher's error. ``sent``: the request
        may make a post, so an answer lost after it left is an unknown outcome."""
        url = f"{self._root}/{VERSION}/{path}" if versioned else f"{self._root}/{path}"
        try:
            response = self._session.request(
                method, url, params=params, data=data, timeout=self._timeout
            )
        except requests.RequestException as exc:
            error = no_answer("threads", exc, sent=sent) or TransientError(
                "threads: the request failed", outcome_unknown=sent
            )
        else:
            return _answer(response, sent)
        raise error  # outside the except block: nothing chained to requests' exception


def _answer(response: requests.Response, sent: bool) -> dict[str, Any]:
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if response.ok and isinstance(body, dict):
        return body
    if response.ok:  # not Meta's answer: from something in between
        raise not_theirs("threads", sent=sent)
    raise _convert(response, body, sent)


def _convert(response: requests.Response, body: Any, sent: bool) -> PlatformError:
    """Meta's error answer as the publisher's own, without secrets."""
    status = response.status_code
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    code, subcode = error.get("code"), error.get("error_subcode")
    text = scrub(f"threads: {status} {error.get('message') or response.reason or ''}".strip())
    if code == TOKEN_CODE:
        return AccountRefused(f"{text}. {REFRESH_ADVICE}", status=status)
    if subcode == NOT_READY:
        return _NotReady(text, status=status)
    if code in RATE_CODES or status == 429 or "limit is reached" in text:
        reset = retry_at(response.headers, time.time()) or time.time() + RATE_WAIT
        return RateLimited(text, status=status, reset_at=reset)
    if status >= 500 or status in (408, 425):
        return TransientError(text, status=status, outcome_unknown=sent)
    if error.get("is_transient") is True:
        return TransientError(text, status=status)
    if status in (401, 403):
        return AccountRefused(f"{text}. {REFRESH_ADVICE}", status=status)
    return PermanentError(text, status=status)
