"""Posting to Mastodon through the real Mastodon.py client against a local instance.

Every fault leaves the server holding exactly the thread's posts, in one reply chain, none
twice: within the hour through the ``Idempotency-Key``, past it through the look-up of the
account's own statuses, which never adopts another thread's post.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import time
from pathlib import Path
from typing import Any

import pytest

from publisher import runner
from publisher.config import (
    FormatSettings,
    RetrySettings,
    Settings,
    credentials,
    load_settings,
)
from publisher.formatter import number_posts
from publisher.platforms import rules_for
from publisher.platforms.base import Slot
from publisher.platforms.mastodon import MastodonRules
from publisher.platforms.mastodon_adapter import MastodonAdapter, idempotency_key
from publisher.store.fileformat import read_item
from publisher.store.filequeue import FileQueue
from publisher.store.model import LoadedItem, PostRecord, QueueItem
from publisher.testing.clock import FakeClock
from tests.conftest import EXAMPLE, MASTODON_CANARY
from tests.fakes.mastodon_server import FakeMastodonServer
from tests.publisher_cli import job_args, kill_when_then_rerun, quiet_env, run_publisher

NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)
POSTS = [f"Post {i} of a five-post thread about mean flows. 평균 속도 {i}" for i in range(1, 6)]
SENT = number_posts(POSTS, FormatSettings())  # as they go out: with "\n1/5" … "\n5/5"
KEY = "2025-05-20-mean-flows.mastodon"
STATUSES = "/api/v1/statuses"
INSTANCE = "/api/v2/instance"


@pytest.fixture
def mastodon_env(
    mastodon_server: FakeMastodonServer, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    env = {**MASTODON_CANARY, "MASTODON_BASE_URL": mastodon_server.base_url}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def _settings(budget: float = 300, timeout: float = 5) -> Settings:
    return Settings(
        platforms=["mastodon"],
        retry=RetrySettings(
            budget_seconds=budget, initial_wait=1, max_wait=10, timeout_seconds=timeout
        ),
    )


def _item(**fields: Any) -> QueueItem:
    values: dict[str, Any] = {
        "id": "2025-05-20-mean-flows",
        "platform": "mastodon",
        "title": "Mean Flows",
        "not_before": NOW,
        "created": NOW,
        "posts": POSTS,
    }
    return QueueItem(**{**values, **fields})


def _queue(tmp_path: Path, *items: QueueItem) -> FileQueue:
    queue = FileQueue(tmp_path / "queue")
    for item in items or (_item(),):
        queue.save(item)
    return queue


def _run(
    queue: FileQueue, settings: Settings, now: dt.datetime = NOW, clock: FakeClock | None = None
) -> runner.RunReport:
    creds = credentials("mastodon")
    return runner.run(
        queue,
        settings,
        rules_for(settings),
        lambda p: MastodonAdapter(creds, timeout=settings.retry.timeout_seconds),
        now,
        clock or FakeClock(t=time.time()),
    )


def _chain(server: FakeMastodonServer, ids: list[str]) -> list[dict[str, Any]]:
    """The statuses ``ids``, checked to be one reply chain (the first replying to nothing)."""
    by_id = {s["id"]: s for s in server.statuses}
    chain = [by_id[i] for i in ids]
    assert chain[0]["in_reply_to_id"] is None
    for parent, child in itertools.pairwise(chain):
        assert child["in_reply_to_id"] == parent["id"]
    return chain


def _assert_one_chain(server: FakeMastodonServer, texts: list[str]) -> None:
    """The server holds ``texts`` (numbered as sent) and nothing else, as one reply chain."""
    assert server.texts() == number_posts(texts, FormatSettings())
    _chain(server, [s["id"] for s in server.statuses])


def _posted(queue: FileQueue) -> QueueItem:
    """The queue's one thread: open, or archived once posted in full."""
    return read_item((queue.paths() or queue.archived_paths())[0]).item


def _posts(server: FakeMastodonServer) -> list[dict[str, Any]]:
    return [r for r in server.requests if (r["method"], r["path"]) == ("POST", STATUSES)]


