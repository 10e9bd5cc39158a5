"""Digests into queue files: format every entry for every enabled platform, all or nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from publisher import platforms
from publisher.cards import Card
from publisher.config import Settings
from publisher.errors import ConfigError, FormatError, InputError, PlatformError
from publisher.formatter import format_thread, number_posts, threads_for
from publisher.models import Digest, DigestEntry, Thread
from publisher.platforms.base import Rules
from publisher.revisit import Earlier, PaperIndex, note
from publisher.schedule import assign_times
from publisher.store.common import SUFFIX, Status
from publisher.store.filequeue import FileQueue
from publisher.store.ledger import LEDGER_FILE, Ledger
from publisher.store.model import QueueItem


@dataclass
class EnqueueReport:
    added: list[QueueItem] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (key, why)
    notes: list[str] = field(default_factory=list)  # what a person should know, e.g. revisits
    # Threads not begun, updated in place from their edited digest (id and time kept).
    updated: list[QueueItem] = field(default_factory=list)


def enqueue(
    queue: FileQueue,
    digests: list[Digest],
    settings: Settings,
    rules: Mapping[str, Rules],
    now: dt.datetime,
    cards: Mapping[str, Card] | None = None,
    existing: list[QueueItem] | None = None,
    papers: PaperIndex | None = None,
    limits: Mapping[str, Mapping[str, int]] | None = None,
    edited: bool = False,
) -> EnqueueReport:
    """Add a queue file per new thread; threads already queued (same id) are left alone.

    ``edited``: the digests were enqueued before and their file has changed since (the sweep
    knows its earlier hash). Then a thread not begun is updated in place from its entry (its id
    and time kept), found by its id, else by its place in the digest file (the file and line of
    its title, for an entry whose title was edited); a thread begun or posted is left alone,
    and the report says which and why.

    ``cards`` (by entry id) go into the files of the threads whose platform shows link cards.
    ``existing`` (open items and this month's archive) and ``papers`` (every paper queued or
    archived) are passed by a caller that has them already: a sweep reads the queue once, not
    once per digest. New items are added to both. ``limits`` are the servers' own limits
    (``read_limits``), which ``rules`` were built with: each thread's file keeps its platform's.
    """
    report = EnqueueReport()
    with_cards = platforms.with_cards(settings.platforms)
    threads = threads_for(digests, settings.format, rules, list(settings.platforms), numbered=False)
    if existing is None:
        # Posts made this month (archived) still count against their day's budget.
        existing = queue.open_and_month(now, settings.schedule.zone)
    if papers is None:
        papers = paper_index(queue, existing)
    # Known: open, archived, or with posts recorded made (whatever became of their files).
    known = {p.name.removesuffix(SUFFIX) for p in queue.paths()} | papers.keys
    posted = queue.posted_keys() | papers.posted
    new: list[QueueItem] = []
    edits = _Edits(existing, digests) if edited else None
    for digest, n, thread in threads:
        entry = digest.entries[n]
        line = digest.lines[n] if n < len(digest.lines) else None
        where = f"{digest.source}:{line}" if line else digest.source or None
        thread_id, posts = thread.entry_id, thread.posts
        same = _same_entry(papers, entry, thread.platform, digest.source)
        earlier = None if same else papers.earlier(entry, thread.platform, digest.source)
        if earlier is not None:
            thread_id, posts = _revisit(entry, digest, thread.platform, earlier, settings, rules)
        key = f"{thread_id}.{thread.platform}"
        if edits is not None:  # an edited digest: its threads not begun follow the edit
            card = (cards or {}).get(entry.id) if thread.platform in with_cards else None
            change = edits.apply(key, where, entry, posts, card)
            if change is not None:
                if isinstance(change, QueueItem):
                    report.updated.append(change)
                else:
                    report.skipped.append((change[0], change[1]))
                continue
        if same is not None:  # the same paper under an edited title, not found in place
            report.skipped.append(same)
            continue
        if key in posted:
            report.skipped.append((key, f"already posted ({queue.root / LEDGER_FILE})"))
            continue
        if key in known:
            report.skipped.append((key, "already in the queue"))
            continue
        if earlier is not None:
            report.notes.append(
                f"{where}: {entry.title!r} was seen before: {earlier.describe()}; "
                f"queued as a revisit, {key}, whose first post says so"
            )
        known.add(key)
        item = QueueItem(
            id=thread_id,
            platform=thread.platform,
            title=entry.title,
            authors=", ".join(entry.authors),
            source=where,
            not_before=now,
            created=now,
            posts=posts,
            card=(cards or {}).get(entry.id) if thread.platform in with_cards else None,
            limits=dict((limits or {}).get(thread.platform) or {}) or None,
        )
        papers.add(item)
        new.append(item)
    report.added = assign_times(new, existing, settings.schedule, now)
    queue.save_all(report.added + report.updated)
    return report


class _Edits:
    """Finds the queued thread of an edited digest's entry and updates it when it has not
    begun. By id first; else by the file and line of the entry's title (its ``source``), when
    that thread's own id is no longer an entry of the digest (its title was edited)."""

    def __init__(self, existing: list[QueueItem], digests: list[Digest]) -> None:
        self.by_key = {item.key: item for item in existing}
        self.by_place = {(item.source, item.platform): item for item in existing if item.source}
        self.ids = {entry.id for digest in digests for entry in digest.entries}

    def apply(
        self,
        key: str,
        where: str | None,
        entry: DigestEntry,
        posts: list[str],
        card: Card | None,
    ) -> QueueItem | tuple[str, str] | None:
        """The thread updated in place, or (key, why it is left alone), or None: no thread of
        this entry is queued (a new one is)."""
        platform = key.rsplit(".", 1)[1]
        item = self.by_key.get(key)
        if item is None and where is not None:
            placed = self.by_place.get((where, platform))
            if placed is not None and placed.id not in self.ids:
                item = placed
        if item is None:
            return None
        fields = {
            "title": entry.title,
            "authors": ", ".join(entry.authors),
            "posts": posts,
            "card": card if card is not None else item.card,
        }
        if all(getattr(item, name) == value for name, value in fields.items()):
            return (item.key, "already in the queue")
        if item.status == Status.POSTED:
            return (item.key, "already posted: the edit is not posted (a posted thread is kept)")
        if item.posted or item.sending is not None:
            made = f"{len(item.posted)} of {len(item.posts)} posts made"
            return (
                item.key,
                f"already begun ({made}): left as it is, so the posts made and the rest stay "
                "one thread; edit its queue file for the posts still to go",
            )
        updated = item.model_copy(update=fields)
        self.by_key[item.key] = updated
        return updated


