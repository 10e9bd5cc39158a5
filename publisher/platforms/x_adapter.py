"""Posting to X through ``tweepy.Client`` (OAuth 1.0a user context).

Imported only when a post is really sent. Every tweepy/requests exception is turned into a
``publisher.errors`` one here, with a message built from the status and X's own error text only,
so no header, token or signature can leak into logs.
"""

from __future__ import annotations

import html
import re
import time
import unicodedata
from typing import Any

import requests
import tweepy

from publisher.errors import (
    AccountRefused,
    DuplicatePost,
    OutOfCredit,
    PermanentError,
    PlatformError,
    RateLimited,
    TransientError,
)
from publisher.platforms._http import made_id, no_answer, not_theirs
from publisher.platforms.base import PostRef, Slot
from publisher.platforms.url_grammar import extract_urls
from publisher.platforms.x import XCredentials, XOptions, public_url
from publisher.platforms.x_transport import point_client_at
from publisher.ratelimit import retry_at
from publisher.scrub import scrub

RECENT_POSTS = 50  # how far back to look for a post whose outcome was unknown
_DUPLICATE = re.compile(r"duplicate content", re.I)
_CREDITS = re.compile(r"CreditsDepleted|/problems/credits", re.I)


def connect(credentials: XCredentials, options: XOptions, timeout: float) -> XAdapter:
    """The adapter the registry builds when a post is really sent."""
    return XAdapter(credentials, timeout=timeout)


class XAdapter:
    """The X adapter. One ``tweepy.Client`` per run; each post replies to the one before."""

    platform = "x"

    def __init__(self, credentials: XCredentials, *, timeout: float = 20.0) -> None:
        self._client = tweepy.Client(
            consumer_key=credentials.api_key.get_secret_value(),
            consumer_secret=credentials.api_secret.get_secret_value(),
            access_token=credentials.access_token.get_secret_value(),
            access_token_secret=credentials.access_token_secret.get_secret_value(),
            wait_on_rate_limit=False,  # it would sleep without bound; retry.py decides
        )
        point_client_at(self._client, credentials.base_url, timeout)
        self._me: tuple[str, str] | None = None

    def post(self, payload: dict[str, Any], slot: Slot) -> PostRef:
        error: PlatformError | None = None
        try:
            response: Any = self._client.create_tweet(
                text=payload["text"],
                in_reply_to_tweet_id=slot.parent.id if slot.parent else None,
                user_auth=True,
            )
        except Exception as exc:
            error = convert(exc)
        if error is not None:  # handled outside the except block: nothing chained to tweepy's
            if isinstance(error, DuplicatePost):
                own, older = self._lookup(payload, slot)
                if own is not None:  # an earlier attempt of this very post went through
                    return own
                if older is not None:
                    error = DuplicatePost(str(error), status=error.status, original=older.url)
            raise error
        post_id = made_id("x", getattr(response, "data", None))
        return PostRef(id=post_id, url=public_url(self._me[1] if self._me else None, post_id))

    def find(self, payload: dict[str, Any], slot: Slot) -> PostRef | None:
        """This post among the account's recent posts, if it was made (see ``_lookup``)."""
        return self._lookup(payload, slot)[0]

    def _lookup(self, payload: dict[str, Any], slot: Slot) -> tuple[PostRef | None, PostRef | None]:
        """(this post, an older post with the same text) among the account's recent posts.

        A post is this one only if it has the same text, replies to this thread's previous post
        (the first post to nothing) and was created no earlier than ``slot.since``: X's ids
        encode their creation time. Text alone would adopt another thread's post.
        """
        try:
            user_id, username = self._whoami()
            response: Any = self._client.get_users_tweets(
                id=user_id,
                max_results=RECENT_POSTS,
                tweet_fields=["created_at", "referenced_tweets", "conversation_id"],
                user_auth=True,
            )
        except PlatformError:
            raise
        except Exception as exc:
            raise convert(exc) from None
        wanted = comparable(payload["text"])
        older: PostRef | None = None
        for tweet in response.data or []:
            if comparable(tweet.text) != wanted:
                continue
            if str(tweet.id) in slot.taken:  # recorded by another thread: an older post
                older = older or PostRef(id=str(tweet.id), url=public_url(username, str(tweet.id)))
                continue
            ref = PostRef(id=str(tweet.id), url=public_url(username, str(tweet.id)))
            replied_to = [
                str(r.id) for r in (tweet.referenced_tweets or []) if r.type == "replied_to"
            ]
            made = created_at(str(tweet.id))
            fresh = slot.since is None or made is None or made >= slot.since
            if replied_to == ([slot.parent.id] if slot.parent else []) and fresh:
                return ref, None
            older = older or ref
        return None, older

    def whoami(self) -> str:
        """``@username`` from the user look-up (``GET /2/users/me``)."""
        return f"@{self._whoami()[1]}"

    def close(self) -> None:
        self._client.session.close()

    def _whoami(self) -> tuple[str, str]:
        if self._me is None:
            try:
                response: Any = self._client.get_me(user_auth=True)
            except Exception as exc:
                raise convert(exc) from None
            self._me = (str(response.data.id), str(response.data.username))
        return self._me


