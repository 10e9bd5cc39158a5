"""The renderers: one report object, read by the text, JSON and Markdown renderers alike."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from publisher import render_json, render_text
from publisher.attention import Stuck
from publisher.errors import Problem
from publisher.reports import (
    CheckedFile,
    CheckReport,
    DigestDryRun,
    DryRunEntry,
    DryRunThread,
    EnqueueOutcome,
    PreviewWritten,
    QueuedThread,
    RunOutcome,
    ShownPost,
    StatusChange,
    StatusChanges,
    StatusReport,
    StatusRow,
)
from publisher.runner import Plan, Planned, RunReport, SentPost, Waiting
from publisher.store.model import LoadedItem, PostRecord, QueueItem
from publisher.summary import markdown
from publisher.timefmt import LocalTimes

SEOUL = ZoneInfo("Asia/Seoul")
NOW = dt.datetime(2025, 5, 20, 9, 0, tzinfo=SEOUL)
TIMES = LocalTimes(SEOUL, NOW)
LATER = NOW + dt.timedelta(hours=3)
STUCK = Stuck("b.bluesky", "held", "waiting for a fix", "publisher release b.bluesky")
PROBLEM = Problem("queue/c.x.md", 4, "status: 'lost' is not a status")


def _item(posts: list[str], done: int = 0) -> QueueItem:
    item = QueueItem(
        id="a", platform="x", title="A paper", not_before=NOW, created=NOW, posts=posts
    )
    item.posted = [PostRecord(post=n, id=str(n), url=f"u{n}", at=NOW) for n in range(1, done + 1)]
    return item


def _post(text: str, count: int) -> ShownPost:
    return ShownPost({"text": text}, count, 280, "plain $0.015", {"price_class": "plain"})


def _dry_run() -> RunOutcome:
    item = _item(["one", "two", "three"], done=1)
    planned = Planned(LoadedItem(item, Path("queue/a.x.md"), []), [{"text": "two"}], [3])
    plan = Plan(
        due=[planned],
        waiting=[Waiting(_item(["later"]), LATER, "the next slot")],
        problems=[PROBLEM],
        stuck=[STUCK],
        spend="x spend this month: $0.00",
    )
    return RunOutcome(RunReport(plan), True, TIMES, NOW, [[_post("two", 3)]])


def _real_run() -> RunOutcome:
    report = RunReport(
        Plan(stuck=[STUCK]),
        sent=[SentPost("a.x", "A paper", "x", 1, 2, "one", "https://example.invalid/1")],
        failed=[("d.x", "refused: duplicate")],
        deferred=[("e.bluesky", LATER, "429, rate limited")],
        halted=[("bluesky", "unreachable")],
    )
    return RunOutcome(report, False, TIMES, NOW)


class TestRunRenderers:
    """The scheduled run and its dry run, from a RunOutcome."""

    def test_dry_run_text(self) -> None:
        """Header, spend, the due thread numbered from where it stands, what is next, stuck."""
        lines = "\n".join(render_text.lines(_dry_run())).splitlines()
        assert lines[0] == (
            "Dry run at 2025-05-20 09:00 (times in Asia/Seoul, UTC+09:00): "
            "nothing is sent, nothing is written."
        )
        assert lines[1] == "x spend this month: $0.00"
        assert "━━ due 2025-05-20 09:00  a.x  (queue/a.x.md)" in lines
        assert "── x 2/3  3/280  plain $0.015" in lines
        assert lines[lines.index("Next:") + 1] == "  2025-05-20 12:00  a.x  (the next slot)"
        assert lines[-2:] == [
            "Held or failed (1), not posted until someone acts:",
            "  b.bluesky  held: waiting for a fix; to let it go: publisher release b.bluesky",
        ]
        assert render_text.problems(_dry_run()) == [str(PROBLEM)]

    def test_dry_run_json(self) -> None:
        """The same run as data: each post with its count, limit and price, times in ISO 8601."""
        data = json.loads(render_json.dumps(_dry_run()))
        assert data["now"] == "2025-05-20T09:00:00+09:00"
        assert data["due"] == [
            {
                "id": "a",
                "platform": "x",
                "file": "queue/a.x.md",
                "first_post": 2,
                "posts": [{"text": "two", "count": 3, "limit": 280, "price_class": "plain"}],
            }
        ]
        assert data["next"][0]["when"] == "2025-05-20T12:00:00+09:00"
        assert data["held_or_failed"] == [vars(STUCK)]
        assert data["problems"] == [str(PROBLEM)]

    def test_dry_run_markdown(self) -> None:
        """The same posts in the summary's table, with the same counts."""
        text = markdown(_dry_run())
        assert text.startswith("## publisher: dry run\n\nAll times in Asia/Seoul, UTC+09:00.\n")
        assert "| `a.x` | 2/3 | 3/280 | two |" in text
        assert "| 2025-05-20 12:00 | `a.x` | the next slot |" in text
        assert "| `b.bluesky` | held | waiting for a fix | `publisher release b.bluesky` |" in text

    def test_real_run_text_and_problems(self) -> None:
        """What was posted and deferred on stdout; what failed or stopped on stderr."""
        outcome = _real_run()
        lines = render_text.lines(outcome)
        assert lines[:3] == [
            "posted a.x 1/2  https://example.invalid/1",
            "times in Asia/Seoul, UTC+09:00",
            "deferred e.bluesky until 2025-05-20 12:00: 429, rate limited",
        ]
        assert render_text.problems(outcome) == [
            "failed d.x: refused: duplicate",
            "stopped bluesky: unreachable; its threads stay pending",
        ]
        assert outcome.exit_code == 1

    def test_real_run_json_and_markdown_agree(self) -> None:
        """Every post, failure and deferral of the report is in both."""
        outcome = _real_run()
        data = render_json.data(outcome)
        text = markdown(outcome)
        assert data["posted"][0]["url"] == "https://example.invalid/1"
        assert "[https://example.invalid/1](https://example.invalid/1)" in text
        assert data["failed"] == [{"id": "d.x", "reason": "refused: duplicate"}]
        assert "- `d.x`: refused: duplicate" in text
        assert data["deferred"][0]["until"] == "2025-05-20T12:00:00+09:00"
        assert "- `e.bluesky` until 2025-05-20 12:00: 429, rate limited" in text
        assert data["stopped"] == [{"platform": "bluesky", "reason": "unreachable"}]

    def test_nothing_due(self) -> None:
        """An empty run says so in each form."""
        outcome = RunOutcome(RunReport(Plan()), False, TIMES, NOW)
        assert render_text.lines(outcome) == ["nothing was due"]
        assert "Nothing was posted." in markdown(outcome)
        dry = RunOutcome(RunReport(Plan()), True, TIMES, NOW)
        assert "Nothing is due now." in render_text.lines(dry)
        assert render_json.data(dry)["due"] == []


