"""X (Twitter): twitter-text v3 weighted length, hashtags that X links whole, plain-text payloads.

Light on purpose: tweepy is imported only by ``x_adapter`` when a post is really sent.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from publisher import text as textlib
from publisher.models import arxiv_id

HashtagStyle = Literal["underscore", "camel", "join"]
LinkPolicy = Literal["id", "url", "none"]

_NOT_HASHTAG_CHAR = re.compile(r"[^\w]+")


class XRules:
    """How X measures and renders a post."""

    name = "x"
    limit = 280

    def __init__(self, hashtag_style: HashtagStyle = "underscore", link: LinkPolicy = "id") -> None:
        self.hashtag_style = hashtag_style
        self.link_policy = link

    def link(self, url: str) -> str | None:
        """The paper link as the ``[x] link`` policy writes it (see ``XSettings``)."""
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
        return int(textlib.x_weighted_length(text))

    def measures(self, text: str) -> tuple[int, ...]:
        return (textlib.x_weighted_length(text),)

    @property
    def limits(self) -> tuple[int, ...]:
        return (self.limit,)

    def problems(self, text: str) -> list[str]:
        return list(textlib.x_problems(text))

    def hashtag(self, tag: str) -> str:
        """X ends a hashtag at '-', so ``mechanistic-interpretation`` is joined into one word."""
        parts = [p for p in _NOT_HASHTAG_CHAR.split(tag) if p]
        if not parts:
            return "#" + tag
        if self.hashtag_style == "camel":
            word = "".join(p[:1].upper() + p[1:] for p in parts)
        elif self.hashtag_style == "join":
            word = "".join(parts)
        else:
            word = "_".join(parts)
        if word.isdigit():  # X does not link an all-digit hashtag
            word = "_" + word
        return "#" + word

    def payload(self, text: str) -> dict[str, Any]:
        return {"text": text}


def public_url(username: str | None, post_id: str) -> str:
    """The public address of a post; X redirects ``/i/web/status`` to the author's URL."""
    if username:
        return f"https://x.com/{username}/status/{post_id}"
    return f"https://x.com/i/web/status/{post_id}"
