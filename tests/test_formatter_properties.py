"""Properties of the formatter over mixed-script entries: limits, words, cuts, facets, determinism.

Entries mix Hangul, Latin, CJK, emoji ZWJ sequences, flags, combining marks, URLs with and without
a scheme, very long words and hashtags. The example count comes from the hypothesis profile
(``HYPOTHESIS_PROFILE=ci`` runs 1000 of each), so no decorator here sets ``max_examples``.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import Counter
from typing import Any

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from publisher.config import FormatSettings
from publisher.errors import FormatError
from publisher.formatter import _inline_links, format_thread
from publisher.models import DigestEntry, Thread
from publisher.platforms.bluesky import MAX_TAG_GRAPHEMES, URL_DISPLAY_MAX, BlueskyRules, short_url
from publisher.platforms.text_measures import graphemes, utf8_len
from publisher.platforms.url_grammar import extract_urls
from publisher.platforms.x import XRules
from publisher.platforms.x_text import x_weighted_length

NO_DEADLINE = settings(deadline=None)
GRAPHEME = regex.compile(r"\X")
LINK = "app.bsky.richtext.facet#link"
TAG = "app.bsky.richtext.facet#tag"

# --- words ------------------------------------------------------------------------------------

LATIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
hangul_char = st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3)
latin_word = st.text(LATIN, min_size=1, max_size=10)
hangul_word = st.text(hangul_char, min_size=1, max_size=8)
cjk_word = st.text(
    st.one_of(
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),  # CJK ideographs
        st.characters(min_codepoint=0x3041, max_codepoint=0x3096),  # hiragana
    ),
    min_size=1,
    max_size=5,
)
EMOJI = ["👩‍👩‍👧‍👦", "🧑🏽‍💻", "🇰🇷", "🇯🇵", "❤️", "👍🏾", "🏳️‍🌈", "😀"]
emoji_word = st.lists(st.sampled_from(EMOJI), min_size=1, max_size=3).map("".join)
# Letters with combining marks: some compose under NFC ("e\u0301"), some only in part or not at all.
MARKED = ["e\u0301", "a\u0308\u0323", "o\u0302", "n\u0303", "U\u0300", "q\u0301", "x\u0323\u0308"]
combining_word = st.one_of(
    st.lists(st.sampled_from([*MARKED, "a", "b", "k"]), min_size=1, max_size=6).map("".join),
    # Hangul in decomposed (NFD, conjoining jamo) form; the formatter NFC-normalizes it.
    hangul_word.map(lambda w: unicodedata.normalize("NFD", w)),
)
URLS_WITH_SCHEME = [
    "https://arxiv.org/abs/2505.13447",
    "https://github.com/x/y",
    "http://example.com/a",
    "https://github.com/zhyang2226/AR-Lopti/blob/main/README.md",
    "https://www.example.co.kr/path/to/page?q=1&lang=ko",
]
URLS_WITHOUT_SCHEME = [
    "arxiv.org/abs/2505.12629",
    "example.com",
    "github.com/openai/gpt-2",
    "www.example.org/docs",
    "huggingface.co/datasets/some-org/a-rather-long-dataset-name",
]
url_word = st.one_of(
    st.sampled_from(URLS_WITH_SCHEME),
    st.sampled_from(URLS_WITHOUT_SCHEME),
    st.builds(
        "https://arxiv.org/abs/{}.{:05d}".format, st.integers(2000, 2999), st.integers(0, 99999)
    ),
)
short_word = st.one_of(hangul_word, latin_word, cjk_word, emoji_word, combining_word, url_word)
punctuated_word = st.builds(
    lambda w, p: w + p,
    st.one_of(hangul_word, latin_word, cjk_word, url_word),
    st.sampled_from([".", "!", "?", "。", ",", ":", ".)", "…"]),
)


def _repeat(unit: str, length: int) -> str:
    """``unit`` repeated whole (never cut inside a grapheme) to at least ``length`` characters."""
    return unit * -(-length // len(unit))


# A short random unit repeated to 150-700 characters (as hard to lay out as random text, far
# cheaper to draw), or a few pieces glued without spaces.
long_word = st.one_of(
    st.builds(_repeat, st.text(LATIN, min_size=1, max_size=16), st.integers(150, 700)),
    st.builds(_repeat, st.text(hangul_char, min_size=1, max_size=16), st.integers(150, 700)),
    st.builds(
        _repeat, st.lists(short_word, min_size=1, max_size=4).map("".join), st.integers(150, 700)
    ),
    # Pieces glued without spaces, as Korean glues particles to URLs ("github.com/x/y에서").
    st.lists(
        st.one_of(
            st.text(hangul_char, min_size=10, max_size=80),
            st.text(LATIN, min_size=10, max_size=40),
            emoji_word,
            combining_word,
            st.sampled_from(URLS_WITH_SCHEME),
        ),
        min_size=2,
        max_size=8,
    ).map("".join),
)
word = st.one_of(short_word, punctuated_word)


@st.composite
def paragraph(draw: st.DrawFn, first: st.SearchStrategy[str]) -> str:
    """Words joined by spaces, sometimes with one very long word somewhere in it."""
    words = [draw(first), *draw(st.lists(word, max_size=12))]
    if draw(st.integers(0, 4)) == 0:
        words.insert(draw(st.integers(0, len(words))), draw(long_word))
    return " ".join(words)


hashtag_part = st.one_of(
    st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8),
    st.text(hangul_char, min_size=1, max_size=4),
)
hashtag = st.lists(hashtag_part, min_size=1, max_size=3).map("-".join)
AUTHORS = [
    "Ada Lovelace",
    "Alan Mathison Turing",
    "Yang (Katie) Zhao",
    "Jean-Baptiste Joseph Fourier",
    "Xi",
    "김민준",
    "이서연",
    "Grace Brewster Murray Hopper",
    "Élodie Müller",
    "李小龙",
]
author = st.sampled_from(AUTHORS)
paper_url = st.one_of(
    st.none(),
    st.builds(
        "https://arxiv.org/abs/25{:02d}.{:05d}".format, st.integers(1, 12), st.integers(0, 99999)
    ),
    st.sampled_from(["https://github.com/x/y", "https://example.com/paper.pdf"]),
)


@st.composite
def entries(draw: st.DrawFn) -> DigestEntry:
    count = draw(st.integers(1, 3))
    title_words = draw(st.lists(st.one_of(word, word, word, long_word), min_size=1, max_size=8))
    return DigestEntry(
        date=dt.date(2025, 5, 20),
        title=" ".join(title_words),
        authors=draw(st.lists(author, min_size=1, max_size=30)),
        abstract=draw(paragraph(latin_word)),
        comment_ko=draw(st.lists(paragraph(hangul_word), min_size=count, max_size=count)),
        comment_en=draw(st.lists(paragraph(latin_word), min_size=count, max_size=count)),
        hashtags=draw(st.lists(hashtag, min_size=1, max_size=5)),
        url=draw(paper_url),
    )


options = st.builds(
    FormatSettings,
    layout=st.sampled_from(["sections", "paired", "compact"]),
    numbering=st.sampled_from(["fraction", "marker", "none"]),
    include_abstract=st.booleans(),
)
x_rules = st.builds(
    XRules, st.sampled_from(["underscore", "camel", "join"]), st.sampled_from(["id", "url", "none"])
)


# --- helpers ------------------------------------------------------------------------------------


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _suffix(index: int, total: int, options: FormatSettings) -> str:
    if options.numbering == "fraction" and total > 1:
        return f"\n{index}/{total}"
    if options.numbering == "marker" and index == 1:
        return " " + options.marker
    return ""


def _bodies(thread: Thread, options: FormatSettings) -> list[str]:
    """The posts without their numbering suffixes (which must be there)."""
    total = len(thread.posts)
    bodies = []
    for index, post in enumerate(thread.posts, 1):
        suffix = _suffix(index, total, options)
        assert post.endswith(suffix), (index, post)
        bodies.append(post[: len(post) - len(suffix)] if suffix else post)
    return bodies


def _as_platform(text: str, rules: Any) -> str:
    """``text`` with each URL written as the platform writes links in comments (X's policy)."""
    out, cursor = [], 0
    for span in extract_urls(text):
        out += [text[cursor : span.start], rules.inline_link(span.url)]
        cursor = span.end
    return "".join([*out, text[cursor:]])


def _expected_words(entry: DigestEntry, rules: Any, options: FormatSettings) -> list[str]:
    """Title, hashtags (as rendered), abstract if shown, then the comments in layout order."""
    words = _nfc(entry.title).split()
    words += [rules.hashtag(_nfc(tag)) for tag in entry.hashtags]
    if options.include_abstract:
        words += _nfc(_as_platform(entry.abstract, rules)).split()
    ko = [_nfc(_as_platform(p, rules)).split() for p in entry.comment_ko]
    en = [_nfc(_as_platform(p, rules)).split() for p in entry.comment_en]
    if options.layout == "paired":
        for k, e in zip(ko, en, strict=True):
            words += k + e
    else:
        words += [w for p in ko for w in p] + [w for p in en for w in p]
    return words


def _source_urls(entry: DigestEntry, options: FormatSettings, rules: Any) -> list[str]:
    """Every link as the platform writes it (a URL, or on X perhaps ``arXiv:ID``), in order."""
    texts = [*entry.comment_ko, *entry.comment_en]
    if options.include_abstract:
        texts.append(entry.abstract)
    title = [u.url for u in extract_urls(_nfc(" ".join(entry.title.split())))]
    urls = [
        rules.inline_link(u.url) for t in texts for u in extract_urls(_nfc(" ".join(t.split())))
    ]
    link = rules.link(entry.url) if entry.url else None
    return title + urls + ([link] if link else [])


def _full(url: str) -> str:
    return url if regex.match(r"(?i)https?://", url) else "https://" + url


def _check_payload(post: str, payload: dict[str, Any], tags: set[str]) -> None:
    """Facets sit on exactly their link or tag text; link URIs are the full URLs; langs fit."""
    text = payload["text"]
    data = text.encode("utf-8")
    facets = payload.get("facets", [])
    previous_end = 0
    links = []
    for facet in facets:
        start, end = facet["index"]["byteStart"], facet["index"]["byteEnd"]
        assert previous_end <= start < end <= len(data), facets
        previous_end = end
        shown = data[start:end].decode("utf-8")  # raises if a facet cuts a character
        (feature,) = facet["features"]
        if feature["$type"] == LINK:
            links.append((shown, feature["uri"]))
        else:
            assert feature["$type"] == TAG
            assert shown == "#" + feature["tag"]
            assert feature["tag"] in tags, (feature["tag"], tags)
    urls = [u.url for u in extract_urls(post)]
    assert [uri for _, uri in links] == [_full(u) for u in urls]
    assert [s for s, _ in links] == [u if len(u) <= URL_DISPLAY_MAX else short_url(u) for u in urls]
    tagged = {f["features"][0]["tag"] for f in facets if f["features"][0]["$type"] == TAG}
    for token in post.split():
        tag = token[1:]
        if token.startswith("#") and tag in tags and not tag.isdigit():
            assert tag in tagged or graphemes(tag) > MAX_TAG_GRAPHEMES, (tag, facets)
    langs = payload["langs"]
    assert langs and set(langs) <= {"ko", "en"} and len(set(langs)) == len(langs)


def _check_thread(entry: DigestEntry, rules: Any, options: FormatSettings) -> None:
    thread = format_thread(entry, rules, options)
    assert thread.platform == rules.name and thread.entry_id == entry.id

    # 1. Within the platform's limit, by its own rule and counted here independently.
    for post in thread.posts:
        assert rules.problems(post) == [], post
        if rules.name == "x":
            assert 0 < x_weighted_length(post) <= 280, post
        else:
            shown = rules.payload(post)["text"]
            assert 0 < graphemes(shown) <= 300 and utf8_len(shown) <= 3000, post

    # 2. No post is empty, numbering aside.
    bodies = _bodies(thread, options)
    assert all(body.strip() for body in bodies), bodies

    # 3. The words of the title, hashtags and comments all appear, in order.
    joined = "".join(bodies)
    squeezed = "".join(joined.split())
    at = 0
    for expected in _expected_words(entry, rules, options):
        found = squeezed.find(expected, at)
        assert found >= 0, (expected, squeezed[at : at + 80])
        at = found + len(expected)

    # 4. Every cut falls on a grapheme boundary, and no post starts inside a cluster.
    boundaries = {m.end() for m in GRAPHEME.finditer(joined)} | {0}
    cut = 0
    for body in bodies[:-1]:
        cut += len(body)
        assert cut in boundaries, (body[-5:], joined[cut : cut + 5])
    for body in bodies:
        first = body[0]
        assert unicodedata.category(first) not in ("Mn", "Mc", "Me"), body
        assert first not in "\u200d\ufe0e\ufe0f" and not 0x1F3FB <= ord(first) <= 0x1F3FF, body

    # 5. No URL and no hashtag is cut: each appears whole in one post.
    in_posts: Counter[str] = Counter()
    for url in set(_source_urls(entry, options, rules)):
        in_posts[url] = sum(body.count(url) for body in bodies)
    for url, times in Counter(_source_urls(entry, options, rules)).items():
        assert in_posts[url] >= times, (url, bodies)
    rendered = [rules.hashtag(_nfc(t)) for t in entry.hashtags]
    for tag in rendered:
        assert any(tag in body.split() for body in bodies), (tag, bodies)

    # 6. Bluesky's facets cover exactly their link or tag text.
    if rules.name == "bluesky":
        tags = {t[1:] for t in rendered}
        for post in thread.posts:
            _check_payload(post, rules.payload(post), tags)

    # 7. The same input gives the same output, with fresh rules too.
    fresh = XRules(rules.hashtag_style, rules.link_policy) if rules.name == "x" else BlueskyRules()
    assert format_thread(entry, fresh, options) == thread


# --- tests --------------------------------------------------------------------------------------


class TestThreadProperties:
    """Every generated entry lays out within the limits, whole, in order, cut only where allowed."""

    # Each example lays the entry out for both platforms: 1000 examples (ci) are 1000 per platform.
    @NO_DEADLINE
    @given(entry=entries(), x=x_rules, options=options)
    def test_x_and_bluesky(self, entry: DigestEntry, x: XRules, options: FormatSettings) -> None:
        """Limits, non-empty posts, words in order, clean cuts, facets, determinism."""
        _check_thread(entry, x, options)
        _check_thread(entry, BlueskyRules(), options)


compact_options = st.builds(
    FormatSettings,
    layout=st.just("compact"),
    numbering=st.sampled_from(["fraction", "marker", "none"]),
    max_authors=st.sampled_from([0, 1, 6]),
)


def _squash(text: str) -> str:
    return "".join(text.split())


class TestCompactProperties:
    """Compact: paragraphs that fit are never cut, all of them in order, within the limits."""

    @NO_DEADLINE
    @given(entry=entries(), x=x_rules, options=compact_options)
    def test_paragraphs_whole_in_order_within_limits(
        self, entry: DigestEntry, x: XRules, options: FormatSettings
    ) -> None:
        """Checked on X and Bluesky for each generated entry."""
        for rules in (x, BlueskyRules()):
            thread = format_thread(entry, rules, options)
            # Every post is within its platform's limit.
            for post in thread.posts:
                assert rules.problems(post) == [], post
            total = len(thread.posts)
            bodies = _bodies(thread, options)
            # "Fits in a post": with the widest numbering the thread's posts carry.
            widest = max(
                (_suffix(i, total, options) for i in (1, total)),
                key=lambda s: rules.measures(s),
            )
            shown = _inline_links(entry, rules)  # paragraphs with links as the platform writes them
            paragraphs = [" ".join(_nfc(p).split()) for p in (*shown.comment_ko, *shown.comment_en)]
            for paragraph in paragraphs:
                fits = not rules.problems(paragraph + widest)
                if fits:  # never cut: whole, as written, inside one post
                    assert any(paragraph in body for body in bodies), (paragraph, bodies)
            # The posts, concatenated, hold every paragraph in order (cuts drop only spaces).
            joined = _squash("".join(bodies))
            cursor = 0
            for paragraph in paragraphs:
                found = joined.find(_squash(paragraph), cursor)
                assert found >= 0, (paragraph, bodies)
                cursor = found + len(_squash(paragraph))


class TestMarkerReserve:
    """The thread marker fits: the properties found a header that filled post 1 to the limit."""

    @pytest.mark.parametrize("rules", [XRules(), BlueskyRules()], ids=["x", "bluesky"])
    @pytest.mark.parametrize("spare", [0, 1, 2, 3])
    def test_full_first_post(self, rules: Any, spare: int) -> None:
        """A header ``spare`` short of the limit still leaves room for " 🧵" on post 1."""
        tail = "\nAda Lovelace\n#rl"  # authors and hashtag, all weight 1 and one grapheme each
        word = "x" * (rules.limit - spare - len("T ") - len(tail))
        entry = DigestEntry(
            date=dt.date(2025, 5, 20),
            title=f"T {word}",
            authors=["Ada Lovelace"],
            abstract="An abstract.",
            comment_ko=["코멘트입니다."],
            comment_en=["A comment."],
            hashtags=["rl"],
        )
        options = FormatSettings(numbering="marker")
        thread = format_thread(entry, rules, options)  # raised FormatError before the fix
        assert thread.posts[0].endswith(" 🧵")
        assert all(rules.problems(post) == [] for post in thread.posts)
        _check_thread(entry, rules, options)


class TestOverlongHashtag:
    """A hashtag that cannot fit in a post even alone is a FormatError, never a cut tag."""

    @NO_DEADLINE
    @given(
        platform=st.sampled_from(["x", "bluesky"]),
        tag=st.one_of(
            st.text(LATIN, min_size=300, max_size=400),
            st.text(hangul_char, min_size=300, max_size=400),
        ),
        options=options,
    )
    def test_raises(self, platform: str, tag: str, options: FormatSettings) -> None:
        """The error names the entry and the platform."""
        rules = XRules() if platform == "x" else BlueskyRules()
        entry = DigestEntry(
            date=dt.date(2025, 5, 20),
            title="A Title",
            authors=["Ada Lovelace"],
            abstract="An abstract.",
            comment_ko=["코멘트입니다."],
            comment_en=["A comment."],
            hashtags=["rl", tag],
        )
        with pytest.raises(FormatError) as info:
            format_thread(entry, rules, options)
        assert info.value.entry_id == entry.id and info.value.platform == platform


class TestBlueskyPayload:
    """``BlueskyRules().payload`` places link and tag facets right on any short text."""

    @NO_DEADLINE
    @given(
        pieces=st.lists(
            st.one_of(
                short_word,
                punctuated_word,
                hashtag.map(lambda t: "#" + t),
                st.builds(lambda t, p: f"#{t}{p}", hashtag, st.sampled_from([".", ",", "!", ")"])),
                st.builds(lambda t: f"({t})", url_word),
            ),
            min_size=1,
            max_size=12,
        ),
        seps=st.lists(st.sampled_from([" ", "\n", "  ", "\n\n"]), min_size=12, max_size=12),
    )
    def test_facets(self, pieces: list[str], seps: list[str]) -> None:
        """Each facet's bytes are its shown link or '#tag'; links point at the full URL."""
        text = _nfc(pieces[0] + "".join(s + p for s, p in zip(seps, pieces[1:], strict=False)))
        payload = BlueskyRules().payload(text)
        urls = extract_urls(text)
        expected, cursor = [], 0
        for span in urls:
            shown = span.url if len(span.url) <= URL_DISPLAY_MAX else short_url(span.url)
            expected.append(text[cursor : span.start] + shown)
            cursor = span.end
        assert payload["text"] == "".join(expected) + text[cursor:]
        tags = {
            regex.sub(r"[.,;:!?…'\")\]}]+$", "", p[1:]) for p in text.split() if p.startswith("#")
        }
        _check_payload(text, payload, tags)
