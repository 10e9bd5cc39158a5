"""Every paper links to itself: links looked up on arXiv and the card of each entry's link.

Between the digest and the formatter: entries without a link get the arXiv link of their paper
when the look-up finds exactly one, and each entry with a link gets a link card (for the
platforms that show one).
The network is used only when ``network`` is true; a failure never stops anything, it becomes a
warning and the entry goes on without a link or with a plainer card.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from publisher.arxiv import ArxivClient, Lookup, Paper, truncated
from publisher.cards import Card, arxiv_card, fetch_page_card
from publisher.config import LinksSettings
from publisher.errors import CardError
from publisher.models import Digest, DigestEntry, arxiv_id


@dataclass(frozen=True)
class LinkNote:
    """What happened to one entry's link: ``found``, ``not found``, ``ambiguous``, ``failed``
    (look-up), or ``card`` (a page could not give its card)."""

    where: str  # FILE:LINE of the entry
    title: str
    outcome: str
    detail: str = ""

    @property
    def warning(self) -> bool:
        return self.outcome in ("failed", "card")

    def __str__(self) -> str:
        if self.outcome == "card":
            text = f"{self.where}: link card without page data"
        else:
            text = f"{self.where}: arXiv look-up: {self.outcome}"
        return f"{text} ({self.detail})" if self.detail else text


@dataclass
class Links:
    digests: list[Digest]
    cards: dict[str, Card] = field(default_factory=dict)  # by entry id
    notes: list[LinkNote] = field(default_factory=list)
    requests: int = 0  # made to the arXiv API


def resolve(
    digests: Sequence[Digest],
    settings: LinksSettings,
    *,
    lookup: bool,
    network: bool,
    client: ArxivClient | None = None,
) -> Links:
    """Digests with looked-up links filled in (when ``lookup``), and every entry's card.

    ``network`` allows fetching pages for non-arXiv cards (with ``settings.page_cards``).
    """
    papers: dict[tuple[int, int], Paper] = {}
    notes: list[LinkNote] = []
    if lookup and client is not None:
        wanted = [
            (d, n, e) for d, digest in enumerate(digests) for n, e in enumerate(digest.entries)
        ]
        wanted = [(d, n, e) for d, n, e in wanted if not e.url]
        results = client.lookup([(e.title, e.authors) for _, _, e in wanted])
        for (d, n, entry), result in zip(wanted, results, strict=True):
            notes.append(_note(digests[d], n, entry, result))
            if result.outcome == "found" and result.paper is not None:
                papers[d, n] = result.paper
    out = Links(digests=[], notes=notes, requests=client.requests if client else 0)
    for d, digest in enumerate(digests):
        entries = [
            _adopt(entry, papers[d, n]) if (d, n) in papers else entry
            for n, entry in enumerate(digest.entries)
        ]
        new = digest.model_copy(update={"entries": entries})
        out.digests.append(new)
        for n, entry in enumerate(entries):
            card = _card(entry, papers.get((d, n)), settings, network, new, n, out.notes)
            if card is not None:
                out.cards[entry.id] = card
    return out


def _where(digest: Digest, n: int) -> str:
    line = digest.lines[n] if n < len(digest.lines) else None
    source = digest.source or "<digest>"
    return f"{source}:{line}" if line else source


def _note(digest: Digest, n: int, entry: DigestEntry, result: Lookup) -> LinkNote:
    detail = result.detail
    if result.paper is not None:
        detail = result.paper.url
    return LinkNote(_where(digest, n), entry.title, result.outcome, detail)


def _adopt(entry: DigestEntry, paper: Paper) -> DigestEntry:
    """The entry with the paper's link; a truncated author list completed, never rewritten."""
    data = entry.model_dump(exclude={"id", "arxiv_id"})
    data.update(url=paper.url, url_looked_up=True)
    if truncated(entry.authors) and len(paper.authors) >= len(entry.authors):
        data["authors"] = list(paper.authors)
    return DigestEntry.model_validate(data)


def _card(
    entry: DigestEntry,
    paper: Paper | None,
    settings: LinksSettings,
    network: bool,
    digest: Digest,
    n: int,
    notes: list[LinkNote],
) -> Card | None:
    if not entry.url:
        return None
    if paper is not None:
        return arxiv_card(entry.url, paper.title, paper.abstract)
    if arxiv_id(entry.url):  # the digest's own title and abstract are the paper's
        return arxiv_card(entry.url, entry.title, entry.abstract)
    plain = Card(uri=entry.url, title=entry.title)
    if not (network and settings.page_cards):
        return plain
    try:
        return fetch_page_card(entry.url, settings.timeout_seconds)
    except (CardError, ValueError) as exc:  # ValueError: a URL requests cannot parse
        notes.append(LinkNote(_where(digest, n), entry.title, "card", str(exc)))
        return plain
