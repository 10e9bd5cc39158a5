"""Threads' text rules: every character as its UTF-8 bytes (at most 500), at most 5 links a
post, one topic tag a post, the payload a container is made from."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from publisher.config import FormatSettings
from publisher.digest import read_digests
from publisher.formatter import format_thread
from publisher.models import DigestEntry
from publisher.platforms.threads import MAX_BYTES, MAX_LINKS, ThreadsRules, links, spans
from tests.conftest import EXAMPLE
from tests.publisher_cli import run_publisher

RULES = ThreadsRules()


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("hello", 5),
        ("평균", 6),  # a Hangul syllable is 3 bytes
        ("it\u2019s", 6),  # a curly apostrophe is 3 bytes: the trap Postiz fell into
        ("🙂", 4),
        ("👩\u200d👩\u200d👧", 18),  # every code point of a ZWJ sequence counts
    ],
)
def test_every_character_counts_its_utf8_bytes(text: str, size: int) -> None:
    assert RULES.length(text) == size
    assert RULES.measures(text)[0] == size


def test_three_curly_apostrophes_are_not_forgiven() -> None:
    """498 characters that are 504 bytes: refused by Threads, so over the limit here too."""
    text = "a" * 495 + "\u2019\u2019\u2019"
    assert len(text) == 498 and RULES.length(text) == 504
    assert any("504 UTF-8 bytes" in p for p in RULES.problems(text))
    assert RULES.problems("a" * 500) == []


def test_links_are_counted_word_by_word() -> None:
    text = "see https://arxiv.org/abs/2505.13447 and example.com, not a.b-c"
    assert links(text) == 2
    assert RULES.measures(text)[1] == 2
    assert RULES.limits == (MAX_BYTES, MAX_LINKS)


def test_more_than_five_unique_links_is_a_problem() -> None:
    six = " ".join(f"https://example.com/{n}" for n in range(6))
    assert any("6 links" in p for p in RULES.problems(six))
    assert RULES.problems(" ".join(f"https://example.com/{n}" for n in range(5))) == []


def test_a_comment_with_many_links_is_split_not_refused() -> None:
    """The formatter splits a post that would hold more than 5 links, as it does for length."""
    urls = " ".join(f"https://example.com/p{n}" for n in range(12))
    entry = DigestEntry(
        date=dt.date(2025, 5, 20),
        title="Many links",
        authors=["A. Author"],
        abstract="An abstract.",
        comment_ko=[f"참고 {urls}"],
        comment_en=[f"see {urls}"],
        hashtags=["rl"],
    )
    posts = format_thread(entry, RULES, FormatSettings()).posts
    assert len(posts) > 3
    assert all(links(p) <= MAX_LINKS and RULES.problems(p) == [] for p in posts)
    assert sum(links(p) for p in posts) == 24


def test_tags_and_the_one_topic_tag() -> None:
    assert RULES.hashtag("mechanistic-interpretation") == "#mechanistic_interpretation"
    assert RULES.hashtag("2025") == "#_2025"
    found = spans({"text": "title #rl #llm https://a.co/x"})
    assert [s[2:] for s in found] == [("tag", "rl"), ("link", "https://a.co/x")]


def test_payload_has_no_language() -> None:
    assert RULES.payload("안녕 hello") == {
        "text": "안녕 hello",
        "media_type": "TEXT",
        "reply_control": "everyone",
    }


def test_example_dry_run_within_bytes_and_links() -> None:
    """The issue's command: every post of the example within 500 bytes and 5 links."""
    done = run_publisher("--dry-run", "--platform", "threads", str(EXAMPLE))
    assert done.returncode == 0, done.stderr
    counts = [line.split()[-1] for line in done.stdout.splitlines() if line.startswith("── ")]
    assert counts and all(c.endswith("/500") and int(c.split("/")[0]) <= 500 for c in counts)
    assert "384/500" in counts  # the Korean comment of the second paper: 384 bytes
    as_json = run_publisher("--dry-run", "--json", "--platform", "threads", str(EXAMPLE))
    threads = json.loads(as_json.stdout)
    posts = [post for thread in threads for post in thread["posts"]]
    assert len(posts) == len(counts)
    for post in posts:
        assert set(post) == {"text", "media_type", "reply_control"}
        assert len(post["text"].encode("utf-8")) <= MAX_BYTES
        assert links(post["text"]) <= MAX_LINKS


def test_every_example_thread_fits_in_every_layout() -> None:
    for layout in ("sections", "paired", "compact"):
        options = FormatSettings(layout=layout)  # type: ignore[arg-type]
        for digest in read_digests([EXAMPLE]):
            for entry in digest.entries:
                for post in format_thread(entry, RULES, options).posts:
                    assert RULES.problems(post) == []
