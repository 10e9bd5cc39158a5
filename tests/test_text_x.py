"""X length counting and URL extraction against twitter-text's conformance data.

The data is vendored in tests/conformance/ (see NOTICE there). Every case of the sections
used here runs; none is skipped.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from publisher.platforms.text_measures import byte_offset, graphemes, utf8_len
from publisher.platforms.url_grammar import UrlSpan, extract_urls
from publisher.platforms.x_text import (
    X_DEFAULT_WEIGHT,
    X_MAX_WEIGHTED_LENGTH,
    X_SCALE,
    X_TRANSFORMED_URL_LENGTH,
    X_WEIGHT_RANGES,
    x_is_valid,
    x_problems,
    x_weighted_length,
)

CONFORMANCE = Path(__file__).parent / "conformance"


def _load_yaml(name: str) -> dict[str, list[dict[str, Any]]]:
    with (CONFORMANCE / name).open(encoding="utf-8") as f:
        data: dict[str, dict[str, list[dict[str, Any]]]] = yaml.safe_load(f)
    return data["tests"]


VALIDATE = _load_yaml("twitter-text-validate.yml")
EXTRACT = _load_yaml("twitter-text-extract.yml")
CONFIG: dict[str, Any] = json.loads((CONFORMANCE / "twitter-text-v3.json").read_text("utf-8"))


def _cases(section: list[dict[str, Any]]) -> list[Any]:
    """Turn a conformance section into pytest params with readable, unique ids."""
    params = []
    seen: set[str] = set()
    for case in section:
        slug = re.sub(r"[^A-Za-z0-9]+", "-", case["description"]).strip("-")[:70] or "case"
        case_id, n = slug, 2
        while case_id in seen:
            case_id, n = f"{slug}-{n}", n + 1
        seen.add(case_id)
        params.append(pytest.param(case["text"], case["expected"], id=case_id))
    return params


WEIGHTED = VALIDATE["WeightedTweetsWithDiscountedEmojiCounterTest"]
DIRECTIONAL = VALIDATE["UnicodeDirectionalMarkerCounterTest"]
URLS = EXTRACT["urls"]
URLS_WITH_INDICES = EXTRACT["urls_with_indices"]
URLS_DIRECTIONAL = EXTRACT["urls_with_directional_markers"]
TCO_URLS = EXTRACT["tco_urls_with_params"]


class TestConformanceData:
    """The vendored data loads as the cases intend, and the module uses its config."""

    def test_sections_are_complete(self) -> None:
        """Every section used here is present with the number of cases of commit 30e2430."""
        assert len(WEIGHTED) == 22
        assert len(URLS) == 91
        assert len(URLS_WITH_INDICES) == 10

    def test_yaml_escapes_are_decoded(self) -> None:
        """\\u and \\U escapes in double-quoted YAML became the characters they name."""
        texts = [c["text"] for c in [*WEIGHTED, *DIRECTIONAL, *URLS, *URLS_WITH_INDICES]]
        texts += [c["text"] for c in [*URLS_DIRECTIONAL, *TCO_URLS]]
        assert not [t for t in texts if re.search(r"\\[uU][0-9a-fA-F]{4}", t)]
        by_description = {c["description"]: c["text"] for c in WEIGHTED}
        punctuation = by_description[
            "Handle General Punctuation Characters with visible spaces(u2000-200A), no ZWJ/ZWNJ"
        ]
        assert "\u2000\u2001\u2002" in punctuation
        assert "\u200b" in punctuation
        assert DIRECTIONAL[0]["text"] == "ABC\u202a\uffffABC\ufffe"
        assert URLS_DIRECTIONAL[0]["text"].startswith("\u2066\u202atest")
        nbsp = [c["text"] for c in URLS if "non-breaking space" in c["description"]]
        assert nbsp == ["@user Try http://\u00a0example.com/path"]

    def test_module_constants_match_v3_config(self) -> None:
        """publisher.platforms.x_text uses the weights, scale and limits of twitter-text-v3.json."""
        assert CONFIG["version"] == 3
        assert CONFIG["maxWeightedTweetLength"] == X_MAX_WEIGHTED_LENGTH
        assert CONFIG["scale"] == X_SCALE
        assert CONFIG["defaultWeight"] == X_DEFAULT_WEIGHT
        assert CONFIG["transformedURLLength"] == X_TRANSFORMED_URL_LENGTH
        assert CONFIG["emojiParsingEnabled"] is True
        ranges = [(r["start"], r["end"], r["weight"]) for r in CONFIG["ranges"]]
        assert ranges == list(X_WEIGHT_RANGES)


class TestWeightedTweetsWithDiscountedEmojiCounter:
    """validate.yml WeightedTweetsWithDiscountedEmojiCounterTest: length and validity."""

    @pytest.mark.parametrize(("text", "expected"), _cases(WEIGHTED))
    def test_weighted_length(self, text: str, expected: dict[str, Any]) -> None:
        """x_weighted_length gives the case's weightedLength."""
        assert x_weighted_length(text) == expected["weightedLength"]

    @pytest.mark.parametrize(("text", "expected"), _cases(WEIGHTED))
    def test_validity(self, text: str, expected: dict[str, Any]) -> None:
        """x_is_valid gives the case's valid, and x_problems agrees with it."""
        assert x_is_valid(text) is expected["valid"]
        assert (x_problems(text) == []) is expected["valid"]


