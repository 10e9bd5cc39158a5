"""Where tweepy's requests go, and how long they may take.

tweepy 4.17 hard-codes ``https://api.twitter.com`` (``BaseClient.request`` calls
``self.session.request(method, "https://api.twitter.com" + route, ..., auth=OAuth1(...))``) and
passes no timeout, so a hung connection would hang the publisher forever. ``point_client_at``
fixes both on the client's public ``requests.Session`` without touching tweepy:

* requests prepares the request first; the OAuth1 auth hook (requests-oauthlib) runs inside
  ``prepare_request`` and signs the URL tweepy built, ``https://api.twitter.com/2/...``;
* the session then picks the adapter mounted for that URL's prefix. Ours rewrites
  ``request.url`` to the same path under ``base_url`` and sends it with our timeout. The signature
  in the ``Authorization`` header stays the one computed for api.twitter.com, which is what a
  stand-in server (``tests.fakes.x_server``) verifies against.

With ``base_url="https://api.twitter.com"`` the rewrite is the identity: production uses the same
code path and only gains the timeout. The adapter never retries (``max_retries=0``): a POST whose
outcome is unknown must be settled by looking, not by sending it again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from requests.adapters import HTTPAdapter
from requests.models import PreparedRequest, Response
from requests.utils import should_bypass_proxies

if TYPE_CHECKING:
    import tweepy

X_API_ORIGIN = "https://api.twitter.com"

Timeout = float | tuple[float, float]


class RedirectingAdapter(HTTPAdapter):
    """Sends requests meant for ``from_origin`` to ``base_url`` instead, with a fixed timeout.

    ``base_url`` may carry a path prefix (``http://127.0.0.1:8080/x`` turns
    ``https://api.twitter.com/2/tweets?a=1`` into ``http://127.0.0.1:8080/x/2/tweets?a=1``).
    """

    def __init__(self, base_url: str, timeout: Timeout, *, from_origin: str = X_API_ORIGIN) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
        if parts.query or parts.fragment:
            raise ValueError(f"base_url must not have a query or fragment, got {base_url!r}")
        super().__init__(max_retries=0)
        self.base_url = base_url.rstrip("/")
        self.from_origin = from_origin.rstrip("/")
        self.timeout = timeout

    def rewrite(self, url: str) -> str:
        """The URL ``url`` is really sent to."""
        if url == self.from_origin or url.startswith(self.from_origin + "/"):
            return self.base_url + url[len(self.from_origin) :]
        return url

    def send(
        self,
        request: PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> Response:
        original = request.url or ""
        target = self.rewrite(original)
        if target != original:
            request.url = target
            # The session chose proxies for api.twitter.com; a local target must not go through
            # them (NO_PROXY is evaluated for the URL actually contacted).
            if proxies and should_bypass_proxies(target, no_proxy=None):
                proxies = {}
        return super().send(
            request,
            stream=stream,
            timeout=self.timeout if timeout is None else timeout,
            verify=verify,
            cert=cert,
            proxies=proxies,
        )


def point_client_at(client: tweepy.Client, base_url: str, timeout: Timeout) -> None:
    """Send every request of ``client`` to ``base_url`` with ``timeout`` (seconds).

    ``timeout`` is a float or a ``(connect, read)`` pair, as in requests. The OAuth 1.0a
    signature is still computed for ``https://api.twitter.com`` + path (see the module doc).
    Calling it again replaces the previous setting.
    """
    session: Any = client.session
    session.mount(X_API_ORIGIN + "/", RedirectingAdapter(base_url, timeout))
