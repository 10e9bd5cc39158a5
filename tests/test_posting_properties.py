"""A property over a month of real use, seeded and bounded: random runs (each on a fresh clone of
a bare remote, as a throwaway CI runner), hand edits pushed between runs or while a run posts
(hold, release, delete, restore an old copy, edit a post's text, delete the ``posted:`` block)
and faults over the local X and Mastodon servers (errors after the post was made, dropped
connections, 200 answers without an id).

Invariant: no post text appears twice on any server, no thread fails, and, once the edits are
undone and the queue runs dry, every post on either server is recorded in the remote's ledger.
The Mastodon instance is moved two hours on before each run, so its Idempotency-Key never
saves a second post: only the record of posts made does.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from publisher import runner
from publisher.config import RetrySettings, ScheduleSettings, Settings, credentials
from publisher.errors import CommitBackError
from publisher.gitsync import commit_back, recover_records
from publisher.platforms import rules_for
from publisher.platforms.mastodon_adapter import MastodonAdapter
from publisher.platforms.x_adapter import XAdapter
from publisher.store.filequeue import FileQueue
from publisher.store.ledger import Ledger
from publisher.store.model import QueueItem
from publisher.testing.clock import FakeClock
from tests.fakes.mastodon_server import FakeMastodonServer
from tests.fakes.x_server import FakeXServer
from tests.test_gitsync import clone, git, isolated_git, no_sleep, seeded_remote
from tests.test_mastodon_posting import mastodon_env
from tests.test_x_posting import x_env

__all__ = ["isolated_git", "mastodon_env", "x_env"]  # fixtures, used by name
NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
PLATFORMS = ("x", "mastodon")
PAPERS = 4
STEPS = 14
SEEDS = [int(s) for s in os.environ.get("PUBLISHER_PROPERTY_SEEDS", "1,2,3").split(",")]
FAULTS: list[tuple[str, dict[str, Any]]] = [
    ("500", {"after_commit": True}),
    ("503", {}),
    ("drop", {"after_commit": True}),
    ("drop", {}),
    ("empty", {}),
    ("html", {}),
]


def _item(paper: int, platform: str) -> QueueItem:
    posts = [
        f"Paper {paper} on {platform}, post {i}: what it finds, said once and only once."
        for i in (1, 2, 3)
    ]
    return QueueItem(
        id=f"2026-11-02-paper-{paper}",
        platform=platform,
        title=f"Paper {paper}",
        not_before=NOW,
        created=NOW,
        posts=posts,
    )


def _settings() -> Settings:
    return Settings(
        platforms=list(PLATFORMS),
        schedule=ScheduleSettings(
            max_threads_per_run=3, daily_posts=dict.fromkeys(PLATFORMS, 1000)
        ),
        retry=RetrySettings(budget_seconds=20, initial_wait=1, max_wait=5, timeout_seconds=2),
    )


@dataclass
class Month:
    """The remote, the person's checkout, the servers, and what happened so far."""

    tmp: Path
    remote: Path
    person: Path
    x: FakeXServer
    mastodon: FakeMastodonServer
    rng: random.Random
    now: dt.datetime = NOW
    runs: int = 0
    seed_commit: str = ""
    failed: list[tuple[str, str]] = field(default_factory=list)
    log: list[str] = field(default_factory=list)

    # ---- the person, editing on GitHub (always on the latest main) ----------------------------

    def _fresh(self) -> Path:
        git(self.person, "fetch", "--quiet", "origin")
        git(self.person, "reset", "--quiet", "--hard", "origin/main")
        return self.person / "queue"

    def _push(self, what: str) -> None:
        git(self.person, "add", "-A", "queue")
        if git(self.person, "status", "--porcelain", "queue"):
            git(self.person, "commit", "--quiet", "-m", what)
            git(self.person, "push", "--quiet", "origin", "HEAD:main")
            self.log.append(what)

    def edit(self) -> None:
        queue = self._fresh()
        open_files = sorted(queue.glob("*.md"))
        kind = self.rng.choice(["hold", "release", "delete", "restore", "text", "posted"])
        if kind == "restore":  # an old, pre-posting copy put back (even of an archived thread)
            name = f"{_item(self.rng.randrange(PAPERS), self.rng.choice(PLATFORMS)).key}.md"
            (queue / name).write_text(git(self.person, "show", f"{self.seed_commit}:queue/{name}"))
            return self._push(f"restore {name}")
        if not open_files:
            return None
        path = self.rng.choice(open_files)
        text = path.read_text(encoding="utf-8")
        if kind == "hold":
            text = re.sub(r"^status: (pending|posting|failed)$", "status: held", text, flags=re.M)
        elif kind == "release":
            back = "posting" if re.search(r"^- \{", text, flags=re.M) else "pending"
            text = re.sub(r"^status: held$", f"status: {back}", text, flags=re.M)
        elif kind == "delete":
            path.unlink()
            return self._push(f"delete {path.name}")
        elif kind == "text":  # a word changed in one post (posted or not): unique new text
            number = self.rng.randint(1, 3)
            text = re.sub(
                rf"(---- post {number} ----\n[^\n]*)", rf"\1 (edit {len(self.log)})", text
            )
        else:  # the posted: block deleted
            text = re.sub(r"^posted:\n(- \{.*\}\n)+", "posted: []\n", text, flags=re.M)
        path.write_text(text, encoding="utf-8")
        return self._push(f"{kind} {path.name}")

    def undo_edits(self) -> None:
        """Release every hold and put back every deleted thread (its pre-posting copy)."""
        queue = self._fresh()
        archived = {p.name for p in (queue / "archive").rglob("*.md")}
        for paper in range(PAPERS):
            for platform in PLATFORMS:
                name = f"{_item(paper, platform).key}.md"
                path = queue / name
                if not path.exists() and name not in archived:
                    path.write_text(git(self.person, "show", f"{self.seed_commit}:queue/{name}"))
                elif path.exists():
                    text = path.read_text(encoding="utf-8")
                    back = "posting" if re.search(r"^- \{", text, flags=re.M) else "pending"
                    path.write_text(re.sub(r"^status: held$", f"status: {back}", text, flags=re.M))
        self._push("undo every hold and delete")

    # ---- a scheduled run on a throwaway runner -----------------------------------------------

    def run(self, *, faults: bool, race: Callable[[], None] | None = None) -> None:
        self.runs += 1
        self.now += dt.timedelta(hours=3)
        self.mastodon.advance(2 * 3600)  # the instance's idempotency keys are forgotten
        checkout = clone(self.remote, self.tmp / f"run-{self.runs}")
        recover_records(checkout)
        if faults:
            for server in (self.x, self.mastodon):
                kind, opts = self.rng.choice(FAULTS)
                server.fail_next(kind, after=self.rng.randrange(4), **opts)
        queue = FileQueue(checkout / "queue")
        settings = _settings()
        with queue.lock():
            report = runner.run(
                queue, settings, rules_for(settings), _adapter, self.now, FakeClock(t=time.time())
            )
        for server in (self.x, self.mastodon):
            server.wait_idle(5)
            server.clear_faults()  # a fault armed but not struck does not carry over
        self.failed += report.failed
        if race is not None:
            race()  # a person's edit pushed while the run posted
        try:
            commit_back(checkout, ["queue"], f"queue: run {self.runs}", sleep=no_sleep)
        except CommitBackError as exc:  # said loudly; its records wait on a branch
            self.log.append(f"commit-back failed: {exc}")

    def check_no_duplicates(self) -> None:
        for name, texts in (
            ("x", [t["text"] for t in self.x.tweets]),
            ("m", self.mastodon.texts()),
        ):
            twice = [text for text, n in Counter(texts).items() if n > 1]
            assert twice == [], (name, twice, self.log)


