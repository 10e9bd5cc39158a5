"""Reading digests: the example, the TOML form, and a clear message for every kind of mistake."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from publisher.digest import (
    format_digest_text,
    parse_digest_text,
    parse_digest_toml,
    read_digest,
    read_digests,
)
from publisher.errors import InputError, Problem
from publisher.models import Digest, DigestEntry

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "digest-2025-05-20.txt"
EXAMPLE_TOML = ROOT / "tests" / "data" / "digest-2025-05-20.toml"
LINES = EXAMPLE.read_text(encoding="utf-8").split("\n")

MEAN_FLOWS = "Mean Flows for One-step Generative Modeling"
MODEL_MERGING = "Model Merging in Pre-training of Large Language Models"
ANYTIME = "Optimizing Anytime Reasoning via Budget Relative Policy Optimization"
OCCULT = (
    "Occult: Optimizing Collaborative Communication across Experts for Accelerated Parallel MoE "
    "Training and Inference"
)
SUPERPOSITION = (
    "Reasoning by Superposition: A Theoretical Perspective on Chain of Continuous Thought"
)
REALMATH = (
    "RealMath: A Continuous Benchmark for Evaluating Language Models on Research-Level Mathematics"
)


def example_without(*line_numbers: int) -> list[str]:
    """The example's lines with the given (1-based) lines deleted."""
    return [line for no, line in enumerate(LINES, 1) if no not in line_numbers]


def problems_of(text: str, path: str = "x.txt") -> list[Problem]:
    with pytest.raises(InputError) as caught:
        parse_digest_text(text, path)
    return caught.value.problems


@pytest.fixture(scope="module")
def example() -> Digest:
    return read_digest(EXAMPLE)


def entry(digest: Digest, title: str) -> DigestEntry:
    (found,) = [e for e in digest.entries if e.title == title]
    return found