class TestPosting:
    """A thread goes out as a reply chain, recorded post by post, each post with its own key."""

    def test_thread_posted_and_recorded(
        self, tmp_path: Path, mastodon_server: FakeMastodonServer, mastodon_env: dict[str, str]
    ) -> None:
        """Five statuses, each replying to the one before; ids and URLs in the queue file."""
        queue = _queue(tmp_path)
        report = _run(queue, _settings())
        assert report.exit_code == 0
        _assert_one_chain(mastodon_server, POSTS)
        item = _posted(queue)
        assert item.status == "posted"
        assert [r.id for r in item.posted] == [s["id"] for s in mastodon_server.statuses]
        assert all(r.url.startswith(mastodon_server.base_url + "/@") for r in item.posted)

    def test_one_request_per_post_with_its_key(
        self, tmp_path: Path, mastodon_server: FakeMastodonServer, mastodon_env: dict[str, str]
    ) -> None:
        """Without faults: one POST per post, nothing else; each with the key of its place,
        its language and the configured visibility."""
        _run(_queue(tmp_path), _settings())
        posts = _posts(mastodon_server)
        assert len(posts) == len(mastodon_server.requests) == 5
        keys = [r["headers"]["Idempotency-Key"] for r in posts]
        assert keys == [idempotency_key(Slot(KEY, i)) for i in range(5)]
        assert len(set(keys)) == 5
        assert [s["language"] for s in mastodon_server.statuses] == ["ko"] * 5
        assert {s["visibility"] for s in mastodon_server.statuses} == {"public"}


