"""The cron lines of publish.yml that fit the schedule settings: few runs, each with a reason.

A run a few minutes after each slot (in UTC, for every offset the time zone takes in a year, so
daylight saving time is covered), plus a few catch-up runs a day for deferred threads (rate limits,
outages) and hand edits. With ``spacing_minutes``, runs follow the spacing instead. Pure: no clock,
no I/O.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from publisher.config import ScheduleSettings

# Minutes after a slot the run starts: off the hour, when GitHub delays or drops scheduled runs.
DELAY_MINUTES = 7
CATCH_UP_MINUTE = 37
CATCH_UP_HOURS = (2, 10, 18)  # UTC, every 8 hours: a deferred thread waits at most ~8 hours
# The years sampled for the zone's UTC offsets (weekly): DST rules of these years, and of later
# ones unless a country changes them (then `publisher schedule --cron` prints new lines).
_SAMPLE_YEARS = (2025, 2026, 2027)


@dataclass(frozen=True)
class CronPlan:
    lines: list[str]
    runs_per_day: int
    why: str

    @property
    def billed_minutes_per_month(self) -> int:
        """At most: each run bills at least one minute (an idle run takes well under one)."""
        return self.runs_per_day * 30


def _offsets(zone: dt.tzinfo) -> list[dt.timedelta]:
    found: set[dt.timedelta] = set()
    for year in _SAMPLE_YEARS:
        day = dt.datetime(year, 1, 1, 12, tzinfo=zone)
        while day.year == year:
            offset = day.utcoffset()
            if offset is not None:
                found.add(offset)
            day += dt.timedelta(days=7)
    return sorted(found)


def _by_minute(times: set[tuple[int, int]]) -> list[str]:
    """``"M H1,H2 * * *"`` lines, one per distinct minute, for (hour, minute) pairs."""
    minutes = sorted({m for _, m in times})
    return [
        f"{m} {','.join(str(h) for h in sorted(h for h, mm in times if mm == m))} * * *"
        for m in minutes
    ]


def _largest_divisor_at_most(total: int, limit: int) -> int:
    return max(d for d in range(1, total + 1) if total % d == 0 and d <= max(limit, 1))


def cron_plan(settings: ScheduleSettings) -> CronPlan:
    """The workflow's cron lines for ``settings``, how many runs a day they make, and why."""
    if settings.spacing_minutes:
        spacing = settings.spacing_minutes
        if spacing < 60:
            step = _largest_divisor_at_most(60, spacing)
            minutes = ",".join(str((DELAY_MINUTES + k) % 60) for k in range(0, 60, step))
            return CronPlan(
                [f"{minutes} * * * *"],
                24 * 60 // step,
                f"a run every {step} minutes for spacing_minutes = {spacing}",
            )
        step = _largest_divisor_at_most(24, spacing // 60)
        hours = ",".join(str(h) for h in range(0, 24, step))
        return CronPlan(
            [f"{DELAY_MINUTES} {hours} * * *"],
            24 // step,
            f"a run every {step} hours for spacing_minutes = {spacing}",
        )
    times: set[tuple[int, int]] = set()
    for offset in _offsets(settings.zone):
        for slot in settings.slot_times():
            local = dt.datetime.combine(dt.date(2000, 1, 3), slot)
            utc = local - offset + dt.timedelta(minutes=DELAY_MINUTES)
            times.add((utc.hour, utc.minute))
    catch_up = {(h, CATCH_UP_MINUTE) for h in CATCH_UP_HOURS} - times
    lines = _by_minute(times | catch_up)
    return CronPlan(
        lines,
        len(times) + len(catch_up),
        f"{len(times)} slot runs ({len(settings.slots)} slots in {settings.timezone}, "
        f"{DELAY_MINUTES} min after each) + {len(catch_up)} catch-up runs",
    )