class TestExample:
    """The example digest parses into its nine entries, field by field."""

    def test_nine_entries_in_order(self, example: Digest) -> None:
        assert example.date == dt.date(2025, 5, 20)
        assert len(example.entries) == 9
        assert [e.title for e in example.entries][:2] == [MEAN_FLOWS, MODEL_MERGING]
        assert example.entries[-1].title == SUPERPOSITION
        assert example.source == str(EXAMPLE)

    def test_mean_flows_every_field(self, example: Digest) -> None:
        mean_flows = example.entries[0]
        assert mean_flows == DigestEntry(
            date=dt.date(2025, 5, 20),
            title=MEAN_FLOWS,
            authors=[
                "Zhengyang Geng",
                "Mingyang Deng",
                "Xingjian Bai",
                "J. Zico Kolter",
                "Kaiming He",
            ],
            abstract=LINES[3],
            comment_ko=[
                "평균 속도를 추정하는 방식의 1/Few-shot Flow Matching. 이건 상당히 흥미롭네요."
            ],
            comment_en=[
                "An 1/few-shot flow matching that estimates average velocity. Very interesting."
            ],
            hashtags=["diffusion"],
            url=None,
        )
        assert mean_flows.abstract.startswith(
            "We propose a principled and effective framework for one-step generative modeling."
        )
        assert mean_flows.abstract.endswith("revisit the foundations of these powerful models.")

    def test_occult_authors_with_nested_parentheses(self, example: Digest) -> None:
        occult = entry(example, OCCULT)
        assert occult.authors == [
            "Shuqing Luo",
            "Pingzhi Li",
            "Jie Peng",
            "Hanrui Wang",
            "Yang (Katie)Zhao",
            "Yu (Kevin)Cao",
            "Yu Cheng",
            "Tianlong Chen",
        ]
        assert occult.date == dt.date(2025, 5, 20)
        assert occult.url is None
        assert occult.abstract == LINES[43]
        assert occult.abstract.startswith("Mixture-of-experts (MoE) architectures could achieve")
        assert occult.abstract.endswith(
            "Code is available at https://github.com/UNITES-Lab/Occult."
        )
        assert occult.comment_ko == [
            "같이 활성화 되는 Expert를 한 디바이스에 모으면 Top-K 라우팅을 하더라도 모든 토큰을 "
            "K개 전송할 필요는 없다는 아이디어."
        ]
        assert occult.comment_en == [
            "The idea is that if we group co-activated experts on the same device, we don't need "
            "to transmit all tokens K times even when using top-K routing."
        ]
        assert occult.hashtags == ["moe", "efficiency"]

    def test_anytime_reasoning_three_paragraphs(self, example: Digest) -> None:
        anytime = entry(example, ANYTIME)
        assert anytime.authors == [
            "Penghui Qi",
            "Zichen Liu",
            "Tianyu Pang",
            "Chao Du",
            "Wee Sun Lee",
            "Min Lin",
        ]
        assert anytime.url is None
        assert anytime.abstract == LINES[33]
        assert anytime.abstract.startswith("Scaling test-time compute is crucial")
        assert anytime.comment_ko == [
            "추론의 길이를 효율화하기 위한 연구가 정말 많이 나오고 있고 앞으로도 많이 나올 것 "
            "같네요. (https://arxiv.org/abs/2505.11827, https://arxiv.org/abs/2505.13417, "
            "https://arxiv.org/abs/2505.13379, https://arxiv.org/abs/2505.13326, "
            "https://arxiv.org/abs/2505.12284)",
            "이전 연구와 비슷하게 추론과 결론의 예산을 분리하고 (https://arxiv.org/abs/2505.05315) "
            "각 추론의 길이에 따라 보상을 부여해서 Dense Reward를 제공하는 방법.",
            "효율적인 추론에 대해서 생각해보게 되네요. 간명한 증명은 그렇지 않은 증명과는 접근 "
            "자체가 다른 경우가 많겠죠. 그런 요인은 어떻게 반영할 수 있을까요.",
        ]
        assert anytime.comment_en == [
            "There are many studies focusing on optimizing the length of reasoning, and I expect "
            "this trend to continue. (https://arxiv.org/abs/2505.11827, "
            "https://arxiv.org/abs/2505.13417, https://arxiv.org/abs/2505.13379, "
            "https://arxiv.org/abs/2505.13326, https://arxiv.org/abs/2505.12284)",
            "Similar to previous research, this method separates the budget for reasoning and "
            "summary (https://arxiv.org/abs/2505.05315), and provides dense rewards by assigning "
            "rewards for reasoning of various lengths.",
            "This makes me think about efficient reasoning. Concise proofs often have "
            "fundamentally different approaches compared to longer, less efficient proofs. "
            "How can we incorporate these factors into our models?",
        ]
        assert anytime.hashtags == ["reasoning", "rl"]

    def test_hashtags_with_dash_and_accented_authors(self, example: Digest) -> None:
        assert example.entries[-1].hashtags == ["reasoning", "mechanistic-interpretation"]
        assert entry(example, REALMATH).authors == [
            "Jie Zhang",
            "Cezara Petrui",
            "Kristina Nikolić",
            "Florian Tramèr",
        ]

    def test_entry_lines(self, example: Digest) -> None:
        assert example.lines == [2, 8, 14, 20, 26, 32, 42, 48, 54]
        assert example.line_of(entry(example, OCCULT).id) == 42
        assert example.line_of("no-such-id") is None
        assert "lines" not in example.model_dump()

    def test_written_back_unchanged(self, example: Digest) -> None:
        assert format_digest_text(example) == EXAMPLE.read_text(encoding="utf-8") + "\n"


