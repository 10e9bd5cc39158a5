"""Posting to a Mastodon instance through Mastodon.py.

Imported only when a post is really sent (or the instance's limits are read at enqueue). Every
Mastodon.py/requests exception is turned into a ``publisher.errors`` one here, with a message
built from the status code and the server's own error text only (scrubbed), never the token.

Nothing is posted twice: every status carries an ``Idempotency-Key`` derived from the thread's
key and the post's place, so a post sent again within the hour the instance keeps keys for is
answered with the status made the first time, not a new one. After an unknown outcome ``find``
looks the account's own statuses up with the own-thread rule (same text, a reply to this
thread's previous post, made no earlier than ``slot.since``, not recorded by another thread):
past the hour, the key no longer protects, and the look-up is what tells.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
import time
import unicodedata
from collections.abc import Mapping
from typing import Any

import requests
from mastodon import Mastodon
from mastodon.errors import (
    MastodonAPIError,
    MastodonError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
)

from publisher.errors import (
    AccountRefused,
    PermanentError,
    PlatformError,
    RateLimited,
    TransientError,
)
from publisher.platforms._http import made_id, no_answer, not_theirs
from publisher.platforms.base import PostRef, Slot
from publisher.platforms.mastodon import (
    CHARACTERS_RESERVED_PER_URL,
    MAX_CHARACTERS,
    MastodonCredentials,
    MastodonOptions,
)
from publisher.ratelimit import retry_at
from publisher.scrub import scrub

PAGE = 40  # the most statuses Mastodon gives a page
MAX_PAGES = 5  # how far back a look-up goes: 200 statuses made since the post was sent
# The Mastodon version assumed, so that Mastodon.py never asks the instance for it.
ASSUMED_VERSION = "4.3.0"

_BREAK = re.compile(r"<br\s*/?>", re.I)
_PARAGRAPH = re.compile(r"</p>\s*<p[^>]*>", re.I)
_TAG = re.compile(r"<[^>]*>")


def connect(
    credentials: MastodonCredentials, options: MastodonOptions, timeout: float
) -> MastodonAdapter:
    """The adapter the registry builds when a post is really sent."""
    return MastodonAdapter(credentials, timeout=timeout)


def instance_limits(credentials: MastodonCredentials, timeout: float) -> dict[str, int]:
    """The instance's post limits from ``GET /api/v2/instance`` (``configuration.statuses``)."""
    client = _Client(credentials, timeout)
    try:
        try:
            instance: Any = client.api.instance_v2()
        except MastodonError as exc:
            error = client.convert(exc, sent=False)
        else:
            statuses = (instance.get("configuration") or {}).get("statuses") or {}
            return {
                "max_characters": _positive(statuses.get("max_characters"), MAX_CHARACTERS),
                "characters_reserved_per_url": _positive(
                    statuses.get("characters_reserved_per_url"), CHARACTERS_RESERVED_PER_URL
                ),
            }
        raise error
    finally:
        client.close()


def idempotency_key(slot: Slot) -> str:
    """The ``Idempotency-Key`` of the post at ``slot``: the same for every attempt of it."""
    digest = hashlib.sha256(f"{slot.thread_key}\n{slot.index}".encode()).hexdigest()
    return f"publisher-{digest[:40]}"


class MastodonAdapter:
    """The Mastodon adapter: one client per run; each post replies to the one before."""

    platform = "mastodon"

    def __init__(self, credentials: MastodonCredentials, *, timeout: float = 20.0) -> None:
        self._client = _Client(credentials, timeout)
        self._me: str | None = None

    def post(self, payload: dict[str, Any], slot: Slot) -> PostRef:
        try:
            status: Any = self._client.api.status_post(
                payload["text"],
                in_reply_to_id=slot.parent.id if slot.parent else None,
                language=payload.get("language"),
                visibility=payload.get("visibility"),
                idempotency_key=idempotency_key(slot),
            )
        except MastodonError as exc:
            error = self._client.convert(exc, sent=True)
        else:
            return _ref(status)
        raise error  # outside the except block: nothing chained to Mastodon.py's exception

    def find(self, payload: dict[str, Any], slot: Slot) -> PostRef | None:
        """This post among the account's statuses made since ``slot.since``, if it was made."""
        wanted = comparable(payload["text"])
        parent = slot.parent.id if slot.parent else None
        try:
            me = self._whoami()
            cursor: str | None = None
            for _ in range(MAX_PAGES):
                page: Any = self._client.api.account_statuses(
                    me, limit=PAGE, max_id=cursor, since_id=_snowflake(slot.since)
                )
                for status in page:
                    if _is_this_post(status, wanted, parent, slot):
                        return _ref(status)
                if len(page) < PAGE or _made(page[-1]) < (slot.since or 0):
                    return None
                cursor = str(page[-1]["id"])
        except MastodonError as exc:
            error = self._client.convert(exc, sent=False)
        else:
            if slot.since is None:  # nothing says when it was sent: the recent pages are all
                return None
            raise PermanentError(
                f"mastodon: more than {PAGE * MAX_PAGES} statuses since the post was sent: "
                "cannot tell whether it was made; check the account"
            )
        raise error

    def whoami(self) -> str:
        """``@acct`` from ``GET /api/v1/accounts/verify_credentials``."""
        try:
            account: Any = self._client.api.account_verify_credentials()
        except MastodonError as exc:
            error = self._client.convert(exc, sent=False)
        else:
            self._me = str(account["id"])
            return f"@{account.get('acct') or account.get('username')}"
        raise error

    def close(self) -> None:
        self._client.close()

    def _whoami(self) -> str:
        if self._me is None:
            account: Any = self._client.api.account_verify_credentials()
            self._me = str(account["id"])
        return self._me


