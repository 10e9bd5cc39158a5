"""The fast front-matter reader agrees with YAML wherever it answers, and defers otherwise."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

from publisher.cards import Card
from publisher.store.fileformat import _scalar, _simple_front_matter, parse, render
from publisher.store.model import PostRecord, QueueItem

NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))
TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40
)
# A title is one line without the characters that are never posted (publisher.hygiene): the
# queue re-check refuses those (tests/test_hostile.py), so they cannot round-trip.
NEVER_POSTED = "".join(
    chr(c)
    for c in [*range(0x20), 0x7F, *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0xFEFF]
    if chr(c) != "\t"
)
TITLE = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters=NEVER_POSTED), max_size=40
)


def _front(text: str) -> tuple[list[str], int]:
    lines = text.splitlines()
    return lines, lines.index("---", 1)


class TestFastFrontMatter:
    """Every file `render` writes is read without YAML, to the same values YAML reads."""

    @given(
        title=TITLE,
        reason=st.none() | TEXT,
        ids=st.lists(st.from_regex(r"[0-9a-z:/._-]{1,30}", fullmatch=True), max_size=4),
        status=st.sampled_from(["pending", "posting", "posted", "failed", "held"]),
        card=st.none()
        | st.builds(Card, uri=TEXT, title=TEXT, description=TEXT, thumb=st.none() | TEXT),
    )
    def test_rendered_files(
        self, title: str, reason: str | None, ids: list[str], status: str, card: Card | None
    ) -> None:
        """Rendered front matter: the fast reader answers, and equals yaml.safe_load."""
        item = QueueItem(
            id="2025-05-20-mean-flows",
            platform="x",
            title=title,
            status=status,  # type: ignore[arg-type]
            not_before=NOW,
            created=NOW,
            reason=reason,
            source="digests/2025-05-20.txt:2",
            posted=[
                PostRecord(post=n, id=i, url=f"https://x.com/i/web/status/{i}", at=NOW)
                for n, i in enumerate(ids, 1)
            ],
            posts=[f"post {n}" for n in range(len(ids) + 1)],
            card=card,
        )
        lines, end = _front(render(item))
        expected = yaml.safe_load("\n".join(lines[1:end]))
        fast = _simple_front_matter(lines, end)
        if fast is not None:
            assert fast == expected
        reparsed = parse(render(item), Path("q.md")).item
        assert reparsed == item

    def test_common_files_take_the_fast_path(self) -> None:
        """An ordinary pending or posted file never needs the YAML parser."""
        item = QueueItem(
            id="2025-05-20-trust-but-verify",
            platform="bluesky",
            title="Trust, But Verify: RL",
            not_before=NOW,
            created=NOW,
            source="digests/2025-05-20.txt:48",
            posted=[
                PostRecord(
                    post=1,
                    id="3lhb6344hhhl5",
                    uri="at://did:plc:abc/app.bsky.feed.post/3lh",
                    cid="bafyreib",
                    url="https://bsky.app/profile/a.test/post/3lh",
                    at=NOW,
                    sha="0123456789ab",
                )
            ],
            posts=["one", "two"],
            card=Card(
                uri="https://arxiv.org/abs/2505.13447",
                title="Trust, But Verify: RL",
                description="We propose… 한국어도",
                thumb="https://example.org/card.png",
            ),
        )
        lines, end = _front(render(item))
        fast = _simple_front_matter(lines, end)
        assert fast is not None
        assert fast == yaml.safe_load("\n".join(lines[1:end]))

    @given(raw=st.text(max_size=20))
    def test_scalars_agree_with_yaml(self, raw: str) -> None:
        """Any scalar the fast reader accepts means to YAML exactly what it returns."""
        ok, value = _scalar(raw)
        if not ok or "\n" in raw or "\r" in raw:
            return
        try:
            loaded: Any = yaml.safe_load(f"k: {raw}")
        except yaml.YAMLError:
            raise AssertionError(f"fast reader accepted {raw!r}, which YAML rejects") from None
        assert loaded == {"k": value}

    def test_hand_written_yaml_defers(self) -> None:
        """Comments, double quotes and folded text are left to the YAML parser."""
        for line in [
            "status: held # paused by hand",
            'title: "quoted"',
            "reason: >",
            "title: a: b",
        ]:
            assert _simple_front_matter(["---", line, "---"], 2) is None
