"""The queue folder: one Markdown file per thread, edited by people and by the scheduled job.

A queue file is YAML front matter (machine fields) followed by the posts, each under a line
``---- post N ----``::

    ---
    id: 2025-05-20-mean-flows-for-one-step-generative-modeling
    platform: <name>
    status: pending
    not_before: 2025-05-20T09:00:00+09:00
    ...
    ---

    ---- post 1 ----
    Mean Flows for One-step Generative Modeling
    ...

Every write is atomic (a temporary file in the same folder, fsync, ``os.replace``), and one run at
a time holds ``.lock`` through ``fcntl.flock``, which the OS releases when the process dies.
A thread posted in full moves (one rename) to ``archive/YYYY-MM/``, so the folder itself holds
only open threads and a run reads only them.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as dt
import errno
import fcntl
import gc
import os
import re
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from publisher.errors import InputError, Problem, QueueBusy, QueueError
from publisher.store.common import SUFFIX, Status, is_item_name
from publisher.store.fileformat import read_item, render
from publisher.store.model import LoadedItem, QueueItem
from publisher.store.safeio import (
    MAX_FILE_BYTES,
    TMP_PREFIX,
    atomic_write,
    fsync_dir,
    odd_entry,
    read_bounded,
    write_temporary,
)

LOCK_NAME = ".lock"
LEDGER_NAME = "posted.txt"
ARCHIVE_NAME = "archive"  # queue/archive/YYYY-MM/: threads posted in full, by month posted
LEDGER_HEADER = (
    "# Threads posted in full, one <entry id>.<platform> a line. `publisher enqueue` never\n"
    "# queues these again, even once their files are deleted; remove a line to allow it.\n"
)

_SYNC_THREADS = 32  # concurrent fsyncs share the file system's journal commits
_MONTH = re.compile(r"\d{4}-\d{2}")


def month_of(moment: dt.datetime) -> str:
    """The archive folder name of a thread posted at ``moment`` (in ``moment``'s own zone)."""
    return f"{moment.year:04d}-{moment.month:02d}"


def _lock_refused(lock: Path, exc: OSError) -> str:
    """Why the lock could not be taken, with what to do: the true cause, not always the lock."""
    if lock.is_symlink():
        return f"{lock}: cannot take the queue lock (a symlink): remove it"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        where = "on a read-only file system" if exc.errno == errno.EROFS else "not writable"
        return (
            f"{lock.parent}: the queue folder is {where} ({exc.strerror}): a run writes its "
            "records there; make the folder writable for this user"
        )
    return f"{lock}: cannot take the queue lock ({exc.strerror or exc}): remove it"


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Reading 10,000 files makes millions of small objects and no cycles: the cyclic
    collector would only rescan them over and over (a quarter of the time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class FileQueue:
    """The queue folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def paths(self) -> list[Path]:
        if not self.root.is_dir():
            if self.root.exists():
                raise InputError.one(self.root, None, "the queue must be a folder, not a file")
            return []
        names = sorted(name for name in os.listdir(self.root) if is_item_name(name))
        return [self.root / name for name in names]

    def odd_entries(self) -> list[Problem]:
        """Everything in the folder that is not a queue file, a folder or its lock, by name."""
        if not self.root.is_dir():
            return []
        problems = []
        for name in sorted(os.listdir(self.root)):
            if is_item_name(name):
                continue  # read_item reports these
            path = self.root / name
            why = odd_entry(path)
            if why and not why.startswith("a folder"):
                problems.append(Problem(str(path), None, why))
        return problems

    def load(self) -> tuple[list[LoadedItem], list[Problem]]:
        """Every open item that reads cleanly, and the problems of the files that do not (and of
        anything in the folder that is not a regular file)."""
        items, problems = self._load(self.paths())
        return items, self.odd_entries() + problems

    @staticmethod
    def _load(paths: list[Path]) -> tuple[list[LoadedItem], list[Problem]]:
        items: list[LoadedItem] = []
        problems: list[Problem] = []
        with _gc_paused():
            for path in paths:
                try:
                    items.append(read_item(path))
                except InputError as exc:
                    problems.extend(exc.problems)
        return items, problems

    def path_of(self, item: QueueItem) -> Path:
        return self.root / item.filename

    @property
    def archive_root(self) -> Path:
        return self.root / ARCHIVE_NAME

    def archive_months(self) -> list[str]:
        """The archive's month folders (``YYYY-MM``), oldest first."""
        try:
            names = os.listdir(self.archive_root)
        except FileNotFoundError:
            return []
        return sorted(n for n in names if _MONTH.fullmatch(n))

    def archived_paths(self, months: Iterable[str] | None = None) -> list[Path]:
        """Archived queue files, of ``months`` only when given."""
        paths: list[Path] = []
        for month in self.archive_months() if months is None else months:
            folder = self.archive_root / month
            with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                paths.extend(folder / n for n in sorted(os.listdir(folder)) if is_item_name(n))
        return paths

    def load_archive(
        self, months: Iterable[str] | None = None
    ) -> tuple[list[LoadedItem], list[Problem]]:
        """Archived items (of ``months`` only, when given), like ``load``."""
        return self._load(self.archived_paths(months))

    def month_archive(self, now: dt.datetime, zone: dt.tzinfo) -> list[QueueItem]:
        """Archived threads that may hold posts of ``now``'s local day in ``zone``: those of its
        month folder (months are local to the schedule's zone, so today's posts are all in it)."""
        return [li.item for li in self.load_archive([month_of(now.astimezone(zone))])[0]]

    def open_and_month(self, now: dt.datetime, zone: dt.tzinfo) -> list[QueueItem]:
        """The open items that read cleanly plus this month's archive: every thread whose posts
        may count against today's caps or this month's budget."""
        return [li.item for li in self.load()[0]] + self.month_archive(now, zone)

    def find_archived(self, wanted: str) -> Path | None:
        """The archived file of a thread, by key (``<entry id>.<platform>``) or entry id (any
        platform), newest month first."""
        for month in reversed(self.archive_months()):
            path = self.archive_root / month / (wanted + SUFFIX)
            if path.is_file():
                return path
            for name in sorted(os.listdir(self.archive_root / month)):
                if is_item_name(name) and name.removesuffix(SUFFIX).rsplit(".", 1)[0] == wanted:
                    return self.archive_root / month / name
        return None

    def archive(self, item: QueueItem, month: str) -> Path:
        """Move a posted thread's file into ``archive/<month>/`` (one rename: it is in one
        folder or the other, never both nor neither). The caller holds the lock."""
        if item.status != Status.POSTED:
            raise ValueError(f"{item.key} is {item.status}, not posted: only posted threads move")
        if not _MONTH.fullmatch(month):
            raise ValueError(f"archive month {month!r} is not YYYY-MM")
        folder = self.archive_root / month
        created = not folder.is_dir()
        folder.mkdir(parents=True, exist_ok=True)
        if created:
            fsync_dir(self.archive_root)
            fsync_dir(self.root)
        target = folder / item.filename
        os.replace(self.path_of(item), target)
        fsync_dir(folder)
        fsync_dir(self.root)
        return target

    def save(self, item: QueueItem) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.path_of(item)
        atomic_write(path, render(item))
        return path

    def posted_keys(self) -> set[str]:
        """Threads posted in full, from the ledger (it outlives their queue files)."""
        path = self.root / LEDGER_NAME
        if not path.exists() and not path.is_symlink():
            return set()
        why = odd_entry(path)
        if why:
            raise InputError.one(path, None, why)
        data = read_bounded(path, 64 * MAX_FILE_BYTES)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise InputError.one(path, line, "not UTF-8") from None
        return {line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"}

    def record_posted(self, key: str) -> None:
        """Add ``key`` to the ledger of posted threads (atomically; the caller holds the lock)."""
        known = self.posted_keys()
        if key in known:
            return
        lines = sorted(known | {key})
        atomic_write(self.root / LEDGER_NAME, LEDGER_HEADER + "".join(f"{k}\n" for k in lines))

    def save_all(self, items: list[QueueItem]) -> list[Path]:
        """Write several new files; each appears whole or not at all.

        Each file still goes through a temporary file, its own fsync and ``os.replace``, so a
        crash leaves only whole files (and temporaries, removed under the next lock). The
        temporaries are written and synced by a few threads at once, which lets the file system
        commit their fsyncs together (a file at a time, 10,000 files took about 27 s here), and
        the folder, whose fsync makes the new names durable, is synced once for the batch.
        """
        if not items:
            return []
        self.root.mkdir(parents=True, exist_ok=True)
        texts = [(self.path_of(item), render(item)) for item in items]
        with concurrent.futures.ThreadPoolExecutor(_SYNC_THREADS) as pool:
            futures = [pool.submit(write_temporary, path.parent, text) for path, text in texts]
        errors = [f.exception() for f in futures if f.exception() is not None]
        if errors:  # e.g. a full disk: nothing of the batch appears
            for future in futures:
                if future.exception() is None:
                    with contextlib.suppress(OSError):
                        Path(future.result()).unlink()
            raise errors[0]  # type: ignore[misc]
        temporaries = [f.result() for f in futures]
        for (path, _), tmp in zip(texts, temporaries, strict=True):
            os.replace(tmp, path)
        fsync_dir(self.root)
        return [path for path, _ in texts]

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the queue for this process; ``QueueBusy`` if another run holds it."""
        if self.root.exists() and not self.root.is_dir():
            raise InputError.one(self.root, None, "the queue folder is not a folder")
        lock = self.root / LOCK_NAME
        created = not self.root.exists()  # then a run that wrote nothing leaves no folder behind
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            # Never follow a symlink: a `.lock` link would create or truncate a file elsewhere.
            fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK, 0o644)
        except OSError as exc:
            raise QueueError(_lock_refused(lock, exc)) from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise QueueError(f"{lock}: the lock is not a regular file: remove it")
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise QueueBusy(
                    f"the queue {self.root} is busy: another publisher run holds its lock"
                ) from None
            self._remove_stale_temporaries()
            yield
        finally:
            os.close(fd)
            if created and os.listdir(self.root) == [LOCK_NAME]:
                with contextlib.suppress(OSError):
                    lock.unlink()
                    self.root.rmdir()

    def _remove_stale_temporaries(self) -> None:
        for name in os.listdir(self.root):
            if name.startswith(TMP_PREFIX):
                with contextlib.suppress(OSError):
                    (self.root / name).unlink()