class TestIds:
    """An entry's id is the date and title slug, or its arXiv id when it has an arXiv URL."""

    def test_without_url(self, example: Digest) -> None:
        assert example.entries[0].id == "2025-05-20-mean-flows-for-one-step-generative-modeling"
        assert entry(example, OCCULT).id == (
            "2025-05-20-occult-optimizing-collaborative-communication-across-experts"
        )

    @pytest.mark.parametrize(
        ("url_line", "url", "entry_id"),
        [
            ("arXiv:2505.13447", "https://arxiv.org/abs/2505.13447", "arxiv-2505.13447"),
            ("arxiv: 2505.13447", "https://arxiv.org/abs/2505.13447", "arxiv-2505.13447"),
            ("2505.13447", "https://arxiv.org/abs/2505.13447", "arxiv-2505.13447"),
            ("2505.13447v2", "https://arxiv.org/abs/2505.13447v2", "arxiv-2505.13447"),
            (
                "https://arxiv.org/abs/2505.13447v1",
                "https://arxiv.org/abs/2505.13447v1",
                "arxiv-2505.13447",
            ),
            (
                "https://example.org/papers/mean-flows",
                "https://example.org/papers/mean-flows",
                "2025-05-20-mean-flows-for-one-step-generative-modeling",
            ),
            ("arxiv.org/abs/2505.12082", "https://arxiv.org/abs/2505.12082", "arxiv-2505.12082"),
            (
                "www.arxiv.org/pdf/2505.12082v3",
                "https://www.arxiv.org/pdf/2505.12082v3",
                "arxiv-2505.12082",
            ),
        ],
    )
    def test_url_line_after_the_authors(self, url_line: str, url: str, entry_id: str) -> None:
        lines = [*LINES[:3], url_line, *LINES[3:]]
        digest = parse_digest_text("\n".join(lines))
        assert digest.entries[0].url == url
        assert digest.entries[0].id == entry_id
        assert digest.entries[0].abstract == LINES[3]
        assert digest.lines[:2] == [2, 9]


class TestLayout:
    """Date forms, blank lines, line endings and the BOM."""

    @pytest.mark.parametrize("date_line", ["2025년 5월 20일", "2025-05-20", "2025년5월20일"])
    def test_date_forms(self, date_line: str, example: Digest) -> None:
        digest = parse_digest_text("\n".join([date_line, *LINES[1:]]))
        assert digest.date == dt.date(2025, 5, 20)
        assert digest.entries == example.entries

    def test_blank_lines_anywhere(self, example: Digest) -> None:
        spaced = "\n\n".join(LINES) + "\n\n   \n"
        digest = parse_digest_text("\n  \n" + spaced)
        assert digest.entries == example.entries
        assert digest.lines[:2] == [5, 17]  # two leading lines, then every line doubled

    @pytest.mark.parametrize("newline", ["\r\n", "\r"])
    def test_line_endings(self, newline: str, example: Digest) -> None:
        assert parse_digest_text(newline.join(LINES)).entries == example.entries

    def test_bom_is_ignored(self, tmp_path: Path, example: Digest) -> None:
        path = tmp_path / "digest.txt"
        path.write_bytes(b"\xef\xbb\xbf" + EXAMPLE.read_bytes())
        assert read_digest(path).entries == example.entries


