"""The record of every post made: ``queue/posts.jsonl``, one JSON line per event, only appended.

The queue files are edited by people and merged by git; what was posted must not depend on them.
Each post the platform confirms is written here (and fsynced) before its queue file is updated,
and each post about to go out is written here before it is sent::

    {"event": "sending", "thread": "<entry id>.<platform>", "post": 2, "at": "..."}
    {"event": "posted", "thread": "...", "platform": "...", "post": 2, "id": "...", "url": "...",
     "uri": null, "cid": null, "at": "...", "sha": "...", "title": "...", "source": "..."}

Lines are only ever added, so two runs' additions, or a run's and a person's, merge in git with
no conflict (``merge=union``, see ``.gitattributes``). The runner, ``enqueue``, ``status`` and
the dry run read it as the truth: a post recorded here is never sent again, whatever its queue
file says, and a queue file's ``posted:`` block is a view of it (restored when an edit lost it).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from publisher.errors import Problem
from publisher.store import lifecycle
from publisher.store.model import LoadedItem, PostRecord, QueueItem, text_sha
from publisher.store.safeio import atomic_write, fsync_dir

LEDGER_FILE = "posts.jsonl"
ATTRIBUTES_LINE = f"{LEDGER_FILE} merge=union"
MAX_LEDGER_BYTES = 256 << 20


@dataclass
class Made:
    """A post the platform confirmed, as the ledger has it (its record read when asked for:
    a run asks for the few threads it has open, not the thousands posted)."""

    thread: str
    platform: str
    id: str
    url: str
    fields: dict[str, Any]
    title: str = ""
    source: str | None = None

    @property
    def record(self) -> PostRecord:
        return PostRecord.model_validate(
            {k: v for k, v in self.fields.items() if k in _RECORD_FIELDS}
        )


@dataclass
class LedgerView:
    """Everything the ledger says, by thread key."""

    made: dict[str, dict[int, Made]] = field(default_factory=dict)
    sending: dict[str, tuple[int, dt.datetime]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def records(self, key: str) -> list[PostRecord]:
        """The thread's posts made, 1, 2, … in order (stopping at the first one missing, or at
        a line that does not make a record)."""
        posts = self.made.get(key, {})
        out: list[PostRecord] = []
        while len(out) + 1 in posts:
            try:
                out.append(posts[len(out) + 1].record)
            except ValueError:
                self.problems.append(Problem(LEDGER_FILE, None, f"{key}: unreadable record"))
                break
        return out

    def ids(self) -> set[tuple[str, str]]:
        """Every (platform, post id) recorded."""
        return {(m.platform, m.id) for posts in self.made.values() for m in posts.values()}

    def threads(self) -> set[str]:
        """Every thread with at least one post made."""
        return {key for key, posts in self.made.items() if posts}

    def first_posts(self) -> list[Made]:
        """The first recorded post of each thread (its title and source name the paper)."""
        return [posts[min(posts)] for posts in self.made.values() if posts]


class Ledger:
    """``queue/posts.jsonl``."""

    def __init__(self, queue_root: Path) -> None:
        self.root = queue_root
        self.path = queue_root / LEDGER_FILE

    def read(self) -> LedgerView:
        """What the ledger says; a line that does not read (a torn write) is reported, skipped."""
        view = LedgerView()
        try:
            data = self.path.read_bytes()[:MAX_LEDGER_BYTES]
        except FileNotFoundError:
            return view
        except OSError as exc:
            view.problems.append(Problem(str(self.path), None, f"cannot read: {exc.strerror}"))
            return view
        for number, raw in enumerate(data.decode("utf-8", errors="replace").splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            try:
                _take(view, json.loads(line))
            except (ValueError, TypeError, KeyError, AttributeError):
                why = "not a ledger line (skipped; the ledger is only ever appended to)"
                view.problems.append(Problem(str(self.path), number, why))
        return view

    def append(self, event: dict[str, Any]) -> None:
        """Add one line and fsync it before returning (the caller holds the queue lock)."""
        self.root.mkdir(parents=True, exist_ok=True)
        line = json.dumps(event, ensure_ascii=False, sort_keys=True) + "\n"
        created = not self.path.exists()
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                line = "\n" + line  # a torn last line (a crash mid-write) stays on its own line
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            fsync_dir(self.root)

    def sending(self, item: QueueItem, index: int, at: dt.datetime) -> None:
        """Post ``index`` (0-based) of ``item`` is about to be sent."""
        self.append(
            {
                "event": "sending",
                "thread": item.key,
                "post": index + 1,
                "at": at.isoformat(),
            }
        )

    def posted(self, item: QueueItem, record: PostRecord) -> None:
        """``record`` was confirmed by the platform."""
        fields = record.model_dump(mode="json")
        self.append(
            {
                **fields,
                "event": "posted",
                "thread": item.key,
                "platform": item.platform,
                "title": item.title,
                "source": item.source,
            }
        )


_RECORD_FIELDS = set(PostRecord.model_fields)


def _take(view: LedgerView, event: dict[str, Any]) -> None:
    key = str(event["thread"])
    post = int(event["post"])
    if event["event"] == "sending":
        at = dt.datetime.fromisoformat(str(event["at"]))
        known = view.sending.get(key)
        # the latest post sent; for that post, its first send (which bounds its look-up)
        if known is None or post > known[0] or (post == known[0] and at < known[1]):
            view.sending[key] = (post, at)
        return
    if event["event"] != "posted":
        raise ValueError(event["event"])
    post_id, url = event["id"], event["url"]
    if post < 1 or not isinstance(post_id, str) or not isinstance(url, str):
        raise ValueError("not a record")
    made = Made(key, str(event["platform"]), post_id, url, event)
    made.title, made.source = str(event.get("title") or ""), event.get("source")
    view.made.setdefault(key, {}).setdefault(post, made)  # the first record of a post stands


# ---- queue files as views of the ledger ---------------------------------------------------------


def reconcile(loaded: LoadedItem, view: LedgerView) -> list[str]:
    """Make ``loaded.item`` agree with the ledger; what a person should know, one line each.

    Posts the ledger records are the thread's, whatever the file says: a ``posted:`` block lost
    by an edit, a restored older copy or a merge is put back. Posts the file records that the
    ledger lacks (a queue from before the ledger) are kept. A post whose text was edited after
    it was posted is said: the edit cannot take effect. The in-flight mark of a post the ledger
    saw go out, with no record of its outcome, is put back so that it is looked up, not resent.
    """
    item, path = loaded.item, loaded.path
    notes: list[str] = []
    ledger = view.records(item.key)
    merged = list(item.posted)
    changed: list[int] = []
    for record in ledger[: len(item.posts)]:
        index = record.post - 1
        if index < len(merged):
            if merged[index].id != record.id:
                merged[index] = record
                changed.append(record.post)
        elif index == len(merged):
            merged.append(record)
            changed.append(record.post)
    if changed:
        lifecycle.restore_records(item, merged)
        numbers = ", ".join(str(n) for n in changed)
        notes.append(
            f"{path}: posts {numbers} were made (recorded in {LEDGER_FILE}) but the file did not "
            "say so (an edit, a restored copy or a merge): its posted: records were restored "
            "from the ledger; those posts are not sent again"
        )
    if len(ledger) > len(item.posts):
        notes.append(
            f"{path}: {len(ledger)} posts of this thread were made but the file now has "
            f"{len(item.posts)}: the posts made stand as posted; nothing more is sent"
        )
    for record in item.posted:
        index = record.post - 1
        if record.sha and index < len(item.posts) and text_sha(item.posts[index]) != record.sha:
            notes.append(
                f"{path}: post {record.post} was edited after it was posted: the edit cannot "
                f"take effect (the post is public as sent, {record.url})"
            )
    flight = view.sending.get(item.key)
    if (
        flight is not None
        and flight[0] == item.next_index + 1
        and item.sending is None
        and item.next_index < len(item.posts)
    ):
        lifecycle.restore_mark(item, flight[0], flight[1])  # looked up before it is sent again
    return notes


def reconcile_all(items: list[LoadedItem], view: LedgerView) -> tuple[list[LoadedItem], list[str]]:
    """``reconcile`` every item; the items whose files should be saved again, and the notes."""
    changed: list[LoadedItem] = []
    notes: list[str] = []
    for loaded in items:
        before = (list(loaded.item.posted), loaded.item.status, loaded.item.sending)
        found = reconcile(loaded, view)
        notes += found
        after = (list(loaded.item.posted), loaded.item.status, loaded.item.sending)
        if after != before:
            changed.append(loaded)
    return changed, notes


def missing_from_ledger(
    items: list[QueueItem], view: LedgerView
) -> list[tuple[QueueItem, PostRecord]]:
    """Posts recorded in queue files that the ledger lacks (files from before the ledger)."""
    out = []
    for item in items:
        known = view.made.get(item.key, {})
        out += [(item, record) for record in item.posted if record.post not in known]
    return out


def ensure_attributes(queue_root: Path) -> None:
    """``queue/.gitattributes`` says git merges the ledger by union (both sides' lines kept)."""
    path = queue_root / ".gitattributes"
    with contextlib.suppress(OSError):
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        if ATTRIBUTES_LINE not in text.splitlines():
            joined = text + ("" if not text or text.endswith("\n") else "\n")
            atomic_write(path, joined + ATTRIBUTES_LINE + "\n")
