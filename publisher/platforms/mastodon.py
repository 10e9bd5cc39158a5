"""Mastodon: grapheme clusters with every URL at a fixed weight, limits read from the instance.

How Mastodon counts (``StatusLengthValidator#countable_text``): a URL *with a scheme* counts as
``characters_reserved_per_url`` characters (23) whatever its length, a scheme-less domain is
plain text, a mention ``@user@domain`` counts as ``@user``, and the result is counted in
extended grapheme clusters. The limit (500 by default) and the URL weight are the instance's
own, read from ``/api/v2/instance`` at enqueue (``mastodon_adapter.instance_limits``) and
cached in the queue file.

Light on purpose: Mastodon.py is imported only by ``mastodon_adapter`` when a post is really
sent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, SecretStr

from publisher.platforms import text_measures as textlib
from publisher.platforms._langs import detect_langs
from publisher.platforms._tags import word_hashtag
from publisher.platforms.base import Credentials, Options, Platform, Span, service_url
from publisher.platforms.url_grammar import extract_urls

MAX_CHARACTERS = 500  # Mastodon's default; an instance may set its own
CHARACTERS_RESERVED_PER_URL = 23

Visibility = Literal["public", "unlisted", "private", "direct"]

_SCHEME = re.compile(r"https?://", re.I)
# Account::MENTION_RE: "@user@domain" counts as "@user".
_MENTION = re.compile(
    r"(?<![=/\w])@([a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)@\w+(?:[.-]+\w+)*", re.I | re.UNICODE
)
# Tag::HASHTAG_RE, as far as a digest's tags go: '#' not after a letter, digit, '=', '/' or ')'.
_HASHTAG = re.compile(r"(?<![=/)\w])#(\w*[^\W\d]\w*)")


class MastodonOptions(Options):
    """The ``[mastodon]`` table: who sees the posts."""

    visibility: Visibility = "public"


class MastodonCredentials(Credentials):
    """The instance and an access token (Preferences -> Development -> New application, with
    the ``write:statuses`` and ``read:accounts``/``read:statuses`` scopes)."""

    base_url: str = service_url("MASTODON_BASE_URL")
    access_token: SecretStr = Field(alias="MASTODON_ACCESS_TOKEN")


class MastodonRules:
    """How a Mastodon instance measures and renders a post."""

    whole: re.Pattern[str] | None = None  # links are written as links

    name = "mastodon"
    title = "Mastodon"

    def __init__(
        self,
        limit: int = MAX_CHARACTERS,
        url_weight: int = CHARACTERS_RESERVED_PER_URL,
        visibility: Visibility = "public",
        layout: str | None = None,
    ) -> None:
        self.limit = limit
        self.url_weight = url_weight
        self.visibility = visibility
        self.layout = layout

    @property
    def limits(self) -> tuple[int, ...]:
        return (self.limit,)

    def countable(self, text: str) -> str:
        """``text`` as Mastodon counts it: each URL with a scheme as ``url_weight`` x's, each
        ``@user@domain`` as ``@user``."""
        if "." in text:  # no URL and no remote mention without a dot
            for span in reversed(extract_urls(text)):
                if _SCHEME.match(span.url):
                    text = text[: span.start] + "x" * self.url_weight + text[span.end :]
        if "@" in text:
            text = _MENTION.sub(r"@\1", text)
        return text

    def length(self, text: str) -> int:
        return textlib.graphemes(self.countable(text))

    def measures(self, text: str) -> tuple[int, ...]:
        return (self.length(text),)

    def problems(self, text: str) -> list[str]:
        if not text.strip():
            return ["the post is empty"]
        count = self.length(text)
        if count > self.limit:
            return [f"{count} characters, over the Mastodon instance's limit of {self.limit}"]
        return []

    def hashtag(self, tag: str) -> str:
        """A '-' ends a Mastodon hashtag, so ``mechanistic-interpretation`` is joined with '_';
        a tag needs a letter or '_', so an all-digit one gets a leading '_'."""
        return word_hashtag(tag)

    def link(self, url: str) -> str:
        """The paper link, whole: it counts ``url_weight`` characters whatever its length."""
        return url

    def inline_link(self, url: str) -> str:
        return url

    def payload(self, text: str) -> dict[str, Any]:
        """The status: its text, its language (one: Korean wins a mixed post) and visibility."""
        return {"text": text, "language": detect_langs(text)[0], "visibility": self.visibility}


def spans(payload: Mapping[str, Any]) -> list[Span]:
    """What Mastodon links in a status: URLs with a scheme, and hashtags with a letter or '_'."""
    text = payload["text"]
    urls = [u for u in extract_urls(text) if _SCHEME.match(u.url)]
    found: list[Span] = [(u.start, u.end, "link", u.url) for u in urls]
    for match in _HASHTAG.finditer(text):
        if not any(u.start <= match.start() < u.end for u in urls):
            found.append((match.start(), match.end(), "tag", match.group(1)))
    return sorted(found)


def _rules(options: MastodonOptions, limits: Mapping[str, int]) -> MastodonRules:
    return MastodonRules(
        limits.get("max_characters", MAX_CHARACTERS),
        limits.get("characters_reserved_per_url", CHARACTERS_RESERVED_PER_URL),
        options.visibility,
        options.layout,
    )


PLATFORM = Platform(
    name="mastodon",
    title="Mastodon",
    options=MastodonOptions,
    credentials=MastodonCredentials,
    # Mastodon allows 300 requests per 5 minutes; 300 posts a day stays polite to an instance
    # run by volunteers while never holding a digest back.
    daily_posts=300,
    rules=_rules,
    adapter="publisher.platforms.mastodon_adapter:connect",
    rank=30,
    on_by_default=False,
    limits="publisher.platforms.mastodon_adapter:instance_limits",
    color="#6364ff",
    spans=spans,
    aliases=("toot", "toots", "fediverse"),
)