class TestUnicodeDirectionalMarkerCounter:
    """validate.yml UnicodeDirectionalMarkerCounterTest: invalid and directional characters."""

    @pytest.mark.parametrize(("text", "expected"), _cases(DIRECTIONAL))
    def test_length_and_validity(self, text: str, expected: dict[str, Any]) -> None:
        """Length and validity match, with U+FFFE/U+FFFF making the text invalid."""
        assert x_weighted_length(text) == expected["weightedLength"]
        assert x_is_valid(text) is expected["valid"]


class TestExtractUrls:
    """extract.yml urls: the URLs extracted, in order."""

    @pytest.mark.parametrize(("text", "expected"), _cases(URLS))
    def test_urls(self, text: str, expected: list[str]) -> None:
        """extract_urls finds exactly the expected URLs, and each span slices its URL."""
        spans = extract_urls(text)
        assert [s.url for s in spans] == expected
        assert all(text[s.start : s.end] == s.url for s in spans)


class TestExtractUrlsWithIndices:
    """extract.yml urls_with_indices: URLs with their code-point indices."""

    @pytest.mark.parametrize(("text", "expected"), _cases(URLS_WITH_INDICES))
    def test_urls_with_indices(self, text: str, expected: list[dict[str, Any]]) -> None:
        """extract_urls gives the expected URL and [start, end) for each URL."""
        got = [{"url": s.url, "indices": [s.start, s.end]} for s in extract_urls(text)]
        assert got == expected


class TestExtractUrlsMoreSections:
    """extract.yml urls_with_directional_markers and tco_urls_with_params."""

    @pytest.mark.parametrize(("text", "expected"), _cases(URLS_DIRECTIONAL))
    def test_directional_markers(self, text: str, expected: list[dict[str, Any]]) -> None:
        """URLs between bidi isolates/embeddings are found with the right indices."""
        got = [{"url": s.url, "indices": [s.start, s.end]} for s in extract_urls(text)]
        assert got == expected

    @pytest.mark.parametrize(("text", "expected"), _cases(TCO_URLS))
    def test_tco_params(self, text: str, expected: list[str]) -> None:
        """t.co links keep their query string."""
        assert [s.url for s in extract_urls(text)] == expected


