"""Digests into queue files: format every entry for every enabled platform, all or nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from publisher.cards import Card
from publisher.config import Settings
from publisher.errors import ConfigError, PlatformError
from publisher.models import Digest, DigestEntry
from publisher.plan import History, Planned, plan
from publisher.platforms.base import Rules
from publisher.store.common import Status
from publisher.store.filequeue import FileQueue
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
    history: History | None = None,
    limits: Mapping[str, Mapping[str, int]] | None = None,
    edited: bool = False,
) -> EnqueueReport:
    """Write the plan of ``digests`` (``plan.plan``): a queue file per new thread; threads
    already queued or posted are left alone, and the report says why.

    ``edited``: the digests were enqueued before and their file has changed since (the sweep
    knows its earlier hash). Then a thread not begun is updated in place from its entry (its id
    and time kept), found by its id, else by its place in the digest file (the file and line of
    its title, for an entry whose title was edited); a thread begun or posted is left alone,
    and the report says which and why.

    ``cards`` (by entry id) go into the files of the threads whose platform shows link cards.
    ``history`` is passed by a caller that has read the queue already (a sweep reads it once,
    not once per digest); it learns the new threads. ``limits`` are the servers' own limits
    (``read_limits``), which ``rules`` were built with: each thread's file keeps its platform's.
    """
    if history is None:
        history = History.read(queue, now, settings.schedule.zone, None)
    claim = _Edits(history.existing, digests).apply if edited else None
    report = EnqueueReport()
    for planned in plan(digests, settings, rules, now, history, cards, limits, claim):
        if planned.updated:
            report.updated.append(planned.item)
        elif planned.skipped is not None:
            report.skipped.append(planned.skipped)
        else:
            report.added.append(planned.item)
            if planned.earlier is not None:
                report.notes.append(_revisit_note(planned))
    queue.save_all(report.added + report.updated)
    return report


def _revisit_note(planned: Planned) -> str:
    entry, earlier = planned.entry, planned.earlier
    assert earlier is not None
    return (
        f"{planned.item.source or planned.digest.source}: {entry.title!r} was seen before: "
        f"{earlier.describe()}; queued as a revisit, {planned.item.key}, whose first post says so"
    )


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
