"""Posts to Bluesky through the real ``atproto`` SDK (MarshalX, 0.0.73).

``atproto`` costs ~2 s and ~70 MB to import, so it is imported only inside the methods of
:class:`BlueskyAdapter`, and this module itself is imported only when a post is really sent.

Idempotency: every post's record key is ``tid_for(thread_key, index)``, so a retried create can
never make a second record. Creating an existing key answers 500 on the real PDS, so after any
5xx/transport failure of a create, :meth:`BlueskyAdapter.post` looks the record up once itself:

* the record is there with the same text → the create did happen; its ``PostRef`` is returned;
* a record with that key has different text → ``PermanentError`` (a person has to look);
* it is not there, or the look-up fails too → ``TransientError(outcome_unknown=True)``; the caller
  calls :meth:`find` before posting again (and even a blind retry cannot duplicate the post).

Errors: every atproto/httpx exception becomes a ``publisher.errors.PlatformError``; nothing is
chained (the new exception is raised outside the ``except`` block, so neither ``__cause__`` nor
``__context__`` points at an httpx request carrying the Authorization header), and every message
is scrubbed of the app password, the session JWTs and anything that looks like a bearer token.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import SecretStr

from publisher.errors import (
    AccountRefused,
    PermanentError,
    PlatformError,
    RateLimited,
    TransientError,
    Unreachable,
)
from publisher.platforms.base import PostRef, Slot
from publisher.platforms.bluesky import BlueskyCredentials, BlueskyOptions
from publisher.platforms.tid import tid_for
from publisher.ratelimit import retry_at
from publisher.scrub import scrub

T = TypeVar("T")

POST_COLLECTION = "app.bsky.feed.post"
_JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_BEARER_RE = re.compile(r"(?i)(bearer|basic)\s+\S+")
_MAX_DETAIL = 200


def _utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def connect(
    credentials: BlueskyCredentials, options: BlueskyOptions, timeout: float
) -> BlueskyAdapter:
    """The adapter the registry builds when a post is really sent."""
    return BlueskyAdapter(
        handle=credentials.handle,
        app_password=credentials.app_password,
        service=credentials.service,
        timeout=timeout,
    )


class BlueskyAdapter:
    """The ``Adapter`` for Bluesky. One login (lazy) per adapter; every request has a timeout.

    ``pin_service``: the SDK moves every request after login to the PDS named in the account's DID
    document. With ``pin_service=True`` every request keeps going to ``service`` (tests put a
    fault-injecting proxy there; bsky.social also forwards to the account's PDS).
    """

    platform = "bluesky"

    def __init__(
        self,
        handle: str,
        app_password: SecretStr,
        service: str,
        timeout: float = 20.0,
        *,
        pin_service: bool = False,
    ) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.handle = handle
        self.service = service.rstrip("/")
        self.timeout = timeout
        self._password = app_password
        self._pin_service = pin_service
        self._client: Any = None
        self._did: str | None = None
        self._login_failed: PlatformError | None = None
        self._secrets: list[str] = []

    def __repr__(self) -> str:
        return f"BlueskyAdapter(handle={self.handle!r}, service={self.service!r})"

    # -- the Adapter protocol ---------------------------------------------------------------------

    def post(self, payload: dict[str, Any], slot: Slot) -> PostRef:
        """Create the post at ``slot``; record key ``tid_for(slot.thread_key, slot.index)``."""
        rkey = _rkey(slot.thread_key, slot.index)
        record = self._record(payload, root=slot.root, parent=slot.parent)
        client, did = self._session()
        from atproto import models

        if isinstance(payload.get("card"), dict):
            record["embed"] = self._embed(payload["card"])

        problem: str | None = None
        try:
            data = models.ComAtprotoRepoCreateRecord.Data(
                repo=did, collection=POST_COLLECTION, rkey=rkey, record=record, validate_=True
            )
        except ValueError as e:  # pydantic: the payload does not fit the record schema
            problem = f"bluesky: post {rkey} is not a valid record: {str(e)[:_MAX_DETAIL]}"
        if problem is not None:
            raise PermanentError(problem)
        try:
            response = self._call(
                f"create post {rkey}",
                lambda: client.com.atproto.repo.create_record(data),
                write=True,
            )
        except TransientError as err:
            if not err.outcome_unknown or isinstance(err, RateLimited):
                raise
            # 5xx (the PDS answers 500 when the key exists), timeout or dropped connection:
            # the record may exist. Look once; a PermanentError (other text) propagates.
            try:
                found = self._find(record["text"], rkey, slot)
            except TransientError:
                raise err from None
            if found is None:
                raise
            return found
        return self._ref(rkey, str(response.uri), str(response.cid))

    def find(self, payload: dict[str, Any], slot: Slot) -> PostRef | None:
        """The post at ``tid_for(slot.thread_key, slot.index)`` if it has this text, else None."""
        text = payload.get("text")
        if not isinstance(text, str):
            raise PermanentError("bluesky: payload has no text")
        return self._find(text, _rkey(slot.thread_key, slot.index), slot)

    def whoami(self) -> str:
        """The handle and DID of a new session (``com.atproto.server.createSession``)."""
        _, did = self._session()
        return f"@{self.handle} ({did})"

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):  # closing a pool must never fail a run
                client.request.close()

    # -- internals --------------------------------------------------------------------------------

    def _find(self, text: str, rkey: str, slot: Slot) -> PostRef | None:
        client, did = self._session()
        from atproto import models

        params = models.ComAtprotoRepoGetRecord.Params(
            repo=did, collection=POST_COLLECTION, rkey=rkey
        )
        try:
            response = self._call(
                f"look up post {rkey}",
                lambda: client.com.atproto.repo.get_record(params),
                write=False,
            )
        except PermanentError as err:
            if err.status == 400 and "RecordNotFound" in str(err):
                return None
            raise
        value = response.value
        found_text = value.get("text") if isinstance(value, dict) else getattr(value, "text", None)
        if found_text != text:
            raise PermanentError(
                f"bluesky: a post with record key {rkey} already exists ({response.uri}) but its "
                "text differs from the text to post; the queue item was probably edited after a "
                "partial run. Delete that post or give the item a new id."
            )
        foreign = _not_this_post(value, slot)
        if foreign:
            raise PermanentError(
                f"bluesky: the post with record key {rkey} ({response.uri}) is not this "
                f"thread's post {slot.index + 1}: {foreign}. Delete that post or give the item "
                "a new id."
            )
        return self._ref(rkey, str(response.uri), str(response.cid) if response.cid else None)

    def _embed(self, card: dict[str, Any]) -> dict[str, Any]:
        """The link card as ``app.bsky.embed.external``; its image fetched and uploaded now.

        A blob is content-addressed, so uploading the same image again on a retry is harmless.
        An image that cannot be fetched, read or uploaded (refused) gives a card without it.
        """
        from publisher.cards import fetch_thumbnail
        from publisher.platforms.bluesky import THUMB_MAX_BYTES

        external: dict[str, Any] = {
            "uri": str(card.get("uri") or ""),
            "title": str(card.get("title") or ""),
            "description": str(card.get("description") or ""),
        }
        thumb = card.get("thumb")
        image = (
            fetch_thumbnail(thumb, self.timeout, THUMB_MAX_BYTES)
            if isinstance(thumb, str) and thumb
            else None
        )
        if image is not None:
            client, _ = self._session()
            data = image[0]
            try:
                response = self._call(
                    "upload the card image", lambda: client.upload_blob(data), write=False
                )
            except PermanentError:
                response = None  # e.g. refused as too large: the card goes without its image
            if response is not None:
                blob = response.blob.to_json_representation()
                external["thumb"] = blob.model_dump(mode="json", by_alias=True)
        return {"$type": "app.bsky.embed.external", "external": external}

    def _ref(self, rkey: str, uri: str, cid: str | None) -> PostRef:
        return PostRef(
            id=rkey, uri=uri, cid=cid, url=f"https://bsky.app/profile/{self.handle}/post/{rkey}"
        )

    @staticmethod
    def _record(
        payload: dict[str, Any], *, root: PostRef | None, parent: PostRef | None
    ) -> dict[str, Any]:
        text = payload.get("text")
        if not isinstance(text, str) or not text:
            raise PermanentError("bluesky: payload has no text")
        record: dict[str, Any] = {"$type": POST_COLLECTION, "text": text}
        if payload.get("facets"):
            record["facets"] = payload["facets"]
        if payload.get("langs"):
            record["langs"] = payload["langs"]
        record["createdAt"] = _utc_now_iso()
        if parent is not None:
            top = root or parent
            for name, ref in (("root", top), ("parent", parent)):
                if not ref.uri or not ref.cid:
                    raise PermanentError(f"bluesky: reply {name} {ref.id} has no uri/cid")
            record["reply"] = {
                "root": {"uri": top.uri, "cid": top.cid},
                "parent": {"uri": parent.uri, "cid": parent.cid},
            }
        return record

    def _session(self) -> tuple[Any, str]:
        """The logged-in client and the account's DID; logs in at most once per adapter."""
        if self._login_failed is not None:
            raise self._login_failed
        if self._client is None or self._did is None:
            self._login()
        assert self._did is not None
        if self._pin_service:
            # a session refresh may have moved the base URL to the DID document's PDS
            self._client.update_base_url(self.service)
        return self._client, self._did

    def _login(self) -> None:
        from atproto import Client, Request

        if self._client is None:
            self._client = Client(base_url=self.service, request=Request(timeout=self.timeout))
            self._client.on_session_change(self._remember_session)
        password = self._password.get_secret_value()
        self._secrets = [password]
        client = self._client

        def login() -> None:
            client.login(self.handle, password, fetch_bsky_profile=False)

        refused: PermanentError | None = None
        try:
            self._call(f"log in as {self.handle}", login, write=False)
        except PermanentError as err:
            refused = err
        if refused is not None:  # raised outside the except block: nothing chained
            # wrong handle or app password: never try again with this adapter
            if not isinstance(refused, AccountRefused):
                refused = AccountRefused(str(refused), status=refused.status)
            self._login_failed = refused
            raise refused
        if self._did is None:
            raise PermanentError("bluesky: logged in but the session carries no DID")
        if self._pin_service:
            self._client.update_base_url(self.service)

    def _remember_session(self, event: Any, session: Any) -> None:
        self._did = str(session.did)
        for token in (session.access_jwt, session.refresh_jwt):
            if token and token not in self._secrets:
                self._secrets.append(str(token))

    def _scrub(self, message: str) -> str:
        for secret in self._secrets:
            if secret:
                message = message.replace(secret, "[redacted]")
        message = _JWT_RE.sub("[redacted-jwt]", message)
        return scrub(_BEARER_RE.sub(r"\1 [redacted]", message))

    def _call(self, what: str, fn: Callable[[], T], *, write: bool) -> T:
        """Run one SDK call; any failure becomes a ``PlatformError`` with no chained exception."""
        try:
            return fn()
        except Exception as exc:  # every SDK/httpx failure is mapped, nothing escapes raw
            err = self._map(what, exc, write=write)
        # raised outside the except block: no __context__ pointing at the original
        raise err

    def _map(self, what: str, exc: Exception, *, write: bool) -> PlatformError:
        import httpx
        from atproto_client import exceptions as ax

        if isinstance(exc, PlatformError):
            return exc
        response = getattr(exc, "response", None) if isinstance(exc, ax.RequestErrorBase) else None
        if response is not None:
            return self._map_status(what, response, write=write)
        # transport failures: the SDK wraps httpx timeouts/network errors (cause kept in
        # __cause__); other httpx errors (RemoteProtocolError on a dropped connection) come raw.
        cause: BaseException = exc
        if isinstance(exc, ax.RequestErrorBase) and exc.__cause__ is not None:
            cause = exc.__cause__
        if isinstance(cause, httpx.HTTPError | ax.NetworkError):
            never_sent = isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout)
            kind = "timed out" if isinstance(cause, httpx.TimeoutException) else "network error"
            detail = self._scrub(f"{type(cause).__name__}: {cause}".strip().rstrip(":"))
            if never_sent:
                return Unreachable(f"bluesky: {what}: cannot connect ({detail[:_MAX_DETAIL]})")
            return TransientError(
                f"bluesky: {what}: {kind} ({detail[:_MAX_DETAIL]})",
                outcome_unknown=write and not never_sent,
            )
        if isinstance(exc, ax.AtProtocolError | ValueError):
            # e.g. a response the SDK could not parse: the request did reach the server
            detail = self._scrub(f"{type(exc).__name__}: {exc}")[:_MAX_DETAIL]
            if write:
                return TransientError(f"bluesky: {what}: {detail}", outcome_unknown=True)
            return PermanentError(f"bluesky: {what}: {detail}")
        detail = self._scrub(f"{type(exc).__name__}: {exc}")[:_MAX_DETAIL]
        return TransientError(f"bluesky: {what}: unexpected {detail}", outcome_unknown=write)

    def _map_status(self, what: str, response: Any, *, write: bool) -> PlatformError:
        from atproto_client.models.common import XrpcError

        status = int(response.status_code)
        content = response.content
        if isinstance(content, XrpcError):
            detail = f"{content.error}: {content.message}" if content.message else content.error
        elif isinstance(content, bytes | bytearray):
            detail = " ".join(content[:_MAX_DETAIL].decode("utf-8", "replace").split())
        else:
            detail = " ".join(str(content or "").split())
        detail = self._scrub(str(detail))[:_MAX_DETAIL]
        message = f"bluesky: {status} {detail}".rstrip() + f" ({what})"
        if status == 429:
            reset_at = retry_at(response.headers or {}, time.time())
            return RateLimited(message, status=status, reset_at=reset_at)
        if status >= 500 or status == 408:
            return TransientError(message, status=status, outcome_unknown=write)
        if status == 401:  # the session or the app password was refused
            return AccountRefused(message, status=status)
        return PermanentError(message, status=status)


def _field(value: Any, name: str) -> Any:
    return value.get(name) if isinstance(value, dict) else getattr(value, name, None)


def _not_this_post(value: Any, slot: Slot) -> str | None:
    """Why a record found at this post's key is not this post (the adoption rule), or None.

    It must reply to this thread's previous post (the first post to nothing) and have been
    created no earlier than ``slot.since``.
    """
    reply = _field(value, "reply")
    parent = _field(_field(reply, "parent"), "uri") if reply is not None else None
    wanted = slot.parent.uri if slot.parent else None
    if parent != wanted:
        return f"it replies to {parent or 'nothing'}, not to {wanted or 'nothing'}"
    created = _field(value, "createdAt") or _field(value, "created_at")
    if slot.since is not None and isinstance(created, str):
        try:
            made = datetime.fromisoformat(created.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
        if made < slot.since:
            return f"it was created at {created}, before this post was sent"
    return None


def _rkey(thread_key: str, index: int) -> str:
    try:
        return tid_for(thread_key, index)
    except ValueError as e:
        message = f"bluesky: no record key for post {index} of {thread_key!r}: {e}"
    raise PermanentError(message)
