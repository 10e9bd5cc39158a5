"""The bundled pace keeps up with the author's day: a week of daily 9-paper digests, each enqueued
when the author pushes it and posted by the runs the publish workflow's cron makes, against the
local X and Mastodon servers and the real local Bluesky PDS. Every thread is out within 24 hours
of its enqueue. And a pace that cannot keep up is reported, with the setting to change."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from publisher import runner
from publisher.config import ScheduleSettings, Settings, credentials, load_settings
from publisher.cron import cron_plan
from publisher.digest import read_digests
from publisher.enqueue import enqueue
from publisher.models import Digest
from publisher.platforms import connect, rules_for
from publisher.store.filequeue import FileQueue
from publisher.store.model import QueueItem
from publisher.testing.clock import FakeClock
from publisher.testing.fake import FakeAdapter
from tests.conftest import EXAMPLE, MASTODON_CANARY, REPO, X_CANARY, one_a_slot, pin_one_a_slot
from tests.fakes.mastodon_server import FakeMastodonServer
from tests.fakes.pds import PdsInfo
from tests.fakes.x_server import FakeXServer
from tests.publisher_cli import run_publisher

SEOUL = ZoneInfo("Asia/Seoul")
FIRST_DAY = dt.date(2031, 1, 6)  # a Monday
# When the author pushes each day's digest (local time): mornings, evenings, a late night, and
# two digests a few hours apart (Tuesday 21:10, then Wednesday 10:40).
PUSHED_AT = ["07:30", "21:10", "10:40", "23:50", "12:15", "18:30", "06:05"]


@pytest.fixture(autouse=True)
def no_fsync(monkeypatch: pytest.MonkeyPatch) -> None:
    """Writes stay atomic (temporary file + rename); fsync guards power loss, not what is tested."""
    monkeypatch.setattr(os, "fsync", lambda _fd: None)


def bundled(platforms: list[str]) -> Settings:
    """config/publisher.toml as shipped, with ``platforms`` on."""
    settings = load_settings(REPO / "config" / "publisher.toml")
    return settings.model_copy(update={"platforms": platforms})


def day_digest(day: int) -> Digest:
    """The example digest (9 papers) as written on day ``day`` of the week: its own date, and
    titles and comments of its own (X refuses the same text twice)."""
    (example,) = read_digests([EXAMPLE])
    date = FIRST_DAY + dt.timedelta(days=day)
    entries = [
        {
            **entry.model_dump(exclude={"id", "arxiv_id"}),
            "date": date,
            "title": f"{entry.title} (day {day + 1})",
            "comment_ko": [_marked(line, f"{day + 1}일차") for line in entry.comment_ko],
            "comment_en": [_marked(line, f"day{day + 1}") for line in entry.comment_en],
        }
        for entry in example.entries
    ]
    return Digest.model_validate({"date": date, "entries": entries, "source": f"day{day}.txt"})


def _marked(line: str, mark: str) -> str:
    """``line`` with ``mark`` every few words, so that no post (nor any part of a long paragraph
    cut into posts) is the same on two days."""
    words = line.split(" ")
    return " ".join(f"{mark} {w}" if n % 6 == 0 else w for n, w in enumerate(words))


def cron_times(settings: Settings, first: dt.date, days: int) -> list[dt.datetime]:
    """Every run the workflow's cron lines (``publisher schedule --cron``) make in ``days``."""
    moments = []
    for line in cron_plan(settings.schedule).lines:
        minutes, hours, *_ = line.split()
        for offset in range(-1, days + 1):
            day = first + dt.timedelta(days=offset)
            for hour in hours.split(","):
                for minute in minutes.split(","):
                    moments.append(
                        dt.datetime.combine(day, dt.time(int(hour), int(minute)), tzinfo=dt.UTC)
                    )
    return sorted(moments)


