"""Reading a day's digest: the plain-text layout and the TOML form, reporting every problem.

The plain-text layout (see ``examples/digest-2025-05-20.txt``)::

    2025년 5월 20일                       date line (or 2025-05-20)
    Mean Flows for One-step ...           title
    (Zhengyang Geng, Mingyang Deng, ...)  authors, comma-separated at parenthesis depth 0
    https://arxiv.org/abs/2505.13447      optional: URL, "arXiv:2505.13447" or "2505.13447"
    We propose a principled ...           abstract: one line, English
    평균 속도를 추정하는 ...                Korean comment: one or more lines with Hangul
    An 1/few-shot flow matching ...       English comment: as many lines, without Hangul
    #diffusion #generative-models         hashtags: ends the entry

Lines are told apart by what they are (Hangul, parentheses, '#', URL), never by counting, and
blank lines are ignored. Korean line *i* and English line *i* are paragraph *i* of the comment.

Every problem in a file is collected as a :class:`Problem` with its line, and all of them are
raised together as one :class:`InputError`; nothing else ever escapes from this module.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from publisher.errors import InputError, Problem
from publisher.hygiene import forbidden_in_lines, forbidden_in_text
from publisher.models import Digest, DigestEntry

__all__ = [
    "format_digest_text",
    "parse_digest_text",
    "parse_digest_toml",
    "read_digest",
    "read_digests",
]

BOM = "\ufeff"
MAX_DIGEST_BYTES = 5_000_000  # documented in the README
HANGUL = re.compile(
    "[\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7a3\ud7b0-\ud7ff\uffa0-\uffdc]"
)
KOREAN_DATE = re.compile(r"([0-9]{4})\s*년\s*([0-9]{1,2})\s*월\s*([0-9]{1,2})\s*일")
ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
URL_LINE = re.compile(r"https?://\S+")
ARXIV_LINE = re.compile(r"(?:arxiv:\s*)?([0-9]{4}\.[0-9]{4,5}(?:v[0-9]+)?)", re.IGNORECASE)
HASHTAG_WORD = re.compile(r"#[^\s#]+")
LINE_BREAK = re.compile(r"\r\n|\r|\n")
PAPER_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*(?:paper|\"paper\"|'paper')[ \t]*\]\]")
TOML_LINE = re.compile(r"\(at line (\d+), column \d+\)|\(at end of document\)")

EXAMPLE_DATE = "2025년 5월 20일"
EXAMPLE_AUTHORS = "(Author One, Author Two)"
EXAMPLE_HASHTAGS = "#rl #reasoning"
# The date the entries of a digest with an impossible date are checked with, so that their own
# problems are still reported.
PLACEHOLDER_DATE = dt.date(2000, 1, 1)

FIELD_LABELS = {
    "date": "date",
    "title": "title",
    "authors": "authors",
    "abstract": "abstract",
    "comment_ko": "Korean comment",
    "comment_en": "English comment",
    "hashtags": "hashtags",
    "url": "URL",
}


Report = Callable[[int | None, str], None]

# ----------------------------------------------------------------------------- public API


def parse_digest_text(text: str, path: str = "<digest>") -> Digest:
    """Parse a digest in the plain-text layout; raise :class:`InputError` with every problem."""
    problems: list[Problem] = []
    digest = _parse_text(text, path, problems)
    return _result(digest, path, problems)


def parse_digest_toml(text: str, path: str = "<digest>") -> Digest:
    """Parse a digest in the TOML form; raise :class:`InputError` with every problem."""
    problems: list[Problem] = []
    digest = _parse_toml(text, path, problems)
    return _result(digest, path, problems)


def read_digest(path: Path) -> Digest:
    """Read one digest file: ``.toml`` is the structured form, anything else plain text."""
    problems: list[Problem] = []
    digest = _read(Path(path), problems)
    return _result(digest, str(path), problems)


def read_digests(paths: Iterable[Path]) -> list[Digest]:
    """Read every file, or none: the problems of all the files are raised as one InputError."""
    problems: list[Problem] = []
    digests: list[Digest] = []
    for path in paths:
        found: list[Problem] = []
        digest = _read(Path(path), found)
        if digest is None and not found:
            found.append(Problem(str(path), None, "could not read the digest"))
        problems.extend(found)
        if digest is not None:
            digests.append(digest)
    if problems:
        raise InputError(problems)
    return digests


def format_digest_text(digest: Digest) -> str:
    """Write a digest in the plain-text layout that :func:`parse_digest_text` reads back.

    Entries are written one after the other, without blank lines, as in the example digest.
    Only content the layout can hold reads back equal: one-line fields, Korean lines with Hangul,
    English lines and the abstract without, authors without a comma at parenthesis depth 0.
    """
    date = digest.date
    lines = [f"{date.year}년 {date.month}월 {date.day}일"]
    for entry in digest.entries:
        lines.append(entry.title)
        lines.append("(" + ", ".join(entry.authors) + ")")
        if entry.url:
            lines.append(entry.url)
        lines.append(entry.abstract)
        lines.extend(entry.comment_ko)
        lines.extend(entry.comment_en)
        lines.append(" ".join(f"#{tag}" for tag in entry.hashtags))
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- reading files


def _result(digest: Digest | None, path: str, problems: list[Problem]) -> Digest:
    if problems:
        raise InputError(problems)
    if digest is None:  # pragma: no cover - every None comes with a problem
        raise InputError.one(path, None, "could not read the digest")
    return digest


def _read(path: Path, problems: list[Problem]) -> Digest | None:
    name = str(path)
    raw = _read_bounded(path, name, problems)
    if raw is None:
        return None
    text = _decode(raw, name, problems)
    if text is None:
        return None
    found = forbidden_in_text(text.removeprefix(BOM), name)
    if found:
        problems.extend(found)
        return None
    if path.suffix.lower() == ".toml":
        digest = _parse_toml(text, name, problems)
    else:
        digest = _parse_text(text, name, problems)
    if digest is not None:  # TOML escapes (\u202e) reach the fields without being in the text
        for n, entry in enumerate(digest.entries):
            fields = [entry.title, entry.abstract, *entry.authors, *entry.comment_ko]
            fields += [*entry.comment_en, *entry.hashtags, entry.url or ""]
            line = digest.lines[n] if n < len(digest.lines) else 0
            found = forbidden_in_lines(((line, field) for field in fields), name)
            if found:
                problems.extend(found[:1])
                digest = None
                break
    return digest


def _read_bounded(path: Path, name: str, problems: list[Problem]) -> bytes | None:
    """The file's bytes, or None after a problem: too big, not a regular file, unreadable.

    The size is checked before reading and the read itself is bounded, so a huge file, a FIFO or
    /dev/zero never fills memory or hangs.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        problems.append(Problem(name, None, f"cannot read the file: {exc.strerror or exc}"))
        return None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            problems.append(Problem(name, None, "is a folder, not a digest file"))
            return None
        if not stat.S_ISREG(info.st_mode):
            problems.append(Problem(name, None, "not a regular file: not read"))
            return None
        if info.st_size > MAX_DIGEST_BYTES:
            problems.append(Problem(name, None, _too_big(info.st_size)))
            return None
        with os.fdopen(fd, "rb", closefd=False) as handle:
            raw = handle.read(MAX_DIGEST_BYTES + 1)
    except OSError as exc:
        problems.append(Problem(name, None, f"cannot read the file: {exc.strerror or exc}"))
        return None
    finally:
        os.close(fd)
    if len(raw) > MAX_DIGEST_BYTES:  # it grew while we looked
        problems.append(Problem(name, None, _too_big(len(raw))))
        return None
    return raw


