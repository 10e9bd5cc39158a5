"""Text that must never be posted, and quoting text onto one safe output line.

One rule for every door text comes in by: ``check``, ``enqueue`` and the queue re-check all call
:func:`forbidden_in_lines`, so they can never disagree.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from publisher.errors import Problem

# C0 controls except tab and line breaks (LF, CR), DEL, bidirectional embeddings/overrides
# (U+202A–U+202E) and isolates (U+2066–U+2069), and a BOM (U+FEFF) anywhere but a file's start.
FORBIDDEN = re.compile(
    "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f\\u202a-\\u202e\\u2066-\\u2069\\ufeff]"
)


def describe(char: str) -> str:
    """``U+202E RIGHT-TO-LEFT OVERRIDE``; ``U+0000 NUL`` for unnamed controls."""
    code = f"U+{ord(char):04X}"
    name = unicodedata.name(char, "")
    if not name:
        name = {"\x00": "NUL", "\x7f": "DELETE"}.get(char, "control character")
    return f"{code} {name}"


def forbidden_in_lines(lines: Iterable[tuple[int, str]], path: str) -> list[Problem]:
    """One problem per (line number, text) pair holding a character that is never posted."""
    problems = []
    for number, text in lines:
        found = FORBIDDEN.search(text)
        if found:
            problems.append(
                Problem(
                    path,
                    number,
                    f"{describe(found.group())} at column {found.start() + 1}: "
                    "control, bidirectional-override and BOM characters are never posted",
                )
            )
    return problems


def forbidden_in_text(text: str, path: str, limit: int = 20) -> list[Problem]:
    """As :func:`forbidden_in_lines` over a whole text, without splitting it (one regex scan;
    line numbers are counted only where something is found). Lines end at LF, CRLF or CR."""
    problems: list[Problem] = []
    last_line = 0
    for found in FORBIDDEN.finditer(text):
        pos = found.start()
        crs = text.count("\r", 0, pos) - text.count("\r\n", 0, pos)
        line = text.count("\n", 0, pos) + crs + 1
        if line == last_line:
            continue
        last_line = line
        start = max(text.rfind("\n", 0, pos), text.rfind("\r", 0, pos)) + 1
        problems += forbidden_in_lines([(line, text[start : pos + 1])], path)
        if len(problems) >= limit:
            break
    return problems


_UNSAFE = re.compile("[\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029]")


def one_line(text: str) -> str:
    """``text`` on one line: line breaks and control characters escaped (``\\n``, ``\\x1b``)."""
    if not _UNSAFE.search(text):
        return text

    def escape(match: re.Match[str]) -> str:
        char = match.group()
        return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char) or (
            f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"
        )

    return _UNSAFE.sub(escape, text)
