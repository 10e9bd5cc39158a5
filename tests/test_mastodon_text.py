"""Mastodon's text rules: how an instance counts a status, hashtags, payloads, server limits.

The counts follow Mastodon's ``StatusLengthValidator``: grapheme clusters, every URL with a
scheme at ``characters_reserved_per_url`` (23) whatever its length, a scheme-less domain as
plain text, ``@user@domain`` as ``@user``. The local server (``publisher.testing``) implements
the same rule on its own and must agree.
"""

from __future__ import annotations

import pytest

from publisher.config import FormatSettings, Settings
from publisher.digest import read_digests
from publisher.formatter import format_thread
from publisher.platforms import rules_for
from publisher.platforms.mastodon import MastodonOptions, MastodonRules
from publisher.platforms.mastodon import _rules as mastodon_rules
from tests.conftest import EXAMPLE
from tests.fakes.mastodon_server import countable_length, render_content

LONG_URL = "https://arxiv.org/abs/2505.13447?utm_source=a-very-long-tracking-parameter-indeed"


class TestCounting:
    """A status is counted as Mastodon counts it."""

    @pytest.mark.parametrize(
        ("text", "count"),
        [
            ("hello world", 11),
            ("평균 속도를 추정하는 방식", 14),  # a Hangul syllable is one character
            ("https://arxiv.org/abs/2505.13447", 23),
            (LONG_URL, 23),  # any URL with a scheme: 23, whatever its length
            ("http://a.co", 23),  # shorter than 23: still 23
            (f"논문 {LONG_URL} 참고", 23 + 6),
            (f"{LONG_URL} {LONG_URL}", 23 + 1 + 23),
            ("arxiv.org/abs/2505.13447", 24),  # no scheme: plain text
            ("www.example.com", 15),
            ("👩\u200d👩\u200d👧\u200d👦", 1),  # a ZWJ family is one grapheme cluster
            ("🇰🇷", 1),  # a flag: two regional indicators, one cluster
            ("\u1100\u1161\u11a8", 1),  # conjoining Hangul jamo: one syllable
            ("e\u0301", 1),  # a combining accent
            ("@paperbot@sigmoid.social 안녕", 12),  # a remote mention counts as @user
            ("@paperbot 안녕", 12),
            ("mail me: a@b.co", 15),  # an address is not a mention
        ],
    )
    def test_counts(self, text: str, count: int) -> None:
        assert MastodonRules().length(text) == count
        assert MastodonRules().measures(text) == (count,)

    @pytest.mark.parametrize(
        "text",
        [
            "hello world",
            f"논문 {LONG_URL} 참고",
            "arxiv.org/abs/2505.13447 and https://example.com/x",
            "👩\u200d👩\u200d👧\u200d👦 \u1100\u1161\u11a8 e\u0301",
            "@paperbot@sigmoid.social 안녕",
        ],
    )
    def test_the_local_server_agrees(self, text: str) -> None:
        """The test server's own implementation of the rule gives the same count."""
        assert countable_length(text) == MastodonRules().length(text)

    def test_example_digest_counts_agree_with_the_server(self) -> None:
        """Every post of the example digest, as laid out, counts the same on both sides."""
        rules = MastodonRules()
        for digest in read_digests([EXAMPLE]):
            for entry in digest.entries:
                for post in format_thread(entry, rules, FormatSettings()).posts:
                    assert countable_length(post) == rules.length(post)


OVER = ["501 characters, over the Mastodon instance's limit of 500"]


class TestLimits:
    """The limit and the URL weight are the instance's own, defaults 500 and 23."""

    def test_defaults(self) -> None:
        rules = rules_for(Settings())["mastodon"]
        assert rules.limit == 500 and rules.limits == (500,)
        assert rules.length(LONG_URL) == 23

    def test_custom_instance_limits(self) -> None:
        """An instance of 1000 characters that reserves 30 per URL."""
        limits = {"mastodon": {"max_characters": 1000, "characters_reserved_per_url": 30}}
        rules = rules_for(Settings(), limits)["mastodon"]
        assert rules.limits == (1000,)
        assert rules.length(f"a {LONG_URL}") == 32
        assert countable_length(f"a {LONG_URL}", 30) == 32

    def test_nonsense_from_a_server_is_not_used(self) -> None:
        """Only the keys it knows are read; a missing one keeps its default."""
        rules = mastodon_rules(MastodonOptions(), {"max_characters": 800})
        assert (rules.limit, rules.url_weight) == (800, 23)

    @pytest.mark.parametrize(
        ("text", "problems"),
        [
            ("가" * 500, []),
            ("가" * 501, ["501 characters, over the Mastodon instance's limit of 500"]),
            (
                "x" * 477 + " " + LONG_URL,
                ["501 characters, over the Mastodon instance's limit of 500"],
            ),
            ("x" * 476 + " " + LONG_URL, []),
            ("  \n ", ["the post is empty"]),
        ],
    )
    def test_problems(self, text: str, problems: list[str]) -> None:
        assert MastodonRules().problems(text) == problems

    def test_longer_limit_gives_fewer_posts(self) -> None:
        """A 1000-character instance lays the example out in fewer posts (compact layout)."""
        compact = FormatSettings(layout="compact")
        short, long = MastodonRules(500), MastodonRules(1000)
        entries = [e for d in read_digests([EXAMPLE]) for e in d.entries]
        count = {
            rules.limit: sum(len(format_thread(e, rules, compact).posts) for e in entries)
            for rules in (short, long)
        }
        assert count[1000] < count[500]
        for entry in entries:
            for post in format_thread(entry, long, compact).posts:
                assert long.length(post) <= 1000


class TestHashtags:
    """Mastodon links '#' + word characters; a '-' ends a tag, and a tag needs a letter."""

    @pytest.mark.parametrize(
        ("tag", "written"),
        [
            ("diffusion", "#diffusion"),
            ("mechanistic-interpretation", "#mechanistic_interpretation"),
            ("LLM", "#LLM"),
            ("강화학습", "#강화학습"),
            ("2024", "#_2024"),
            ("test-time-compute", "#test_time_compute"),
        ],
    )
    def test_written(self, tag: str, written: str) -> None:
        assert MastodonRules().hashtag(tag) == written

    @pytest.mark.parametrize("tag", ["mechanistic-interpretation", "2024", "강화학습"])
    def test_linked_whole_by_the_server(self, tag: str) -> None:
        """The server's rendering links the whole written tag, not a part of it."""
        written = MastodonRules().hashtag(tag)
        assert f"#<span>{written[1:]}</span></a>" in render_content(f"a {written} b")


class TestPayload:
    """A status carries its text, one language and the configured visibility."""

    @pytest.mark.parametrize(
        ("text", "language"),
        [
            ("평균 속도를 추정하는 방식의 1/Few-shot Flow Matching.", "ko"),
            ("An 1/few-shot flow matching that estimates average velocity.", "en"),
            ("논문 소개 Mean Flows for One-step Generative Modeling", "ko"),  # both: Korean first
            (f"#diffusion {LONG_URL}", "en"),
        ],
    )
    def test_language(self, text: str, language: str) -> None:
        assert MastodonRules().payload(text)["language"] == language

    def test_visibility_from_the_table(self) -> None:
        settings = Settings.model_validate({"mastodon": {"visibility": "unlisted"}})
        payload = rules_for(settings)["mastodon"].payload("hi")
        assert payload == {"text": "hi", "language": "en", "visibility": "unlisted"}

    def test_link_is_the_url_as_is(self) -> None:
        assert MastodonRules().link(LONG_URL) == LONG_URL
