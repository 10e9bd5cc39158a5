"""When a refused request may be tried again, read from the answer's rate-limit headers.

One reader for every adapter, so that each platform module only says which answers are refusals
and the header forms are parsed in one place. The forms understood:

``Retry-After``
    Seconds to wait (``120``) or an HTTP date (``Wed, 21 Oct 2026 07:28:00 GMT``), as in
    RFC 9110.
``<prefix>-reset`` for any prefix containing ``limit``
    For example ``RateLimit-Reset``, ``X-RateLimit-Reset``, ``X-Rate-Limit-Reset``, or a second
    limit's own ``...-limit-24hour-reset`` beside the first. The value is Unix epoch seconds
    (``1767225600``), seconds from now when the number is smaller than any plausible epoch
    (``60``, the IETF RateLimit draft's form), or an ISO 8601 time
    (``2026-12-01T15:05:00.000Z``; without an offset it is UTC).
``<prefix>-remaining``
    Tells which of several limits is used up: a limit whose remaining count is above zero did
    not cause the refusal, so its reset is ignored. Without it (or when it cannot be read) the
    limit counts as used up on a refusal.

Header names are matched without regard to case, whatever mapping holds them. A value that
cannot be read is ignored, never raised about: a platform's garbage header must not turn a
retryable refusal into a crash.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from email.utils import parsedate_to_datetime

__all__ = ["retry_at"]

# Epoch seconds below this (2001-09-09) are read as seconds from now: no reset is that old.
EPOCH_FLOOR = 1_000_000_000
_NUMBER = re.compile(r"[0-9]{1,15}(?:\.[0-9]{1,9})?")
_RESET = "-reset"
_REMAINING = "-remaining"


def retry_at(headers: Mapping[str, object], now: float, *, refused: bool = True) -> float | None:
    """The epoch time (seconds) from which a retry may succeed, or None when no header says.

    ``headers`` is the answer's header mapping (a dict, ``requests``' or ``httpx``' headers);
    ``now`` is the current epoch time in seconds, which relative forms are counted from.

    When several headers announce a time, the latest wins: every limit that refused must have
    reset. A time in the past gives ``now`` (the wait is over), never an earlier time.

    ``refused`` says the answer was a refusal (429): then a limit without a readable remaining
    count is taken as used up. Pass ``refused=False`` to read an accepted answer's headers ahead
    of the next request: only limits whose remaining count is ``0`` give a time then, and
    ``Retry-After`` still counts.
    """
    lower = {str(name).strip().lower(): str(value).strip() for name, value in headers.items()}
    times: list[float] = []
    retry_after = lower.get("retry-after")
    if retry_after:
        times.extend(_retry_after(retry_after, now))
    for name, value in lower.items():
        if not name.endswith(_RESET) or "limit" not in name:
            continue
        remaining = _count(lower.get(name[: -len(_RESET)] + _REMAINING))
        used_up = remaining == 0 or (remaining is None and refused)
        if used_up:
            times.extend(_reset(value, now))
    if not times:
        return None
    return max(now, *times)


def _retry_after(value: str, now: float) -> list[float]:
    """``Retry-After``: delta seconds or an HTTP date; [] when it is neither."""
    if _NUMBER.fullmatch(value):
        return [now + float(value)]
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return []
    return [_epoch(moment)]


def _reset(value: str, now: float) -> list[float]:
    """A ``-reset`` value: epoch seconds, seconds from now, or ISO 8601; [] when none of them."""
    if _NUMBER.fullmatch(value):
        number = float(value)
        return [number if number >= EPOCH_FLOOR else now + number]
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return []
    return [_epoch(moment)]


def _epoch(moment: dt.datetime) -> float:
    """Epoch seconds of a datetime; one without an offset is UTC (RFC 5322's ``-0000``)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()


def _count(value: str | None) -> int | None:
    """A ``-remaining`` count, or None when it is absent or not a whole number."""
    if value is None or not value.isascii() or not value.isdigit():
        return None
    return int(value)
