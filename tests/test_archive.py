"""The archive: threads posted in full leave queue/ for queue/archive/YYYY-MM/ in the same run.

The open queue then holds only what is pending, posting, failed or held, so that it stays small
(GitHub's file browser lists 1,000 entries a folder) and runs read only it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from publisher import runner
from publisher.digest import read_digests
from publisher.enqueue import enqueue
from publisher.platforms import rules_for
from publisher.store.fileformat import read_item
from publisher.store.filequeue import FileQueue
from tests.conftest import EXAMPLE, pin_one_a_slot
from tests.test_run import (
    D1_09,
    MEAN,
    SETTINGS,
    T0,
    cli,
    run_at,
    seoul,
    snapshot,
    with_schedule,
)

RULES = rules_for(SETTINGS)


@pytest.fixture(scope="module")
def example_queue(tmp_path_factory: pytest.TempPathFactory) -> Path:
    queue = FileQueue(tmp_path_factory.mktemp("example") / "queue")
    enqueue(queue, read_digests([EXAMPLE]), SETTINGS, RULES, T0)
    return queue.root


@pytest.fixture
def qdir(tmp_path: Path, example_queue: Path) -> Path:
    root = tmp_path / "queue"
    shutil.copytree(example_queue, root)
    pin_one_a_slot(tmp_path)
    return root


def open_statuses(qdir: Path) -> set[str]:
    items, problems = FileQueue(qdir).load()
    assert problems == []
    return {li.item.status for li in items}


class TestArchiveInTheSameRun:
    """A thread posted in full is moved, in the run that posts it, and never queued again."""

    def test_posted_thread_moves_to_its_month(self, qdir: Path) -> None:
        """After the 09:00 run the posted threads are in archive/2025-05/, posted, and ledgered."""
        report, _ = run_at(qdir, D1_09)
        posted = {s.key for s in report.sent}
        assert f"{MEAN}.x" in posted
        for key in posted:
            assert not (qdir / f"{key}.md").exists()
            archived = qdir / "archive" / "2025-05" / f"{key}.md"
            item = read_item(archived).item
            assert item.status == "posted"
            assert len(item.posted) == len(item.posts)
        ledger = (qdir / "posted.txt").read_text(encoding="utf-8").splitlines()
        assert posted <= set(ledger)
        assert open_statuses(qdir) <= {"pending", "posting", "failed", "held"}
        assert len(FileQueue(qdir).paths()) == 18 - len(posted)

    def test_month_is_the_local_month_of_posting(self, qdir: Path) -> None:
        """A thread posted on 1 June 08:30 in Seoul (still 31 May in UTC) goes to 2025-06."""
        when = seoul(31, 23, 30).replace(day=1, month=6, hour=8)
        report, _ = run_at(qdir, when, settings=with_schedule(max_threads_per_run=1))
        assert report.sent
        key = report.sent[0].key
        assert (qdir / "archive" / "2025-06" / f"{key}.md").is_file()

    def test_archived_thread_is_never_queued_again(self, qdir: Path) -> None:
        """Enqueuing the digest again adds nothing for archived threads, nor for the others."""
        report, _ = run_at(qdir, D1_09)
        posted = {s.key for s in report.sent}
        again = enqueue(FileQueue(qdir), read_digests([EXAMPLE]), SETTINGS, RULES, seoul(21, 8))
        assert again.added == []
        skipped = dict(again.skipped)
        for key in posted:
            assert skipped[key].startswith("already posted")
            assert not (qdir / f"{key}.md").exists()

    def test_later_runs_post_nothing_twice(self, qdir: Path) -> None:
        """Runs over the following days post every thread once: no key is sent twice."""
        sent: list[str] = []
        for day in range(20, 26):
            for hour in (9, 12, 15, 18, 21):
                report, _ = run_at(qdir, seoul(day, hour, 5))
                sent += [s.key for s in report.sent if s.number == 1]
        assert len(sent) == len(set(sent)) == 18
        assert FileQueue(qdir).paths() == []
        assert len(FileQueue(qdir).archived_paths()) == 18

    def test_posted_file_left_in_the_queue_is_swept(self, qdir: Path) -> None:
        """A posted file still in queue/ (a run stopped before the move, or an old queue) is
        archived by the month of its last post, at the next run."""
        run_at(qdir, D1_09)
        archived = qdir / "archive" / "2025-05" / f"{MEAN}.x.md"
        archived.rename(qdir / archived.name)
        (qdir / "posted.txt").unlink()
        report, _ = run_at(qdir, seoul(20, 9, 30))
        assert f"{MEAN}.x" not in {s.key for s in report.sent}
        assert archived.is_file() and not (qdir / archived.name).exists()
        assert f"{MEAN}.x" in (qdir / "posted.txt").read_text(encoding="utf-8")

    def test_archived_posts_count_against_todays_budget(self, qdir: Path) -> None:
        """Posts of threads archived today still use the day's budget: the next X thread waits."""
        report, _ = run_at(qdir, D1_09)
        made = sum(1 for s in report.sent if s.platform == "x")
        assert made > 0
        tight = with_schedule(daily_posts={"x": made + 1, "bluesky": 300})
        queue = FileQueue(qdir)
        items, problems = queue.load()
        archived = runner.recent_archive(queue, seoul(20, 12), tight)
        plan = runner.make_plan(items, problems, tight, RULES, seoul(20, 12), archived)
        assert [p.loaded.item.platform for p in plan.due] == ["bluesky"]
        assert any("daily budget" in w.why for w in plan.waiting if w.item.platform == "x")
        unaware = runner.make_plan(items, problems, tight, RULES, seoul(20, 12))
        assert "x" in [p.loaded.item.platform for p in unaware.due]


