"""The documentation stays true: the preview picture is today's, no deprecated key is named."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.browser import preview_command, source_line
from tests.publisher_cli import run_publisher

REPO = Path(__file__).resolve().parent.parent
PICTURE = REPO / "docs" / "preview.png"
DEPRECATED = ("x_layout", "x_hashtag_style", "[schedule.daily_posts]", "schedule.daily_posts")


def test_the_preview_picture_is_drawn_from_todays_preview(tmp_path: Path) -> None:
    """docs/preview.png was drawn from the page `publisher preview` writes today for the
    example; when they differ, the picture is stale: redraw it (the README says how)."""
    page = tmp_path / "preview.html"
    done = run_publisher(*preview_command(Path("examples/digest-2025-05-20.txt"), page), cwd=REPO)
    assert done.returncode == 0, done.stderr
    drawn_from = Path(f"{PICTURE}.sha256").read_text(encoding="utf-8")
    assert source_line(page) == drawn_from, (
        "docs/preview.png is stale: run "
        "`python -m tests.fakes.browser examples/digest-2025-05-20.txt docs/preview.png`"
    )
    assert PICTURE.stat().st_size > 10_000  # a picture, not an empty file


@pytest.mark.parametrize("doc", ["README.md", "config/README.md", "config/publisher.toml"])
def test_no_deprecated_key_is_named(doc: str) -> None:
    text = (REPO / doc).read_text(encoding="utf-8")
    assert [key for key in DEPRECATED if key in text] == []
