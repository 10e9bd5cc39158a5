"""Every paper links to itself: the arXiv look-up, link cards and the X link policy, on the wire.

arXiv and the web pages are played by ``tests.fakes.links_server`` on 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from publisher.arxiv import ArxivClient, Paper, match, normalise, parse_feed
from publisher.cards import Card, fetch_page_card, page_card, thumbnail
from publisher.config import FormatSettings, LinksSettings, Settings
from publisher.digest import read_digests
from publisher.errors import ArxivError
from publisher.formatter import format_thread
from publisher.links import resolve
from publisher.models import Digest, DigestEntry
from publisher.platforms import rules_for, url_grammar
from publisher.platforms.bluesky import THUMB_MAX_BYTES
from publisher.store.fileformat import parse, render
from publisher.store.filequeue import FileQueue
from publisher.store.model import QueueItem
from tests.fakes.links_server import FakePaper, LinksServer
from tests.publisher_cli import quiet_env, run_publisher

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "digest-2025-05-20.txt"
NOW = dt.datetime(2025, 5, 20, 8, 0, tzinfo=dt.UTC)


def _example() -> Digest:
    return read_digests([EXAMPLE])[0]


def _papers(digest: Digest) -> list[FakePaper]:
    """The example's papers as arXiv knows them (made-up ids, the digest's titles)."""
    return [
        FakePaper(f"2505.{13447 + i:05d}", e.title, tuple(e.authors), e.abstract)
        for i, e in enumerate(digest.entries)
    ]


@pytest.fixture
def server() -> Iterator[LinksServer]:
    with LinksServer(_papers(_example())) as found:
        yield found


def _no_sleep(seconds: float) -> None:
    raise AssertionError(f"slept {seconds} s")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TestMatching:
    """A paper is adopted only when one has the title and shares an author surname."""

    TITLE = "Mean Flows for One-step Generative Modeling"
    PAPER = Paper("2505.13447", "Mean  Flows for\n One-step Generative Modeling", "", ("K. He",))

    def test_title_normalised(self) -> None:
        """Case, whitespace, line breaks and punctuation do not matter."""
        assert normalise("Mean  Flows for\n One-Step: Generative Modeling.") == normalise(
            "mean flows for one step generative modeling"
        )

    def test_found(self) -> None:
        """Same title, one surname in common: found."""
        got = match("Mean Flows for One-step Generative Modeling", ["K. He"], [self.PAPER])
        assert got.outcome == "found"
        assert got.paper == self.PAPER

    def test_no_common_author(self) -> None:
        """Same title but no author in common: nothing is adopted."""
        got = match("Mean Flows for One-step Generative Modeling", ["Ada Lovelace"], [self.PAPER])
        assert got.outcome == "not found"

    def test_other_title(self) -> None:
        """A title that merely contains the wanted one is another paper."""
        longer = Paper("2505.1", self.TITLE + " II", "", ("Kaiming He",))
        assert match(self.TITLE, ["He"], [longer]).outcome == "not found"

    def test_ambiguous(self) -> None:
        """Two papers with the title and the author: neither is adopted."""
        twin = Paper("2505.99999", self.PAPER.title, "", ("Kaiming He",))
        got = match(self.TITLE, ["Kaiming He"], [self.PAPER, twin])
        assert got.outcome == "ambiguous"
        assert got.paper is None

    def test_not_atom(self) -> None:
        """An answer that is not Atom XML is a clear ArxivError."""
        with pytest.raises(ArxivError, match="not valid Atom"):
            parse_feed(b"<html><body>oops")


class TestLookupOnTheWire:
    """The client against a local server that answers arXiv's query API."""

    def test_nine_papers_one_request(self, server: LinksServer) -> None:
        """A 9-paper digest is one batched request with a descriptive User-Agent; all found."""
        digest = _example()
        client = ArxivClient(server.api_url, timeout=5, sleep=_no_sleep)
        got = client.lookup([(e.title, e.authors) for e in digest.entries])
        assert len(digest.entries) == 9
        assert [g.outcome for g in got] == ["found"] * 9
        assert [g.paper.id for g in got if g.paper] == [p.id for p in _papers(digest)]
        assert len(server.requests) == 1
        assert server.requests[0]["headers"]["User-Agent"].startswith("publisher/")
        assert " OR " in server.requests[0]["query"]["search_query"]

    def test_cached(self, server: LinksServer) -> None:
        """Asking again in the same run makes no request."""
        entry = _example().entries[0]
        client = ArxivClient(server.api_url, timeout=5, sleep=_no_sleep)
        first = client.lookup([(entry.title, entry.authors)])
        again = client.lookup([(entry.title, entry.authors)])
        assert first == again
        assert len(server.requests) == 1

    def test_requests_three_seconds_apart(self, server: LinksServer) -> None:
        """A second request waits out arXiv's 3 seconds (the wait is injected, not slept)."""
        waits: list[float] = []
        digest = _example()
        client = ArxivClient(server.api_url, timeout=5, sleep=waits.append, clock=lambda: 100.0)
        client.lookup([(digest.entries[0].title, digest.entries[0].authors)])
        client.lookup([(digest.entries[1].title, digest.entries[1].authors)])
        assert waits == [3.0]
        assert len(server.requests) == 2

    def test_unknown_title(self, server: LinksServer) -> None:
        """A title arXiv does not know is reported not found."""
        client = ArxivClient(server.api_url, timeout=5)
        assert client.lookup([("A Paper Nobody Wrote", ["Nobody"])])[0].outcome == "not found"

    @pytest.mark.parametrize("fault", ["503", "slow"])
    def test_server_fails(self, server: LinksServer, fault: str) -> None:
        """503 or no answer within the timeout: the look-up fails with a reason, nothing raised."""
        server.delay = 2.0
        server.fail_next(fault)
        client = ArxivClient(server.api_url, timeout=0.5)
        got = client.lookup([(_example().entries[0].title, ["Kaiming He"])])
        assert got[0].outcome == "failed"
        assert ("503" if fault == "503" else "did not answer within 0.5 s") in got[0].detail

    def test_server_down(self) -> None:
        """Nothing listening: the look-up fails with a reason."""
        client = ArxivClient(f"http://127.0.0.1:{_closed_port()}/api/query", timeout=2)
        got = client.lookup([("Mean Flows for One-step Generative Modeling", ["He"])])
        assert got[0].outcome == "failed"
        assert "could not be reached" in got[0].detail


