"""Whether the queue keeps up with the author: a backlog forecast per platform. Pure, no I/O.

A digest is kept up with when its last thread goes out within 24 hours of its enqueue. When the
threads queued now go out later than that, or more threads a day arrive than the schedule lets
out, the forecast says so, with the setting that would keep up:

    queue is 3 days behind: the digest of 2031-01-05 finishes on 2031-01-08 (NAME); 9 threads a
    day arrive, 5 a day go out; raise schedule.threads_per_slot (now 1) or add schedule.slots
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from publisher.config import Settings
from publisher.cron import cron_plan
from publisher.store.common import OPEN
from publisher.store.model import QueueItem

__all__ = ["Behind", "capacity", "forecast"]

DAY = dt.timedelta(days=1)
_DATED = re.compile(r"(\d{4}-\d\d-\d\d)-")


@dataclass(frozen=True)
class Behind:
    """One platform's queue, behind the author."""

    platform: str
    days: int  # from the digest's enqueue to the day its last thread goes out
    digest: dt.date
    finishes: dt.date
    arrive: int  # threads a day the digests bring (per platform)
    leave: int  # threads a day the schedule lets out
    setting: str  # what to change to keep up

    def __str__(self) -> str:
        if self.days <= 0:  # not late yet, but more arrives than leaves
            head = f"queue falls behind ({self.platform})"
        else:
            s = "" if self.days == 1 else "s"
            head = (
                f"queue is {self.days} day{s} behind: the digest of {self.digest.isoformat()} "
                f"finishes on {self.finishes.isoformat()} ({self.platform})"
            )
        return (
            f"{head}; {self.arrive} threads a day arrive, {self.leave} a day go out; {self.setting}"
        )


def capacity(settings: Settings, platform: str, posts_per_thread: float) -> tuple[int, str]:
    """Threads a day the schedule lets out on ``platform``, and the setting that binds."""
    schedule = settings.schedule
    bounds: list[tuple[int, str]] = []
    if schedule.spacing_minutes:
        bounds.append(
            (
                max(1, 24 * 60 // schedule.spacing_minutes),
                f"lower schedule.spacing_minutes (now {schedule.spacing_minutes})",
            )
        )
    else:
        bounds.append(
            (
                len(schedule.slots) * schedule.threads_per_slot,
                f"raise schedule.threads_per_slot (now {schedule.threads_per_slot}) "
                "or add schedule.slots",
            )
        )
    runs = cron_plan(schedule).runs_per_day
    bounds.append(
        (
            runs * schedule.max_threads_per_run,
            f"raise schedule.max_threads_per_run (now {schedule.max_threads_per_run})",
        )
    )
    daily = schedule.daily_posts.get(platform)
    if daily is not None:
        bounds.append(
            (
                max(1, int(daily // max(posts_per_thread, 1.0))),
                f"raise [{platform}] daily_posts (now {daily})",
            )
        )
    return min(bounds, key=lambda b: b[0])


def _digest_day(item: QueueItem, settings: Settings) -> dt.date:
    """The day of the digest a thread comes from: its id's date, else its enqueue day."""
    found = _DATED.match(item.id)
    if found:
        try:
            return dt.date.fromisoformat(found.group(1))
        except ValueError:
            pass
    return item.created.astimezone(settings.schedule.zone).date()


def _arrivals(items: list[QueueItem], settings: Settings) -> int:
    """Threads a day the digests bring: the mean per day on which threads were enqueued."""
    per_day: dict[dt.date, int] = defaultdict(int)
    for item in items:
        per_day[item.created.astimezone(settings.schedule.zone).date()] += 1
    if not per_day:
        return 0
    return math.ceil(sum(per_day.values()) / len(per_day))


def forecast(items: Iterable[QueueItem], settings: Settings, now: dt.datetime) -> list[Behind]:
    """Each platform that is on and whose queue is behind the author (``items``: the open queue
    and the recent archive, for the arrival rate)."""
    items = list(items)
    found = []
    for platform in settings.platforms:
        ours = [i for i in items if i.platform == platform]
        waiting = [i for i in ours if i.status in OPEN]
        if not waiting:
            continue
        posts = sum(len(i.posts) for i in ours) / len(ours)
        leave, setting = capacity(settings, platform, posts)
        arrive = _arrivals(ours, settings)
        late = _latest_digest(waiting, settings)
        if late is None and arrive <= leave:
            continue
        days, digest, finishes, budget = late or (0, now.date(), now.date(), "")
        found.append(Behind(platform, days, digest, finishes, arrive, leave, budget or setting))
    return found


def _latest_digest(
    waiting: list[QueueItem], settings: Settings
) -> tuple[int, dt.date, dt.date, str] | None:
    """The digest furthest behind: the days from its enqueue to its last thread, its day, the
    day its last thread goes out, and the budget setting when a monthly budget holds it; None
    when every thread goes out within 24 hours of its enqueue."""
    zone = settings.schedule.zone
    worst: tuple[dt.timedelta, int, dt.date, dt.date, str] | None = None
    groups: dict[dt.date, list[QueueItem]] = defaultdict(list)
    for item in waiting:
        groups[_digest_day(item, settings)].append(item)
    for day, group in groups.items():
        last = max(group, key=lambda i: i.not_before)
        first = min(i.created for i in group)
        lag = last.not_before - first
        if lag <= DAY:
            continue
        budget = f"raise [{last.platform}] monthly_budget_usd" if _by_budget(last) else ""
        finishes = last.not_before.astimezone(zone).date()
        days = max(1, (finishes - first.astimezone(zone).date()).days)
        if worst is None or lag > worst[0]:
            worst = (lag, days, day, finishes, budget)
    return None if worst is None else worst[1:]


def _by_budget(item: QueueItem) -> bool:
    return "monthly_budget_usd" in (item.reason or "")
