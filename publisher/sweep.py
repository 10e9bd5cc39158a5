"""Level-triggered enqueue: every digest under the folders given, each file on its own.

A sweep looks at the whole state, never at a push's diff, so a digest whose enqueue run was
cancelled (GitHub keeps one pending run per concurrency group) or failed is picked up by the next
sweep. Each file is all or nothing by itself: an invalid file is reported and the valid ones are
queued all the same.

A digest found in a folder whose hash is already listed in ``queue/enqueued.txt`` is not read
again: it was fully handled, and a queue file deleted since (a thread dropped by hand) must stay
deleted. Editing the digest, naming the file itself, or removing its line queues it again; an
edited digest also updates its threads not begun in place (``enqueue``'s ``edited``).

After a sweep, ``queue/enqueued.txt`` lists every digest file fully handled (queued, or every one
of its threads already queued or posted) in ``sha256sum`` format, ``<sha256>  <path>``, sorted
and rewritten atomically. The publish workflow's quick due check reads it: a digest whose hash is
not listed is still to do. An invalid digest is not listed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from publisher.cards import Card
from publisher.config import Settings
from publisher.digest import digest_bytes, read_digest
from publisher.due import DIGEST_SUFFIXES, is_digest_file
from publisher.enqueue import EnqueueReport, enqueue
from publisher.errors import InputError, Problem
from publisher.models import Digest
from publisher.plan import History
from publisher.platforms.base import Rules
from publisher.store.common import ENQUEUED_NAME, parse_enqueued
from publisher.store.filequeue import FileQueue
from publisher.store.safeio import MAX_FILE_BYTES, atomic_write, read_bounded

# A file's digests in, the digests to queue and their link cards (by entry id) out.
Prepare = Callable[[list[Digest]], tuple[list[Digest], Mapping[str, Card]]]


@dataclass
class SweepReport:
    """What a sweep did: per-file enqueue reports, and the problems of the invalid files."""

    reports: list[EnqueueReport] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    handled: dict[str, str] = field(default_factory=dict)  # path -> sha256 of its bytes
    unchanged: list[str] = field(default_factory=list)  # listed with this hash: not read again
    # Files under the folders that are not digests (another extension), each with why.
    ignored: list[str] = field(default_factory=list)


def digest_files(paths: Iterable[Path]) -> list[Path]:
    """The files named, and every digest file (``.txt``, ``.toml``) under the folders named.

    Hidden files and folders (``.git``, editor swap files) and README files are left out.
    """
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(p for p in sorted(path.rglob("*")) if is_digest_file(p, path))
        else:
            found.append(path)
    return list(dict.fromkeys(found))


def not_digests(paths: Iterable[Path]) -> list[str]:
    """Every file under the folders named that a sweep does not read for another extension
    (hidden files and README files aside), each named with the extensions that are read."""
    read = " and ".join(DIGEST_SUFFIXES)
    found = []
    for folder in paths:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            parts = path.relative_to(folder).parts
            if (
                path.suffix in DIGEST_SUFFIXES
                or path.name.upper().startswith("README")
                or any(part.startswith(".") for part in parts)
                or not path.is_file()
            ):
                continue
            what = f"its extension {path.suffix!r}" if path.suffix else "it has no extension"
            found.append(
                f"{path.as_posix()}: not read, {what}: only {read} files are digests "
                "(rename it to queue it)"
            )
    return found


def sweep(
    queue: FileQueue,
    paths: Iterable[Path],
    settings: Settings,
    rules: Mapping[str, Rules],
    now: dt.datetime,
    prepare: Prepare | None = None,
    limits: Mapping[str, Mapping[str, int]] | None = None,
) -> SweepReport:
    """Enqueue every digest file under ``paths``, each on its own; the caller holds the lock.

    ``prepare`` turns a file's digests into the digests to queue and their link cards (the
    arXiv look-up); it runs only for the files that are read. ``limits``: the servers' own
    (``enqueue.read_limits``), which ``rules`` were built with.
    """
    report = SweepReport()
    paths = list(paths)
    named = {p for p in paths if not p.is_dir()}
    listed = read_enqueued(queue)
    history: History | None = None  # read once, when the first digest needs it
    for path in digest_files(paths):
        try:
            data = digest_bytes(path)  # bounded: a FIFO or /dev/zero is refused, not read
        except InputError as exc:
            report.problems.extend(exc.problems)
            continue
        sha = hashlib.sha256(data).hexdigest()
        if path not in named and listed.get(path.as_posix()) == sha:
            # Handled before and unchanged since: a queue file deleted since stays deleted
            # (deleting a file drops its thread), and a big digests/ folder costs no re-reading.
            report.unchanged.append(path.as_posix())
            report.handled[path.as_posix()] = sha
            continue
        try:
            digests: list[Digest] = [read_digest(path)]
            cards: Mapping[str, Card] = {}
            if prepare is not None:
                digests, cards = prepare(digests)
            if history is None:
                history = History.read(queue, now, settings.schedule.zone, None)
            # Enqueued before with other bytes: the author edited it, and its threads not begun
            # follow the edit (a file named again unchanged leaves hand edits of the queue be).
            edited = listed.get(path.as_posix()) not in (None, sha)
            done = enqueue(queue, digests, settings, rules, now, cards, history, limits, edited)
        except InputError as exc:
            report.problems.extend(exc.problems)
            continue
        updated = {item.key: item for item in done.updated}
        history.existing[:] = [updated.get(item.key, item) for item in history.existing]
        report.reports.append(done)
        report.handled[path.as_posix()] = sha
    record_enqueued(queue, report.handled, invalid=_paths_of(report.problems))
    report.ignored = not_digests(paths)
    return report


def _paths_of(problems: list[Problem]) -> set[str]:
    return {Path(p.path).as_posix() for p in problems}


def read_enqueued(queue: FileQueue) -> dict[str, str]:
    """``queue/enqueued.txt`` as {path: sha256}; empty when there is none yet."""
    path = queue.root / ENQUEUED_NAME
    if not path.exists() and not path.is_symlink():
        return {}
    # Bounded, and never a FIFO or device (InputError naming the file), read as due.py reads it.
    data = read_bounded(path, 64 * MAX_FILE_BYTES)
    return parse_enqueued(data.decode("utf-8", errors="replace"))


def record_enqueued(queue: FileQueue, handled: dict[str, str], invalid: set[str]) -> None:
    """Merge ``handled`` into ``enqueued.txt``: files now invalid or gone are dropped."""
    known = read_enqueued(queue)
    known.update(handled)
    kept = {
        path: digest
        for path, digest in known.items()
        if path not in invalid and (path in handled or Path(path).exists())
    }
    text = "".join(f"{digest}  {path}\n" for path, digest in sorted(kept.items()))
    target = queue.root / ENQUEUED_NAME
    if not text and not target.exists():
        return
    if target.exists() and target.read_text(encoding="utf-8") == text:
        return
    queue.root.mkdir(parents=True, exist_ok=True)
    atomic_write(target, text)
