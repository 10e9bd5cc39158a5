"""Posting to X through the real tweepy client against a local server that answers like X.

Each fault leaves the server holding exactly the thread's posts, in one reply chain, none twice.
"""

from __future__ import annotations

import datetime as dt
import itertools
import subprocess
import time
from pathlib import Path

import pytest

from publisher import runner
from publisher.config import FormatSettings, RetrySettings, Settings, credentials
from publisher.formatter import number_posts
from publisher.platforms import rules_for
from publisher.platforms.base import Slot
from publisher.platforms.x_adapter import XAdapter
from publisher.store.fileformat import read_item
from publisher.store.filequeue import FileQueue
from publisher.store.model import QueueItem
from publisher.testing.clock import FakeClock
from tests.conftest import X_CANARY
from tests.fakes.x_server import FakeXServer
from tests.publisher_cli import job_args, kill_when_then_rerun, quiet_env, run_publisher

CANARY = X_CANARY
NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)
POSTS = [f"Post {i} of a five-post thread about mean flows. 평균 속도 {i}" for i in range(1, 6)]
SENT = number_posts(POSTS, FormatSettings())  # as they go out: with "\n1/5" … "\n5/5"


@pytest.fixture
def x_env(x_server: FakeXServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = {**CANARY, "X_API_BASE_URL": x_server.base_url}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def _settings(budget: float = 300, timeout: float = 5) -> Settings:
    return Settings(
        platforms=["x"],
        retry=RetrySettings(
            budget_seconds=budget, initial_wait=1, max_wait=10, timeout_seconds=timeout
        ),
    )


def _queue(tmp_path: Path, posts: list[str] = POSTS) -> FileQueue:
    queue = FileQueue(tmp_path / "queue")
    queue.save(
        QueueItem(
            id="2025-05-20-mean-flows",
            platform="x",
            title="Mean Flows",
            not_before=NOW,
            created=NOW,
            posts=posts,
        )
    )
    return queue


def _run(
    queue: FileQueue, settings: Settings, now: dt.datetime = NOW, clock: FakeClock | None = None
) -> runner.RunReport:
    clock = clock or FakeClock(t=time.time())
    creds = credentials("x")
    return runner.run(
        queue,
        settings,
        rules_for(settings),
        lambda p: XAdapter(creds, timeout=settings.retry.timeout_seconds),
        now,
        clock,
    )


def _publisher(
    queue: FileQueue, config: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return run_publisher(
        *job_args(queue.root, config, NOW.isoformat()), cwd=queue.root.parent, env=env
    )


def _assert_one_chain(server: FakeXServer, texts: list[str]) -> None:
    """The server holds ``texts`` (as stored: numbered when sent) as one reply chain."""
    tweets = sorted(server.tweets, key=lambda t: int(t["id"]))
    assert [t["text"] for t in tweets] == number_posts(texts, FormatSettings())
    assert tweets[0]["in_reply_to_tweet_id"] is None
    for parent, child in itertools.pairwise(tweets):
        assert child["in_reply_to_tweet_id"] == parent["id"]


def _item(queue: FileQueue) -> QueueItem:
    """The queue's one thread: open, or archived once posted in full."""
    return read_item((queue.paths() or queue.archived_paths())[0]).item


class TestPosting:
    """A thread goes out as a reply chain and is recorded post by post."""

    def test_thread_posted_and_recorded(
        self, tmp_path: Path, x_server: FakeXServer, x_env: dict[str, str]
    ) -> None:
        """Five posts, each replying to the one before; ids and URLs in the queue file."""
        queue = _queue(tmp_path)
        report = _run(queue, _settings())
        assert report.exit_code == 0
        _assert_one_chain(x_server, POSTS)
        item = _item(queue)
        assert item.status == "posted"
        assert [r.id for r in item.posted] == [t["id"] for t in x_server.tweets]
        assert all(r.url.startswith("https://x.com/") for r in item.posted)

    def test_one_create_per_post(
        self, tmp_path: Path, x_server: FakeXServer, x_env: dict[str, str]
    ) -> None:
        """Without faults, one HTTP request per post and nothing else."""
        _run(_queue(tmp_path), _settings())
        assert [(r["method"], r["path"]) for r in x_server.requests] == [("POST", "/2/tweets")] * 5

    def test_second_run_posts_nothing(
        self, tmp_path: Path, x_server: FakeXServer, x_env: dict[str, str]
    ) -> None:
        """A posted thread is never posted again."""
        queue = _queue(tmp_path)
        _run(queue, _settings())
        report = _run(queue, _settings(), now=NOW + dt.timedelta(hours=1))
        assert report.sent == [] and len(x_server.tweets) == 5


class TestFaults:
    """Transient faults are retried; unknown outcomes are looked up, never posted blindly."""

    @pytest.mark.parametrize(
        ("kind", "opts"),
        [
            ("429", {"reset_in": 2}),
            ("429", {"reset_in": 2, "daily": True}),
            ("500", {}),
            ("503", {}),
            ("500", {"after_commit": True}),
            ("503", {"after_commit": True}),
            ("drop", {}),
            ("drop", {"after_commit": True}),
        ],
        ids=[
            "429",
            "429-daily",
            "500",
            "503",
            "500-after-commit",
            "503-after-commit",
            "drop",
            "drop-after-commit",
        ],
    )
    def test_fault_on_third_post(
        self,
        tmp_path: Path,
        x_server: FakeXServer,
        x_env: dict[str, str],
        kind: str,
        opts: dict[str, object],
    ) -> None:
        """The fault hits post 3; the run still ends with exactly the five posts, chained."""
        queue = _queue(tmp_path)
        x_server.fail_next(kind, after=2, **opts)
        clock = FakeClock(t=time.time())
        report = _run(queue, _settings(), clock=clock)
        assert report.exit_code == 0, report.failed
        _assert_one_chain(x_server, POSTS)
        assert _item(queue).status == "posted"
        if kind == "429":
            assert max(clock.waits) >= 1.0  # never sooner than the announced reset

    def test_timeout_then_lookup(
        self, tmp_path: Path, x_server: FakeXServer, x_env: dict[str, str]
    ) -> None:
        """A post whose answer never came is looked up (or caught as duplicate), not made twice."""
        queue = _queue(tmp_path)
        x_server.fail_next("slow", delay=1.0)
        report = _run(queue, _settings(timeout=0.3))
        x_server.wait_idle(5)
        assert report.exit_code == 0, report.failed
        _assert_one_chain(x_server, POSTS)

    def test_reset_beyond_budget_defers(
        self, tmp_path: Path, x_server: FakeXServer, x_env: dict[str, str]
    ) -> None:
        """A reset past the run's budget: the thread waits until then and the run ends cleanly."""
        queue = _queue(tmp_path)
        x_server.fail_next("429", reset_in=3600)
        clock = FakeClock(t=time.time())
        report = _run(queue, _settings(budget=60), clock=clock)
        assert report.exit_code == 0 and report.sent == []
        item = _item(queue)
        assert item.status == "pending"
        assert item.not_before.timestamp() >= time.time() + 3500
        later = item.not_before + dt.timedelta(seconds=1)
        report = _run(queue, _settings(), now=later)
        assert report.exit_code == 0
        _assert_one_chain(x_server, POSTS)

    def test_bad_request_not_retried(
        self, tmp_path: Path, x_server: FakeXServer, x_env: dict[str, str]
    ) -> None:
        """An over-long post (400 from X) fails the thread with the reason; no retry."""
        adapter = XAdapter(credentials("x"), timeout=5)
        from publisher.errors import PermanentError

        with pytest.raises(PermanentError) as info:
            adapter.post({"text": "가" * 141}, Slot("k", 0))
        assert "400" in str(info.value)
        assert len([r for r in x_server.requests if r["method"] == "POST"]) == 1

    def test_duplicate_not_found_fails_thread(
        self, tmp_path: Path, x_server: FakeXServer, x_env: dict[str, str]
    ) -> None:
        """X says duplicate but the post is not where we expect it: failed, with a reason."""
        adapter = XAdapter(credentials("x"), timeout=5)
        adapter.post({"text": SENT[1]}, Slot("other", 0))
        queue = _queue(tmp_path)
        report = _run(queue, _settings())
        assert report.exit_code == 1
        item = _item(queue)
        assert item.status == "failed" and len(item.posted) == 1
        assert "duplicate" in (item.reason or "") and "publisher retry" in (item.reason or "")


class TestCrash:
    """SIGKILL after each post of a five-post thread, then a rerun: no post twice, none lost."""

    @pytest.mark.parametrize("after", [1, 2, 3, 4, 5])
    def test_kill_and_rerun(
        self, tmp_path: Path, x_server: FakeXServer, x_env: dict[str, str], after: int
    ) -> None:
        """The rerun continues from the last recorded post (or finds the unrecorded one)."""
        queue = _queue(tmp_path)
        config = tmp_path / "publisher.toml"
        config.write_text('platforms = ["x"]\n', encoding="utf-8")
        args = job_args(queue.root, config, NOW.isoformat())
        printed = kill_when_then_rerun(
            args, quiet_env(**x_env), tmp_path, lambda: len(x_server.tweets) >= after
        )
        _assert_one_chain(x_server, POSTS)
        for text in [*printed, *(p.read_text(encoding="utf-8") for p in queue.paths())]:
            for secret in CANARY.values():
                assert secret not in text


class TestSecrets:
    """Canary secrets never appear in output, queue files or error messages."""

    def test_auth_failure_message_is_clean(
        self,
        tmp_path: Path,
        x_server: FakeXServer,
        x_env: dict[str, str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """A 401 (wrong secret) fails the thread; the CLI output and queue file hold no secret."""
        monkeypatch.setenv("X_API_SECRET", "canary-wrong-secret-0000")
        queue = _queue(tmp_path)
        config = tmp_path / "publisher.toml"
        config.write_text('platforms = ["x"]\n', encoding="utf-8")
        done = _publisher(
            queue, config, quiet_env(**{**x_env, "X_API_SECRET": "canary-wrong-secret-0000"})
        )
        assert done.returncode == 1
        assert "401" in done.stderr
        texts = [done.stdout, done.stderr, *(p.read_text(encoding="utf-8") for p in queue.paths())]
        for secret in [*CANARY.values(), "canary-wrong-secret-0000"]:
            assert all(secret not in t for t in texts)
        assert "Traceback" not in done.stderr

    def test_missing_credential_named(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A missing variable for an enabled platform: exit 2, the variable named, nothing sent."""
        queue = _queue(tmp_path)
        env = quiet_env()
        env.update({k: v for k, v in CANARY.items() if k != "X_ACCESS_TOKEN"})
        config = tmp_path / "publisher.toml"
        config.write_text('platforms = ["x"]\n', encoding="utf-8")
        done = _publisher(queue, config, env)
        assert done.returncode == 2
        assert "X_ACCESS_TOKEN" in done.stderr and "Traceback" not in done.stderr
        assert _item(queue).status == "pending"


class TestRefusedLogin:
    """X refusing the credentials: the variables to check are named, from the descriptor, and
    no deferral time already past is printed."""

    def test_names_the_variables_and_no_past_time(
        self, tmp_path: Path, x_server: FakeXServer, x_env: dict[str, str]
    ) -> None:
        queue = _queue(tmp_path)  # its thread is due since before the run's time
        config = tmp_path / "publisher.toml"
        config.write_text('platforms = ["x"]\n', encoding="utf-8")
        summary = tmp_path / "summary.md"
        env = quiet_env(**{**x_env, "X_API_SECRET": "canary-wrong-secret-0000"})
        later = (NOW + dt.timedelta(minutes=10)).isoformat()  # the run comes after the slot
        args = [*job_args(queue.root, config, later), "--summary", str(summary)]
        done = run_publisher(*args, cwd=tmp_path, env=env)
        assert done.returncode == 1
        (stopped,) = [line for line in done.stderr.splitlines() if line.startswith("stopped x")]
        assert "401" in stopped and not stopped.startswith("stopped x: x:")
        for name in ("X_API_KEY", "X_API_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET"):
            assert name in stopped
        assert "X_API_BASE_URL" not in stopped
        (deferred,) = [line for line in done.stdout.splitlines() if line.startswith("deferred")]
        assert "to the next run" in deferred and " until " not in deferred
        assert "until" not in summary.read_text(encoding="utf-8").split("### Deferred")[1]


def test_account_variables_come_from_each_descriptor() -> None:
    """Every platform's account variables are its credentials' aliases, addresses left out."""
    from publisher import platforms

    for name, platform in platforms.registry().items():
        aliases = {f.alias for f in platform.credentials.model_fields.values()}
        found = platforms.account_variables(name)
        assert found and set(found) <= aliases
        assert not any(v.endswith(("_URL", "_SERVICE")) for v in found)
