"""The linear scheduler places every thread exactly where the plain search (first free slot at or
after now, scanned from the start for each thread) would, whatever the sizes, budget and slots."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from publisher.config import ScheduleSettings
from publisher.schedule import assign_times, local_day, planned_posts
from publisher.store.model import QueueItem
from tests.test_schedule import T0, thread


def plain_search(
    new: list[QueueItem], existing: list[QueueItem], settings: ScheduleSettings
) -> list[dt.datetime]:
    """The specification: for each thread, scan every slot from ``T0``'s day (quadratic)."""
    budget = settings.daily_posts.get("x")
    per_day = planned_posts(existing, "x", settings)
    taken: Counter[dt.datetime] = Counter(
        i.not_before for i in existing if i.status not in ("posted", "failed")
    )
    out = []
    for item in new:
        size = len(item.posts)
        day = local_day(T0, settings)
        found = None
        while found is None:
            for time in settings.slot_times():
                slot = dt.datetime.combine(day, time, tzinfo=settings.zone)
                used = per_day[day]
                fits = budget is None or used + size <= budget or used == 0
                if slot >= T0 and taken[slot] < settings.threads_per_slot and fits:
                    found = slot
                    break
            day += dt.timedelta(days=1)
        taken[found] += 1
        per_day[local_day(found, settings)] += size
        out.append(found)
    return out


@given(
    sizes=st.lists(st.integers(1, 12), min_size=1, max_size=60),
    budget=st.one_of(st.none(), st.integers(0, 30)),
    slots=st.lists(
        st.sampled_from(["07:00", "09:00", "12:30", "18:00", "23:59"]),
        min_size=1,
        max_size=5,
        unique=True,
    ),
    per_slot=st.integers(1, 3),
    existing_sizes=st.lists(st.integers(1, 6), max_size=5),
)
def test_same_slots_as_the_plain_search(
    sizes: list[int],
    budget: int | None,
    slots: list[str],
    per_slot: int,
    existing_sizes: list[int],
) -> None:
    settings = ScheduleSettings(
        slots=slots,
        threads_per_slot=per_slot,
        daily_posts={} if budget is None else {"x": budget},
    )
    existing = [
        thread(n, name=f"e{k}", not_before=T0 + dt.timedelta(hours=3 * k))
        for k, n in enumerate(existing_sizes)
    ]
    new = [thread(n, name=f"n{k}") for k, n in enumerate(sizes)]
    placed = [i.not_before for i in assign_times(new, existing, settings, T0)]
    assert placed == plain_search(new, existing, settings)