class TestXLengthDirect:
    """Direct checks of the X counting facts the publisher relies on."""

    def test_140_hangul_syllables_fill_a_post(self) -> None:
        """140 Hangul syllables weigh 280 and are valid; one more is too long."""
        assert x_weighted_length("한" * 140) == 280
        assert x_is_valid("한" * 140)
        assert x_weighted_length("한" * 141) == 282
        assert not x_is_valid("한" * 141)

    def test_ellipsis_and_bullet_weigh_two(self) -> None:
        """The ellipsis "…" (U+2026) and bullet "•" (U+2022) lie outside the light ranges."""
        assert x_weighted_length("…") == 2
        assert x_weighted_length("•") == 2
        assert x_weighted_length("\u2019") == 1

    def test_url_glued_to_hangul_ends_before_it(self) -> None:
        """A bare URL followed by Hangul stops at the Hangul, which still counts."""
        text = "example.com/path한국"
        assert extract_urls(text) == [UrlSpan(0, 16, "example.com/path")]
        assert x_weighted_length(text) == 23 + 4

    def test_bare_domains_count_as_urls(self) -> None:
        """arXiv links without a scheme and bare domains weigh 23 each."""
        text = "논문: arxiv.org/abs/2505.13447 (foo.com)"
        assert [s.url for s in extract_urls(text)] == ["arxiv.org/abs/2505.13447", "foo.com"]
        # "논문: " 2+2+1+1, URL 23, " (" 1+1, URL 23, ")" 1
        assert x_weighted_length(text) == 6 + 23 + 2 + 23 + 1

    def test_https_url_with_path_weighs_23(self) -> None:
        """A long https URL weighs 23 whatever its length, trailing period excluded."""
        url = "https://huggingface.co/papers/2505.13447?utm_source=x&lang=en"
        assert extract_urls(f"{url}.") == [UrlSpan(0, len(url), url)]
        assert x_weighted_length(f"{url}.") == 24

    def test_zwj_family_emoji_weighs_two(self) -> None:
        """A ZWJ family (7 code points) is one emoji sequence of weight 2."""
        family = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
        assert x_weighted_length(family) == 2

    @pytest.mark.parametrize(
        "emoji",
        [
            pytest.param("\U0001f1f0\U0001f1f7", id="flag"),
            pytest.param("\U0001f44d\U0001f3fd", id="skin-tone"),
            pytest.param("#\ufe0f\u20e3", id="keycap"),
            pytest.param("\u2764\ufe0f", id="text-default-with-fe0f"),
            pytest.param("\U0001f3f3\ufe0f\u200d\U0001f308", id="rainbow-flag-zwj"),
            pytest.param(
                "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
                id="tag-sequence",
            ),
        ],
    )
    def test_emoji_sequences_weigh_two(self, emoji: str) -> None:
        """Every kind of emoji sequence weighs 2 in total."""
        assert x_weighted_length(emoji) == 2

    def test_text_default_symbol_without_fe0f_is_a_character(self) -> None:
        """A bare "©" is a Latin-1 character of weight 1, not an emoji."""
        assert x_weighted_length("©") == 1

    def test_nfc_normalization(self) -> None:
        """Decomposed Hangul (jamo) is composed first: 한 as 3 jamo weighs 2, not 3."""
        decomposed = unicodedata.normalize("NFD", "한")
        assert len(decomposed) == 3
        assert x_weighted_length(decomposed) == 2

    def test_problems(self) -> None:
        """x_problems names each problem: empty, too long, invalid characters."""
        assert x_problems("") == ["text is empty"]
        assert x_problems("  \n") == ["text is empty"]
        assert x_problems("ok") == []
        too_long = x_problems("가" * 141)
        assert len(too_long) == 1
        assert "282" in too_long[0]
        assert x_problems("a\ufeffb") == ["invalid character U+FEFF at index 1"]
        assert not x_is_valid("a\ufffeb")
        assert not x_is_valid("a\uffffb")


class TestBlueskyMeasures:
    """Graphemes, UTF-8 length and byte offsets for Bluesky."""

    def test_flag_is_one_grapheme(self) -> None:
        """A regional-indicator pair is one grapheme of 8 bytes."""
        flag = "\U0001f1f0\U0001f1f7"
        assert graphemes(flag) == 1
        assert utf8_len(flag) == 8

    def test_hangul_and_family(self) -> None:
        """Hangul syllables are one grapheme each; a ZWJ family is one grapheme of 25 bytes."""
        assert graphemes("한국어") == 3
        assert utf8_len("한국어") == 9
        family = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
        assert graphemes(family) == 1
        assert utf8_len(family) == 25

    def test_byte_offset(self) -> None:
        """Code-point indices map to UTF-8 byte offsets, including the end."""
        text = "논문 arxiv.org/abs/1"
        (span,) = extract_urls(text)
        assert span.start == 3
        assert byte_offset(text, span.start) == 7
        assert byte_offset(text, span.end) == utf8_len(text)
        assert byte_offset(text, 0) == 0
        with pytest.raises(IndexError):
            byte_offset(text, len(text) + 1)
        with pytest.raises(IndexError):
            byte_offset(text, -1)


class TestProperties:
    """Invariants over generated texts."""

    @given(
        st.lists(
            st.sampled_from([*"ab.:/-_ 한…😀()", "com", "co", "http://", "https://"]),
            max_size=30,
        ).map("".join)
    )
    def test_spans_slice_text_in_order(self, text: str) -> None:
        """URL spans are ordered, disjoint and slice exactly their URL."""
        spans = extract_urls(text)
        previous_end = 0
        for span in spans:
            assert previous_end <= span.start < span.end <= len(text)
            assert text[span.start : span.end] == span.url
            previous_end = span.end

    @given(st.text(alphabet=st.characters(exclude_characters="."), max_size=60))
    def test_weight_bounds_without_urls(self, text: str) -> None:
        """Without URLs every code point weighs 1 or 2, so length lies in [0, 2 * len]."""
        normalized = unicodedata.normalize("NFC", text)
        assert 0 <= x_weighted_length(text) <= 2 * len(normalized)


# ---------------------------------------------------------------------------------------
# The fast paths against straightforward references: twitter-text's VALID_URL as one
# regex with all the TLDs (what the URL grammar compiled before; ~50 ms), the emoji
# regex over every code point, and regex's \X.