class TestFaults:
    """Transient faults are retried; unknown outcomes never become a second status."""

    @pytest.mark.parametrize(
        ("kind", "opts"),
        [
            ("500", {}),
            ("503", {"after_commit": True}),
            ("drop", {}),
            ("drop", {"after_commit": True}),
            ("429", {"reset_in": 1}),
            ("slow", {"delay": 1.0}),
        ],
    )
    def test_fault_on_third_post(
        self,
        tmp_path: Path,
        mastodon_server: FakeMastodonServer,
        mastodon_env: dict[str, str],
        kind: str,
        opts: dict[str, object],
    ) -> None:
        """The fault hits post 3; the run still ends with exactly the five posts, chained."""
        queue = _queue(tmp_path)
        mastodon_server.fail_next(kind, after=2, **opts)
        clock = FakeClock(t=time.time())
        report = _run(queue, _settings(timeout=0.5), clock=clock)
        mastodon_server.wait_idle(5)
        assert report.exit_code == 0, report.failed
        assert mastodon_server.faults_hit == [kind]
        _assert_one_chain(mastodon_server, POSTS)
        assert _posted(queue).status == "posted"
        if kind == "429":
            assert max(clock.waits) >= 0.9  # never sooner than the announced reset

    def test_same_key_within_the_hour_gives_the_same_status(
        self, mastodon_server: FakeMastodonServer, mastodon_env: dict[str, str]
    ) -> None:
        """A post sent again after a lost answer is the status made the first time; past the
        hour the instance has forgotten the key (which is why ``find`` looks statuses up)."""
        adapter = MastodonAdapter(credentials("mastodon"), timeout=2)
        try:
            slot = Slot(KEY, 0, since=time.time() - 5)
            mastodon_server.fail_next("drop", after_commit=True)
            with pytest.raises(Exception, match="may have been made"):
                adapter.post({"text": SENT[0]}, slot)
            again = adapter.post({"text": SENT[0]}, slot)
            assert [s["id"] for s in mastodon_server.statuses] == [again.id]
            keys = {r["headers"]["Idempotency-Key"] for r in _posts(mastodon_server)}
            assert keys == {idempotency_key(slot)}
            assert adapter.find({"text": SENT[0]}, slot) == again
            mastodon_server.advance(3601)
            assert adapter.post({"text": SENT[0]}, slot).id != again.id
        finally:
            adapter.close()

    def test_past_the_hour_the_lookup_settles_an_unknown_outcome(
        self, tmp_path: Path, mastodon_server: FakeMastodonServer, mastodon_env: dict[str, str]
    ) -> None:
        """Post 3 was made but its answer lost and the run gave up; the next run comes after
        the key's hour: the look-up finds post 3, and only posts 4 and 5 are sent."""
        queue = _queue(tmp_path)
        mastodon_server.fail_next("drop", after=2, after_commit=True)
        report = _run(queue, _settings(budget=0))
        item = read_item(queue.paths()[0]).item
        assert report.sent and len(item.posted) == 2 and item.sending == 3
        assert len(mastodon_server.statuses) == 3  # made, but not recorded

        mastodon_server.advance(3601)  # the Idempotency-Key of post 3 is forgotten
        before = len(mastodon_server.requests)
        report = _run(queue, _settings(), now=item.not_before + dt.timedelta(hours=1))
        assert report.exit_code == 0, report.failed
        _assert_one_chain(mastodon_server, POSTS)
        later = mastodon_server.requests[before:]
        assert [r["method"] for r in later if r["path"] == STATUSES] == ["POST", "POST"]
        assert any(r["path"].endswith("/statuses") and r["method"] == "GET" for r in later)
        assert [r.id for r in _posted(queue).posted] == [s["id"] for s in mastodon_server.statuses]

    def test_lookup_pages_back_to_the_mark(
        self, mastodon_server: FakeMastodonServer, mastodon_env: dict[str, str]
    ) -> None:
        """The post is found under 45 newer statuses (two pages back), and not past the mark."""
        adapter = MastodonAdapter(credentials("mastodon"), timeout=2)
        try:
            adapter.post({"text": "an old status"}, Slot("old.mastodon", 0))
            time.sleep(0.01)
            slot = Slot(KEY, 0, since=time.time())
            mine = adapter.post({"text": SENT[0]}, slot)
            for n in range(45):
                adapter.post({"text": f"later status {n}"}, Slot(f"later-{n}.mastodon", 0))
            assert adapter.find({"text": SENT[0]}, slot) == mine
            gets = [r for r in mastodon_server.requests if r["path"].endswith("/statuses")]
            assert len([r for r in gets if r["method"] == "GET"]) == 2
            assert all(r["query"].get("limit") == "40" for r in gets if r["method"] == "GET")
            assert adapter.find({"text": "an old status"}, slot) is None  # made before
        finally:
            adapter.close()

    @pytest.mark.parametrize("how", ["made-before-the-mark", "recorded-by-another-thread"])
    def test_another_threads_identical_post_is_never_adopted(
        self,
        tmp_path: Path,
        mastodon_server: FakeMastodonServer,
        mastodon_env: dict[str, str],
        how: str,
    ) -> None:
        """A thread whose first post's outcome is unknown finds an identical status of another
        thread (made before its mark, or recorded in another queue file): it posts its own."""
        adapter = MastodonAdapter(credentials("mastodon"), timeout=2)
        if how == "made-before-the-mark":
            mastodon_server.advance(-60)  # a minute ago
        other = adapter.post({"text": SENT[0]}, Slot("other.mastodon", 0))
        adapter.close()
        if how == "made-before-the-mark":
            mastodon_server.advance(60)
        mark = dt.datetime.now(dt.UTC).replace(microsecond=0)
        unknown = _item(status="posting", sending=1, sending_at=mark)
        items = [unknown]
        if how == "recorded-by-another-thread":
            record = PostRecord(post=1, id=other.id, url=other.url, at=NOW, sha="0" * 64)
            items.append(
                _item(
                    id="another",
                    status="posting",
                    posts=POSTS[:2],
                    posted=[record],
                    not_before=NOW + dt.timedelta(days=30),
                )
            )
        queue = _queue(tmp_path, *items)
        report = _run(queue, _settings())
        assert report.exit_code == 0, report.failed
        mine = [r.id for r in read_item(queue.archived_paths()[0]).item.posted]
        assert other.id not in mine
        assert [s["text"] for s in _chain(mastodon_server, mine)] == SENT
        assert mastodon_server.texts().count(SENT[0]) == 2


