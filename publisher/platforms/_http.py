"""A request sent with ``requests`` (tweepy, Mastodon.py) that got no answer, as the publisher's own
error: never connected (nothing was sent), or lost on the way (the post may have been made)."""

from __future__ import annotations

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