def _reference_url_regex() -> Any:
    """Java's VALID_URL as one ``regex`` pattern, the TLDs factored as a greedy trie."""
    import regex

    from publisher.platforms import url_grammar as t

    trie: dict[str, Any] = {}
    for tld in (*t._GTLDS.split(), *t._CCTLDS.split()):
        node = trie
        for char in tld:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        branches = [regex.escape(ch) + emit(child) for ch, child in node.items() if ch]
        if not branches:
            return ""
        group = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{group})?" if "" in node else group

    tld = rf"(?:(?=[^.][^.])(?:{emit(trie)})(?=[^a-z0-9@+\-]|$))"
    domain = (
        rf"(?:(?P<ascii>{t._SUBDOMAIN}*{t._DOMAIN_NAME})|(?<=https?://){t._UNICODE_DOMAIN_NAME})"
        rf"(?:{tld}|(?(ascii){t._PUNYCODE}|(?!)))"
    )
    pattern = (
        rf"(?P<before>{t._PRECEDING})(?P<url>(?P<protocol>https?://)?(?P<domain>{domain})"
        rf"(?::[0-9]++)?(?:/{t._PATH}*+)?(?:\?{t._QUERY}*{t._QUERY_ENDING})?)"
    )
    return regex.compile(pattern, regex.IGNORECASE | regex.ASCII)


_REFERENCE: dict[str, Any] = {}


def _reference_extract_urls(text: str) -> list[UrlSpan]:
    """Extractor.extractURLsWithIndices over finditer of the one-regex VALID_URL."""
    import regex

    from publisher.platforms import url_grammar as t

    if "url" not in _REFERENCE:
        _REFERENCE["url"] = _reference_url_regex()
        _REFERENCE["tco"] = regex.compile(
            rf"^https?://t\.co/([a-z0-9]+)(?:\?{t._QUERY}*{t._QUERY_ENDING})?",
            regex.IGNORECASE | regex.ASCII,
        )
    urls = []
    for m in _REFERENCE["url"].finditer(text):
        protocol = m.group("protocol")
        if not protocol and m.group("before") in ("-", "_", ".", "/"):
            continue
        url = m.group("url")
        start, end = m.span("url")
        tco = _REFERENCE["tco"].match(url)
        if tco is not None:
            if len(tco.group(1)) > 40:
                continue
            url = tco.group(0)
            end = start + len(url)
        try:
            host = m.group("domain").encode("idna")
        except UnicodeError:
            continue
        length = len(url) + len(host) - len(m.group("domain")) + (0 if protocol else 8)
        if host and length <= 4096:
            urls.append(UrlSpan(start, end, url))
    return urls


def _reference_weighted_length(text: str) -> int:
    """twitter-text v3 weightedLength, code point by code point."""
    import regex

    from publisher.platforms import x_text as t

    if "emoji" not in _REFERENCE:
        _REFERENCE["emoji"] = regex.compile(t._EMOJI)
    normalized = unicodedata.normalize("NFC", text)
    url_ends = {u.start: u.end for u in _reference_extract_urls(normalized)}
    emoji_ends = {m.start(): m.end() for m in _REFERENCE["emoji"].finditer(normalized)}
    weighted = i = 0
    while i < len(normalized):
        if i in url_ends:
            weighted += X_TRANSFORMED_URL_LENGTH * X_SCALE
            i = url_ends[i]
        elif i in emoji_ends:
            weighted += X_DEFAULT_WEIGHT
            i = emoji_ends[i]
        else:
            cp = ord(normalized[i])
            weights = [w for start, end, w in X_WEIGHT_RANGES if start <= cp <= end]
            weighted += weights[0] if weights else X_DEFAULT_WEIGHT
            i += 1
    return weighted // X_SCALE


