"""Digests into queue files: format every entry for every enabled platform, all or nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from publisher.cards import Card
from publisher.config import Settings
from publisher.filequeue import LEDGER_NAME, SUFFIX, FileQueue, QueueItem, month_of
from publisher.formatter import threads_for
from publisher.models import Digest
from publisher.platforms.base import Rules
from publisher.schedule import assign_times


@dataclass
class EnqueueReport:
    added: list[QueueItem] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (key, why)


def enqueue(
    queue: FileQueue,
    digests: list[Digest],
    settings: Settings,
    rules: Mapping[str, Rules],
    now: dt.datetime,
    cards: Mapping[str, Card] | None = None,
) -> EnqueueReport:
    """Add a queue file per new thread; threads already queued (same id) are left alone.

    ``cards`` (by entry id) go into the Bluesky threads' files, the only platform with cards.
    """
    report = EnqueueReport()
    threads = threads_for(digests, settings.format, rules, list(settings.platforms))
    existing, _ = queue.load()
    # Posts made this month (archived) still count against their day's budget.
    archived, _ = queue.load_archive([month_of(now.astimezone(settings.schedule.zone))])
    existing += archived
    known = {p.name.removesuffix(SUFFIX) for p in queue.paths()}
    posted = queue.posted_keys()
    new: list[QueueItem] = []
    for digest, n, thread in threads:
        entry = digest.entries[n]
        key = f"{thread.entry_id}.{thread.platform}"
        if key in posted:
            report.skipped.append((key, f"already posted ({queue.root / LEDGER_NAME})"))
            continue
        if key in known:
            report.skipped.append((key, "already in the queue"))
            continue
        known.add(key)
        line = digest.lines[n] if n < len(digest.lines) else None
        new.append(
            QueueItem(
                id=thread.entry_id,
                platform=thread.platform,
                title=entry.title,
                authors=", ".join(entry.authors),
                source=f"{digest.source}:{line}" if line else digest.source or None,
                not_before=now,
                created=now,
                posts=thread.posts,
                card=(cards or {}).get(thread.entry_id) if thread.platform == "bluesky" else None,
            )
        )
    report.added = assign_times(new, [li.item for li in existing], settings.schedule, now)
    queue.save_all(report.added)
    return report
