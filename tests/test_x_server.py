"""The X API v2 stand-in, driven by the real tweepy.Client through point_client_at."""

from __future__ import annotations

import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any, TypedDict

import pytest
import requests
import tweepy
from oauthlib.oauth1.rfc5849 import (  # type: ignore[import-untyped]  # oauthlib ships no hints
    signature as oauthlib_signature,
)

from publisher.platforms.x_transport import RedirectingAdapter, point_client_at
from tests.fakes.x_server import (
    DUPLICATE_DETAIL,
    REPLY_TARGET_DETAIL,
    FakeXServer,
    oauth1_signature,
)


class Creds(TypedDict):
    consumer_key: str
    consumer_secret: str
    access_token: str
    access_token_secret: str


CREDS: Creds = {
    "consumer_key": "ck-test",
    "consumer_secret": "cs-test",
    "access_token": "1000-at-test",
    "access_token_secret": "ats-test",
}
TIMEOUT = 2.0


def make_client(
    base_url: str, timeout: float = TIMEOUT, overrides: dict[str, str] | None = None
) -> Any:
    client = tweepy.Client(**{**CREDS, **(overrides or {})})
    point_client_at(client, base_url, timeout)
    return client


def raw_client(base_url: str) -> Any:
    """A client whose calls return the ``requests.Response`` itself (to read headers)."""
    client = tweepy.Client(**CREDS, return_type=requests.Response)
    point_client_at(client, base_url, TIMEOUT)
    return client


@pytest.fixture
def server() -> Iterator[FakeXServer]:
    with FakeXServer(**CREDS) as srv:
        yield srv
    assert srv.errors == []


@pytest.fixture
def client(server: FakeXServer) -> Any:
    return make_client(server.base_url)


class TestPosting:
    """POST /2/tweets as X answers it."""

    def test_creates_a_post(self, server: FakeXServer, client: Any) -> None:
        """A post is stored and its id and text are returned in ``data``."""
        resp = client.create_tweet(text="hello world")
        assert resp.data["text"] == "hello world"
        assert resp.data["id"].isdigit()
        assert server.tweets == [
            {
                "id": resp.data["id"],
                "text": "hello world",
                "in_reply_to_tweet_id": None,
                "created_at": server.tweets[0]["created_at"],
                "conversation_id": resp.data["id"],
            }
        ]
        assert server.tweets[0]["created_at"].endswith("Z")
        assert server.requests[-1]["status"] == 201

    def test_answer_is_201_with_rate_limit_headers(self, server: FakeXServer) -> None:
        """A create answers 201 with the 15-minute window in ``x-rate-limit-*``."""
        resp = raw_client(server.base_url).create_tweet(text="first")
        assert resp.status_code == 201
        assert resp.headers["x-rate-limit-limit"] == "100"
        assert resp.headers["x-rate-limit-remaining"] == "99"
        assert int(resp.headers["x-rate-limit-reset"]) > time.time()

    def test_reply_chain(self, server: FakeXServer, client: Any) -> None:
        """Replies link to their parent and share the root's conversation."""
        root = client.create_tweet(text="1/3 root").data["id"]
        second = client.create_tweet(text="2/3", in_reply_to_tweet_id=root).data["id"]
        third = client.create_tweet(text="3/3", in_reply_to_tweet_id=int(second)).data["id"]
        assert [t["in_reply_to_tweet_id"] for t in server.tweets] == [None, root, second]
        assert {t["conversation_id"] for t in server.tweets} == {root}
        assert int(root) < int(second) < int(third)

    def test_request_is_recorded_with_its_oauth_header(
        self, server: FakeXServer, client: Any
    ) -> None:
        """Tests can read what was sent, Authorization header included."""
        client.create_tweet(text="recorded")
        (req,) = server.requests
        assert req["method"] == "POST"
        assert req["path"] == "/2/tweets"
        assert req["headers"]["Host"] == server.base_url.removeprefix("http://")
        assert req["headers"]["Authorization"].startswith("OAuth ")
        assert 'oauth_consumer_key="ck-test"' in req["headers"]["Authorization"]
        assert '"text": "recorded"' in req["body"]

    def test_duplicate_is_forbidden(self, server: FakeXServer, client: Any) -> None:
        """The same text again is a 403 with X's duplicate message and no post id."""
        client.create_tweet(text="same text")
        with pytest.raises(tweepy.errors.Forbidden) as info:
            client.create_tweet(text="same text")
        assert info.value.api_messages == [DUPLICATE_DETAIL]
        assert info.value.response.json()["detail"] == DUPLICATE_DETAIL
        assert len(server.tweets) == 1

    def test_140_hangul_syllables_fit(self, server: FakeXServer, client: Any) -> None:
        """140 Hangul syllables weigh exactly 280 and are accepted."""
        client.create_tweet(text="가" * 140)
        assert len(server.tweets) == 1

    def test_141_hangul_syllables_are_too_long(self, server: FakeXServer, client: Any) -> None:
        """141 Hangul syllables weigh 282: 400 Invalid Request."""
        with pytest.raises(tweepy.errors.BadRequest) as info:
            client.create_tweet(text="가" * 141)
        body = info.value.response.json()
        assert body["title"] == "Invalid Request"
        assert body["type"] == "https://api.twitter.com/2/problems/invalid-request"
        assert "too long" in info.value.api_messages[0]
        assert server.tweets == []

    def test_empty_text_is_invalid(self, server: FakeXServer, client: Any) -> None:
        """An empty text is a 400."""
        with pytest.raises(tweepy.errors.BadRequest):
            client.create_tweet(text="")
        assert server.tweets == []

    def test_reply_to_missing_post_is_forbidden(self, server: FakeXServer, client: Any) -> None:
        """A well-formed id that does not exist: 403 as X answers (code 385's message)."""
        with pytest.raises(tweepy.errors.Forbidden) as info:
            client.create_tweet(text="orphan", in_reply_to_tweet_id="1234567890")
        assert info.value.api_messages == [REPLY_TARGET_DETAIL]
        assert server.tweets == []

    def test_reply_to_malformed_id_is_invalid(self, server: FakeXServer, client: Any) -> None:
        """A non-numeric reply id fails X's schema: 400."""
        with pytest.raises(tweepy.errors.BadRequest) as info:
            client.create_tweet(text="orphan", in_reply_to_tweet_id="abc")
        assert "in_reply_to_tweet_id" in info.value.api_messages[0]


