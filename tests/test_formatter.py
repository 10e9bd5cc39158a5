"""The formatter: the example digest's threads, and the layout rules one by one."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import pytest

from publisher.config import FormatSettings
from publisher.digest import read_digest
from publisher.errors import FormatError
from publisher.formatter import format_thread
from publisher.models import DigestEntry
from publisher.platforms.bluesky import BlueskyRules, short_url
from publisher.platforms.text_measures import graphemes
from publisher.platforms.x import XRules
from publisher.platforms.x_text import x_weighted_length
from tests.publisher_cli import run_publisher

SNAPSHOTS = Path(__file__).parent / "snapshots"
DATA = Path(__file__).parent / "data"
RULES = {"x": XRules(), "bluesky": BlueskyRules()}


def _entry(**changes: object) -> DigestEntry:
    base: dict[str, object] = {
        "date": dt.date(2025, 5, 20),
        "title": "A Short Title",
        "authors": ["Ada Lovelace", "Alan Turing"],
        "abstract": "An abstract.",
        "comment_ko": ["짧은 한국어 코멘트입니다."],
        "comment_en": ["A short English comment."],
        "hashtags": ["rl"],
    }
    base.update(changes)
    return DigestEntry.model_validate(base)


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_publisher(*args, cwd=cwd)


class TestExampleSnapshots:
    """The example digest's threads, read and judged once, stay exactly as they are."""

    def test_dry_run_text(self, example_digest: Path, tmp_path: Path) -> None:
        """`publisher --dry-run` prints the reviewed threads with their counts, writing nothing."""
        done = _run("--dry-run", str(example_digest), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert done.stdout == (SNAPSHOTS / "example-dry-run.txt").read_text(encoding="utf-8")
        assert list(tmp_path.iterdir()) == []

    def test_compact_dry_run_text(self, example_digest: Path, tmp_path: Path) -> None:
        """The compact layout of the example digest, read and judged: 27 X posts, 22 Bluesky."""
        config = tmp_path / "publisher.toml"
        config.write_text('[format]\nlayout = "compact"\n', encoding="utf-8")
        done = _run("--config", str(config), "--dry-run", str(example_digest), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        expected = (SNAPSHOTS / "example-compact-dry-run.txt").read_text(encoding="utf-8")
        assert done.stdout == expected
        assert done.stdout.endswith("x: 27 posts (0 with a URL), $0.405\nbluesky: 22 posts\n")

    def test_json_payloads(self, example_digest: Path, tmp_path: Path) -> None:
        """`--json` gives the exact payloads: entry id, platform, posts with facets and langs,
        and when enqueue would schedule each thread (at this --now)."""
        now = "2025-05-20T08:00:00+09:00"
        done = _run("--dry-run", "--json", "--now", now, str(example_digest), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        got = json.loads(done.stdout)
        assert got == json.loads((SNAPSHOTS / "example-payloads.json").read_text(encoding="utf-8"))
        assert {t["platform"] for t in got} == {"x", "bluesky"}
        assert len(got) == 18

    def test_platform_selects(self, example_digest: Path, tmp_path: Path) -> None:
        """`--platform bluesky` prints only Bluesky threads."""
        done = _run(
            "--dry-run", "--json", "--platform", "bluesky", str(example_digest), cwd=tmp_path
        )
        assert {t["platform"] for t in json.loads(done.stdout)} == {"bluesky"}

    def test_every_post_fits(self, example_digest: Path) -> None:
        """Every example post is within its platform's limit as the platform counts it."""
        for entry in read_digest(example_digest).entries:
            x = format_thread(entry, RULES["x"], FormatSettings())
            assert all(0 < x_weighted_length(p) <= 280 for p in x.posts)
            bsky = format_thread(entry, RULES["bluesky"], FormatSettings())
            shown = [RULES["bluesky"].payload(p)["text"] for p in bsky.posts]
            assert all(0 < graphemes(p) <= 300 and len(p.encode()) <= 3000 for p in shown)

    def test_sentences_stay_whole(self, example_digest: Path) -> None:
        """The three-paragraph Anytime Reasoning comment breaks at paragraphs on X."""
        entry = next(e for e in read_digest(example_digest).entries if "Anytime" in e.title)
        # link = "url" keeps the comment's arXiv URLs as written ("id" rewrites them)
        posts = format_thread(entry, XRules(link="url"), FormatSettings()).posts
        for paragraph in entry.comment_ko:
            assert any(paragraph in post for post in posts), paragraph


class TestHeader:
    """Post 1: title, authors, link, hashtags."""

    def test_layout(self) -> None:
        """Title, authors, link and tags on their own lines, numbered."""
        entry = _entry(url="https://arxiv.org/abs/2505.13447")
        first = format_thread(entry, XRules(link="url"), FormatSettings()).posts[0]
        assert first == (
            "A Short Title\nAda Lovelace, Alan Turing\nhttps://arxiv.org/abs/2505.13447\n#rl\n1/3"
        )

    def test_authors_shortened_whole_names(self) -> None:
        """Too many authors: the first ones that fit, then "et al."; never half a name."""
        names = [f"Author Number{i} Surname{i}" for i in range(40)]
        first = format_thread(_entry(authors=names), RULES["x"], FormatSettings()).posts[0]
        line = first.splitlines()[1]
        assert line.endswith(" et al.")
        shown = line.removesuffix(" et al.").split(", ")
        assert shown == names[: len(shown)]
        assert x_weighted_length(first) <= 280

    @pytest.mark.parametrize(
        ("style", "expected"),
        [
            ("underscore", "#mechanistic_interpretation"),
            ("camel", "#MechanisticInterpretation"),
            ("join", "#mechanisticinterpretation"),
        ],
    )
    def test_x_hashtag_styles(self, style: str, expected: str) -> None:
        """On X a '-' would end the hashtag, so it is written in a form X links whole."""
        rules = XRules(style)  # type: ignore[arg-type]
        entry = _entry(hashtags=["reasoning", "mechanistic-interpretation"])
        first = format_thread(entry, rules, FormatSettings()).posts[0]
        assert first.splitlines()[-2].split()[-1] == expected

    def test_bluesky_tags_keep_text(self) -> None:
        """On Bluesky the tag keeps its '-' and becomes a tag facet over exactly '#tag'."""
        entry = _entry(hashtags=["mechanistic-interpretation"])
        first = format_thread(entry, RULES["bluesky"], FormatSettings()).posts[0]
        payload = RULES["bluesky"].payload(first)
        data = payload["text"].encode()
        tags = [f for f in payload["facets"] if f["features"][0]["$type"].endswith("#tag")]
        assert [data[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode() for f in tags] == [
            "#mechanistic-interpretation"
        ]
        assert tags[0]["features"][0]["tag"] == "mechanistic-interpretation"


class TestBodies:
    """Comments, layouts, numbering, splitting."""

    def test_paired_layout(self) -> None:
        """`layout = "paired"`: each Korean paragraph followed by its English translation."""
        entry = _entry(
            comment_ko=["첫째 문단입니다.", "둘째 문단입니다."], comment_en=["First.", "Second."]
        )
        posts = format_thread(entry, RULES["x"], FormatSettings(layout="paired")).posts
        assert posts[1:] == ["첫째 문단입니다.\n\nFirst.\n2/3", "둘째 문단입니다.\n\nSecond.\n3/3"]

    def test_abstract_when_configured(self) -> None:
        """The abstract is left out by default and follows the header when configured."""
        entry = _entry(abstract="We study things.")
        assert not any(
            "We study" in p for p in format_thread(entry, RULES["x"], FormatSettings()).posts
        )
        posts = format_thread(entry, RULES["x"], FormatSettings(include_abstract=True)).posts
        assert posts[1].startswith("We study things.")

    @pytest.mark.parametrize(
        ("numbering", "first_end", "second_end"),
        [("fraction", "\n1/3", "\n2/3"), ("marker", " 🧵", "입니다."), ("none", "#rl", "입니다.")],
    )
    def test_numbering(self, numbering: str, first_end: str, second_end: str) -> None:
        """Numbering "1/3", a thread marker on the first post, or nothing."""
        posts = format_thread(_entry(), RULES["x"], FormatSettings(numbering=numbering)).posts  # type: ignore[arg-type]
        assert posts[0].endswith(first_end)
        assert posts[1].endswith(second_end)

    def test_long_comment_splits_at_sentences(self) -> None:
        """A long English comment is cut at sentence ends, never after "e.g." or inside 3.43."""
        sentence = "We see an FID of 3.43 with e.g. one step and more words to fill the post up. "
        entry = _entry(comment_en=[(sentence * 12).strip()], comment_ko=["가" * 10])
        posts = format_thread(entry, RULES["x"], FormatSettings()).posts
        english = [p.rsplit("\n", 1)[0] for p in posts[2:]]
        assert len(english) >= 2
        assert all(p.endswith("post up.") for p in english)
        assert all(x_weighted_length(p) <= 280 for p in posts)

    def test_korean_counts_double_on_x(self) -> None:
        """270 Hangul syllables (+26 spaces) weigh 566 on X: three X posts, one Bluesky post."""
        words = " ".join(["가나다라마바사아자차"] * 27)  # 270 syllables + 26 spaces
        entry = _entry(comment_ko=[words])
        assert x_weighted_length(words) == 566
        assert len(format_thread(entry, RULES["x"], FormatSettings()).posts) == 5
        assert len(format_thread(entry, RULES["bluesky"], FormatSettings()).posts) == 3

    def test_long_word_cut_between_graphemes(self) -> None:
        """A word longer than a post is cut, as a last resort, between graphemes."""
        word = "👩‍👩‍👧‍👦" * 200
        posts = format_thread(_entry(comment_en=[word]), RULES["bluesky"], FormatSettings()).posts
        body = "".join(p.rsplit("\n", 1)[0] for p in posts[2:])
        assert body == word

    @pytest.mark.parametrize("platform", ["x", "bluesky"])
    def test_glued_domains_in_a_long_word(self, platform: str) -> None:
        """A cut that turns a glued domain into a URL (23 on X) still leaves posts in the limit.

        Found by the property tests: in "example.comAAAA가example.comA…", one long word, X sees
        fewer URLs than in the pieces a cut leaves ("…example.com" ending a post is one).
        """
        data = json.loads((DATA / "glued-domains-entry.json").read_text(encoding="utf-8"))
        entry = DigestEntry.model_validate(data)
        rules = RULES[platform]
        posts = format_thread(entry, rules, FormatSettings()).posts
        assert all(rules.problems(p) == [] for p in posts)

    def test_hashtag_too_long_is_typed_error(self) -> None:
        """Content that cannot fit even alone raises FormatError naming the entry."""
        entry = _entry(hashtags=["x" * 400])
        with pytest.raises(FormatError) as info:
            format_thread(entry, RULES["bluesky"], FormatSettings())
        assert entry.id in str(info.value)

    def test_long_url_shown_short_on_bluesky(self) -> None:
        """A long URL is displayed shortened, behind a link facet to the full URL."""
        url = "https://github.com/zhyang2226/AR-Lopti/blob/main/README.md"
        payload = RULES["bluesky"].payload(f"코드 {url} 참고")
        assert short_url(url) in payload["text"] and url not in payload["text"]
        link = payload["facets"][0]
        shown = payload["text"].encode()[link["index"]["byteStart"] : link["index"]["byteEnd"]]
        assert shown.decode() == short_url(url) and link["features"][0]["uri"] == url
        assert payload["langs"] == ["ko"]

    def test_deterministic(self, example_digest: Path) -> None:
        """The same entry gives the same thread."""
        entry = read_digest(example_digest).entries[5]
        assert format_thread(entry, RULES["x"], FormatSettings()) == format_thread(
            entry, RULES["x"], FormatSettings()
        )
