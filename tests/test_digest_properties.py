"""Properties of the digest reader: written digests read back equal; nothing else ever escapes."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from publisher.digest import format_digest_text, parse_digest_text, read_digest
from publisher.errors import InputError
from publisher.models import Digest, DigestEntry

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "digest-2025-05-20.txt"
EXAMPLE_LINES = EXAMPLE.read_text(encoding="utf-8").split("\n")

PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

LATIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéèüñćŁ"
DIGITS = "0123456789"
HANGUL = "가나다라마바사아자차카타파하한국어논문추론학습모델좋네요"

latin_word = st.text(LATIN, min_size=1, max_size=8)
word = st.text(LATIN + DIGITS + "-'.,:;!?/%&()", min_size=1, max_size=10).filter(
    lambda w: "(" not in w or ")" not in w  # keeps a line from looking like "(...)"
)
hangul_word = st.text(HANGUL, min_size=1, max_size=6)


def sentence(first: st.SearchStrategy[str], rest: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Words joined by single spaces, the first from ``first``: never blank, never padded."""
    return st.builds(lambda head, tail: " ".join([head, *tail]), first, st.lists(rest, max_size=8))


title = sentence(latin_word, word)
abstract = st.builds(lambda a, b, rest: " ".join([a, b, *rest]), latin_word, word, st.lists(word))
english_line = sentence(latin_word, word)


def _hangul_dominates(line: str) -> bool:
    """More words with Hangul than words with a Latin letter: what the layout reads as Korean."""
    words = line.split()
    korean = sum(any(c in HANGUL for c in w) for w in words)
    latin = sum(any(c in LATIN for c in w) and not any(c in HANGUL for c in w) for w in words)
    return korean > latin


korean_line = sentence(hangul_word, st.one_of(hangul_word, word)).filter(_hangul_dominates)


@st.composite
def author(draw: st.DrawFn) -> str:
    """A name, sometimes with a nested parenthesis as in "Yang (Katie)Zhao"."""
    names = draw(st.lists(latin_word, min_size=1, max_size=3))
    if draw(st.booleans()):
        nick = draw(latin_word)
        at = draw(st.integers(0, len(names) - 1))
        names[at] = f"{names[at]} ({nick})" if draw(st.booleans()) else f"({nick}){names[at]}"
    return " ".join(names)


hashtag = st.text(LATIN + DIGITS + "-_" + HANGUL, min_size=1, max_size=12)
url = st.one_of(
    st.none(),
    st.from_regex(r"\Ahttps://arxiv\.org/abs/2[0-9]{3}\.[0-9]{5}\Z"),
    st.builds(lambda host, p: f"https://{host}.org/{p}", st.text(LATIN, min_size=1), latin_word),
)


@st.composite
def entries(draw: st.DrawFn, date: dt.date) -> DigestEntry:
    paragraphs = draw(st.integers(1, 3))
    return DigestEntry(
        date=date,
        title=draw(title),
        authors=draw(st.lists(author(), min_size=1, max_size=5)),
        url=draw(url),
        abstract=draw(abstract),
        comment_ko=draw(st.lists(korean_line, min_size=paragraphs, max_size=paragraphs)),
        comment_en=draw(st.lists(english_line, min_size=paragraphs, max_size=paragraphs)),
        hashtags=draw(st.lists(hashtag, min_size=1, max_size=4)),
    )


@st.composite
def digests(draw: st.DrawFn) -> Digest:
    date = draw(st.dates(min_value=dt.date(1000, 1, 1)))
    papers = draw(st.lists(entries(date), min_size=1, max_size=4, unique_by=lambda e: e.id))
    return Digest(date=date, entries=papers)


def parses_or_input_error(text: str) -> None:
    try:
        parse_digest_text(text, "x.txt")
    except InputError as exc:
        assert exc.problems
        assert all(p.path == "x.txt" and p.message for p in exc.problems)


