"""A digest edited after it was queued: threads not begun follow the edit in place (id and time
kept); begun and posted ones are left alone, and `enqueue` says which and why."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from publisher import runner
from publisher.config import Settings
from publisher.platforms import rules_for
from publisher.store.common import Status
from publisher.store.fileformat import read_item
from publisher.store.filequeue import FileQueue
from publisher.store.model import PostRecord, QueueItem
from publisher.testing.fake import FakeAdapter
from tests.conftest import EXAMPLE
from tests.publisher_cli import run_publisher

SEOUL = ZoneInfo("Asia/Seoul")
DIGEST = Path("digests") / "2025-05-20.txt"


@pytest.fixture(autouse=True)
def no_fsync(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "fsync", lambda _fd: None)


def enqueue(root: Path, *files: str, now: str = "2025-05-20T08:00") -> str:
    done = run_publisher("enqueue", *(files or ("digests",)), "--now", now, cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def by_title(queue: FileQueue, platform: str = "x") -> dict[str, QueueItem]:
    items = [li.item for li in queue.load()[0]] + [li.item for li in queue.load_archive()[0]]
    return {i.title: i for i in items if i.platform == platform}


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


MEAN = "Mean Flows for One-step Generative Modeling"
REALMATH = (
    "RealMath: A Continuous Benchmark for Evaluating Language Models on Research-Level Mathematics"
)
LOWPROB = "Do Not Let Low-Probability Tokens Over-Dominate in RL for LLMs"
ANYTIME = "Optimizing Anytime Reasoning via Budget Relative Policy Optimization"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """The example digest queued at 08:00; the 09:00 run posted the first three papers (Mean
    Flows among them, archived); RealMath's X thread has begun (1 post made)."""
    (tmp_path / "digests").mkdir()
    shutil.copy(EXAMPLE, tmp_path / DIGEST)
    enqueue(tmp_path)
    queue = FileQueue(tmp_path / "queue")
    settings = Settings()
    nine = dt.datetime(2025, 5, 20, 9, 0, tzinfo=SEOUL)
    fakes = {name: FakeAdapter(name) for name in settings.platforms}
    with queue.lock():
        runner.run(queue, settings, rules_for(settings), fakes.__getitem__, nine)
    begun = by_title(queue)[REALMATH]
    record = PostRecord(post=1, id="1", url="https://x.invalid/1", at=nine)
    queue.save(begun.model_copy(update={"status": Status.POSTING, "posted": [record]}))
    return tmp_path


def test_edits_follow_into_threads_not_begun(root: Path) -> None:
    queue = FileQueue(root / "queue")
    before = by_title(queue)
    digest = root / DIGEST
    replace(digest, "Math benchmark. I wonder", "A math benchmark. I wonder")  # begun
    replace(digest, "An 1/few-shot flow matching", "A 1/few-shot flow matching")  # posted
    replace(digest, "top-P masking for RL training.", "top-p masking in RL training.")  # pending
    replace(digest, ANYTIME, ANYTIME + " (BRPO)")  # the title: found by its place in the file

    out = enqueue(root, now="2025-05-20T10:00")
    after = by_title(queue)

    low = after[LOWPROB]
    assert "top-p masking in RL training." in "\n".join(low.posts)
    assert (low.id, low.not_before, low.created) == (
        before[LOWPROB].id,
        before[LOWPROB].not_before,
        before[LOWPROB].created,
    )
    assert f"updated queue/{low.key}.md from the edited digest" in out

    renamed = after[ANYTIME + " (BRPO)"]
    assert renamed.id == before[ANYTIME].id and renamed.not_before == before[ANYTIME].not_before
    assert renamed.posts[0].startswith(ANYTIME + " (BRPO)")
    assert ANYTIME not in after  # no second thread for the new title
    assert len(queue.paths()) == len([p for p in before.values() if p.status != "posted"]) * 2

    math = after[REALMATH]
    assert math.posts == before[REALMATH].posts
    assert f"skipped {math.key}: already begun (1 of " in out
    mean = after[MEAN]
    assert mean.posts == before[MEAN].posts
    assert f"skipped {mean.key}: already posted" in out
    assert "updated, " in out.splitlines()[-1]


def test_an_unchanged_digest_named_again_keeps_hand_edits(root: Path) -> None:
    """Naming the digest again, unchanged, never overwrites a queue file edited by hand."""
    queue = FileQueue(root / "queue")
    low = by_title(queue)[LOWPROB]
    path = queue.path_of(low)
    replace(path, "top-P masking", "top-P masking (edited by hand)")
    out = enqueue(root, str(DIGEST), now="2025-05-20T10:00")
    assert "(edited by hand)" in "\n".join(read_item(path).item.posts)
    assert "updated" not in out


def test_a_title_typo_fixed_in_a_thread_not_begun_follows_in_place(root: Path) -> None:
    """A spelling fixed in the title of a paper not begun: the same paper (not a new one, not a
    skip), so its thread takes the new title in place, id and time kept."""
    queue = FileQueue(root / "queue")
    before = by_title(queue)[ANYTIME]
    replace(root / DIGEST, ANYTIME, ANYTIME.replace("Optimizing", "Optimising"))

    out = enqueue(root, now="2025-05-20T10:00")

    after = by_title(queue)
    fixed = after[ANYTIME.replace("Optimizing", "Optimising")]
    assert (fixed.id, fixed.not_before) == (before.id, before.not_before)
    assert fixed.posts[0].startswith("Optimising Anytime")
    assert ANYTIME not in after
    assert f"updated queue/{fixed.key}.md from the edited digest" in out
