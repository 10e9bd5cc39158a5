"""X's pay-per-use API: out of credit (402) stops X without failing a thread; a monthly cap.

Against the local X server, through the real tweepy client and the real `publisher` command.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from publisher import cost, runner
from publisher.config import FormatSettings, ScheduleSettings, Settings
from publisher.errors import OutOfCredit
from publisher.formatter import number_posts
from publisher.platforms import rules_for
from publisher.platforms.x import XOptions
from publisher.store.common import Status
from publisher.store.fileformat import read_item
from publisher.store.filequeue import FileQueue
from publisher.store.model import LoadedItem, QueueItem
from publisher.testing.fake import FakeAdapter
from tests.conftest import REPO, X_CANARY
from tests.fakes.x_server import CREDITS_DETAIL, FakeXServer
from tests.publisher_cli import job_args, quiet_env, run_publisher

NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)
POSTS = [f"Post {i} of a five-post thread about mean flows. 평균 속도 {i}" for i in range(1, 6)]
CONFIG = 'platforms = ["x"]\n[retry]\nbudget_seconds = 5\ninitial_wait = 0\nmax_wait = 0\n'
SENT = number_posts(POSTS, FormatSettings())  # as sent: numbered from the thread


def _item(key: str, posts: list[str], platform: str = "x", when: dt.datetime = NOW) -> QueueItem:
    return QueueItem(
        id=key, platform=platform, title=key, not_before=when, created=NOW, posts=posts
    )


def _cli(
    tmp_path: Path,
    server: FakeXServer,
    config: str = CONFIG,
    now: dt.datetime = NOW,
    summary: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "publisher.toml"
    path.write_text(config, encoding="utf-8")
    env = quiet_env(**X_CANARY, X_API_BASE_URL=server.base_url)
    extra = ["--summary", str(summary)] if summary else []
    return run_publisher(
        *job_args(tmp_path / "queue", path, now.isoformat()), *extra, cwd=tmp_path, env=env
    )


def _chain(server: FakeXServer) -> list[dict[str, object]]:
    tweets = sorted(server.tweets, key=lambda t: int(t["id"]))
    for parent, child in itertools.pairwise(tweets):
        assert child["in_reply_to_tweet_id"] == parent["id"]
    return tweets


class TestOutOfCredit:
    """A 402 CreditsDepleted stops X for the run; the thread waits, nothing is marked failed."""

    def test_402_on_third_post_then_credits_return(
        self, tmp_path: Path, x_server: FakeXServer
    ) -> None:
        """Posts 1-2 recorded, exit 1 with one line; the next run replies to post 2, no dupes."""
        queue = FileQueue(tmp_path / "queue")
        queue.save(_item("2025-05-20-mean-flows", POSTS))
        x_server.fail_next("402", after=2)

        first = _cli(tmp_path, x_server)
        assert first.returncode == 1, first.stderr
        lines = [line for line in first.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "Traceback" not in first.stderr
        assert "add credits" in lines[0] and "developer console" in lines[0]
        item = read_item(queue.paths()[0]).item
        assert item.status == "posting" and item.sending is None
        assert [r.post for r in item.posted] == [1, 2]
        assert "out of credit" in (item.reason or "")
        assert [t["text"] for t in x_server.tweets] == SENT[:2]

        second = _cli(tmp_path, x_server, now=NOW + dt.timedelta(minutes=30))
        assert second.returncode == 0, second.stderr
        tweets = _chain(x_server)
        assert [t["text"] for t in tweets] == SENT  # each once, in one reply chain
        assert tweets[2]["in_reply_to_tweet_id"] == item.posted[1].id
        done = read_item(queue.archived_paths()[0]).item  # posted in full: archived
        assert done.status == "posted" and done.reason is None
        assert [r.price_class for r in done.posted] == ["plain"] * 5

    def test_402_on_first_post_leaves_thread_pending(
        self, tmp_path: Path, x_server: FakeXServer
    ) -> None:
        """Nothing posted: the thread stays pending and due; the next X thread is not tried."""
        queue = FileQueue(tmp_path / "queue")
        queue.save(_item("a-first", ["first thread, one post"]))
        queue.save(_item("b-second", ["second thread, one post"]))
        x_server.fail_next("402")
        result = _cli(tmp_path, x_server)
        assert result.returncode == 1
        items = {i.item.id: i.item for i in map(read_item, queue.paths())}
        assert {i.status for i in items.values()} == {"pending"}
        assert items["a-first"].not_before == NOW
        posts = [r for r in x_server.requests if r["method"] == "POST"]
        assert len(posts) == 1  # X stopped after the 402

    def test_other_platforms_go_on(self, tmp_path: Path) -> None:
        """X out of credit does not stop Bluesky in the same run."""
        queue = FileQueue(tmp_path / "queue")
        queue.save(_item("paper", ["x post"], platform="x"))
        queue.save(_item("paper", ["bluesky post"], platform="bluesky"))
        settings = Settings(platforms=["x", "bluesky"])
        fakes = {
            "x": FakeAdapter("x", fail=[OutOfCredit("x: out of credits")]),
            "bluesky": FakeAdapter("bluesky"),
        }
        report = runner.run(queue, settings, rules_for(settings), fakes.__getitem__, NOW)
        assert report.exit_code == 1 and report.failed == []
        assert set(report.out_of_credit) == {"x"}
        assert [p["payload"]["text"] for p in fakes["bluesky"].posts] == ["bluesky post"]


class TestMonthlyBudget:
    """A thread that would pass the month's X budget waits for the next month."""

    def test_five_cents_allows_three_plain_posts(
        self, tmp_path: Path, x_server: FakeXServer
    ) -> None:
        """$0.05 at $0.015 a post: three one-post threads go out, the rest wait with the reason."""
        queue = FileQueue(tmp_path / "queue")
        for n in range(5):
            queue.save(_item(f"paper-{n}", [f"plain post number {n}"]))
        config = (
            CONFIG
            + "[schedule]\nmax_threads_per_run = 10\ntimezone = 'Asia/Seoul'\n"
            + "[x]\nmonthly_budget_usd = 0.05\n"
        )
        summary = tmp_path / "summary.md"
        result = _cli(tmp_path, x_server, config, summary=summary)
        assert result.returncode == 0, result.stderr
        assert len(x_server.tweets) == 3
        assert "This run's spend: x: 3 posts (0 with a URL), $0.045" in summary.read_text()
        # the month's spend as the run leaves it: this run's posts included
        assert "x spend this month: $0.045 (3 posts, 0 with a URL) of $0.05" in summary.read_text()

        args = job_args(tmp_path / "queue", tmp_path / "publisher.toml", NOW.isoformat())
        status = run_publisher("status", *args, env=quiet_env())
        assert (
            "x spend this month: $0.045 (3 posts, 0 with a URL) of $0.05; "
            "queued: $0.03 (2 posts, 0 with a URL)"
        ) in status.stdout

        dry = run_publisher(
            "--dry-run",
            *job_args(tmp_path / "queue", tmp_path / "publisher.toml", NOW.isoformat()),
            env=quiet_env(),
        )
        assert "monthly X budget of $0.05 reached ($0.045 spent this month" in dry.stdout
        assert "2026-12-01 00:00  paper-3.x" in dry.stdout  # next month, in Seoul (times shown)
        assert "x spend this month: $0.045 (3 posts, 0 with a URL) of $0.05" in dry.stdout

        later = _cli(tmp_path, x_server, config, now=NOW + dt.timedelta(hours=2))
        assert later.returncode == 0 and len(x_server.tweets) == 3  # still capped this month
        december = dt.datetime(2026, 11, 30, 15, 1, tzinfo=dt.UTC)  # 00:01 on Dec 1 in Seoul
        _cli(tmp_path, x_server, config, now=december)
        assert len(x_server.tweets) == 5

    def test_queue_dry_run_prices_each_post(self, tmp_path: Path) -> None:
        """The queue's dry run gives each due X post its price class, in text and in --json."""
        queue = FileQueue(tmp_path / "queue")
        queue.save(_item("linked", ["plain words", "see arxiv.org/abs/2505.13447"]))
        config = tmp_path / "publisher.toml"
        config.write_text(CONFIG, encoding="utf-8")
        args = ["--dry-run", *job_args(queue.root, config, NOW.isoformat())]
        text = run_publisher(*args, env=quiet_env())
        assert "── x 1/2  15/280  plain $0.015" in text.stdout  # counted with its N/M
        assert "── x 2/2  31/280  url $0.200" in text.stdout
        assert "queued: $0.215 (2 posts, 1 with a URL)" in text.stdout
        data = json.loads(run_publisher(*args, "--json", env=quiet_env()).stdout)
        posts = data["due"][0]["posts"]
        assert [(p["price_class"], p["price_usd"]) for p in posts] == [
            ("plain", 0.015),
            ("url", 0.2),
        ]

    def test_thread_begun_is_finished(self) -> None:
        """A thread with posts already made goes on even past the cap."""
        item = _item("begun", POSTS)
        settings = Settings(x=XOptions(monthly_budget_usd=0.05))
        begun = _with_posted(item, 2)
        plan = runner.make_plan([_loaded(begun)], [], settings, rules_for(settings), NOW)
        assert [p.loaded.item.id for p in plan.due] == ["begun"]


