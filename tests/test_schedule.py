"""When queued threads go out: slots or spacing in the configured zone, within the daily budget."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

from publisher.config import ScheduleSettings, Settings
from publisher.digest import read_digests
from publisher.enqueue import enqueue
from publisher.platforms import rules_for
from publisher.schedule import assign_times, next_day_start, planned_posts, posts_today
from publisher.store.fileformat import read_item
from publisher.store.filequeue import FileQueue
from publisher.store.model import PostRecord, QueueItem
from tests.conftest import EXAMPLE, one_a_slot
from tests.publisher_cli import run_publisher

SEOUL = ZoneInfo("Asia/Seoul")
NEW_YORK = ZoneInfo("America/New_York")
T0 = dt.datetime(2025, 5, 20, 8, 0, tzinfo=SEOUL)


def queued(tmp_path: Path, schedule: ScheduleSettings, now: dt.datetime = T0) -> list[QueueItem]:
    """Enqueue the example digest with ``schedule`` and read the files back."""
    settings = Settings(schedule=schedule)
    queue = FileQueue(tmp_path / "queue")
    enqueue(queue, read_digests([EXAMPLE]), settings, rules_for(settings), now)
    return [read_item(p).item for p in queue.paths()]


def in_digest_order(items: list[QueueItem], platform: str) -> list[QueueItem]:
    """``platform``'s threads by their line in the digest (``source`` is ``path:line``)."""
    ours = [i for i in items if i.platform == platform]
    return sorted(ours, key=lambda i: int((i.source or ":0").rsplit(":", 1)[1]))


def posts_per_day(items: list[QueueItem], platform: str, zone: ZoneInfo) -> Counter[dt.date]:
    days: Counter[dt.date] = Counter()
    for i in items:
        if i.platform == platform:
            days[i.not_before.astimezone(zone).date()] += len(i.posts)
    return days


def thread(n_posts: int, platform: str = "x", name: str = "t", **changes: object) -> QueueItem:
    return QueueItem.model_validate(
        {
            "id": name,
            "platform": platform,
            "not_before": T0,
            "created": T0,
            "posts": [f"post {k}" for k in range(n_posts)],
            **changes,
        }
    )


