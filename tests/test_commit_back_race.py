"""commit-back against a real bare remote while a person edits the same queue files.

The run posts (records in a queue file, one thread archived, ledger lines) while a person holds
that thread, fixes a word in a sibling file of the same paper, deletes a file the run updated, and
another writer pushes ledger lines of its own. Everything both sides meant survives the push.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from publisher.errors import CommitBackError
from publisher.gitsync import commit_back, recover_records
from publisher.store.common import Status
from publisher.store.fileformat import parse, render
from publisher.store.filequeue import FileQueue
from publisher.store.ledger import LEDGER_FILE, Ledger
from publisher.store.model import PostRecord, QueueItem, text_sha
from publisher.store.queue_merge import merge_text
from tests.publisher_cli import run_publisher
from tests.test_gitsync import clone, git, isolated_git, no_sleep, seeded_remote, show

__all__ = ["isolated_git"]  # the autouse fixture, by name
NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)
PAPER = "2026-11-26-optimizing-flows"
POSTS = [f"Optimizing flows, post {i}: a thread about one-step generation." for i in (1, 2, 3)]


def _item(platform: str, **fields: object) -> QueueItem:
    values: dict[str, object] = {
        "id": PAPER,
        "platform": platform,
        "title": "Optimizing Flows",
        "source": "digests/2026-11-26.txt:2",
        "not_before": NOW,
        "created": NOW,
        "posts": POSTS,
    }
    return QueueItem(**{**values, **fields})


def _record(n: int, platform: str) -> PostRecord:
    return PostRecord(
        post=n,
        id=f"{platform}-{n}",
        url=f"https://example.org/{platform}/{n}",
        at=NOW,
        sha=text_sha(POSTS[n - 1]),
    )


def _seed(tmp_path: Path) -> Path:
    def fill(seed: Path) -> None:
        queue = FileQueue(seed / "queue")
        for platform in ("x", "bluesky", "mastodon"):
            queue.save(_item(platform))
        queue.save(_item("x", id="2026-11-26-other-paper", title="Other Paper"))

    return seeded_remote(tmp_path, fill)[0]


def _run_posts(ours: Path) -> None:
    """What a run leaves: mastodon half-posted (post 3 in flight), x posted and archived, the
    other paper's first post made; every post in the ledger."""
    queue = FileQueue(ours / "queue")
    ledger = Ledger(queue.root)
    mastodon = _item("mastodon", status=Status.POSTING, sending=3, sending_at=NOW)
    mastodon.posted = [_record(1, "mastodon"), _record(2, "mastodon")]
    x = _item("x", status=Status.POSTED)
    x.posted = [_record(n, "x") for n in (1, 2, 3)]
    other = _item("x", id="2026-11-26-other-paper", title="Other Paper", status=Status.POSTING)
    other.posted = [_record(1, "x-other")]
    for item in (mastodon, x, other):
        for record in item.posted:
            ledger.posted(item, record)
        queue.save(item)
    queue.archive(x, "2026-11")


def _person_edits(theirs: Path) -> None:
    """Hold the mastodon thread, fix a word in the bluesky file, delete the other paper's file;
    another run's ledger line too. Pushed while the run posts."""
    queue = theirs / "queue"
    path = queue / f"{PAPER}.mastodon.md"
    path.write_text(path.read_text().replace("status: pending", "status: held"), "utf-8")
    path = queue / f"{PAPER}.bluesky.md"
    path.write_text(path.read_text().replace("one-step generation", "one-step sampling"), "utf-8")
    (queue / "2026-11-26-other-paper.x.md").unlink()
    elsewhere = _item("bluesky", id="2026-11-25-elsewhere")
    Ledger(queue).posted(elsewhere, _record(1, "bluesky"))
    git(theirs, "add", "-A", "queue")
    git(theirs, "commit", "--quiet", "-m", "person: hold, fix a word, drop a thread")
    git(theirs, "push", "--quiet")