TWITTER_EPOCH_MS = 1288834974657


def created_at(post_id: str) -> float | None:
    """When an X post was made (epoch seconds), read from its snowflake id."""
    if not post_id.isdigit():
        return None
    return ((int(post_id) >> 22) + TWITTER_EPOCH_MS) / 1000


def comparable(text: str) -> str:
    """Text as X echoes it back: URLs become t.co links and '&' comes back as '&amp;'."""
    text = unicodedata.normalize("NFC", html.unescape(text))
    for span in reversed(extract_urls(text)):
        text = text[: span.start] + "<url>" + text[span.end :]
    return " ".join(text.split())


def _describe(exc: tweepy.errors.HTTPException) -> str:
    status = exc.response.status_code
    messages = "; ".join(str(m) for m in exc.api_messages) or exc.response.reason or ""
    return scrub(f"x: {status} {messages}".strip())


def convert(exc: Exception) -> PlatformError:
    """tweepy/requests exceptions → the publisher's own, without secrets."""
    if isinstance(exc, tweepy.errors.TooManyRequests):
        return RateLimited(
            _describe(exc), status=429, reset_at=retry_at(exc.response.headers, time.time())
        )
    if isinstance(exc, tweepy.errors.TwitterServerError):
        status = exc.response.status_code
        return TransientError(_describe(exc), status=status, outcome_unknown=True)
    if isinstance(exc, tweepy.errors.HTTPException) and (
        exc.response.status_code == 402 or _CREDITS.search(exc.response.text or "")
    ):
        return OutOfCredit(
            "x: out of credits (402 CreditsDepleted): add credits in X's developer console "
            "(console.x.com), then run again",
            status=exc.response.status_code,
        )
    if isinstance(exc, tweepy.errors.Forbidden):
        text = " ".join(str(m) for m in exc.api_messages) + " " + (exc.response.text or "")
        if _DUPLICATE.search(text):
            return DuplicatePost(_describe(exc), status=403)
        return PermanentError(_describe(exc), status=403)
    if isinstance(exc, tweepy.errors.HTTPException):
        status = exc.response.status_code
        if status in (401, 402):  # credentials refused, or no credit left: the account's problem
            return AccountRefused(_describe(exc), status=status)
        return PermanentError(_describe(exc), status=status)
    lost = no_answer("x", exc)
    if lost is not None:
        return lost
    if isinstance(exc, ValueError):  # a 2xx answer that is not JSON (an HTML page): not X's
        return not_theirs("x")
    if isinstance(exc, requests.exceptions.RequestException | tweepy.errors.TweepyException):
        return PermanentError(f"x: {type(exc).__name__}")
    return PermanentError(f"x: unexpected {type(exc).__name__}")