def _too_big(size: int) -> str:
    return (
        f"{size:,} bytes is over the {MAX_DIGEST_BYTES:,}-byte limit for a digest "
        "(a day's digest is a few KB): not read"
    )


def _decode(raw: bytes, path: str, problems: list[Problem]) -> str | None:
    """Strict UTF-8 without the BOM, or None after reporting the first bad byte and its line."""
    start = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    try:
        return raw[start:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = start + exc.start
        line = len(LINE_BREAK.split(raw[:offset].decode("utf-8", "replace")))
        problems.append(
            Problem(path, line, f"not UTF-8: invalid byte 0x{raw[offset]:02x} at offset {offset}")
        )
        return None


# ----------------------------------------------------------------------------- plain text


@dataclass(frozen=True)
class _Line:
    no: int
    text: str


@dataclass(frozen=True)
class _Block:
    """The lines of one entry up to its hashtag line (``tags``), which may be missing."""

    lines: list[_Line]
    tags: _Line | None


def _is_hangul(text: str) -> bool:
    return HANGUL.search(text) is not None


def _is_hashtag_line(text: str) -> bool:
    return text.startswith("#") and all(word.startswith("#") for word in text.split())


def _is_authors_line(text: str) -> bool:
    return len(text) >= 2 and text[0] == "(" and text[-1] == ")" and "://" not in text


def _url_of(text: str) -> str | None:
    """The paper URL a URL line stands for, or None when the line is not one."""
    if URL_LINE.fullmatch(text):
        return text
    match = ARXIV_LINE.fullmatch(text)
    if match:
        return f"https://arxiv.org/abs/{match.group(1)}"
    return None


def _parse_date(text: str) -> tuple[dt.date | None, bool]:
    """The date of a date line, and whether the line is written like a date at all."""
    match = KOREAN_DATE.fullmatch(text) or ISO_DATE.fullmatch(text)
    if match is None:
        return None, False
    try:
        return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3))), True
    except ValueError:
        return None, True


