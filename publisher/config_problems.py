"""Config problems that point at their true source: the file, line and key, or the variable.

``tomllib`` returns values without positions, so the line of a key is found by a small scan of
the file's text for table headers (``[schedule]``) and ``key =`` lines. The text has already been
parsed by ``tomllib`` when this runs, so the scan only has to find keys, not judge the syntax;
a key it cannot place (inside an inline table, say) gets the line of the nearest enclosing key.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from publisher.errors import Problem

__all__ = ["closest", "did_you_mean", "key_lines", "problems_of"]

_KEY_PART = r'(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|\'[^\']*\')'
_KEY_PATH = rf"{_KEY_PART}(?:\s*\.\s*{_KEY_PART})*"
_HEADER = re.compile(rf"^\s*\[\[?\s*({_KEY_PATH})\s*\]\]?\s*(?:#.*)?$")
_ASSIGN = re.compile(rf"^\s*({_KEY_PATH})\s*=")
_PART = re.compile(_KEY_PART)
_QUOTED = re.compile(r"'([^']*)'")


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice nearest to ``word`` when one is close (case ignored), else None."""
    by_lower = {choice.lower(): choice for choice in choices}
    found = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.7)
    return by_lower[found[0]] if found else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'daily_posts'?"`` for the closest choice, or ``""`` when none is close."""
    match = closest(word, choices)
    return f"; did you mean {match!r}?" if match is not None else ""


def key_lines(text: str) -> dict[tuple[str, ...], int]:
    """The 1-based line where each key path (``("schedule", "timezone")``) is first written."""
    lines: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    in_string: str | None = None  # the delimiter of a multi-line string being skipped
    for number, line in enumerate(text.splitlines(), 1):
        if in_string is not None:
            if line.count(in_string) % 2 == 1:
                in_string = None
            continue
        header = _HEADER.match(line)
        if header:
            table = _parts(header.group(1))
            for k in range(1, len(table) + 1):
                lines.setdefault(table[:k], number)
            continue
        assign = _ASSIGN.match(line)
        if assign:
            path = table + _parts(assign.group(1))
            for k in range(len(table) + 1, len(path) + 1):
                lines.setdefault(path[:k], number)
        for delimiter in ('"""', "'''"):
            if line.count(delimiter) % 2 == 1:
                in_string = delimiter
    return lines


def _parts(path: str) -> tuple[str, ...]:
    return tuple(part.strip("\"'") for part in _PART.findall(path))


def problems_of(
    exc: ValidationError,
    model: type[BaseModel],
    where: str,
    text: str | None = None,
    env: dict[str, str] | None = None,
) -> list[Problem]:
    """One problem per validation error, each naming its source.

    ``where`` is the file (or what stands for it), ``text`` its content, used to find each key's
    line. ``env`` maps a top-level key to the environment variable its value came from; an error
    in such a value names the variable instead of the file.
    """
    found = key_lines(text) if text is not None else {}
    env = env or {}
    problems = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        variable = env.get(str(loc[0])) if loc else None
        if variable is not None:
            problems.append(Problem(f"{variable} (environment variable)", None, _message(error)))
            continue
        dotted = _dotted(loc)
        message = _message(error, known=_fields_at(model, loc[:-1]))
        problems.append(Problem(where, _line(found, loc), f"{dotted}: {message}"))
    return problems


def _line(found: dict[tuple[str, ...], int], loc: Sequence[Any]) -> int | None:
    keys = tuple(str(part) for part in loc if not isinstance(part, int))
    for k in range(len(keys), 0, -1):
        if keys[:k] in found:
            return found[keys[:k]]
    return None


def _dotted(loc: Sequence[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _message(error: Any, known: Sequence[str] = ()) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        key = str(error["loc"][-1])
        hint = did_you_mean(key, known)
        if not hint and known:
            hint = " (known keys: " + ", ".join(known) + ")"
        return "unknown key" + hint
    if kind == "literal_error":
        expected = error["ctx"]["expected"]
        value = error["input"]
        hint = did_you_mean(str(value), _QUOTED.findall(expected))
        return f"{value!r} is not one of {expected}{hint}"
    if kind == "value_error":
        return str(error["ctx"]["error"])
    return str(error["msg"])


def _fields_at(model: type[BaseModel], path: Sequence[Any]) -> list[str]:
    """The keys the section at ``path`` accepts, or [] when it is not a section."""
    for part in path:
        field = model.model_fields.get(str(part))
        annotation = field.annotation if field is not None else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return list(model.model_fields)