class TestSlots:
    """With the default config: slots 09,12,15,18,21 in Asia/Seoul, one thread per slot."""

    def test_every_thread_on_a_slot(self, tmp_path: Path) -> None:
        """Every not_before is a slot time in Seoul, and no two threads of a platform share one."""
        items = queued(tmp_path, ScheduleSettings(**one_a_slot()))
        assert len(items) == 18
        for i in items:
            local = i.not_before.astimezone(SEOUL)
            assert (local.hour, local.minute, local.second) in {
                (h, 0, 0) for h in (9, 12, 15, 18, 21)
            }
            assert i.not_before >= T0
        for platform in ("x", "bluesky"):
            times = [i.not_before for i in items if i.platform == platform]
            assert len(set(times)) == len(times) == 9

    def test_digest_order_kept(self, tmp_path: Path) -> None:
        """Threads go out in the digest's order, per platform."""
        items = queued(tmp_path, ScheduleSettings(**one_a_slot()))
        for platform in ("x", "bluesky"):
            times = [i.not_before for i in in_digest_order(items, platform)]
            assert times == sorted(times)

    def test_bluesky_fills_slots(self, tmp_path: Path) -> None:
        """Bluesky's budget (300) never binds: five threads the first day, four the next."""
        items = queued(tmp_path, ScheduleSettings(**one_a_slot()))
        bluesky = [i.not_before.astimezone(SEOUL) for i in in_digest_order(items, "bluesky")]
        assert [t.hour for t in bluesky] == [9, 12, 15, 18, 21, 9, 12, 15, 18]
        assert [t.day for t in bluesky] == [20] * 5 + [21] * 4

    def test_x_daily_budget(self, tmp_path: Path) -> None:
        """With x = 17, no Seoul day plans more than 17 X posts, so X spreads over three days."""
        items = queued(tmp_path, ScheduleSettings(**one_a_slot()))
        days = posts_per_day(items, "x", SEOUL)
        assert max(days.values()) <= 17
        assert sum(days.values()) == sum(len(i.posts) for i in items if i.platform == "x")
        assert len(days) == 3
        # A slot is left empty rather than passing the budget: the fifth X thread waits a day.
        x_times = [i.not_before.astimezone(SEOUL) for i in in_digest_order(items, "x")]
        assert x_times[4].date() == dt.date(2025, 5, 21)

    def test_smaller_budget_spreads_further(self, tmp_path: Path) -> None:
        """With x = 7 every day stays within 7 X posts (threads here are 3 to 7 posts)."""
        items = queued(tmp_path, ScheduleSettings(daily_posts={"x": 7, "bluesky": 300}))
        days = posts_per_day(items, "x", SEOUL)
        assert max(days.values()) <= 7
        assert sum(days.values()) == 34
        assert len(days) >= 5

    def test_threads_per_slot(self, tmp_path: Path) -> None:
        """With two threads per slot, slots are shared by pairs and Bluesky fits in one day."""
        items = queued(tmp_path, ScheduleSettings(**one_a_slot(threads_per_slot=2)))
        for platform in ("x", "bluesky"):
            per_slot = Counter(i.not_before for i in items if i.platform == platform)
            assert max(per_slot.values()) == 2
        bluesky_days = {
            i.not_before.astimezone(SEOUL).date() for i in items if i.platform == "bluesky"
        }
        assert bluesky_days == {dt.date(2025, 5, 20)}
        assert max(posts_per_day(items, "x", SEOUL).values()) <= 17

    def test_custom_slots_later_now(self, tmp_path: Path) -> None:
        """Slots come from the config (sorted), and slots already past today are skipped."""
        now = dt.datetime(2025, 5, 20, 13, 30, tzinfo=SEOUL)
        items = queued(
            tmp_path, ScheduleSettings(**one_a_slot(slots=["20:00", "07:30", "14:00"])), now
        )
        bluesky = [i.not_before.astimezone(SEOUL) for i in in_digest_order(items, "bluesky")]
        assert [(t.day, t.hour, t.minute) for t in bluesky[:4]] == [
            (20, 14, 0),
            (20, 20, 0),
            (21, 7, 30),
            (21, 14, 0),
        ]

    def test_new_york(self, tmp_path: Path) -> None:
        """With America/New_York the slots are New York hours, and the budget is per NY day."""
        now = dt.datetime(2025, 5, 20, 8, 0, tzinfo=NEW_YORK)
        items = queued(tmp_path, ScheduleSettings(**one_a_slot(timezone="America/New_York")), now)
        for i in items:
            local = i.not_before.astimezone(NEW_YORK)
            assert local.hour in (9, 12, 15, 18, 21) and local.minute == 0
            assert i.not_before.utcoffset() == dt.timedelta(hours=-4)  # EDT, as written
        first = in_digest_order(items, "x")[0].not_before
        assert first == dt.datetime(2025, 5, 20, 9, 0, tzinfo=NEW_YORK)
        assert max(posts_per_day(items, "x", NEW_YORK).values()) <= 17

    def test_existing_slots_not_reused(self) -> None:
        """Slots held by queued threads are skipped; posted and failed ones free their slot."""
        settings = ScheduleSettings(**one_a_slot())
        nine = dt.datetime(2025, 5, 20, 9, 0, tzinfo=SEOUL)
        noon = nine.replace(hour=12)
        existing = [
            thread(2, name="a", not_before=nine),
            thread(2, name="b", not_before=noon, status="failed"),
        ]
        (new,) = assign_times([thread(2, name="c")], existing, settings, T0)
        assert new.not_before == noon
        (held,) = assign_times(
            [thread(2, name="c")],
            [thread(2, name="a", not_before=nine, status="held")],
            settings,
            T0,
        )
        assert held.not_before == noon


