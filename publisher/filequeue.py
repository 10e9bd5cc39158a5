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
import functools
import gc
import hashlib
import json
import os
import re
import stat
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from publisher.cards import Card
from publisher.errors import InputError, Problem, QueueBusy, QueueError
from publisher.hygiene import forbidden_in_lines, forbidden_in_text
from publisher.lifecycle import Status

SUFFIX = ".md"
LOCK_NAME = ".lock"
LEDGER_NAME = "posted.txt"
ARCHIVE_NAME = "archive"  # queue/archive/YYYY-MM/: threads posted in full, by month posted
LEDGER_HEADER = (
    "# Threads posted in full, one <entry id>.<platform> a line. `publisher enqueue` never\n"
    "# queues these again, even once their files are deleted; remove a line to allow it.\n"
)
TMP_PREFIX = ".tmp-"
MAX_FILE_BYTES = 1 << 20  # a queue file is a few KB; anything near this is not one
_SEPARATOR_START = "---- post "
_SEPARATOR_LINE = re.compile(r"---- post (\d+) ----[ \t]*$", re.MULTILINE)
_NESTED = ("card", "limits")  # the front-matter keys that hold a mapping
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def text_sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


class PostRecord(BaseModel):
    """A post the platform confirmed."""

    model_config = ConfigDict(extra="forbid")

    post: int = Field(ge=1)
    id: str
    url: str
    uri: str | None = None
    cid: str | None = None
    at: AwareDatetime
    sha: str = ""  # of the text as sent, to notice edits made after posting
    # Its price class as sent ("plain" or "url"), for the month's spend; None where posts are free.
    price_class: Literal["plain", "url"] | None = None


class QueueItem(BaseModel):
    """One thread for one platform, as stored in its queue file."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    id: str = Field(min_length=1)
    platform: str
    title: str = ""
    source: str | None = None
    status: Status = Status.PENDING  # changed only by publisher.lifecycle
    not_before: AwareDatetime
    created: AwareDatetime
    reason: str | None = None
    sending: int | None = None  # the post in flight: its outcome is unknown until recorded
    # When the `sending` mark was first set, by the real clock (not --now): a post found later
    # that was created before it (less a small allowance) belongs to someone else.
    sending_at: AwareDatetime | None = None
    # Every author, comma-separated, for reference: the header may show only the first
    # format.max_authors. One line, so the fast front-matter reader still takes the file.
    authors: str = ""
    card: Card | None = None  # the link card of the first post (its image fetched at send time)
    # The limits the platform's server announced at enqueue ({"max_characters": 500, ...}):
    # the posts were laid out within them and are checked against them, whatever the server
    # says later. None: the platform's own defaults.
    limits: dict[str, int] | None = None
    posted: list[PostRecord] = Field(default_factory=list)
    posts: list[str] = Field(default_factory=list, exclude=True)

    @property
    def key(self) -> str:
        """The thread's stable id: entry id and platform."""
        return f"{self.id}.{self.platform}"

    @property
    def filename(self) -> str:
        return self.key + SUFFIX

    @property
    def next_index(self) -> int:
        """0-based index of the next post to send."""
        return len(self.posted)


@dataclass
class LoadedItem:
    """A queue item with where it came from: path and the line each post starts on."""

    item: QueueItem
    path: Path
    post_lines: list[int]


def render(item: QueueItem) -> str:
    """The file text of ``item``."""
    fields = item.model_dump(mode="json", exclude={"posts", "posted"})
    # Optional keys are written only when set, so files stay as earlier versions wrote them.
    if not fields.get("authors"):
        fields.pop("authors", None)
    for key in _NESTED:
        if fields.get(key) is None:
            fields.pop(key, None)  # only threads with a card (or server limits) carry the key
    # One line per value (no folding), so the fast reader below takes every file we write.
    head = yaml.dump(fields, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1 << 20)
    # Each record on one line as a JSON object, which is also a YAML flow mapping.
    records = [
        json.dumps(r.model_dump(mode="json", exclude=None if r.price_class else {"price_class"}))
        for r in item.posted
    ]
    head += "posted:" + "".join(f"\n- {r}" for r in records) + "\n" if records else "posted: []\n"
    body = "".join(
        f"\n---- post {i} ----\n{text.rstrip()}\n" for i, text in enumerate(item.posts, 1)
    )
    return f"---\n{head}---\n{body}"


