"""The TOML form of a digest: ``date`` at the top, then one ``[[paper]]`` table per entry.

Line numbers come from a light scan of the text (``tomllib`` gives none), so problems still name
the line of the paper or key they are about.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from typing import Any

from pydantic import ValidationError

from publisher.digest._common import (
    BOM,
    LINE_BREAK,
    PLACEHOLDER_DATE,
    Report,
    describe,
    parse_date,
    result,
    same,
    split_authors,
    url_of,
)
from publisher.errors import Problem
from publisher.models import Digest, DigestEntry

PAPER_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*(?:paper|\"paper\"|'paper')[ \t]*\]\]")
TOML_LINE = re.compile(r"\(at line (\d+), column \d+\)|\(at end of document\)")


def parse_digest_toml(text: str, path: str = "<digest>") -> Digest:
    """Parse a digest in the TOML form; raise :class:`InputError` with every problem."""
    problems: list[Problem] = []
    digest = parse_toml(text, path, problems)
    return result(digest, path, problems)


class _TomlLines:
    """Best-effort line numbers of the ``[[paper]]`` headers and keys of a TOML text."""

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        self.headers = [no for no, line in enumerate(self.lines, 1) if PAPER_HEADER.match(line)]

    def paper(self, index: int) -> int | None:
        return self.headers[index] if index < len(self.headers) else None

    def key(self, key: str, paper: int | None = None) -> int | None:
        """The line of ``key =`` at the top (paper None) or inside the paper-th table."""
        if paper is None:
            first, last = 1, (self.headers[0] - 1 if self.headers else len(self.lines))
        else:
            header = self.paper(paper)
            if header is None:
                return None
            first = header + 1
            last = self.headers[paper + 1] - 1 if paper + 1 < len(self.headers) else len(self.lines)
        pattern = re.compile(rf"^[ \t]*(?:{re.escape(key)}|\"{re.escape(key)}\")[ \t]*=")
        for no in range(first, last + 1):
            if pattern.match(self.lines[no - 1]):
                return no
        return None


def parse_toml(text: str, path: str, problems: list[Problem]) -> Digest | None:
    """The digest in the TOML form, or None after adding every problem to ``problems``."""
    start = len(problems)

    def report(line: int | None, message: str) -> None:
        problems.append(Problem(path, line, message))

    text = text.removeprefix(BOM)
    data = _load(text, report)
    if data is None:
        return None

    where = _TomlLines(text)
    for key in data:
        if key not in ("date", "paper"):
            report(where.key(key), f'unknown key "{key}": expected "date" and [[paper]] tables')

    date = _toml_date(data.get("date"), where.key("date"), report)

    entries, entry_lines = _entries(data.get("paper"), date or PLACEHOLDER_DATE, where, report)
    if len(problems) > start or date is None:
        return None
    lines = entry_lines if all(entry_lines) else []
    return Digest(date=date, entries=entries, source=path, lines=lines)


def _load(text: str, report: Report) -> dict[str, Any] | None:
    """The parsed TOML, or None after reporting why it is not valid TOML (with its line)."""
    if not text.strip():
        report(None, "file is empty")
        return None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = TOML_LINE.search(str(exc))
        if found and found.group(1):
            line: int | None = int(found.group(1))
        elif found:
            line = len(text.split("\n"))
        else:
            line = None
        reason = TOML_LINE.sub("", str(exc)).strip()
        report(line, f"not valid TOML: {reason[:1].lower()}{reason[1:]}")
        return None
    except RecursionError:
        report(None, "not valid TOML: nested too deeply")
        return None


def _entries(
    papers: Any, date: dt.date, where: _TomlLines, report: Report
) -> tuple[list[DigestEntry], list[int]]:
    """The entries of the ``[[paper]]`` tables and their lines (0 where unknown); no duplicate."""
    entries: list[DigestEntry] = []
    entry_lines: list[int] = []
    if papers is None or papers == []:
        report(None, "no papers: expected [[paper]] tables with title, authors, abstract, ...")
        return entries, entry_lines
    if not isinstance(papers, list) or not all(isinstance(p, dict) for p in papers):
        report(where.key("paper"), "paper must be [[paper]] tables")
        return entries, entry_lines
    seen: dict[str, int | None] = {}
    for index, table in enumerate(papers):
        entry = _toml_entry(table, index, date, where, report)
        if entry is None:
            continue
        line = where.paper(index)
        if entry.id in seen:
            first = seen[entry.id]
            at = f"the entry at line {first}" if first else "an earlier entry"
            report(line, f'entry "{entry.title}" is a duplicate of {at} ({same(entry)})')
            continue
        seen[entry.id] = line
        entries.append(entry)
        entry_lines.append(line or 0)
    return entries, entry_lines


def _toml_date(value: Any, line: int | None, report: Report) -> dt.date | None:
    if value is None:
        report(None, 'no date: expected a line like "date = 2025-05-20" at the top')
        return None
    if isinstance(value, dt.datetime | dt.time) or not isinstance(value, dt.date | str):
        report(line, "date must be a day like 2025-05-20")
        return None
    if isinstance(value, dt.date):
        return value
    date, is_date = parse_date(value.strip())
    if not is_date:
        report(line, f'date "{value}" is not a date: expected a day like 2025-05-20')
    elif date is None:
        report(line, f'date "{value.strip()}" does not exist')
    return date


def _normalise(data: dict[str, Any]) -> dict[str, Any]:
    """The shorthands the TOML form allows, written out as the entry model takes them.

    Authors as one comma-separated string, comments as multi-line strings, hashtags as one
    string or with their '#', and a paper URL written as the plain-text layout allows.
    """
    if isinstance(data.get("authors"), str):
        authors, message = split_authors(f"({data['authors']})")
        data["authors"] = authors if message is None else [data["authors"]]
    for key in ("comment_ko", "comment_en"):
        if key in data:
            data[key] = _toml_lines(data[key])
    tags = data.get("hashtags")
    if isinstance(tags, str):
        tags = tags.split()
    if isinstance(tags, list):
        data["hashtags"] = [t.strip().removeprefix("#") if isinstance(t, str) else t for t in tags]
    url = data.get("url")
    if isinstance(url, str):
        data["url"] = url_of(url.strip()) or url
    return data


def _toml_lines(value: Any) -> Any:
    """A paragraph array, or a multi-line string split into its non-blank lines."""
    if isinstance(value, str):
        return [line.strip() for line in LINE_BREAK.split(value) if line.strip()]
    return value


def _toml_entry(
    table: dict[str, Any], index: int, date: dt.date, where: _TomlLines, report: Report
) -> DigestEntry | None:
    header = where.paper(index)
    title = table.get("title")
    if isinstance(title, str) and title.strip():
        name = f'entry "{title.strip()}"'
    else:
        name = f"paper #{index + 1}"

    def line_of(key: str) -> int | None:
        return where.key(key, index) if header is not None else None

    found = 0
    for key in ("title", "abstract"):
        value = table.get(key)
        if isinstance(value, str) and len(LINE_BREAK.split(value.strip())) > 1:
            report(line_of(key) or header, f"{name}: the {key} must be one line")
            found += 1
    if found:
        return None

    data: dict[str, Any] = dict(table)
    if "date" in data:
        report(
            line_of("date") or header,
            f'{name}: unknown key "date": every paper takes the date at the top of the file',
        )
        return None
    if "url_looked_up" in data:  # set by the arXiv look-up only, never by a digest
        report(line_of("url_looked_up") or header, f'{name}: unknown key "url_looked_up"')
        return None
    data["date"] = date
    try:
        return DigestEntry.model_validate(_normalise(data))
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error.get("loc", ()))
            key = str(loc[0]) if loc else ""
            line = (line_of(key) if key in table else None) or header
            report(line, f"{name}: {describe(error)}")
        return None