class TestSpacing:
    """With ``spacing_minutes`` the slots are ignored: one thread every so many minutes."""

    def test_spacing(self, tmp_path: Path) -> None:
        """The first thread goes at once, the next ones 90 minutes apart, within the budget."""
        now = dt.datetime(2025, 5, 20, 8, 0, tzinfo=SEOUL)
        items = queued(tmp_path, ScheduleSettings(**one_a_slot(spacing_minutes=90)), now)
        bluesky = [i.not_before for i in in_digest_order(items, "bluesky")]
        assert bluesky[0] == now
        gaps = {b - a for a, b in itertools.pairwise(bluesky)}
        assert gaps == {dt.timedelta(minutes=90)}
        x = [i.not_before for i in in_digest_order(items, "x")]
        assert x[0] == now
        assert all(b - a >= dt.timedelta(minutes=90) for a, b in itertools.pairwise(x))
        assert max(posts_per_day(items, "x", SEOUL).values()) <= 17

    def test_spacing_rolls_to_next_day(self) -> None:
        """A thread that would pass the day's budget waits for local midnight."""
        settings = ScheduleSettings(spacing_minutes=60, daily_posts={"x": 5})
        out = assign_times([thread(3, name="a"), thread(3, name="b")], [], settings, T0)
        assert out[0].not_before == T0
        assert out[1].not_before == dt.datetime(2025, 5, 21, 0, 0, tzinfo=SEOUL)


class TestBudget:
    """The daily budget counts posts already made and threads already planned."""

    def test_oversized_thread_alone_on_its_day(self) -> None:
        """A thread longer than the whole budget still goes out, alone on its day."""
        settings = ScheduleSettings(daily_posts={"x": 2})
        out = assign_times([thread(1, name="a"), thread(3, name="b")], [], settings, T0)
        assert out[0].not_before.date() == dt.date(2025, 5, 20)
        assert out[1].not_before == dt.datetime(2025, 5, 21, 9, 0, tzinfo=SEOUL)

    def test_posts_made_today_count(self) -> None:
        """Posts already made today use up the budget of new threads."""
        settings = ScheduleSettings(daily_posts={"x": 5})
        record = PostRecord(post=1, id="1", url="u", at=T0)
        done = thread(4, name="done", status="posted", posted=[record] * 4)
        assert planned_posts([done], "x", settings) == {dt.date(2025, 5, 20): 4}
        assert posts_today([done], "x", T0, settings) == 4
        assert posts_today([done], "bluesky", T0, settings) == 0
        assert posts_today([done], "x", T0 + dt.timedelta(days=1), settings) == 0
        (new,) = assign_times([thread(2, name="new")], [done], settings, T0)
        assert new.not_before == dt.datetime(2025, 5, 21, 9, 0, tzinfo=SEOUL)

    def test_local_day_boundary(self) -> None:
        """A post at 23:30 Seoul is that Seoul day's, even though it is 14:30 UTC."""
        settings = ScheduleSettings(**one_a_slot())
        late = dt.datetime(2025, 5, 20, 23, 30, tzinfo=SEOUL)
        record = PostRecord(post=1, id="1", url="u", at=late.astimezone(dt.UTC))
        done = thread(1, name="done", status="posted", posted=[record])
        assert posts_today([done], "x", late, settings) == 1
        assert posts_today([done], "x", late + dt.timedelta(hours=1), settings) == 0

    def test_next_day_start(self) -> None:
        """The next day starts at its first slot, or at midnight with spacing."""
        late = dt.datetime(2025, 5, 20, 22, 0, tzinfo=SEOUL)
        assert next_day_start(late, ScheduleSettings(**one_a_slot())) == dt.datetime(
            2025, 5, 21, 9, 0, tzinfo=SEOUL
        )
        spaced = ScheduleSettings(spacing_minutes=30)
        assert next_day_start(late, spaced) == dt.datetime(2025, 5, 21, 0, 0, tzinfo=SEOUL)


class TestEnqueueCli:
    """``publisher enqueue`` follows ``--config``."""

    def test_config_time_zone(self, tmp_path: Path) -> None:
        """A naive ``--now`` is read in the config's zone and slots are that zone's hours."""
        config = tmp_path / "publisher.toml"
        config.write_text('[schedule]\ntimezone = "America/New_York"\nslots = ["10:00", "16:00"]\n')
        done = run_publisher(
            "enqueue", str(EXAMPLE), "--queue", "q", "--config", str(config), "--now",
            "2025-05-20T11:00", cwd=tmp_path,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "18 added" in done.stdout
        items = [read_item(p).item for p in FileQueue(tmp_path / "q").paths()]
        firsts = sorted(i.not_before for i in items)[:2]
        assert firsts == [dt.datetime(2025, 5, 20, 16, 0, tzinfo=NEW_YORK)] * 2
        assert {i.not_before.astimezone(NEW_YORK).hour for i in items} == {10, 16}
        text = (tmp_path / "q" / f"{items[0].key}.md").read_text()
        assert "-04:00" in text
