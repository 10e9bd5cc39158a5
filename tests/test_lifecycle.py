"""A thread's states and the moves between them (publisher.store.lifecycle): the whole table."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from publisher.errors import InputError, TransitionRefused
from publisher.store import lifecycle
from publisher.store.common import Status
from publisher.store.fileformat import parse, render
from publisher.store.lifecycle import ALLOWED, BY_HAND, Move
from publisher.store.model import PostRecord, QueueItem

NOW = dt.datetime(2025, 5, 20, 9, 0, tzinfo=dt.UTC)
EARLIER = NOW - dt.timedelta(hours=2)
LATER = NOW + dt.timedelta(hours=2)
PACKAGE = Path(__file__).resolve().parent.parent / "publisher"

P, S, D, F, H = (Status.PENDING, Status.POSTING, Status.POSTED, Status.FAILED, Status.HELD)

# The specification, written out independently of the module: for every move, each state it may
# start from and the state it leads to (for a thread with no post made and none in doubt).
# Every (move, state) pair not listed here, and not a no-op in NOTES, must be refused.
EXPECTED: dict[Move, dict[Status, Status]] = {
    Move.SEND: {P: S, S: S},
    Move.RECORD: {S: S},
    Move.FINISH: {P: D, S: D},
    Move.FAIL: {S: F},
    Move.DEFER: {S: P},
    Move.POSTPONE: {P: P},
    Move.REFUSE: {P: F},
    Move.HOLD: {P: H, S: H, F: H},
    Move.RELEASE: {H: P},
    Move.RETRY: {F: P, P: P, S: P},  # pending and posting: deferred ones (a reason recorded)
}

# The commands on a thread already as asked: nothing changes, and they say so.
NOTES: dict[tuple[Move, Status], str] = {
    (Move.HOLD, H): "already held",
    (Move.RELEASE, P): "not held: it already goes out at its time",
    (Move.RELEASE, S): "not held: it already goes out at its time",
}

REFUSED = [
    (move, status)
    for move in Move
    for status in Status
    if status not in EXPECTED[move] and (move, status) not in NOTES
]


def record(number: int) -> PostRecord:
    url = f"https://example.invalid/{number}"
    return PostRecord(post=number, id=f"id-{number}", url=url, at=NOW)


def thread(status: Status, **changes: object) -> QueueItem:
    fields: dict[str, object] = {
        "id": "2025-05-20-mean-flows",
        "platform": "example",
        "status": status,
        "not_before": EARLIER,
        "created": EARLIER,
        "posts": ["first post", "second post"],
    }
    fields.update(changes)
    return QueueItem.model_validate(fields)


def setup_for(move: Move, status: Status) -> QueueItem:
    """A thread in ``status`` that ``move`` may act on when the state allows it."""
    if move is Move.FINISH:
        return thread(status, posted=[record(1), record(2)])
    if move is Move.RETRY:
        return thread(status, reason="gave up for this run: timeout")  # deferred, or failed
    if move is Move.RECORD:
        return thread(status, sending=1, sending_at=EARLIER)
    return thread(status)


MOVES: dict[Move, Callable[[QueueItem], object]] = {
    Move.SEND: lambda item: lifecycle.start_sending(item, item.next_index, NOW),
    Move.RECORD: lambda item: lifecycle.record_post(item, record(item.next_index + 1)),
    Move.FINISH: lifecycle.finish,
    Move.FAIL: lambda item: lifecycle.fail(item, 0, False, "refused"),
    Move.DEFER: lambda item: lifecycle.defer(item, 0, False, LATER, "busy"),
    Move.POSTPONE: lambda item: lifecycle.postpone(item, LATER, "monthly budget spent"),
    Move.REFUSE: lambda item: lifecycle.refuse(item, "costs more than the monthly budget"),
    Move.HOLD: lambda item: lifecycle.hold(item, NOW),
    Move.RELEASE: lambda item: lifecycle.release(item, NOW),
    Move.RETRY: lambda item: lifecycle.retry(item, NOW),
}


class TestTable:
    """Every allowed move works, every other one is refused and changes nothing."""

    def test_the_module_table_is_the_specification(self) -> None:
        assert {move: set(ALLOWED[move]) for move in Move} == {
            move: set(EXPECTED[move]) for move in Move
        }
        assert set(MOVES) == set(Move)

    @pytest.mark.parametrize(
        ("move", "start", "end"),
        [(move, start, end) for move in Move for start, end in EXPECTED[move].items()],
    )
    def test_allowed(self, move: Move, start: Status, end: Status) -> None:
        item = setup_for(move, start)
        assert MOVES[move](item) is None
        assert item.status is end

    @pytest.mark.parametrize(("move", "start"), REFUSED)
    def test_refused(self, move: Move, start: Status) -> None:
        item = setup_for(move, start)
        before = item.model_dump()
        with pytest.raises(TransitionRefused):
            MOVES[move](item)
        assert item.model_dump() == before

    @pytest.mark.parametrize(("move", "start"), list(NOTES))
    def test_already_so(self, move: Move, start: Status) -> None:
        item = setup_for(move, start)
        before = item.model_dump()
        assert MOVES[move](item) == NOTES[move, start]
        assert item.model_dump() == before


class TestStatusOnDisk:
    """The enum's values are the words queue files hold; old files load and render unchanged."""

    def test_values(self) -> None:
        assert [s.value for s in Status] == ["pending", "posting", "posted", "failed", "held"]
        assert all(f"{s}" == s.value and s == s.value for s in Status)

    # As the version before the enum wrote it: a thread with a post made and one in doubt.
    OLD_FILE = (
        "---\n"
        "id: 2025-05-20-mean-flows\n"
        "platform: example\n"
        "title: Mean Flows\n"
        "source: examples/digest-2025-05-20.txt:2\n"
        "status: posting\n"
        "not_before: '2025-05-20T09:00:00+09:00'\n"
        "created: '2025-05-20T08:00:00+09:00'\n"
        "reason: 'gave up for this run: timeout'\n"
        "sending: 2\n"
        "sending_at: '2025-05-20T00:01:00Z'\n"
        "posted:\n"
        '- {"post": 1, "id": "id-1", "url": "https://example.invalid/1", "uri": null, '
        '"cid": null, "at": "2025-05-20T00:00:00Z", "sha": "abc"}\n'
        "---\n"
        "\n---- post 1 ----\nfirst post\n"
        "\n---- post 2 ----\nsecond post\n"
    )

    @pytest.mark.parametrize("status", [s.value for s in Status])
    def test_an_old_file_loads_and_renders_byte_identically(self, status: str) -> None:
        text = self.OLD_FILE.replace("status: posting", f"status: {status}")
        loaded = parse(text, Path("q.md"))
        assert loaded.item.status is Status(status)
        assert render(loaded.item) == text
        assert loaded.item.model_dump(mode="json")["status"] == status

    def test_an_unknown_status_is_refused_at_its_line(self) -> None:
        text = self.OLD_FILE.replace("status: posting", "status: paused")
        with pytest.raises(InputError) as caught:
            parse(text, Path("q.md"))
        (problem,) = caught.value.problems
        assert problem.line == 6
        for word in ("pending", "posting", "posted", "failed", "held"):
            assert repr(word) in problem.message