def _adapter(platform: str) -> Any:
    creds = credentials(platform)
    if platform == "x":
        return XAdapter(creds, timeout=2)
    return MastodonAdapter(creds, timeout=2)


def _month(tmp: Path, x: FakeXServer, mastodon: FakeMastodonServer, seed: int) -> Month:
    def fill(seed: Path) -> None:
        queue = FileQueue(seed / "queue")
        for paper in range(PAPERS):
            for platform in PLATFORMS:
                queue.save(_item(paper, platform))

    remote, seed_dir = seeded_remote(tmp, fill)
    month = Month(tmp, remote, clone(remote, tmp / "person"), x, mastodon, random.Random(seed))
    month.seed_commit = git(seed_dir, "rev-parse", "HEAD")
    return month


@pytest.mark.usefixtures("x_env", "mastodon_env")
@pytest.mark.parametrize("seed", SEEDS)
def test_no_post_twice_and_every_post_recorded(
    tmp_path: Path, x_server: FakeXServer, mastodon_server: FakeMastodonServer, seed: int
) -> None:
    month = _month(tmp_path, x_server, mastodon_server, seed)
    for _ in range(STEPS):
        step = month.rng.random()
        if step < 0.35:
            month.edit()
        elif step < 0.55:
            month.run(faults=month.rng.random() < 0.7, race=month.edit)
        else:
            month.run(faults=month.rng.random() < 0.7)
        month.check_no_duplicates()
    month.undo_edits()
    for _ in range(8):  # no more faults or edits: the queue runs dry
        month.run(faults=False)
        month.check_no_duplicates()
    assert month.failed == [], month.log

    final = clone(month.remote, tmp_path / "final")
    recorded = Ledger(final / "queue").read().ids()
    made = {("x", t["id"]) for t in x_server.tweets}
    made |= {("mastodon", s["id"]) for s in mastodon_server.statuses}
    assert made - recorded == set(), month.log
    assert FileQueue(final / "queue").paths() == [], month.log  # every thread posted in full
    assert len(made) == PAPERS * len(PLATFORMS) * 3