def test_bundled_crons_are_the_workflows() -> None:
    """The runs simulated below are the ones publish.yml makes (test_workflows checks the file
    against the same plan); with the bundled config, 5 slot runs and 3 catch-up runs a day."""
    plan = cron_plan(bundled(["x"]).schedule)
    workflow = (REPO / ".github" / "workflows" / "publish.yml").read_text(encoding="utf-8")
    for line in plan.lines:
        assert f'- cron: "{line}"' in workflow
    assert plan.runs_per_day == 8


@pytest.fixture
def x_server() -> Iterator[FakeXServer]:
    """The local X, its 15-minute window (100 posts) counted in real time made wide: the week
    is played in seconds, while a real run posts at most 6 threads (about 25 posts) per slot."""
    server = FakeXServer(
        consumer_key=X_CANARY["X_API_KEY"],
        consumer_secret=X_CANARY["X_API_SECRET"],
        access_token=X_CANARY["X_ACCESS_TOKEN"],
        access_token_secret=X_CANARY["X_ACCESS_TOKEN_SECRET"],
        post_limit=100_000,
    )
    server.start()
    yield server
    server.stop()
    assert server.errors == []


def test_a_week_of_digests_is_posted_within_a_day_of_each_enqueue(
    tmp_path: Path,
    x_server: FakeXServer,
    mastodon_server: FakeMastodonServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Seven digests pushed at irregular times; runs at the cron times until two days after the
    last. Every thread is posted in full, each within 24 hours of its enqueue."""
    env = {
        **X_CANARY,
        "X_API_BASE_URL": x_server.base_url,
        **MASTODON_CANARY,
        "MASTODON_BASE_URL": mastodon_server.base_url,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    posted = play_the_week(tmp_path, ["x", "mastodon"])
    assert len(x_server.tweets) == sum(len(i.posts) for i in posted if i.platform == "x")
    assert len(mastodon_server.statuses) == sum(
        len(i.posts) for i in posted if i.platform == "mastodon"
    )


def test_the_same_week_on_a_real_pds(
    tmp_path: Path, pds: PdsInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The week again on Bluesky, against the real local PDS."""
    env = {"BLUESKY_HANDLE": pds.handle, "BLUESKY_APP_PASSWORD": pds.password}
    for name, value in {**env, "BLUESKY_SERVICE": pds.url}.items():
        monkeypatch.setenv(name, value)
    play_the_week(tmp_path, ["bluesky"])


def play_the_week(tmp_path: Path, platforms: list[str]) -> list[QueueItem]:
    """Enqueue each day's digest when it is pushed and run at every cron time, with the bundled
    config on ``platforms``; assert every thread posted in full within 24 hours of its enqueue.
    The threads posted."""
    settings = bundled(platforms)
    rules = rules_for(settings)
    queue = FileQueue(tmp_path / "queue")
    pushes = [
        (dt.datetime.combine(FIRST_DAY + dt.timedelta(days=d), dt.time.fromisoformat(t), SEOUL), d)
        for d, t in enumerate(PUSHED_AT)
    ]
    events: list[tuple[dt.datetime, int | None]] = [*pushes]
    end = pushes[-1][0] + dt.timedelta(days=2)
    events += [(m, None) for m in cron_times(settings, FIRST_DAY, 9) if pushes[0][0] < m <= end]
    enqueued_at: dict[str, dt.datetime] = {}
    for moment, day in sorted(events, key=lambda e: (e[0], e[1] is None)):
        if day is not None:
            report = enqueue(queue, [day_digest(day)], settings, rules, moment)
            assert len(report.added) == 9 * len(platforms), report
            enqueued_at.update({item.key: moment for item in report.added})
            continue
        with queue.lock():
            done = runner.run(
                queue,
                settings,
                rules,
                lambda name: connect(
                    name, credentials(name), settings.options(name), settings.retry.timeout_seconds
                ),
                moment,
                FakeClock(t=moment.timestamp()),
            )
        assert done.exit_code == 0, (done.failed, done.plan.problems, done.halted)
    left = [(i.item.key, i.item.status, i.item.not_before, i.item.reason) for i in queue.load()[0]]
    assert left == []  # every thread posted in full (and archived)
    posted: list[QueueItem] = [item for item, _ in _archived(queue)]
    assert len(posted) == len(enqueued_at) == 7 * 9 * len(platforms)
    lags = {item.key: item.posted[-1].at - enqueued_at[item.key] for item in posted}
    late = {key: str(lag) for key, lag in lags.items() if lag > dt.timedelta(hours=24)}
    assert late == {}
    return posted


def _archived(queue: FileQueue) -> list[tuple[QueueItem, Path]]:
    from publisher.store.fileformat import read_item

    return [(read_item(path).item, path) for path in queue.archived_paths()]


# ---- the backlog forecast ------------------------------------------------------------------


def _slow_week(root: Path, settings: Settings) -> FileQueue:
    """Seven daily digests (2025-05-13 … 19) enqueued at 08:00, nothing posted yet."""
    queue = FileQueue(root / "queue")
    for day in range(7):
        digest = day_digest(day)
        date = dt.date(2025, 5, 13) + dt.timedelta(days=day)
        digest = Digest.model_validate(
            {
                "date": date,
                "entries": [
                    {**e.model_dump(exclude={"id", "arxiv_id"}), "date": date}
                    for e in digest.entries
                ],
            }
        )
        at = dt.datetime.combine(date, dt.time(8), SEOUL)
        enqueue(queue, [digest], settings, rules_for(settings), at)
    return queue


BEHIND = re.compile(
    r"queue is (\d+) days behind: the digest of (\S+) finishes on (\S+) \(x\); "
    r"9 threads a day arrive, 4 a day go out; raise \[x\] daily_posts \(now 17\)"
)


def test_a_slow_config_is_reported_behind(tmp_path: Path) -> None:
    """One thread a slot and 17 X posts a day against a 9-paper day: `enqueue`, `status` and the
    dry run say the queue is behind, with the dates, the rates and the setting to raise."""
    settings = Settings(schedule=ScheduleSettings(**one_a_slot()))
    _slow_week(tmp_path, settings)
    pin_one_a_slot(tmp_path)
    done = run_publisher(
        "enqueue", str(EXAMPLE), "--now", "2025-05-20T08:00", "--summary", "s.md", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    found = BEHIND.search(done.stdout)
    assert found is not None, done.stdout
    days, digest, finishes = int(found[1]), found[2], dt.date.fromisoformat(found[3])
    assert digest == "2025-05-20" and days == (finishes - dt.date(2025, 5, 20)).days > 5
    assert "queue is" in (tmp_path / "s.md").read_text(encoding="utf-8")
    bluesky = "(bluesky); 9 threads a day arrive, 5 a day go out; raise schedule.threads_per_slot"
    for args in (["status"], ["--dry-run", "--summary", "dry.md"]):
        shown = run_publisher(*args, "--now", "2025-05-20T08:30", cwd=tmp_path)
        assert BEHIND.search(shown.stdout), shown.stdout
        assert bluesky in shown.stdout
    assert BEHIND.search((tmp_path / "dry.md").read_text(encoding="utf-8"))
    # A real run's report carries the same forecast (its summary prints plan.behind too).
    queue = FileQueue(tmp_path / "queue")
    fakes = {name: FakeAdapter(name) for name in ("x", "bluesky")}
    now = dt.datetime(2025, 5, 20, 9, 30, tzinfo=SEOUL)
    with queue.lock():
        report = runner.run(queue, settings, rules_for(settings), fakes.__getitem__, now)
    assert any(BEHIND.search(line) for line in report.plan.behind)


def test_the_bundled_config_is_not_behind(tmp_path: Path) -> None:
    """The same week with the bundled pace: no forecast line anywhere."""
    settings = bundled(["x", "bluesky"])
    _slow_week(tmp_path, settings)
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "publisher.toml").write_bytes(
        (REPO / "config" / "publisher.toml").read_bytes()
    )
    done = run_publisher("enqueue", str(EXAMPLE), "--now", "2025-05-20T08:00", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    status = run_publisher("status", "--now", "2025-05-20T08:30", cwd=tmp_path)
    assert "behind" not in done.stdout + status.stdout