def _enqueue(
    tmp_path: Path, api_url: str, *extra: str, lookup: bool = True
) -> tuple[str, str, Path]:
    config = tmp_path / "publisher.toml"
    config.write_text(
        f"[links]\narxiv_lookup = {str(lookup).lower()}\ntimeout_seconds = 1\n", encoding="utf-8"
    )
    done = run_publisher(
        "enqueue",
        str(EXAMPLE),
        "--queue",
        str(tmp_path / "queue"),
        "--config",
        str(config),
        "--now",
        "2025-05-20T08:00",
        *extra,
        env=quiet_env(ARXIV_API_URL=api_url),
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, done.stderr, tmp_path / "queue"


class TestEnqueue:
    """`publisher enqueue` with [links] arxiv_lookup = true."""

    def test_every_entry_gets_its_link(self, tmp_path: Path, server: LinksServer) -> None:
        """The example digest, looked up: every thread links its paper; every Bluesky file has
        its card; under the default X policy no X post contains a URL."""
        out, _, queue_dir = _enqueue(tmp_path, server.api_url)
        papers = {p.title: p for p in _papers(_example())}
        assert out.count("arXiv look-up: found") == 9
        items, problems = FileQueue(queue_dir).load()
        assert problems == []
        assert len(items) == 18
        for loaded in items:
            item = loaded.item
            link = f"https://arxiv.org/abs/{papers[item.title].id}"
            if item.platform == "bluesky":
                assert link in item.posts[0]
                assert item.card is not None
                assert item.card.uri == link
                assert item.card.title == item.title
                assert item.card.description.startswith(papers[item.title].abstract[:40])
            else:
                assert f"arXiv:{papers[item.title].id}" in item.posts[0]
                assert item.card is None
                assert all(url_grammar.extract_urls(post) == [] for post in item.posts)

    def test_ids_do_not_depend_on_the_look_up(self, tmp_path: Path, server: LinksServer) -> None:
        """A looked-up link does not rename the thread: enqueuing again after a failed
        look-up skips every paper instead of queuing it twice."""
        _enqueue(tmp_path, server.api_url)
        server.fail_next("503")
        out, _, queue_dir = _enqueue(tmp_path, server.api_url)
        assert "0 added, 18 already queued" in out
        assert len(FileQueue(queue_dir).paths()) == 18

    @pytest.mark.parametrize(
        ("fault", "said"),
        [("503", "arXiv answered 503"), ("slow", "arXiv did not answer within 1 s")],
    )
    def test_server_fails_queues_without_links(
        self, tmp_path: Path, server: LinksServer, fault: str, said: str
    ) -> None:
        """arXiv answering 503, or too slowly: every entry is queued anyway, without a link,
        with a warning."""
        server.delay = 3.0
        server.fail_next(fault)
        summary = tmp_path / "summary.md"
        out, _, queue_dir = _enqueue(tmp_path, server.api_url, "--summary", str(summary))
        assert out.count("warning: ") == 9
        assert f"arXiv look-up: failed ({said}" in out
        assert summary.read_text(encoding="utf-8").count(f"- ⚠️ {EXAMPLE}:") == 9
        assert "18 added" in out
        items, _ = FileQueue(queue_dir).load()
        assert all("arxiv" not in li.item.posts[0].lower() for li in items)

    def test_server_down_queues_without_links(self, tmp_path: Path) -> None:
        """Nothing listening at ARXIV_API_URL: queued anyway, with a warning per entry."""
        out, _, _ = _enqueue(tmp_path, f"http://127.0.0.1:{_closed_port()}/api/query")
        assert out.count("warning: ") == 9
        assert "18 added" in out

    def test_off_means_no_request(self, tmp_path: Path, server: LinksServer) -> None:
        """With the look-up off (the default), enqueue asks nothing."""
        out, _, _ = _enqueue(tmp_path, server.api_url, lookup=False)
        assert "arXiv" not in out
        assert server.requests == []


class TestDryRun:
    """`publisher --dry-run DIGEST` needs no network unless --lookup is given."""

    def test_no_look_up_unless_asked(self, tmp_path: Path, server: LinksServer) -> None:
        """The README's first command makes no request, even with the look-up configured."""
        config = tmp_path / "publisher.toml"
        config.write_text("[links]\narxiv_lookup = true\n", encoding="utf-8")
        env = quiet_env(ARXIV_API_URL=server.api_url)
        done = run_publisher("--dry-run", str(EXAMPLE), "--config", str(config), env=env)
        assert done.returncode == 0, done.stderr
        assert server.requests == []
        assert 'x link policy: link = "id"' in done.stdout

    def test_lookup_needs_a_digest(self, tmp_path: Path) -> None:
        """--lookup without digests is a usage error, not silently ignored."""
        done = run_publisher("--dry-run", "--lookup", "--queue", str(tmp_path / "q"), cwd=tmp_path)
        assert done.returncode == 2
        assert done.stderr.strip() == "--lookup: only with --dry-run DIGEST (or check --lookup)"

    def test_lookup_shows_cards(self, tmp_path: Path, server: LinksServer) -> None:
        """With --lookup the JSON shows each Bluesky card and the X policy; X has no URL."""
        env = quiet_env(ARXIV_API_URL=server.api_url)
        done = run_publisher("--dry-run", "--json", "--lookup", str(EXAMPLE), cwd=tmp_path, env=env)
        assert done.returncode == 0, done.stderr
        threads = json.loads(done.stdout)
        bluesky = [t for t in threads if t["platform"] == "bluesky"]
        assert len(bluesky) == 9
        for thread in bluesky:
            assert set(thread["card"]) == {"uri", "title", "description", "thumb"}
            assert thread["card"]["uri"].startswith("https://arxiv.org/abs/2505.")
        for thread in threads:
            if thread["platform"] == "x":
                assert thread["link_policy"] == "id"
                assert all(url_grammar.extract_urls(p["text"]) == [] for p in thread["posts"])
        assert done.stderr.count("arXiv look-up: found") == 9


def _entry(url: str | None) -> DigestEntry:
    data = _example().entries[0].model_dump(exclude={"id", "arxiv_id"})
    return DigestEntry.model_validate({**data, "url": url})


class TestXLinkPolicy:
    """`[x] link` decides how the paper link is written on X; Bluesky always has the link."""

    @pytest.mark.parametrize(
        ("policy", "url", "shown"),
        [
            ("id", "https://arxiv.org/abs/2505.13447v2", "arXiv:2505.13447"),
            ("url", "https://arxiv.org/abs/2505.13447", "https://arxiv.org/abs/2505.13447"),
            ("none", "https://arxiv.org/abs/2505.13447", None),
            ("id", "https://example.com/paper", None),
            ("url", "https://example.com/paper", "https://example.com/paper"),
        ],
    )
    def test_policy(self, policy: str, url: str, shown: str | None) -> None:
        """The header post of X carries what the policy says, and a URL only under "url"."""
        rules = rules_for(Settings.model_validate({"x": {"link": policy}}))
        thread = format_thread(_entry(url), rules["x"], FormatSettings())
        header = thread.posts[0]
        if shown is None:
            assert "arXiv:" not in header
        else:
            assert shown in header.splitlines()
        has_url = any(url_grammar.extract_urls(p) for p in thread.posts)
        assert has_url == (policy == "url")
        bluesky = format_thread(_entry(url), rules["bluesky"], FormatSettings())
        assert url in bluesky.posts[0]


class TestCards:
    """Link cards: from the paper's data, from a page's og: tags, and their thumbnails."""

    def test_og_tags(self) -> None:
        """og:title, og:description and og:image (made absolute) make the card."""
        html = (
            '<head><title>Ignored</title><meta property="og:title" content="The &amp; Title">'
            '<meta property="og:description" content="Says   things.">'
            '<meta property="og:image" content="/img/card.png"></head>'
        )
        card = page_card("https://example.org/a/b", html)
        assert card == Card(
            uri="https://example.org/a/b",
            title="The & Title",
            description="Says things.",
            thumb="https://example.org/img/card.png",
        )

    def test_fallbacks(self, server: LinksServer) -> None:
        """Without og: tags, <title> and the meta description are used."""
        card = fetch_page_card(server.url + "/plain.html", timeout=5)
        assert (card.title, card.description, card.thumb) == (
            "Only a title",
            "And a meta description.",
            None,
        )

    def test_page_on_the_wire(self, server: LinksServer) -> None:
        """A page fetched from the server gives its card, image URL on the same server."""
        card = fetch_page_card(server.url + "/page.html", timeout=5)
        assert card.title == "A page with a card"
        assert card.thumb == server.url + "/small.png"

    def test_arxiv_card_needs_no_page(self, server: LinksServer) -> None:
        """An arXiv link's card comes from the paper's data, abstract cut short; no request."""
        digest = _example()
        digest = digest.model_copy(
            update={"entries": [_entry("https://arxiv.org/abs/2505.13447"), *digest.entries[1:]]}
        )
        links = resolve([digest], LinksSettings(page_cards=True), lookup=False, network=True)
        card = links.cards["arxiv-2505.13447"]
        assert card.title == digest.entries[0].title
        assert len(card.description) <= 300
        assert card.description.endswith("…")
        assert server.requests == []

    def test_page_card_failure_is_a_warning(self) -> None:
        """A page that cannot be fetched gives a plain card (title from the digest) and a note."""
        url = f"http://127.0.0.1:{_closed_port()}/page.html"
        digest = _example()
        digest = digest.model_copy(update={"entries": [_entry(url)]})
        links = resolve([digest], LinksSettings(page_cards=True), lookup=False, network=True)
        assert links.cards[digest.entries[0].id] == Card(uri=url, title=digest.entries[0].title)
        assert [n.outcome for n in links.notes] == ["card"]

    def test_small_png_kept(self, server: LinksServer) -> None:
        """A PNG under 1,000,000 bytes is uploaded as it is."""
        assert thumbnail(server.small_png, THUMB_MAX_BYTES) == (server.small_png, "image/png")

    def test_big_png_reencoded(self, server: LinksServer) -> None:
        """A PNG over 1,000,000 bytes becomes a JPEG within the limit."""
        assert len(server.big_png) > THUMB_MAX_BYTES
        got = thumbnail(server.big_png, THUMB_MAX_BYTES)
        assert got is not None
        data, kind = got
        assert kind == "image/jpeg"
        assert len(data) <= THUMB_MAX_BYTES
        assert data[:3] == b"\xff\xd8\xff"

    def test_broken_image(self) -> None:
        """Bytes that are no image give no thumbnail, and no exception."""
        assert thumbnail(b"\x89PNG\r\n\x1a\n broken", THUMB_MAX_BYTES) is None


class TestQueueFile:
    """The card is stored in the Bluesky queue file, where people can read and edit it."""

    def test_round_trip(self, tmp_path: Path) -> None:
        """A card written to a queue file reads back the same; a file without one has no key."""
        card = Card(uri="https://arxiv.org/abs/2505.13447", title="T: a title", description="D")
        item = QueueItem(
            id="a", platform="bluesky", not_before=NOW, created=NOW, posts=["p"], card=card
        )
        text = render(item)
        assert "card:\n  uri: https://arxiv.org/abs/2505.13447\n" in text
        assert parse(text, tmp_path / "a.bluesky.md").item.card == card
        plain = render(item.model_copy(update={"card": None}))
        assert "card" not in plain

    def test_unknown_card_key_refused(self, tmp_path: Path) -> None:
        """A misspelt card field is an error naming the file and line."""
        card = Card(uri="https://example.org", title="T")
        item = QueueItem(
            id="a", platform="bluesky", not_before=NOW, created=NOW, posts=["p"], card=card
        )
        text = render(item).replace("  title: T", "  titel: T")
        path = tmp_path / "a.bluesky.md"
        from publisher.errors import InputError

        with pytest.raises(InputError) as raised:
            parse(text, path)
        assert "titel" in str(raised.value)
        assert str(path) in str(raised.value)


class TestAuthors:
    """The look-up may complete an author list ending in "et al.", never rewrite a full one."""

    def _adopted(self, authors: list[str]) -> list[str]:
        entry = _example().entries[0]
        data = entry.model_dump(exclude={"id", "arxiv_id"})
        digest = _example().model_copy(
            update={"entries": [DigestEntry.model_validate({**data, "authors": authors})]}
        )
        names = ("Zhengyang Geng", "Mingyang Deng", "Kaiming He")
        with LinksServer([FakePaper("2505.13447", entry.title, names, "An abstract.")]) as server:
            client = ArxivClient(server.api_url, timeout=5)
            links = resolve([digest], LinksSettings(), lookup=True, network=True, client=client)
        return list(links.digests[0].entries[0].authors)

    def test_et_al_completed(self) -> None:
        """ "Zhengyang Geng et al." becomes arXiv's full list."""
        assert self._adopted(["Zhengyang Geng et al."]) == [
            "Zhengyang Geng",
            "Mingyang Deng",
            "Kaiming He",
        ]

    def test_full_list_kept(self) -> None:
        """A list written in full is the author's: kept as written."""
        assert self._adopted(["Z. Geng", "K. He"]) == ["Z. Geng", "K. He"]


class TestQueueDryRun:
    """`publisher --dry-run` of the queue shows the card the first post will carry."""

    def test_card_in_plan(self, tmp_path: Path) -> None:
        card = Card(uri="https://arxiv.org/abs/2505.13447", title="T", description="D")
        FileQueue(tmp_path / "q").save(
            QueueItem(
                id="a", platform="bluesky", not_before=NOW, created=NOW, posts=["p1"], card=card
            )
        )
        args = ("--dry-run", "--queue", str(tmp_path / "q"), "--now", "2025-05-21T00:00")
        done = run_publisher(*args, "--json", "--platform", "bluesky", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["due"][0]["posts"][0]["card"] == card.model_dump()
        text = run_publisher(*args, "--platform", "bluesky", cwd=tmp_path)
        assert "bluesky link card: https://arxiv.org/abs/2505.13447" in text.stdout


class TestCheckLookup:
    """`publisher check --lookup` reports found, not found or ambiguous per entry."""

    def test_outcomes(self, tmp_path: Path) -> None:
        digest = _example()
        papers = _papers(digest)
        twin = FakePaper("2505.99999", papers[0].title, papers[0].authors, "Another paper.")
        with LinksServer([papers[0], twin, *papers[2:]]) as server:
            env = quiet_env(ARXIV_API_URL=server.api_url)
            done = run_publisher("check", "--lookup", str(EXAMPLE), cwd=tmp_path, env=env)
            assert len(server.requests) == 1
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        assert lines[0] == f"{EXAMPLE}: 2025-05-20, 9 entries"
        assert lines[1] == (
            f"{EXAMPLE}:{digest.lines[0]}: arXiv look-up: ambiguous (2505.13447, 2505.99999)"
        )
        assert lines[2] == f"{EXAMPLE}:{digest.lines[1]}: arXiv look-up: not found"
        assert lines[3] == (
            f"{EXAMPLE}:{digest.lines[2]}: arXiv look-up: found (https://arxiv.org/abs/2505.13449)"
        )
        assert len(lines) == 10
        assert list(tmp_path.iterdir()) == []


class TestDigestCannotClaimALookUp:
    """Only the look-up marks a link as looked up: a TOML digest may not set the flag."""

    def test_refused(self, tmp_path: Path) -> None:
        text = (REPO / "tests" / "data" / "digest-2025-05-20.toml").read_text(encoding="utf-8")
        at = text.index('hashtags = ["#diffusion"]')
        bad = tmp_path / "bad.toml"
        bad.write_text(text[:at] + "url_looked_up = true\n" + text[at:], encoding="utf-8")
        done = run_publisher("check", str(bad), cwd=tmp_path)
        assert done.returncode == 2
        line = text[:at].count("\n") + 1
        assert done.stderr.strip().endswith(
            f'{bad}:{line}: entry "Mean Flows for One-step '
            'Generative Modeling": unknown key "url_looked_up"'
        )
        assert "Traceback" not in done.stderr
