"""The compact layout and the header's author count, on hand-made entries."""

from __future__ import annotations

import pytest

from publisher.config import FormatSettings, Settings
from publisher.formatter import format_thread
from publisher.platforms import rules_for
from tests.test_formatter import RULES, _entry

COMPACT = FormatSettings(layout="compact")


class TestMaxAuthors:
    """The header lists the first ``max_authors`` names, then "et al."."""

    @pytest.mark.parametrize("platform", ["x", "bluesky"])
    def test_first_six_then_et_al(self, platform: str) -> None:
        names = [f"Author{i}" for i in range(10)]
        first = format_thread(_entry(authors=names), RULES[platform], FormatSettings()).posts[0]
        assert first.splitlines()[1] == ", ".join(names[:6]) + " et al."

    def test_zero_lists_all_that_fit(self) -> None:
        names = [f"Author{i}" for i in range(10)]
        options = FormatSettings(max_authors=0)
        first = format_thread(_entry(authors=names), RULES["x"], options).posts[0]
        assert first.splitlines()[1] == ", ".join(names)

    def test_short_list_unchanged(self) -> None:
        first = format_thread(_entry(), RULES["x"], FormatSettings()).posts[0]
        assert first.splitlines()[1] == "Ada Lovelace, Alan Turing"


class TestCompact:
    """Header, Korean and English share posts where they fit."""

    @pytest.mark.parametrize("platform", ["x", "bluesky"])
    def test_short_entry_is_one_post(self, platform: str) -> None:
        posts = format_thread(_entry(), RULES[platform], COMPACT).posts
        assert posts == [
            "A Short Title\nAda Lovelace, Alan Turing\n#rl\n\n"
            "짧은 한국어 코멘트입니다.\n\nA short English comment."
        ]

    def test_paragraph_that_does_not_fit_moves_whole(self) -> None:
        """A paragraph too long for what is left of a post starts the next post, uncut."""
        english = " ".join(["word"] * 50)  # 249 weighted characters: fits alone, not after more
        posts = format_thread(_entry(comment_en=[english]), RULES["x"], COMPACT).posts
        assert len(posts) == 2
        assert posts[1] == english + "\n2/2"

    def test_x_layout_applies_to_x_only(self) -> None:
        """``[x] layout`` makes X compact while Bluesky keeps ``[format] layout``."""
        rules = rules_for(Settings.model_validate({"x": {"layout": "compact"}}))
        options = FormatSettings()
        assert len(format_thread(_entry(), rules["x"], options).posts) == 1
        assert len(format_thread(_entry(), rules["bluesky"], options).posts) == 3

    def test_x_layout_keeps_the_link_policy(self) -> None:
        """A body re-cut for X's own layout still writes arXiv URLs as X's link policy says."""
        url = "https://arxiv.org/abs/2505.13447"
        entry = _entry(comment_ko=[f"한국어 {url} 설명."], comment_en=[f"English {url} note."])
        rules = rules_for(Settings.model_validate({"x": {"layout": "paired"}}))
        posts = format_thread(entry, rules["x"], FormatSettings()).posts
        assert url not in "".join(posts)
        assert "arXiv:2505.13447" in "".join(posts)