class TestRoundTrip:
    """A written digest reads back with equal entries at the lines they were written at."""

    @PROPERTY
    @given(digests())
    def test_written_digest_reads_back(self, digest: Digest) -> None:
        text = format_digest_text(digest)
        parsed = parse_digest_text(text, "x.txt")
        assert parsed.date == digest.date
        assert parsed.entries == digest.entries
        lines = text.split("\n")
        assert [lines[no - 1] for no in parsed.lines] == [e.title for e in digest.entries]

    @PROPERTY
    @given(digests(), st.sampled_from(["\n", "\r\n"]), st.integers(0, 2))
    def test_blank_lines_and_line_endings_do_not_matter(
        self, digest: Digest, newline: str, blanks: int
    ) -> None:
        lines = format_digest_text(digest).split("\n")
        text = newline.join(line + newline * blanks for line in lines)
        assert parse_digest_text(text).entries == digest.entries


FRAGMENTS = [
    "2025년 5월 20일",
    "2025-05-20",
    "2025년 2월 30일",
    "Mean Flows for One-step Generative Modeling",
    "(Zhengyang Geng, Mingyang Deng)",
    "(Yang (Katie)Zhao, Yu (Kevin)Cao)",
    "(A (B, C)",
    "()",
    "(",
    ")",
    "arXiv:2505.13447",
    "https://arxiv.org/abs/2505.13447",
    "https://localhost",
    "We propose a principled and effective framework.",
    "평균 속도를 추정하는 방식.",
    "(참고: 이전 논문)",
    "Very interesting.",
    "#diffusion",
    "#rl #reasoning",
    "#",
    "#a#b",
    "# heading",
    "",
    "   ",
]


class TestNeverCrashes:
    """Any text or bytes give a digest or an InputError, never another exception."""

    @PROPERTY
    @given(st.text())
    def test_arbitrary_text(self, text: str) -> None:
        parses_or_input_error(text)

    @PROPERTY
    @given(st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=20)), max_size=40))
    def test_digest_like_lines(self, lines: list[str]) -> None:
        parses_or_input_error("\n".join(lines))

    @PROPERTY
    @given(st.data())
    def test_example_with_lines_deleted_duplicated_or_moved(self, data: st.DataObject) -> None:
        lines = list(EXAMPLE_LINES)
        for _ in range(data.draw(st.integers(1, 6))):
            at = data.draw(st.integers(0, len(lines) - 1))
            action = data.draw(st.sampled_from(["delete", "duplicate", "move", "replace"]))
            if action == "delete" and len(lines) > 1:
                del lines[at]
            elif action == "duplicate":
                lines.insert(at, lines[at])
            elif action == "move":
                lines.insert(data.draw(st.integers(0, len(lines))), lines.pop(at))
            else:
                lines[at] = data.draw(st.sampled_from(FRAGMENTS))
        parses_or_input_error("\n".join(lines))

    @PROPERTY
    @given(st.binary(), st.sampled_from([".txt", ".toml", ""]))
    def test_arbitrary_bytes(self, data: bytes, suffix: str) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"digest{suffix}"
            path.write_bytes(data)
            try:
                read_digest(path)
            except InputError as exc:
                assert exc.problems

    @PROPERTY
    @given(st.text(), st.sampled_from([".toml", ".txt"]))
    def test_arbitrary_text_files(self, text: str, suffix: str) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"digest{suffix}"
            path.write_bytes(text.encode("utf-8", "surrogatepass"))
            try:
                read_digest(path)
            except InputError as exc:
                assert exc.problems

    @PROPERTY
    @given(
        st.lists(
            st.one_of(
                st.sampled_from(
                    [
                        "date = 2025-05-20",
                        'date = "2025년 2월 30일"',
                        "[[paper]]",
                        "[paper]",
                        'title = "A"',
                        "title = 1",
                        'authors = ["B", 2]',
                        'authors = "B (C, D), E"',
                        'abstract = """x\ny"""',
                        'comment_ko = "가\\n나"',
                        "comment_en = []",
                        'hashtags = "#a #b"',
                        "hashtags = [[]]",
                        'url = "2505.13447"',
                        "date = 2025-05-20T10:00:00",
                        "paper = 3",
                    ]
                ),
                st.text(max_size=20),
            ),
            max_size=30,
        )
    )
    def test_toml_like_lines(self, lines: list[str]) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "digest.toml"
            path.write_bytes("\n".join(lines).encode("utf-8", "surrogatepass"))
            try:
                read_digest(path)
            except InputError as exc:
                assert exc.problems
