"""Link cards on the real local Bluesky PDS: the record's ``embed.external`` and its thumbnail blob.

The arXiv API and the card pages/images are played by ``tests.fakes.links_server``.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from pydantic import SecretStr

from publisher import runner
from publisher.arxiv import ArxivClient
from publisher.cards import Card
from publisher.config import (
    FormatSettings,
    LinksSettings,
    RetrySettings,
    ScheduleSettings,
    Settings,
)
from publisher.digest import read_digests
from publisher.enqueue import enqueue
from publisher.formatter import number_posts
from publisher.links import resolve
from publisher.platforms import rules_for
from publisher.platforms.bluesky import THUMB_MAX_BYTES
from publisher.platforms.bluesky_adapter import BlueskyAdapter
from publisher.store.filequeue import FileQueue
from publisher.store.model import QueueItem
from publisher.testing.clock import FakeClock
from tests.fakes.links_server import FakePaper, LinksServer
from tests.fakes.pds import FaultProxy, PdsInfo

pytestmark = pytest.mark.pds

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "digest-2025-05-20.txt"
NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def server() -> Iterator[LinksServer]:
    digest = read_digests([EXAMPLE])[0]
    papers = [
        FakePaper(f"2505.{13447 + i:05d}", e.title, tuple(e.authors), e.abstract)
        for i, e in enumerate(digest.entries)
    ]
    with LinksServer(papers) as found:
        yield found


def _settings() -> Settings:
    return Settings(
        platforms=["bluesky"],
        retry=RetrySettings(budget_seconds=60, timeout_seconds=5),
        schedule=ScheduleSettings(max_threads_per_run=20, spacing_minutes=1),
    )


def _post_all(
    queue: FileQueue, pds: PdsInfo, settings: Settings, service: str | None = None
) -> runner.RunReport:
    def adapter(platform: str) -> BlueskyAdapter:
        return BlueskyAdapter(
            pds.handle,
            SecretStr(pds.password),
            service or pds.url,
            timeout=5,
            pin_service=service is not None,
        )

    later = NOW + dt.timedelta(days=1)
    return runner.run(
        queue, settings, rules_for(settings), adapter, later, FakeClock(t=time.time())
    )


def _get(pds: PdsInfo, method: str, **params: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", pds.port, timeout=10)
    try:
        conn.request("GET", f"/xrpc/{method}?{urlencode(params)}")
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _record(pds: PdsInfo, uri: str) -> dict[str, Any]:
    repo, collection, rkey = uri.removeprefix("at://").split("/")
    status, body = _get(
        pds, "com.atproto.repo.getRecord", repo=repo, collection=collection, rkey=rkey
    )
    assert status == 200, body
    value: dict[str, Any] = json.loads(body)["value"]
    return value


class TestCardsOnThePds:
    """What the PDS stores is what the card said."""

    def test_example_digest_every_first_post_has_a_card(
        self, tmp_path: Path, pds: PdsInfo, server: LinksServer
    ) -> None:
        """The example digest, looked up and posted: each thread's first post carries
        ``embed.external`` with its paper's link, title and abstract; later posts none."""
        settings = _settings()
        links = resolve(
            read_digests([EXAMPLE]),
            LinksSettings(arxiv_lookup=True),
            lookup=True,
            network=True,
            client=ArxivClient(server.api_url, timeout=5),
        )
        staging = FileQueue(tmp_path / "staging")
        added = enqueue(
            staging, links.digests, settings, rules_for(settings), NOW, links.cards
        ).added
        assert len(added) == 9
        # The session's PDS is shared: other tests post the example's threads (record keys come
        # from the thread id), so these get ids of their own.
        queue = FileQueue(tmp_path / "queue")
        run_id = time.time_ns()
        queue.save_all([i.model_copy(update={"id": f"{i.id}-{run_id}"}) for i in added])
        report = _post_all(queue, pds, settings)
        assert report.failed == []
        assert queue.paths() == []  # every thread posted in full, so archived
        items, _ = queue.load_archive()
        assert len(items) == 9
        for loaded in items:
            item = loaded.item
            assert item.status == "posted"
            first = _record(pds, item.posted[0].uri or "")
            external = first["embed"]["external"]
            assert first["embed"]["$type"] == "app.bsky.embed.external"
            assert external["uri"].startswith("https://arxiv.org/abs/2505.")
            assert external["uri"] in first["facets"][0]["features"][0]["uri"]
            assert external["title"] == item.title
            assert external["description"]
            assert "thumb" not in external  # an arXiv card has no image
            for later in item.posted[1:]:
                assert "embed" not in _record(pds, later.uri or "")

    @pytest.mark.parametrize(
        ("page", "kind"),
        [("/small.png", "image/png"), ("/big.png", "image/jpeg"), ("/broken.png", None)],
        ids=["small-png", "png-over-1mb", "broken"],
    )
    def test_thumbnail_blob(
        self, tmp_path: Path, pds: PdsInfo, server: LinksServer, page: str, kind: str | None
    ) -> None:
        """The card's image is fetched at send time and uploaded; the blob can be fetched back
        (``com.atproto.sync.getBlob``). Over 1 MB it is re-encoded; broken, the card goes
        without it and the thread is still posted."""
        queue = FileQueue(tmp_path / "queue")
        card = Card(
            uri=server.url + "/page.html",
            title="A page with a card",
            description="What the page says about itself.",
            thumb=server.url + page,
        )
        marker = f"card-{page.strip('/').replace('.', '-')}-{time.time_ns()}"
        queue.save(
            QueueItem(
                id=marker,
                platform="bluesky",
                title=marker,
                not_before=NOW,
                created=NOW,
                posts=[f"{marker} one {card.uri}", f"{marker} two"],
                card=card,
            )
        )
        report = _post_all(queue, pds, _settings())
        assert report.failed == []
        assert queue.paths() == []  # posted in full, so archived
        item = queue.load_archive()[0][0].item
        assert item.status == "posted"
        external = _record(pds, item.posted[0].uri or "")["embed"]["external"]
        assert (external["uri"], external["title"], external["description"]) == (
            card.uri,
            card.title,
            card.description,
        )
        if kind is None:
            assert "thumb" not in external
            return
        thumb = external["thumb"]
        assert thumb["mimeType"] == kind
        assert thumb["size"] <= THUMB_MAX_BYTES
        status, blob = _get(pds, "com.atproto.sync.getBlob", did=pds.did, cid=thumb["ref"]["$link"])
        assert status == 200
        assert len(blob) == thumb["size"]
        if page == "/small.png":
            assert blob == server.small_png
        else:
            assert blob[:3] == b"\xff\xd8\xff"

    def test_retries_upload_again(
        self, tmp_path: Path, pds: PdsInfo, server: LinksServer, fault_proxy: FaultProxy
    ) -> None:
        """A 503 on the blob upload, then a 500 after the first post was made: the image is
        uploaded again (same blob), the post is found, not made twice, and carries the card."""
        queue = FileQueue(tmp_path / "queue")
        card = Card(uri=server.url + "/page.html", title="Card", thumb=server.url + "/small.png")
        marker = f"card-retry-{time.time_ns()}"
        texts = [f"{marker} one", f"{marker} two"]
        queue.save(
            QueueItem(
                id=marker,
                platform="bluesky",
                title=marker,
                not_before=NOW,
                created=NOW,
                posts=texts,
                card=card,
            )
        )
        fault_proxy.fail_next("503", path_contains="com.atproto.repo.uploadBlob")
        fault_proxy.fail_next("500_after_commit")
        report = _post_all(queue, pds, _settings(), service=fault_proxy.url)
        assert report.failed == []
        assert len(fault_proxy.faults) == 2
        assert fault_proxy.count("com.atproto.repo.uploadBlob") >= 2
        assert queue.paths() == []  # posted in full, so archived
        item = queue.load_archive()[0][0].item
        assert item.status == "posted"
        assert len(item.posted) == 2
        first = _record(pds, item.posted[0].uri or "")
        assert first["text"] == number_posts(texts, FormatSettings())[0]  # numbered when sent
        thumb = first["embed"]["external"]["thumb"]
        status, blob = _get(pds, "com.atproto.sync.getBlob", did=pds.did, cid=thumb["ref"]["$link"])
        assert (status, blob) == (200, server.small_png)
