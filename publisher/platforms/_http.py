"""Answers that do not say what happened, as the publisher's own errors, for every adapter: a
request sent with ``requests`` (tweepy, Mastodon.py, Threads) that got no answer (never
connected: nothing was sent; lost on the way: the post may have been made), and a 2xx answer
that does not name what was made (``{}``, an HTML page from something in between)."""

from __future__ import annotations

from typing import Any

import requests
import urllib3

from publisher.errors import PlatformError, TransientError, Unreachable


def no_answer(
    platform: str, exc: BaseException | None, *, sent: bool = True
) -> PlatformError | None:
    """``exc`` as :class:`Unreachable` or an outcome-unknown :class:`TransientError` (when the
    request would have created something, ``sent``); None when it is not such an error."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return Unreachable(f"{platform}: cannot connect (connection timed out)")
    if isinstance(exc, requests.exceptions.ConnectionError) and _never_connected(exc):
        return Unreachable(f"{platform}: cannot connect")
    maybe = " (the post may have been made)" if sent else ""
    if isinstance(exc, requests.exceptions.Timeout):
        return TransientError(f"{platform}: no answer in time{maybe}", outcome_unknown=sent)
    if isinstance(exc, requests.exceptions.ConnectionError):
        return TransientError(f"{platform}: connection lost{maybe}", outcome_unknown=sent)
    return None


def _never_connected(exc: requests.exceptions.ConnectionError) -> bool:
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def made_id(platform: str, answer: Any, *, sent: bool = True) -> str:
    """The id a 2xx answer says was made. An answer without one (``{}``, an empty ``data``)
    leaves the outcome unknown when the request could make a post (``sent``): the post is then
    looked up before it is sent again."""
    found = answer.get("id") if isinstance(answer, dict) else None
    if isinstance(found, str | int) and str(found).strip():
        return str(found)
    maybe = "the post may have been made" if sent else "nothing to look up"
    raise TransientError(
        f"{platform}: the answer (2xx) did not say what was made (no id in it; a proxy or a "
        f"broken front end in between?): {maybe}",
        outcome_unknown=sent,
    )


def not_theirs(platform: str, *, sent: bool = True) -> TransientError:
    """A 2xx answer that is not the platform's (not JSON: an HTML page from a proxy or a captive
    portal): whether the post was made is unknown when the request could make one."""
    maybe = "the post may have been made" if sent else "unread"
    return TransientError(
        f"{platform}: an answer that is not the platform's (not JSON; a proxy or a captive portal "
        f"in between?): {maybe}",
        outcome_unknown=sent,
    )
