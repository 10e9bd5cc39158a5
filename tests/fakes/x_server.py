"""A local stand-in for the X API v2, answering on the wire as X does, for tests.

The real ``tweepy.Client`` talks to it (pointed here by
``publisher.platforms.x_transport.point_client_at``); nothing in tweepy is mocked. Standard
library only, plus ``publisher.platforms.x_text.x_weighted_length`` for X's length rule.

Endpoints (any Host header; paths as tweepy sends them):

* ``POST /2/tweets`` -- body ``{"text": ..., "reply": {"in_reply_to_tweet_id": ...}}``.
  Checks, in X's order: OAuth 1.0a (401), the 15-minute window (429), the JSON schema (400),
  the weighted length ``0 < len <= 280`` (400), the reply target (403, see below), duplicate
  text of an existing post of this user (403), the optional 24-hour cap ``daily_post_limit``
  (429, counted in created posts). Success: 201
  ``{"data": {"id", "text", "edit_history_tweet_ids"}}``.
* ``DELETE /2/tweets/:id`` -- ``{"data": {"deleted": true}}``; the post leaves ``tweets``.
* ``GET /2/tweets/:id`` and ``GET /2/tweets?ids=`` -- as X: an unknown id is *not* an HTTP 404
  but a 200 whose body has ``errors`` ``[{"title": "Not Found Error", ...}]`` and no ``data``
  (tweepy then returns ``Response(data=None, errors=[...])``).
* ``GET /2/users/me`` -- ``{"data": {"id", "name", "username"}}``.
* ``GET /2/users/:id/tweets`` -- newest first; ``max_results`` (5..100, default 10),
  ``pagination_token``/``meta.next_token``, ``since_id``, ``until_id``, ``exclude=replies``.
  Fields beyond ``id``, ``text``, ``edit_history_tweet_ids`` come only when asked for in
  ``tweet.fields`` (as on X): ``created_at``, ``author_id``, ``conversation_id``,
  ``in_reply_to_user_id`` and ``referenced_tweets`` (``[{"type": "replied_to", "id": ...}]``,
  present on replies only). Other field names are accepted and ignored.

Every endpoint verifies the OAuth 1.0a header for real (RFC 5849 HMAC-SHA1, recomputed with the
consumer and token secrets over the method, ``signed_base_url`` + path, the oauth parameters and
the query parameters; a JSON body is not signed), rejects a timestamp more than ``clock_skew``
seconds off and a nonce seen before, and answers 401 otherwise. Every response carries
``x-rate-limit-limit/remaining/reset`` for its endpoint's 15-minute window.

Where this differs from the brief it was written to, it follows X: a reply to a numeric id that
does not exist (or was deleted) is answered 403 "You attempted to reply to a Tweet that is deleted
or not visible to you." (X's code 385), not 400; a malformed id is a 400.

Faults (``fail_next``) are consumed by the next POST /2/tweets requests in the order queued,
before any other check (they stand for the layer in front of the API):

* ``"429"`` (``reset_in=2``, ``daily=False``): 429 with X's body. Without ``daily`` the
  ``x-rate-limit-*`` headers say remaining 0 and reset in ``reset_in`` s. With ``daily=True`` it
  is the 24-hour cap as X reports it: ``x-user-limit-24hour-limit/remaining=0/reset`` carry the
  reset, while ``x-rate-limit-*`` still describe the (not exhausted) 15-minute window -- so a
  client reading only ``x-rate-limit-reset`` (as tweepy does) learns the wrong time.
* ``"500"``, ``"503"`` (``after_commit=False``): a 5xx with an X-like JSON body; with
  ``after_commit`` the request is first processed normally (the post is stored if valid) and the
  error is answered anyway -- an unknown outcome.
* ``"slow"`` (``delay=5``, ``commit=True``): waits ``delay`` s, then processes normally. With
  ``commit=False`` nothing is stored and a 503 is answered after the delay.
* ``"drop"`` (``after_commit=False``): closes the connection without a response.
* ``"402"``: X's answer when the account's prepaid credits are used up -- 402 with
  ``{"title": "CreditsDepleted", "detail": ..., "type": ".../problems/credits"}``; nothing stored.

``requests`` records every request (``method``, ``path``, ``query``, ``headers`` as sent, with
``Authorization``, ``body`` as text, and ``status`` answered, None when dropped). ``wait_idle``
waits until no request is being handled (e.g. after a client timed out on a "slow").
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from tests.fakes.wire import COMMON_FAULTS, STATUS_TEXT, Fault, Reply, WireServer

__all__ = ["DUPLICATE_DETAIL", "REPLY_TARGET_DETAIL", "FakeXServer", "oauth1_signature"]

TWITTER_EPOCH_MS = 1288834974657
WINDOW_SECONDS = 15 * 60
DAY_SECONDS = 24 * 60 * 60
MAX_WEIGHTED_LENGTH = 280

INVALID_REQUEST_TYPE = "https://api.twitter.com/2/problems/invalid-request"
NOT_FOUND_TYPE = "https://api.twitter.com/2/problems/resource-not-found"
DUPLICATE_DETAIL = "You are not allowed to create a Tweet with duplicate content."
CREDITS_DETAIL = "Your enrolled account does not have any credits to fulfill this request."
REPLY_TARGET_DETAIL = "You attempted to reply to a Tweet that is deleted or not visible to you."
TOO_LONG_MESSAGE = (
    "Your Tweet text is too long. For more information on how Twitter determines text length "
    "see https://github.com/twitter/twitter-text."
)

_ID_RE = re.compile(r"[0-9]{1,19}")
_AUTH_PARAM_RE = re.compile(r'\s*([A-Za-z0-9_]+)="([^"]*)"\s*(?:,|$)')
_INVALID_CHARS = ("\ufffe", "\ufeff", "\uffff")

_FAULT_OPTS: dict[str, frozenset[str]] = {
    "429": frozenset({"reset_in", "daily"}),
    **COMMON_FAULTS,
    "402": frozenset(),
}

# Per-endpoint 15-minute limits (user context), as X documents them for the paid tiers.
_GET_LIMITS = {"tweet": 900, "me": 75, "user_tweets": 900, "delete": 50}

_USER_TWEETS_PARAMS = frozenset(
    {
        "end_time",
        "exclude",
        "expansions",
        "max_results",
        "media.fields",
        "pagination_token",
        "place.fields",
        "poll.fields",
        "since_id",
        "start_time",
        "tweet.fields",
        "until_id",
        "user.fields",
    }
)


@dataclass
class _Window:
    """A fixed rate-limit window: ``limit`` requests per ``seconds``."""

    limit: int
    seconds: int
    start: float = 0.0
    used: int = 0

    def _roll(self, now: float) -> None:
        if now >= self.start + self.seconds:
            self.start = now
            self.used = 0

    def take(self, now: float) -> bool:
        self._roll(now)
        if self.used >= self.limit:
            return False
        self.used += 1
        return True

    def headers(self, now: float, prefix: str = "x-rate-limit") -> dict[str, str]:
        self._roll(now)
        return {
            f"{prefix}-limit": str(self.limit),
            f"{prefix}-remaining": str(max(self.limit - self.used, 0)),
            f"{prefix}-reset": str(math.ceil(self.start + self.seconds)),
        }


def _problem(status: int, title: str, detail: str | None = None) -> dict[str, Any]:
    return {"title": title, "detail": detail or title, "type": "about:blank", "status": status}


def _invalid(message: str, parameters: dict[str, list[str]] | None = None) -> Reply:
    error: dict[str, Any] = {"message": message}
    if parameters is not None:
        error["parameters"] = parameters
    return Reply(
        400,
        {
            "errors": [error],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": INVALID_REQUEST_TYPE,
        },
    )


def _not_found_error(resource_type: str, value: str, parameter: str = "id") -> dict[str, Any]:
    return {
        "value": value,
        "detail": f"Could not find {resource_type} with {parameter}: [{value}].",
        "title": "Not Found Error",
        "resource_type": resource_type,
        "parameter": parameter,
        "resource_id": value,
        "type": NOT_FOUND_TYPE,
    }


def _pct(value: str) -> str:
    """RFC 5849 section 3.6 percent-encoding (everything but ALPHA DIGIT - . _ ~)."""
    return quote(value, safe="~")


def oauth1_signature(
    method: str,
    url: str,
    params: list[tuple[str, str]],
    consumer_secret: str,
    token_secret: str,
) -> str:
    """The HMAC-SHA1 ``oauth_signature`` (RFC 5849 section 3.4) of a request.

    ``url`` is the request URL without query; ``params`` are the decoded query parameters and
    the ``oauth_*`` parameters except ``oauth_signature`` and ``realm``.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    if port is not None and not (
        (scheme == "http" and port == 80) or (scheme == "https" and port == 443)
    ):
        host = f"{host}:{port}"
    base_uri = f"{scheme}://{host}{parts.path or '/'}"
    normalized = "&".join(f"{k}={v}" for k, v in sorted((_pct(k), _pct(v)) for k, v in params))
    base_string = "&".join((method.upper(), _pct(base_uri), _pct(normalized)))
    key = f"{_pct(consumer_secret)}&{_pct(token_secret)}"
    digest = hmac.new(key.encode(), base_string.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def _snowflake_time(now: float) -> int:
    return (int(now * 1000) - TWITTER_EPOCH_MS) << 22


def _iso(now: float) -> str:
    moment = datetime.fromtimestamp(now, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class FakeXServer(WireServer):
    """An X API v2 stand-in on 127.0.0.1 (ephemeral port), for one user. See the module doc."""

    FAULT_OPTS = _FAULT_OPTS

    def __init__(
        self,
        *,
        consumer_key: str,
        consumer_secret: str,
        access_token: str,
        access_token_secret: str,
        user_id: str = "1000",
        username: str = "paperbot",
        name: str = "Paper Bot",
        signed_base_url: str = "https://api.twitter.com",
        post_limit: int = 100,
        daily_post_limit: int | None = None,
        clock_skew: float = 300.0,
    ) -> None:
        super().__init__()
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.access_token = access_token
        self.access_token_secret = access_token_secret
        self.user_id = user_id
        self.username = username
        self.name = name
        self.signed_base_url = signed_base_url.rstrip("/")
        self.clock_skew = clock_skew
        self.daily_post_limit = daily_post_limit

        self.tweets: list[dict[str, Any]] = []
        self._nonces: set[tuple[str, str]] = set()
        self._last_id = 0
        self._post_window = _Window(post_limit, WINDOW_SECONDS)
        self._day_window = _Window(daily_post_limit or 0, DAY_SECONDS)
        self._get_windows = {k: _Window(v, WINDOW_SECONDS) for k, v in _GET_LIMITS.items()}

    def _error(self, status: int, message: str) -> Reply:
        title = STATUS_TEXT.get(status, message)
        return Reply(status, _problem(status, title, None if title == message else message))

    # ------------------------------------------------------------------- routing

    def _dispatch(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> Reply | None:
        split = urlsplit(raw_path)
        path = split.path
        params = parse_qsl(split.query, keep_blank_values=True)

        if method == "POST" and path == "/2/tweets":
            fault = self._next_fault()
            if fault is not None:
                return self._faulted(fault, path, params, headers, body)
            return self._create(path, params, headers, body)

        answer: Callable[[], Reply]
        match (method, *(unquote(p) for p in path.strip("/").split("/"))):
            case ("GET", "2", "users", "me"):
                window, answer = "me", self._me
            case ("GET", "2", "users", user_id, "tweets"):
                window, answer = "user_tweets", lambda: self._user_tweets(user_id, params)
            case ("GET", "2", "tweets", tweet_id):
                window, answer = "tweet", lambda: self._lookup([tweet_id], params, single=True)
            case ("GET", "2", "tweets"):
                ids = [i for i in dict(params).get("ids", "").split(",") if i]
                window, answer = "tweet", lambda: self._lookup(ids, params, single=False)
            case ("DELETE", "2", "tweets", tweet_id):
                window, answer = "delete", lambda: self._delete(tweet_id)
            case _:
                return Reply(404, _problem(404, "Not Found Error", f"No route for {method} {path}"))
        return self._checked(window, method, path, params, headers, answer)

    def _checked(
        self,
        window_name: str,
        method: str,
        path: str,
        params: list[tuple[str, str]],
        headers: dict[str, str],
        answer: Callable[[], Reply],
    ) -> Reply:
        denied = self._authenticate(method, path, params, headers)
        if denied is not None:
            return denied
        now = time.time()
        with self._lock:
            window = self._get_windows[window_name]
            allowed = window.take(now)
            limit_headers = window.headers(now)
            if allowed:
                reply: Reply = answer()
            else:
                reply = Reply(429, _problem(429, "Too Many Requests"))
        reply.headers.update(limit_headers)
        return reply

    # ---------------------------------------------------------------------- auth

    def _authenticate(
        self, method: str, path: str, query: list[tuple[str, str]], headers: dict[str, str]
    ) -> Reply | None:
        """None when the OAuth 1.0a header is valid for this request, else the 401 to answer."""
        denied = Reply(401, _problem(401, "Unauthorized"))
        header = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        if not header.startswith("OAuth "):
            return denied
        oauth: dict[str, str] = {}
        for match in _AUTH_PARAM_RE.finditer(header[len("OAuth ") :]):
            oauth[unquote(match.group(1))] = unquote(match.group(2))
        required = (
            "oauth_consumer_key",
            "oauth_token",
            "oauth_signature_method",
            "oauth_signature",
            "oauth_timestamp",
            "oauth_nonce",
        )
        if any(name not in oauth for name in required):
            return denied
        if oauth["oauth_signature_method"] != "HMAC-SHA1":
            return denied
        if oauth.get("oauth_version", "1.0") != "1.0":
            return denied
        if not hmac.compare_digest(oauth["oauth_consumer_key"], self.consumer_key):
            return denied
        if not hmac.compare_digest(oauth["oauth_token"], self.access_token):
            return denied
        try:
            timestamp = int(oauth["oauth_timestamp"])
        except ValueError:
            return denied
        if abs(time.time() - timestamp) > self.clock_skew:
            return denied
        signed = [(k, v) for k, v in oauth.items() if k not in ("oauth_signature", "realm")]
        expected = oauth1_signature(
            method,
            self.signed_base_url + path,
            signed + list(query),
            self.consumer_secret,
            self.access_token_secret,
        )
        if not hmac.compare_digest(expected, oauth["oauth_signature"]):
            return denied
        nonce = (oauth["oauth_timestamp"], oauth["oauth_nonce"])
        with self._lock:
            if nonce in self._nonces:
                return denied  # a replayed request
            self._nonces.add(nonce)
        return None

    # -------------------------------------------------------------------- faults

    def _faulted(
        self,
        fault: Fault,
        path: str,
        params: list[tuple[str, str]],
        headers: dict[str, str],
        body: bytes,
    ) -> Reply | None:
        opts = fault.opts
        now = time.time()
        if fault.kind == "429":
            reset = str(math.ceil(now + float(opts.get("reset_in", 2))))
            with self._lock:
                window_headers = self._post_window.headers(now)
            reply = Reply(429, _problem(429, "Too Many Requests"))
            if opts.get("daily"):
                reply.headers.update(window_headers)
                reply.headers.update(
                    {
                        "x-user-limit-24hour-limit": str(self.daily_post_limit or 17),
                        "x-user-limit-24hour-remaining": "0",
                        "x-user-limit-24hour-reset": reset,
                    }
                )
            else:
                reply.headers.update(
                    {
                        "x-rate-limit-limit": window_headers["x-rate-limit-limit"],
                        "x-rate-limit-remaining": "0",
                        "x-rate-limit-reset": reset,
                    }
                )
            return reply
        if fault.kind == "402":
            return Reply(
                402,
                {
                    "title": "CreditsDepleted",
                    "detail": CREDITS_DETAIL,
                    "type": "https://api.twitter.com/2/problems/credits",
                },
            )
        return self._strike(fault, lambda: self._create(path, params, headers, body))

    # ----------------------------------------------------------------- endpoints

    def _create(
        self, path: str, params: list[tuple[str, str]], headers: dict[str, str], body: bytes
    ) -> Reply:
        denied = self._authenticate("POST", path, params, headers)
        if denied is not None:
            return denied
        now = time.time()
        with self._lock:
            allowed = self._post_window.take(now)
            limit_headers = self._post_window.headers(now)
            if allowed:
                reply = self._create_locked(body, now)
            else:
                reply = Reply(429, _problem(429, "Too Many Requests"))
            if self.daily_post_limit is not None:
                limit_headers.update(self._day_window.headers(now, "x-user-limit-24hour"))
        reply.headers.update(limit_headers)
        return reply

    def _create_locked(self, body: bytes, now: float) -> Reply:
        try:
            payload = json.loads(body.decode("utf-8")) if body else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            return _invalid("Request body is not valid JSON.")
        if not isinstance(payload, dict):
            return _invalid("$: expected type: JSONObject")
        allowed_keys = {
            "text",
            "reply",
            "reply_settings",
            "quote_tweet_id",
            "for_super_followers_only",
            "direct_message_deep_link",
            "community_id",
            "nullcast",
        }
        for key in payload:
            if key not in allowed_keys:
                return _invalid(
                    f"$.{key}: is not defined in the schema and the schema does not allow "
                    "additional properties",
                    {f"$.{key}": [json.dumps(payload[key])]},
                )
        text = payload.get("text")
        if text is None:
            return _invalid("You must specify either a Tweet text, media, poll, or a quote tweet.")
        if not isinstance(text, str):
            return _invalid("$.text: expected type: String", {"$.text": [json.dumps(text)]})

        reply_to: str | None = None
        if "reply" in payload:
            reply = payload["reply"]
            if not isinstance(reply, dict) or "in_reply_to_tweet_id" not in reply:
                return _invalid(
                    "$.reply.in_reply_to_tweet_id: is missing but it is required",
                    {"$.reply": [json.dumps(reply)]},
                )
            target = reply["in_reply_to_tweet_id"]
            if not isinstance(target, str) or not _ID_RE.fullmatch(target):
                return _invalid(
                    f"$.reply.in_reply_to_tweet_id: string [{target}] does not match pattern "
                    "^[0-9]{1,19}$",
                    {"$.reply.in_reply_to_tweet_id": [json.dumps(target)]},
                )
            reply_to = target

        from publisher.platforms.x_text import x_weighted_length  # lazily: may load first

        weighted = x_weighted_length(text)
        if weighted > MAX_WEIGHTED_LENGTH:
            return _invalid(TOO_LONG_MESSAGE, {"text": [text]})
        if weighted <= 0 or not text.strip():
            return _invalid("Tweet text is empty.", {"text": [text]})
        if any(ch in text for ch in _INVALID_CHARS):
            return _invalid("Tweet text contains invalid characters.", {"text": [text]})

        parent = None
        if reply_to is not None:
            parent = next((t for t in self.tweets if t["id"] == reply_to), None)
            if parent is None:
                return Reply(403, _problem(403, "Forbidden", REPLY_TARGET_DETAIL))

        if any(t["text"] == text for t in self.tweets):
            return Reply(403, _problem(403, "Forbidden", DUPLICATE_DETAIL))

        if self.daily_post_limit is not None and not self._day_window.take(now):
            return Reply(429, _problem(429, "Too Many Requests"))

        tweet_id = max(_snowflake_time(now), self._last_id + 1)
        self._last_id = tweet_id
        sid = str(tweet_id)
        self.tweets.append(
            {
                "id": sid,
                "text": text,
                "in_reply_to_tweet_id": reply_to,
                "created_at": _iso(now),
                "conversation_id": parent["conversation_id"] if parent else sid,
            }
        )
        return Reply(201, {"data": {"id": sid, "text": text, "edit_history_tweet_ids": [sid]}})

    def _render(self, tweet: dict[str, Any], fields: set[str]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": tweet["id"],
            "text": tweet["text"],
            "edit_history_tweet_ids": [tweet["id"]],
        }
        if "created_at" in fields:
            out["created_at"] = tweet["created_at"]
        if "author_id" in fields:
            out["author_id"] = self.user_id
        if "conversation_id" in fields:
            out["conversation_id"] = tweet["conversation_id"]
        if tweet["in_reply_to_tweet_id"] is not None:
            if "in_reply_to_user_id" in fields:
                out["in_reply_to_user_id"] = self.user_id
            if "referenced_tweets" in fields:
                out["referenced_tweets"] = [
                    {"type": "replied_to", "id": tweet["in_reply_to_tweet_id"]}
                ]
        return out

    @staticmethod
    def _fields(params: list[tuple[str, str]]) -> set[str]:
        raw = dict(params).get("tweet.fields", "")
        return {f.strip() for f in raw.split(",") if f.strip()}

    def _me(self) -> Reply:
        return Reply(
            200, {"data": {"id": self.user_id, "name": self.name, "username": self.username}}
        )

    def _lookup(self, ids: list[str], params: list[tuple[str, str]], *, single: bool) -> Reply:
        if not ids or any(not _ID_RE.fullmatch(i) for i in ids):
            return _invalid(f"The `id` query parameter value [{','.join(ids)}] is not valid")
        fields = self._fields(params)
        by_id = {t["id"]: t for t in self.tweets}
        data = [self._render(by_id[i], fields) for i in ids if i in by_id]
        errors = [_not_found_error("tweet", i) for i in ids if i not in by_id]
        body: dict[str, Any] = {}
        if data:
            body["data"] = data[0] if single else data
        if errors:
            body["errors"] = errors
        return Reply(200, body)

    def _delete(self, tweet_id: str) -> Reply:
        before = len(self.tweets)
        self.tweets[:] = [t for t in self.tweets if t["id"] != tweet_id]
        return Reply(200, {"data": {"deleted": len(self.tweets) != before}})

    def _user_tweets(self, user_id: str, params: list[tuple[str, str]]) -> Reply:
        query = dict(params)
        for name in query:
            if name not in _USER_TWEETS_PARAMS:
                return _invalid(
                    f"The query parameter [{name}] is not one of "
                    f"[{','.join(sorted(_USER_TWEETS_PARAMS))}]",
                    {name: [query[name]]},
                )
        if not _ID_RE.fullmatch(user_id):
            return _invalid(f"The `id` query parameter value [{user_id}] is not valid")
        if user_id != self.user_id:
            return Reply(200, {"errors": [_not_found_error("user", user_id)]})
        try:
            max_results = int(query.get("max_results", "10"))
        except ValueError:
            max_results = -1
        if not 5 <= max_results <= 100:
            return _invalid(
                f"The `max_results` query parameter value [{query.get('max_results')}] is not "
                "between 5 and 100",
                {"max_results": [query.get("max_results", "")]},
            )
        for name in ("since_id", "until_id"):
            if name in query and not _ID_RE.fullmatch(query[name]):
                return _invalid(f"The `{name}` query parameter value [{query[name]}] is not valid")
        items = sorted(self.tweets, key=lambda t: int(t["id"]), reverse=True)
        if "replies" in query.get("exclude", "").split(","):
            items = [t for t in items if t["in_reply_to_tweet_id"] is None]
        if "since_id" in query:
            items = [t for t in items if int(t["id"]) > int(query["since_id"])]
        if "until_id" in query:
            items = [t for t in items if int(t["id"]) < int(query["until_id"])]
        token = query.get("pagination_token")
        if token is not None:
            try:
                below = int(base64.urlsafe_b64decode(token.encode()).decode())
            except ValueError:
                return _invalid(
                    f"The `pagination_token` query parameter value [{token}] is not valid"
                )
            items = [t for t in items if int(t["id"]) < below]
        page, rest = items[:max_results], items[max_results:]
        meta: dict[str, Any] = {"result_count": len(page)}
        body: dict[str, Any] = {}
        if page:
            fields = self._fields(params)
            body["data"] = [self._render(t, fields) for t in page]
            meta["newest_id"] = page[0]["id"]
            meta["oldest_id"] = page[-1]["id"]
        if rest:
            meta["next_token"] = base64.urlsafe_b64encode(page[-1]["id"].encode()).decode()
        body["meta"] = meta
        return Reply(200, body)
