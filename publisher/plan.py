"""The one answer to "what will digests post, and when": computed here, shown many ways.

``plan`` turns digests into the threads ``enqueue`` writes, against what the queue already
holds (its ``History``): each thread's id and posts (a revisit when the paper was seen before),
its card, its scheduled time, or why it is not queued (already queued or posted). ``enqueue``
writes the new ones, the digest dry run and the preview show them, so the three cannot disagree.
Pure: the queue is read once, by ``History.read``, before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from publisher import platforms
from publisher.cards import Card
from publisher.config import Settings
from publisher.errors import FormatError, InputError
from publisher.formatter import format_thread, threads_for
from publisher.models import Digest, DigestEntry
from publisher.platforms.base import Rules
from publisher.revisit import Earlier, PaperIndex, note
from publisher.schedule import assign_times
from publisher.store.common import SUFFIX
from publisher.store.filequeue import FileQueue
from publisher.store.ledger import LEDGER_FILE, Ledger
from publisher.store.model import QueueItem

# An edited digest's claim on a thread already queued (``enqueue``'s edits): the thread updated
# in place, (key, why it is left alone), or None when no queued thread is this entry's.
Claim = Callable[
    [str, str | None, DigestEntry, list[str], Card | None], QueueItem | tuple[str, str] | None
]


@dataclass
class History:
    """What the queue already holds, read once: the threads that count against the schedule
    (open, and this month's archive), every paper queued, archived or posted, the keys known
    (open files, papers) and those posted in full."""

    existing: list[QueueItem] = field(default_factory=list)
    papers: PaperIndex = field(default_factory=lambda: PaperIndex([]))
    known: set[str] = field(default_factory=set)
    posted: set[str] = field(default_factory=set)
    ledger: str = ""  # where the record of posts made is, for the reason a thread is skipped

    @classmethod
    def read(
        cls, queue: FileQueue, now: dt.datetime, zone: dt.tzinfo, existing: list[QueueItem] | None
    ) -> History:
        """The queue's history; ``existing`` when the caller has read it already (a sweep)."""
        if not queue.root.is_dir():
            return cls(ledger=str(queue.root / LEDGER_FILE))
        if existing is None:
            existing = queue.open_and_month(now, zone)
        papers = paper_index(queue, existing)
        known = {p.name.removesuffix(SUFFIX) for p in queue.paths()} | papers.keys
        posted = queue.posted_keys() | papers.posted
        return cls(existing, papers, known, posted, str(queue.root / LEDGER_FILE))


def paper_index(queue: FileQueue, items: list[QueueItem]) -> PaperIndex:
    """Every paper of ``items``, of the whole archive (a posted thread is archived at once) and
    of the record of posts made (which outlives the files)."""
    papers = PaperIndex(items + [li.item for li in queue.load_archive()[0]])
    for made in Ledger(queue.root).read().first_posts():
        papers.add_known(made.thread, made.platform, made.title, made.source, made.url)
    return papers


@dataclass(frozen=True)
class Planned:
    """One thread of a digest entry on one platform, as ``enqueue`` would handle it."""

    digest: Digest
    index: int  # of the entry in the digest
    item: QueueItem  # as written: id, posts (numbered when sent), card, time
    earlier: Earlier | None = None  # the paper was seen before: this thread is its revisit
    skipped: tuple[str, str] | None = None  # (key, why) it is not queued: queued or posted
    updated: bool = False  # a thread not begun, updated in place from its edited entry

    @property
    def entry(self) -> DigestEntry:
        return self.digest.entries[self.index]

    @property
    def queued(self) -> bool:
        return self.skipped is None and not self.updated


def plan(
    digests: list[Digest],
    settings: Settings,
    rules: Mapping[str, Rules],
    now: dt.datetime,
    history: History,
    cards: Mapping[str, Card] | None = None,
    limits: Mapping[str, Mapping[str, int]] | None = None,
    claim: Claim | None = None,
) -> list[Planned]:
    """Every thread of ``digests`` on every enabled platform, in digest order, the new ones
    scheduled after ``history``'s. ``history`` learns the new threads (a sweep plans digest
    after digest against it). ``claim``: an edited digest's threads already queued."""
    with_cards = platforms.with_cards(settings.platforms)
    threads = threads_for(digests, settings.format, rules, list(settings.platforms), numbered=False)
    known = set(history.known)  # learnt only when the whole digest is planned
    out: list[Planned] = []
    for digest, n, thread in threads:
        entry, platform = digest.entries[n], thread.platform
        card = (cards or {}).get(entry.id) if platform in with_cards else None
        item = _item(digest, n, thread.entry_id, platform, thread.posts, card, now, limits)
        same = _same_entry(history.papers, entry, platform, digest.source)
        earlier = None if same else history.papers.earlier(entry, platform, digest.source)
        if earlier is not None:
            thread_id, posts = _revisit(entry, digest, platform, earlier, settings, rules)
            item = item.model_copy(update={"id": thread_id, "posts": posts})
        change = claim(item.key, item.source, entry, item.posts, card) if claim else None
        if isinstance(change, QueueItem):
            out.append(Planned(digest, n, change, earlier, updated=True))
            continue
        skipped = change or _not_queued(item.key, same, history, known)
        if skipped is None:
            known.add(item.key)
            history.papers.add(item)
        out.append(Planned(digest, n, item, earlier, skipped))
    history.known = known
    return _scheduled(out, settings, now, history)


def _item(
    digest: Digest,
    n: int,
    thread_id: str,
    platform: str,
    posts: list[str],
    card: Card | None,
    now: dt.datetime,
    limits: Mapping[str, Mapping[str, int]] | None,
) -> QueueItem:
    entry = digest.entries[n]
    line = digest.lines[n] if n < len(digest.lines) else None
    return QueueItem(
        id=thread_id,
        platform=platform,
        title=entry.title,
        authors=", ".join(entry.authors),
        source=f"{digest.source}:{line}" if line else digest.source or None,
        not_before=now,
        created=now,
        posts=posts,
        card=card,
        limits=dict((limits or {}).get(platform) or {}) or None,
    )


def _not_queued(
    key: str, same: tuple[str, str] | None, history: History, known: set[str]
) -> tuple[str, str] | None:
    """(key, why) the thread ``key`` is not queued, or None when it is."""
    if same is not None:  # the same paper under an edited title, not found in place
        return same
    if key in history.posted:
        return key, f"already posted ({history.ledger})"
    if key in known:
        return key, "already in the queue"
    return None


def _scheduled(
    planned: list[Planned], settings: Settings, now: dt.datetime, history: History
) -> list[Planned]:
    """The new threads given their times after the queue's (which then count them too)."""
    new = [p.item for p in planned if p.queued]
    timed = {item.key: item for item in assign_times(new, history.existing, settings.schedule, now)}
    history.existing.extend(timed.values())
    return [
        Planned(p.digest, p.index, timed[p.item.key], p.earlier) if p.queued else p for p in planned
    ]


def _same_entry(
    papers: PaperIndex, entry: DigestEntry, platform: str, digest: str | None
) -> tuple[str, str] | None:
    """(key, why) when ``entry`` is a paper this very digest already gave under another id (its
    title edited: a typo fixed, a spelling changed): it is not queued again."""
    found = papers.match(entry, platform)
    key = f"{entry.id}.{platform}"
    if found is None or found.digest != digest or found.key == key:
        return None
    if found.url:
        why = (
            f"{entry.title!r} is the paper already posted as {found.key} ({found.url}); not "
            "queued again. To post it again on purpose, put it in a later digest: it is "
            "queued as a revisit"
        )
    else:
        why = f"{entry.title!r} is the paper already queued as {found.key}; not queued twice"
    return key, why


def _revisit(
    entry: DigestEntry,
    digest: Digest,
    platform: str,
    earlier: Earlier,
    settings: Settings,
    rules: Mapping[str, Rules],
) -> tuple[str, list[str]]:
    """The id and posts of a revisit: its own id, and a first post opening with the note."""
    earlier_id = earlier.key.removesuffix(f".{platform}")
    thread_id = entry.id if earlier_id != entry.id else f"{entry.id}-{digest.date.isoformat()}"
    try:
        thread = format_thread(
            entry, rules[platform], settings.format, note=note(digest.date), numbered=False
        )
    except FormatError as exc:
        line = digest.line_of(entry.id)
        raise InputError.one(digest.source or "<digest>", line, str(exc)) from None
    return thread_id, thread.posts
