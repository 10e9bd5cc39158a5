"""Reading digest files: bounded, strict UTF-8, no hidden characters, every problem reported."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from publisher.digest._common import BOM, LINE_BREAK, result
from publisher.digest._text import parse_text
from publisher.digest._toml import parse_toml
from publisher.errors import InputError, Problem
from publisher.hygiene import forbidden_in_lines, forbidden_in_text
from publisher.models import Digest

MAX_DIGEST_BYTES = 5_000_000  # documented in the README


def read_digest(path: Path) -> Digest:
    """Read one digest file: ``.toml`` is the structured form, anything else plain text."""
    problems: list[Problem] = []
    digest = _read(Path(path), problems)
    return result(digest, str(path), problems)


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
        digest = parse_toml(text, name, problems)
    else:
        digest = parse_text(text, name, problems)
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


def digest_bytes(path: Path) -> bytes:
    """A digest file's bytes, read within the size limit; ``InputError`` when it cannot be."""
    problems: list[Problem] = []
    raw = _read_bounded(path, str(path), problems)
    if raw is None:
        raise InputError(problems)
    return raw


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