class TestCrash:
    """SIGKILL after each post of a five-post thread, then a rerun: no post twice, none lost."""

    @pytest.mark.parametrize("after", [1, 2, 3, 4, 5])
    def test_kill_and_rerun(
        self,
        tmp_path: Path,
        mastodon_server: FakeMastodonServer,
        mastodon_env: dict[str, str],
        after: int,
    ) -> None:
        """The rerun continues from the last recorded post, or settles the unrecorded one."""
        queue = _queue(tmp_path)
        config = tmp_path / "publisher.toml"
        config.write_text('platforms = ["mastodon"]\n', encoding="utf-8")
        args = job_args(queue.root, config, NOW.isoformat())
        printed = kill_when_then_rerun(
            args,
            quiet_env(**mastodon_env),
            tmp_path,
            lambda: len(mastodon_server.statuses) >= after,
        )
        _assert_one_chain(mastodon_server, POSTS)
        item = _posted(queue)
        assert item.status == "posted"
        assert [r.id for r in item.posted] == [s["id"] for s in mastodon_server.statuses]
        for text in [*printed, *(p.read_text(encoding="utf-8") for p in queue.archived_paths())]:
            assert MASTODON_CANARY["MASTODON_ACCESS_TOKEN"] not in text


# ---- the command line: the example digest, enqueued and posted ---------------------------------

ENQUEUED_AT = "2025-05-20T08:00:00+09:00"
WEEK_LATER = "2025-05-27T08:00:00+09:00"  # every thread of the digest is due


def _config(tmp_path: Path, extra: str = "") -> Path:
    config = tmp_path / "publisher.toml"
    config.write_text(
        'platforms = ["mastodon"]\n'
        "[schedule]\nmax_threads_per_run = 100\n"
        "[retry]\ninitial_wait = 0.1\nmax_wait = 1\ntimeout_seconds = 1\nbudget_seconds = 60\n"
        + extra,
        encoding="utf-8",
    )
    return config


def _cli(tmp_path: Path, env: dict[str, str], *args: str) -> Any:
    return run_publisher(*args, cwd=tmp_path, env=quiet_env(**env))


