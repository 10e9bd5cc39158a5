"""The queue file format: YAML front matter (machine fields) and ``---- post N ----`` posts.

``render`` writes one value a line, and ``parse`` reads that layout without a YAML parser (a run
reads every file); anything else a person wrote goes to the YAML safe loader, which is always right.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from publisher.errors import InputError, Problem
from publisher.hygiene import forbidden_in_lines, forbidden_in_text
from publisher.store.model import LoadedItem, QueueItem
from publisher.store.safeio import odd_entry, read_bounded

_SEPARATOR_START = "---- post "
_SEPARATOR_LINE = re.compile(r"---- post (\d+) ----[ \t]*$", re.MULTILINE)
_NESTED = ("card", "limits")  # the front-matter keys that hold a mapping
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


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
