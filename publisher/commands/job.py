"""The scheduled job over the queue: post what is due (or, with ``--dry-run``, show it)."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Mapping

from publisher import cost, runner
from publisher.commands._common import (
    append,
    existing_queue,
    narrowed,
    now_of,
    rules,
    say,
    settings_of,
    show,
    times,
)
from publisher.config import Settings, check_credentials, credentials
from publisher.enqueue import read_limits
from publisher.platforms import connect
from publisher.platforms.base import Adapter, Rules
from publisher.reports import RunOutcome, ShownPost
from publisher.store.common import Status
from publisher.store.filequeue import FileQueue
from publisher.summary import markdown


def run(args: argparse.Namespace) -> int:
    settings = narrowed(args, settings_of(args), shows_off=False)
    now = now_of(args, settings)
    queue = FileQueue(existing_queue(args))
    if args.dry_run:
        text_rules = rules(settings)
        report = _dry_run(queue, settings, text_rules, now)
    else:
        check_credentials(list(settings.platforms))
        text_rules = rules(settings, _server_limits(settings))

        def adapter(name: str) -> Adapter:
            timeout = settings.retry.timeout_seconds
            return connect(name, credentials(name), settings.options(name), timeout)

        with queue.lock():
            report = runner.run(queue, settings, text_rules, adapter, now)
    due = [_due_posts(planned, text_rules, settings) for planned in report.plan.due]
    outcome = RunOutcome(report, args.dry_run, times(settings, now), now, due)
    show(outcome, as_json=args.json)
    if args.summary:
        append(args.summary, markdown(outcome))
    return outcome.exit_code


def _dry_run(
    queue: FileQueue, settings: Settings, text_rules: dict[str, Rules], now: dt.datetime
) -> runner.RunReport:
    """The queue as the record of posts made says it is; nothing written."""
    opened = runner.load_open(queue, write=False)
    archived = runner.recent_archive(queue, now, settings)
    items = [li for li in opened.items if li.item.status != Status.POSTED]
    plan = runner.make_plan(items, opened.problems, settings, text_rules, now, archived)
    plan.notes = opened.notes
    return runner.RunReport(plan)


def _server_limits(settings: Settings) -> Mapping[str, Mapping[str, int]]:
    """The servers' own limits, read once per run; a note on stderr for each left at default."""
    limits, notes = read_limits(settings)
    for note in notes:
        say(f"note: {note}")
    return limits


def _due_posts(
    planned: runner.Planned, text_rules: Mapping[str, Rules], settings: Settings
) -> list[ShownPost]:
    """The posts a due thread has still to send, as shown: count, limit and price."""
    platform = planned.loaded.item.platform
    options = settings.options(platform)
    return [
        ShownPost(
            payload,
            count,
            planned.limit or text_rules[platform].limit,
            cost.post_label(platform, payload["text"], options),
            cost.price_fields(platform, payload["text"], options),
        )
        for payload, count in zip(planned.payloads, planned.counts, strict=True)
    ]
