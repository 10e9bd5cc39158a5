"""``publisher --dry-run DIGEST...``: the threads of digests exactly as they would be posted."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from publisher import cost, platforms
from publisher.commands._common import (
    EXIT_OK,
    narrowed,
    now_of,
    resolve_links,
    rules,
    say,
    settings_of,
    show,
)
from publisher.config import Settings
from publisher.digest import read_digests
from publisher.formatter import number_posts
from publisher.links import Links
from publisher.plan import History, Planned, plan
from publisher.platforms.base import Rules
from publisher.render_text import note_lines
from publisher.reports import DigestDryRun, DryRunEntry, DryRunThread, ShownPost
from publisher.store.filequeue import FileQueue
from publisher.store.model import QueueItem


def run(args: argparse.Namespace) -> int:
    settings = narrowed(args, settings_of(args), shows_off=True)
    text_rules = rules(settings)
    for name in settings.platforms:  # no network in a dry run: the default limits, said so
        if platforms.registry()[name].limits is not None:
            say(f"note: {platforms.title(name)}: its server's limits are not read in a dry run")
    digests = read_digests(args.digests)
    # No network unless asked: the README's first command must work offline.
    links = resolve_links(digests, settings, lookup=args.lookup, network=args.lookup)
    now = now_of(args, settings)
    # What enqueue would write against this queue: a paper it has shows as its revisit.
    history = History.read(FileQueue(args.queue), now, settings.schedule.zone, None)
    planned = plan(links.digests, settings, text_rules, now, history, links.cards)
    report = DigestDryRun(notes=links.notes)
    report.policies = [n for name in settings.platforms if (n := settings.options(name).note())]
    totals: dict[str, cost.Cost] = {}
    for one in planned:
        _add_thread(report, one, links, settings, text_rules)
        platform, posts = one.item.platform, one.item.posts
        spent = cost.texts_cost(
            platform, number_posts(posts, settings.format), settings.options(platform)
        )
        totals[platform] = totals.get(platform, cost.Cost()) + spent
    report.totals = [total.line(platform) for platform, total in totals.items()]
    if args.json:
        for line in note_lines(report.notes):  # stdout is for the JSON alone
            print(line, file=sys.stderr)
    show(report, as_json=args.json)
    return EXIT_OK


def _add_thread(
    report: DigestDryRun,
    one: Planned,
    links: Links,
    settings: Settings,
    text_rules: dict[str, Rules],
) -> None:
    """One thread of the dry run, under its entry (a new entry when it is the first thread)."""
    entry, item, earlier = one.entry, one.item, one.earlier
    platform = item.platform
    with_card = platforms.with_cards(settings.platforms)
    if not report.entries or report.entries[-1].id != entry.id:
        card = links.cards.get(entry.id)
        shown_card = card.model_dump() if card and with_card else None
        first = with_card[0] if with_card else ""
        report.entries.append(DryRunEntry(entry.id, entry.title, shown_card, [], first))
    options = settings.options(platform)
    posts = [
        ShownPost(
            text_rules[platform].payload(text),
            text_rules[platform].length(text),
            text_rules[platform].limit,
            cost.post_label(platform, text, options),
            cost.price_fields(platform, text, options),
        )
        for text in number_posts(item.posts, settings.format)
    ]
    revisit = f"seen before, {earlier.describe()}: a revisit" if earlier is not None else ""
    link = _link_fields(item, settings)
    left_out = options.left_out(entry.url) if entry.url else ""
    when = item.not_before if one.queued else None
    skipped = one.skipped[1] if one.skipped else ""
    report.entries[-1].threads.append(
        DryRunThread(item.id, platform, posts, revisit, link, left_out, when, skipped)
    )


def _link_fields(item: QueueItem, settings: Settings) -> dict[str, Any]:
    """What a dry run shows of how a thread links its paper: a card, or the setting in force."""
    shown: dict[str, Any] = dict(settings.options(item.platform).shown())
    if platforms.registry()[item.platform].cards:
        shown["card"] = item.card.model_dump() if item.card is not None else None
    return shown