class TestQueueRenderers:
    """status, enqueue, hold/release/retry and check."""

    def test_status_text_and_json(self) -> None:
        """One row per thread in both; the text aligns columns and totals the statuses."""
        report = StatusReport(
            TIMES,
            rows=[
                StatusRow("a-long-entry-id", "x", "pending", NOW, 3, 1),
                StatusRow("b", "bluesky", "held", LATER, 2, 0, "waiting\nfor a fix"),
            ],
            stuck=[STUCK],
            problems=[PROBLEM],
        )
        lines = render_text.lines(report)
        assert lines[1].startswith("ID               PLATFORM  STATUS    DUE ")
        assert lines[2] == "a-long-entry-id  x         pending   2025-05-20 09:00  1/3"
        assert (
            lines[3]
            == "b                bluesky   held      2025-05-20 12:00  0/2  waiting\\nfor a fix"
        )
        assert lines[4] == "2 threads, 1 held, 1 pending; 1 unreadable"
        data = render_json.data(report)
        assert [i["id"] for i in data["items"]] == ["a-long-entry-id", "b"]
        assert data["items"][1]["due"] == "2025-05-20T12:00:00+09:00"
        assert render_text.problems(report) == [str(PROBLEM)]

    def test_enqueue_text_and_markdown(self) -> None:
        """The threads queued, skipped and noted appear in the text and in the summary."""
        outcome = EnqueueOutcome(
            TIMES,
            added=[QueuedThread("a.x", "queue/a.x.md", 3, LATER)],
            skipped=[("b.x", "already queued")],
            notes=["a: seen before"],
            ledger="queue/enqueued.txt",
            handled=2,
            unchanged=1,
            invalid=1,
            problems=[PROBLEM],
        )
        assert render_text.lines(outcome) == [
            "times in Asia/Seoul, UTC+09:00",
            "queued queue/a.x.md  3 posts  not before 2025-05-20 12:00",
            "skipped b.x: already queued",
            "note: a: seen before",
            "1 added, 1 already queued; 2 digest file(s) recorded in queue/enqueued.txt "
            "(1 unchanged, not read again), 1 invalid",
        ]
        text = markdown(outcome)
        assert "| `a.x` | 3 | 2025-05-20 12:00 |" in text
        assert "Skipped 1 already queued: `b.x`" in text
        assert "- a: seen before" in text
        assert f"```\n{PROBLEM}\n```" in text

    def test_status_changes(self) -> None:
        """A change as before -> after; a no-op with its reason."""
        report = StatusChanges(
            [
                StatusChange("queue/a.x.md", "pending", "held"),
                StatusChange("queue/b.x.md", "held", "held", "already held"),
            ]
        )
        assert render_text.lines(report) == [
            "queue/a.x.md: pending -> held",
            "queue/b.x.md: held, unchanged: already held",
        ]

    def test_preview_written(self) -> None:
        """The page written and how many problems it shows; each problem on stderr."""
        report = PreviewWritten("preview.html", 6, [PROBLEM])
        assert render_text.lines(report) == ["wrote preview.html: 6 threads, 1 problems"]
        assert render_text.problems(report) == [str(PROBLEM)]

    def test_check(self) -> None:
        """Good files with date and entries, bad ones with their number of problems."""
        report = CheckReport(
            [CheckedFile("d.txt", dt.date(2025, 5, 20), 4), CheckedFile("bad.txt", problems=1)]
        )
        assert render_text.lines(report) == [
            "d.txt: 2025-05-20, 4 entries",
            "bad.txt: invalid, 1 problem",
        ]