class TestToml:
    """The TOML form of the same papers gives equal entries."""

    def test_same_entries_as_the_text(self, example: Digest) -> None:
        digest = read_digest(EXAMPLE_TOML)
        assert digest.date == dt.date(2025, 5, 20)
        assert digest.entries == [
            example.entries[0],
            entry(example, ANYTIME),
            entry(example, OCCULT),
        ]
        assert digest.lines == [4, 12, 28]

    def test_url_and_arxiv_id(self) -> None:
        text = "\n".join(
            [
                "date = 2025-05-20",
                "[[paper]]",
                'title = "A Paper"',
                'authors = ["Ann Author"]',
                'url = "arXiv:2505.13447"',
                'abstract = "An abstract."',
                'comment_ko = ["한국어 설명."]',
                'comment_en = ["An English note."]',
                'hashtags = ["rl", "#llm"]',
            ]
        )
        (paper,) = parse_digest_toml(text, "x.toml").entries
        assert paper.url == "https://arxiv.org/abs/2505.13447"
        assert paper.id == "arxiv-2505.13447"
        assert paper.hashtags == ["rl", "llm"]

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("", [Problem("x.toml", None, "file is empty")]),
            (
                'date = 2025-05-20\n[[paper]]\ntitle = "A\n',
                [Problem("x.toml", 3, "not valid TOML: illegal character '\\n'")],
            ),
            (
                '\ndate = "2025년 2월 30일"\n[[paper]]\ntitle = "A"\nauthors = ["B"]\n'
                'abstract = "C"\ncomment_ko = ["가"]\ncomment_en = ["x"]\nhashtags = ["a"]\n',
                [Problem("x.toml", 2, 'date "2025년 2월 30일" does not exist')],
            ),
            (
                'date = 2025-05-20\n[[paper]]\ntitle = "A"\nauthors = ["B"]\nabstract = "C"\n'
                'comment_ko = ["가", "나"]\ncomment_en = ["x"]\nhashtags = ["a"]\n',
                [
                    Problem(
                        "x.toml",
                        7,
                        'entry "A": the Korean comment has 2 paragraph(s) '
                        "but the English one has 1",
                    )
                ],
            ),
            (
                'date = 2025-05-20\n\n[[paper]]\ntitle = "A"\nauthor = ["B"]\n',
                [
                    Problem("x.toml", 3, 'entry "A": no abstract'),
                    Problem("x.toml", 3, 'entry "A": no authors'),
                    Problem("x.toml", 3, 'entry "A": no English comment'),
                    Problem("x.toml", 3, 'entry "A": no Korean comment'),
                    Problem("x.toml", 3, 'entry "A": no hashtags'),
                    Problem(
                        "x.toml",
                        5,
                        'entry "A": unknown key "author": expected title, authors, url, '
                        "abstract, comment_ko, comment_en, hashtags",
                    ),
                ],
            ),
            (
                "date = 2025-05-20\n",
                [
                    Problem(
                        "x.toml",
                        None,
                        "no papers: expected [[paper]] tables with title, authors, abstract, ...",
                    )
                ],
            ),
        ],
        ids=["empty", "syntax", "bad-date", "paragraphs", "missing-keys", "no-papers"],
    )
    def test_problems(self, text: str, expected: list[Problem]) -> None:
        with pytest.raises(InputError) as caught:
            parse_digest_toml(text, "x.toml")
        assert sorted(caught.value.problems) == sorted(expected)


