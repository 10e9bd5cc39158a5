"""``publisher preview``: one HTML page of every thread as the platforms will show it."""

from __future__ import annotations

import argparse
from pathlib import Path

from publisher.commands._common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    append,
    narrowed,
    now_of,
    rules,
    settings_of,
    show,
)
from publisher.errors import InputError
from publisher.plan import History
from publisher.preview import Preview, from_digests, from_queue
from publisher.preview_html import render_html, render_markdown
from publisher.reports import PreviewWritten
from publisher.store.filequeue import FileQueue
from publisher.store.safeio import atomic_write


def run(args: argparse.Namespace) -> int:
    settings = narrowed(args, settings_of(args), shows_off=True)
    text_rules = rules(settings)
    queue = FileQueue(args.queue or Path("queue"))
    items, problems = queue.load() if queue.root.is_dir() else ([], [])
    parts: list[Preview] = []
    if args.files:  # planned as enqueue would, against the queue
        now = now_of(args, settings)
        history = History.read(queue, now, settings.schedule.zone, None)
        parts.append(from_digests(args.files, settings, text_rules, history, now))
    if args.queue or not args.files:
        if not queue.root.is_dir():
            raise InputError.one(queue.root, None, "no such queue folder")
        shown = [li for li in items if li.item.platform in settings.platforms]
        parts.append(from_queue(queue.root, shown, problems, text_rules, settings))
    preview = parts[0]
    for part in parts[1:]:
        preview.title += " and " + part.title.removeprefix("Preview of ")
        preview.threads += part.threads
        preview.problems += part.problems
    try:
        atomic_write(args.out, render_html(preview))
    except OSError as exc:
        raise InputError.one(args.out, None, f"cannot write the preview: {exc.strerror}") from None
    if args.summary:
        append(args.summary, render_markdown(preview))
    found = preview.all_problems()
    show(PreviewWritten(str(args.out), len(preview.threads), found))
    if preview.input_problems:
        return EXIT_USAGE
    return EXIT_FAILED if found else EXIT_OK
