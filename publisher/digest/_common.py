"""What both digest forms share: dates, authors, paper URLs, and errors in the author's words."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from publisher.errors import InputError, Problem
from publisher.models import Digest, DigestEntry

BOM = "\ufeff"
LINE_BREAK = re.compile(r"\r\n|\r|\n")
KOREAN_DATE = re.compile(r"([0-9]{4})\s*년\s*([0-9]{1,2})\s*월\s*([0-9]{1,2})\s*일")
ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
URL_LINE = re.compile(r"https?://\S+")
# A link written without its scheme, as people paste it: a dotted host name, then a path.
BARE_URL_LINE = re.compile(r"(?:www\.)?(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}/\S*")
ARXIV_LINE = re.compile(r"(?:arxiv:\s*)?([0-9]{4}\.[0-9]{4,5}(?:v[0-9]+)?)", re.IGNORECASE)

EXAMPLE_AUTHORS = "(Author One, Author Two)"
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

# The keys of a paper in the TOML form, listed when an unknown one is met.
PAPER_KEYS = (
    "title",
    "authors",
    "url",
    "abstract",
    "comment_ko",
    "comment_en",
    "hashtags",
)

Report = Callable[[int | None, str], None]
"""Records one problem: (line or None, message)."""


def result(digest: Digest | None, path: str, problems: list[Problem]) -> Digest:
    """The digest, or every problem found raised together as one :class:`InputError`."""
    if problems:
        raise InputError(problems)
    if digest is None:  # pragma: no cover - every None comes with a problem
        raise InputError.one(path, None, "could not read the digest")
    return digest


def url_of(text: str) -> str | None:
    """The paper URL a URL line stands for, or None when the line is not one."""
    if URL_LINE.fullmatch(text):
        return text
    if BARE_URL_LINE.fullmatch(text):
        return "https://" + text
    match = ARXIV_LINE.fullmatch(text)
    if match:
        return f"https://arxiv.org/abs/{match.group(1)}"
    return None


def parse_date(text: str) -> tuple[dt.date | None, bool]:
    """The date of a date line, and whether the line is written like a date at all."""
    match = KOREAN_DATE.fullmatch(text) or ISO_DATE.fullmatch(text)
    if match is None:
        return None, False
    try:
        return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3))), True
    except ValueError:
        return None, True


def split_authors(text: str) -> tuple[list[str], str | None]:
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


def same(entry: DigestEntry) -> str:
    """What makes two entries one: the same arXiv id, or the same title on the same day."""
    return f"same arXiv id {entry.arxiv_id}" if entry.arxiv_id else "same title"


def describe(error: Any) -> str:
    """A pydantic error in the words of the digest's author."""
    loc = tuple(error.get("loc", ()))
    kind = str(error.get("type", ""))
    message = str(error.get("msg", "is not valid"))
    key = str(loc[0]) if loc else ""
    label = FIELD_LABELS.get(key, key or "entry")
    if kind == "value_error":
        return message.removeprefix("Value error, ")
    if kind == "extra_forbidden":
        return f'unknown key "{key}": expected {", ".join(PAPER_KEYS)}'
    if kind == "missing":
        return f"no {label}"
    if len(loc) > 1 and isinstance(loc[1], int):
        label = f"{label} #{loc[1] + 1}"
    return f"{label}: {message[:1].lower()}{message[1:]}"