class TestSending:
    """The scheduled job's moves keep the `sending` mark exactly while a post is in doubt."""

    def test_start_marks_the_post_and_clears_the_reason(self) -> None:
        item = thread(P, reason="busy")
        lifecycle.start_sending(item, 0, NOW)
        assert (item.status, item.sending, item.sending_at, item.reason) == (S, 1, NOW, None)

    def test_a_post_marked_before_keeps_its_first_time(self) -> None:
        """The look-up after an unknown outcome searches from when the post was first sent."""
        item = thread(S, sending=1, sending_at=EARLIER)
        lifecycle.start_sending(item, 0, NOW)
        assert (item.sending, item.sending_at) == (1, EARLIER)

    def test_a_mark_on_another_post_is_replaced(self) -> None:
        item = thread(S, posted=[record(1)], sending=1, sending_at=EARLIER)
        lifecycle.start_sending(item, 1, NOW)
        assert (item.sending, item.sending_at) == (2, NOW)

    def test_only_the_next_post_is_sent(self) -> None:
        item = thread(P)
        with pytest.raises(TransitionRefused, match="post 1 comes next"):
            lifecycle.start_sending(item, 1, NOW)

    def test_record_appends_and_clears_the_mark(self) -> None:
        item = thread(S, sending=1, sending_at=EARLIER)
        lifecycle.record_post(item, record(1))
        assert (item.sending, item.sending_at, item.status) == (None, None, S)
        assert [r.id for r in item.posted] == ["id-1"]

    def test_record_refuses_a_post_out_of_order(self) -> None:
        item = thread(S, sending=1, sending_at=EARLIER)
        with pytest.raises(TransitionRefused, match="post 1 is next"):
            lifecycle.record_post(item, record(2))
        assert item.posted == []

    def test_finish_refuses_a_thread_with_posts_left(self) -> None:
        item = thread(S, posted=[record(1)])
        with pytest.raises(TransitionRefused, match="1 of 2 posts recorded"):
            lifecycle.finish(item)
        assert item.status is S

    @pytest.mark.parametrize("in_doubt", [True, False])
    def test_fail_keeps_the_mark_only_in_doubt(self, in_doubt: bool) -> None:
        item = thread(S, posted=[record(1)], sending=2, sending_at=EARLIER)
        lifecycle.fail(item, 1, in_doubt, "post 2 of 2: refused")
        assert (item.status, item.reason) == (F, "post 2 of 2: refused")
        expected = (2, EARLIER) if in_doubt else (None, None)
        assert (item.sending, item.sending_at) == expected
        assert item.not_before == EARLIER  # a failed thread keeps its time

    @pytest.mark.parametrize(
        ("posted", "in_doubt", "status"),
        [(0, False, P), (0, True, S), (1, False, S), (1, True, S)],
    )
    def test_defer(self, posted: int, in_doubt: bool, status: Status) -> None:
        """Back to pending only when nothing is made and nothing may be."""
        item = thread(S, posted=[record(1)][:posted], sending=posted + 1, sending_at=EARLIER)
        lifecycle.defer(item, posted, in_doubt, LATER, "rate limited")
        assert (item.status, item.not_before, item.reason) == (status, LATER, "rate limited")
        expected = (posted + 1, EARLIER) if in_doubt else (None, None)
        assert (item.sending, item.sending_at) == expected


