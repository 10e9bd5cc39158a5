"""The scheduled run against the real local Bluesky PDS (and the local X server): end to end,
under faults injected on the wire, and after SIGKILL. No method of atproto or tweepy is mocked.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from publisher import runner
from publisher.config import FormatSettings, RetrySettings, Settings
from publisher.formatter import number_posts
from publisher.platforms import rules_for
from publisher.platforms.bluesky_adapter import BlueskyAdapter
from publisher.store.fileformat import read_item
from publisher.store.filequeue import FileQueue
from publisher.store.model import QueueItem
from publisher.testing.clock import FakeClock
from tests.conftest import X_CANARY
from tests.fakes.pds import FaultProxy, PdsInfo, list_posts
from tests.fakes.x_server import FakeXServer
from tests.publisher_cli import job_args, kill_when_then_rerun, quiet_env, run_publisher

pytestmark = pytest.mark.pds

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "digest-2025-05-20.txt"
NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)


def _thread_records(pds: PdsInfo, marker: str) -> list[dict[str, Any]]:
    found = [r for r in list_posts(pds) if marker in r["value"]["text"]]
    return sorted(found, key=lambda r: r["value"]["text"])


def _posts(marker: str) -> list[str]:
    return [f"{marker} post {i}: 평균 속도를 추정하는 방식 #diffusion" for i in range(1, 6)]


def _assert_chain(found: list[dict[str, Any]], texts: list[str]) -> None:
    """Exactly these posts (numbered as sent), in one reply chain, none twice."""
    texts = number_posts(texts, FormatSettings())
    by_text = {r["value"]["text"]: r for r in found}
    assert len(found) == len(by_text) == len(texts)
    chain = [by_text[t] for t in texts]
    assert "reply" not in chain[0]["value"]
    for parent, child in itertools.pairwise(chain):
        reply = child["value"]["reply"]
        assert reply["root"]["uri"] == chain[0]["uri"]
        assert reply["parent"]["uri"] == parent["uri"]
        assert reply["parent"]["cid"] == parent["cid"]


def _queue(root: Path, marker: str) -> FileQueue:
    queue = FileQueue(root)
    queue.save(
        QueueItem(
            id=f"t-{marker}",
            platform="bluesky",
            title=marker,
            not_before=NOW,
            created=NOW,
            posts=_posts(marker),
        )
    )
    return queue


def _settings() -> Settings:
    return Settings(
        platforms=["bluesky"], retry=RetrySettings(budget_seconds=300, timeout_seconds=2)
    )


def _run(queue: FileQueue, pds: PdsInfo, service: str, now: dt.datetime = NOW) -> runner.RunReport:
    settings = _settings()

    def adapter(platform: str) -> BlueskyAdapter:
        return BlueskyAdapter(
            pds.handle, SecretStr(pds.password), service, timeout=2, pin_service=True
        )

    return runner.run(queue, settings, rules_for(settings), adapter, now, FakeClock(t=time.time()))


class TestFaults:
    """A fault on post 3 of 5: after the run (and a rerun if deferred) the thread is there once."""

    @pytest.mark.parametrize(
        ("kind", "opts"),
        [
            ("429", {"reset_in": 2}),
            ("500", {}),
            ("503", {}),
            ("500_after_commit", {}),
            ("drop", {}),
            ("drop", {"forward": True}),
            ("slow", {"delay": 3.0}),
        ],
        ids=["429", "500", "503", "500-after-commit", "drop", "drop-after-forward", "timeout"],
    )
    def test_fault_on_third_post(
        self, tmp_path: Path, pds: PdsInfo, fault_proxy: FaultProxy, kind: str, opts: dict[str, Any]
    ) -> None:
        """Retried or looked up, never posted twice; one login for the whole thread."""
        marker = uuid.uuid4().hex[:10]
        queue = _queue(tmp_path / "queue", marker)
        fault_proxy.fail_next(kind, after=2, **opts)  # type: ignore[arg-type]
        report = _run(queue, pds, fault_proxy.url)
        if report.deferred:  # e.g. the budget ran out: the next run finishes it
            report = _run(queue, pds, fault_proxy.url, now=NOW + dt.timedelta(hours=1))
        assert report.exit_code == 0, report.failed
        assert fault_proxy.faults, "the fault was not injected"
        _assert_chain(_thread_records(pds, marker), _posts(marker))
        assert queue.paths() == []  # posted in full: moved to the archive
        item = read_item(queue.archived_paths()[0]).item
        assert item.status == "posted" and len(item.posted) == 5
        assert all(r.uri and r.cid for r in item.posted)
        assert fault_proxy.count("com.atproto.server.createSession") == 1

    def test_rate_limit_beyond_budget_defers(
        self, tmp_path: Path, pds: PdsInfo, fault_proxy: FaultProxy
    ) -> None:
        """A ratelimit-reset an hour away: the thread waits for it; the run ends cleanly."""
        marker = uuid.uuid4().hex[:10]
        queue = _queue(tmp_path / "queue", marker)
        fault_proxy.fail_next("429", reset_in=3600)
        report = _run(queue, pds, fault_proxy.url)
        assert report.exit_code == 0 and report.sent == [] and report.deferred
        item = read_item(queue.paths()[0]).item
        assert item.status == "pending"
        assert item.not_before.timestamp() >= time.time() + 3500
        assert _thread_records(pds, marker) == []


def _cli_env(pds: PdsInfo, x: FakeXServer | None = None) -> dict[str, str]:
    env = quiet_env(
        BLUESKY_HANDLE=pds.handle, BLUESKY_APP_PASSWORD=pds.password, BLUESKY_SERVICE=pds.url
    )
    if x is not None:
        env.update({**X_CANARY, "X_API_BASE_URL": x.base_url})
    return env


class TestCrash:
    """SIGKILL after each post of a five-post thread, then a rerun: the thread once, complete."""

    @pytest.mark.parametrize("after", [1, 2, 3, 4, 5])
    def test_kill_and_rerun(self, tmp_path: Path, pds: PdsInfo, after: int) -> None:
        """The rerun reads the record in flight before creating it (same record key)."""
        marker = uuid.uuid4().hex[:10]
        queue = _queue(tmp_path / "queue", marker)
        config = tmp_path / "publisher.toml"
        config.write_text('platforms = ["bluesky"]\n', encoding="utf-8")
        args = job_args(queue.root, config, NOW.isoformat())
        printed = kill_when_then_rerun(
            args, _cli_env(pds), tmp_path, lambda: len(_thread_records(pds, marker)) >= after
        )
        _assert_chain(_thread_records(pds, marker), _posts(marker))
        files = [*queue.paths(), *queue.archived_paths()]
        assert files
        texts = [*printed, *(p.read_text(encoding="utf-8") for p in files)]
        assert all(pds.password not in t for t in texts)


class TestEndToEnd:
    """The example digest, enqueued and posted to both local servers by `publisher`."""

    def test_example_posted_to_both_then_nothing(
        self, tmp_path: Path, pds: PdsInfo, x_server: FakeXServer
    ) -> None:
        """Every thread lands once, right; a second run posts nothing."""
        config = tmp_path / "publisher.toml"
        config.write_text(
            "[schedule]\nmax_threads_per_run = 50\n"
            "[schedule.daily_posts]\nx = 1000\nbluesky = 1000\n",
            encoding="utf-8",
        )
        env = _cli_env(pds, x_server)
        common = ["--config", str(config), "--queue", "queue"]

        def cli(*args: str) -> subprocess.CompletedProcess[str]:
            return run_publisher(*args, *common, cwd=tmp_path, env=env, timeout=300)

        enqueued = cli("enqueue", str(EXAMPLE), "--now", NOW.isoformat())
        assert enqueued.returncode == 0, enqueued.stderr
        before = {r["uri"] for r in list_posts(pds)}
        later = (NOW + dt.timedelta(days=30)).isoformat()
        first = cli("--now", later, "--json")
        assert first.returncode == 0, first.stderr
        posted = json.loads(first.stdout)["posted"]
        queue = FileQueue(tmp_path / "queue")
        assert queue.paths() == []  # every thread posted in full, so archived
        items = [read_item(p).item for p in queue.archived_paths()]
        assert len(items) == 18 and all(i.status == "posted" for i in items)
        assert len(posted) == sum(len(i.posts) for i in items)

        rules = rules_for(Settings())
        new = {r["uri"]: r for r in list_posts(pds) if r["uri"] not in before}
        for item in (i for i in items if i.platform == "bluesky"):
            chain = [new[record.uri] for record in item.posted]  # type: ignore[index]
            for text, record in zip(number_posts(item.posts, FormatSettings()), chain, strict=True):
                want = rules["bluesky"].payload(text)
                value = record["value"]
                assert value["text"] == want["text"]
                assert value["langs"] == want["langs"]
                got_facets = [
                    {
                        "index": {k: v for k, v in f["index"].items() if k != "$type"},
                        "features": f["features"],
                    }
                    for f in value.get("facets", [])
                ]
                assert got_facets == want.get("facets", [])
            for parent, child in itertools.pairwise(chain):
                assert child["value"]["reply"]["parent"]["uri"] == parent["uri"]
                assert child["value"]["reply"]["root"]["uri"] == chain[0]["uri"]
        x_items = [i for i in items if i.platform == "x"]
        assert sorted(t["text"] for t in x_server.tweets) == sorted(
            p for i in x_items for p in number_posts(i.posts, FormatSettings())
        )

        second = cli("--now", later)
        assert second.returncode == 0, second.stderr
        assert "nothing was due" in second.stdout
        assert len(list_posts(pds)) == len(before) + len(new)
        assert len(x_server.tweets) == sum(len(i.posts) for i in x_items)
        for text in (
            enqueued.stdout,
            first.stdout,
            first.stderr,
            second.stdout,
            *(p.read_text(encoding="utf-8") for p in [*queue.paths(), *queue.archived_paths()]),
        ):
            assert pds.password not in text
            assert all(secret not in text for secret in X_CANARY.values())
