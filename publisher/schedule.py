"""When threads go out: slots (or a spacing) in a time zone, and a daily post budget per platform.

Pure functions over queue items and settings; the clock is always passed in.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable

from publisher.config import ScheduleSettings
from publisher.errors import InputError
from publisher.store.common import Status
from publisher.store.model import QueueItem


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
        if item.platform != platform or item.status in (Status.FAILED, Status.HELD):
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

    Each platform is planned on its own, so a small daily budget on one platform pushes its
    threads to the next day without holding back the others. A slot takes ``threads_per_slot``
    threads per platform; with ``spacing_minutes`` set, threads are spaced that far apart instead
    of using slots.
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
    slots = _Slots(existing, platform, settings, now)
    out = []
    for item in new:
        moment = slots.place(len(item.posts))
        out.append(item.model_copy(update={"not_before": moment}))
    return out


class _Slots:
    """The free times of one platform, handed out in order.

    Linear in the number of threads: a cursor skips, once and for all, slots that can take no
    more (slot full, or the day's budget spent), and a cursor per thread size skips those too
    full for that size; none moves back, since slots and days only fill up.
    """

    def __init__(
        self,
        existing: list[QueueItem],
        platform: str,
        settings: ScheduleSettings,
        now: dt.datetime,
    ) -> None:
        self.settings = settings
        self.now = now
        self.budget = settings.daily_posts.get(platform)
        self.per_day = planned_posts(existing, platform, settings)
        self.taken: Counter[dt.datetime] = Counter(
            i.not_before for i in existing if i.status not in (Status.POSTED, Status.FAILED)
        )
        self.latest = max(
            (i.not_before for i in existing if i.status != Status.POSTED), default=None
        )
        self.day = local_day(now, settings)
        self.times = settings.slot_times()
        self.index = 0  # the cursor: self.times[self.index] on self.day
        self.cursors: dict[int, tuple[dt.date, int]] = {}  # per thread size, where it last fit

    def place(self, size: int) -> dt.datetime:
        try:
            moment = self._spaced(size) if self.settings.spacing_minutes else self._slot(size)
        except OverflowError:
            raise InputError.one(
                "schedule", None, "no free time before the year 9999: the queue is full"
            ) from None
        self.taken[moment] += 1
        self.per_day[local_day(moment, self.settings)] += size
        self.latest = moment if self.latest is None or moment > self.latest else self.latest
        return moment

    def _fits(self, day: dt.date, size: int) -> bool:
        # A thread bigger than a whole day's budget still goes out, alone on its day.
        used = self.per_day[day]
        return self.budget is None or used + size <= self.budget or used == 0

    def _spaced(self, size: int) -> dt.datetime:
        settings = self.settings
        moment = (
            self.now
            if self.latest is None
            else max(self.now, self.latest + dt.timedelta(minutes=settings.spacing_minutes))
        )
        moment = moment.astimezone(settings.zone).replace(microsecond=0)
        while not self._fits(local_day(moment, settings), size):
            next_day = local_day(moment, settings) + dt.timedelta(days=1)
            moment = dt.datetime.combine(next_day, dt.time(0), tzinfo=settings.zone)
        return moment

    def _at(self, day: dt.date, index: int) -> dt.datetime:
        return dt.datetime.combine(day, self.times[index], tzinfo=self.settings.zone)

    def _dead(self, slot: dt.datetime, day: dt.date) -> bool:
        """A slot that can never take another thread: past, full, or its day's budget spent."""
        full = self.taken[slot] >= self.settings.threads_per_slot
        spent = self.budget is not None and self.per_day[day] >= max(self.budget, 1)
        return slot < self.now or full or spent

    def _slot(self, size: int) -> dt.datetime:
        if not self.times:  # the config refuses this; a guard, not a plan
            raise InputError.one("schedule", None, "no slots: set schedule.slots")
        while self._dead(self._at(self.day, self.index), self.day):
            self._advance()
        # A slot that cannot take a thread of this size never will (slots and days only fill
        # up), so each size resumes where its last search ended: linear over many threads.
        day, index = max((self.day, self.index), self.cursors.get(size, (self.day, self.index)))
        while True:
            slot = self._at(day, index)
            if not self._dead(slot, day) and self._fits(day, size):
                self.cursors[size] = (day, index)
                return slot
            index += 1
            if index == len(self.times):
                day, index = day + dt.timedelta(days=1), 0

    def _advance(self) -> None:
        self.index += 1
        if self.index == len(self.times):
            self.day, self.index = self.day + dt.timedelta(days=1), 0


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