class TestCommands:
    """status shows the open queue, --all the archive too; ID commands name archived threads."""

    def test_status_and_status_all(self, qdir: Path) -> None:
        """`status` leaves archived threads out; `status --all` lists them as posted."""
        report, _ = run_at(qdir, D1_09)
        posted = {s.key for s in report.sent}
        cwd = qdir.parent
        done = cli(cwd, "status", "--queue", "queue")
        assert done.returncode == 0, done.stderr
        assert f"{18 - len(posted)} threads" in done.stdout
        assert " posted " not in done.stdout
        every = cli(cwd, "status", "--all", "--queue", "queue")
        assert every.returncode == 0, every.stderr
        assert f"18 threads, {18 - len(posted)} pending, {len(posted)} posted" in every.stdout
        for key in posted:
            entry, platform = key.rsplit(".", 1)
            assert "posted" in _row(every.stdout, entry, platform), key
        as_json = cli(cwd, "status", "--all", "--json", "--queue", "queue")
        assert '"status": "posted"' in as_json.stdout

    def test_hold_of_an_archived_thread_names_it(self, qdir: Path) -> None:
        """`hold ID` of an archived thread exits 2 and names its archive file; nothing changes."""
        run_at(qdir, D1_09)
        before = snapshot(qdir)
        done = cli(qdir.parent, "hold", f"{MEAN}.x", "--queue", "queue")
        assert done.returncode == 2
        assert f"archive/2025-05/{MEAN}.x.md" in done.stderr
        assert "posted in full and archived" in done.stderr
        assert "Traceback" not in done.stderr
        by_entry = cli(qdir.parent, "retry", MEAN, "--queue", "queue")
        assert by_entry.returncode == 2
        assert f"archive/2025-05/{MEAN}." in by_entry.stderr
        after = snapshot(qdir)
        assert {k: v[0] for k, v in after.items()} == {k: v[0] for k, v in before.items()}


def _row(table: str, *words: str) -> str:
    rows = [line for line in table.splitlines() if all(w in line for w in words)]
    return rows[0] if rows else ""


class TestBatchedEnqueue:
    """Enqueue writes each file through a temporary file and syncs the folder once a batch."""

    def test_one_folder_sync_per_batch(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """18 new files: 18 file fsyncs, one folder fsync, no temporary file left."""
        import os

        from publisher.store import safeio as filequeue

        kinds: list[str] = []
        real_fsync = os.fsync

        def counting(fd: int) -> None:
            kinds.append("dir" if Path(f"/proc/self/fd/{fd}").is_dir() else "file")
            real_fsync(fd)

        monkeypatch.setattr(filequeue.os, "fsync", counting)
        queue = FileQueue(tmp_path / "queue")
        report = enqueue(queue, read_digests([EXAMPLE]), SETTINGS, RULES, T0)
        assert len(report.added) == 18
        assert kinds.count("file") == 18
        assert kinds.count("dir") == 1
        assert sorted(os.listdir(queue.root)) == sorted(p.name for p in queue.paths())

    def test_failed_write_leaves_nothing_of_the_batch(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """One file that cannot be synced (a full disk): no file of the batch appears."""
        import errno
        import os
        import threading

        from publisher.store import safeio as filequeue

        calls = 0
        guard = threading.Lock()

        def failing(fd: int) -> None:
            nonlocal calls
            with guard:
                calls += 1
                if calls == 5:
                    raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(filequeue.os, "fsync", failing)
        queue = FileQueue(tmp_path / "queue")
        with pytest.raises(OSError, match="No space left"):
            enqueue(queue, read_digests([EXAMPLE]), SETTINGS, RULES, T0)
        assert os.listdir(queue.root) == []
