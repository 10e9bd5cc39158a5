"""Time zone hints that are right: abbreviations, UTC offsets and cities."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

import pytest

from publisher.zones import zone_hint
from tests.publisher_cli import run_publisher

ZONES = available_timezones()


@pytest.mark.parametrize(
    ("written", "hint"),
    [
        ("KST", "; did you mean 'Asia/Seoul'?"),
        ("kst", "; did you mean 'Asia/Seoul'?"),
        ("Seoul", "; did you mean 'Asia/Seoul'?"),
        ("seoul", "; did you mean 'Asia/Seoul'?"),
        ("Busan", "; did you mean 'Asia/Seoul'?"),
        ("new york", "; did you mean 'America/New_York'?"),
        ("Tokyo", "; did you mean 'Asia/Tokyo'?"),
        ("UTC+9", "; did you mean 'Asia/Seoul' or 'Etc/GMT-9'?"),
        ("UTC+09:00", "; did you mean 'Asia/Seoul' or 'Etc/GMT-9'?"),
        ("+0900", "; did you mean 'Asia/Seoul' or 'Etc/GMT-9'?"),
        ("UTC-5", "; did you mean 'America/New_York' or 'Etc/GMT+5'?"),
        ("UTC+5:30", "; did you mean 'Asia/Kolkata'?"),
        ("Mars/Olympus", ""),
    ],
)
def test_hint(written: str, hint: str) -> None:
    assert zone_hint(written, ZONES) == hint


@pytest.mark.parametrize("hours", range(-12, 15))
def test_every_whole_offset_names_zones_at_that_offset(hours: int) -> None:
    """The zones a UTC offset is hinted have it as their standard time (the smaller of their
    January and July offsets: daylight saving time only adds)."""
    import datetime as dt
    import re

    hint = zone_hint(f"UTC{hours:+d}", ZONES)
    names = re.findall(r"'([^']+)'", hint)
    assert names
    moments = [dt.datetime(2026, month, 15, 12, tzinfo=dt.UTC) for month in (1, 7)]
    for name in names:
        offsets = [m.astimezone(ZoneInfo(name)).utcoffset() or dt.timedelta() for m in moments]
        assert min(offsets) == dt.timedelta(hours=hours), (name, offsets)


def test_the_config_error_gives_the_hint(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "publisher.toml").write_text(
        '[schedule]\ntimezone = "UTC+9"\n', encoding="utf-8"
    )
    done = run_publisher("status", cwd=tmp_path)
    assert done.returncode == 2
    assert (
        "config/publisher.toml:2: schedule.timezone: unknown time zone 'UTC+9'; did you mean "
        "'Asia/Seoul' or 'Etc/GMT-9'?"
    ) in done.stderr
    assert "did you mean 'UTC'" not in done.stderr