class TestAuth:
    """OAuth 1.0a is verified for real."""

    @pytest.mark.parametrize(
        "override",
        [
            {"consumer_secret": "wrong"},
            {"access_token_secret": "wrong"},
            {"consumer_key": "other-app"},
            {"access_token": "1000-other"},
        ],
    )
    def test_wrong_credentials_are_unauthorized(
        self, server: FakeXServer, override: dict[str, str]
    ) -> None:
        """Any wrong key, token or secret: 401 with X's body, nothing stored."""
        client = make_client(server.base_url, overrides=override)
        with pytest.raises(tweepy.errors.Unauthorized) as info:
            client.create_tweet(text="nope")
        assert info.value.response.json() == {
            "title": "Unauthorized",
            "detail": "Unauthorized",
            "type": "about:blank",
            "status": 401,
        }
        assert server.tweets == []

    def test_signature_is_checked_against_the_signed_base_url(self) -> None:
        """A signature made for api.twitter.com fails where another origin is expected."""
        with (
            FakeXServer(**CREDS, signed_base_url="https://api.x.com") as srv,
            pytest.raises(tweepy.errors.Unauthorized),
        ):
            make_client(srv.base_url).create_tweet(text="elsewhere")

    def test_query_parameters_are_signed(self, server: FakeXServer, client: Any) -> None:
        """A request whose query differs from the signed one is refused."""
        client.get_users_tweets(server.user_id, max_results=5, user_auth=True)
        sent = server.requests[-1]
        assert sent["status"] == 200
        resp = requests.get(
            f"{server.base_url}/2/users/{server.user_id}/tweets?max_results=6",
            headers={"Authorization": sent["headers"]["Authorization"]},
            timeout=TIMEOUT,
        )
        assert resp.status_code == 401

    def test_replayed_request_is_refused(self, server: FakeXServer, client: Any) -> None:
        """The same nonce twice is a replay: 401."""
        client.get_me(user_auth=True)
        sent = server.requests[-1]
        resp = requests.get(
            f"{server.base_url}/2/users/me",
            headers={"Authorization": sent["headers"]["Authorization"]},
            timeout=TIMEOUT,
        )
        assert resp.status_code == 401

    def test_bearer_token_is_unauthorized(self, server: FakeXServer, client: Any) -> None:
        """App-only (no user context) calls carry no OAuth 1.0a header: 401."""
        with pytest.raises(tweepy.errors.Unauthorized):
            client.get_users_tweets(server.user_id)  # tweepy's default user_auth=False

    def test_signature_matches_oauthlib(self) -> None:
        """The HMAC-SHA1 implementation agrees with oauthlib's."""
        params = [
            ("oauth_consumer_key", "ck"),
            ("oauth_nonce", "n o/n+ce"),
            ("oauth_timestamp", "1700000000"),
            ("oauth_token", "tok"),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_version", "1.0"),
            ("tweet.fields", "created_at,referenced_tweets"),
            ("q", "한국 ~*"),
            ("a", ""),
        ]
        url = "https://API.twitter.com:443/2/users/1/tweets"
        base = oauthlib_signature.signature_base_string(
            "GET",
            oauthlib_signature.base_string_uri(url),
            oauthlib_signature.normalize_parameters(params),
        )
        secrets = SimpleNamespace(client_secret="c s&", resource_owner_secret="t/s")
        expected = oauthlib_signature.sign_hmac_sha1_with_client(base, secrets)
        assert oauth1_signature("get", url, params, "c s&", "t/s") == expected


