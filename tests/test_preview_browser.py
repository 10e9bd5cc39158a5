"""The preview page in a real browser: headless Chromium from the system's packages.

Chromium loads the page from a file, offline (no background networking, a fresh profile), and
prints the DOM as it stands after loading (``--dump-dom``): anything a script changed would show.
The posts' texts and highlighted spans are compared with what `publisher --dry-run --json` says
is posted: Bluesky's facets (byte offsets) and the URL entities X extracts.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from publisher.platforms import url_grammar
from tests.fakes.browser import dump_dom, find_chromium, screenshot
from tests.fixtures_pds import to_terminal
from tests.publisher_cli import run_publisher

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "digest-2025-05-20.txt"
CONFIG = ROOT / "tests" / "data" / "x-link-url.toml"  # X links shown as links
NOW = "2025-05-19T12:00"
# If any of these ran, the DOM would say so: the body would carry a data-pwned attribute.
SCRIPT_TITLE = "<script>document.body.dataset.pwned = 'script'</script> Mean Flows"
IMG_COMMENT = "<img src=x onerror=\"document.body.dataset.pwned='img'\"> 1/few-shot. Interesting."


@pytest.fixture(scope="module", autouse=True)
def chromium(request: pytest.FixtureRequest) -> str:
    """Debian's Chromium, installed by tools/browser/setup the first time (as .ci/run does)."""
    found = find_chromium()
    if found is None:
        to_terminal(request.config, "Chromium: installing (tools/browser/setup, apt-get) ...")
        started = time.monotonic()
        done = subprocess.run(
            ["bash", str(ROOT / "tools" / "browser" / "setup")], capture_output=True, text=True
        )
        found = find_chromium()
        took = time.monotonic() - started
        to_terminal(request.config, f"Chromium: setup ended in {took:.0f} s, found: {found}")
        if found is None:  # a failure, not a skip
            pytest.fail(
                "Chromium is not installed and tools/browser/setup could not install it "
                f"(apt-get install chromium, as root): {done.stderr.strip()[-300:]}"
            )
    return found


class Post:
    def __init__(self, platform: str, entry: str) -> None:
        self.platform = platform
        self.entry = entry
        self.text = ""
        self.spans: list[dict[str, str]] = []


class PageReader(HTMLParser):
    """Posts (text, highlighted spans), scripts and event-handler attributes of a DOM dump."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.posts: list[Post] = []
        self.scripts = 0
        self.handlers: list[str] = []
        self.body: dict[str, str | None] = {}
        self.title = ""
        self._platform = self._entry = ""
        self._in_text = 0  # depth inside the post's text element
        self._span: dict[str, str] | None = None
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        classes = (found.get("class") or "").split()
        self.handlers += [name for name, _ in attrs if name.startswith("on")]
        if tag == "script":
            self.scripts += 1
        if tag == "body":
            self.body = found
        if tag == "title":
            self._in_title = True
        if tag == "section" and "thread" in classes:
            self._platform, self._entry = found["data-platform"] or "", found["data-entry"] or ""
        if tag == "article" and "post" in classes:
            self.posts.append(Post(self._platform, self._entry))
        if self._in_text:
            self._in_text += 1
            if "hl" in classes:
                self._span = {"kind": classes[1], "target": found["data-target"] or "", "text": ""}
        elif tag == "div" and "text" in classes:
            self._in_text = 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if self._in_text:
            self._in_text -= 1
            if self._span is not None and tag == "span":
                self.posts[-1].spans.append(self._span)
                self._span = None

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        if self._in_text:
            self.posts[-1].text += data
            if self._span is not None:
                self._span["text"] += data


def render(tmp_path: Path, digest: Path) -> Path:
    page = tmp_path / "preview.html"
    done = run_publisher(
        "preview", str(digest), "--out", str(page), "--config", str(CONFIG), "--now", NOW
    )
    assert done.returncode == 0, done.stderr
    return page


def read(page: Path) -> PageReader:
    reader = PageReader()
    reader.feed(dump_dom(page))
    return reader


def posted(digest: Path) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """What would be posted, per (entry id, platform), from the dry run's JSON."""
    done = run_publisher("--dry-run", "--json", "--config", str(CONFIG), str(digest))
    assert done.returncode == 0, done.stderr
    return {(t["entry_id"], t["platform"]): t["posts"] for t in json.loads(done.stdout)}


