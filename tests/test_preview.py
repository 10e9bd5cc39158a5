"""`publisher preview`: the threads as the platforms show them, on one self-contained page."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from publisher.cards import Card
from publisher.config import FormatSettings, Settings
from publisher.errors import Problem
from publisher.platforms import rules_for
from publisher.platforms.x import XOptions
from publisher.preview import (
    Preview,
    ThreadView,
    numbering,
    post_view,
    price,
    spans,
)
from publisher.preview_html import render_card, render_html, render_markdown, render_price
from tests.publisher_cli import run_publisher

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "digest-2025-05-20.txt"
CONFIG = ROOT / "tests" / "data" / "x-link-url.toml"  # X links shown as links
NOW = "2025-05-19T12:00"
RULES = rules_for(Settings())
HOSTILE_TITLE = "<script>alert(1)</script> & <img src=x onerror=alert(2)>"


def hostile_digest(tmp_path: Path) -> Path:
    """The example digest with a script tag as its first title and HTML in a comment."""
    lines = EXAMPLE.read_text(encoding="utf-8").split("\n")
    lines[1] = HOSTILE_TITLE
    lines[5] = '<b onmouseover="alert(3)">An</b> 1/few-shot flow matching. Very interesting.'
    path = tmp_path / "hostile.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def preview(tmp_path: Path, *args: str) -> tuple[int, str, str, str]:
    """Run `publisher preview ARGS --out tmp/p.html`: exit code, page, stdout, stderr."""
    out = tmp_path / "p.html"
    done = run_publisher("preview", *args, "--out", str(out), "--config", str(CONFIG), cwd=tmp_path)
    assert "Traceback" not in done.stderr
    page = out.read_text(encoding="utf-8") if out.exists() else ""
    return done.returncode, page, done.stdout, done.stderr


def enqueued(tmp_path: Path) -> Path:
    queue = tmp_path / "queue"
    queue.mkdir()
    done = run_publisher(
        "enqueue", str(EXAMPLE), "--queue", str(queue), "--config", str(CONFIG), "--now", NOW
    )
    assert done.returncode == 0, done.stderr
    return queue


class TestSpans:
    def test_bluesky_spans_are_the_facets(self) -> None:
        """Each Bluesky span covers exactly the bytes its facet names, with its URI or tag."""
        text = "Code: https://github.com/zhyang2226/AR-Lopti-and-more 한국 #rl #llm"
        payload = RULES["bluesky"].payload(text)
        found = spans("bluesky", payload)
        raw = payload["text"].encode()
        assert len(found) == len(payload["facets"]) == 3
        for span, facet in zip(found, payload["facets"], strict=True):
            start, end = facet["index"]["byteStart"], facet["index"]["byteEnd"]
            assert payload["text"][span.start : span.end] == raw[start:end].decode()
        assert [s.kind for s in found] == ["link", "tag", "tag"]
        assert found[0].target == "https://github.com/zhyang2226/AR-Lopti-and-more"
        assert payload["text"][found[0].start : found[0].end] == "github.com/zhyang2226/AR-Lopt…"

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("see arxiv.org/abs/2505.13447 now", [("link", "arxiv.org/abs/2505.13447")]),
            ("see arXiv:2505.13447 now", []),
            ("#long-context rocks", [("tag", "#long")]),
            ("#2025 is not a tag, #a_b is", [("tag", "#a_b")]),
            ("https://x.com/#frag #rl", [("link", "https://x.com/#frag"), ("tag", "#rl")]),
        ],
    )
    def test_x_spans_are_what_x_links(self, text: str, expected: list[tuple[str, str]]) -> None:
        """On X: the URL entities twitter-text extracts, and hashtags as X ends them."""
        found = spans("x", {"text": text})
        assert [(s.kind, text[s.start : s.end]) for s in found] == expected

    def test_mastodon_spans_are_what_mastodon_links(self) -> None:
        """On Mastodon: URLs with a scheme (a bare domain stays text) and tags with a letter."""
        text = "see https://arxiv.org/abs/2505.13447 and arxiv.org/abs/1 #long-context #2025"
        found = spans("mastodon", {"text": text})
        assert [(s.kind, text[s.start : s.end], s.target) for s in found] == [
            ("link", "https://arxiv.org/abs/2505.13447", "https://arxiv.org/abs/2505.13447"),
            ("tag", "#long", "long"),
        ]


class TestPostView:
    def test_numbering_is_one_based(self) -> None:
        """N/M counts from 1."""
        assert numbering(0, 4) == "1/4"
        assert numbering(3, 4) == "4/4"

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("a plain post", ("Post: Create", 0.015)),
            ("a post with arxiv.org/abs/2505.13447", ("Post: Create (with URL)", 0.20)),
        ],
    )
    def test_x_price_class(self, text: str, expected: tuple[str, float]) -> None:
        """X bills a post that links anything as "with URL", at the [x] table's default prices."""
        shown = price("x", text, XOptions())
        assert shown is not None
        assert (shown.label, shown.usd) == expected

    def test_x_price_follows_the_x_settings(self) -> None:
        """A price changed in [x] is the price the preview shows."""
        prices = XOptions(price_per_post=0.02, price_per_post_with_url=0.3)
        plain, linked = price("x", "a plain post", prices), price("x", "arxiv.org/abs/1", prices)
        assert plain is not None and plain.usd == 0.02
        assert linked is not None and linked.usd == 0.3

    def test_bluesky_post_has_two_measures_and_no_price(self) -> None:
        """Bluesky counts graphemes and bytes; it has no price class."""
        view = post_view(RULES["bluesky"], "한국어 text", 1, 3, [])
        assert view.counts == (8, 14)  # 3 syllables, a space, 4 letters
        assert view.limits == (300, 3000)
        assert view.price is None
        assert view.number == "2/3"