class TestFaults:
    """fail_next: rate limits, server errors, slowness, hang-ups."""

    def test_429_carries_rate_limit_headers(self, server: FakeXServer, client: Any) -> None:
        """A queued 429 shows remaining 0 and the reset epoch on ``e.response.headers``."""
        server.fail_next("429", reset_in=7)
        with pytest.raises(tweepy.errors.TooManyRequests) as info:
            client.create_tweet(text="limited")
        headers = info.value.response.headers
        assert headers["x-rate-limit-limit"] == "100"
        assert headers["x-rate-limit-remaining"] == "0"
        assert 5 <= int(headers["x-rate-limit-reset"]) - time.time() <= 8
        assert info.value.response.json() == {
            "title": "Too Many Requests",
            "detail": "Too Many Requests",
            "type": "about:blank",
            "status": 429,
        }
        assert server.tweets == []
        client.create_tweet(text="limited")  # only the next request was faulted
        assert len(server.tweets) == 1

    def test_daily_429_puts_the_reset_in_the_24hour_headers(
        self, server: FakeXServer, client: Any
    ) -> None:
        """The daily cap: ``x-user-limit-24hour-*`` exhausted, the 15-minute window is not."""
        server.fail_next("429", daily=True, reset_in=3600)
        with pytest.raises(tweepy.errors.TooManyRequests) as info:
            client.create_tweet(text="daily")
        headers = info.value.response.headers
        assert headers["x-user-limit-24hour-remaining"] == "0"
        assert int(headers["x-user-limit-24hour-reset"]) >= time.time() + 3590
        assert headers["x-rate-limit-remaining"] != "0"

    def test_15_minute_window_is_enforced(self) -> None:
        """Past ``post_limit`` posts in the window, X answers 429 by itself."""
        with FakeXServer(**CREDS, post_limit=2) as srv:
            client = make_client(srv.base_url)
            client.create_tweet(text="a")
            client.create_tweet(text="b")
            with pytest.raises(tweepy.errors.TooManyRequests) as info:
                client.create_tweet(text="c")
            assert info.value.response.headers["x-rate-limit-remaining"] == "0"
            assert len(srv.tweets) == 2

    def test_daily_cap_is_enforced(self) -> None:
        """Past ``daily_post_limit`` created posts, 429 with the 24-hour headers."""
        with FakeXServer(**CREDS, daily_post_limit=1) as srv:
            client = make_client(srv.base_url)
            client.create_tweet(text="a")
            with pytest.raises(tweepy.errors.TooManyRequests) as info:
                client.create_tweet(text="b")
            headers = info.value.response.headers
            assert headers["x-user-limit-24hour-limit"] == "1"
            assert headers["x-user-limit-24hour-remaining"] == "0"
            assert len(srv.tweets) == 1

    @pytest.mark.parametrize("status", [500, 503])
    def test_server_error(self, server: FakeXServer, client: Any, status: int) -> None:
        """A 5xx with an X-like body; nothing stored."""
        server.fail_next(str(status))
        with pytest.raises(tweepy.errors.TwitterServerError) as info:
            client.create_tweet(text="boom")
        assert info.value.response.status_code == status
        assert info.value.response.json()["status"] == status
        assert server.tweets == []

    @pytest.mark.parametrize("kind", ["500", "503"])
    def test_server_error_after_commit(self, server: FakeXServer, client: Any, kind: str) -> None:
        """``after_commit``: the post exists although the answer was an error."""
        server.fail_next(kind, after_commit=True)
        with pytest.raises(tweepy.errors.TwitterServerError):
            client.create_tweet(text="maybe")
        assert [t["text"] for t in server.tweets] == ["maybe"]

    def test_faults_apply_in_order(self, server: FakeXServer, client: Any) -> None:
        """``count`` repeats a fault; queued faults are used up in order."""
        server.fail_next("503", count=2)
        server.fail_next("429")
        for expected in (tweepy.errors.TwitterServerError,) * 2 + (tweepy.errors.TooManyRequests,):
            with pytest.raises(expected):
                client.create_tweet(text="retry me")
        client.create_tweet(text="retry me")
        assert len(server.tweets) == 1

    def test_slow_answer_times_out_then_commits(self, server: FakeXServer) -> None:
        """A timeout shorter than ``delay`` surfaces requests' ReadTimeout; the post lands."""
        client = make_client(server.base_url, timeout=0.2)
        server.fail_next("slow", delay=0.5)
        with pytest.raises(requests.exceptions.ReadTimeout):
            client.create_tweet(text="slow one")
        assert server.tweets == []
        assert server.wait_idle(timeout=3)
        assert [t["text"] for t in server.tweets] == ["slow one"]

    def test_slow_answer_without_commit(self, server: FakeXServer) -> None:
        """``commit=False``: after the delay nothing is stored."""
        client = make_client(server.base_url, timeout=0.2)
        server.fail_next("slow", delay=0.3, commit=False)
        with pytest.raises(requests.exceptions.Timeout):
            client.create_tweet(text="lost")
        assert server.wait_idle(timeout=3)
        assert server.tweets == []

    def test_slow_answer_within_the_timeout(self, server: FakeXServer, client: Any) -> None:
        """A delay shorter than the timeout only delays the normal answer."""
        server.fail_next("slow", delay=0.1)
        started = time.monotonic()
        client.create_tweet(text="patience")
        assert time.monotonic() - started >= 0.1
        assert len(server.tweets) == 1

    @pytest.mark.parametrize("after_commit", [False, True])
    def test_drop(self, server: FakeXServer, client: Any, after_commit: bool) -> None:
        """A hang-up is a requests ConnectionError; ``after_commit`` decides if the post exists."""
        client.get_me(user_auth=True)  # the drop then hits a kept-alive connection
        server.fail_next("drop", after_commit=after_commit)
        with pytest.raises(requests.exceptions.ConnectionError):
            client.create_tweet(text="dropped")
        assert len(server.tweets) == int(after_commit)
        assert server.requests[-1]["status"] is None
        client.create_tweet(text="next")  # the client recovers on a new connection

    def test_unknown_fault_is_refused(self, server: FakeXServer) -> None:
        """Typos in fault kinds or options fail loudly."""
        with pytest.raises(ValueError, match="unknown fault"):
            server.fail_next("502")
        with pytest.raises(ValueError, match="takes"):
            server.fail_next("slow", after_commit=True)