def _split_authors(text: str) -> tuple[list[str], str | None]:
    """The names of an authors line, split on commas outside nested parentheses."""
    names: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text[1:-1]:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                break
        elif char == "," and depth == 0:
            names.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    if depth != 0:
        return [], f"the parentheses of the authors line do not match: expected {EXAMPLE_AUTHORS}"
    names.append("".join(current).strip())
    if not all(names):
        return [], f"the authors line has an empty name: expected {EXAMPLE_AUTHORS}"
    return names, None


def _parse_text(text: str, path: str, problems: list[Problem]) -> Digest | None:
    start = len(problems)

    def report(line: int | None, message: str) -> None:
        problems.append(Problem(path, line, message))

    text = text.removeprefix(BOM)
    # Blank lines are dropped as they are met: a file of millions of them costs no memory.
    lines = [
        _Line(no, stripped)
        for no, raw in enumerate(LINE_BREAK.split(text), 1)
        if (stripped := raw.strip())
    ]
    if not lines:
        report(None, "file is empty")
        return None

    first = lines[0]
    date, is_date = _parse_date(first.text)
    if not is_date:
        report(first.no, f'not a digest: expected a date line like "{EXAMPLE_DATE}" first')
        return None
    if date is None:
        report(first.no, f'date "{first.text}" does not exist')

    blocks = _split_blocks(lines[1:], report)
    if not blocks and len(problems) == start:
        report(first.no, "no entries: expected a paper title on the line after the date")

    entries: list[DigestEntry] = []
    entry_lines: list[int] = []
    seen: dict[str, int] = {}
    for block in blocks:
        checked = _check_block(block, date or PLACEHOLDER_DATE, report)
        if checked is None:
            continue
        entry, line = checked
        if entry.id in seen:
            report(
                line,
                f'entry "{entry.title}" is a duplicate of the entry at line {seen[entry.id]} '
                f"({_same(entry)})",
            )
            continue
        seen[entry.id] = line
        entries.append(entry)
        entry_lines.append(line)

    if len(problems) > start or date is None:
        return None
    return Digest(date=date, entries=entries, source=path, lines=entry_lines)


def _split_blocks(lines: list[_Line], report: Report) -> list[_Block]:
    """Cut the lines after the date into entries, each ended by its hashtag line.

    A missing hashtag line is noticed when an authors line turns up in the English comment: the
    line before it is then the title of the next entry, which is cut off and checked on its own.
    """
    blocks: list[_Block] = []
    current: list[_Line] = []
    after_tags = False
    for index, line in enumerate(lines):
        if _is_hashtag_line(line.text):
            if current:
                blocks.append(_Block(current, line))
                current = []
            elif after_tags:
                report(
                    line.no, "a second hashtag line: put all the hashtags of an entry on one line"
                )
            else:
                report(line.no, "hashtags without an entry: expected a paper title before them")
            after_tags = True
            continue
        after_tags = False
        if not current and _parse_date(line.text)[1]:
            report(line.no, "a second date line: a digest file holds one day")
            continue
        if _is_authors_line(line.text) and _starts_next_entry(current, lines[index + 1 :]):
            blocks.append(_Block(current[:-1], None))
            current = current[-1:]
        current.append(line)
    if current:
        blocks.append(_Block(current, None))
    return blocks


