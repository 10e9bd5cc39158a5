"""X (Twitter): twitter-text v3 weighted length, hashtags that X links whole, plain-text payloads.

Light on purpose: tweepy is imported only by ``x_adapter`` when a post is really sent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, SecretStr

from publisher.models import arxiv_id
from publisher.platforms import x_text
from publisher.platforms._tags import JoinStyle, word_hashtag
from publisher.platforms.base import Credentials, Platform, PricedOptions, Span, service_url
from publisher.platforms.url_grammar import extract_urls

LinkPolicy = Literal["id", "url", "none"]
USER_READ_PRICE = 0.010  # USD, X's "User: Read" (GET /2/users/me), per resource

# X links `#` + letters, digits and `_` (a `-` ends the tag), not inside a word, not all digits.
_HASHTAG = re.compile(r"(?<![\w&#])[#＃](\w+)")


class XOptions(PricedOptions):
    """The ``[x]`` table: hashtags, how paper links are written, what a post costs, a monthly cap.

    ``link``: how the paper link is written on X. A post in which X links something is billed at
    the URL price (13 times a plain post), so: "id" writes ``arXiv:2505.13447`` as text (X neither
    links nor bills it; a link that is not on arXiv is left out), "url" writes the link, "none"
    leaves it out.
    """

    # X ends a hashtag at '-': #mechanistic-interpretation becomes #mechanistic_interpretation
    # ("underscore"), #MechanisticInterpretation ("camel") or #mechanisticinterpretation ("join").
    hashtag_style: JoinStyle = "underscore"
    link: LinkPolicy = "id"
    price_per_post: float = Field(default=0.015, ge=0)
    price_per_post_with_url: float = Field(default=0.20, ge=0)

    def price(self, price_class: str) -> float:
        return self.price_per_post_with_url if price_class == "url" else self.price_per_post

    def label(self, price_class: str) -> str:
        return "Post: Create (with URL)" if price_class == "url" else "Post: Create"

    def check_price(self) -> tuple[str, float] | None:
        """``GET /2/users/me`` reads one user: "User: Read", $0.010 per resource on X's pricing
        page (docs.x.com, "Pricing", read 2026-12), charged once per UTC day for the same user."""
        return ("User: Read", USER_READ_PRICE)

    def shown(self) -> dict[str, str]:
        return {"link_policy": self.link}

    def note(self) -> str:
        return f"x link policy: {_LINK_NOTES[self.link]}"

    def left_out(self, link: str) -> str:
        if self.link == "url" or (self.link == "id" and arxiv_id(link)):
            return ""
        why = (
            'link = "id" writes only arXiv links (as arXiv:ID)'
            if self.link == "id"
            else 'link = "none"'
        )
        return (
            f'the paper link {link} is left out on X ({why}); [x] link = "url" keeps it '
            "(its post billed at X's URL price)"
        )


_LINK_NOTES = {
    "id": 'link = "id": the arXiv id as text (arXiv:ID), which X neither links nor bills as a URL',
    "url": 'link = "url": the link itself, so the first post is billed at X\'s URL price',
    "none": 'link = "none": no link on X',
}


class XCredentials(Credentials):
    """OAuth 1.0a user context: the app's key and secret, the account's token and secret."""

    api_key: SecretStr = Field(alias="X_API_KEY")
    api_secret: SecretStr = Field(alias="X_API_SECRET")
    access_token: SecretStr = Field(alias="X_ACCESS_TOKEN")
    access_token_secret: SecretStr = Field(alias="X_ACCESS_TOKEN_SECRET")
    base_url: str = service_url("X_API_BASE_URL", "https://api.twitter.com")


class XRules:
    """How X measures and renders a post."""

    # The ``id`` link policy writes an arXiv URL as ``arXiv:ID``: kept whole like the URL.
    whole: re.Pattern[str] | None = re.compile(r"arXiv:\d{4}\.\d{4,5}")

    name = "x"
    title = "X"
    limit = 280

    def __init__(
        self,
        hashtag_style: JoinStyle = "underscore",
        link: LinkPolicy = "id",
        layout: str | None = None,
    ) -> None:
        self.hashtag_style = hashtag_style
        self.link_policy = link
        self.layout = layout

    def link(self, url: str) -> str | None:
        """The paper link as the ``[x] link`` policy writes it (see ``XOptions``)."""
        if self.link_policy == "url":
            return url
        found = arxiv_id(url)
        if self.link_policy == "id" and found:
            return f"arXiv:{found}"  # plain text to X: not linked, not billed as a URL
        return None

    def inline_link(self, url: str) -> str:
        """A URL in the comments: under "id" and "none" an arXiv URL becomes ``arXiv:ID`` text
        (not billed as a URL); any other URL is the author's text and stays as written."""
        found = arxiv_id(url)
        if self.link_policy != "url" and found:
            return f"arXiv:{found}"
        return url

    def length(self, text: str) -> int:
        return int(x_text.x_weighted_length(text))

    def measures(self, text: str) -> tuple[int, ...]:
        return (x_text.x_weighted_length(text),)

    @property
    def limits(self) -> tuple[int, ...]:
        return (self.limit,)

    def problems(self, text: str) -> list[str]:
        return list(x_text.x_problems(text))

    def hashtag(self, tag: str) -> str:
        """X ends a hashtag at '-', so ``mechanistic-interpretation`` is joined into one word."""
        return word_hashtag(tag, self.hashtag_style)

    def payload(self, text: str) -> dict[str, Any]:
        return {"text": text}


def public_url(username: str | None, post_id: str) -> str:
    """The public address of a post; X redirects ``/i/web/status`` to the author's URL."""
    if username:
        return f"https://x.com/{username}/status/{post_id}"
    return f"https://x.com/i/web/status/{post_id}"


def spans(payload: Mapping[str, Any]) -> list[Span]:
    """The URL entities X extracts from a post, and the hashtags it links."""
    text = payload["text"]
    urls = extract_urls(text)
    found: list[Span] = [(u.start, u.end, "link", u.url) for u in urls]
    for match in _HASHTAG.finditer(text):
        tag = match.group(1)
        if tag.isdigit() or any(u.start <= match.start() < u.end for u in urls):
            continue
        found.append((match.start(), match.end(), "tag", tag))
    return sorted(found)


def _rules(options: XOptions, limits: Mapping[str, int]) -> XRules:
    return XRules(options.hashtag_style, options.link, options.layout)


PLATFORM = Platform(
    name="x",
    title="X",
    options=XOptions,
    credentials=XCredentials,
    # A pace and a safety stop, not the money guard ([x] monthly_budget_usd is): X's API is
    # pay-per-use since 2026 and its rate limits no longer bind. 100 is about three days' digests
    # (a 9-paper day is about 34 X posts), so a day's digest is never held back by it.
    daily_posts=100,
    rules=_rules,
    adapter="publisher.platforms.x_adapter:connect",
    rank=10,
    price_class=x_text.price_class,
    spans=spans,
    color="#0f1419",
    aliases=("twitter", "tweet", "tweets", "tweepy"),
    renamed={
        "format.x_hashtag_style": "hashtag_style",
        "format.x_layout": "layout",
    },
)
