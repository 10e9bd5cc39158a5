"""Bluesky: graphemes and bytes, link and tag facets with UTF-8 offsets, langs on every post.

Light on purpose: atproto is imported only by ``bluesky_adapter`` when a post is really sent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import Field, SecretStr

from publisher.platforms import text_measures as textlib
from publisher.platforms._langs import TAG as _TAG
from publisher.platforms._langs import detect_langs
from publisher.platforms.base import Credentials, Options, Platform, Span, service_url
from publisher.platforms.url_grammar import extract_urls

MAX_GRAPHEMES = 300
MAX_BYTES = 3000
MAX_TAG_GRAPHEMES = 64
THUMB_MAX_BYTES = 1_000_000  # lexicon app.bsky.embed.external#external.thumb maxSize
URL_DISPLAY_MAX = 30  # a longer URL is shown shortened, behind a facet to the full URL

_TRAILING_PUNCT = re.compile(r"[.,;:!?…'\")\]}]+$")


def short_url(url: str) -> str:
    """How a long URL is displayed: no scheme, no ``www.``, cut with "…" past 30 characters."""
    shown = re.sub(r"^https?://", "", url, flags=re.I)
    shown = re.sub(r"^www\.", "", shown, flags=re.I)
    if len(shown) > URL_DISPLAY_MAX:
        shown = shown[: URL_DISPLAY_MAX - 1] + "…"
    return shown


def _full_url(url: str) -> str:
    return url if re.match(r"^https?://", url, re.I) else "https://" + url


class BlueskyOptions(Options):
    """The ``[bluesky]`` table: only the settings every platform has, so far."""


class BlueskyCredentials(Credentials):
    """An app password (Settings -> App passwords), not the account's own password."""

    handle: str = Field(alias="BLUESKY_HANDLE")
    app_password: SecretStr = Field(alias="BLUESKY_APP_PASSWORD")
    service: str = service_url("BLUESKY_SERVICE", "https://bsky.social")


class BlueskyRules:
    """How Bluesky measures and renders a post."""

    whole: re.Pattern[str] | None = None  # links are written as links

    name = "bluesky"
    title = "Bluesky"
    limit = MAX_GRAPHEMES
    limits = (MAX_GRAPHEMES, MAX_BYTES)

    def __init__(self, layout: str | None = None) -> None:
        self.layout = layout

    def hashtag(self, tag: str) -> str:
        return "#" + tag

    def display(self, text: str) -> str:
        """The text as shown: long URLs shortened."""
        if "." not in text:  # no URL without a dot (twitter-text's rule, used here too)
            return text
        return self._shorten(text)[0]

    def length(self, text: str) -> int:
        return int(textlib.graphemes(self.display(text)))

    def measures(self, text: str) -> tuple[int, ...]:
        shown = self.display(text)
        return (textlib.graphemes(shown), textlib.utf8_len(shown))

    def problems(self, text: str) -> list[str]:
        shown = self.display(text)
        found = []
        if not shown.strip():
            found.append("the post is empty")
        count = textlib.graphemes(shown)
        if count > MAX_GRAPHEMES:
            found.append(f"{count} graphemes, over Bluesky's limit of {MAX_GRAPHEMES}")
        size = textlib.utf8_len(shown)
        if size > MAX_BYTES:
            found.append(f"{size} UTF-8 bytes, over Bluesky's limit of {MAX_BYTES}")
        return found

    def link(self, url: str) -> str:
        """The paper link, whole: a link facet makes it clickable, shortened for display."""
        return url

    def inline_link(self, url: str) -> str:
        return url

    def payload(self, text: str) -> dict[str, Any]:
        shown, facets = self._render(text)
        payload: dict[str, Any] = {"text": shown}
        if facets:
            payload["facets"] = facets
        payload["langs"] = detect_langs(text)
        return payload

    def _shorten(self, text: str) -> tuple[str, list[tuple[int, int, str]]]:
        """The shown text (long URLs shortened) and each link's (start, end, full URL)."""
        parts: list[str] = []
        links: list[tuple[int, int, str]] = []  # (start, end) in code points of the shown text
        cursor = 0
        length = 0
        for span in extract_urls(text):
            before = text[cursor : span.start]
            parts.append(before)
            length += len(before)
            shown = short_url(span.url) if len(span.url) > URL_DISPLAY_MAX else span.url
            parts.append(shown)
            links.append((length, length + len(shown), _full_url(span.url)))
            length += len(shown)
            cursor = span.end
        parts.append(text[cursor:])
        return "".join(parts), links

    def _render(self, text: str) -> tuple[str, list[dict[str, Any]]]:
        shown_text, links = self._shorten(text)
        facets: list[tuple[int, int, dict[str, Any]]] = []
        for start, end, uri in links:
            facets.append((start, end, {"$type": "app.bsky.richtext.facet#link", "uri": uri}))
        taken = [(s, e) for s, e, _ in links]
        for match in _TAG.finditer(shown_text):
            tag = _TRAILING_PUNCT.sub("", match.group(1))
            if not tag or tag.isdigit() or textlib.graphemes(tag) > MAX_TAG_GRAPHEMES:
                continue
            start = match.start()
            end = start + 1 + len(tag)
            if any(s < end and start < e for s, e in taken):
                continue
            facets.append((start, end, {"$type": "app.bsky.richtext.facet#tag", "tag": tag}))
        facets.sort(key=lambda f: f[0])
        return shown_text, [
            {
                "index": {
                    "byteStart": textlib.byte_offset(shown_text, start),
                    "byteEnd": textlib.byte_offset(shown_text, end),
                },
                "features": [feature],
            }
            for start, end, feature in facets
        ]


def spans(payload: Mapping[str, Any]) -> list[Span]:
    """The payload's link and tag facets (UTF-8 byte offsets) as code-point spans."""
    text = payload["text"]
    index_of = {len(text[:i].encode()): i for i in range(len(text) + 1)}
    found: list[Span] = []
    for facet in payload.get("facets", []):
        feature = facet["features"][0]
        start = index_of[facet["index"]["byteStart"]]
        end = index_of[facet["index"]["byteEnd"]]
        if feature["$type"].endswith("#link"):
            found.append((start, end, "link", feature["uri"]))
        else:
            found.append((start, end, "tag", feature["tag"]))
    return sorted(found)


def _rules(options: BlueskyOptions, limits: Mapping[str, int]) -> BlueskyRules:
    return BlueskyRules(options.layout)


PLATFORM = Platform(
    name="bluesky",
    title="Bluesky",
    options=BlueskyOptions,
    credentials=BlueskyCredentials,
    daily_posts=300,
    rules=_rules,
    adapter="publisher.platforms.bluesky_adapter:connect",
    rank=20,
    cards=True,
    measure_names=(" graphemes", " bytes"),
    aliases=("bsky", "atproto"),
    spans=spans,
    color="#1083fe",
)