_URL_PIECES = [
    *["http://", "https://", "HTTP://", "Https://", "www.", "t.co/", "T.CO/", "xn--", "XN--p1ai"],
    *["abc", "Ab", "x", "a_b", "a-b", "-", "_", "com", "COM", "co", "org", "kr", "jp", "한국"],
    *["嘉里", "嘉里大酒店", "рф", "РФ", "vermögensberatung", "VERMÖGENSBERATER", "例え", "テスト"],
    *[".", ".", ".", "..", "/", "//", ":", "?", "#", "@", "$", "+", "=", "&", "(", ")", "[", "]"],
    *["'", "!", "*", ",", ";", "~", "|", "%", "1", "23", "8080", " ", " ", "\n", "\r\n", "\t"],
    *["\u00a0", "\u3000", "é", "É", "ß", "ſ", "\u212a", "\u0301", "\u200e", "\u202a", "\u2066"],
    *["\ufeff", "\uff20", "\uff03", "\uff0e", "。", "한", "글", "中", "а", "😀", "👍🏽", "\u200d"],
    *["\ufe0f", "#\ufe0f\u20e3", "🇰🇷", "©", "©\ufe0f", "…", "•", "\u2013", "\u2019", "?q=1&b=2"],
    *["/path/to", "(x)", "a(b)c", "index.html", "arxiv.org/abs/2505.13447", "x.com", "ａ"],
]
_TEXTS = st.lists(st.sampled_from(_URL_PIECES), max_size=16).map("".join) | st.text(
    alphabet="abxAB09.:/-_@#?=()' \n한中é\u0301😀\u200d\ufe0f\u20e3🇰", max_size=30
)


class TestFastPathsAgainstReferences:
    """extract_urls, x_weighted_length and graphemes give what the references give."""

    @given(_TEXTS)
    def test_extract_urls_as_one_regex(self, text: str) -> None:
        """The TLD set lookup and the backtracking walk find what VALID_URL finds."""
        assert extract_urls(text) == _reference_extract_urls(text)

    @pytest.mark.parametrize(
        "text",
        [
            "éexample.com",  # at 0 the regex takes "é" as the preceding character first
            "x/http://例え.jp",
            "ahttp://例え.jp a/http://例え.jp/x http://例え.テスト",
            "http://http://x.com",
            "a.b_c.d.com ex_ample.com a_b.com",
            "www.google.com.xyzzy a.comx.org x.co_m x.한국어 x.嘉里大酒 x.嘉里大酒店",
            "x.xn--abc-d.com x.xn--abc- http://例え.xn--p1ai",
            "x.РФ x.рф x.VERMÖGENSBERATUNG x.vermögensberaterö x.comK x.com\u212a",
            "foo.com:8080/a(b)c?d=e#f 1.2.3.4 v1.0 e.g. example.com.",
            "http://" + "a" * 64 + ".com http://" + "a" * 63 + ".com",
            "a." * 200,
            "x.com" * 60,
        ],
        ids=[
            *["preceding-at-0", "unicode-after-slash", "unicode-branch", "double-scheme"],
            *["underscores", "tld-backtracking", "punycode", "case-folding", "paths"],
            *["label-length", "dotted-run", "glued-urls"],
        ],
    )
    def test_extract_urls_edge_cases(self, text: str) -> None:
        """Edge cases of the regex's order of attempts give the same URLs."""
        assert extract_urls(text) == _reference_extract_urls(text)

    @given(_TEXTS)
    def test_weighted_length(self, text: str) -> None:
        """Weights by runs and the emoji hint give the code-point-by-code-point length."""
        assert x_weighted_length(text) == _reference_weighted_length(text)

    @given(st.text(max_size=40) | _TEXTS)
    def test_graphemes(self, text: str) -> None:
        """The ASCII and single-code-point fast paths count as regex's \\X does."""
        import regex

        assert graphemes(text) == len(regex.findall(r"\X", text))
        assert utf8_len(text) == len(text.encode("utf-8", "surrogatepass"))

    def test_emoji_hint_covers_every_emoji_character(self) -> None:
        """Every code point an emoji sequence can hold one of (the hint) is in the hint."""
        import regex

        from publisher.platforms import x_text as t

        every = "".join(map(chr, [*range(0xD800), *range(0xE000, 0x110000)]))
        starts = regex.findall(
            r"[\p{Regional_Indicator}\p{Emoji_Modifier_Base}\p{Emoji_Presentation}"
            r"\p{Extended_Pictographic}\u20e3\U0001f3f4]",
            every,
        )
        hint = t._non_ascii().emoji_hint
        assert starts
        assert [c for c in starts if hint(c) is None] == []

    def test_singleton_ranges_hold_no_joining_character(self) -> None:
        """No code point of the single-grapheme ranges can join a neighbour."""
        import regex

        from publisher.platforms import text_measures as t

        every = "".join(map(chr, [*range(0xD800), *range(0xE000, 0x110000)]))
        singletons = "".join(regex.findall(f"[{t._SINGLETONS}]", every))
        assert len(singletons) > 15_000
        joining = regex.findall(
            r"[\r\p{GCB=Extend}\p{GCB=ZWJ}\p{GCB=SpacingMark}\p{GCB=Prepend}"
            r"\p{GCB=L}\p{GCB=V}\p{GCB=T}\p{GCB=Regional_Indicator}]",
            singletons,
        )
        assert joining == []