# (name, the broken example's lines, the expected problem's line and message)
MISTAKES = [
    (
        "no-authors",
        example_without(9),
        9,
        f'entry "{MODEL_MERGING}" has no authors line: expected "(Author One, Author Two)" after '
        "the title",
    ),
    (
        "no-korean",
        example_without(5),
        5,
        f'entry "{MEAN_FLOWS}": English comment has no Korean original: expected Korean line(s) '
        "between the abstract and the English comment",
    ),
    (
        "no-english",
        example_without(6),
        5,
        f'entry "{MEAN_FLOWS}": Korean comment has no English translation: expected as many '
        "English line(s) after the Korean comment",
    ),
    (
        "no-hashtags",
        example_without(7),
        6,
        f'entry "{MEAN_FLOWS}": no hashtags: expected a line like "#rl #reasoning" after the '
        "English comment",
    ),
    (
        "no-hashtags-at-end",
        example_without(59),
        58,
        f'entry "{SUPERPOSITION}": no hashtags: expected a line like "#rl #reasoning" after the '
        "English comment",
    ),
    (
        "paragraph-count",
        example_without(36),
        32,
        f'entry "{ANYTIME}": the Korean comment has 2 paragraph(s) but the English one has 3',
    ),
    (
        "no-title",
        example_without(2),
        2,
        "entry at line 2 has no title: expected the paper title on the line before the authors",
    ),
    (
        "bad-date",
        ["2025년 2월 30일", *LINES[1:]],
        1,
        'date "2025년 2월 30일" does not exist',
    ),
    (
        "not-a-digest",
        (ROOT / "publisher" / "errors.py").read_text(encoding="utf-8").split("\n"),
        1,
        'not a digest: expected a date line like "2025년 5월 20일" first',
    ),
    (
        "not-a-digest-after-blank-lines",
        ["", "   ", "import os", *LINES[1:]],
        3,
        'not a digest: expected a date line like "2025년 5월 20일" first',
    ),
    (
        "duplicate",
        [*LINES, *LINES[1:7]],
        60,
        f'entry "{MEAN_FLOWS}" is a duplicate of the entry at line 2 (same title)',
    ),
    (
        "duplicate-arxiv-id",
        [*LINES[:3], "arXiv:2505.13447", *LINES[3:9], "2505.13447v2", *LINES[9:]],
        9,
        f'entry "{MODEL_MERGING}" is a duplicate of the entry at line 2 (same arXiv id 2505.13447)',
    ),
    (
        "unbalanced-parentheses",
        [*LINES[:2], "(Zhengyang Geng, Mingyang (Deng, Kaiming He)", *LINES[3:]],
        3,
        f'entry "{MEAN_FLOWS}": the parentheses of the authors line do not match: expected '
        "(Author One, Author Two)",
    ),
    (
        "empty-author",
        [*LINES[:2], "(Zhengyang Geng, , Kaiming He)", *LINES[3:]],
        3,
        f'entry "{MEAN_FLOWS}": the authors line has an empty name: expected (Author One, '
        "Author Two)",
    ),
    (
        "english-before-korean",
        [*LINES[:4], LINES[5], LINES[4], *LINES[6:]],
        5,
        f'entry "{MEAN_FLOWS}": the English comment comes before the Korean one: put the Korean '
        "line(s) right after the abstract, then the English line(s)",
    ),
    (
        "abstract-on-two-lines",
        [*LINES[:3], "We propose a principled and effective framework.", *LINES[3:]],
        5,
        f'entry "{MEAN_FLOWS}": the abstract must be one line, but 2 lines come before the '
        "Korean comment",
    ),
    (
        "korean-after-english",
        [*LINES[:6], "한 줄 더.", *LINES[6:]],
        7,
        f'entry "{MEAN_FLOWS}": a Korean line after the English comment: put all Korean lines '
        "first, then all English lines, then the hashtag line (is this entry's hashtag line "
        "missing?)",
    ),
    (
        "no-abstract",
        example_without(4),
        4,
        f'entry "{MEAN_FLOWS}" has no abstract: expected the English abstract on the line after '
        "the authors",
    ),
    (
        "no-comments",
        example_without(5, 6),
        4,
        f'entry "{MEAN_FLOWS}" has no comments: expected Korean line(s) and then as many English '
        "line(s) after the abstract",
    ),
    (
        "hashtags-without-entry",
        ["2025-05-20", "#rl", *LINES[1:]],
        2,
        "hashtags without an entry: expected a paper title before them",
    ),
    (
        "bad-url",
        [*LINES[:3], "https://localhost", *LINES[3:]],
        2,
        f"entry \"{MEAN_FLOWS}\": paper URL 'https://localhost' must be an http(s) URL",
    ),
    (
        "no-entries",
        LINES[:1],
        1,
        "no entries: expected a paper title on the line after the date",
    ),
    (
        "second-hashtag-line",
        [*LINES[:7], "#generative", *LINES[7:]],
        8,
        "a second hashtag line: put all the hashtags of an entry on one line",
    ),
    (
        "second-date",
        [*LINES[:7], "2025-05-21", *LINES[7:]],
        8,
        "a second date line: a digest file holds one day",
    ),
    (
        "bad-hashtag",
        [*LINES[:6], "#diffusion #flow#matching", *LINES[7:]],
        7,
        f'entry "{MEAN_FLOWS}": bad hashtag "#flow#matching": expected words like "#rl" '
        "separated by spaces",
    ),
]