def test_run_records_and_person_edits_both_survive(tmp_path: Path) -> None:
    remote = _seed(tmp_path)
    ours = clone(remote, tmp_path / "ours")
    theirs = clone(remote, tmp_path / "theirs")
    _run_posts(ours)
    _person_edits(theirs)

    result = commit_back(ours, ["queue"], "queue: run", sleep=no_sleep)

    assert result.pushed
    assert "2026-11-26-other-paper.x.md: deleted on one side" in result.message
    root = Path("queue")
    mastodon = parse(show(remote, f"main:{root}/{PAPER}.mastodon.md"), root / "m.md").item
    assert mastodon.status == Status.HELD  # the person's hold
    assert [r.id for r in mastodon.posted] == ["mastodon-1", "mastodon-2"]  # the run's facts
    assert mastodon.sending == 3  # post 3's outcome unknown: looked up before any resend
    bluesky = show(remote, f"main:{root}/{PAPER}.bluesky.md")
    assert bluesky.count("one-step sampling") == 3 and "one-step generation" not in bluesky
    archived = show(remote, f"main:{root}/archive/2026-11/{PAPER}.x.md")
    assert "one-step sampling" not in archived and archived.count('"id": "x-') == 3
    files = git(remote, "ls-tree", "-r", "--name-only", "main", "queue").splitlines()
    assert "queue/2026-11-26-other-paper.x.md" not in files
    assert f"queue/{PAPER}.x.md" not in files
    ledger = show(remote, f"main:queue/{LEDGER_FILE}")
    ids = [line for line in ledger.splitlines() if '"event": "posted"' in line]
    assert len(ids) == 2 + 3 + 1 + 1  # the run's six and the other writer's one


def test_merge_driver_keeps_the_person_status_and_the_run_records() -> None:
    base = render(_item("mastodon"))
    person = base.replace("status: pending", "status: held")
    run_item = _item("mastodon", status=Status.POSTING)
    run_item.posted = [_record(1, "mastodon")]
    run = render(run_item)

    for ours, theirs in ((person, run), (run, person)):  # whichever side git calls "ours"
        merged = parse(merge_text(base, ours, theirs), Path("q.md")).item
        assert merged.status == Status.HELD
        assert [r.id for r in merged.posted] == ["mastodon-1"]
        assert merged.posts == POSTS


def test_records_that_cannot_reach_main_go_to_a_branch_the_next_run_reads(
    tmp_path: Path,
) -> None:
    """main refuses every push: the run's commit goes to publisher-records/<sha>, commit-back
    fails loudly, and the next run's checkout folds those records into its ledger."""
    remote = _seed(tmp_path)
    hook = remote / "hooks" / "pre-receive"
    hook.write_text(
        "#!/bin/sh\nwhile read old new ref; do\n"
        '  if [ "$ref" = refs/heads/main ]; then echo "main is protected" >&2; exit 1; fi\n'
        "done\n",
        encoding="utf-8",
    )
    hook.chmod(0o755)
    ours = clone(remote, tmp_path / "ours")
    _run_posts(ours)

    with pytest.raises(CommitBackError, match=r"pushed to the branch publisher-records/") as got:
        commit_back(ours, ["queue"], "queue: run", attempts=2, sleep=no_sleep)

    assert "main is protected" in str(got.value)
    later = clone(remote, tmp_path / "later")
    assert not (later / "queue" / LEDGER_FILE).exists()
    found = recover_records(later)
    assert len(found) == 1 and found[0].startswith("publisher-records/")
    view = Ledger(later / "queue").read()
    assert [r.id for r in view.records(f"{PAPER}.mastodon")] == ["mastodon-1", "mastodon-2"]
    assert recover_records(later) == found  # read again: nothing appended twice
    assert len(Ledger(later / "queue").read().ids()) == 6
    # the workflow's step, as the command line gives it, in another fresh checkout
    fresh = clone(remote, tmp_path / "fresh")
    done = run_publisher("commit-back", "--recover", cwd=fresh)
    assert done.returncode == 0, done.stderr
    assert f"records folded in from {found[0]}" in done.stdout
    assert len(Ledger(fresh / "queue").read().ids()) == 6
