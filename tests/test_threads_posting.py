"""Posting to Threads through the plain-HTTP adapter against the local Threads server.

Container, status until ``FINISHED`` (the waits through an injected sleep: nothing sleeps for
real), publish; 4279009 is a wait, not a failure; after any unknown outcome the post is looked
up among the account's own posts or replies before anything is sent again. The rolling quotas
are read before a thread starts; an expired token names ``THREADS_ACCESS_TOKEN``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from pathlib import Path
from typing import Any

import pytest

from publisher import runner
from publisher.config import FormatSettings, RetrySettings, Settings, credentials
from publisher.errors import AccountRefused, PermanentError, RateLimited, TransientError
from publisher.formatter import number_posts
from publisher.platforms import rules_for
from publisher.platforms.base import PostRef, Slot
from publisher.platforms.threads import ThreadsCredentials, ThreadsRules
from publisher.platforms.threads_adapter import ThreadsAdapter, ready_waits
from publisher.store.fileformat import read_item
from publisher.store.filequeue import FileQueue
from publisher.store.model import LoadedItem, PostRecord, QueueItem
from publisher.testing.clock import FakeClock
from tests.conftest import EXAMPLE, THREADS_CANARY
from tests.fakes.threads_server import FakeThreadsServer
from tests.publisher_cli import job_args, kill_when_then_rerun, quiet_env, run_publisher

NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)
POSTS = [f"Post {i} of a five-post thread about mean flows. 평균 속도 {i}" for i in range(1, 6)]
PUBLISH = "/v1.0/17841400000000001/threads_publish"
CREATE = "/v1.0/17841400000000001/threads"
TOKEN = THREADS_CANARY["THREADS_ACCESS_TOKEN"]


@pytest.fixture
def threads_env(
    threads_server: FakeThreadsServer, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    env = {**THREADS_CANARY, "THREADS_API_BASE_URL": threads_server.base_url}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def _adapter(server: FakeThreadsServer, clock: FakeClock | None = None) -> ThreadsAdapter:
    values = {**THREADS_CANARY, "THREADS_API_BASE_URL": server.base_url}
    return ThreadsAdapter(
        ThreadsCredentials.model_validate(values),
        timeout=2,
        sleep=(clock or FakeClock()).sleep,
    )


def _payload(text: str) -> dict[str, Any]:
    return ThreadsRules().payload(text)


def _slot(index: int = 0, parent: PostRef | None = None, **extra: Any) -> Slot:
    return Slot("t-1", index, parent=parent, root=parent, since=time.time() - 5, **extra)


def _calls(server: FakeThreadsServer, path: str) -> list[dict[str, Any]]:
    return [r for r in server.requests if r["method"] == "POST" and r["path"] == path]


class TestAdapter:
    def test_container_waits_until_finished_then_publishes(
        self, threads_server: FakeThreadsServer
    ) -> None:
        threads_server.not_ready = 2  # two status reads answer IN_PROGRESS
        clock = FakeClock()
        adapter = _adapter(threads_server, clock)
        try:
            first = adapter.post(_payload("첫 글 hello"), _slot())
            second = adapter.post(_payload("reply"), _slot(1, parent=first))
        finally:
            adapter.close()
        assert clock.waits == [1.0, 2.0, 1.0, 2.0]  # backoff, through the injected sleep
        assert threads_server.texts() == ["첫 글 hello", "reply"]
        assert threads_server.posts[1]["reply_to"] == first.id
        assert second.url.endswith(f"/post/{second.id}")
        creates = _calls(threads_server, CREATE)
        assert "reply_to_id" not in creates[0]["body"] and first.id in creates[1]["body"]
        assert all(TOKEN not in r["path"] + r["body"] for r in threads_server.requests)

    def test_publishing_too_soon_is_a_wait_not_a_failure(
        self, threads_server: FakeThreadsServer
    ) -> None:
        """4279009 ("Media Not Found", marked not transient by Meta) is waited out."""
        threads_server.not_ready = 0
        threads_server.fail_next("not_ready", count=2)
        clock = FakeClock()
        adapter = _adapter(threads_server, clock)
        try:
            adapter.post(_payload("soon"), _slot())
        finally:
            adapter.close()
        assert threads_server.texts() == ["soon"]
        assert len(_calls(threads_server, PUBLISH)) == 3
        assert clock.waits == [1.0, 2.0]

    def test_never_ready_is_transient_and_the_container_is_kept(
        self, threads_server: FakeThreadsServer
    ) -> None:
        threads_server.not_ready = 100
        clock = FakeClock()
        adapter = _adapter(threads_server, clock)
        try:
            with pytest.raises(TransientError) as info:
                adapter.post(_payload("slow"), _slot())
            assert not info.value.outcome_unknown
            assert clock.waits == list(ready_waits(1.0))  # bounded: 45 s in six waits
            threads_server.not_ready = 0
            for container in threads_server.containers.values():
                container["reads_left"] = 0
            adapter.post(_payload("slow"), _slot())
        finally:
            adapter.close()
        assert len(_calls(threads_server, CREATE)) == 1  # the retry publishes the same one
        assert threads_server.texts() == ["slow"]

    def test_container_error_is_permanent(self, threads_server: FakeThreadsServer) -> None:
        threads_server.container_error = "UNKNOWN"
        adapter = _adapter(threads_server)
        try:
            with pytest.raises(PermanentError, match="UNKNOWN"):
                adapter.post(_payload("x"), _slot())
        finally:
            adapter.close()
        assert threads_server.texts() == []

    def test_an_expired_container_is_made_anew(self, threads_server: FakeThreadsServer) -> None:
        threads_server.not_ready = 100
        adapter = _adapter(threads_server)
        try:
            with pytest.raises(TransientError):
                adapter.post(_payload("late"), _slot())
            threads_server.expire_containers()
            threads_server.not_ready = 0
            adapter.post(_payload("late"), _slot())
        finally:
            adapter.close()
        assert len(_calls(threads_server, CREATE)) == 2
        assert threads_server.texts() == ["late"]

    @pytest.mark.parametrize("index", [0, 1])
    def test_lost_publish_is_found_not_sent_again(
        self, threads_server: FakeThreadsServer, index: int
    ) -> None:
        """A dropped answer after the publish: unknown outcome; the look-up finds the post
        among the account's threads (a first post) or replies (a reply)."""
        adapter = _adapter(threads_server)
        try:
            parent = adapter.post(_payload("root"), _slot()) if index else None
            threads_server.fail_next("drop", after_commit=True)
            slot = _slot(index, parent=parent)
            with pytest.raises(TransientError) as info:
                adapter.post(_payload("lost one"), slot)
            assert info.value.outcome_unknown
            found = adapter.find(_payload("lost one"), slot)
        finally:
            adapter.close()
        assert found is not None and found.id == threads_server.posts[-1]["id"]
        assert threads_server.texts().count("lost one") == 1

    def test_drop_before_the_publish_is_not_found(self, threads_server: FakeThreadsServer) -> None:
        adapter = _adapter(threads_server)
        try:
            threads_server.fail_next("drop")
            slot = _slot()
            with pytest.raises(TransientError):
                adapter.post(_payload("never"), slot)
            assert adapter.find(_payload("never"), slot) is None
        finally:
            adapter.close()

    def test_lookup_pages_back_through_the_cursor(self, threads_server: FakeThreadsServer) -> None:
        """A reply made before 120 others is still found, page by page."""
        adapter = _adapter(threads_server)
        try:
            root = adapter.post(_payload("root"), _slot())
            since = time.time() - 5
            wanted = adapter.post(_payload("the reply"), _slot(1, parent=root))
            for n in range(120):
                threads_server.add_post(f"noise {n}", reply_to=root.id)
            slot = Slot("t-1", 1, root=root, parent=root, since=since)
            assert adapter.find(_payload("the reply"), slot) == wanted
        finally:
            adapter.close()
        pages = [r for r in threads_server.requests if r["path"].endswith("/replies")]
        assert len(pages) == 3 and "after" in pages[-1]["query"]

    def test_own_thread_rule(self, threads_server: FakeThreadsServer) -> None:
        """An older post with the same text, or one recorded by another thread, is not this."""
        old = threads_server.add_post("same text", age=3600)
        adapter = _adapter(threads_server)
        try:
            assert adapter.find(_payload("same text"), _slot()) is None
            other = adapter.post(_payload("twin"), _slot())
            taken = _slot(taken=frozenset({other.id}))
            assert adapter.find(_payload("twin"), taken) is None
            assert adapter.find(_payload("twin"), _slot()) == PostRef(other.id, other.url)
        finally:
            adapter.close()
        assert old != other.id

    def test_quota_and_whoami(self, threads_server: FakeThreadsServer) -> None:
        adapter = _adapter(threads_server)
        try:
            root = adapter.post(_payload("a"), _slot())
            adapter.post(_payload("b"), _slot(1, parent=root))
            assert adapter.quota_used() == {"posts": (1, 250), "replies": (1, 1000)}
            assert adapter.whoami() == "@paperbot"
        finally:
            adapter.close()

    def test_rate_limit_is_rate_limited(self, threads_server: FakeThreadsServer) -> None:
        threads_server.quota_posts = 0
        adapter = _adapter(threads_server)
        try:
            with pytest.raises(RateLimited):
                adapter.post(_payload("over"), _slot())
        finally:
            adapter.close()

    def test_expired_token_names_the_variable(self, threads_server: FakeThreadsServer) -> None:
        threads_server.expire_token()
        adapter = _adapter(threads_server)
        try:
            with pytest.raises(AccountRefused) as info:
                adapter.whoami()
        finally:
            adapter.close()
        message = str(info.value)
        assert "THREADS_ACCESS_TOKEN" in message and "refresh-token" in message
        assert TOKEN not in message