class TestRendering:
    def thread(self, **extra: object) -> ThreadView:
        post = post_view(RULES["x"], HOSTILE_TITLE + " arxiv.org/abs/2505.13447 #rl", 0, 1, [])
        fields: dict[str, object] = {
            "title": HOSTILE_TITLE,
            "entry_id": "e1",
            "platform": "x",
            "source": "d.txt:2",
            "when": None,
            "status": "pending",
            "posts": [post],
            **extra,
        }
        return ThreadView(**fields)  # type: ignore[arg-type]

    def test_every_text_is_escaped(self) -> None:
        """A title or post holding HTML shows as text: no tag of it reaches the page."""
        page = render_html(Preview(title=HOSTILE_TITLE, threads=[self.thread()]))
        assert "<script" not in page.lower()
        assert "<img" not in page.lower()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page

    def test_page_is_self_contained(self) -> None:
        """No script, no external resource; a CSP forbids both."""
        page = render_html(Preview(title="t", threads=[self.thread()]))
        assert not re.search(r"<(script|link|iframe|object)\b", page, re.I)
        assert not re.search(r"<[^>]*\b(src|href)=", page)
        assert 'content="default-src &#x27;none&#x27;; style-src &#x27;unsafe-inline&#x27;;' in page

    def test_price_and_card_render_from_plain_values(self) -> None:
        """The price class and the link card are small renderers of plain values."""
        assert render_price("Post: Create (with URL)", 0.2) == (
            '<span class="price" title="Post: Create (with URL)">'
            "Post: Create (with URL) · $0.200</span>"
        )
        card = render_card("https://arxiv.org/abs/1", "<T>", "d & e", "https://img/x.png")
        assert 'data-uri="https://arxiv.org/abs/1"' in card
        assert "&lt;T&gt;" in card and "d &amp; e" in card
        assert "<img" not in card  # a remote thumbnail would be a request: only named
        assert "<img" in render_card("https://a.b/", "t", "", "data:image/png;base64,AAAA")

    def test_thread_card_is_under_the_first_post(self) -> None:
        """A thread's link card is drawn inside its first post."""
        page = render_html(
            Preview(
                title="t", threads=[self.thread(card=Card(uri="https://a.example/", title="Card"))]
            )
        )
        first_post = page.index('<article class="post"')
        assert page.index('class="card"') > first_post

    def test_problems_show_in_place_in_red(self) -> None:
        """A post's problem is printed in it with FILE:LINE, and the post is marked bad."""
        bad = Problem("queue/a.x.md", 12, "post 1: 300 weighted characters, over 280")
        post = post_view(RULES["x"], "x" * 300, 0, 1, [bad])
        page = render_html(Preview(title="t", threads=[self.thread(posts=[post])]))
        assert '<article class="post bad"' in page
        assert '<p class="problem">queue/a.x.md:12: post 1: 300 weighted' in page
        assert ".problem { color: #d93025" in page

    def test_markdown_fences_cannot_be_closed_by_the_text(self) -> None:
        """A post holding ``` cannot break out of its block in the job summary."""
        post = post_view(RULES["x"], "a ``` b ```` c", 0, 1, [])
        summary = render_markdown(Preview(title="t", threads=[self.thread(posts=[post])]))
        assert "`````text\na ``` b ```` c\n`````" in summary
        assert "<script>" not in summary


