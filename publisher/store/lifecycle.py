"""A thread's states and the moves between them: the one place that changes a queue item's
status, its ``reason``, its ``sending`` mark and, on a deferral or a retry, its ``not_before``.

The scheduled job (``runner.py``) makes the first seven moves; people make the last three
through ``publisher hold``, ``release`` and ``retry``::

    move      from                        to
    send      pending, posting            posting   (the post about to go out marked ``sending``)
    record    posting                     posting   (that post confirmed and recorded; unmarked)
    finish    pending, posting            posted    (every post recorded)
    fail      posting                     failed    (the platform refused for good)
    defer     posting                     pending, or posting once a post is made or may be
    postpone  pending                     pending   (not begun, later: the month's budget is spent)
    refuse    pending                     failed    (not begun, can never go out as it is: it
                                                     costs more than the whole monthly budget)
    hold      pending, posting, failed    held
    release   held                        pending, or posting once a post is made
    retry     failed, deferred            pending, or posting once a post is made

``ALLOWED`` is this table's "from" column; every move checks it and raises
``TransitionRefused`` otherwise. A deferred thread is a pending or posting one with a
``reason`` (why the last run left it): ``common.is_deferred``, a derived property, not a state.
``hold``, ``release`` and ``retry`` on a thread already in the state asked for change nothing and
return a note saying so.

Standard library only: it stands below the queue files, whose model (``model.QueueItem``)
takes ``Status`` from ``common`` as this module does, and is what the moves are made on (a
``Thread`` here).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from enum import StrEnum
from typing import Any, Protocol

from publisher.errors import TransitionRefused
from publisher.store.common import OPEN, Status, is_deferred

__all__ = [
    "ALLOWED",
    "BY_HAND",
    "Move",
    "Status",
    "defer",
    "fail",
    "finish",
    "hold",
    "postpone",
    "record_post",
    "refuse",
    "release",
    "restore_mark",
    "restore_records",
    "retry",
    "start_sending",
]


class Thread(Protocol):
    """What the moves read and change of a queued thread (``model.QueueItem``)."""

    status: Status
    reason: str | None
    sending: int | None
    sending_at: dt.datetime | None
    not_before: dt.datetime
    posted: list[Any]  # its PostRecords, one per post made
    posts: list[str]

    @property
    def key(self) -> str: ...

    @property
    def next_index(self) -> int: ...


class Move(StrEnum):
    """A change of state: a row of the table above."""

    SEND = "send"
    RECORD = "record"
    FINISH = "finish"
    FAIL = "fail"
    DEFER = "defer"
    POSTPONE = "postpone"
    REFUSE = "refuse"
    HOLD = "hold"
    RELEASE = "release"
    RETRY = "retry"


# The states each move may start from (the table in the module docstring).
ALLOWED: dict[Move, frozenset[Status]] = {
    Move.SEND: OPEN,
    Move.RECORD: frozenset({Status.POSTING}),
    # From pending too: a file whose last post was recorded, then set back to pending by hand.
    Move.FINISH: OPEN,
    Move.FAIL: frozenset({Status.POSTING}),
    Move.DEFER: frozenset({Status.POSTING}),
    Move.POSTPONE: frozenset({Status.PENDING}),
    Move.REFUSE: frozenset({Status.PENDING}),
    Move.HOLD: frozenset({Status.PENDING, Status.POSTING, Status.FAILED}),
    Move.RELEASE: frozenset({Status.HELD}),
    # pending and posting only when deferred (checked in ``retry``)
    Move.RETRY: frozenset({Status.FAILED, Status.PENDING, Status.POSTING}),
}


def _check(item: Thread, move: Move, why: str | None = None) -> None:
    if item.status not in ALLOWED[move]:
        starts = ", ".join(sorted(ALLOWED[move]))
        raise TransitionRefused(
            why or f"cannot {move} a thread that is {item.status} ({move} starts from {starts})"
        )


def _reopened(item: Thread) -> Status:
    """Where a thread goes back to when it may be posted again."""
    return Status.POSTING if item.posted else Status.PENDING


def _settle_mark(item: Thread, index: int, in_doubt: bool) -> None:
    """Keep the ``sending`` mark (and when it was set) only while the post's outcome is unknown,
    so that the next run looks for the post before sending it again."""
    item.sending = index + 1 if in_doubt else None
    item.sending_at = item.sending_at if in_doubt else None


# ---- the scheduled job ------------------------------------------------------------------------


def start_sending(item: Thread, index: int, at: dt.datetime) -> None:
    """Mark post ``index`` (0-based) as in flight before it is sent.

    ``at``: the real time. A mark already on this post (an earlier run did not learn the outcome)
    keeps its first time, which bounds the look-up for the post.
    """
    _check(item, Move.SEND)
    if index != item.next_index:
        raise TransitionRefused(
            f"cannot send post {index + 1} of {item.key}: post {item.next_index + 1} comes next"
        )
    if item.sending != index + 1 or item.sending_at is None:
        item.sending_at = at
    item.status = Status.POSTING
    item.sending = index + 1
    item.reason = None


def record_post(item: Thread, record: Any) -> None:
    """The post in flight is confirmed: record it and clear the mark."""
    _check(item, Move.RECORD)
    if record.post != item.next_index + 1:
        raise TransitionRefused(
            f"cannot record post {record.post} of {item.key}: post {item.next_index + 1} is next"
        )
    item.posted.append(record)
    item.sending = None
    item.sending_at = None


def restore_records(item: Thread, records: list[Any]) -> None:
    """The record of posts made (``queue/posts.jsonl``) says these posts were made, whatever the
    file said: they become the thread's records. A thread with every post made is posted; one
    with some made is posting (a hold or a failure a person set stays)."""
    item.posted = list(records)
    if item.sending is not None and item.sending <= len(records):
        item.sending = None
        item.sending_at = None
    if len(records) >= len(item.posts):
        item.status = Status.POSTED
        item.reason = None
    elif records and item.status == Status.PENDING:
        item.status = Status.POSTING


def restore_mark(item: Thread, post: int, at: dt.datetime) -> None:
    """The record of posts made saw post ``post`` (1-based) go out at ``at`` and no answer: put
    the in-flight mark back (an edit or a merge lost it), so that the post is looked up first."""
    open_now = item.status in (Status.PENDING, Status.POSTING)
    if open_now and post == item.next_index + 1 and item.sending is None:
        item.sending = post
        item.sending_at = at


def finish(item: Thread) -> None:
    """Every post is recorded: the thread is posted."""
    _check(item, Move.FINISH)
    if item.next_index < len(item.posts):
        raise TransitionRefused(
            f"cannot finish {item.key}: {item.next_index} of {len(item.posts)} posts recorded"
        )
    item.status = Status.POSTED


def fail(item: Thread, index: int, in_doubt: bool, reason: str) -> None:
    """The platform refused post ``index`` for good: the thread waits for a person.

    ``in_doubt``: the post may have been made after all (keep the mark for a look-up).
    """
    _check(item, Move.FAIL)
    _settle_mark(item, index, in_doubt)
    item.status = Status.FAILED
    item.reason = reason


def defer(item: Thread, index: int, in_doubt: bool, at: dt.datetime, reason: str) -> None:
    """Stop at post ``index`` for now, not the thread's fault: due again at ``at``."""
    _check(item, Move.DEFER)
    _settle_mark(item, index, in_doubt)
    item.status = Status.POSTING if item.posted or in_doubt else Status.PENDING
    item.not_before = at
    item.reason = reason