class TestReading:
    """The read endpoints a client uses to find its own posts after an unknown outcome."""

    def test_users_me(self, server: FakeXServer, client: Any) -> None:
        """GET /2/users/me names the authenticated user."""
        me = client.get_me(user_auth=True).data
        assert (me.id, me.username) == (1000, "paperbot")

    def test_user_tweets_newest_first_with_reply_fields(
        self, server: FakeXServer, client: Any
    ) -> None:
        """Replies carry ``referenced_tweets`` and ``in_reply_to_user_id`` when asked for."""
        root = client.create_tweet(text="root").data["id"]
        reply = client.create_tweet(text="reply", in_reply_to_tweet_id=root).data["id"]
        resp = client.get_users_tweets(
            server.user_id,
            max_results=5,
            tweet_fields=[
                "created_at",
                "conversation_id",
                "referenced_tweets",
                "in_reply_to_user_id",
            ],
            user_auth=True,
        )
        newest, oldest = (t.data for t in resp.data)
        assert newest["id"] == reply
        assert newest["referenced_tweets"] == [{"type": "replied_to", "id": root}]
        assert newest["in_reply_to_user_id"] == server.user_id
        assert newest["conversation_id"] == root
        assert oldest["id"] == root
        assert "referenced_tweets" not in oldest
        assert oldest["created_at"] == server.tweets[0]["created_at"]
        assert resp.meta == {"result_count": 2, "newest_id": reply, "oldest_id": root}

    def test_fields_only_when_asked(self, server: FakeXServer, client: Any) -> None:
        """Without ``tweet.fields`` only id, text and edit history come back, as on X."""
        client.create_tweet(text="plain")
        (tweet,) = client.get_users_tweets(server.user_id, user_auth=True).data
        assert set(tweet.data) == {"id", "text", "edit_history_tweet_ids"}

    def test_pagination(self, server: FakeXServer, client: Any) -> None:
        """``max_results`` pages with ``meta.next_token``."""
        for i in range(7):
            client.create_tweet(text=f"post {i}")
        first = client.get_users_tweets(server.user_id, max_results=5, user_auth=True)
        second = client.get_users_tweets(
            server.user_id,
            max_results=5,
            pagination_token=first.meta["next_token"],
            user_auth=True,
        )
        texts = [t.text for t in first.data + second.data]
        assert texts == [f"post {i}" for i in reversed(range(7))]
        assert "next_token" not in second.meta

    def test_max_results_out_of_range(self, server: FakeXServer, client: Any) -> None:
        """X accepts 5..100 only."""
        with pytest.raises(tweepy.errors.BadRequest):
            client.get_users_tweets(server.user_id, max_results=3, user_auth=True)

    def test_get_tweet(self, server: FakeXServer, client: Any) -> None:
        """An existing post by id; an unknown id is a 200 with a Not Found Error, as on X."""
        tweet_id = client.create_tweet(text="find me").data["id"]
        found = client.get_tweet(tweet_id, tweet_fields=["created_at"], user_auth=True)
        assert found.data.text == "find me"
        missing = client.get_tweet("42", user_auth=True)
        assert missing.data is None
        assert missing.errors[0]["title"] == "Not Found Error"
        assert server.requests[-1]["status"] == 200

    def test_delete_frees_the_text(self, server: FakeXServer, client: Any) -> None:
        """After a delete the post is gone and its text may be posted again."""
        tweet_id = client.create_tweet(text="again").data["id"]
        assert client.delete_tweet(tweet_id).data == {"deleted": True}
        assert server.tweets == []
        client.create_tweet(text="again")


