"""The plain-text layout of a digest: its parser and its writer.

The plain-text layout (see ``examples/digest-2025-05-20.txt``)::

    2025년 5월 20일                       date line (or 2025-05-20)
    Mean Flows for One-step ...           title
    (Zhengyang Geng, Mingyang Deng, ...)  authors, comma-separated at parenthesis depth 0
    https://arxiv.org/abs/2505.13447      optional: URL, "arXiv:2505.13447" or "2505.13447"
    We propose a principled ...           abstract: one line, English
    평균 속도를 추정하는 ...                Korean comment: one or more lines, mostly Hangul
    An 1/few-shot flow matching ...       English comment: as many lines, mostly Latin
    #diffusion #generative-models         hashtags: ends the entry

Lines are told apart by what they are (parentheses, '#', URL), never by their position, and
blank lines are ignored. A comment line is Korean when its words with Hangul outnumber its words
in Latin letters, English otherwise (so a quoted Korean term in an English sentence, or English
terms in a Korean one, read right); a line with as many of each is reported, with its line.
Korean line *i* and English line *i* are paragraph *i* of the comment.

Every problem in a file is collected as a :class:`Problem` with its line, and all of them are
raised together as one :class:`InputError`; nothing else ever escapes from this module.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from pydantic import ValidationError

from publisher.digest._common import (
    BOM,
    EXAMPLE_AUTHORS,
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

HANGUL = re.compile(
    "[\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7a3\ud7b0-\ud7ff\uffa0-\uffdc]"
)
HASHTAG_WORD = re.compile(r"#[^\s#]+")
LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")

EXAMPLE_DATE = "2025년 5월 20일"
EXAMPLE_HASHTAGS = "#rl #reasoning"


def parse_digest_text(text: str, path: str = "<digest>") -> Digest:
    """Parse a digest in the plain-text layout; raise :class:`InputError` with every problem."""
    problems: list[Problem] = []
    digest = parse_text(text, path, problems)
    return result(digest, path, problems)


def format_digest_text(digest: Digest) -> str:
    """Write a digest in the plain-text layout that :func:`parse_digest_text` reads back.

    Entries are written one after the other, without blank lines, as in the example digest.
    Only content the layout can hold reads back equal: one-line fields, Korean lines mostly in
    Hangul, English lines and the abstract mostly not, authors without a comma at parenthesis
    depth 0.
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


@dataclass(frozen=True)
class _Line:
    no: int
    text: str


@dataclass(frozen=True)
class _Block:
    """The lines of one entry up to its hashtag line (``tags``), which may be missing."""

    lines: list[_Line]
    tags: _Line | None


def script_counts(text: str) -> tuple[int, int]:
    """Words with Hangul, and words in Latin letters without Hangul (URLs aside)."""
    korean = latin = 0
    for word in text.split():
        if "://" in word:
            continue
        if HANGUL.search(word):
            korean += 1
        elif LATIN_LETTER.search(word):
            latin += 1
    return korean, latin


def _is_korean(text: str) -> bool:
    """Whether a comment line is Korean: its Hangul words outnumber its Latin ones. A tie with
    Hangul in it counts as Korean here (as before); ``_check_body`` reports it as ambiguous."""
    korean, latin = script_counts(text)
    return korean > latin or (korean > 0 and korean == latin)


def _ambiguous(text: str) -> bool:
    korean, latin = script_counts(text)
    return korean > 0 and korean == latin


def _is_hashtag_line(text: str) -> bool:
    return text.startswith("#") and all(word.startswith("#") for word in text.split())


def _is_authors_line(text: str) -> bool:
    return len(text) >= 2 and text[0] == "(" and text[-1] == ")" and "://" not in text


def parse_text(text: str, path: str, problems: list[Problem]) -> Digest | None:
    """The digest in the plain-text layout, or None after adding every problem to ``problems``."""
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
    date, is_date = parse_date(first.text)
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
                f"({same(entry)})",
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
        if not current and parse_date(line.text)[1]:
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
    if len(current) < 3 or _is_korean(current[-1].text):
        return False
    if following and _is_hashtag_line(following[0].text):
        return False  # "(see above)" as the last English line, not the authors of a new entry
    return any(_is_korean(line.text) for line in current[2:-1])


@dataclass
class _Problems:
    """Reports each problem of one entry and counts them."""

    report: Report
    count: int = 0

    def __call__(self, line: int, message: str) -> None:
        self.count += 1
        self.report(line, message)


