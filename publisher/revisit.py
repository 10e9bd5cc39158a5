"""A paper seen before: an entry whose paper another digest already queued or posted.

The same paper is recognised by its arXiv id or by its normalised title. Such an entry is
queued as a *revisit*: its own thread (the new comment is worth posting), under an id of its own
(``<entry id>-<digest date>`` where the entry id is taken), whose first post opens with a note
naming the digest date. The note makes the first post differ from the earlier thread's, so a
platform's duplicate-text rule cannot refuse it, and tells readers that this revisits an earlier
thread.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from publisher.filequeue import QueueItem
from publisher.models import DigestEntry

_ARXIV_KEY = re.compile(r"^arxiv-(\d{4}\.\d{4,5})")


def normalised_title(title: str) -> str:
    """Case, accents, punctuation and spacing do not tell two titles apart."""
    text = unicodedata.normalize("NFKD", title).casefold()
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.findall(r"\w+", text))


def paper_keys(entry_id: str, title: str) -> list[str]:
    keys = []
    match = _ARXIV_KEY.match(entry_id)
    if match:
        keys.append("arxiv:" + match.group(1))
    if title.strip():
        keys.append("title:" + normalised_title(title))
    return keys


def note(date: dt.date) -> str:
    """The first line of a revisit's first post."""
    return f"🔁 다시 보기 · Revisited ({date.isoformat()})"


@dataclass(frozen=True)
class Earlier:
    """The earlier thread of a paper: its key, the digest it came from, its URL once posted."""

    key: str
    digest: str | None
    url: str | None

    def describe(self) -> str:
        where = self.url or "queued, not posted yet"
        origin = f" from {self.digest}" if self.digest else ""
        return f"{self.key}{origin} ({where})"


def _digest_of(source: str | None) -> str | None:
    """The digest path of a queue item's ``source`` (``path:line``)."""
    if not source:
        return None
    path, _, line = source.rpartition(":")
    return path if path and line.isdigit() else source


class PaperIndex:
    """Every paper the queue knows, per platform, with its earliest thread."""

    def __init__(self, items: list[QueueItem]) -> None:
        self._seen: dict[tuple[str, str], Earlier] = {}
        for item in sorted(items, key=lambda i: (i.created.timestamp(), i.id)):
            self.add(item)

    def add(self, item: QueueItem) -> None:
        url = item.posted[0].url if item.posted else None
        earlier = Earlier(item.key, _digest_of(item.source), url)
        for key in paper_keys(item.id, item.title):
            self._seen.setdefault((item.platform, key), earlier)

    def earlier(self, entry: DigestEntry, platform: str, digest: str) -> Earlier | None:
        """The earlier thread of ``entry``'s paper from another digest than ``digest``."""
        for key in paper_keys(entry.id, entry.title):
            found = self._seen.get((platform, key))
            if found is not None and found.digest != digest:
                return found
        return None