class TestTransport:
    """point_client_at and the server's lifecycle."""

    def test_rewrite_keeps_path_and_query(self) -> None:
        """Only api.twitter.com URLs move, under the base URL's path prefix."""
        adapter = RedirectingAdapter("http://127.0.0.1:9/x/", 1.0)
        assert (
            adapter.rewrite("https://api.twitter.com/2/tweets?a=1")
            == "http://127.0.0.1:9/x/2/tweets?a=1"
        )
        assert adapter.rewrite("https://api.twitter.com.evil/2") == "https://api.twitter.com.evil/2"
        assert adapter.rewrite("https://upload.twitter.com/1.1") == "https://upload.twitter.com/1.1"

    def test_bad_base_url_is_refused(self) -> None:
        """A base URL must be http(s) with a host."""
        with pytest.raises(ValueError, match="http"):
            RedirectingAdapter("127.0.0.1:8080", 1.0)

    def test_stop_ends_service(self) -> None:
        """After stop, kept-alive connections are closed and nothing answers."""
        srv = FakeXServer(**CREDS)
        base = srv.start()
        client = make_client(base, timeout=1.0)
        client.get_me(user_auth=True)
        srv.stop()
        srv.stop()  # idempotent
        with pytest.raises(requests.exceptions.ConnectionError):
            client.get_me(user_auth=True)
        assert srv.errors == []
