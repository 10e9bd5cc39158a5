"""When threads go out: slots (or a spacing) in a time zone, and a daily post budget per platform.

Pure functions over queue items and settings; the clock is always passed in.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable

from publisher.config import ScheduleSettings
from publisher.filequeue import QueueItem


def local_day(moment: dt.datetime, settings: ScheduleSettings) -> dt.date:
    return moment.astimezone(settings.zone).date()


def _day_slots(day: dt.date, settings: ScheduleSettings) -> list[dt.datetime]:
    return [dt.datetime.combine(day, t, tzinfo=settings.zone) for t in settings.slot_times()]


def planned_posts(
    items: Iterable[QueueItem], platform: str, settings: ScheduleSettings
) -> Counter[dt.date]:
    """Posts per local day already planned (or made) for ``platform``."""
    per_day: Counter[dt.date] = Counter()
    for item in items:
        if item.platform != platform or item.status in ("failed", "held"):
            continue
        for record in item.posted:
            per_day[local_day(record.at, settings)] += 1
        remaining = len(item.posts) - len(item.posted)
        if remaining > 0:
            per_day[local_day(item.not_before, settings)] += remaining
    return per_day


def assign_times(
    new: list[QueueItem],
    existing: list[QueueItem],
    settings: ScheduleSettings,
    now: dt.datetime,
) -> list[QueueItem]:
    """Give each new thread a ``not_before``: the next free slot at or after ``now``.

    Each platform is planned on its own, so a small daily budget on X pushes X threads to the
    next day without holding back Bluesky. A slot takes ``threads_per_slot`` threads per platform;
    with ``spacing_minutes`` set, threads are spaced that far apart instead of using slots.
    """
    out: list[QueueItem] = []
    for platform in sorted({item.platform for item in new}):
        ours = [i for i in new if i.platform == platform]
        theirs = [i for i in existing if i.platform == platform]
        out.extend(_assign_platform(ours, theirs, platform, settings, now))
    order = {id(item): n for n, item in enumerate(new)}
    return sorted(out, key=lambda i: order.get(id(i), 0))


def _assign_platform(
    new: list[QueueItem],
    existing: list[QueueItem],
    platform: str,
    settings: ScheduleSettings,
    now: dt.datetime,
) -> list[QueueItem]:
    budget = settings.daily_posts.get(platform)
    per_day = planned_posts(existing, platform, settings)
    taken: Counter[dt.datetime] = Counter(
        i.not_before for i in existing if i.status not in ("posted", "failed")
    )
    latest = max((i.not_before for i in existing if i.status != "posted"), default=None)
    out = []
    for item in new:
        size = len(item.posts)
        moment = _next_time(now, latest, taken, per_day, size, budget, settings)
        taken[moment] += 1
        per_day[local_day(moment, settings)] += size
        latest = moment if latest is None or moment > latest else latest
        out.append(item.model_copy(update={"not_before": moment}))
    return out


def _next_time(
    now: dt.datetime,
    latest: dt.datetime | None,
    taken: Counter[dt.datetime],
    per_day: Counter[dt.date],
    size: int,
    budget: int | None,
    settings: ScheduleSettings,
) -> dt.datetime:
    def fits(moment: dt.datetime) -> bool:
        day = local_day(moment, settings)
        # A thread bigger than a whole day's budget still goes out, alone on its day.
        return budget is None or per_day[day] + size <= budget or per_day[day] == 0

    if settings.spacing_minutes:
        moment = (
            now
            if latest is None
            else max(now, latest + dt.timedelta(minutes=settings.spacing_minutes))
        )
        moment = moment.astimezone(settings.zone).replace(microsecond=0)
        while not fits(moment):
            next_day = local_day(moment, settings) + dt.timedelta(days=1)
            moment = dt.datetime.combine(next_day, dt.time(0), tzinfo=settings.zone)
        return moment
    day = local_day(now, settings)
    for _ in range(3660):  # ten years of days: a bound, not a plan
        for slot in _day_slots(day, settings):
            if slot < now:
                continue
            if taken[slot] < settings.threads_per_slot and fits(slot):
                return slot
        day += dt.timedelta(days=1)
    raise RuntimeError("no free slot within ten years")  # unreachable with a positive budget


def posts_today(
    items: Iterable[QueueItem], platform: str, now: dt.datetime, settings: ScheduleSettings
) -> int:
    """Posts already made on ``now``'s local day for ``platform``."""
    today = local_day(now, settings)
    return sum(
        1
        for item in items
        if item.platform == platform
        for record in item.posted
        if local_day(record.at, settings) == today
    )


def next_day_start(now: dt.datetime, settings: ScheduleSettings) -> dt.datetime:
    """The first slot of the next local day (midnight when slots are not used)."""
    day = local_day(now, settings) + dt.timedelta(days=1)
    if settings.spacing_minutes or not settings.slots:
        return dt.datetime.combine(day, dt.time(0), tzinfo=settings.zone)
    return _day_slots(day, settings)[0]