@dataclass(frozen=True)
class _Head:
    """An entry's title, authors and URL, and the lines after them."""

    title: str | None
    name: str  # how messages name the entry
    authors: list[str]
    url: str | None
    rest: list[_Line]


def _check_block(block: _Block, date: dt.date, report: Report) -> tuple[DigestEntry, int] | None:
    """Check one entry's lines; the entry and its title line, or None after reporting."""
    problem = _Problems(report)
    head = _check_head(block, problem)
    abstract, korean, english = _check_body(head.rest, block.lines[-1].no, head.name, problem)
    hashtags = _check_hashtags(block, head.name, problem)
    if problem.count:
        return None
    data = {
        "date": date,
        "title": head.title,
        "authors": head.authors,
        "url": head.url,
        "abstract": abstract[0].text,
        "comment_ko": [line.text for line in korean],
        "comment_en": [line.text for line in english],
        "hashtags": hashtags,
    }
    first = block.lines[0].no
    try:
        return DigestEntry.model_validate(data), first
    except ValidationError as exc:
        for error in exc.errors():
            report(first, f"{head.name}: {describe(error)}")
        return None


def _check_head(block: _Block, problem: _Problems) -> _Head:
    """The title line, the authors line and the optional URL line that start an entry."""
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
        authors, message = split_authors(lines[index].text)
        if message:
            problem(lines[index].no, f"{name}: {message}")
        index += 1
    elif title is not None:
        where = lines[index].no if index < len(lines) else _after(block)
        problem(where, f'{name} has no authors line: expected "{EXAMPLE_AUTHORS}" after the title')

    url: str | None = None
    if index < len(lines):
        url = url_of(lines[index].text)
        if url is not None:
            index += 1
    return _Head(title, name, authors, url, lines[index:])


def _check_body(
    lines: list[_Line], last: int, name: str, problem: _Problems
) -> tuple[list[_Line], list[_Line], list[_Line]]:
    """The abstract, the Korean lines and the English lines, in that order.

    Lines go to the three parts by whether they are Korean (mostly Hangul); a part out of place
    is reported, and so is a line as much Korean as English. ``last`` is the entry's last line,
    named when the body is missing altogether.
    """
    parts: list[list[_Line]] = [[], [], [], []]
    part = 0
    for line in lines:
        if _ambiguous(line.text):
            words, _ = script_counts(line.text)
            problem(
                line.no,
                f"{name}: this line has as many Korean words as English ones ({words} each): "
                "cannot tell whether it is Korean or the English translation; write it mostly "
                "in one language",
            )
        if part < 3 and _is_korean(line.text) != (part % 2 == 1):
            part += 1
        parts[part].append(line)
    before, korean, english, after = parts

    if korean:
        _check_comments(before, korean, english, name, problem)
    elif not before:
        problem(
            last,
            f"{name} has no abstract and no comments: expected the English abstract, the Korean "
            "comment and the English comment after the authors",
        )
    elif len(before) == 1:
        problem(
            before[0].no,
            f"{name} has no comments: expected Korean line(s) and then as many English "
            "line(s) after the abstract",
        )
    else:
        problem(
            before[1].no,
            f"{name}: English comment has no Korean original: expected Korean line(s) "
            "between the abstract and the English comment",
        )
    if after:
        problem(
            after[0].no,
            f"{name}: a Korean line after the English comment: put all Korean lines first, then "
            "all English lines, then the hashtag line (is this entry's hashtag line missing?)",
        )
    return before, korean, english


def _check_comments(
    before: list[_Line],
    korean: list[_Line],
    english: list[_Line],
    name: str,
    problem: _Problems,
) -> None:
    """With a Korean comment: one abstract line before it, English lines after it."""
    if not before:
        problem(
            korean[0].no,
            f"{name} has no abstract: expected the English abstract on the line after the authors",
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


def _check_hashtags(block: _Block, name: str, problem: _Problems) -> list[str]:
    """The tags of the entry's hashtag line, without their '#'."""
    if block.tags is None:
        problem(
            block.lines[-1].no,
            f'{name}: no hashtags: expected a line like "{EXAMPLE_HASHTAGS}" after the English '
            "comment",
        )
        return []
    hashtags: list[str] = []
    for word in block.tags.text.split():
        if HASHTAG_WORD.fullmatch(word):
            hashtags.append(word[1:])
        else:
            problem(
                block.tags.no,
                f'{name}: bad hashtag "{word}": expected words like "#rl" separated by spaces',
            )
    return hashtags


def _after(block: _Block) -> int:
    return block.tags.no if block.tags is not None else block.lines[-1].no