def read_limits(settings: Settings) -> tuple[dict[str, dict[str, int]], list[str]]:
    """The limits the enabled platforms' servers announce, read once, and notes for a person.

    A platform whose credentials are not set, or whose server does not answer, keeps its
    default limits, and a note says so: laying threads out within the defaults is safe, and
    the scheduled job checks every post again before sending it.
    """
    from publisher.config import credentials
    from publisher.platforms import registry, server_limits
    from publisher.scrub import scrub

    found: dict[str, dict[str, int]] = {}
    notes: list[str] = []
    for name in settings.platforms:
        platform = registry()[name]
        if platform.limits is None:
            continue
        try:
            found[name] = server_limits(name, credentials(name), settings.retry.timeout_seconds)
        except (ConfigError, PlatformError) as exc:
            notes.append(
                f"{platform.title}: the server's limits were not read ({scrub(str(exc))}); "
                "its threads are laid out within the default limits"
            )
    return found, notes


def paper_index(queue: FileQueue, items: list[QueueItem]) -> PaperIndex:
    """Every paper of ``items``, of the whole archive (a posted thread is archived at once) and
    of the record of posts made (which outlives the files)."""
    papers = PaperIndex(items + [li.item for li in queue.load_archive()[0]])
    for made in Ledger(queue.root).read().first_posts():
        papers.add_known(made.thread, made.platform, made.title, made.source, made.url)
    return papers


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


def with_revisits(
    queue: FileQueue,
    threads: list[tuple[Digest, int, Thread]],
    settings: Settings,
    rules: Mapping[str, Rules],
) -> list[tuple[Digest, int, Thread, Earlier | None]]:
    """The threads as ``enqueue`` would queue them against this queue, numbered as sent: a
    paper seen before becomes its revisit (with the earlier thread, for the preview to name)."""
    items = [li.item for li in queue.load()[0]] if queue.root.is_dir() else []
    papers = paper_index(queue, items)
    out: list[tuple[Digest, int, Thread, Earlier | None]] = []
    for digest, n, thread in threads:
        earlier = papers.earlier(digest.entries[n], thread.platform, digest.source)
        if earlier is not None:
            thread_id, posts = _revisit(
                digest.entries[n], digest, thread.platform, earlier, settings, rules
            )
            thread = Thread(
                entry_id=thread_id,
                platform=thread.platform,
                posts=number_posts(posts, settings.format),
            )
        out.append((digest, n, thread, earlier))
    return out