def _is_this_post(status: Any, wanted: str, parent: str | None, slot: Slot) -> bool:
    """The own-thread rule: same text, a reply to this thread's previous post (the first post
    to nothing), made no earlier than ``slot.since``, and not recorded by another thread."""
    if str(status["id"]) in slot.taken:
        return False
    replied_to = status.get("in_reply_to_id")
    if (str(replied_to) if replied_to is not None else None) != parent:
        return False
    if slot.since is not None and _made(status) < slot.since:
        return False
    return comparable(plain_text(status.get("content") or "")) == wanted


def plain_text(content: str) -> str:
    """A status's text from its HTML ``content``: paragraphs and line breaks kept, links and
    hashtags back to their text (Mastodon hides a long URL's middle in spans, not removed)."""
    text = _PARAGRAPH.sub("\n\n", content)
    text = _BREAK.sub("\n", text)
    return html.unescape(_TAG.sub("", text))


def comparable(text: str) -> str:
    """Text compared without regard to normalization or runs of white space."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def _made(status: Any) -> float:
    """When a status was made (epoch seconds)."""
    created = status.get("created_at")
    if isinstance(created, dt.datetime):
        moment = created
    else:
        moment = dt.datetime.fromisoformat(str(created).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()


def _snowflake(since: float | None) -> str | None:
    """The lowest status id Mastodon could give a status made at ``since`` (ms << 16)."""
    if since is None:
        return None
    return str(int(since * 1000) << 16)


def _ref(status: Any) -> PostRef:
    """The status an answer says was made; an answer without its id leaves the outcome unknown
    (the post is looked up before it is sent again)."""
    post_id = made_id("mastodon", status)
    return PostRef(id=post_id, url=str(status.get("url") or status.get("uri") or ""))


def _positive(value: Any, default: int) -> int:
    return value if isinstance(value, int) and value > 0 else default


class _Client:
    """A Mastodon.py client that never sleeps on a rate limit and keeps the last answer's
    headers (for the rate-limit reset), and the one converter of its exceptions."""

    def __init__(self, credentials: MastodonCredentials, timeout: float) -> None:
        self.headers: Mapping[str, str] = {}
        session = requests.Session()
        session.hooks["response"].append(self._keep_headers)
        self.api = Mastodon(
            access_token=credentials.access_token.get_secret_value(),
            api_base_url=credentials.base_url.rstrip("/"),
            request_timeout=timeout,
            ratelimit_method="throw",  # retry.py decides how long to wait, not Mastodon.py
            mastodon_version=ASSUMED_VERSION,
            version_check_mode="none",
            session=session,
        )
        self._session = session

    def _keep_headers(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.headers = dict(response.headers)

    def close(self) -> None:
        self._session.close()

    def convert(self, exc: MastodonError, *, sent: bool) -> PlatformError:
        """Mastodon.py's exception as the publisher's own, without secrets.

        ``sent``: the request would create something, so an answer lost after it left means
        the outcome is unknown.
        """
        if isinstance(exc, MastodonRatelimitError):
            reset = retry_at(self.headers, time.time())
            return RateLimited(_describe(exc, 429), status=429, reset_at=reset)
        if isinstance(exc, MastodonNetworkError):
            return _network(exc, sent)
        if isinstance(exc, MastodonServerError):
            status = _status(exc)
            return TransientError(_describe(exc, status), status=status, outcome_unknown=sent)
        if isinstance(exc, MastodonUnauthorizedError):
            return AccountRefused(_describe(exc, 401), status=401)
        if isinstance(exc, MastodonNotFoundError):
            return PermanentError(_describe(exc, 404), status=404)
        if isinstance(exc, MastodonAPIError) and _unparsed(exc):
            return not_theirs("mastodon", sent=sent)
        if isinstance(exc, MastodonAPIError):
            status = _status(exc)
            if status == 403:  # a suspended account or a token without the scope
                return AccountRefused(_describe(exc, status), status=status)
            if status == 429:
                reset = retry_at(self.headers, time.time())
                return RateLimited(_describe(exc, status), status=status, reset_at=reset)
            if status in (408, 425) or (status is not None and status >= 500):
                return TransientError(_describe(exc, status), status=status, outcome_unknown=sent)
            return PermanentError(_describe(exc, status), status=status)
        return PermanentError(f"mastodon: unexpected {type(exc).__name__}")


def _unparsed(exc: MastodonError) -> bool:
    """Mastodon.py could not read the answer as JSON (its message says so)."""
    first = exc.args[0] if exc.args else ""
    return isinstance(first, str) and first.startswith("Could not parse response as JSON")


def _status(exc: MastodonError) -> int | None:
    """The HTTP status Mastodon.py put in the exception's arguments."""
    found = exc.args[1] if len(exc.args) > 1 else None
    return found if isinstance(found, int) else None


def _describe(exc: MastodonError, status: int | None) -> str:
    """``mastodon: 422 Validation failed: ...``: the status and the server's own error text."""
    error = exc.args[3] if len(exc.args) > 3 and isinstance(exc.args[3], str) else ""
    if isinstance(exc, MastodonRatelimitError):
        error = "rate limited"
    if not error.strip():  # a reason is never empty
        error = f"{type(exc).__name__} (the instance gave no error text)"
    return scrub(f"mastodon: {status or ''} {error}".strip().replace("  ", " "))


def _network(exc: MastodonNetworkError, sent: bool) -> PlatformError:
    """A request that got no answer: never connected (nothing sent), or lost on the way."""
    lost = "connection lost (the post may have been made)" if sent else "connection lost"
    found = no_answer("mastodon", exc.__cause__ or exc.__context__, sent=sent)
    return found or TransientError(f"mastodon: {lost}", outcome_unknown=sent)
