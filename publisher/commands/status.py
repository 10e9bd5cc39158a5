"""``publisher status``: a table of the open queue (with ``--all``, and the archive)."""

from __future__ import annotations

import argparse

from publisher import cost, pace, quota, runner
from publisher.attention import needing_owner
from publisher.commands._common import (
    EXIT_FAILED,
    EXIT_OK,
    existing_queue,
    now_of,
    settings_of,
    show,
    times,
)
from publisher.reports import StatusReport, StatusRow
from publisher.store.filequeue import FileQueue


def run(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    now = now_of(args, settings)
    queue = FileQueue(existing_queue(args))
    opened = runner.load_open(queue, write=False)  # the files as the record of posts says
    items, problems = opened.items, opened.problems
    report = StatusReport(times(settings, now), notes=opened.notes)
    month = [li.item for li in items] + runner.recent_archive(queue, now, settings)
    if cost.priced(settings):  # this month's posts: the open queue + its archive
        report.spend = cost.spend_lines(month, now, settings)
    report.behind = [str(b) for b in pace.forecast(month, settings, now)]
    report.quota = quota.declared(list(settings.platforms))
    if args.all:
        archived, archive_problems = queue.load_archive()
        items, problems = items + archived, problems + archive_problems
    rows = sorted(
        (li.item for li in items), key=lambda i: (i.not_before.timestamp(), i.id, i.platform)
    )
    report.rows = [
        StatusRow(i.id, i.platform, i.status, i.not_before, len(i.posts), len(i.posted), i.reason)
        for i in rows
    ]
    report.stuck, report.problems = needing_owner(rows, settings), problems
    show(report, as_json=args.json)
    return EXIT_FAILED if problems else EXIT_OK