class TestMistakes:
    """Each kind of mistake gets one clear message at the exact line."""

    @pytest.mark.parametrize(
        ("lines", "line", "message"),
        [pytest.param(lines, line, message, id=name) for name, lines, line, message in MISTAKES],
    )
    def test_message_and_line(self, lines: list[str], line: int, message: str) -> None:
        assert problems_of("\n".join(lines)) == [Problem("x.txt", line, message)]

    def test_later_entries_still_parse_after_a_missing_hashtag_line(self) -> None:
        # Without the hashtag line the next title is read as English, until the authors line
        # shows it starts an entry: only the first entry is wrong, the second is still checked.
        broken = example_without(7, 10)
        assert problems_of("\n".join(broken)) == [
            Problem(
                "x.txt",
                6,
                f'entry "{MEAN_FLOWS}": no hashtags: expected a line like "#rl #reasoning" after '
                "the English comment",
            ),
            Problem(
                "x.txt",
                9,
                f'entry "{MODEL_MERGING}" has no abstract: expected the English abstract on the '
                "line after the authors",
            ),
        ]

    @pytest.mark.parametrize("text", ["", "\n\n  \n", "\ufeff", "\t\r\n"])
    def test_empty(self, text: str) -> None:
        assert problems_of(text) == [Problem("x.txt", None, "file is empty")]
        assert str(problems_of(text)[0]) == "x.txt: file is empty"

    def test_several_problems_all_reported(self) -> None:
        # Bad date (1); no authors in entry 2 (9); no English in entry 4 (23 -> 22);
        # no hashtags in entry 8 (its English line 52 -> 50); and a duplicate of entry 1 at the end.
        lines = ["2025년 2월 30일", *example_without(1, 9, 24, 53), *LINES[1:7]]
        assert [str(p) for p in problems_of("\n".join(lines))] == [
            'x.txt:1: date "2025년 2월 30일" does not exist',
            f'x.txt:9: entry "{MODEL_MERGING}" has no authors line: expected '
            '"(Author One, Author Two)" after the title',
            f'x.txt:22: entry "{REALMATH}": Korean comment has no English translation: '
            "expected as many English line(s) after the Korean comment",
            'x.txt:50: entry "Trust, But Verify: A Self-Verification Approach to Reinforcement '
            'Learning with Verifiable Rewards": no hashtags: expected a line like '
            '"#rl #reasoning" after the English comment',
            f'x.txt:57: entry "{MEAN_FLOWS}" is a duplicate of the entry at line 2 (same title)',
        ]

    def test_invalid_utf8(self, tmp_path: Path) -> None:
        data = EXAMPLE.read_bytes()
        offset = data.index(b"(Zhengyang")
        path = tmp_path / "digest.txt"
        path.write_bytes(data[:offset] + b"\xff" + data[offset:])
        with pytest.raises(InputError) as caught:
            read_digest(path)
        assert caught.value.problems == [
            Problem(str(path), 3, f"not UTF-8: invalid byte 0xff at offset {offset}")
        ]

    def test_invalid_utf8_after_a_bom(self, tmp_path: Path) -> None:
        path = tmp_path / "digest.txt"
        path.write_bytes(b"\xef\xbb\xbf2025-05-20\n\xc3(")
        with pytest.raises(InputError) as caught:
            read_digest(path)
        assert [str(p) for p in caught.value.problems] == [
            f"{path}:2: not UTF-8: invalid byte 0xc3 at offset 14"
        ]

    def test_missing_file(self, tmp_path: Path) -> None:
        with pytest.raises(InputError) as caught:
            read_digest(tmp_path / "nope.txt")
        (problem,) = caught.value.problems
        assert problem.path == str(tmp_path / "nope.txt")
        assert problem.message.startswith("cannot read the file")


class TestReadDigests:
    """Several files are read all or nothing, with the problems of every file."""

    def test_all_good(self) -> None:
        digests = read_digests([EXAMPLE, EXAMPLE_TOML])
        assert [len(d.entries) for d in digests] == [9, 3]

    def test_problems_of_every_file(self, tmp_path: Path) -> None:
        first = tmp_path / "a.txt"
        first.write_text("\n".join(example_without(9)), encoding="utf-8")
        second = tmp_path / "b.toml"
        second.write_text("", encoding="utf-8")
        with pytest.raises(InputError) as caught:
            read_digests([first, EXAMPLE, second])
        assert [(p.path, p.line) for p in caught.value.problems] == [
            (str(first), 9),
            (str(second), None),
        ]