def expected_spans(platform: str, payload: dict[str, Any]) -> list[dict[str, str]]:
    text = payload["text"]
    if platform == "bluesky":
        raw = text.encode()
        out = []
        for facet in payload.get("facets", []):
            feature = facet["features"][0]
            piece = raw[facet["index"]["byteStart"] : facet["index"]["byteEnd"]].decode()
            if feature["$type"] == "app.bsky.richtext.facet#link":
                out.append({"kind": "link", "target": feature["uri"], "text": piece})
            else:
                out.append({"kind": "tag", "target": feature["tag"], "text": piece})
        return out
    return [
        {"kind": "link", "target": u.url, "text": text[u.start : u.end]}
        for u in url_grammar.extract_urls(text)
    ]


def hostile(tmp_path: Path) -> Path:
    lines = EXAMPLE.read_text(encoding="utf-8").split("\n")
    lines[1] = SCRIPT_TITLE
    lines[5] = IMG_COMMENT
    path = tmp_path / "hostile.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


class TestExampleInChromium:
    @pytest.fixture(scope="class")
    @classmethod
    def page(cls, tmp_path_factory: pytest.TempPathFactory) -> PageReader:
        return read(render(tmp_path_factory.mktemp("example"), EXAMPLE))

    def test_every_post_is_there_as_posted(self, page: PageReader) -> None:
        """The DOM holds every post of every thread, its text exactly the posted text."""
        expected = posted(EXAMPLE)
        shown: dict[tuple[str, str], list[str]] = {}
        for post in page.posts:
            shown.setdefault((post.entry, post.platform), []).append(post.text)
        assert shown == {key: [p["text"] for p in posts] for key, posts in expected.items()}

    def test_highlights_match_facets_and_url_entities(self, page: PageReader) -> None:
        """Bluesky highlights are its facets; X's links are the URL entities X extracts."""
        expected = posted(EXAMPLE)
        index = dict.fromkeys(expected, 0)
        kinds = set()
        for post in page.posts:
            key = (post.entry, post.platform)
            payload = expected[key][index[key]]
            index[key] += 1
            got = post.spans
            if post.platform == "x":
                tags = [s for s in got if s["kind"] == "tag"]
                assert all(re.fullmatch(r"#\w+", s["text"]) for s in tags), tags
                got = [s for s in got if s["kind"] == "link"]
            assert got == expected_spans(post.platform, payload), key
            kinds.update((post.platform, s["kind"]) for s in post.spans)
        # The example exercises links and tags on both platforms: the checks above were not empty.
        assert kinds == {("x", "link"), ("x", "tag"), ("bluesky", "link"), ("bluesky", "tag")}

    def test_screenshot_is_not_blank(self, tmp_path: Path) -> None:
        """A screenshot shows text and colour, not an empty page."""
        from PIL import Image

        png = tmp_path / "shot.png"
        screenshot(render(tmp_path, EXAMPLE), png, 800, 600)
        with Image.open(png) as image:
            assert image.size == (800, 600)
            gray = image.convert("L")
            histogram = gray.histogram()
            colours = image.convert("RGB").getcolors(maxcolors=1 << 20) or []
        background = max(histogram)
        assert background < 0.95 * 800 * 600, "nearly one colour: blank"
        assert sum(histogram[:100]) > 2000, "no dark pixels: no text"
        assert len(colours) > 50


class TestNoScriptRuns:
    def test_hostile_digest_shows_as_text(self, tmp_path: Path) -> None:
        """A `<script>` title and an `onerror` image show as text; nothing ran."""
        page = read(render(tmp_path, hostile(tmp_path)))
        assert page.scripts == 0
        assert page.handlers == []
        assert "data-pwned" not in page.body
        titles = [p.text for p in page.posts if p.text.startswith("<script>")]
        assert len(titles) == 2  # the first post of the X and of the Bluesky thread
        assert any(IMG_COMMENT in p.text for p in page.posts)

    def test_a_script_that_runs_would_be_seen(self, tmp_path: Path) -> None:
        """The check above can fail: the DOM dump does show what a script did."""
        page = tmp_path / "control.html"
        page.write_text(
            "<!DOCTYPE html><html><body><script>document.body.dataset.pwned = 'script'</script>"
            "</body></html>",
            encoding="utf-8",
        )
        assert read(page).body.get("data-pwned") == "script"
