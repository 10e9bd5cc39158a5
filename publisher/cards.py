"""Link cards: what a card says (built at enqueue) and its thumbnail (made at send time).

A card is a uri, a title, a description and an optional thumbnail image of at most the size the
platform takes. A platform whose server builds no card (its descriptor says ``cards=True``)
leaves it to the client, so:

* an arXiv link's card comes from the paper's own data (title, abstract cut short), no page;
* any other link's card comes from the page's ``og:title``/``og:description``/``og:image``,
  falling back to ``<title>`` and ``<meta name="description">`` (read with the standard
  library's ``html.parser``, which copes with the broken HTML pages are made of);
* the thumbnail is fetched when the post is sent and, when it is too big or in a format the
  platform may not take, re-encoded with Pillow. A broken image gives a card without a thumbnail.

Pillow and requests are imported only inside the functions that fetch or re-encode.
"""

from __future__ import annotations

import io
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

from pydantic import BaseModel, ConfigDict

from publisher.errors import CardError

THUMB_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}  # what every platform takes
PAGE_MAX_BYTES = 1_000_000  # the <head> is what we need; stop reading a page after this
IMAGE_MAX_BYTES = 20_000_000  # an image bigger than this is not worth shrinking
DESCRIPTION_MAX = 300  # characters of the abstract shown on a card
_THUMB_SIDE = 2000  # longest side of a re-encoded thumbnail, before any further shrinking


class Card(BaseModel):
    """A link card as stored in the queue file, where people may review and edit it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    uri: str
    title: str
    description: str = ""
    thumb: str | None = None  # the image's URL; fetched and uploaded when the post is sent


def shorten(text: str, limit: int = DESCRIPTION_MAX) -> str:
    """``text`` on one line, cut at a word boundary to at most ``limit`` characters with "…"."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.") + "…"


def arxiv_card(url: str, title: str, abstract: str) -> Card:
    """The card of an arXiv paper, from its title and abstract: no page is fetched."""
    return Card(uri=url, title=" ".join(title.split()), description=shorten(abstract))


class _Meta(HTMLParser):
    """Collects og: properties, the <title> text and the meta description of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            name = (values.get("property") or values.get("name") or "").lower()
            if name and "content" in values:
                self.meta.setdefault(name, " ".join(values["content"].split()))
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def page_card(url: str, html: str) -> Card | None:
    """The card a page describes for itself; None when it has no title at all."""
    parser = _Meta()
    parser.feed(html)
    parser.close()
    meta = parser.meta
    title = meta.get("og:title") or " ".join(parser.title.split())
    if not title:
        return None
    description = meta.get("og:description") or meta.get("description") or ""
    image = meta.get("og:image") or meta.get("og:image:url")
    return Card(
        uri=url,
        title=title,
        description=shorten(description),
        thumb=urljoin(url, image) if image else None,
    )


def fetch(
    url: str, timeout: float, max_bytes: int, *, allow_cut: bool = False
) -> tuple[bytes, str]:
    """GET ``url``: its body (at most ``max_bytes``) and content type; ``CardError`` on failure.

    With ``allow_cut`` a longer body is cut (a page's head comes first); else it is refused.
    """
    import requests

    from publisher.arxiv import USER_AGENT

    problem = ""
    try:
        with requests.get(
            url, timeout=timeout, stream=True, headers={"User-Agent": USER_AGENT}
        ) as response:
            if response.status_code != 200:
                raise CardError(f"{url} answered {response.status_code}")
            body = bytearray()
            for chunk in response.iter_content(64 * 1024):
                body += chunk
                if len(body) > max_bytes:
                    if not allow_cut:
                        raise CardError(f"{url} is larger than {max_bytes:,} bytes")
                    del body[max_bytes:]
                    break
            return bytes(body), response.headers.get("content-type", "")
    except requests.Timeout:
        problem = f"{url} did not answer within {timeout:g} s"
    except requests.RequestException as exc:
        problem = f"{url} could not be fetched ({type(exc).__name__})"
    raise CardError(problem)


def fetch_page_card(url: str, timeout: float) -> Card:
    """The card of a web page, read from its head; ``CardError`` when there is none."""
    body, content_type = fetch(url, timeout, PAGE_MAX_BYTES, allow_cut=True)
    if "html" not in content_type.lower():
        raise CardError(f"{url} is not an HTML page ({content_type or 'no content type'})")
    charset = "utf-8"
    for part in content_type.split(";"):
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            charset = value.strip("\"'")
    try:
        html = body.decode(charset, "replace")
    except LookupError:
        html = body.decode("utf-8", "replace")
    card = page_card(url, html)
    if card is None:
        raise CardError(f"{url} has no og:title and no <title>")
    return card


def thumbnail(data: bytes, max_bytes: int) -> tuple[bytes, str] | None:
    """Image bytes fit for a card thumbnail, and their MIME type; None if unreadable.

    A PNG or JPEG within ``max_bytes`` is kept as it is; anything else is re-encoded as JPEG,
    made smaller until it fits.
    """
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format or ""
            probe.verify()  # a truncated or corrupt file fails here
        if kind in THUMB_TYPES and len(data) <= max_bytes:
            return data, THUMB_TYPES[kind]
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            picture = _flatten(image)
        picture.thumbnail((_THUMB_SIDE, _THUMB_SIDE))
        quality = 85
        while True:
            out = io.BytesIO()
            picture.save(out, "JPEG", quality=quality, optimize=True)
            if out.tell() <= max_bytes:
                return out.getvalue(), "image/jpeg"
            if quality > 60:
                quality -= 15
                continue
            width, height = picture.size
            if width < 16 or height < 16:
                return None
            picture = picture.resize((width * 3 // 4, height * 3 // 4))
    except Exception:  # Pillow raises many kinds (OSError, SyntaxError, DecompressionBombError…)
        return None


def _flatten(image: Any) -> Any:
    """An RGB copy, transparent parts on white (JPEG has no alpha)."""
    from PIL import Image

    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def fetch_thumbnail(url: str, timeout: float, max_bytes: int) -> tuple[bytes, str] | None:
    """The card image at ``url``, ready to upload; None when it cannot be had."""
    try:
        data, _ = fetch(url, timeout, IMAGE_MAX_BYTES)
    except Exception:  # CardError, or a URL requests cannot even parse: no thumbnail either way
        return None
    return thumbnail(data, max_bytes)