def postpone(item: Thread, at: dt.datetime, reason: str) -> None:
    """A thread not begun waits until ``at`` (the next month, when the budget is spent), with
    why; ``publisher retry`` makes it due again, and the next run checks the budget again."""
    _check(item, Move.POSTPONE)
    if item.posted or item.sending is not None:
        raise TransitionRefused(f"cannot postpone {item.key}: it has begun")
    item.not_before = at
    item.reason = reason


def refuse(item: Thread, reason: str) -> None:
    """A thread not begun that can never go out as it is waits for a person, with why."""
    _check(item, Move.REFUSE)
    if item.posted or item.sending is not None:
        raise TransitionRefused(f"cannot refuse {item.key}: it has begun")
    item.status = Status.FAILED
    item.reason = reason


# ---- people: `publisher hold`, `release`, `retry` --------------------------------------------
# Each returns a note when the thread is already as asked (nothing changes), None when it changed.


def hold(item: Thread, now: dt.datetime) -> str | None:
    """Keep the thread back until released (``now``: unused, as every command takes it)."""
    if item.status == Status.HELD:
        return "already held"
    _check(item, Move.HOLD, "already posted: nothing to hold")
    item.status = Status.HELD
    return None


def release(item: Thread, now: dt.datetime) -> str | None:
    """Let a held thread go out at its time (``now``: unused, as every command takes it)."""
    if item.status in (Status.PENDING, Status.POSTING):
        return "not held: it already goes out at its time"
    _check(item, Move.RELEASE, f"not held (status {item.status}): nothing to release")
    item.status = _reopened(item)
    item.reason = None
    return None


def retry(item: Thread, now: dt.datetime) -> str | None:
    """Post a failed or deferred thread again at the next run (at ``now`` at the latest)."""
    if item.status in OPEN and not is_deferred(item.status, item.reason):
        if item.not_before <= now:
            return "already due: the next run posts it"
        raise TransitionRefused(
            f"status {item.status}, neither failed nor deferred: it goes out at its time "
            f"({item.not_before.isoformat()}); edit not_before to move it"
        )
    if item.status == Status.HELD:
        raise TransitionRefused("held, neither failed nor deferred: use `publisher release`")
    _check(item, Move.RETRY, "already posted: nothing to retry")
    item.status = _reopened(item)
    item.reason = None
    item.not_before = min(item.not_before, now)
    return None


# The commands people give, by name.
BY_HAND: dict[str, Callable[[Thread, dt.datetime], str | None]] = {
    "hold": hold,
    "release": release,
    "retry": retry,
}