def _with_posted(item: QueueItem, n: int) -> QueueItem:
    from publisher.store.model import PostRecord

    records = [
        PostRecord(post=i + 1, id=str(i + 1), url="u", at=NOW, price_class="plain")
        for i in range(n)
    ]
    return item.model_copy(update={"posted": records, "status": Status.POSTING})


def _loaded(item: QueueItem) -> LoadedItem:
    return LoadedItem(item, Path("q.md"), [0] * len(item.posts))


class TestPriceClass:
    """A post is "with URL" exactly when X links something in it."""

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("see arxiv.org/abs/2505.13447", "url"),
            ("see https://example.com/x", "url"),
            ("see arXiv:2505.13447", "plain"),
            ("외부 링크 example.com/path한국", "url"),
            ("no link here, e.g. this.", "plain"),
        ],
    )
    def test_class(self, text: str, expected: str) -> None:
        assert cost.price_class("x", text) == expected

    def test_month_spend_from_records(self) -> None:
        """Spend this month counts records by their stored class, in the local month only."""
        prices = XOptions()
        schedule = ScheduleSettings(timezone="Asia/Seoul")
        item = _with_posted(_item("t", POSTS), 3)
        url_record = item.posted[0].model_copy(update={"price_class": "url"})
        old = item.posted[1].model_copy(
            update={"at": dt.datetime(2026, 10, 31, 14, 0, tzinfo=dt.UTC)}
        )
        item = item.model_copy(update={"posted": [url_record, old, item.posted[2]]})
        spent = cost.spent_this_month([item], NOW, schedule, "x", prices)
        assert (spent.posts, spent.with_url) == (2, 1)
        assert spent.usd == pytest.approx(0.215)

    @pytest.mark.parametrize(
        ("amount", "shown"),
        [(0.015 * 3, "$0.045"), (0.2 + 0.015, "$0.215"), (0.015 * 108, "$1.62"), (0, "$0.00")],
    )
    def test_usd_rounds_half_up(self, amount: float, shown: str) -> None:
        """Amounts show to the cent, or the tenth of a cent when it counts, not float noise."""
        assert cost.usd(amount) == shown

    def test_credits_detail_matches_x(self) -> None:
        """The local server's 402 body is X's documented one."""
        assert CREDITS_DETAIL.startswith("Your enrolled account does not have any credits")