class TestCommand:
    def test_example_digest(self, tmp_path: Path) -> None:
        """The example digest: every thread, both platforms, counts, times and prices; exit 0."""
        code, page, out, err = preview(tmp_path, str(EXAMPLE), "--now", NOW)
        assert code == 0, err
        assert out.strip() == f"wrote {tmp_path / 'p.html'}: 18 threads, 0 problems"
        assert page.count('<section class="thread x"') == 9
        assert page.count('<section class="thread bluesky"') == 9
        assert "2025-05-19T12:00:00+09:00" in page  # the first slot at or after --now
        assert "130/280" in page and "130/300 graphemes" in page
        assert "Post: Create (with URL) · $0.200" in page  # the paper with a GitHub link
        assert 'class="hl link"' in page and 'class="hl tag"' in page

    def test_hostile_digest_is_text(self, tmp_path: Path) -> None:
        """A title `<script>…` is escaped wherever it appears."""
        code, page, _, err = preview(tmp_path, str(hostile_digest(tmp_path)), "--now", NOW)
        assert code == 0, err
        assert "<script" not in page and "<b " not in page and "<img" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page

    def test_queue_posts_are_numbered_as_sent(self, tmp_path: Path) -> None:
        """Queue files hold no N/M: the preview shows each post numbered from the thread, also
        after a post is split by hand."""
        from publisher.formatter import number_posts
        from publisher.store.fileformat import parse

        queue = enqueued(tmp_path)
        path = queue / "2025-05-20-mean-flows-for-one-step-generative-modeling.bluesky.md"
        text = path.read_text(encoding="utf-8")
        last = max(int(n) for n in re.findall(r"^---- post (\d+) ----$", text, re.M))
        split = text.rstrip("\n") + f"\n\n---- post {last + 1} ----\nA line of its own.\n"
        path.write_text(split, encoding="utf-8")
        posts = parse(split, path).item.posts
        code, page, _, err = preview(tmp_path, "--queue", str(queue), "--now", NOW)
        assert code == 0, err
        from tests.test_preview_browser import PageReader

        reader = PageReader()
        reader.feed(page)  # no script on the page: its markup is its DOM
        entry = "2025-05-20-mean-flows-for-one-step-generative-modeling"
        shown = [p.text for p in reader.posts if (p.entry, p.platform) == (entry, "bluesky")]
        total = len(posts)
        assert shown == number_posts(posts, FormatSettings())
        assert [t.split("\n")[-1] for t in shown] == [f"{n}/{total}" for n in range(1, total + 1)]

    def test_queue_over_the_limit_is_shown_and_fails(self, tmp_path: Path) -> None:
        """An edit that pushes a queued post over its limit: red in place, FILE:LINE, exit 1."""
        queue = enqueued(tmp_path)
        path = queue / "2025-05-20-mean-flows-for-one-step-generative-modeling.x.md"
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("Very interesting.", "Very interesting. " + "많이 " * 100))
        line = text.split("\n").index("---- post 3 ----") + 2
        code, page, _, err = preview(tmp_path, "--queue", str(queue))
        assert code == 1
        expected = f"{path}:{line}: post 3: "
        assert err.startswith(expected) and "over" in err
        assert '<p class="problem">' + expected in page
        assert page.count('<article class="post bad"') == 1
        assert page.count('<section class="thread') == 18

    def test_queued_link_card_is_shown(self, tmp_path: Path) -> None:
        """A Bluesky queue file's card is drawn in its thread's first post."""
        from publisher.store.fileformat import read_item, render

        queue = enqueued(tmp_path)
        path = next(queue.glob("*.bluesky.md"))
        item = read_item(path).item.model_copy(
            update={"card": Card(uri="https://arxiv.org/abs/2505.13447", title="<Mean>")}
        )
        path.write_text(render(item), encoding="utf-8")
        code, page, _, err = preview(tmp_path, "--queue", str(queue))
        assert code == 0, err
        assert page.count('<div class="card" data-uri="https://arxiv.org/abs/2505.13447">') == 1
        assert '<div class="title">&lt;Mean&gt;</div>' in page

    def test_unreadable_queue_file_is_listed(self, tmp_path: Path) -> None:
        """A queue file that does not parse is named at the top of the page; exit 1."""
        queue = enqueued(tmp_path)
        (queue / "broken.x.md").write_text("no front matter\n", encoding="utf-8")
        code, page, _, err = preview(tmp_path, "--queue", str(queue))
        assert code == 1
        assert f"{queue / 'broken.x.md'}:1: a queue file starts with" in err
        assert '<div class="problems">' in page

    def test_invalid_digest_is_shown_with_the_valid_ones(self, tmp_path: Path) -> None:
        """An invalid digest: its FILE:LINE problems on the page and stderr, exit 2."""
        bad = tmp_path / "bad.txt"
        lines = EXAMPLE.read_text(encoding="utf-8").split("\n")
        bad.write_text("\n".join(lines[:2] + lines[3:]), encoding="utf-8")  # no authors line
        code, page, _, err = preview(tmp_path, str(bad), str(EXAMPLE), "--now", NOW)
        assert code == 2
        assert err.startswith(f"{bad}:3: ") and "has no authors line" in err
        assert f'<p class="problem">{bad}:3: ' in page
        assert page.count('<section class="thread') == 18  # the example is still previewed

    def test_summary_is_markdown(self, tmp_path: Path) -> None:
        """--summary appends the preview as Markdown, for the job summary."""
        summary = tmp_path / "summary.md"
        code, _, _, err = preview(tmp_path, str(EXAMPLE), "--now", NOW, "--summary", str(summary))
        assert code == 0, err
        text = summary.read_text(encoding="utf-8")
        assert text.startswith("## Preview of ")
        assert "18 threads; no problems" in text
        assert "**1/3** · 130/280 · Post: Create $0.015" in text

    def test_unwritable_out_is_one_line(self, tmp_path: Path) -> None:
        """An --out in a missing folder: one FILE: message line, exit 2, nothing written."""
        out = tmp_path / "missing" / "p.html"
        done = run_publisher("preview", str(EXAMPLE), "--out", str(out), cwd=tmp_path)
        assert done.returncode == 2
        assert done.stderr.strip().splitlines() == [
            f"{out}: cannot write the preview: No such file or directory"
        ]

    def test_platform_selects(self, tmp_path: Path) -> None:
        """--platform x previews X threads only."""
        code, page, _, _ = preview(tmp_path, str(EXAMPLE), "--now", NOW, "--platform", "x")
        assert code == 0
        assert page.count('<section class="thread x"') == 9
        assert 'class="thread bluesky"' not in page

    def test_missing_queue_folder(self, tmp_path: Path) -> None:
        """Previewing a queue folder that is not there is bad input, said in one line."""
        code, _, _, err = preview(tmp_path, "--queue", str(tmp_path / "nope"))
        assert code == 2
        assert err.strip() == f"{tmp_path / 'nope'}: no such queue folder"


def test_no_leftover_temporaries(tmp_path: Path) -> None:
    """The page is written atomically: only the page is left in its folder."""
    shutil.copy(EXAMPLE, tmp_path / "d.txt")
    code, _, _, err = preview(tmp_path, "d.txt", "--now", NOW)
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.txt", "p.html"]


class TestLight:
    def test_no_sdk_imported(self, tmp_path: Path) -> None:
        """Previewing a digest and a queue never loads atproto, tweepy, httpx or requests."""
        from tests.test_imports import run_probe

        queue = enqueued(tmp_path)
        out = tmp_path / "light.html"
        args = ["preview", str(EXAMPLE), "--queue", str(queue), "--out", str(out)]
        code, loaded, stdout = run_probe([*args, "--config", str(CONFIG), "--now", NOW], ROOT)
        assert code == 0
        assert "36 threads" in stdout
        assert loaded == []
