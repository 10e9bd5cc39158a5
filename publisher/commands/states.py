"""``publisher hold|release|retry ID...``: move threads between states by hand."""

from __future__ import annotations

import argparse
import datetime as dt

from publisher.commands._common import EXIT_OK, existing_queue, now_of, settings_of, show
from publisher.errors import InputError, TransitionRefused
from publisher.reports import StatusChange, StatusChanges
from publisher.store.fileformat import read_item
from publisher.store.filequeue import FileQueue
from publisher.store.lifecycle import BY_HAND


def run(args: argparse.Namespace) -> int:
    """``hold``, ``release`` or ``retry`` (``args.command``) each ID; print what changed."""
    settings = settings_of(args)
    now = now_of(args, settings)
    queue = FileQueue(existing_queue(args))
    report = StatusChanges()
    try:
        with queue.lock():
            for wanted in args.ids:
                _change(queue, wanted, args, now, report)
    finally:  # the files changed before a bad ID stay changed: say so
        show(report)
    return EXIT_OK


def _change(
    queue: FileQueue,
    wanted: str,
    args: argparse.Namespace,
    now: dt.datetime,
    report: StatusChanges,
) -> None:
    command = args.command
    matches = [p for p in queue.paths() if wanted in (p.stem, p.stem.rsplit(".", 1)[0])]
    if not matches:
        archived = queue.find_archived(wanted)
        if archived is not None:
            why = f"{wanted} was posted in full and archived: nothing to {command}"
            raise InputError.one(archived, None, why)
        raise InputError.one(args.queue, None, f"no queue item {wanted!r}")
    for path in matches:
        item = read_item(path).item
        before = item.status
        try:
            note = BY_HAND[command](item, now)
        except TransitionRefused as exc:
            lines = path.read_text(encoding="utf-8").splitlines()
            line = next((n for n, t in enumerate(lines, 1) if t.startswith("status:")), None)
            raise InputError.one(path, line, str(exc)) from None
        if not note:
            queue.save(item)
        report.changes.append(StatusChange(str(path), before, item.status, note or ""))
