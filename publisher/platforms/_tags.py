"""Hashtags where a tag is one run of word characters (X, Mastodon): a digest's
``mechanistic-interpretation`` would end at the '-', so its words are joined into one."""

from __future__ import annotations

import re
from typing import Literal

JoinStyle = Literal["underscore", "camel", "join"]

_NOT_WORD = re.compile(r"[^\w]+")


def word_hashtag(tag: str, style: JoinStyle = "underscore") -> str:
    """``#mechanistic_interpretation`` ("underscore"), ``#MechanisticInterpretation`` ("camel")
    or ``#mechanisticinterpretation`` ("join"); an all-digit tag, which is not linked, gets a
    leading '_'."""
    parts = [p for p in _NOT_WORD.split(tag) if p]
    if not parts:
        return "#" + tag
    if style == "camel":
        word = "".join(p[:1].upper() + p[1:] for p in parts)
    elif style == "join":
        word = "".join(parts)
    else:
        word = "_".join(parts)
    if word.isdigit():
        word = "_" + word
    return "#" + word
