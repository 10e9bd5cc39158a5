"""The scheduled job over the example queue: edits, holds, retries, budgets, and the dry run.

Posting goes through ``FakeAdapter`` via ``runner.run``; the CLI is run as a subprocess in
``tmp_path`` (no ``config/publisher.toml`` there, so the defaults apply).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from publisher import runner
from publisher.config import ScheduleSettings, Settings
from publisher.digest import read_digests
from publisher.enqueue import enqueue
from publisher.errors import (
    DuplicatePost,
    PermanentError,
    RateLimited,
    TransientError,
)
from publisher.formatter import number_posts
from publisher.platforms import rules_for
from publisher.platforms.base import PostRef, Slot
from publisher.store.common import Status
from publisher.store.fileformat import read_item
from publisher.store.filequeue import FileQueue
from publisher.store.model import LoadedItem, PostRecord
from publisher.testing.clock import FakeClock
from publisher.testing.fake import FakeAdapter
from tests.conftest import EXAMPLE, one_a_slot, pin_one_a_slot
from tests.publisher_cli import run_publisher

SEOUL = ZoneInfo("Asia/Seoul")
T0 = dt.datetime(2025, 5, 20, 8, 0, tzinfo=SEOUL)
D1_09 = dt.datetime(2025, 5, 20, 9, 0, tzinfo=SEOUL)
D1_12 = D1_09.replace(hour=12)
SETTINGS = Settings(schedule=ScheduleSettings(**one_a_slot()))
RULES = rules_for(SETTINGS)

MEAN = "2025-05-20-mean-flows-for-one-step-generative-modeling"
MERGE = "2025-05-20-model-merging-in-pre-training-of-large-language-models"
LOWPROB = "2025-05-20-do-not-let-low-probability-tokens-over-dominate-in-rl-for"


def seoul(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2025, 5, day, hour, minute, tzinfo=SEOUL)


@pytest.fixture(autouse=True)
def no_fsync(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process writes skip fsync (it guards against power loss, not crashes): tests run fast.

    Writes stay atomic (temporary file + ``os.replace``); test_queue and test_crash cover them.
    """
    monkeypatch.setattr(os, "fsync", lambda _fd: None)