class TestCommands:
    """hold, release and retry: what people see, word for word (the CLI adds FILE:LINE)."""

    def test_the_commands(self) -> None:
        expected = {"hold": lifecycle.hold, "release": lifecycle.release, "retry": lifecycle.retry}
        assert expected == BY_HAND

    @pytest.mark.parametrize(("command", "status"), [("release", S), ("retry", F)])
    def test_a_thread_with_posts_made_goes_back_to_posting(
        self, command: str, status: Status
    ) -> None:
        item = thread(H if command == "release" else status, posted=[record(1)], reason="why")
        assert BY_HAND[command](item, NOW) is None
        assert (item.status, item.reason) == (S, None)

    def test_hold_keeps_the_reason_and_the_mark(self) -> None:
        item = thread(S, reason="busy", sending=1, sending_at=EARLIER)
        lifecycle.hold(item, NOW)
        assert (item.status, item.reason, item.sending, item.sending_at) == (H, "busy", 1, EARLIER)

    @pytest.mark.parametrize(("not_before", "after"), [(LATER, NOW), (EARLIER, EARLIER)])
    def test_retry_makes_it_due_now_at_the_latest(
        self, not_before: dt.datetime, after: dt.datetime
    ) -> None:
        item = thread(F, reason="refused", not_before=not_before)
        lifecycle.retry(item, NOW)
        assert item.not_before == after

    def test_retry_of_a_due_thread_neither_failed_nor_deferred_is_a_note(self) -> None:
        item = thread(P)
        assert lifecycle.retry(item, NOW) == "already due: the next run posts it"
        assert (item.status, item.not_before) == (P, EARLIER)

    @pytest.mark.parametrize(
        ("command", "item", "message"),
        [
            ("hold", thread(D), "already posted: nothing to hold"),
            ("release", thread(F), "not held (status failed): nothing to release"),
            ("release", thread(D), "not held (status posted): nothing to release"),
            ("retry", thread(D), "already posted: nothing to retry"),
            ("retry", thread(H), "held, neither failed nor deferred: use `publisher release`"),
            (
                "retry",
                thread(P, not_before=LATER),
                "status pending, neither failed nor deferred: it goes out at its time "
                f"({LATER.isoformat()}); edit not_before to move it",
            ),
        ],
    )
    def test_refusals_say_why(self, command: str, item: QueueItem, message: str) -> None:
        before = item.model_dump()
        with pytest.raises(TransitionRefused) as caught:
            BY_HAND[command](item, NOW)
        assert str(caught.value) == message
        assert item.model_dump() == before


class TestOneOwner:
    """Only lifecycle.py writes a thread's status, reason, `sending` mark and (once queued) time."""

    FIELDS = "status|reason|sending|sending_at|not_before"
    WRITE = re.compile(rf"\b(?:item|thread)\.(?:{FIELDS})\s*=[^=]")

    def test_no_other_module_writes_them(self) -> None:
        writers = [
            f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}"
            for path in sorted(PACKAGE.rglob("*.py"))
            if path.name != "lifecycle.py"
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if self.WRITE.search(line)
        ]
        assert writers == []
