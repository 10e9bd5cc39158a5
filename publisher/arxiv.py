"""The arXiv look-up: a paper's arXiv id from its exact title and authors, in batched requests.

arXiv's query API answers Atom 1.0. It is parsed with the standard library's ElementTree through
``defusedxml`` rather than ``feedparser``: the feed is plain namespaced XML whose few fields we
read by name, a strict parser turns a broken answer into one clear failure instead of a guess,
and ``defusedxml`` (small, well kept) refuses entity-expansion tricks from whatever answers at
``ARXIV_API_URL``. feedparser would add a lenient sanitising layer and ~0.2 s of import for
nothing we use.

Etiquette (arXiv API terms): at most one request every 3 seconds, one connection, a descriptive
User-Agent. Titles are asked for in batches (``ti:"…" OR ti:"…"``), so a 9-paper digest is one
request, and every answer is cached for the life of the client (one run).
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from publisher import __version__
from publisher.errors import ArxivError

USER_AGENT = (
    f"publisher/{__version__} (posts a researcher's daily paper digest; "
    "looks each title up once per enqueue)"
)
MIN_INTERVAL = 3.0  # seconds between requests, as arXiv's API terms ask
BATCH = 20  # titles per request
_ATOM = "{http://www.w3.org/2005/Atom}"
_ID = re.compile(r"arxiv\.org/abs/([^\s?#]+?)(?:v\d+)?$")
_ET_AL = re.compile(r"(?:\s*\bet al|\s*\band others|\s*\bothers)$")

Outcome = Literal["found", "not found", "ambiguous", "failed"]


@dataclass(frozen=True)
class Paper:
    """One entry of the API's answer."""

    id: str  # without the version suffix
    title: str
    abstract: str
    authors: tuple[str, ...]

    @property
    def url(self) -> str:
        return f"https://arxiv.org/abs/{self.id}"


@dataclass(frozen=True)
class Lookup:
    """What the look-up found for one title."""

    outcome: Outcome
    paper: Paper | None = None
    detail: str = ""


def normalise(text: str) -> str:
    """Case, accents, whitespace and punctuation folded away: what two titles must share."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[\W_]+", " ", kept).split())


def surname(name: str) -> str:
    """The last word of a name, normalised: ``J. Zico Kolter`` → ``kolter``."""
    words = _ET_AL.sub("", normalise(name)).split()
    return words[-1] if words else ""


def truncated(authors: Sequence[str]) -> bool:
    """True when an author list ends in "et al." (or "…"): the look-up may complete it."""
    last = normalise(authors[-1]) if authors else ""
    return not last or bool(_ET_AL.search(last))


def parse_feed(data: bytes) -> list[Paper]:
    """The entries of an Atom answer; ``ArxivError`` when it is not one."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        root = fromstring(data)
    except (ParseError, DefusedXmlException) as exc:
        raise ArxivError(f"the answer is not valid Atom XML ({exc})") from None
    if root.tag != f"{_ATOM}feed":
        raise ArxivError("the answer is not an Atom feed")
    papers = []
    for entry in root.iter(f"{_ATOM}entry"):
        found = _ID.search((entry.findtext(f"{_ATOM}id") or "").strip())
        if not found:
            continue  # arXiv answers an error as an entry without an abs URL
        authors = tuple(
            " ".join((a.findtext(f"{_ATOM}name") or "").split())
            for a in entry.iter(f"{_ATOM}author")
        )
        papers.append(
            Paper(
                id=found.group(1),
                title=" ".join((entry.findtext(f"{_ATOM}title") or "").split()),
                abstract=" ".join((entry.findtext(f"{_ATOM}summary") or "").split()),
                authors=tuple(a for a in authors if a),
            )
        )
    return papers


def match(title: str, authors: Sequence[str], papers: Sequence[Paper]) -> Lookup:
    """Adopt a paper only when exactly one has this title and shares an author surname."""
    wanted = normalise(title)
    same_title = {p.id: p for p in papers if normalise(p.title) == wanted}
    if not same_title:
        return Lookup("not found")
    names = {surname(a) for a in authors} - {""}
    both = [p for p in same_title.values() if names & {surname(a) for a in p.authors}]
    if len(both) == 1:
        return Lookup("found", both[0])
    if not both:
        return Lookup("not found", detail="a paper has this title but no author in common")
    return Lookup("ambiguous", detail=", ".join(sorted(p.id for p in both)))


def query(titles: Sequence[str]) -> str:
    """The ``search_query`` for these titles: an exact-phrase title search per title, OR-ed."""
    return " OR ".join(f'ti:"{normalise(t)}"' for t in titles)


class ArxivClient:
    """Asks the API for titles; one request per ``BATCH`` titles, ``MIN_INTERVAL`` apart.

    ``sleep`` and ``clock`` are injectable so tests do not wait.
    """

    def __init__(
        self,
        api_url: str,
        timeout: float,
        *,
        min_interval: float = MIN_INTERVAL,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.api_url = api_url
        self.timeout = timeout
        self.min_interval = min_interval
        self.requests = 0
        self._sleep = sleep
        self._clock = clock
        self._last: float | None = None
        self._cache: dict[tuple[str, tuple[str, ...]], Lookup] = {}

    def lookup(self, wanted: Sequence[tuple[str, Sequence[str]]]) -> list[Lookup]:
        """A ``Lookup`` per (title, authors), in order; a failed request fails only its batch."""
        keys = [(normalise(t), tuple(surname(a) for a in authors)) for t, authors in wanted]
        todo: dict[tuple[str, tuple[str, ...]], tuple[str, Sequence[str]]] = {}
        for key, item in zip(keys, wanted, strict=True):
            if key not in self._cache:
                todo.setdefault(key, item)
        pending = list(todo.items())
        for start in range(0, len(pending), BATCH):
            batch = pending[start : start + BATCH]
            try:
                papers = self._ask([title for _, (title, _) in batch])
            except ArxivError as exc:
                for key, _ in batch:
                    self._cache[key] = Lookup("failed", detail=str(exc))
                continue
            for key, (title, authors) in batch:
                self._cache[key] = match(title, authors, papers)
        return [self._cache[key] for key in keys]

    def _ask(self, titles: Sequence[str]) -> list[Paper]:
        import requests

        if self._last is not None:
            wait = self.min_interval - (self._clock() - self._last)
            if wait > 0:
                self._sleep(wait)
        params: dict[str, str | int] = {
            "search_query": query(titles),
            "max_results": min(10 * len(titles), 200),
        }
        self.requests += 1
        try:
            response = requests.get(
                self.api_url,
                params=params,
                headers={"User-Agent": USER_AGENT},
                timeout=self.timeout,
            )
        except requests.Timeout:
            problem = f"arXiv did not answer within {self.timeout:g} s"
        except requests.RequestException as exc:
            problem = f"arXiv could not be reached ({type(exc).__name__})"
        else:
            problem = ""
        finally:
            self._last = self._clock()
        if problem:
            raise ArxivError(problem)
        if response.status_code != 200:
            raise ArxivError(f"arXiv answered {response.status_code} {response.reason}".rstrip())
        return parse_feed(response.content)