# ---- the run: quotas -----------------------------------------------------------------------------


def _settings() -> Settings:
    return Settings(
        platforms=["threads"],
        retry=RetrySettings(budget_seconds=300, initial_wait=1, max_wait=10, timeout_seconds=5),
    )


def _item(name: str = "2025-05-20-mean-flows", **fields: Any) -> QueueItem:
    values: dict[str, Any] = {
        "id": name,
        "platform": "threads",
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


def _run(queue: FileQueue, settings: Settings) -> runner.RunReport:
    creds = credentials("threads")
    clock = FakeClock(t=time.time())
    return runner.run(
        queue,
        settings,
        rules_for(settings),
        lambda p: ThreadsAdapter(creds, timeout=5, sleep=clock.sleep),  # type: ignore[arg-type]
        NOW,
        clock,
    )


class TestQuota:
    def test_a_thread_that_does_not_fit_waits(
        self, tmp_path: Path, threads_server: FakeThreadsServer, threads_env: dict[str, str]
    ) -> None:
        """3 replies left of the quota, a thread needing 4: it waits, naming the quota."""
        threads_server.quota_replies = 5
        root = threads_server.add_post("earlier")
        threads_server.add_post("r1", reply_to=root)
        threads_server.add_post("r2", reply_to=root)
        queue = _queue(tmp_path)
        report = _run(queue, _settings())
        assert report.exit_code == 0
        assert report.sent == [] and report.plan.due == []
        [waiting] = report.plan.waiting
        assert "quota of 5 replies" in waiting.why and "2 used" in waiting.why
        assert waiting.said
        assert threads_server.texts() == ["earlier", "r1", "r2"]
        assert any("2+0/5 replies" in line for line in report.plan.quota)

    def test_a_thread_that_fits_goes_and_the_next_waits(
        self, tmp_path: Path, threads_server: FakeThreadsServer, threads_env: dict[str, str]
    ) -> None:
        threads_server.quota_posts = 1
        queue = _queue(tmp_path, _item("a-first"), _item("b-second"))
        report = _run(queue, _settings())
        assert [s.key for s in report.sent] == ["a-first.threads"] * 5
        assert [w.item.id for w in report.plan.waiting] == ["b-second"]
        assert "quota of 1 posts" in report.plan.waiting[0].why

    def test_threads_behind_a_full_quota_wait_too(
        self, tmp_path: Path, threads_server: FakeThreadsServer, threads_env: dict[str, str]
    ) -> None:
        """In order: the second thread would fit a fresh quota, but waits behind the first."""
        threads_server.quota_replies = 6
        queue = _queue(tmp_path, _item("a-first"), _item("b-second", posts=POSTS[:2]))
        threads_server.add_post("x")
        for n in range(3):
            threads_server.add_post(f"r{n}", reply_to=threads_server.posts[0]["id"])
        report = _run(queue, _settings())
        assert report.sent == []
        assert [w.item.id for w in report.plan.waiting] == ["a-first", "b-second"]
        assert all(w.said and "quota of 6 replies" in w.why for w in report.plan.waiting)

    def test_a_started_thread_is_never_cut(self) -> None:
        """Begun before the quota ran out: planned in full all the same."""
        settings = _settings()
        posted = [
            PostRecord(post=1, id="1", url="u", at=NOW, sha="0" * 64),
        ]
        item = _item(status="posting", posted=posted)
        loaded = LoadedItem(item, Path("x.md"), [1, 2, 3, 4, 5])
        used = {"threads": {"posts": (250, 250), "replies": (1000, 1000)}}
        plan = runner.make_plan([loaded], [], settings, rules_for(settings), NOW, (), used)
        assert len(plan.due) == 1 and plan.waiting == []
        fresh = LoadedItem(_item("fresh"), Path("y.md"), [1, 2, 3, 4, 5])
        plan = runner.make_plan([fresh], [], settings, rules_for(settings), NOW, (), used)
        assert plan.due == [] and "quota of 250 posts" in plan.waiting[0].why

    def test_expired_token_fails_the_run_naming_the_variable(
        self, tmp_path: Path, threads_server: FakeThreadsServer, threads_env: dict[str, str]
    ) -> None:
        threads_server.expire_token()
        queue = _queue(tmp_path)
        report = _run(queue, _settings())
        assert report.exit_code == 1
        [(platform, why)] = report.halted
        assert platform == "threads" and "THREADS_ACCESS_TOKEN" in why and "refresh" in why
        assert threads_server.posts == []
        assert read_item(queue.paths()[0]).item.status == "pending"


# ---- the command line ---------------------------------------------------------------------------

ENQUEUED_AT = "2025-05-20T08:00:00+09:00"
WEEK_LATER = "2025-05-27T08:00:00+09:00"


def _config(tmp_path: Path, extra: str = "") -> Path:
    config = tmp_path / "publisher.toml"
    config.write_text(
        'platforms = ["threads"]\n'
        "[schedule]\nmax_threads_per_run = 100\n"
        "[retry]\ninitial_wait = 0.05\nmax_wait = 0.5\ntimeout_seconds = 1\nbudget_seconds = 60\n"
        "[threads]\nready_wait = 0.01\n" + extra,
        encoding="utf-8",
    )
    return config


def _cli(tmp_path: Path, env: dict[str, str], *args: str) -> Any:
    return run_publisher(*args, cwd=tmp_path, env=quiet_env(**env))


def _chain(server: FakeThreadsServer, ids: list[str]) -> list[dict[str, Any]]:
    by_id = {p["id"]: p for p in server.posts}
    chain = [by_id[i] for i in ids]
    assert chain[0]["reply_to"] is None
    for parent, child in itertools.pairwise(chain):
        assert child["reply_to"] == parent["id"]
    return chain


class TestCommandLine:
    def test_example_digest_posts_in_full_under_faults(
        self, tmp_path: Path, threads_server: FakeThreadsServer, threads_env: dict[str, str]
    ) -> None:
        """Every thread as its own reply chain, every post once, whatever the faults."""
        config = _config(tmp_path)
        queue = FileQueue(tmp_path / "queue")
        done = _cli(
            tmp_path, {}, "enqueue", str(EXAMPLE), "--queue", str(queue.root),
            "--config", str(config), "--now", ENQUEUED_AT,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        threads_server.fail_next("503", after=1, after_commit=True)
        threads_server.fail_next("drop", after=2, after_commit=True)
        threads_server.fail_next("not_ready", after=1)
        threads_server.fail_next("rate", after=1)
        threads_server.fail_next("500", after=2)
        threads_server.fail_next("drop", after=2)
        queued = len(queue.paths())
        assert queued >= 6
        done = _cli(tmp_path, threads_env, *job_args(queue.root, config, WEEK_LATER))
        threads_server.wait_idle(5)
        printed = done.stdout + done.stderr
        if queue.paths():  # the rate limit deferred what was left (a minute): a later run ends it
            later = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)).isoformat()
            again = _cli(tmp_path, threads_env, *job_args(queue.root, config, later))
            assert again.returncode == 0, again.stdout + again.stderr
            printed += again.stdout + again.stderr
        assert done.returncode == 0, printed
        assert len(threads_server.faults_hit) == 6
        assert queue.paths() == []
        items = [read_item(p).item for p in queue.archived_paths()]
        assert len(items) == queued
        made = 0
        for item in items:
            chain = _chain(threads_server, [r.id for r in item.posted])
            assert [p["text"] for p in chain] == number_posts(item.posts, FormatSettings())
            made += len(chain)
        assert len(threads_server.posts) == made  # nothing else, nothing twice
        assert TOKEN not in printed

    @pytest.mark.parametrize("after", [1, 2, 3, 4, 5])
    def test_kill_and_rerun(
        self,
        tmp_path: Path,
        threads_server: FakeThreadsServer,
        threads_env: dict[str, str],
        after: int,
    ) -> None:
        """SIGKILL once the server holds ``after`` posts, rerun: no duplicate, no gap."""
        queue = _queue(tmp_path)
        config = _config(tmp_path)
        printed = kill_when_then_rerun(
            job_args(queue.root, config, NOW.isoformat()),
            quiet_env(**threads_env),
            tmp_path,
            lambda: len(threads_server.posts) >= after,
        )
        assert threads_server.texts() == number_posts(POSTS, FormatSettings())
        item = read_item((queue.paths() or queue.archived_paths())[0]).item
        assert item.status == "posted"
        assert [r.id for r in item.posted] == [p["id"] for p in threads_server.posts]
        _chain(threads_server, [p["id"] for p in threads_server.posts])
        assert all(TOKEN not in text for text in printed)

    @pytest.mark.parametrize("containers", [1, 3])
    def test_kill_between_container_and_publish(
        self,
        tmp_path: Path,
        threads_server: FakeThreadsServer,
        threads_env: dict[str, str],
        containers: int,
    ) -> None:
        """SIGKILL once a container is made (its publish not yet answered): the rerun makes a
        new container or finds the post; the orphan is never published."""
        threads_server.not_ready = 3
        queue = _queue(tmp_path)
        config = _config(tmp_path)
        kill_when_then_rerun(
            job_args(queue.root, config, NOW.isoformat()),
            quiet_env(**threads_env),
            tmp_path,
            lambda: len(threads_server.containers) >= containers,
        )
        assert threads_server.texts() == number_posts(POSTS, FormatSettings())
        item = read_item((queue.paths() or queue.archived_paths())[0]).item
        assert [r.id for r in item.posted] == [p["id"] for p in threads_server.posts]
        published = [c for c in threads_server.containers.values() if c["post"]]
        assert len(published) == 5

    def test_expired_token_is_exit_1_naming_the_variable(
        self, tmp_path: Path, threads_server: FakeThreadsServer, threads_env: dict[str, str]
    ) -> None:
        threads_server.expire_token()
        queue = _queue(tmp_path)
        done = _cli(
            tmp_path, threads_env, *job_args(queue.root, _config(tmp_path), NOW.isoformat())
        )
        assert done.returncode == 1
        printed = done.stdout + done.stderr
        assert "THREADS_ACCESS_TOKEN" in printed and "refresh-token threads" in printed
        assert TOKEN not in printed
        assert threads_server.posts == []

    def test_quota_wait_is_said_and_exit_0(
        self, tmp_path: Path, threads_server: FakeThreadsServer, threads_env: dict[str, str]
    ) -> None:
        threads_server.quota_posts = 0
        queue = _queue(tmp_path)
        config = _config(tmp_path)
        done = _cli(tmp_path, threads_env, *job_args(queue.root, config, NOW.isoformat()))
        assert done.returncode == 0, done.stdout + done.stderr
        assert "waiting 2025-05-20-mean-flows.threads: Threads quota of 0 posts" in done.stdout
        assert threads_server.posts == []
        dry = _cli(tmp_path, {}, "--dry-run", *job_args(queue.root, config, NOW.isoformat()))
        assert "Threads quota (250 posts and 1000 replies per 24 h" in dry.stdout
        status = _cli(tmp_path, {}, "status", "--queue", str(queue.root), "--config", str(config))
        assert "Threads quota: 250 posts and 1000 replies per 24 h" in status.stdout

    def test_refresh_token_prints_the_token_alone(
        self, tmp_path: Path, threads_server: FakeThreadsServer, threads_env: dict[str, str]
    ) -> None:
        done = _cli(tmp_path, threads_env, "refresh-token", "threads")
        assert done.returncode == 0, done.stderr
        assert done.stderr == ""
        assert done.stdout == threads_server.refreshed[0] + "\n"
        assert threads_server.refreshed[0] in threads_server.tokens

    def test_refresh_with_an_expired_token_fails(
        self, tmp_path: Path, threads_server: FakeThreadsServer, threads_env: dict[str, str]
    ) -> None:
        threads_server.expire_token()
        done = _cli(tmp_path, threads_env, "refresh-token", "threads")
        assert done.returncode == 1 and done.stdout == ""
        assert "THREADS_ACCESS_TOKEN" in done.stderr and TOKEN not in done.stderr

    def test_refresh_of_a_platform_without_tokens_is_usage(self, tmp_path: Path) -> None:
        done = _cli(tmp_path, {}, "refresh-token", "bluesky")
        assert done.returncode == 2 and "no token to refresh" in done.stderr
