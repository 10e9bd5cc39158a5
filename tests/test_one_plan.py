"""One plan, many views: the same digests give the same threads, revisits, times and cards in
`publisher --dry-run --json`, in the preview and in the queue files `enqueue` writes.

Each view is asked as a person would (the dry run and enqueue through the command, the preview
through the function its command calls), on a copy of the same queue, and the answers compared.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from publisher.config import load_settings
from publisher.formatter import number_posts
from publisher.plan import History
from publisher.platforms import rules_for
from publisher.preview import from_digests
from publisher.store.filequeue import FileQueue
from tests.publisher_cli import run_publisher

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "digest-2025-05-20.txt"
CONFIG = REPO / "config" / "publisher.toml"
NOW = "2025-05-20T08:00:00+09:00"

# key -> (time, card URI or None, the posts as sent)
View = dict[str, tuple[str | None, str | None, tuple[str, ...]]]


def _enqueue(queue: Path, digest: Path) -> None:
    done = run_publisher(
        "enqueue", str(digest), "--queue", str(queue), "--config", str(CONFIG), "--now", NOW
    )
    assert done.returncode == 0, done.stderr


def enqueue_view(queue: Path, digest: Path) -> View:
    """What `publisher enqueue DIGEST` writes into ``queue``: its new files, as they are sent."""
    before = set(queue.glob("*.md"))
    _enqueue(queue, digest)
    settings = load_settings(CONFIG)
    rules = rules_for(settings)
    items = [li.item for li in FileQueue(queue).load()[0]]
    return {
        item.key: (
            item.not_before.isoformat(),
            item.card.uri if item.card else None,
            tuple(  # as posted: the platform's payload of each numbered post
                rules[item.platform].payload(text)["text"]
                for text in number_posts(item.posts, settings.format)
            ),
        )
        for item in items
        if queue / f"{item.key}.md" not in before
    }


def dry_run_view(queue: Path, digest: Path) -> View:
    """`publisher --dry-run --json DIGEST` against ``queue``: the threads it would queue."""
    done = run_publisher(
        "--dry-run", "--json", str(digest), "--queue", str(queue), "--config", str(CONFIG),
        "--now", NOW,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    threads: list[dict[str, Any]] = json.loads(done.stdout)
    return {
        f"{t['entry_id']}.{t['platform']}": (
            _iso(t["when"]),
            (t.get("card") or {}).get("uri"),
            tuple(p["text"] for p in t["posts"]),
        )
        for t in threads
        if "not_queued" not in t
    }


def preview_view(queue: Path, digest: Path) -> View:
    """The preview of ``digest`` against ``queue``, as `publisher preview DIGEST` builds it."""
    settings = load_settings(CONFIG)
    now = dt.datetime.fromisoformat(NOW).astimezone(settings.schedule.zone)
    history = History.read(FileQueue(queue), now, settings.schedule.zone, None)
    preview = from_digests([digest], settings, rules_for(settings), history, now)
    assert preview.problems == []
    return {
        f"{t.entry_id}.{t.platform}": (
            t.when.isoformat() if t.when else None,
            t.card.uri if t.card else None,
            tuple(p.text for p in t.posts),
        )
        for t in preview.threads
        if t.status == "not queued yet"
    }


def _iso(text: str | None) -> str | None:
    return dt.datetime.fromisoformat(text).isoformat() if text else None


def all_views(queue: Path, digest: Path, tmp_path: Path) -> tuple[View, View, View]:
    """The three views, each on its own copy of ``queue``."""
    copies = []
    for name in ("dry", "preview", "enqueue"):
        copy = tmp_path / name
        shutil.copytree(queue, copy)
        copies.append(copy)
    return (
        dry_run_view(copies[0], digest),
        preview_view(copies[1], digest),
        enqueue_view(copies[2], digest),
    )


@pytest.fixture
def empty_queue(tmp_path: Path) -> Path:
    queue = tmp_path / "queue"
    queue.mkdir()
    return queue


@pytest.fixture
def linked(tmp_path: Path) -> Path:
    """The example with its first paper's arXiv link on the line after its authors."""
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(3, "https://arxiv.org/abs/2505.13447\n")
    path = tmp_path / "digest-2025-05-20.txt"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_the_example_gives_the_same_threads_and_times_everywhere(
    empty_queue: Path, tmp_path: Path
) -> None:
    dry, preview, queued = all_views(empty_queue, EXAMPLE, tmp_path)
    assert len(queued) == 18  # 9 papers on X and Bluesky (the bundled config)
    assert dry == preview == queued


def test_a_linked_paper_gets_the_same_card_everywhere(
    empty_queue: Path, linked: Path, tmp_path: Path
) -> None:
    dry, preview, queued = all_views(empty_queue, linked, tmp_path)
    assert dry == preview == queued
    cards = {key: card for key, (_, card, _) in queued.items() if card}
    assert list(cards.values()) == ["https://arxiv.org/abs/2505.13447"]
    assert all(key.endswith(".bluesky") for key in cards)  # Bluesky shows link cards


def test_a_digest_repeating_a_queued_paper_gives_the_same_revisits_everywhere(
    empty_queue: Path, tmp_path: Path
) -> None:
    _enqueue(empty_queue, EXAMPLE)
    later = tmp_path / "digest-2025-06-02.txt"
    text = EXAMPLE.read_text(encoding="utf-8")
    later.write_text(text.replace("2025년 5월 20일", "2025년 6월 2일", 1), encoding="utf-8")
    dry, preview, queued = all_views(empty_queue, later, tmp_path)
    assert len(queued) == 18
    assert dry == preview == queued
    # Every thread is a revisit: its own id, and a first post that says so.
    assert all(key.startswith("2025-06-02-") for key in queued)
    assert all(posts[0].startswith("🔁") for _, _, posts in queued.values())


def test_a_digest_already_queued_plans_nothing_new(empty_queue: Path, tmp_path: Path) -> None:
    _enqueue(empty_queue, EXAMPLE)
    dry, preview, queued = all_views(empty_queue, EXAMPLE, tmp_path)
    assert dry == preview == queued == {}
