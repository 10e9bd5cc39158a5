"""Korean and English comment lines are told apart by the script that dominates the line."""

from __future__ import annotations

import pytest

from publisher.digest import parse_digest_text
from publisher.errors import InputError

HEAD = """2025-05-20
Mean Flows for One-step Generative Modeling
(Zhengyang Geng, Kaiming He)
We propose a principled and effective framework for one-step generative modeling.
"""


def digest(*comment: str) -> str:
    return HEAD + "\n".join(comment) + "\n#diffusion\n"


def test_a_korean_term_inside_the_english_translation() -> None:
    """A quoted Korean word (or a name) in an English line keeps it English."""
    (entry,) = parse_digest_text(
        digest(
            "평균 속도를 추정하는 방식의 Flow Matching. 흥미롭네요.",
            "It estimates what the author calls '평균 속도' (average velocity). Interesting.",
        ),
        "d.txt",
    ).entries
    assert entry.comment_ko == ["평균 속도를 추정하는 방식의 Flow Matching. 흥미롭네요."]
    assert entry.comment_en[0].startswith("It estimates what the author calls '평균 속도'")


def test_english_terms_inside_a_korean_line() -> None:
    """A Korean sentence full of English terms (with particles attached) stays Korean."""
    (entry,) = parse_digest_text(
        digest(
            "Averaged SGD를 Pre-training에 쓴 실험 결과군요.",
            "Results of using averaged SGD in pre-training.",
        ),
        "d.txt",
    ).entries
    assert entry.comment_ko == ["Averaged SGD를 Pre-training에 쓴 실험 결과군요."]
    assert entry.comment_en == ["Results of using averaged SGD in pre-training."]


def test_an_even_line_is_reported_with_its_line() -> None:
    with pytest.raises(InputError) as caught:
        parse_digest_text(digest("흥미로운 결과입니다.", "좋네요 nice"), "d.txt")
    (problem,) = [p for p in caught.value.problems if "as many Korean words" in p.message]
    assert (problem.path, problem.line) == ("d.txt", 6)
    assert str(problem).startswith("d.txt:6: ")
