"""``publisher enqueue PATH...``: validate, format and write one queue file per thread."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Mapping

from publisher import pace
from publisher.cards import Card
from publisher.commands._common import (
    EXIT_OK,
    EXIT_USAGE,
    append,
    now_of,
    resolve_links,
    rules,
    settings_of,
    show,
    times,
)
from publisher.config import Settings
from publisher.enqueue import read_limits
from publisher.errors import InputError
from publisher.models import Digest
from publisher.reports import EnqueueOutcome, QueuedThread
from publisher.store.common import ENQUEUED_NAME
from publisher.store.filequeue import FileQueue
from publisher.store.model import QueueItem
from publisher.summary import markdown
from publisher.sweep import sweep


def run(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    queue = FileQueue(args.queue)
    now = now_of(args, settings)
    missing = [p for p in args.files if not p.exists()]
    if missing:
        raise InputError.one(missing[0], None, "no such file or folder")
    outcome = EnqueueOutcome(times(settings, now), ledger=str(queue.root / ENQUEUED_NAME))
    limits, outcome.notes = read_limits(settings)  # the servers' own, cached in each file

    def prepare(digests: list[Digest]) -> tuple[list[Digest], Mapping[str, Card]]:
        """The arXiv look-up, for each file that is read."""
        links = resolve_links(digests, settings, lookup=settings.links.arxiv_lookup, network=True)
        outcome.link_notes.extend(links.notes)
        return links.digests, links.cards

    with queue.lock():
        swept = sweep(queue, args.files, settings, rules(settings, limits), now, prepare, limits)
    for one in swept.reports:
        outcome.added += [_queued(queue, item) for item in one.added]
        outcome.skipped.extend(one.skipped)
        outcome.updated += [_queued(queue, item) for item in one.updated]
        outcome.notes.extend(one.notes)
    outcome.handled, outcome.unchanged = len(swept.handled), len(swept.unchanged)
    outcome.ignored = swept.ignored
    outcome.invalid = len({p.path for p in swept.problems})
    outcome.problems = list(swept.problems)
    outcome.behind = _behind(queue, settings, now)
    show(outcome)
    if args.summary:
        append(args.summary, markdown(outcome))
    return EXIT_USAGE if swept.problems else EXIT_OK


def _queued(queue: FileQueue, item: QueueItem) -> QueuedThread:
    return QueuedThread(item.key, str(queue.path_of(item)), len(item.posts), item.not_before)


def _behind(queue: FileQueue, settings: Settings, now: dt.datetime) -> list[str]:
    """The backlog forecast over the open queue and this month's archive."""
    if not queue.root.is_dir():
        return []
    items = queue.open_and_month(now, settings.schedule.zone)
    return [str(b) for b in pace.forecast(items, settings, now)]
