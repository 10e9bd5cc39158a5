"""Times as ``publisher`` prints them: in the configured zone, with the offset once in a header.

A time whose offset differs from the header's (the other side of a daylight-saving change) keeps
its own offset, so no printed time is ever ambiguous.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

__all__ = ["LocalTimes"]


@dataclass(frozen=True)
class LocalTimes:
    """Formats times in ``zone``; the header's offset is the one ``zone`` has at ``at``."""

    zone: ZoneInfo
    at: dt.datetime

    @property
    def offset(self) -> dt.timedelta | None:
        return self.at.astimezone(self.zone).utcoffset()

    def header(self) -> str:
        """``times in Asia/Seoul, UTC+09:00``."""
        return f"times in {self.zone}, UTC{_offset(self.offset)}"

    def __call__(self, moment: dt.datetime) -> str:
        """``2025-05-20 09:00`` (seconds only when there are some)."""
        local = moment.astimezone(self.zone)
        text = local.strftime("%Y-%m-%d %H:%M") + (local.strftime(":%S") if local.second else "")
        if local.utcoffset() != self.offset:
            text += f" (UTC{_offset(local.utcoffset())})"
        return text

    def iso(self, moment: dt.datetime) -> str:
        """ISO 8601 in the configured zone, for JSON: ``2025-05-20T09:00:00+09:00``."""
        return moment.astimezone(self.zone).isoformat()


def _offset(delta: dt.timedelta | None) -> str:
    minutes = int((delta or dt.timedelta()).total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{rest:02d}"