def _starts_next_entry(current: list[_Line], following: list[_Line]) -> bool:
    """Whether an authors line after ``current`` belongs to a new entry (titled current[-1])."""
    if len(current) < 3 or _is_hangul(current[-1].text):
        return False
    if following and _is_hashtag_line(following[0].text):
        return False  # "(see above)" as the last English line, not the authors of a new entry
    return any(_is_hangul(line.text) for line in current[2:-1])


def _check_block(block: _Block, date: dt.date, report: Report) -> tuple[DigestEntry, int] | None:
    """Check one entry's lines; the entry and its title line, or None after reporting."""
    problems = 0

    def problem(line: int, message: str) -> None:
        nonlocal problems
        problems += 1
        report(line, message)

    lines = block.lines
    head = lines[0]
    index = 0
    title: str | None = None
    if _is_authors_line(head.text):
        problem(
            head.no,
            f"entry at line {head.no} has no title: expected the paper title on the line before "
            "the authors",
        )
    else:
        title = head.text
        index = 1
    name = f'entry "{title}"' if title is not None else f"entry at line {head.no}"

    authors: list[str] = []
    if index < len(lines) and _is_authors_line(lines[index].text):
        authors, message = _split_authors(lines[index].text)
        if message:
            problem(lines[index].no, f"{name}: {message}")
        index += 1
    elif title is not None:
        where = lines[index].no if index < len(lines) else _after(block)
        problem(where, f'{name} has no authors line: expected "{EXAMPLE_AUTHORS}" after the title')

    url: str | None = None
    if index < len(lines):
        url = _url_of(lines[index].text)
        if url is not None:
            index += 1

    # What is left: the abstract (non-Hangul), the Korean lines, the English lines, in order.
    parts: list[list[_Line]] = [[], [], [], []]
    part = 0
    for line in lines[index:]:
        if part < 3 and _is_hangul(line.text) != (part % 2 == 1):
            part += 1
        parts[part].append(line)
    before, korean, english, after = parts

    if not before and not korean:
        problem(
            lines[-1].no,
            f"{name} has no abstract and no comments: expected the English abstract, the Korean "
            "comment and the English comment after the authors",
        )
    elif not korean:
        if len(before) == 1:
            problem(
                before[0].no,
                f"{name} has no comments: expected Korean line(s) and then as many English "
                "line(s) after the abstract",
            )
        else:
            english = before[1:]
            problem(
                english[0].no,
                f"{name}: English comment has no Korean original: expected Korean line(s) "
                "between the abstract and the English comment",
            )
    else:
        if not before:
            problem(
                korean[0].no,
                f"{name} has no abstract: expected the English abstract on the line after the "
                "authors",
            )
        elif len(before) > 1 and not english:
            problem(
                before[1].no,
                f"{name}: the English comment comes before the Korean one: put the Korean "
                "line(s) right after the abstract, then the English line(s)",
            )
        elif len(before) > 1:
            problem(
                before[1].no,
                f"{name}: the abstract must be one line, but {len(before)} lines come before the "
                "Korean comment",
            )
        if not english and len(before) <= 1:
            problem(
                korean[0].no,
                f"{name}: Korean comment has no English translation: expected as many English "
                "line(s) after the Korean comment",
            )
    if after:
        problem(
            after[0].no,
            f"{name}: a Korean line after the English comment: put all Korean lines first, then "
            "all English lines, then the hashtag line (is this entry's hashtag line missing?)",
        )

    hashtags: list[str] = []
    if block.tags is None:
        problem(
            lines[-1].no,
            f'{name}: no hashtags: expected a line like "{EXAMPLE_HASHTAGS}" after the English '
            "comment",
        )
    else:
        for word in block.tags.text.split():
            if HASHTAG_WORD.fullmatch(word):
                hashtags.append(word[1:])
            else:
                problem(
                    block.tags.no,
                    f'{name}: bad hashtag "{word}": expected words like "#rl" separated by spaces',
                )

    if problems:
        return None
    data = {
        "date": date,
        "title": title,
        "authors": authors,
        "url": url,
        "abstract": before[0].text,
        "comment_ko": [line.text for line in korean],
        "comment_en": [line.text for line in english],
        "hashtags": hashtags,
    }
    try:
        return DigestEntry.model_validate(data), head.no
    except ValidationError as exc:
        for error in exc.errors():
            report(head.no, f"{name}: {_describe(error)}")
        return None


