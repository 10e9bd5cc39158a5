"""A paper seen before: an entry whose paper another digest already queued or posted.

The same paper is recognised by its arXiv id or by its title, once case, accents, punctuation,
British/American spelling and a one-word typo are set aside (``same_paper``, the one place this
is decided; when both arXiv ids are known, they decide). Such an entry from another digest is
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

from publisher.models import DigestEntry
from publisher.store.model import QueueItem

_ARXIV_KEY = re.compile(r"^arxiv-(\d{4}\.\d{4,5})")


def normalised_title(title: str) -> str:
    """Case, accents, punctuation and spacing do not tell two titles apart."""
    text = unicodedata.normalize("NFKD", title).casefold()
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.findall(r"\w+", text))


# British spellings as American ones, applied to both sides of a comparison (word endings).
_SPELLING = [
    (re.compile(r"is(e|ed|es|ing|ation|ations|er|ers)$"), r"iz\1"),
    (re.compile(r"ys(e|ed|es|ing)$"), r"yz\1"),
    (re.compile(r"(?<=\w\w)our(s|ed|ing|ful)?$"), r"or\1"),
    (re.compile(r"(?<=\w\w)tre(s)?$"), r"ter\1"),
    (re.compile(r"(?<=[aeiou])ll(ing|ed|er|ers)$"), r"l\1"),
]


def _american(word: str) -> str:
    for pattern, replacement in _SPELLING:
        word = pattern.sub(replacement, word)
    return word


def title_words(title: str) -> tuple[str, ...]:
    """A title as compared: normalised words, in American spelling."""
    return tuple(_american(w) for w in normalised_title(title).split())


@dataclass(frozen=True)
class Paper:
    """What identifies a paper: its arXiv id when known, and its title's words."""

    arxiv: str | None
    words: tuple[str, ...]

    @classmethod
    def of(cls, entry_id: str, title: str) -> Paper:
        match = _ARXIV_KEY.match(entry_id)
        return cls(match.group(1) if match else None, title_words(title))


def edit_distance(a: str, b: str, cap: int = 3) -> int:
    """Levenshtein distance of ``a`` and ``b`` (``cap`` once it is at least that)."""
    if abs(len(a) - len(b)) >= cap:
        return cap
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
        if min(row) >= cap:
            return cap
    return min(row[-1], cap)


def close_titles(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """The same title, but for a one-word typo: one word of four letters or more (not a
    number: "GPT-3" and "GPT-4" are different papers) at one or two edits (two from 8 letters),
    or words only joined or split ("one-step" and "onestep")."""
    if not a or not b:
        return False
    if a == b or "".join(a) == "".join(b):
        return True
    if len(a) != len(b) or len(a) < 3:
        return False
    differ = [(one, two) for one, two in zip(a, b, strict=True) if one != two]
    if len(differ) != 1:
        return False
    one, two = differ[0]
    if not (one.isalpha() and two.isalpha()) or min(len(one), len(two)) < 4:
        return False
    return edit_distance(one, two) <= (2 if max(len(one), len(two)) >= 8 else 1)


def same_paper(a: Paper, b: Paper) -> bool:
    """Whether ``a`` and ``b`` are the same paper: by arXiv id when both know it, else by title."""
    if a.arxiv and b.arxiv:
        return a.arxiv == b.arxiv
    return close_titles(a.words, b.words)


def paper_keys(entry_id: str, title: str) -> list[str]:
    """Exact keys of a paper: its arXiv id, its title's words, its title's letters."""
    paper = Paper.of(entry_id, title)
    keys = []
    if paper.arxiv:
        keys.append("arxiv:" + paper.arxiv)
    if paper.words:
        keys.append("title:" + " ".join(paper.words))
        keys.append("letters:" + "".join(paper.words))
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
    """Every paper the queue knows, per platform, with its earliest thread.

    ``keys``: every thread key known (open, archived, or in the record of posts made);
    ``posted``: the threads with posts made.
    """

    def __init__(self, items: list[QueueItem]) -> None:
        self._seen: dict[tuple[str, str], tuple[Paper, Earlier]] = {}
        # (platform, position, the title's other words) -> papers: one-word typos, found fast
        self._near: dict[tuple[str, int, tuple[str, ...]], list[tuple[Paper, Earlier]]] = {}
        self.keys: set[str] = set()
        self.posted: set[str] = set()
        for item in sorted(items, key=lambda i: (i.created.timestamp(), i.id)):
            self.add(item)

    def add(self, item: QueueItem) -> None:
        url = item.posted[0].url if item.posted else None
        self.add_known(item.key, item.platform, item.title, item.source, url)

    def add_known(
        self, key: str, platform: str, title: str, source: str | None, url: str | None
    ) -> None:
        """A thread known by its key, title and source (from a queue file or the ledger)."""
        self.keys.add(key)
        if url:
            self.posted.add(key)
        entry_id = key.removesuffix(f".{platform}")
        earlier = Earlier(key, _digest_of(source), url)
        paper = Paper.of(entry_id, title)
        for exact in paper_keys(entry_id, title):
            self._seen.setdefault((platform, exact), (paper, earlier))
        for i in range(len(paper.words)):
            rest = paper.words[:i] + paper.words[i + 1 :]
            self._near.setdefault((platform, i, rest), []).append((paper, earlier))

    def match(self, entry: DigestEntry, platform: str) -> Earlier | None:
        """The earliest known thread of ``entry``'s paper on ``platform`` (``same_paper``)."""
        paper = Paper.of(entry.id, entry.title)
        for key in paper_keys(entry.id, entry.title):
            found = self._seen.get((platform, key))
            if found is not None and same_paper(found[0], paper):
                return found[1]
        for i in range(len(paper.words)):
            rest = paper.words[:i] + paper.words[i + 1 :]
            for other, earlier in self._near.get((platform, i, rest), []):
                if same_paper(other, paper):
                    return earlier
        return None

    def earlier(self, entry: DigestEntry, platform: str, digest: str) -> Earlier | None:
        """The earlier thread of ``entry``'s paper from another digest than ``digest``."""
        found = self.match(entry, platform)
        return found if found is not None and found.digest != digest else None
