"""Thread states are ``Status`` everywhere: no module compares a status with a plain string, the
open states are defined once, and "deferred" is a derived property, not a state."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import publisher
from publisher import due
from publisher.store import common
from publisher.store.common import OPEN, Status, is_deferred
from publisher.store.model import QueueItem
from publisher.store.queue_merge import _STATUS_RANK

_PLAIN = re.compile(
    r"""status\s*(?:==|!=|\bin\b|\bnot in\b)\s*\(?\s*["'](?:pending|posting|posted|failed|held)"""
)


def test_no_module_compares_a_status_with_a_plain_string() -> None:
    root = Path(publisher.__file__).parent
    found = [
        f"{path.relative_to(root)}:{number}: {line.strip()}"
        for path in sorted(root.rglob("*.py"))
        if "testing" not in path.parts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _PLAIN.search(line)
    ]
    assert found == []


def test_the_pattern_catches_what_it_is_for() -> None:
    assert _PLAIN.search('if item.status in ("pending", "posting"):')
    assert _PLAIN.search("x.status != 'held'")
    assert not _PLAIN.search("if item.status in OPEN:")


def test_open_is_defined_once() -> None:
    assert {Status.PENDING, Status.POSTING} == OPEN
    assert due.OPEN_STATUSES is common.OPEN
    assert due.is_due("posting", dt.datetime(2025, 1, 1, tzinfo=dt.UTC), dt.datetime.now(dt.UTC))
    assert not due.is_due("held", dt.datetime(2025, 1, 1, tzinfo=dt.UTC), dt.datetime.now(dt.UTC))


def test_the_merge_driver_ranks_every_state() -> None:
    # queue_merge.py runs as a script and keeps its own table: it must name every state
    assert set(_STATUS_RANK) == {s.value for s in Status}


def test_deferred_is_open_with_a_reason() -> None:
    at = dt.datetime(2025, 5, 20, 9, tzinfo=dt.UTC)
    item = QueueItem(id="a", platform="x", not_before=at, created=at)
    assert not item.deferred
    item.reason = "429: try later"
    assert item.deferred
    item.status = Status.FAILED
    assert not item.deferred  # failed is its own state, not a deferral
    assert [s for s in Status if is_deferred(s, "why")] == [Status.PENDING, Status.POSTING]
    assert "deferred" not in {s.value for s in Status}