def _same(entry: DigestEntry) -> str:
    """What makes two entries one: the same arXiv id, or the same title on the same day."""
    return f"same arXiv id {entry.arxiv_id}" if entry.arxiv_id else "same title"


def _after(block: _Block) -> int:
    return block.tags.no if block.tags is not None else block.lines[-1].no


def _describe(error: Any) -> str:
    """A pydantic error in the words of the digest's author."""
    loc = tuple(error.get("loc", ()))
    kind = str(error.get("type", ""))
    message = str(error.get("msg", "is not valid"))
    key = str(loc[0]) if loc else ""
    label = FIELD_LABELS.get(key, key or "entry")
    if kind == "value_error":
        return message.removeprefix("Value error, ")
    if kind == "extra_forbidden":
        return f'unknown key "{key}": expected {", ".join(FIELD_LABELS_TOML)}'
    if kind == "missing":
        return f"no {label}"
    if len(loc) > 1 and isinstance(loc[1], int):
        label = f"{label} #{loc[1] + 1}"
    return f"{label}: {message[:1].lower()}{message[1:]}"


# ----------------------------------------------------------------------------- TOML

FIELD_LABELS_TOML = (
    "title",
    "authors",
    "url",
    "abstract",
    "comment_ko",
    "comment_en",
    "hashtags",
)


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


def _parse_toml(text: str, path: str, problems: list[Problem]) -> Digest | None:
    start = len(problems)

    def report(line: int | None, message: str) -> None:
        problems.append(Problem(path, line, message))

    text = text.removeprefix(BOM)
    if not text.strip():
        report(None, "file is empty")
        return None
    try:
        data = tomllib.loads(text)
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

    where = _TomlLines(text)
    for key in data:
        if key not in ("date", "paper"):
            report(where.key(key), f'unknown key "{key}": expected "date" and [[paper]] tables')

    date = _toml_date(data.get("date"), where.key("date"), report)

    papers = data.get("paper")
    entries: list[DigestEntry] = []
    entry_lines: list[int] = []
    if papers is None or papers == []:
        report(None, "no papers: expected [[paper]] tables with title, authors, abstract, ...")
    elif not isinstance(papers, list) or not all(isinstance(p, dict) for p in papers):
        report(where.key("paper"), "paper must be [[paper]] tables")
    else:
        seen: dict[str, int | None] = {}
        for index, table in enumerate(papers):
            entry = _toml_entry(table, index, date or PLACEHOLDER_DATE, where, report)
            if entry is None:
                continue
            line = where.paper(index)
            if entry.id in seen:
                first = seen[entry.id]
                at = f"the entry at line {first}" if first else "an earlier entry"
                report(line, f'entry "{entry.title}" is a duplicate of {at} ({_same(entry)})')
                continue
            seen[entry.id] = line
            entries.append(entry)
            entry_lines.append(line or 0)

    if len(problems) > start or date is None:
        return None
    lines = entry_lines if all(entry_lines) else []
    return Digest(date=date, entries=entries, source=path, lines=lines)


def _toml_date(value: Any, line: int | None, report: Report) -> dt.date | None:
    if value is None:
        report(None, 'no date: expected a line like "date = 2025-05-20" at the top')
        return None
    if isinstance(value, dt.datetime | dt.time) or not isinstance(value, dt.date | str):
        report(line, "date must be a day like 2025-05-20")
        return None
    if isinstance(value, dt.date):
        return value
    date, is_date = _parse_date(value.strip())
    if not is_date:
        report(line, f'date "{value}" is not a date: expected a day like 2025-05-20')
    elif date is None:
        report(line, f'date "{value.strip()}" does not exist')
    return date


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
    if isinstance(data.get("authors"), str):
        authors, message = _split_authors(f"({data['authors']})")
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
        data["url"] = _url_of(url.strip()) or url

    try:
        return DigestEntry.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error.get("loc", ()))
            key = str(loc[0]) if loc else ""
            line = (line_of(key) if key in table else None) or header
            report(line, f"{name}: {_describe(error)}")
        return None
