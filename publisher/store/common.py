"""What the queue package shares with ``publisher/due.py``: standard library only, imports nothing.

``due.py`` runs as a script before the package's dependencies are installed (``python3 -I
publisher/due.py``), so it loads this file by its path; the package imports it as
``publisher.store.common``. One definition each, then, of: the thread states (``Status``) and which
of them are open (``OPEN``), the rule for queue file names, the bounded read of a regular file, and
the ``enqueued.txt`` ledger's name and parser.
"""

from __future__ import annotations

import os
import stat
from enum import StrEnum
from pathlib import Path

SUFFIX = ".md"
ENQUEUED_NAME = "enqueued.txt"  # sha256sum lines: the digests `publisher enqueue` has handled


class Status(StrEnum):
    """A thread's state, as written in its queue file (``status: pending``).

    "Deferred" is not a state but a derived property (``is_deferred``): an open thread (``OPEN``)
    with a ``reason``, which only a run that left it records (a rate limit, an outage, a budget:
    ``lifecycle.defer`` and ``postpone``). ``publisher retry`` takes failed and deferred threads.
    No file ever holds ``status: deferred``.
    """

    PENDING = "pending"  # waiting for its time; nothing sent yet
    POSTING = "posting"  # some posts made (or one in flight), the rest to follow
    POSTED = "posted"  # every post made; the file moves to the archive
    FAILED = "failed"  # the platform refused a post for good: waits for `publisher retry`
    HELD = "held"  # kept back by a person: waits for `publisher release`


OPEN: frozenset[Status] = frozenset({Status.PENDING, Status.POSTING})  # a run may post these


def is_deferred(status: str, reason: str | None) -> bool:
    """Whether a thread is deferred: open, with a reason the run that left it recorded."""
    return status in OPEN and reason is not None


def is_item_name(name: str) -> bool:
    """Whether a file name in the queue folder is a queue file's (not hidden, not the README)."""
    return name.endswith(SUFFIX) and not name.startswith(".") and name != "README.md"


class NotRegular(OSError):
    """The path is a FIFO, a device or a folder, not a regular file: it was not read."""


def read_regular(path: Path, limit: int) -> bytes:
    """At most ``limit`` bytes of a regular file.

    Opened non-blocking and checked with ``fstat``, so a FIFO (which would hang the read) or a
    device (which would never end) swapped in after any check is never read: ``NotRegular``.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegular(0, "not a regular file")
        chunks = []
        left = min(info.st_size + 1, limit)  # +1: a file that grew since fstat is noticed
        while left > 0:
            chunk = os.read(fd, left)
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def parse_enqueued(text: str) -> dict[str, str]:
    """The lines of ``enqueued.txt`` (``<sha256>  <path>``, as ``sha256sum`` writes them) as
    {path: sha256}; comment lines (``#``) and anything else are skipped."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        digest, sep, name = line.partition("  ")
        digest, name = digest.strip().lower(), name.strip()
        if sep and not line.startswith("#") and len(digest) == 64 and name:
            found[name] = digest
    return found
