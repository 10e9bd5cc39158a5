"""X's length rule: twitter-text v3 weighted length, invalid characters, price classes.

X counts a post with the twitter-text v3 rules (``twitter-text-v3.json``): the text is
NFC-normalized, every URL found by twitter-text's URL extractor (:mod:`url_grammar`) weighs
23, every emoji sequence weighs 2, and every other code point weighs 1 or 2 depending on its
range. The weights count ASCII, Latin-1 and emoji-free texts without a character loop, and
``regex`` (emoji) is only imported for texts that need it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

from publisher.platforms.url_grammar import extract_urls

__all__ = [
    "X_MAX_WEIGHTED_LENGTH",
    "X_TRANSFORMED_URL_LENGTH",
    "price_class",
    "x_is_valid",
    "x_problems",
    "x_weighted_length",
]

# twitter-text config v3 (tests check these against the vendored twitter-text-v3.json).
X_MAX_WEIGHTED_LENGTH = 280
X_SCALE = 100
X_DEFAULT_WEIGHT = 200
X_TRANSFORMED_URL_LENGTH = 23
X_WEIGHT_RANGES: tuple[tuple[int, int, int], ...] = (
    (0x0000, 0x10FF, 100),  # Basic Latin .. Georgian
    (0x2000, 0x200D, 100),  # spaces in General Punctuation
    (0x2010, 0x201F, 100),  # hyphens and quotes
    (0x2032, 0x2037, 100),  # primes
)
X_INVALID_CHARACTERS = "\ufffe\ufeff\uffff"

# ---------------------------------------------------------------------------------------
# Emoji: every emoji sequence weighs X_DEFAULT_WEIGHT in total (twitter-text v3 counts the
# entities of twemoji-parser). Flags, subdivision flags (tag sequences), keycaps, emoji
# with a skin tone, and ZWJ sequences of these are one sequence each; a pictograph that is
# text by default (©, ☺) is an emoji only with U+FE0F after it.

_EMOJI_ELEMENT = (
    r"(?:\p{Emoji_Modifier_Base}\p{Emoji_Modifier}\ufe0f?"
    r"|\p{Emoji_Presentation}\ufe0f?"
    r"|\p{Extended_Pictographic}\ufe0f)"
)
_EMOJI = (
    r"\p{Regional_Indicator}{2}"
    r"|\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f"
    r"|[#*0-9]\ufe0f?\u20e3"
    rf"|{_EMOJI_ELEMENT}(?:\u200d(?:{_EMOJI_ELEMENT}|\p{{Extended_Pictographic}}))*"
)
# The light code points (all of U+0000-U+00FF among them) weigh _LIGHT_WEIGHT, the others
# X_DEFAULT_WEIGHT.
_LIGHT_WEIGHT = X_WEIGHT_RANGES[0][2]
assert X_WEIGHT_RANGES[0][:2] == (0, 0x10FF)
assert all(weight == _LIGHT_WEIGHT for _, _, weight in X_WEIGHT_RANGES)


class _NonAsciiPatterns:
    """Patterns for non-ASCII X texts, compiled on the first one (~1 ms)."""

    def __init__(self) -> None:
        # Every emoji sequence holds one of these (tests check it against the Unicode
        # properties of ``regex``): most texts are known to hold none without ``regex``.
        self.emoji_hint = re.compile(
            "[\u00a9\u00ae\u203c\u2049\u20e3\u2122\u2139\u2194-\u2b55"
            "\u3030\u303d\u3297\u3299\U0001f000-\U0001ffff]"
        ).search
        # The light code points above Latin-1 (rare in most texts: found one by one).
        light = "".join(f"{chr(max(start, 0x100))}-{chr(end)}" for start, end, _ in X_WEIGHT_RANGES)
        self.light_above_latin1 = re.compile(f"[{light}]").findall


@cache
def _non_ascii() -> _NonAsciiPatterns:
    return _NonAsciiPatterns()


@cache
def _emoji_finditer() -> Callable[[str], Iterator[Any]]:
    import regex  # ~8 ms: only texts with an emoji hint need it

    return regex.compile(_EMOJI).finditer  # type: ignore[no-any-return]


def _chars_weight(text: str) -> int:
    """Return the weight of ``text`` counted code point by code point (no URL, no emoji)."""
    if text.isascii():  # all of ASCII lies in the first light range
        return _LIGHT_WEIGHT * len(text)
    light = len(text.encode("latin-1", "ignore")) + len(_non_ascii().light_above_latin1(text))
    return _LIGHT_WEIGHT * light + X_DEFAULT_WEIGHT * (len(text) - light)


def x_weighted_length(text: str) -> int:
    """Return the length X counts for ``text`` (twitter-text v3 ``weightedLength``).

    NFC-normalizes, then counts each URL as 23, each emoji sequence as 2, each code point
    in the v3 light ranges (U+0000-U+10FF, U+2000-U+200D, U+2010-U+201F, U+2032-U+2037) as
    1 and every other code point as 2. So 140 Hangul syllables weigh 280.
    """
    if text.isascii() and "." not in text:  # no URL, no emoji, every code point weighs 1
        return len(text)
    normalized = unicodedata.normalize("NFC", text)
    url_ends = {u.start: u.end for u in extract_urls(normalized)}
    if normalized.isascii() or _non_ascii().emoji_hint(normalized) is None:
        emoji_ends: dict[int, int] = {}
    else:
        emoji_ends = {m.start(): m.end() for m in _emoji_finditer()(normalized)}
    if not url_ends and not emoji_ends:
        return _chars_weight(normalized) // X_SCALE
    # A URL, else an emoji sequence, starting at i weighs as one; the code points between
    # them weigh one by one. (An emoji sequence inside a URL is part of the URL.)
    weighted = 0
    i = 0
    for start in sorted(url_ends.keys() | emoji_ends.keys()):
        if start < i:
            continue
        weighted += _chars_weight(normalized[i:start])
        if start in url_ends:
            weighted += X_TRANSFORMED_URL_LENGTH * X_SCALE
            i = url_ends[start]
        else:
            weighted += X_DEFAULT_WEIGHT
            i = emoji_ends[start]
    weighted += _chars_weight(normalized[i:])
    return weighted // X_SCALE


def x_problems(text: str) -> list[str]:
    """Return why X would refuse ``text`` as a post; an empty list means it is valid.

    Problems: an empty (or whitespace-only) text, a weighted length over 280, and the
    invalid characters U+FFFE, U+FEFF, U+FFFF.
    """
    problems: list[str] = []
    if not text.strip():
        problems.append("text is empty")
    length = x_weighted_length(text)
    if length > X_MAX_WEIGHTED_LENGTH:
        problems.append(
            f"weighted length {length} exceeds {X_MAX_WEIGHTED_LENGTH} (X counts URLs as "
            f"{X_TRANSFORMED_URL_LENGTH}, emoji and CJK/Hangul as 2)"
        )
    if not text.isascii() and ("\ufffe" in text or "\ufeff" in text or "\uffff" in text):
        for index, char in enumerate(text):
            if char in X_INVALID_CHARACTERS:
                problems.append(f"invalid character U+{ord(char):04X} at index {index}")
    return problems


def x_is_valid(text: str) -> bool:
    """Return whether X accepts ``text`` as a post's text (see :func:`x_problems`)."""
    return not x_problems(text)


def price_class(text: str) -> str:
    """X's price class of a post: ``"url"`` when X links something in it, else ``"plain"``.

    X's pay-per-use API bills a post "with URL" at a higher rate; what X links is exactly what
    twitter-text's URL extraction finds (``arxiv.org/abs/…`` counts, ``arXiv:2505.13447`` not).
    """
    return "url" if extract_urls(unicodedata.normalize("NFC", text)) else "plain"
