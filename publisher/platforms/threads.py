"""Threads (Meta): every character as its UTF-8 bytes, at most 5 links a post, one topic tag.

How Threads counts: 500 characters, "emojis are counted as the number of UTF-8 bytes" (Meta's
Posts page). A post counted 498 characters has been refused at 504 UTF-8 bytes (three curly
apostrophes), so the rule here is the safe reading of Meta's: *every* character counts as its
UTF-8 bytes (Hangul is 3, an emoji 4), which never exceeds Meta's limit, whatever it counts.

Links: at most 5 unique links a post (``THREADS_API__LINK_LIMIT_EXCEEDED`` at container
creation since 2025-12-22). The second measure counts every link in the text, repeated or not
(stricter than "unique", and additive word by word, so that the formatter splits a post with
too many links rather than fail).

Tags: Threads makes the first ``#tag`` of a post its topic tag (one a post) and leaves the rest
as plain text; a tag ends at a space or punctuation, so a digest's ``mechanistic-interpretation``
is written ``#mechanistic_interpretation`` (as on X and Mastodon). The preview highlights the
first tag of each post only, as Threads shows it. There is no per-post language field.

Light on purpose: the adapter (plain HTTP with ``requests``) is imported only when a post is
really sent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, SecretStr

from publisher.platforms import text_measures as textlib
from publisher.platforms._tags import word_hashtag
from publisher.platforms.base import Credentials, Options, Platform, Quota, Span, service_url
from publisher.platforms.url_grammar import extract_urls

MAX_BYTES = 500  # Meta's 500 characters, every character counted as its UTF-8 bytes
MAX_LINKS = 5  # unique links a post
POSTS_PER_DAY = 250  # API-published posts per profile in a rolling 24 hours
REPLIES_PER_DAY = 1000  # replies, counted apart
QUOTA_WINDOW = 24 * 60 * 60

ReplyControl = Literal["everyone", "accounts_you_follow", "mentioned_only"]

_HASHTAG = re.compile(r"(?<![\w&#])#(\w*[^\W\d]\w*)")


class ThreadsOptions(Options):
    """The ``[threads]`` table: who may reply, and the first wait (seconds) for a new post's
    container to be ready; the waits double from there, at most 15 times it each, six in all
    (1 + 2 + 4 + 8 + 15 + 15 = 45 s by default, past Meta's "about 30 s")."""

    reply_control: ReplyControl = "everyone"
    ready_wait: float = Field(default=1.0, gt=0, le=60)


class ThreadsCredentials(Credentials):
    """A long-lived Threads user access token (60 days; refresh it with ``publisher
    refresh-token threads``), the Threads user id, and the API root without the version."""

    access_token: SecretStr = Field(alias="THREADS_ACCESS_TOKEN")
    user_id: str = Field(alias="THREADS_USER_ID", min_length=1)
    base_url: str = service_url("THREADS_API_BASE_URL", "https://graph.threads.net")


def links(text: str) -> int:
    """How many links ``text`` holds, counted word by word (a link never spans a space)."""
    if "." not in text:
        return 0
    return sum(len(extract_urls(word)) for word in text.split() if "." in word)


class ThreadsRules:
    """How Threads measures and renders a post."""

    whole: re.Pattern[str] | None = None  # links are written as links

    name = "threads"
    title = "Threads"
    limit = MAX_BYTES

    def __init__(self, reply_control: ReplyControl = "everyone", layout: str | None = None):
        self.reply_control = reply_control
        self.layout = layout

    @property
    def limits(self) -> tuple[int, ...]:
        return (MAX_BYTES, MAX_LINKS)

    def length(self, text: str) -> int:
        return textlib.utf8_len(text)

    def measures(self, text: str) -> tuple[int, ...]:
        return (textlib.utf8_len(text), links(text))

    def problems(self, text: str) -> list[str]:
        if not text.strip():
            return ["the post is empty"]
        found = []
        size = textlib.utf8_len(text)
        if size > MAX_BYTES:
            found.append(
                f"{size} UTF-8 bytes, over Threads' limit of {MAX_BYTES} "
                "(every character counted as its UTF-8 bytes)"
            )
        unique = len({u.url for u in extract_urls(text)})
        if unique > MAX_LINKS:
            found.append(f"{unique} links, over Threads' limit of {MAX_LINKS} a post")
        return found

    def hashtag(self, tag: str) -> str:
        """A '-' would end the tag, so words are joined with '_'; all digits get a '_'."""
        return word_hashtag(tag)

    def link(self, url: str) -> str:
        return url

    def inline_link(self, url: str) -> str:
        return url

    def payload(self, text: str) -> dict[str, Any]:
        """The container's fields: its text, as a text post, and who may reply."""
        return {"text": text, "media_type": "TEXT", "reply_control": self.reply_control}


def spans(payload: Mapping[str, Any]) -> list[Span]:
    """What Threads links in a post: its URLs, and its first hashtag (its topic tag)."""
    text = payload["text"]
    urls = extract_urls(text)
    found: list[Span] = [(u.start, u.end, "link", u.url) for u in urls]
    for match in _HASHTAG.finditer(text):
        if not any(u.start <= match.start() < u.end for u in urls):
            found.append((match.start(), match.end(), "tag", match.group(1)))
            break  # one topic tag a post
    return sorted(found)


def post_kind(index: int) -> str:
    """Which of Threads' quotas a post counts against: the first of a thread is a post, the
    others are replies."""
    return "posts" if index == 0 else "replies"


def _rules(options: ThreadsOptions, limits: Mapping[str, int]) -> ThreadsRules:
    return ThreadsRules(options.reply_control, options.layout)


PLATFORM = Platform(
    name="threads",
    title="Threads",
    options=ThreadsOptions,
    credentials=ThreadsCredentials,
    # 250 API posts a rolling day is Threads' own cap; 100 keeps well inside it.
    daily_posts=100,
    rules=_rules,
    adapter="publisher.platforms.threads_adapter:connect",
    rank=40,
    on_by_default=False,
    measure_names=(" bytes", " links"),
    color="#101010",
    spans=spans,
    # "threads" is an ordinary word of the core ("a thread's posts"): the platform is named in
    # code only as the quoted identifier, its config table, its variables, its modules and its
    # host; the title "Threads" after "on"/"to"/"for" (the word starts sentences too).
    name_pattern=(
        r"""(?<![\w\\])['"]threads['"]|\[threads\]|\bTHREADS_\w|\bthreads_adapter\b"""
        r"""|threads\.(?:py|net)\b|--platform[ =]threads\b"""
        r"""|\b(?:on|to|for|from) Threads\b|\bMeta\b"""
    ),
    refresh="publisher.platforms.threads_adapter:refresh_token",
    quota=Quota(
        window=QUOTA_WINDOW,
        limits={"posts": POSTS_PER_DAY, "replies": REPLIES_PER_DAY},
        kind=post_kind,
    ),
)
