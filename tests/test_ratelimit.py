"""Reading when to retry from rate-limit headers: every form, garbage ignored, past resets."""

from __future__ import annotations

import datetime as dt
import time
from email.utils import formatdate
from types import SimpleNamespace

import httpx
import pytest
from requests.structures import CaseInsensitiveDict

from publisher.errors import RateLimited
from publisher.ratelimit import retry_at

NOW = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC).timestamp()
IN_2_MIN = NOW + 120
IN_1_HOUR = NOW + 3600
HTTP_DATE_IN_1_HOUR = "Tue, 01 Dec 2026 16:00:00 GMT"


class TestForms:
    """Each header form gives the time it announces."""

    @pytest.mark.parametrize(
        ("headers", "expected"),
        [
            ({"Retry-After": "120"}, IN_2_MIN),
            ({"retry-after": "0"}, NOW),
            ({"Retry-After": "1.5"}, NOW + 1.5),
            ({"Retry-After": HTTP_DATE_IN_1_HOUR}, IN_1_HOUR),
            ({"Retry-After": "Tue, 01 Dec 2026 16:00:00 +0000"}, IN_1_HOUR),
            ({"Retry-After": "Tue, 01 Dec 2026 17:00:00 +0100"}, IN_1_HOUR),
            ({"Retry-After": "Tue, 01 Dec 2026 16:00:00 -0000"}, IN_1_HOUR),  # no zone: UTC
            ({"x-rate-limit-reset": str(int(IN_1_HOUR))}, IN_1_HOUR),
            ({"ratelimit-reset": str(int(IN_1_HOUR))}, IN_1_HOUR),
            ({"RateLimit-Reset": "120"}, IN_2_MIN),  # small numbers: seconds from now
            ({"X-RateLimit-Reset": "2026-12-01T16:00:00.000Z"}, IN_1_HOUR),
            ({"X-RateLimit-Reset": "2026-12-01T16:00:00Z"}, IN_1_HOUR),
            ({"X-RateLimit-Reset": "2026-12-01T17:00:00+01:00"}, IN_1_HOUR),
            ({"X-RateLimit-Reset": "2026-12-01T16:00:00"}, IN_1_HOUR),  # no offset: UTC
            ({"x-user-limit-24hour-reset": str(int(IN_1_HOUR))}, IN_1_HOUR),
        ],
    )
    def test_form(self, headers: dict[str, str], expected: float) -> None:
        """The announced time, as epoch seconds."""
        assert retry_at(headers, NOW) == pytest.approx(expected)

    @pytest.mark.parametrize(
        "headers",
        [
            CaseInsensitiveDict({"X-RATE-LIMIT-RESET": str(int(IN_1_HOUR))}),
            httpx.Headers({"RateLimit-Reset": str(int(IN_1_HOUR))}),
            {"  X-RateLimit-Reset ": " 2026-12-01T16:00:00Z "},
        ],
    )
    def test_any_mapping_any_case(self, headers: dict[str, str]) -> None:
        """requests' and httpx' header mappings and odd spelling are read alike."""
        assert retry_at(headers, NOW) == pytest.approx(IN_1_HOUR)


class TestSeveralLimits:
    """Which limit refused decides; the latest announced time wins."""

    def test_latest_wins(self) -> None:
        """Retry-After in 2 minutes, a reset in an hour: the hour."""
        headers = {"Retry-After": "120", "x-rate-limit-reset": str(int(IN_1_HOUR))}
        assert retry_at(headers, NOW) == pytest.approx(IN_1_HOUR)

    def test_limit_with_room_left_is_ignored(self) -> None:
        """A daily cap used up beside a window with room left: the cap's reset, not the window's."""
        tomorrow = NOW + 86_400
        headers = {
            "x-rate-limit-remaining": "99",
            "x-rate-limit-reset": str(int(IN_2_MIN)),
            "x-user-limit-24hour-remaining": "0",
            "x-user-limit-24hour-reset": str(int(tomorrow)),
        }
        assert retry_at(headers, NOW) == pytest.approx(tomorrow)

    def test_only_limits_with_room_left(self) -> None:
        """Every limit has room left and no Retry-After: nothing is announced."""
        headers = {"X-RateLimit-Remaining": "250", "X-RateLimit-Reset": "2026-12-01T16:00:00Z"}
        assert retry_at(headers, NOW) is None

    def test_accepted_answer_reads_only_used_up_limits(self) -> None:
        """refused=False: a reset counts only with remaining 0, not when the count is missing."""
        reset = {"X-RateLimit-Reset": "2026-12-01T16:00:00Z"}
        assert retry_at(reset, NOW, refused=False) is None
        used_up = {**reset, "X-RateLimit-Remaining": "0"}
        assert retry_at(used_up, NOW, refused=False) == pytest.approx(IN_1_HOUR)
        assert retry_at({"Retry-After": "120"}, NOW, refused=False) == pytest.approx(IN_2_MIN)