@pytest.fixture(scope="module")
def example_queue(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example digest enqueued once at 08:00 Seoul with the default settings."""
    queue = FileQueue(tmp_path_factory.mktemp("example") / "queue")
    enqueue(queue, read_digests([EXAMPLE]), SETTINGS, RULES, T0)
    return queue.root


@pytest.fixture
def qdir(tmp_path: Path, example_queue: Path) -> Path:
    """A fresh copy of the example queue: 18 files, all pending."""
    root = tmp_path / "queue"
    shutil.copytree(example_queue, root)
    pin_one_a_slot(tmp_path)
    assert len(FileQueue(root).paths()) == 18
    return root


def fakes() -> dict[str, FakeAdapter]:
    return {"x": FakeAdapter("x"), "bluesky": FakeAdapter("bluesky")}


def run_at(
    qdir: Path,
    now: dt.datetime,
    adapters: dict[str, FakeAdapter] | None = None,
    settings: Settings = SETTINGS,
    clock: FakeClock | None = None,
) -> tuple[runner.RunReport, dict[str, FakeAdapter]]:
    adapters = adapters if adapters is not None else fakes()
    queue = FileQueue(qdir)
    with queue.lock():
        report = runner.run(
            queue,
            settings,
            rules_for(settings),
            adapter_for=lambda p: adapters[p],
            now=now,
            clock=clock or FakeClock(t=now.timestamp()),
        )
    return report, adapters


def path_of(qdir: Path, key: str) -> Path:
    """The thread's file: in the open queue, or in the archive once posted in full."""
    archived = FileQueue(qdir).find_archived(key)
    return archived if archived is not None else qdir / f"{key}.md"


def load(qdir: Path, key: str) -> LoadedItem:
    return read_item(path_of(qdir, key))


def texts(adapter: FakeAdapter, key: str) -> list[str]:
    return [p["payload"]["text"] for p in adapter.posts if p["thread_key"] == key]


def sent_keys(report: runner.RunReport) -> set[str]:
    return {s.key for s in report.sent}


def edit(path: Path, old: str, new: str) -> None:
    """What a person does: open the file, change some text, save it."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_publisher(*args, cwd=cwd)


def with_schedule(**changes: Any) -> Settings:
    return Settings(schedule=ScheduleSettings(**one_a_slot(**changes)))


UNLIMITED = with_schedule(max_threads_per_run=50, daily_posts={})


class TestPostingEdits:
    """What is in the file is what is posted; bad files are reported and skipped."""

    def test_first_run_posts_due_threads(self, qdir: Path) -> None:
        """At 09:00 the first slot's threads go out as replies, and the files record them."""
        report, ads = run_at(qdir, D1_09)
        assert report.exit_code == 0
        assert sent_keys(report) == {f"{MEAN}.x", f"{MEAN}.bluesky"}
        for platform, adapter in ads.items():
            loaded = load(qdir, f"{MEAN}.{platform}")
            sent = number_posts(loaded.item.posts, SETTINGS.format)
            assert texts(adapter, f"{MEAN}.{platform}") == sent
            assert [t.rsplit("\n", 1)[1] for t in sent] == ["1/3", "2/3", "3/3"]
            assert not any(p.endswith("/3") for p in loaded.item.posts)  # not stored
            parents = [p["parent"] for p in adapter.posts]
            assert parents == [None, *[p["id"] for p in adapter.posts[:-1]]]
            assert loaded.item.status == "posted"
            assert [r.post for r in loaded.item.posted] == [1, 2, 3]
            assert loaded.item.sending is None
            assert all(r.at == D1_09 for r in loaded.item.posted)

    def test_hand_edit_is_posted(self, qdir: Path) -> None:
        """A word replaced in a post by hand is posted as edited."""
        path = path_of(qdir, f"{MEAN}.x")
        edit(path, "Very interesting.", "Truly fascinating.")
        report, ads = run_at(qdir, D1_09)
        assert report.exit_code == 0
        posted = texts(ads["x"], f"{MEAN}.x")
        assert len(posted) == 3
        assert "Truly fascinating." in posted[2]
        assert not any("Very interesting." in t for t in posted)
        assert any("Very interesting." in t for t in texts(ads["bluesky"], f"{MEAN}.bluesky"))

    def test_over_limit_edit_refused(self, qdir: Path) -> None:
        """X post 2 pushed past 280 is refused at its file and line; the others still post."""
        path = path_of(qdir, f"{MEAN}.x")
        loaded = load(qdir, f"{MEAN}.x")
        second = loaded.item.posts[1]
        edit(path, second, second + " " + "가나다라마바사" * 20)
        before = path.read_bytes()
        report, ads = run_at(qdir, D1_12)
        assert report.exit_code == 1
        (problem,) = report.plan.problems
        assert problem.path == str(path)
        assert problem.line == loaded.post_lines[1]
        assert path.read_text().splitlines()[problem.line - 2] == "---- post 2 ----"
        assert problem.message.startswith("post 2:")
        assert texts(ads["x"], f"{MEAN}.x") == []
        assert path.read_bytes() == before
        # The next X thread takes its place; Bluesky is not held back.
        assert sent_keys(report) == {f"{MERGE}.x", f"{MEAN}.bluesky", f"{MERGE}.bluesky"}

    def test_broken_files_skipped(self, qdir: Path) -> None:
        """Broken front matter and a missing separator are reported with path:line; others post."""
        yaml_path = path_of(qdir, f"{MEAN}.x")
        sep_path = path_of(qdir, f"{MEAN}.bluesky")
        edit(yaml_path, "status: pending", "status: pending: yes")
        edit(sep_path, "---- post 1 ----\n", "")
        status_line = yaml_path.read_text().splitlines().index("status: pending: yes") + 1
        report, ads = run_at(qdir, D1_12)
        assert report.exit_code == 1
        by_path = {p.path: p for p in report.plan.problems}
        assert by_path[str(yaml_path)].line == status_line
        assert by_path[str(sep_path)].line is not None
        assert sent_keys(report) == {f"{MERGE}.x", f"{MERGE}.bluesky"}
        assert texts(ads["x"], f"{MEAN}.x") == []

    def test_posted_thread_never_reposted(self, qdir: Path) -> None:
        """Editing a posted thread, even setting it back to pending and moving it back out of
        the archive, posts nothing again: it goes back to the archive, posted."""
        run_at(qdir, D1_09)
        path = path_of(qdir, f"{MEAN}.x")
        assert path.parent == qdir / "archive" / "2025-05"
        edit(path, "Very interesting.", "Edited after posting.")
        edit(path, "status: posted", "status: pending")
        path.rename(qdir / path.name)
        report, ads = run_at(qdir, seoul(25, 9), settings=UNLIMITED)
        assert texts(ads["x"], f"{MEAN}.x") == []
        assert f"{MEAN}.x" not in sent_keys(report)
        assert load(qdir, f"{MEAN}.x").item.status == "posted"
        assert len(load(qdir, f"{MEAN}.x").item.posted) == 3

    def test_edit_of_posted_post_in_partial_thread(self, qdir: Path) -> None:
        """In a half-posted thread, an edit to a post already made is not sent; the rest is."""
        queue = FileQueue(qdir)
        item = load(qdir, f"{MEAN}.x").item
        item.status = "posting"
        item.posted = [PostRecord(post=1, id="900", url="https://x.invalid/900", at=D1_09)]
        queue.save(item)
        edit(path_of(qdir, f"{MEAN}.x"), "Mean Flows for One-step", "EDITED Mean Flows")
        report, ads = run_at(qdir, D1_09 + dt.timedelta(minutes=5))
        posted = ads["x"].posts
        assert [p["index"] for p in posted] == [1, 2]
        assert posted[0]["parent"] == "900" and posted[0]["root"] == "900"
        assert not any("EDITED" in t for t in texts(ads["x"], f"{MEAN}.x"))
        assert load(qdir, f"{MEAN}.x").item.status == "posted"
        assert report.exit_code == 0

    def test_deleted_file_dropped(self, qdir: Path) -> None:
        """A deleted queue file is simply no longer in the queue."""
        path_of(qdir, f"{MEAN}.x").unlink()
        report, ads = run_at(qdir, seoul(25, 9), settings=UNLIMITED)
        assert texts(ads["x"], f"{MEAN}.x") == []
        assert len(report.sent) > 0
        assert len(sent_keys(report)) == 17
        assert not path_of(qdir, f"{MEAN}.x").exists()


class TestHoldRelease:
    """A held thread is skipped until it is released, by command or by editing the file."""

    def test_cli_hold_then_release(self, qdir: Path) -> None:
        """``publisher hold KEY`` keeps it back; ``release`` lets it go at the next run."""
        cwd = qdir.parent
        done = cli(cwd, "hold", f"{MEAN}.x", "--queue", "queue")
        assert done.returncode == 0, done.stderr
        assert "pending -> held" in done.stdout
        report, ads = run_at(qdir, D1_09)
        assert sent_keys(report) == {f"{MEAN}.bluesky"}
        assert load(qdir, f"{MEAN}.x").item.status == "held"
        done = cli(cwd, "release", f"{MEAN}.x", "--queue", "queue")
        assert done.returncode == 0, done.stderr
        assert "held -> pending" in done.stdout
        report, ads = run_at(qdir, D1_09 + dt.timedelta(minutes=10))
        assert sent_keys(report) == {f"{MEAN}.x"}
        assert len(ads["x"].posts) == 3

    def test_cli_hold_entry_id_holds_all_platforms(self, qdir: Path) -> None:
        """An entry id without platform holds both of its threads."""
        done = cli(qdir.parent, "hold", MEAN, "--queue", "queue")
        assert done.returncode == 0, done.stderr
        assert {load(qdir, f"{MEAN}.{p}").item.status for p in ("x", "bluesky")} == {"held"}
        report, _ = run_at(qdir, D1_09)
        assert report.sent == []

    def test_hand_edit_hold(self, qdir: Path) -> None:
        """``status: held`` typed into the file holds it; ``status: pending`` releases it."""
        path = path_of(qdir, f"{MEAN}.x")
        edit(path, "status: pending", "status: held")
        report, _ = run_at(qdir, D1_09)
        assert sent_keys(report) == {f"{MEAN}.bluesky"}
        edit(path, "status: held", "status: pending")
        report, _ = run_at(qdir, D1_09 + dt.timedelta(minutes=1))
        assert sent_keys(report) == {f"{MEAN}.x"}

    def test_cli_refusals(self, qdir: Path) -> None:
        """Unknown ids, holding a posted thread and retrying a posted one exit 2."""
        run_at(qdir, D1_09)
        cwd = qdir.parent
        before = snapshot(qdir)
        for args in (
            ("hold", "no-such-entry"),
            ("hold", f"{MEAN}.x"),
            ("retry", f"{MEAN}.bluesky"),
        ):
            done = cli(cwd, *args, "--queue", "queue")
            assert done.returncode == 2, (args, done.stdout, done.stderr)
            assert done.stderr.strip()
        assert {k: v[0] for k, v in snapshot(qdir).items()} == {k: v[0] for k, v in before.items()}


class RaiseAt(FakeAdapter):
    """A fake whose ``post`` raises ``errors[index]`` (once) for that post of any thread."""

    def __init__(self, platform: str, errors: dict[int, Exception]) -> None:
        super().__init__(platform)
        self.errors = errors

    def post(self, payload: dict[str, Any], slot: Slot) -> PostRef:
        error = self.errors.pop(slot.index, None)
        if error is not None:
            raise error
        return super().post(payload, slot)


class LosesResponse(FakeAdapter):
    """A fake that makes post ``index`` and then fails as if the response had been lost."""

    def __init__(self, platform: str, index: int, error: BaseException) -> None:
        super().__init__(platform)
        self.lose = {index: error}
        self.find_calls: list[int] = []

    def post(self, payload: dict[str, Any], slot: Slot) -> PostRef:
        ref = super().post(payload, slot)
        error = self.lose.pop(slot.index, None)
        if error is not None:
            raise error
        return ref

    def find(self, payload: dict[str, Any], slot: Slot) -> PostRef | None:
        self.find_calls.append(slot.index)
        return super().find(payload, slot)


class TestRetryAndDefer:
    """Platform errors through the runner: retry, defer, fail, and never post twice."""

    def test_transient_then_success(self, qdir: Path) -> None:
        """A transient error is retried after a wait, and the post is made once."""
        ads = fakes()
        ads["x"].fail = [TransientError("503", status=503)]
        clock = FakeClock(t=D1_09.timestamp())
        report, _ = run_at(qdir, D1_09, ads, clock=clock)
        assert report.exit_code == 0
        assert len(clock.waits) == 1
        assert len(texts(ads["x"], f"{MEAN}.x")) == 3
        assert load(qdir, f"{MEAN}.x").item.status == "posted"

    def test_unknown_outcome_is_looked_up(self, qdir: Path) -> None:
        """A timeout after the post was made is followed by ``find``, not by a second post."""
        adapter = LosesResponse("x", 1, TransientError("timeout", outcome_unknown=True))
        ads = {"x": adapter, "bluesky": FakeAdapter("bluesky")}
        report, _ = run_at(qdir, D1_09, ads)
        assert adapter.find_calls == [1]
        assert [p["index"] for p in adapter.posts] == [0, 1, 2]
        item = load(qdir, f"{MEAN}.x").item
        assert [r.id for r in item.posted] == ["1", "2", "3"]
        assert report.exit_code == 0

    def test_unknown_outcome_gives_up_keeps_sending(self, qdir: Path) -> None:
        """Timeouts on every attempt leave ``sending: 1``; the next run looks before posting."""
        ads = fakes()
        attempts = SETTINGS.retry.max_attempts
        ads["x"].fail = [TransientError("timeout", outcome_unknown=True) for _ in range(attempts)]
        report, _ = run_at(qdir, D1_09, ads)
        assert report.exit_code == 0
        item = load(qdir, f"{MEAN}.x").item
        assert (item.status, item.sending, item.posted) == ("posting", 1, [])
        adapter = LosesResponse("x", -1, KeyboardInterrupt())  # never loses anything
        ads = {"x": adapter, "bluesky": FakeAdapter("bluesky")}
        report, _ = run_at(qdir, item.not_before, ads)
        assert adapter.find_calls == [0]
        assert [p["index"] for p in adapter.posts] == [0, 1, 2]
        assert load(qdir, f"{MEAN}.x").item.status == "posted"

    def test_rate_limited_past_budget_defers(self, qdir: Path) -> None:
        """A 429 resetting in an hour (past the 300 s budget) moves not_before to the reset."""
        ads = fakes()
        reset = D1_09 + dt.timedelta(hours=1)
        ads["x"].fail = [RateLimited("429", status=429, reset_at=reset.timestamp())]
        report, _ = run_at(qdir, D1_09, ads)
        assert report.exit_code == 0
        assert report.failed == []
        item = load(qdir, f"{MEAN}.x").item
        assert item.status == "pending"
        assert item.not_before == reset
        assert item.posted == [] and item.sending is None
        assert item.reason and "429" in item.reason
        assert report.deferred[0][:2] == (f"{MEAN}.x", reset)
        assert sent_keys(report) == {f"{MEAN}.bluesky"}
        # Not due before the reset, due after it.
        report, ads = run_at(qdir, reset - dt.timedelta(minutes=1))
        assert f"{MEAN}.x" not in sent_keys(report)
        report, ads = run_at(qdir, reset)
        assert f"{MEAN}.x" in sent_keys(report)
        assert len(texts(ads["x"], f"{MEAN}.x")) == 3

    def test_rate_limit_stops_platform_for_run(self, qdir: Path) -> None:
        """After a deferral, the platform's other due threads wait too (no hammering)."""
        ads = fakes()
        ads["x"].fail = [RateLimited("429", reset_at=D1_12.timestamp() + 3600)]
        report, _ = run_at(qdir, D1_12, ads)
        deferred = {key for key, _, _ in report.deferred}
        assert deferred == {f"{MEAN}.x", f"{MERGE}.x"}
        assert ads["x"].posts == []
        assert load(qdir, f"{MERGE}.x").item.not_before == D1_12
        assert sent_keys(report) == {f"{MEAN}.bluesky", f"{MERGE}.bluesky"}

    def test_transient_gives_up(self, qdir: Path) -> None:
        """Transient errors on every attempt defer the thread 15 minutes, status kept."""
        ads = fakes()
        ads["x"].fail = [TransientError("503", status=503) for _ in range(10)]
        report, _ = run_at(qdir, D1_09, ads)
        assert report.exit_code == 0
        item = load(qdir, f"{MEAN}.x").item
        assert item.status == "pending"
        assert item.not_before == D1_09 + runner.RETRY_LATER
        assert len(ads["x"].fail) == 10 - SETTINGS.retry.max_attempts

    def test_permanent_error_fails_and_next_posts(self, qdir: Path) -> None:
        """A permanent error marks the thread failed with its reason; the next thread posts."""
        ads = fakes()
        ads["x"].fail = [PermanentError("403 forbidden", status=403)]
        report, _ = run_at(qdir, D1_12, ads)
        assert report.exit_code == 1
        item = load(qdir, f"{MEAN}.x").item
        assert item.status == "failed"
        assert item.reason == "post 1 of 3: 403 forbidden"
        assert report.failed == [(f"{MEAN}.x", "post 1 of 3: 403 forbidden")]
        assert sent_keys(report) == {f"{MERGE}.x", f"{MEAN}.bluesky", f"{MERGE}.bluesky"}
        # A failed thread stays failed on later runs.
        report, ads = run_at(qdir, D1_12 + dt.timedelta(hours=1))
        assert texts(ads["x"], f"{MEAN}.x") == []

    def test_retry_of_failed_thread(self, qdir: Path) -> None:
        """``publisher retry`` makes a thread failed at post 2 due; it resumes at post 2."""
        adapter = RaiseAt("x", {1: PermanentError("400 bad request", status=400)})
        ads = {"x": adapter, "bluesky": FakeAdapter("bluesky")}
        report, _ = run_at(qdir, D1_09, ads)
        item = load(qdir, f"{MEAN}.x").item
        assert (item.status, len(item.posted)) == ("failed", 1)
        assert item.reason is not None and item.reason.startswith("post 2 of 3:")
        done = cli(
            qdir.parent, "retry", f"{MEAN}.x", "--queue", "queue", "--now", "2025-05-20T10:00"
        )
        assert done.returncode == 0, done.stderr
        assert "failed -> posting" in done.stdout
        item = load(qdir, f"{MEAN}.x").item
        assert item.reason is None
        assert item.not_before == D1_09  # already due: not moved later
        report, _ = run_at(qdir, seoul(20, 10), ads)
        assert f"{MEAN}.x" in sent_keys(report)
        assert [p["index"] for p in adapter.posts if p["thread_key"] == f"{MEAN}.x"] == [0, 1, 2]
        assert adapter.posts[1]["parent"] == adapter.posts[0]["id"]
        assert load(qdir, f"{MEAN}.x").item.status == "posted"

    def test_retry_brings_deferred_forward(self, qdir: Path) -> None:
        """``retry`` of a thread deferred to later makes it due at ``--now``."""
        ads = fakes()
        ads["x"].fail = [RateLimited("429", reset_at=D1_09.timestamp() + 7200)]
        run_at(qdir, D1_09, ads)
        done = cli(
            qdir.parent, "retry", f"{MEAN}.x", "--queue", "queue", "--now", "2025-05-20T09:30"
        )
        assert done.returncode == 0, done.stderr
        assert load(qdir, f"{MEAN}.x").item.not_before == seoul(20, 9, 30)

    def test_duplicate_found_is_recorded(self, qdir: Path) -> None:
        """A duplicate error for a post that ``find`` finds records it instead of failing."""
        ads = fakes()
        # The platform already has post 1 (made by a run whose record was lost).
        made = ads["x"].post({"text": "x"}, Slot(f"{MEAN}.x", 0))
        ads["x"].fail = [DuplicatePost("duplicate content", status=403)]
        report, _ = run_at(qdir, D1_09, ads)
        item = load(qdir, f"{MEAN}.x").item
        assert item.status == "posted"
        assert item.posted[0].id == made.id
        assert [p["index"] for p in ads["x"].posts] == [0, 1, 2]
        assert ads["x"].posts[1]["parent"] == made.id
        assert report.exit_code == 0

    def test_duplicate_not_found_fails(self, qdir: Path) -> None:
        """A duplicate error that ``find`` cannot explain fails the thread with advice."""
        ads = fakes()
        ads["x"].fail = [DuplicatePost("duplicate content", status=403)]
        report, _ = run_at(qdir, D1_09, ads)
        item = load(qdir, f"{MEAN}.x").item
        assert item.status == "failed"
        assert item.reason is not None and f"publisher retry {MEAN}.x" in item.reason
        assert report.exit_code == 1

    def test_crash_mid_thread_is_not_double_posted(self, qdir: Path) -> None:
        """A run killed while post 2 was in flight leaves ``sending: 2``; the next run finds it."""
        adapter = LosesResponse("x", 1, KeyboardInterrupt())
        ads = {"x": adapter, "bluesky": FakeAdapter("bluesky")}
        with pytest.raises(KeyboardInterrupt):
            run_at(qdir, D1_09, ads)
        item = load(qdir, f"{MEAN}.x").item
        assert (item.status, item.sending, len(item.posted)) == ("posting", 2, 1)
        assert len(adapter.posts) == 2  # the platform has post 2; the file does not know it
        report, _ = run_at(qdir, D1_09 + dt.timedelta(minutes=1), ads)
        assert adapter.find_calls == [1]
        assert [p["index"] for p in adapter.posts] == [0, 1, 2]
        item = load(qdir, f"{MEAN}.x").item
        assert item.status == "posted" and item.sending is None
        assert [r.id for r in item.posted] == ["1", "2", "3"]
        assert report.exit_code == 0

    def test_sending_not_made_is_posted_once(self, qdir: Path) -> None:
        """``sending: 2`` when post 2 never reached the platform: looked up, then posted once."""
        queue = FileQueue(qdir)
        ads = fakes()
        first = ads["x"].post({"text": "1"}, Slot(f"{MEAN}.x", 0, None, None))
        item = load(qdir, f"{MEAN}.x").item
        item.status = "posting"
        item.sending = 2
        item.posted = [PostRecord(post=1, id=first.id, url=first.url, at=D1_09)]
        queue.save(item)
        report, _ = run_at(qdir, D1_09, ads)
        assert [p["index"] for p in ads["x"].posts] == [0, 1, 2]
        assert load(qdir, f"{MEAN}.x").item.status == "posted"
        assert report.exit_code == 0


class TestRunLimits:
    """The per-run cap and the daily budget at run time."""

    def test_max_threads_per_run(self, qdir: Path) -> None:
        """With everything due, a run posts at most 2 threads per platform, earliest first."""
        report, _ = run_at(qdir, seoul(25, 9))
        assert sent_keys(report) == {f"{k}.{p}" for k in (MEAN, MERGE) for p in ("x", "bluesky")}
        assert all(w.why == "next run (max threads per run reached)" for w in report.plan.waiting)
        three = with_schedule(max_threads_per_run=3, daily_posts={})
        report, _ = run_at(qdir, seoul(25, 9), settings=three)
        assert len([s for s in sent_keys(report) if s.endswith(".x")]) == 3

    def test_posts_made_today_count(self, qdir: Path) -> None:
        """After 15 X posts today, a 3-post X thread made due waits for tomorrow's first slot."""
        wide = with_schedule(max_threads_per_run=20)
        report, ads = run_at(qdir, seoul(20, 23), settings=wide)
        assert len(ads["x"].posts) == 15
        # Someone moves tomorrow's first X thread to tonight.
        path = path_of(qdir, f"{LOWPROB}.x")
        edit(path, "'2025-05-21T09:00:00+09:00'", "'2025-05-20T22:00:00+09:00'")
        report, ads = run_at(qdir, seoul(20, 23, 30), settings=wide)
        assert ads["x"].posts == []
        (waiting,) = [w for w in report.plan.waiting if w.item.key == f"{LOWPROB}.x"]
        assert waiting.when == seoul(21, 9)
        assert "daily budget of 17 x posts" in waiting.why
        assert report.exit_code == 0
        # The next local day the budget is fresh.
        report, ads = run_at(qdir, seoul(21, 0, 5), settings=wide)
        assert sent_keys(report) == {f"{LOWPROB}.x"}

    def test_started_thread_finishes_past_budget(self, qdir: Path) -> None:
        """A thread cut off half-way (a crash) is finished even when today's budget is spent."""
        tight = with_schedule(max_threads_per_run=20, daily_posts={"x": 3, "bluesky": 300})
        item = load(qdir, f"{MEAN}.x").item
        made = [PostRecord(post=1, id="900", url="https://x.com/i/web/status/900", at=seoul(20, 9))]
        item = item.model_copy(update={"status": Status.POSTING, "posted": made})
        FileQueue(qdir).save(item)
        # Two more X posts today spend the budget of 3 before the thread can be finished.
        other = load(qdir, f"{MERGE}.x").item.model_copy(
            update={
                "status": Status.POSTED,
                "posted": [
                    PostRecord(post=n, id=f"90{n}", url="https://x.com/", at=seoul(20, 9))
                    for n in (1, 2)
                ],
            }
        )
        FileQueue(qdir).save(other)
        report, ads = run_at(qdir, seoul(20, 10), settings=tight)
        assert f"{MEAN}.x" in sent_keys(report)
        assert load(qdir, f"{MEAN}.x").item.status == "posted"
        assert ads["x"].posts[0]["parent"] == "900"

    def test_budget_counts_per_platform(self, qdir: Path) -> None:
        """X's budget never holds Bluesky back."""
        tight = Settings(
            schedule=ScheduleSettings(max_threads_per_run=20, daily_posts={"x": 3, "bluesky": 300})
        )
        _, ads = run_at(qdir, seoul(20, 22), settings=tight)
        assert len(ads["x"].posts) == 3
        assert len({p["thread_key"] for p in ads["bluesky"].posts}) == 5


class TestCli:
    """``publisher enqueue``, ``status`` and the dry run, as a person types them."""

    def test_enqueue_twice(self, tmp_path: Path) -> None:
        """The second enqueue of the same digest adds nothing, says so, and changes nothing."""
        done = cli(
            tmp_path, "enqueue", str(EXAMPLE), "--queue", "queue", "--now", "2025-05-20T08:00"
        )
        assert done.returncode == 0, done.stderr
        assert "18 added, 0 already queued" in done.stdout
        names = sorted(p.name for p in (tmp_path / "queue").glob("*.md"))
        assert len(names) == 18
        assert all(n.endswith((".x.md", ".bluesky.md")) for n in names)
        before = snapshot(tmp_path / "queue")
        done = cli(
            tmp_path, "enqueue", str(EXAMPLE), "--queue", "queue", "--now", "2025-05-21T08:00"
        )
        assert done.returncode == 0, done.stderr
        assert "0 added, 18 already queued" in done.stdout
        after = snapshot(tmp_path / "queue")
        assert {k: v for k, v in after.items() if k != ".lock"} == {
            k: v for k, v in before.items() if k != ".lock"
        }

    def test_posted_then_deleted_is_not_queued_again(self, qdir: Path) -> None:
        """A posted thread's file may be deleted; enqueuing its digest again still skips it."""
        report, _ = run_at(qdir, seoul(20, 9, 5))
        posted = sorted({s.key for s in report.sent})
        assert posted
        ledger = (qdir / "posted.txt").read_text(encoding="utf-8")
        assert all(f"\n{key}\n" in ledger for key in posted)
        for key in posted:
            path_of(qdir, key).unlink()
        done = cli(qdir.parent, "enqueue", str(EXAMPLE), "--queue", str(qdir), "--now",
                   "2025-05-21T08:00")  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "0 added" in done.stdout
        for key in posted:
            assert f"skipped {key}: already posted" in done.stdout
            assert not path_of(qdir, key).exists()

    def test_dry_run_changes_nothing(self, qdir: Path) -> None:
        """The dry run shows what is due and what comes next, and writes nothing."""
        edit(path_of(qdir, f"{MEAN}.x"), "Very interesting.", "Truly fascinating.")
        before = snapshot(qdir)
        listing = sorted(os.listdir(qdir))
        done = cli(qdir.parent, "--dry-run", "--queue", "queue", "--now", "2025-05-20T09:00")
        assert done.returncode == 0, done.stderr
        out = done.stdout
        assert "nothing is sent" in out
        assert f"{MEAN}.x" in out and f"{MEAN}.bluesky" in out
        assert "Truly fascinating." in out
        assert "Next:" in out
        nxt = out.split("Next:", 1)[1]
        assert f"2025-05-20 12:00  {MERGE}.x  (scheduled)" in nxt
        assert f"{MEAN}.x" not in nxt
        assert snapshot(qdir) == before
        assert sorted(os.listdir(qdir)) == listing

    def test_dry_run_json(self, qdir: Path) -> None:
        """``--dry-run --json`` is JSON: due threads with counts, the rest under ``next``."""
        before = snapshot(qdir)
        done = cli(
            qdir.parent, "--dry-run", "--json", "--queue", "queue", "--now", "2025-05-20T09:00"
        )
        assert done.returncode == 0, done.stderr
        data = json.loads(done.stdout)
        assert {(d["id"], d["platform"]) for d in data["due"]} == {(MEAN, "x"), (MEAN, "bluesky")}
        for due in data["due"]:
            assert due["first_post"] == 1
            assert all(p["count"] <= p["limit"] for p in due["posts"])
            assert Path(due["file"]).name == f"{due['id']}.{due['platform']}.md"
        assert len(data["next"]) == 16
        assert all(dt.datetime.fromisoformat(n["when"]) > D1_09 for n in data["next"])
        assert data["problems"] == []
        assert snapshot(qdir) == before

    def test_dry_run_reports_problems(self, qdir: Path) -> None:
        """A dry run shows over-limit posts as path:line on stderr and exits 1."""
        path = path_of(qdir, f"{MEAN}.x")
        loaded = load(qdir, f"{MEAN}.x")
        second = loaded.item.posts[1]
        edit(path, second, second + "한" * 200)
        done = cli(qdir.parent, "--dry-run", "--queue", "queue", "--now", "2025-05-20T09:00")
        assert done.returncode == 1
        assert f"queue/{MEAN}.x.md:{loaded.post_lines[1]}: post 2:" in done.stderr
        assert f"{MEAN}.bluesky" in done.stdout

    def test_status(self, qdir: Path) -> None:
        """``status --json`` lists every thread; a broken file is reported and exits 1."""
        done = cli(qdir.parent, "status", "--queue", "queue", "--json")
        assert done.returncode == 0, done.stderr
        data = json.loads(done.stdout)
        assert len(data["items"]) == 18
        assert {i["status"] for i in data["items"]} == {"pending"}
        edit(path_of(qdir, f"{MEAN}.x"), "---- post 1 ----\n", "")
        done = cli(qdir.parent, "status", "--queue", "queue")
        assert done.returncode == 1
        assert "17 threads" in done.stdout
        assert f"{MEAN}.x.md:" in done.stderr


class TestIdentity:
    """A queue file's name is its thread's identity: an edit of ``id`` cannot fork the thread."""

    def test_renamed_id_is_refused_not_posted_twice(self, qdir: Path) -> None:
        """Editing ``id:`` by hand is reported at that line; the thread is never posted twice."""
        path = path_of(qdir, f"{MEAN}.x")
        edit(path, f"id: {MEAN}\n", "id: mean-flows-renamed\n")
        line = path.read_text().splitlines().index("id: mean-flows-renamed") + 1
        ads = fakes()
        report, _ = run_at(qdir, D1_09, ads)
        report, _ = run_at(qdir, D1_09 + dt.timedelta(minutes=5), ads)
        assert ads["x"].posts == []
        assert report.exit_code == 1
        assert [(p.path, p.line) for p in report.plan.problems] == [(str(path), line)]
        assert "mean-flows-renamed.x" in report.plan.problems[0].message
        assert not path_of(qdir, "mean-flows-renamed.x").exists()