def _enqueue(tmp_path: Path, config: Path, env: dict[str, str]) -> Any:
    queue = tmp_path / "queue"
    done = _cli(
        tmp_path, env, "enqueue", str(EXAMPLE), "--queue", str(queue), "--config", str(config),
        "--now", ENQUEUED_AT,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done


class TestCommandLine:
    """The example digest through `publisher enqueue` and the scheduled `publisher` run."""

    def test_example_digest_posts_in_full_under_faults(
        self, tmp_path: Path, mastodon_server: FakeMastodonServer, mastodon_env: dict[str, str]
    ) -> None:
        """Every thread posted as its own chain, every post once, whatever the faults."""
        config = _config(tmp_path)
        _enqueue(tmp_path, config, mastodon_env)
        mastodon_server.fail_next("503", after=1, after_commit=True)
        mastodon_server.fail_next("drop", after=2, after_commit=True)
        mastodon_server.fail_next("429", after=2, reset_in=1)
        mastodon_server.fail_next("500", after=3)
        mastodon_server.fail_next("slow", after=1, delay=2)
        mastodon_server.fail_next("drop", after=2)
        queue = FileQueue(tmp_path / "queue")
        queued = len(queue.paths())
        assert queued >= 6
        done = _cli(tmp_path, mastodon_env, *job_args(queue.root, config, WEEK_LATER))
        mastodon_server.wait_idle(5)
        assert done.returncode == 0, done.stdout + done.stderr
        assert len(mastodon_server.faults_hit) == 6
        assert queue.paths() == []  # every thread posted in full, so archived
        items = [read_item(p).item for p in queue.archived_paths()]
        assert len(items) == queued
        made = 0
        for item in items:
            chain = _chain(mastodon_server, [r.id for r in item.posted])
            assert [s["text"] for s in chain] == number_posts(item.posts, FormatSettings())
            made += len(chain)
        assert len(mastodon_server.statuses) == made  # nothing else, nothing twice
        assert MASTODON_CANARY["MASTODON_ACCESS_TOKEN"] not in done.stdout + done.stderr

    def test_limits_cached_at_enqueue(
        self, tmp_path: Path, mastodon_server: FakeMastodonServer, mastodon_env: dict[str, str]
    ) -> None:
        """An instance of 1000 characters: its threads are laid out within 1000, the files keep
        the limits, and later runs check against them, not against what the server says now."""
        mastodon_server.max_characters = 1000
        config = _config(tmp_path, '[mastodon]\nlayout = "compact"\n')
        _enqueue(tmp_path, config, mastodon_env)
        queue = FileQueue(tmp_path / "queue")
        loaded, problems = queue.load()
        assert problems == [] and len(loaded) >= 6
        assert {tuple(li.item.limits.items()) for li in loaded if li.item.limits} == {
            (("max_characters", 1000), ("characters_reserved_per_url", 23))
        }
        assert all("  max_characters: 1000" in li.path.read_text() for li in loaded)
        default = MastodonRules()
        assert any(default.length(p) > 500 for li in loaded for p in li.item.posts)

        mastodon_server.max_characters = 500  # the instance lowers its limit afterwards
        seen = len(mastodon_server.requests)
        dry = _cli(tmp_path, {}, "--dry-run", *job_args(queue.root, config, WEEK_LATER))
        assert dry.returncode == 0, dry.stdout + dry.stderr
        assert re.search(r"\b[5-9][0-9]{2}/1000\b", dry.stdout), dry.stdout
        assert "/500" not in dry.stdout
        assert len(mastodon_server.requests) == seen  # a dry run asks nothing

        settings = load_settings(config)
        plan = runner.make_plan(
            loaded,
            [],
            settings,
            rules_for(settings, {"mastodon": {"max_characters": 500}}),  # as a run reads now
            dt.datetime.fromisoformat(WEEK_LATER),
        )
        assert plan.problems == [] and len(plan.due) == len(loaded)
        assert {p.limit for p in plan.due} == {1000}

    def test_enqueue_without_credentials_says_so(self, tmp_path: Path) -> None:
        """No credentials at enqueue: the default limits, a note, and files without limits."""
        done = _enqueue(tmp_path, _config(tmp_path), {})
        assert "Mastodon: the server's limits were not read" in done.stdout + done.stderr
        assert "MASTODON_BASE_URL" in done.stdout + done.stderr
        for path in FileQueue(tmp_path / "queue").paths():
            assert "limits:" not in path.read_text(encoding="utf-8")

    def test_dry_run_shows_mastodon_threads(self, tmp_path: Path) -> None:
        """`publisher --dry-run --platform mastodon DIGEST` shows the threads with counts."""
        config = tmp_path / "publisher.toml"
        config.write_text('platforms = ["x", "bluesky", "mastodon"]\n', encoding="utf-8")
        done = _cli(
            tmp_path, {}, "--dry-run", "--platform", "mastodon", "--config", str(config),
            str(EXAMPLE),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        shown = re.findall(r"── mastodon (\d+)/(\d+)  (\d+)/500", done.stdout)
        assert len(shown) >= 12
        assert all(0 < int(count) <= 500 for _, _, count in shown)
        assert "── x " not in done.stdout and "── bluesky " not in done.stdout
        assert "limits are not read in a dry run" in done.stderr

    def test_refused_token_is_named_not_shown(
        self, tmp_path: Path, mastodon_server: FakeMastodonServer, mastodon_env: dict[str, str]
    ) -> None:
        """A wrong token: the run fails with the server's 401, and no token is printed."""
        queue = _queue(tmp_path)
        config = _config(tmp_path)
        wrong = "canary-wrong-mastodon-token-1234"
        env = {**mastodon_env, "MASTODON_ACCESS_TOKEN": wrong}
        done = _cli(tmp_path, env, *job_args(queue.root, config, NOW.isoformat()))
        assert done.returncode == 1
        printed = done.stdout + done.stderr
        assert "401" in printed
        assert wrong not in printed and MASTODON_CANARY["MASTODON_ACCESS_TOKEN"] not in printed
        assert mastodon_server.statuses == []
        assert read_item(queue.paths()[0]).item.status == "pending"


def test_loaded_item_helper_keeps_limits(tmp_path: Path) -> None:
    """A queue file with ``limits:`` reads back with them; one without, as before."""
    queue = _queue(tmp_path, _item(limits={"max_characters": 1000}), _item(id="plain"))
    loaded: list[LoadedItem] = queue.load()[0]
    assert {li.item.id: li.item.limits for li in loaded} == {
        "2025-05-20-mean-flows": {"max_characters": 1000},
        "plain": None,
    }