class TestPastAndGarbage:
    """A reset already past means now; a value that cannot be read is ignored."""

    @pytest.mark.parametrize(
        "headers",
        [
            {"x-rate-limit-reset": str(int(NOW - 60))},
            {"X-RateLimit-Reset": "2026-12-01T14:00:00Z"},
            {"Retry-After": "Tue, 01 Dec 2026 14:00:00 GMT"},
            {"ratelimit-reset": "5", "ratelimit-remaining": "0"},  # read as 5 s from now
        ],
    )
    def test_past_is_now(self, headers: dict[str, str]) -> None:
        """Never a time before now."""
        found = retry_at(headers, NOW)
        assert found is not None
        assert found >= NOW
        assert found <= NOW + 5

    @pytest.mark.parametrize(
        "headers",
        [
            {},
            {"Content-Type": "application/json"},
            {"Retry-After": ""},
            {"Retry-After": "soon"},
            {"Retry-After": "-5"},
            {"Retry-After": "nan"},
            {"Retry-After": "inf"},
            {"Retry-After": "1e9"},
            {"Retry-After": "Tue, 41 Dec 2026 14:00:00 GMT"},
            {"Retry-After": "120, 120"},
            {"x-rate-limit-reset": "tomorrow"},
            {"x-rate-limit-reset": "-1"},
            {"x-rate-limit-reset": "9" * 40},
            {"X-RateLimit-Reset": "2026-13-01T16:00:00Z"},
            {"X-RateLimit-Reset": "١٢٠"},  # Arabic-Indic digits are not a number here
            {"session-reset": str(int(IN_1_HOUR))},  # not a limit's header
        ],
    )
    def test_garbage_ignored(self, headers: dict[str, str]) -> None:
        """No time and no exception."""
        assert retry_at(headers, NOW) is None

    def test_garbage_beside_a_good_header(self) -> None:
        """A bad Retry-After does not hide a good reset."""
        headers = {"Retry-After": "later", "ratelimit-reset": str(int(IN_1_HOUR))}
        assert retry_at(headers, NOW) == pytest.approx(IN_1_HOUR)

    def test_garbage_remaining_counts_as_used_up(self) -> None:
        """An unreadable remaining count on a refusal: the reset still counts."""
        headers = {"x-rate-limit-remaining": "lots", "x-rate-limit-reset": str(int(IN_1_HOUR))}
        assert retry_at(headers, NOW) == pytest.approx(IN_1_HOUR)


class TestAdaptersUseIt:
    """The platform adapters turn a 429's headers into ``reset_at`` through ``retry_at``."""

    def test_x_reads_an_http_date(self) -> None:
        """A Retry-After HTTP date (a form the old X parsing dropped) sets reset_at."""
        import requests
        import tweepy

        from publisher.platforms.x_adapter import convert

        reset = time.time() + 600
        response = requests.Response()
        response.status_code = 429
        response.headers.update({"Retry-After": formatdate(reset, usegmt=True)})
        response._content = b'{"title": "Too Many Requests"}'
        error = convert(tweepy.errors.TooManyRequests(response))
        assert isinstance(error, RateLimited)
        assert error.reset_at == pytest.approx(reset, abs=1.5)

    def test_bluesky_skips_a_limit_with_room_left(self) -> None:
        """ratelimit-remaining above 0 with no Retry-After: no reset (the old code took it)."""
        from pydantic import SecretStr

        from publisher.platforms.bluesky_adapter import BlueskyAdapter

        adapter = BlueskyAdapter("a.test", SecretStr("pw"), "http://127.0.0.1:9")
        later = str(int(time.time() + 600))
        for remaining, expected in (("0", float(later)), ("12", None)):
            headers = httpx.Headers({"ratelimit-remaining": remaining, "ratelimit-reset": later})
            response = SimpleNamespace(status_code=429, content=b"slow down", headers=headers)
            error = adapter._map_status("create post", response, write=True)
            assert isinstance(error, RateLimited)
            assert error.reset_at == expected
