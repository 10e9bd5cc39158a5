"""Which language a post is in, for the platforms that label posts (Bluesky's langs, Mastodon's
language): one rule, so that a digest's post is labelled the same everywhere."""

from __future__ import annotations

import re

from publisher.platforms.url_grammar import extract_urls

# A hashtag as the platforms link it: '#' at the start or after a space or an opening bracket.
TAG = re.compile(r"(?<![^\s(\[])#([^\s#]+)")
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")
_LATIN = re.compile(r"[A-Za-z]")


def detect_langs(text: str) -> list[str]:
    """``ko`` for Korean posts, ``en`` for English ones, both where a post holds both.

    URLs and hashtags do not count. A Korean sentence with a few English terms is Korean; a
    post is "both" when its Latin letters outweigh a third of its Hangul-weighted letters
    (a Hangul syllable carries about three Latin letters' worth of text).
    """
    plain = TAG.sub(" ", text)
    for span in reversed(extract_urls(plain)):
        plain = plain[: span.start] + " " + plain[span.end :]
    hangul = len(_HANGUL.findall(plain))
    latin = len(_LATIN.findall(plain))
    if hangul and latin > hangul * 3 * 0.5:
        return ["ko", "en"]
    if hangul:
        return ["ko"]
    return ["en"]