class TestDigestDryRun:
    """``publisher --dry-run DIGEST``, from its report."""

    def _report(self) -> DigestDryRun:
        card = {
            "uri": "https://arxiv.org/abs/1",
            "title": "A paper",
            "description": "",
            "thumb": None,
        }
        return DigestDryRun(
            entries=[
                DryRunEntry(
                    "a",
                    "A paper",
                    card,
                    [
                        DryRunThread("a", "x", [_post("one", 3)], "", {"link_policy": "id"}),
                        DryRunThread(
                            "a-2025-05-20",
                            "bluesky",
                            [ShownPost({"text": "eins"}, 4, 300)],
                            "seen before, posted 2025-05-01: a revisit",
                            {"card": card},
                        ),
                    ],
                    card_on="bluesky",
                )
            ],
            policies=["x link policy: the id"],
            totals=["x: 1 posts (0 with a URL), $0.02", "bluesky: 1 posts"],
        )

    def test_text(self) -> None:
        """Link policy, the entry with its card, each thread (a revisit said so), totals."""
        lines = "\n".join(render_text.lines(self._report())).splitlines()
        assert lines[:2] == ["x link policy: the id", ""]
        assert lines[2:4] == ["━━ A paper", "   id a"]
        assert "   bluesky link card: https://arxiv.org/abs/1" in lines
        assert "     description: (none)" in lines and "     thumb: none" in lines
        assert "── x 1/1  3/280  plain $0.015" in lines
        assert "   bluesky: seen before, posted 2025-05-01: a revisit" in lines
        assert "── bluesky 1/1  4/300" in lines
        assert lines[-2:] == ["x: 1 posts (0 with a URL), $0.02", "bluesky: 1 posts"]

    def test_json(self) -> None:
        """One object per thread, under the thread's own id, posts without counts."""
        data = render_json.data(self._report())
        assert [(t["entry_id"], t["platform"]) for t in data] == [
            ("a", "x"),
            ("a-2025-05-20", "bluesky"),
        ]
        assert data[0]["posts"] == [{"text": "one", "price_class": "plain"}]
        assert data[0]["link_policy"] == "id"
        assert data[1]["card"]["uri"] == "https://arxiv.org/abs/1"


class TestUnknownReport:
    """A report type no renderer knows is a programming error, said plainly."""

    @pytest.mark.parametrize("render", [render_text.lines, render_json.data, markdown])
    def test_raises_type_error(self, render: object) -> None:
        with pytest.raises(TypeError, match=r"no .* renderer for object"):
            render(object())  # type: ignore[operator]
