"""Hints for a time zone that is not a tz database name: an abbreviation (``KST``), a UTC offset
(``UTC+9``, ``GMT+09:00``, ``+0900``) or a city (``Seoul``, ``new york``). Pure, no I/O.

The closest spelling (``Asia/Seol`` -> ``Asia/Seoul``) is ``config_problems.did_you_mean``'s; this
module answers what spelling cannot: ``UTC+9`` is nine hours from ``UTC``, not a typo of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["zone_hint"]

# Abbreviations that are not tz database names (those that are, such as "EST" or "CET", are
# accepted as written), each with the zone most who write it mean.
ABBREVIATIONS = {
    "KST": "Asia/Seoul",
    "JST": "Asia/Tokyo",
    "HKT": "Asia/Hong_Kong",
    "SGT": "Asia/Singapore",
    "IST": "Asia/Kolkata",
    "CEST": "Europe/Berlin",
    "BST": "Europe/London",
    "PST": "America/Los_Angeles",
    "PDT": "America/Los_Angeles",
    "MDT": "America/Denver",
    "CDT": "America/Chicago",
    "EDT": "America/New_York",
    "AEST": "Australia/Sydney",
    "AEDT": "Australia/Sydney",
}
# Cities whose zone is not named after them.
CITIES = {
    "busan": "Asia/Seoul",
    "incheon": "Asia/Seoul",
    "daejeon": "Asia/Seoul",
    "osaka": "Asia/Tokyo",
    "kyoto": "Asia/Tokyo",
    "beijing": "Asia/Shanghai",
    "shenzhen": "Asia/Shanghai",
    "san francisco": "America/Los_Angeles",
    "seattle": "America/Los_Angeles",
    "boston": "America/New_York",
    "washington": "America/New_York",
    "montreal": "America/Toronto",
    "munich": "Europe/Berlin",
    "zurich": "Europe/Zurich",
    "bangalore": "Asia/Kolkata",
    "mumbai": "Asia/Kolkata",
}
# Well-known zones at each whole-hour standard offset, named with the fixed-offset zone.
AT_OFFSET = {
    9: "Asia/Seoul",
    8: "Asia/Shanghai",
    7: "Asia/Bangkok",
    5: "Asia/Karachi",
    3: "Europe/Moscow",
    2: "Europe/Athens",
    1: "Europe/Berlin",
    0: "Europe/London",
    -3: "America/Sao_Paulo",
    -5: "America/New_York",
    -6: "America/Chicago",
    -7: "America/Denver",
    -8: "America/Los_Angeles",
    -10: "Pacific/Honolulu",
    10: "Australia/Brisbane",
    12: "Pacific/Auckland",
}
# Zones at offsets that are not whole hours (minutes east of UTC).
AT_ODD_OFFSET = {
    330: "Asia/Kolkata",
    345: "Asia/Kathmandu",
    570: "Australia/Adelaide",
    -210: "America/St_Johns",
}
_OFFSET = re.compile(r"(?:UTC|GMT|Z)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?", re.IGNORECASE)


def zone_hint(name: str, zones: Iterable[str]) -> str:
    """``"; did you mean 'Asia/Seoul'?"`` (or two choices) for an abbreviation, a UTC offset or
    a city; "" when ``name`` is none of them (then the closest spelling is the caller's)."""
    zones = set(zones)
    text = " ".join(name.strip().split())
    choices = _choices(text, zones)
    choices = [c for c in dict.fromkeys(choices) if c in zones]
    if not choices and _OFFSET.fullmatch(text):
        return "; a UTC offset is not a time zone: name the zone of a place at that offset"
    if not choices:
        return ""
    return "; did you mean " + " or ".join(repr(c) for c in choices) + "?"


def _choices(text: str, zones: set[str]) -> list[str]:
    found = ABBREVIATIONS.get(text.upper())
    if found:
        return [found]
    offset = _OFFSET.fullmatch(text)
    if offset is not None:
        return _at_offset(offset)
    city = text.lower().replace("_", " ")
    if city in CITIES:
        return [CITIES[city]]
    by_city = [z for z in sorted(zones) if z.rsplit("/", 1)[-1].replace("_", " ").lower() == city]
    return by_city[:2]


def _at_offset(match: re.Match[str]) -> list[str]:
    """The zones at a ``+9`` or ``-05:30`` offset: a well-known one and the fixed ``Etc/GMT``
    one (whose sign is POSIX's, the reverse: UTC+9 is ``Etc/GMT-9``)."""
    sign = 1 if match.group(1) == "+" else -1
    hours, minutes = int(match.group(2)), int(match.group(3) or 0)
    if minutes:
        odd = AT_ODD_OFFSET.get(sign * (hours * 60 + minutes))
        return [odd] if odd else []
    if hours > 14:
        return []
    out = [AT_OFFSET[sign * hours]] if sign * hours in AT_OFFSET else []
    if hours == 0:
        return [*out, "Etc/UTC"]
    return [*out, f"Etc/GMT{'-' if sign > 0 else '+'}{hours}"]