class TestMoneyNeverBlocksTheLine:
    """A thread the month cannot pay holds no cheaper one back; one dearer than the whole
    budget waits for the owner, with the setting and its cost; neither starts idle runs."""

    CAPPED = CONFIG + "[schedule]\nmax_threads_per_run = 10\n[x]\nmonthly_budget_usd = 0.05\n"

    def _due(self, tmp_path: Path, now: dt.datetime) -> str:
        (tmp_path / "config").mkdir(exist_ok=True)
        (tmp_path / "config" / "publisher.toml").write_text(self.CAPPED, encoding="utf-8")
        script = str(REPO / "publisher" / "due.py")
        done = subprocess.run(
            [sys.executable, "-I", script, "--root", str(tmp_path), "--now", now.isoformat()],
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()

    def test_dearer_than_the_budget_goes_to_the_owner(
        self, tmp_path: Path, x_server: FakeXServer
    ) -> None:
        queue = FileQueue(tmp_path / "queue")
        queue.save(_item("a-dear", POSTS))  # 5 posts, $0.075 > $0.05
        queue.save(_item("b-cheap", ["one plain post"]))
        queue.save(_item("c-cheap", ["another plain post"]))
        path = tmp_path / "publisher.toml"
        path.write_text(self.CAPPED, encoding="utf-8")
        args = job_args(queue.root, path, NOW.isoformat())

        before = run_publisher("status", *args, env=quiet_env())
        assert "Held or failed (1)" in before.stdout
        (listed,) = [line for line in before.stdout.splitlines() if "a-dear.x  pending:" in line]
        assert "costs $0.075" in listed and "[x] monthly_budget_usd = $0.05" in listed
        assert "publisher retry" not in listed  # pending: retry would answer "already due"

        result = _cli(tmp_path, x_server, self.CAPPED)
        assert [t["text"] for t in x_server.tweets] == ["one plain post", "another plain post"]
        assert result.returncode == 1  # the owner is told: the run is red once
        assert "failed a-dear.x: costs $0.075" in result.stderr
        item = read_item(queue.root / "a-dear.x.md").item
        assert item.status == "failed" and "monthly_budget_usd" in (item.reason or "")

        after = run_publisher("status", *args, env=quiet_env())
        assert "a-dear.x  failed: costs $0.075" in after.stdout
        assert "publisher retry a-dear.x" in after.stdout
        assert self._due(tmp_path, NOW + dt.timedelta(hours=1)) == "due=false"
        again = _cli(tmp_path, x_server, self.CAPPED, now=NOW + dt.timedelta(hours=1))
        assert again.returncode == 0 and len(x_server.tweets) == 2

    def test_a_thread_the_month_cannot_pay_waits_alone(
        self, tmp_path: Path, x_server: FakeXServer
    ) -> None:
        """$0.05: the 3-post thread first in line does not fit after two plain posts were made;
        the one-post threads behind it go out, it waits for the next month, due.py stays idle."""
        queue = FileQueue(tmp_path / "queue")
        spent = _with_posted(_item("zz-held", ["made", "made too", "kept back"]), 2)
        queue.save(spent.model_copy(update={"status": Status.HELD}))  # $0.03 spent this month
        queue.save(_item("a-three", POSTS[:3], when=NOW - dt.timedelta(hours=1)))
        queue.save(_item("b-one", ["one plain post"]))
        summary = tmp_path / "summary.md"
        first = _cli(tmp_path, x_server, self.CAPPED, summary=summary)
        assert first.returncode == 0, first.stderr
        texts = [t["text"] for t in x_server.tweets]
        assert "one plain post" in texts and not any("five-post" in t for t in texts)
        item = read_item(queue.root / "a-three.x.md").item
        assert item.status == "pending"
        assert item.not_before == dt.datetime(2026, 12, 1, tzinfo=ZoneInfo("Asia/Seoul"))
        assert "[x] monthly_budget_usd" in (item.reason or "")
        assert self._due(tmp_path, NOW + dt.timedelta(hours=1)) == "due=false"
        args = job_args(queue.root, tmp_path / "publisher.toml", NOW.isoformat())
        status = run_publisher("status", *args, env=quiet_env())
        assert (
            "queue is 5 days behind: the digest of 2026-11-26 finishes on 2026-12-01 (x)"
        ) in status.stdout
        assert "; raise [x] monthly_budget_usd" in status.stdout
        later = _cli(tmp_path, x_server, self.CAPPED, now=NOW + dt.timedelta(hours=1))
        (line,) = [x for x in later.stdout.splitlines() if x.startswith("nothing was due")]
        assert "next: a-three.x at 2026-12-01 00:00 (monthly X budget of $0.05" in line

    def test_a_run_held_by_a_cap_says_so(self, tmp_path: Path) -> None:
        """Everything due held by a cap: one line saying which caps, never "nothing was due"."""
        queue = FileQueue(tmp_path / "queue")
        queue.save(_with_posted(_item("spent", ["p1", "p2", "p3"]), 3))
        queue.save(_item("b-two", ["one", "two"]))
        config = tmp_path / "publisher.toml"
        config.write_text(self.CAPPED, encoding="utf-8")
        done = run_publisher("--dry-run", *job_args(queue.root, config, NOW.isoformat()))
        assert "1 due thread(s) held by a cap: x: 1 by the monthly budget" in done.stdout
