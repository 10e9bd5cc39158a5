"""The validated data that flows through the pipeline: digest entries and threads."""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    computed_field,
    field_validator,
)

ARXIV_ID = re.compile(r"(?<![\d.])(\d{4}\.\d{4,5})(?:v\d+)?(?![\d])")
ARXIV_URL = re.compile(
    r"^https?://(?:www\.)?(?:arxiv\.org|export\.arxiv\.org)/(?:abs|pdf|html)/(\d{4}\.\d{4,5})", re.I
)
HASHTAG = re.compile(r"^[^\s#]+$")

Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


def slugify(text: str, max_len: int = 60) -> str:
    """ASCII-lowercase slug of a title, cut at a word boundary, never empty."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > max_len:
            break
        slug = candidate
    return slug or (words[0][:max_len] if words else "untitled")


def arxiv_id(url: str | None) -> str | None:
    """The arXiv id of an arxiv.org URL (version dropped), or None."""
    if not url:
        return None
    match = ARXIV_URL.match(url)
    return match.group(1) if match else None


class DigestEntry(BaseModel):
    """One paper of a digest, as its author wrote it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    date: dt.date
    title: Line
    authors: list[Line] = Field(min_length=1)
    abstract: Line
    comment_ko: list[Line] = Field(min_length=1)
    comment_en: list[Line] = Field(min_length=1)
    hashtags: list[Line] = Field(min_length=1)
    url: str | None = None
    # True when ``url`` came from the arXiv look-up rather than the digest. The id ignores such a
    # link, so a look-up that fails on one enqueue and succeeds on the next names the same thread.
    url_looked_up: bool = Field(default=False, exclude=True)

    @field_validator("hashtags")
    @classmethod
    def _hashtags_are_words(cls, tags: list[str]) -> list[str]:
        for tag in tags:
            if tag.startswith("#") or not HASHTAG.match(tag):
                raise ValueError(f"hashtag {tag!r} must be one word, written without '#'")
        return tags

    @field_validator("url")
    @classmethod
    def _url_is_http(cls, url: str | None) -> str | None:
        if url is None:
            return None
        url = url.strip()
        if not re.match(r"^https?://[^\s/]+\.[^\s/]+\S*$", url):
            raise ValueError(f"paper URL {url!r} must be an http(s) URL")
        return url

    @field_validator("comment_en")
    @classmethod
    def _paragraphs_pair(cls, en: list[str], info: Any) -> list[str]:
        ko = info.data.get("comment_ko")
        if ko is not None and len(ko) != len(en):
            raise ValueError(
                f"the Korean comment has {len(ko)} paragraph(s) but the English one has {len(en)}"
            )
        return en

    @computed_field  # type: ignore[prop-decorator]
    @property
    def arxiv_id(self) -> str | None:
        return arxiv_id(self.url)

    @computed_field  # type: ignore[prop-decorator]
    @functools.cached_property
    def id(self) -> str:
        """Stable id: ``arxiv-<id>`` when the paper is on arXiv, else ``<date>-<title slug>``."""
        if self.arxiv_id and not self.url_looked_up:
            return f"arxiv-{self.arxiv_id}"
        return f"{self.date.isoformat()}-{slugify(self.title)}"


class Digest(BaseModel):
    """A day's digest: its date and its entries, in order."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    date: dt.date
    entries: list[DigestEntry]
    source: str = ""
    # The 1-based source line of each entry (its title line), parallel to ``entries``; empty when
    # the digest was not read from a file. Left out of dumps; entries never carry it, so two
    # entries with the same content stay equal wherever they were read from.
    lines: list[int] = Field(default_factory=list, exclude=True, repr=False)

    def line_of(self, entry_id: str) -> int | None:
        """The source line of the entry with this id, when it is known."""
        for index, entry in enumerate(self.entries):
            if entry.id == entry_id:
                return self.lines[index] if index < len(self.lines) else None
        return None


class Thread(BaseModel):
    """A thread for one platform: the texts of its posts, in reply order."""

    model_config = ConfigDict(frozen=True)

    entry_id: str
    platform: str
    posts: list[str] = Field(min_length=1)
