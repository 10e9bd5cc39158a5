"""The queue's model: a thread for one platform as stored in its queue file, and its records."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from publisher.cards import Card
from publisher.store.common import SUFFIX, Status, is_deferred


def text_sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


class PostRecord(BaseModel):
    """A post the platform confirmed."""

    model_config = ConfigDict(extra="forbid")

    post: int = Field(ge=1)
    id: str
    url: str
    uri: str | None = None
    cid: str | None = None
    at: AwareDatetime
    sha: str = ""  # of the text as sent, to notice edits made after posting
    # Its price class as sent ("plain" or "url"), for the month's spend; None where posts are free.
    price_class: str | None = None  # as its platform classes a post (cost.price_class)


class QueueItem(BaseModel):
    """One thread for one platform, as stored in its queue file."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    id: str = Field(min_length=1)
    platform: str
    title: str = ""
    source: str | None = None
    status: Status = Status.PENDING  # changed only by publisher.store.lifecycle
    not_before: AwareDatetime
    created: AwareDatetime
    reason: str | None = None
    sending: int | None = None  # the post in flight: its outcome is unknown until recorded
    # When the `sending` mark was first set, by the real clock (not --now): a post found later
    # that was created before it (less a small allowance) belongs to someone else.
    sending_at: AwareDatetime | None = None
    # Every author, comma-separated, for reference: the header may show only the first
    # format.max_authors. One line, so the fast front-matter reader still takes the file.
    authors: str = ""
    card: Card | None = None  # the link card of the first post (its image fetched at send time)
    # The limits the platform's server announced at enqueue ({"max_characters": 500, ...}):
    # the posts were laid out within them and are checked against them, whatever the server
    # says later. None: the platform's own defaults.
    limits: dict[str, int] | None = None
    posted: list[PostRecord] = Field(default_factory=list)
    posts: list[str] = Field(default_factory=list, exclude=True)

    @property
    def key(self) -> str:
        """The thread's stable id: entry id and platform."""
        return f"{self.id}.{self.platform}"

    @property
    def filename(self) -> str:
        return self.key + SUFFIX

    @property
    def deferred(self) -> bool:
        """Open, with the reason a run left it for (``common.is_deferred``): ``retry`` takes it."""
        return is_deferred(self.status, self.reason)

    @property
    def next_index(self) -> int:
        """0-based index of the next post to send."""
        return len(self.posted)


@dataclass
class LoadedItem:
    """A queue item with where it came from: path and the line each post starts on."""

    item: QueueItem
    path: Path
    post_lines: list[int]
