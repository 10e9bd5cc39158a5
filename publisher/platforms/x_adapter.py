"""Posting to X through ``tweepy.Client`` (OAuth 1.0a user context).

Imported only when a post is really sent. Every tweepy/requests exception is turned into a
``publisher.errors`` one here, with a message built from the status and X's own error text only,
so no header, token or signature can leak into logs.
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Any

import requests
import tweepy
import urllib3

from publisher.config import XCredentials
from publisher.errors import (
    DuplicatePost,
    OutOfCredit,
    PermanentError,
    PlatformError,
    RateLimited,
    TransientError,
)
from publisher.platforms.base import PostRef, Slot
from publisher.platforms.x import public_url
from publisher.platforms.x_transport import point_client_at
from publisher.scrub import scrub
from publisher.text import extract_urls

RECENT_POSTS = 50  # how far back to look for a post whose outcome was unknown
_DUPLICATE = re.compile(r"duplicate content", re.I)
_CREDITS = re.compile(r"CreditsDepleted|/problems/credits", re.I)


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
        try:
            response: Any = self._client.create_tweet(
                text=payload["text"],
                in_reply_to_tweet_id=slot.parent.id if slot.parent else None,
                user_auth=True,
            )
        except Exception as exc:
            raise convert(exc) from None
        post_id = str(response.data["id"])
        return PostRef(id=post_id, url=public_url(self._me[1] if self._me else None, post_id))

    def find(self, payload: dict[str, Any], slot: Slot) -> PostRef | None:
        """Look for the post among the account's recent posts: same text, same parent."""
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
        for tweet in response.data or []:
            replied_to = [
                str(ref.id) for ref in (tweet.referenced_tweets or []) if ref.type == "replied_to"
            ]
            if replied_to != ([slot.parent.id] if slot.parent else []):
                continue
            if comparable(tweet.text) == wanted:
                return PostRef(id=str(tweet.id), url=public_url(username, str(tweet.id)))
        return None

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


def comparable(text: str) -> str:
    """Text as X echoes it back: URLs become t.co links and '&' comes back as '&amp;'."""
    text = unicodedata.normalize("NFC", html.unescape(text))
    for span in reversed(extract_urls(text)):
        text = text[: span.start] + "<url>" + text[span.end :]
    return " ".join(text.split())


def _reset_at(headers: Any) -> float | None:
    """The latest announced reset among the limits that are used up."""
    resets = []
    for prefix in ("x-rate-limit", "x-user-limit-24hour", "x-app-limit-24hour"):
        remaining = headers.get(f"{prefix}-remaining")
        reset = headers.get(f"{prefix}-reset")
        if reset and (remaining is None or str(remaining).strip() == "0"):
            try:
                resets.append(float(reset))
            except ValueError:
                continue
    retry_after = headers.get("retry-after")
    if retry_after:
        try:
            import time

            resets.append(time.time() + float(retry_after))
        except ValueError:
            pass
    return max(resets) if resets else None


def _describe(exc: tweepy.errors.HTTPException) -> str:
    status = exc.response.status_code
    messages = "; ".join(str(m) for m in exc.api_messages) or exc.response.reason or ""
    return scrub(f"x: {status} {messages}".strip())


def _never_connected(exc: requests.exceptions.ConnectionError) -> bool:
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def convert(exc: Exception) -> PlatformError:
    """tweepy/requests exceptions → the publisher's own, without secrets."""
    if isinstance(exc, tweepy.errors.TooManyRequests):
        return RateLimited(_describe(exc), status=429, reset_at=_reset_at(exc.response.headers))
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
        return PermanentError(_describe(exc), status=exc.response.status_code)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return TransientError("x: connection timed out", outcome_unknown=False)
    if isinstance(exc, requests.exceptions.Timeout):
        return TransientError(
            "x: no answer in time (the post may have been made)", outcome_unknown=True
        )
    if isinstance(exc, requests.exceptions.ConnectionError) and _never_connected(exc):
        return TransientError("x: cannot connect", outcome_unknown=False)
    if isinstance(exc, requests.exceptions.ConnectionError):
        return TransientError(
            "x: connection lost (the post may have been made)", outcome_unknown=True
        )
    if isinstance(exc, requests.exceptions.RequestException | tweepy.errors.TweepyException):
        return PermanentError(f"x: {type(exc).__name__}")
    return PermanentError(f"x: unexpected {type(exc).__name__}")
