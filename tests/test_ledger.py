"""What was posted is a fact: the record of posts made (``queue/posts.jsonl``) against hand
edits of the queue files, on the local Mastodon instance.

Each test makes the state a person's edit (or a merge, or a restore) leaves, then runs again past
the hour the instance keeps idempotency keys for, so only the ledger can prevent a second post.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from publisher import runner
from publisher.config import RetrySettings, Settings
from publisher.digest import read_digests
from publisher.enqueue import enqueue
from publisher.platforms import rules_for
from publisher.store.common import Status
from publisher.store.fileformat import read_item, render
from publisher.store.filequeue import FileQueue
from publisher.store.ledger import LEDGER_FILE, Ledger
from publisher.store.model import PostRecord, QueueItem, text_sha
from tests.conftest import EXAMPLE
from tests.fakes.mastodon_server import FakeMastodonServer
from tests.publisher_cli import run_publisher
from tests.test_mastodon_posting import (
    NOW,
    POSTS,
    _assert_one_chain,
    _item,
    _posts,
    _queue,
    _run,
    _settings,
    mastodon_env,
)

__all__ = ["mastodon_env"]  # the fixture, used by name
# After any deferral (a deferral's time comes from the real clock, which is past NOW).
LATER = max(NOW, dt.datetime.now(dt.UTC)) + dt.timedelta(hours=3)
HOUR_AND_MORE = 2 * 3600.0


def _lines(queue: FileQueue) -> list[dict[str, object]]:
    path = queue.root / LEDGER_FILE
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _one_try() -> Settings:
    """No retry within the run: the first fault leaves the thread as it is."""
    return Settings(
        platforms=["mastodon"],
        retry=RetrySettings(budget_seconds=0, initial_wait=1, max_wait=1, timeout_seconds=2),
    )


def _half_posted(queue: FileQueue, server: FakeMastodonServer) -> QueueItem:
    """Posts 1 and 2 made and recorded; post 3 refused by a 500 (not made)."""
    server.fail_next("500", after=2)
    report = _run(queue, _one_try())
    assert report.deferred and not report.failed
    item = read_item(queue.paths()[0]).item
    assert len(item.posted) == 2
    return item


@pytest.mark.usefixtures("mastodon_env")
class TestLedger:
    def test_each_post_is_in_the_ledger_before_its_queue_file(
        self, tmp_path: Path, mastodon_server: FakeMastodonServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Every record a queue file is saved with is already in the ledger, with its id,
        platform, number and text hash."""
        queue = _queue(tmp_path)
        ledger = Ledger(queue.root)
        saved = FileQueue.save
        seen: list[int] = []

        def checked(self: FileQueue, item: QueueItem) -> Path:
            view = ledger.read()
            assert [r.id for r in view.records(item.key)][: len(item.posted)] == [
                r.id for r in item.posted
            ]
            seen.append(len(item.posted))
            return saved(self, item)

        monkeypatch.setattr(FileQueue, "save", checked)
        assert _run(queue, _settings()).exit_code == 0
        assert max(seen) == 5
        posted = [line for line in _lines(queue) if line["event"] == "posted"]
        assert [line["post"] for line in posted] == [1, 2, 3, 4, 5]
        assert [line["id"] for line in posted] == [s["id"] for s in mastodon_server.statuses]
        assert {line["platform"] for line in posted} == {"mastodon"}
        assert [line["sha"] for line in posted] == [text_sha(p) for p in POSTS]
        assert (queue.root / ".gitattributes").read_text() == f"{LEDGER_FILE} merge=union\n"

    def test_deleted_posted_block_is_restored_and_nothing_posted_twice(
        self, tmp_path: Path, mastodon_server: FakeMastodonServer
    ) -> None:
        """A hand edit drops the `posted:` block of a half-posted thread: the next run restores
        it from the ledger, says so, and sends only posts 3 to 5."""
        queue = _queue(tmp_path)
        item = _half_posted(queue, mastodon_server)
        edited = item.model_copy(update={"posted": [], "status": Status.PENDING, "reason": None})
        edited.posts = item.posts
        queue.paths()[0].write_text(render(edited), encoding="utf-8")
        mastodon_server.advance(HOUR_AND_MORE)

        report = _run(queue, _settings(), now=LATER)

        assert report.exit_code == 0, report.failed
        _assert_one_chain(mastodon_server, POSTS)
        assert any("restored from the ledger" in n for n in report.plan.notes)

    def test_restored_copy_of_a_posted_thread_is_not_posted(
        self, tmp_path: Path, mastodon_server: FakeMastodonServer
    ) -> None:
        """The pre-posting copy of a thread posted in full put back in queue/: nothing is sent,
        the archive is kept as it was, the copy is removed, and the run says so."""
        queue = _queue(tmp_path)
        assert _run(queue, _settings()).exit_code == 0
        archived = queue.archived_paths()[0]
        before = archived.read_text(encoding="utf-8")
        copy = queue.path_of(_item())
        copy.write_text(render(_item()), encoding="utf-8")
        mastodon_server.advance(HOUR_AND_MORE)
        sent = len(_posts(mastodon_server))

        report = _run(queue, _settings(), now=LATER)

        assert len(_posts(mastodon_server)) == sent
        assert archived.read_text(encoding="utf-8") == before
        assert not copy.exists()
        assert any("copy of a thread posted in full" in n for n in report.plan.notes)

    def test_lost_in_flight_mark_is_looked_up_not_resent(
        self, tmp_path: Path, mastodon_server: FakeMastodonServer
    ) -> None:
        """Post 3 was made but its answer lost; a merge then dropped the file's `sending`
        mark. The ledger saw post 3 go out: the next run looks it up instead of posting it."""
        queue = _queue(tmp_path)
        mastodon_server.fail_next("drop", after=2, after_commit=True)
        _run(queue, _one_try())
        item = read_item(queue.paths()[0]).item
        assert item.sending == 3
        item.sending = item.sending_at = None
        queue.save(item)
        mastodon_server.advance(HOUR_AND_MORE)

        report = _run(queue, _settings(), now=LATER)

        assert report.exit_code == 0, report.failed
        _assert_one_chain(mastodon_server, POSTS)

    def test_status_and_dry_run_read_the_ledger(
        self, tmp_path: Path, mastodon_server: FakeMastodonServer
    ) -> None:
        """With the `posted:` block gone, the dry run plans posts 3 to 5 only, and a posted
        post's edited text is said to have no effect."""
        queue = _queue(tmp_path)
        item = _half_posted(queue, mastodon_server)
        edited = item.model_copy(update={"posted": item.posted[:1]})
        edited.posts = ["Post 1, reworded after it was posted", *item.posts[1:]]
        queue.paths()[0].write_text(render(edited), encoding="utf-8")

        opened = runner.load_open(queue, write=False)
        settings = _settings()
        plan = runner.make_plan(opened.items, [], settings, rules_for(settings), LATER)

        assert [p.loaded.item.next_index for p in plan.due] == [2]
        assert any("post 1 was edited after it was posted" in n for n in opened.notes)
        assert read_item(queue.paths()[0]).item.posted == item.posted[:1]

    def test_file_deleted_during_the_run_is_not_recreated(
        self, tmp_path: Path, mastodon_server: FakeMastodonServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The thread's file is deleted (or renamed) while the run posts it: the run stops
        that thread, does not write the file again, and says so."""
        queue = _queue(tmp_path)
        path = queue.paths()[0]
        recorded = runner.ThreadPoster._record

        def then_delete(self: runner.ThreadPoster, *args: object) -> None:
            recorded(self, *args)  # type: ignore[arg-type]
            if self.item.next_index == 2:
                path.rename(path.with_name("renamed.txt"))

        monkeypatch.setattr(runner.ThreadPoster, "_record", then_delete)
        report = _run(queue, _settings())

        assert len(mastodon_server.statuses) == 2
        assert not path.exists() and queue.paths() == []
        assert any("deleted or renamed during the run" in n for n in report.plan.notes)
        assert len([x for x in _lines(queue) if x["event"] == "posted"]) == 2


def _post_everything(queue: FileQueue, digest: Path) -> None:
    """Enqueue a copy of the example digest for Mastodon and post all of it, a day at a time."""
    digest.parent.mkdir(exist_ok=True)
    shutil.copy(EXAMPLE, digest)
    settings = Settings(platforms=["mastodon"])
    digests = read_digests([digest])
    enqueue(queue, digests, settings, rules_for(settings), NOW)
    now = NOW
    for _ in range(20):
        if not queue.paths():
            return
        now += dt.timedelta(days=1)
        _run(queue, _settings(), now=now)
    raise AssertionError("the example digest was not posted in 20 days")


@pytest.mark.usefixtures("mastodon_env")
class TestEnqueueAfterPosting:
    def test_deleted_ledgers_do_not_requeue(
        self, tmp_path: Path, mastodon_server: FakeMastodonServer
    ) -> None:
        """enqueued.txt, posted.txt and even the archive deleted: enqueuing the digest again
        queues nothing, since posts.jsonl says every thread was posted."""
        queue = FileQueue(tmp_path / "queue")
        digest = tmp_path / "digests" / EXAMPLE.name
        _post_everything(queue, digest)
        assert len(mastodon_server.statuses) > 10
        for name in ("enqueued.txt", "posted.txt"):
            (queue.root / name).unlink(missing_ok=True)
        shutil.rmtree(queue.archive_root)
        settings = Settings(platforms=["mastodon"])

        report = enqueue(queue, read_digests([digest]), settings, rules_for(settings), LATER)

        assert report.added == []
        assert report.skipped and all("already posted" in why for _, why in report.skipped)
        # the same through the command line's sweep of the folder
        config = tmp_path / "publisher.toml"
        config.write_text('platforms = ["mastodon"]\n', encoding="utf-8")
        args = ["--queue", str(queue.root), "--config", str(config), "--now", LATER.isoformat()]
        done = run_publisher("enqueue", str(digest.parent), *args)
        assert done.returncode == 0, done.stderr
        assert "0 added" in done.stdout and queue.paths() == []

    def test_title_typo_fixed_after_posting_is_not_queued_again(
        self, tmp_path: Path, mastodon_server: FakeMastodonServer
    ) -> None:
        """'Modeling' → 'Modelling' in a posted paper's title: the same paper, not queued
        again; enqueue names the posted thread and how to post it again on purpose."""
        queue = FileQueue(tmp_path / "queue")
        edited = tmp_path / "digests" / EXAMPLE.name
        _post_everything(queue, edited)
        text = EXAMPLE.read_text(encoding="utf-8")
        edited.write_text(text.replace("Generative Modeling", "generative modelling"), "utf-8")
        settings = Settings(platforms=["mastodon"])
        digests = read_digests([edited])

        report = enqueue(queue, digests, settings, rules_for(settings), LATER)

        assert report.added == []
        why = dict(report.skipped)[
            "2025-05-20-mean-flows-for-one-step-generative-modelling.mastodon"
        ]
        assert "2025-05-20-mean-flows-for-one-step-generative-modeling.mastodon" in why
        assert "later digest" in why and "revisit" in why


@pytest.mark.usefixtures("mastodon_env")
def test_status_names_the_file_and_what_was_kept(
    tmp_path: Path, mastodon_server: FakeMastodonServer
) -> None:
    """`publisher status` says that a posted post's edit cannot take effect and that records
    missing from the file are the ledger's, naming the file."""
    queue = _queue(tmp_path)
    item = _half_posted(queue, mastodon_server)
    edited = item.model_copy(update={"posted": []})
    edited.posts = ["Post 1, reworded after it was posted", *item.posts[1:]]
    path = queue.paths()[0]
    path.write_text(render(edited), encoding="utf-8")
    config = tmp_path / "publisher.toml"
    config.write_text('platforms = ["mastodon"]\n', encoding="utf-8")

    shown = run_publisher("status", "--queue", str(queue.root), "--config", str(config))

    assert shown.returncode == 0, shown.stderr
    assert f"note: {path}: posts 1, 2 were made" in shown.stdout
    assert f"note: {path}: post 1 was edited after it was posted" in shown.stdout
    assert "posting" in shown.stdout and "2/5" in shown.stdout


def test_a_torn_last_line_is_skipped_and_the_next_line_stands(tmp_path: Path) -> None:
    """A crash mid-write leaves half a line: it is reported (not fatal), and the next record
    goes on a line of its own."""
    ledger = Ledger(tmp_path / "queue")
    item = _item()
    record = PostRecord(post=1, id="111", url="https://example.org/1", at=NOW, sha="abc")
    ledger.posted(item, record)
    with ledger.path.open("a", encoding="utf-8") as handle:
        handle.write('{"event": "posted", "thread": "2025-05-20-mean')
    ledger.posted(item, record.model_copy(update={"post": 2, "id": "222"}))

    view = ledger.read()

    assert [r.id for r in view.records(item.key)] == ["111", "222"]
    assert [p.line for p in view.problems] == [2]