def parse(text: str, path: Path) -> LoadedItem:
    """Read a queue file's text; ``InputError`` with the path and line of every problem."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise InputError.one(path, 1, "a queue file starts with a '---' line (front matter)")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise InputError.one(path, 1, "front matter is not closed by a '---' line") from None
    fields = _simple_front_matter(lines, end)
    if fields is None:  # the fast reader refuses repeated keys; YAML would keep the last one
        _refuse_repeated_keys(lines, end, path)
    try:
        if fields is None:  # anything beyond the plain layout `render` writes: ask YAML
            fields = yaml.load("\n".join(lines[1:end]), Loader=_Loader)  # noqa: S506 - safe loaders only
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 2
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise InputError.one(path, line, f"front matter is not valid YAML: {problem}") from None
    if not isinstance(fields, dict):
        raise InputError.one(path, 2, "front matter must be a mapping of fields")
    posts, post_lines, problems = _posts(lines, end + 1, path)
    problems += forbidden_in_text(text, str(path))
    if problems:
        raise InputError(problems)
    try:
        item = QueueItem.model_validate({**fields, "posts": posts})
    except ValidationError as exc:
        raise InputError(
            [
                Problem(str(path), _field_line(lines, end, e["loc"]), _message(e))
                for e in exc.errors()
            ]
        ) from None
    # YAML escapes ("\u202e", "\n") reach the fields without being in the text scanned above.
    title_line = _field_line(lines, end, ("title",))
    if "\n" in item.title or "\r" in item.title:
        raise InputError.one(path, title_line, "title: must be one line")
    found = forbidden_in_lines([(title_line, item.title)], str(path))
    if found:
        raise InputError(found)
    _check_records(item, lines, end, path)
    return LoadedItem(item=item, path=path, post_lines=post_lines)


_TOP_KEY = re.compile(r"([^\s#'\"\-?:][^:#]*?)\s*:(?:\s|$)")


def _refuse_repeated_keys(lines: list[str], end: int, path: Path) -> None:
    """A key written twice (say ``status: held`` above ``status: pending``) is a mistake: YAML
    keeps the last silently, which would post a thread its editor meant to hold."""
    seen: dict[str, int] = {}
    for number in range(1, end):
        match = _TOP_KEY.match(lines[number])
        if match is None:
            continue
        key = match.group(1)
        if key in seen:
            raise InputError.one(
                path,
                number + 1,
                f"{key!r} is given twice (first on line {seen[key]}): keep one",
            )
        seen[key] = number + 1


def _check_records(item: QueueItem, lines: list[str], end: int, path: Path) -> None:
    """``posted:`` records must be posts 1, 2, … in order, no more than the thread has."""
    numbers = [record.post for record in item.posted]
    if numbers == list(range(1, len(numbers) + 1)) and len(numbers) <= len(item.posts):
        return
    line = _field_line(lines, end, ("posted",))
    if len(numbers) > len(item.posts):
        message = (
            f"{len(numbers)} posted records, but the thread has {len(item.posts)} posts: "
            "a record stands for a post really made, one per post"
        )
    else:
        message = f"posted records must be posts 1 to {len(numbers)} in order, not {numbers}"
    raise InputError.one(path, line, message)


# What a plain (unquoted) scalar may not start with, contain or end with.
_NOT_PLAIN = re.compile(r"""^(?:$|[-?:,\[\]{}#&*!|>'"%@`\s])|: | #|:$|\s$""")
_RESOLVER = yaml.resolver.Resolver()
_STR_TAG = "tag:yaml.org,2002:str"


_UNPRINTABLE = re.compile(  # tabs, line breaks and what YAML cannot print: leave them to YAML
    "[^\\x20-\\x7e\\xa0-\\u2027\\u202a-\\ud7ff\\ue000-\\ufefe\\uff00-\\ufffd\\U00010000-\\U0010ffff]"
)


def _scalar(raw: str) -> tuple[bool, Any]:
    """A YAML scalar as ``render`` writes it, or (False, None) when it takes YAML to read."""
    if raw == "[]":
        return True, []
    return _immutable_scalar(raw)


@functools.lru_cache(maxsize=4096)  # status, platform, times and sources repeat across files
def _immutable_scalar(raw: str) -> tuple[bool, str | int | None]:
    if _UNPRINTABLE.search(raw):
        return False, None
    if raw == "null":
        return True, None
    if raw.isascii() and raw.isdigit() and (raw == "0" or not raw.startswith("0")):
        return True, int(raw)
    if (
        len(raw) >= 2
        and raw[0] == "'"
        and raw[-1] == "'"
        and "'" not in raw[1:-1].replace("''", "")
    ):
        return True, raw[1:-1].replace("''", "'")
    if _NOT_PLAIN.search(raw):
        return False, None
    if _RESOLVER.resolve(yaml.ScalarNode, raw, (True, False)) != _STR_TAG:  # type: ignore[no-untyped-call]
        return False, None  # YAML reads it as a number, a date, a boolean…: let YAML say so
    return True, raw


def _simple_front_matter(lines: list[str], end: int) -> dict[str, Any] | None:
    """Front matter in exactly the layout ``render`` writes, read without a YAML parser.

    YAML is slow (~0.2 ms a file) and a run reads every file. Anything else a person may have
    written (comments, double quotes, block scalars, other indentation) returns None, and the
    caller asks the YAML parser, which is always right.
    """
    fields: dict[str, Any] = {}
    records: list[dict[str, Any]] | None = None
    nested: dict[str, Any] | None = None  # a `card:` or `limits:` mapping, two-space indented
    for line in lines[1:end]:
        if nested is not None and line.startswith("  ") and records is None:
            key, colon, raw = line[2:].partition(":")
            if not colon or not key.isidentifier() or key in nested or raw[:1] != " ":
                return None
            ok, value = _scalar(raw[1:])
            if not ok:
                return None
            nested[key] = value
            continue
        nested = None
        if records is not None:  # `posted:` records, one JSON object (a YAML flow map) a line
            if not line.startswith("- {") or not line.isascii():
                return None
            try:
                record = json.loads(line[2:])
            except ValueError:
                return None
            if not isinstance(record, dict):
                return None
            records.append(record)
            continue
        key, colon, raw = line.partition(":")
        if not colon or not key.isidentifier() or key in fields:
            return None
        if not raw:
            if key in _NESTED:
                fields[key] = nested = {}
                continue
            if key != "posted":
                return None
            fields[key] = records = []
            continue
        if raw[0] != " ":
            return None
        ok, value = _scalar(raw[1:])
        if not ok:
            return None
        fields[key] = value
    for key in _NESTED:
        if fields.get(key) == {}:
            fields[key] = None  # `card:` with nothing under it, as YAML reads it
    return fields


def _message(error: Any) -> str:
    loc = ".".join(str(p) for p in error["loc"])
    if error.get("type") == "extra_forbidden" and len(error["loc"]) == 1:
        known = ", ".join(name for name in QueueItem.model_fields if name != "posts")
        return f"unknown key {loc!r} (a misspelling?); the front matter takes {known}"
    return f"{loc}: {error['msg']}" if loc else str(error["msg"])


def _field_line(lines: list[str], end: int, loc: tuple[Any, ...]) -> int:
    if loc:
        for i in range(1, end):
            if lines[i].startswith(f"{loc[0]}:"):
                return i + 1
    return 2


def _separators(body: str) -> list[re.Match[str]]:
    """The ``---- post N ----`` lines of ``body`` (a substring search, then the exact pattern)."""
    found = []
    at = body.find(_SEPARATOR_START)
    while at != -1:
        if at == 0 or body[at - 1] == "\n":
            match = _SEPARATOR_LINE.match(body, at)
            if match:
                found.append(match)
        at = body.find(_SEPARATOR_START, at + 1)
    return found


def _posts(lines: list[str], start: int, path: Path) -> tuple[list[str], list[int], list[Problem]]:
    """The posts below the front matter (``lines[start:]``), the line each starts on, problems."""
    body = "\n".join(lines[start:])
    posts: list[str] = []
    starts: list[int] = []
    problems: list[Problem] = []
    where = str(path)
    seps = _separators(body)
    head = body[: seps[0].start()] if seps else body
    if head.strip():
        offset = len(head) - len(head.lstrip())
        line = start + 1 + head.count("\n", 0, offset)
        problems.append(Problem(where, line, "text before the first '---- post 1 ----' line"))
    elif not seps:
        problems.append(Problem(where, start + 1, "no posts: expected '---- post 1 ----'"))
    line = start + 1
    cursor = 0
    for number, match in enumerate(seps, 1):
        line += body.count("\n", cursor, match.start())
        cursor = match.start()
        if int(match.group(1)) != number:
            problems.append(Problem(where, line, f"expected '---- post {number} ----' here"))
        end = seps[number].start() if number < len(seps) else len(body)
        text = body[match.end() : end].strip("\n")
        if not text.strip():
            problems.append(Problem(where, line, f"post {number} is empty"))
        posts.append(text)
        starts.append(line + 1)
    return posts, starts, problems


def odd_entry(path: Path) -> str | None:
    """Why ``path`` in the queue folder must not be opened for reading, or None if it is fine.

    FIFOs would hang a read, devices (a symlink to /dev/zero) never end, and a symlink that
    leaves the folder would read (or overwrite) a file that is not the queue's.
    """
    try:
        info = os.lstat(path)
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    if stat.S_ISREG(info.st_mode):  # the common case, first: a run reads thousands of these
        return None
    if stat.S_ISLNK(info.st_mode):
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return "a broken or looping symlink"
        if target.parent != path.parent.resolve():
            return "a symlink that leaves the queue folder: not read"
        info = target.stat()
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        kind = "a FIFO" if stat.S_ISFIFO(info.st_mode) else kind
        kind = "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) else kind
        return f"{kind}: not read"
    return None


def read_bounded(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; ``InputError`` otherwise.

    Opened non-blocking and checked with ``fstat``, so a FIFO or device swapped in after a
    check is never read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise InputError.one(path, None, f"cannot read: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputError.one(path, None, "not a regular file: not read")
        chunks = []
        left = min(info.st_size, limit) + 1  # +1: a file that grew past the limit is noticed
        while left > 0:
            chunk = os.read(fd, left)
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
    except OSError as exc:
        raise InputError.one(path, None, f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise InputError.one(path, None, f"larger than {limit} bytes: not a queue file")
    return data


def read_item(path: Path) -> LoadedItem:
    why = odd_entry(path)
    if why:
        raise InputError.one(path, None, why)
    data = read_bounded(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError.one(path, line, f"not UTF-8: invalid byte at offset {exc.start}") from None
    loaded = parse(text, path)
    if path.name != loaded.item.filename:
        # The file name is the thread's identity: saving under another name would fork it.
        line = next((n for n, s in enumerate(text.splitlines(), 1) if s.startswith("id:")), 2)
        raise InputError.one(
            path,
            line,
            f"id and platform name this thread {loaded.item.key!r}, but the file is {path.name!r}:"
            " undo the edit of id/platform (the file name is the thread's identity)",
        )
    return loaded


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a crash leaves the old file or the new, never half."""
    _write_replace(path, text)
    _fsync_dir(path.parent)


def _write_replace(path: Path, text: str) -> None:
    """The file part of ``atomic_write``: the folder's fsync is the caller's."""
    tmp = _write_temporary(path.parent, text)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
        raise


def _write_temporary(folder: Path, text: str) -> str:
    """A synced temporary file in ``folder`` holding ``text``: its path."""
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=".tmp", dir=folder)
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes 0600; queue files are ordinary repository files
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
        raise
    return tmp


_SYNC_THREADS = 32  # concurrent fsyncs share the file system's journal commits
_MONTH = re.compile(r"\d{4}-\d{2}")


def _is_item_name(name: str) -> bool:
    return name.endswith(SUFFIX) and not name.startswith(".") and name != "README.md"


def _fsync_dir(folder: Path) -> None:
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


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
        names = sorted(name for name in os.listdir(self.root) if _is_item_name(name))
        return [self.root / name for name in names]

    def odd_entries(self) -> list[Problem]:
        """Everything in the folder that is not a queue file, a folder or its lock, by name."""
        if not self.root.is_dir():
            return []
        problems = []
        for name in sorted(os.listdir(self.root)):
            if _is_item_name(name):
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
                paths.extend(folder / n for n in sorted(os.listdir(folder)) if _is_item_name(n))
        return paths

    def load_archive(
        self, months: Iterable[str] | None = None
    ) -> tuple[list[LoadedItem], list[Problem]]:
        """Archived items (of ``months`` only, when given), like ``load``."""
        return self._load(self.archived_paths(months))

    def find_archived(self, wanted: str) -> Path | None:
        """The archived file of a thread, by key (``<entry id>.<platform>``) or entry id (any
        platform), newest month first."""
        for month in reversed(self.archive_months()):
            path = self.archive_root / month / (wanted + SUFFIX)
            if path.is_file():
                return path
            for name in sorted(os.listdir(self.archive_root / month)):
                if _is_item_name(name) and name.removesuffix(SUFFIX).rsplit(".", 1)[0] == wanted:
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
            _fsync_dir(self.archive_root)
            _fsync_dir(self.root)
        target = folder / item.filename
        os.replace(self.path_of(item), target)
        _fsync_dir(folder)
        _fsync_dir(self.root)
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
            futures = [pool.submit(_write_temporary, path.parent, text) for path, text in texts]
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
        _fsync_dir(self.root)
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
