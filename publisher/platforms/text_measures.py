"""Text measures several platforms count in: grapheme clusters, UTF-8 bytes and byte offsets."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

__all__ = ["byte_offset", "graphemes", "utf8_len"]


# Code points that never join a neighbour in a grapheme cluster: a cluster of two or more
# code points always holds a CR, Extend, ZWJ, SpacingMark, Prepend, Hangul jamo (L, V, T)
# or regional indicator, and none lies in these ranges (tests check it against ``regex``).
# A text of these has one grapheme per code point. (CJK ideographs are left out: ``re``
# takes ~1 ms to compile each 10,000 code points of ranges.)
_SINGLETONS = (
    "\x00-\x0c\x0e-\u02ff\u0370-\u0482\u2010-\u2027\u2030-\u205e\u2070-\u20cf"
    "\u2100-\u2bff\u3000-\u3029\u3030-\u303f\u3041-\u3096\u309b-\u30ff\u3131-\u318e"
    "\uac00-\ud7a3\uff01-\uff9d\U0001f000-\U0001f1e5\U0001f200-\U0001f3fa"
    "\U0001f400-\U0001faff"
)


@cache
def _not_singleton() -> Callable[[str], re.Match[str] | None]:
    return re.compile(f"[^{_SINGLETONS}]").search


@cache
def _grapheme_findall() -> Callable[[str], list[str]]:
    import regex  # ~8 ms, unless already imported (the formatter uses it)

    return regex.compile(r"\X").findall  # type: ignore[no-any-return]


def graphemes(text: str) -> int:
    """Return the number of extended grapheme clusters (Bluesky's limit: 300)."""
    if text.isascii():  # only CR LF joins in ASCII
        return len(text) - text.count("\r\n")
    if _not_singleton()(text) is None:
        return len(text)
    return len(_grapheme_findall()(text))


def utf8_len(text: str) -> int:
    """Return the length of ``text`` in UTF-8 bytes (Bluesky's limit: 3000)."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-8"))


def byte_offset(text: str, cp_index: int) -> int:
    """Return the UTF-8 byte offset of code-point index ``cp_index`` in ``text``.

    ``cp_index`` may be ``len(text)`` (the end). Bluesky facets use these offsets.
    """
    if not 0 <= cp_index <= len(text):
        raise IndexError(f"code-point index {cp_index} out of range 0..{len(text)}")
    return len(text[:cp_index].encode("utf-8"))
