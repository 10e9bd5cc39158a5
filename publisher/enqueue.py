"""Digests into queue files: format every entry for every enabled platform, all or nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from publisher.config import Settings
from publisher.filequeue import LEDGER_NAME, SUFFIX, FileQueue, QueueItem
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
) -> EnqueueReport:
    """Add a queue file per new thread; threads already queued (same id) are left alone."""
    report = EnqueueReport()
    threads = threads_for(digests, settings.format, rules, list(settings.platforms))
    existing, _ = queue.load()
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
            )
        )
    report.added = assign_times(new, [li.item for li in existing], settings.schedule, now)
    queue.save_all(report.added)
    return report
