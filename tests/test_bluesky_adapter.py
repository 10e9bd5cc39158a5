"""BlueskyAdapter against the real local PDS (``tools/local-pds``); nothing in atproto is mocked.

Faults are injected on the wire by ``FaultProxy`` between the SDK and the PDS.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr

from publisher.errors import PermanentError, PlatformError, RateLimited, TransientError
from publisher.platforms.base import PostRef, Slot
from publisher.platforms.bluesky_adapter import BlueskyAdapter
from publisher.platforms.tid import TID_RE, tid_for
from tests.fakes.pds import FaultProxy, PdsInfo, list_posts

pytest_plugins = ["tests.fixtures_pds"]
pytestmark = pytest.mark.pds

CREATE = "com.atproto.repo.createRecord"
GET = "com.atproto.repo.getRecord"
LOGIN = "com.atproto.server.createSession"

LINK = "https://arxiv.org/abs/2505.13447"
LINK_SHOWN = "arxiv.org/abs/2505.1…"


def _facet_link(text: str, shown: str, uri: str) -> dict[str, Any]:
    start = text.encode().index(shown.encode())
    return {
        "index": {"byteStart": start, "byteEnd": start + len(shown.encode())},
        "features": [{"$type": "app.bsky.richtext.facet#link", "uri": uri}],
    }


def _facet_tag(text: str, tag: str) -> dict[str, Any]:
    start = text.encode().index(f"#{tag}".encode())
    return {
        "index": {"byteStart": start, "byteEnd": start + len(f"#{tag}".encode())},
        "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": tag}],
    }


def _payload(text: str, *, langs: list[str] | None = None) -> dict[str, Any]:
    return {"text": text, "facets": [], "langs": langs or ["ko", "en"]}


def _thread_payloads() -> list[dict[str, Any]]:
    first = f"오늘의 논문: 긴 문맥에서의 추론 능력 평가 {LINK_SHOWN} #긴문맥 #LLM"
    second = "핵심 결과 — 모델은 32k 토큰 이후 정확도가 급격히 떨어진다. 자세한 내용은 스레드 참고."
    third = f"Today's paper: long-context reasoning, read it at {LINK_SHOWN} #LLM"
    return [
        {
            "text": first,
            "facets": [
                _facet_link(first, LINK_SHOWN, LINK),
                _facet_tag(first, "긴문맥"),
                _facet_tag(first, "LLM"),
            ],
            "langs": ["ko"],
        },
        {"text": second, "facets": [], "langs": ["ko"]},
        {
            "text": third,
            "facets": [_facet_link(third, LINK_SHOWN, LINK), _facet_tag(third, "LLM")],
            "langs": ["en"],
        },
    ]


def _records(pds: PdsInfo) -> dict[str, dict[str, Any]]:
    """Every post record of the account, by record key (read straight from the PDS)."""
    return {str(rec["uri"]).rsplit("/", 1)[1]: rec for rec in list_posts(pds)}


def _plain_facets(facets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Facets without the ``$type`` the SDK adds to the facet and its byte slice on the way."""
    return [
        {
            "index": {k: v for k, v in f["index"].items() if k != "$type"},
            "features": f["features"],
        }
        for f in facets
    ]


def _plain_reply(reply: dict[str, Any]) -> dict[str, Any]:
    """The reply's strong refs without the ``$type`` the SDK adds."""
    return {
        name: {k: v for k, v in ref.items() if k != "$type"}
        for name, ref in reply.items()
        if name != "$type"
    }


@pytest.fixture
def key() -> str:
    return f"test-{uuid.uuid4()}"


@pytest.fixture
def adapter(pds: PdsInfo, fault_proxy: FaultProxy) -> Iterator[BlueskyAdapter]:
    a = BlueskyAdapter(
        pds.handle, SecretStr(pds.password), fault_proxy.url, timeout=10, pin_service=True
    )
    try:
        yield a
    finally:
        a.close()


def test_module_does_not_import_atproto_eagerly() -> None:
    code = (
        "import sys, publisher.platforms.bluesky_adapter, publisher.platforms.tid;"
        "sys.exit(1 if any(m.split('.')[0] in ('atproto', 'atproto_client') for m in sys.modules)"
        " else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_thread_round_trip(
    pds: PdsInfo, fault_proxy: FaultProxy, adapter: BlueskyAdapter, key: str
) -> None:
    payloads = _thread_payloads()
    refs: list[PostRef] = []
    root = parent = None
    for i, payload in enumerate(payloads):
        ref = adapter.post(payload, Slot(key, i, root, parent))
        refs.append(ref)
        root = root or ref
        parent = ref

    # deterministic record keys, at-uris and bsky.app urls
    for i, ref in enumerate(refs):
        assert ref.id == tid_for(key, i)
        assert TID_RE.match(ref.id)
        assert ref.uri == f"at://{pds.did}/app.bsky.feed.post/{ref.id}"
        assert ref.cid
        assert ref.url == f"https://bsky.app/profile/{pds.handle}/post/{ref.id}"

    records = _records(pds)
    got = [records[ref.id] for ref in refs]
    for rec, payload, ref in zip(got, payloads, refs, strict=True):
        value = rec["value"]
        assert rec["cid"] == ref.cid
        assert value["$type"] == "app.bsky.feed.post"
        assert value["text"] == payload["text"]
        assert _plain_facets(value.get("facets", [])) == payload["facets"]
        assert value["langs"] == payload["langs"]
        assert value["createdAt"].endswith("Z")
    # the facets' byte ranges cover exactly the shown link and the tags, after Korean text
    first = got[0]["value"]
    raw = first["text"].encode()
    spans = [raw[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode() for f in first["facets"]]
    assert spans == [LINK_SHOWN, "#긴문맥", "#LLM"]
    # reply chain: root/parent strong refs
    assert "reply" not in got[0]["value"]
    strong = [{"uri": r.uri, "cid": r.cid} for r in refs]
    assert _plain_reply(got[1]["value"]["reply"]) == {"root": strong[0], "parent": strong[0]}
    assert _plain_reply(got[2]["value"]["reply"]) == {"root": strong[0], "parent": strong[1]}

    # find sees every post; one login for everything
    for i, payload in enumerate(payloads):
        slot = Slot(key, i, refs[0] if i else None, refs[i - 1] if i else None)
        assert adapter.find(payload, slot) == refs[i]
    # the same record is not this post where the thread's previous post differs, nor when
    # it was made before this post's sending mark: never adopted
    with pytest.raises(PermanentError, match="replies to"):
        adapter.find(payloads[1], Slot(key, 1))
    with pytest.raises(PermanentError, match="before this post was sent"):
        adapter.find(payloads[0], Slot(key, 0, since=time.time() + 60))
    assert fault_proxy.count(LOGIN) == 1
    assert fault_proxy.count(CREATE) == 3
    assert fault_proxy.count("app.bsky.actor.getProfile") == 0


def test_find_missing_returns_none(adapter: BlueskyAdapter, key: str) -> None:
    assert adapter.find(_payload("없음"), Slot(key, 0)) is None


def test_find_other_text_is_permanent(adapter: BlueskyAdapter, key: str) -> None:
    adapter.post(_payload("원래 글"), Slot(key, 0))
    with pytest.raises(PermanentError, match="already exists"):
        adapter.find(_payload("고친 글"), Slot(key, 0))
    # posting other text on the same key: the PDS refuses (500), the look-up explains
    with pytest.raises(PermanentError, match="already exists"):
        adapter.post(_payload("고친 글"), Slot(key, 0))


def test_too_long_is_permanent_and_not_retried(
    pds: PdsInfo, fault_proxy: FaultProxy, adapter: BlueskyAdapter, key: str
) -> None:
    adapter.post(_payload("가" * 300), Slot(key, 0))
    with pytest.raises(PermanentError) as info:
        adapter.post(_payload("가" * 301), Slot(key, 1))
    assert info.value.status == 400
    assert "grapheme too big (maximum 300, got 301)" in str(info.value)
    assert str(info.value).startswith("bluesky: 400 InvalidRequest:")
    assert fault_proxy.count(CREATE) == 2
    assert fault_proxy.count(GET) == 0
    assert tid_for(key, 1) not in _records(pds)


def test_500_after_commit_post_recovers_itself(
    pds: PdsInfo, fault_proxy: FaultProxy, adapter: BlueskyAdapter, key: str
) -> None:
    fault_proxy.fail_next("500_after_commit")
    ref = adapter.post(_payload("커밋 후 500"), Slot(key, 0))
    assert ref.id == tid_for(key, 0)
    assert fault_proxy.faults == [("500_after_commit", "POST", f"/xrpc/{CREATE}")]
    assert fault_proxy.count(CREATE) == 1
    assert fault_proxy.count(GET) == 1
    records = _records(pds)
    assert records[ref.id]["cid"] == ref.cid
    assert sum(r["value"]["text"] == "커밋 후 500" for r in records.values()) == 1


def test_500_after_commit_outcome_unknown_then_find(
    pds: PdsInfo, fault_proxy: FaultProxy, adapter: BlueskyAdapter, key: str
) -> None:
    payload = _payload("커밋 후 500, 조회도 실패")
    fault_proxy.fail_next("500_after_commit")
    fault_proxy.fail_next("503", path_contains=GET)
    with pytest.raises(TransientError) as info:
        adapter.post(payload, Slot(key, 0))
    assert info.value.outcome_unknown
    assert info.value.status == 500
    assert not isinstance(info.value, RateLimited)
    # the caller's path: find before posting again
    found = adapter.find(payload, Slot(key, 0))
    assert found is not None
    assert found.id == tid_for(key, 0)
    # a blind retry cannot duplicate either: the PDS refuses the key (500), post finds it
    again = adapter.post(payload, Slot(key, 0))
    assert again == found
    records = _records(pds)
    assert sum(r["value"]["text"] == payload["text"] for r in records.values()) == 1
    assert fault_proxy.count(LOGIN) == 1


def test_500_before_commit(
    pds: PdsInfo, fault_proxy: FaultProxy, adapter: BlueskyAdapter, key: str
) -> None:
    payload = _payload("전송 전 500")
    fault_proxy.fail_next("500")
    with pytest.raises(TransientError) as info:
        adapter.post(payload, Slot(key, 0))
    assert info.value.outcome_unknown
    assert adapter.find(payload, Slot(key, 0)) is None
    ref = adapter.post(payload, Slot(key, 0))
    assert ref.id in _records(pds)


def test_503_is_transient(fault_proxy: FaultProxy, adapter: BlueskyAdapter, key: str) -> None:
    fault_proxy.fail_next("503")
    with pytest.raises(TransientError) as info:
        adapter.post(_payload("503"), Slot(key, 0))
    assert info.value.status == 503
    assert "ServiceUnavailable" in str(info.value)


def test_429_is_rate_limited_with_reset(
    pds: PdsInfo, fault_proxy: FaultProxy, adapter: BlueskyAdapter, key: str
) -> None:
    fault_proxy.fail_next("429", reset_in=120)
    before = time.time()
    with pytest.raises(RateLimited) as info:
        adapter.post(_payload("429"), Slot(key, 0))
    err = info.value
    assert err.status == 429
    assert not err.outcome_unknown
    assert err.reset_at is not None
    assert before + 118 <= err.reset_at <= time.time() + 121
    assert fault_proxy.count(GET) == 0
    assert tid_for(key, 0) not in _records(pds)


@pytest.mark.parametrize("forward", [False, True])
def test_dropped_connection(
    pds: PdsInfo, fault_proxy: FaultProxy, adapter: BlueskyAdapter, key: str, forward: bool
) -> None:
    payload = _payload(f"연결 끊김 forward={forward}")
    adapter.find(payload, Slot(key, 0))  # log in first
    fault_proxy.fail_next("drop", forward=forward)
    if forward:
        # the PDS saved it; post's own look-up finds it
        ref = adapter.post(payload, Slot(key, 0))
        assert ref.id in _records(pds)
    else:
        with pytest.raises(TransientError) as info:
            adapter.post(payload, Slot(key, 0))
        assert info.value.outcome_unknown
        assert "network error" in str(info.value)
        assert tid_for(key, 0) not in _records(pds)
    assert fault_proxy.faults == [("drop", "POST", f"/xrpc/{CREATE}")]


def test_timeout_then_retry_lands_once(pds: PdsInfo, fault_proxy: FaultProxy, key: str) -> None:
    a = BlueskyAdapter(
        pds.handle, SecretStr(pds.password), fault_proxy.url, timeout=1.0, pin_service=True
    )
    payload = _payload("느린 서버")
    try:
        fault_proxy.fail_next("slow", delay=2.0)
        with pytest.raises(TransientError) as info:
            a.post(payload, Slot(key, 0))
        assert info.value.outcome_unknown
        assert "timed out" in str(info.value)
        time.sleep(2.5)  # the slow create reaches the PDS after the client gave up
        ref = a.post(payload, Slot(key, 0))
    finally:
        a.close()
    records = _records(pds)
    assert ref.id in records
    assert sum(r["value"]["text"] == payload["text"] for r in records.values()) == 1


def test_connection_refused_is_transient_and_known_not_sent(pds: PdsInfo) -> None:
    from tests.fakes.pds import free_port

    a = BlueskyAdapter(pds.handle, SecretStr(pds.password), f"http://127.0.0.1:{free_port()}")
    with pytest.raises(TransientError) as info:
        a.post(_payload("x"), Slot("refused", 0))
    assert not info.value.outcome_unknown
    a.close()


def test_login_503_then_login_once(
    fault_proxy: FaultProxy, adapter: BlueskyAdapter, key: str
) -> None:
    fault_proxy.fail_next("503", path_contains=LOGIN)
    with pytest.raises(TransientError) as info:
        adapter.post(_payload("a"), Slot(key, 0))
    assert not info.value.outcome_unknown
    adapter.post(_payload("b"), Slot(key, 0))
    adapter.post(_payload("c"), Slot(key, 1))
    assert fault_proxy.count(LOGIN) == 2  # the failed attempt and one successful login


def _leaks(secret: str, err: BaseException, logs: str) -> list[str]:
    where = []
    if secret in str(err):
        where.append("str")
    if secret in repr(err):
        where.append("repr")
    if any(secret in str(a) for a in err.args):
        where.append("args")
    if err.__cause__ is not None or err.__context__ is not None:
        where.append("chained exception")
    if secret in logs:
        where.append("logs")
    return where


def test_bad_password_is_permanent_and_not_echoed(
    pds: PdsInfo, fault_proxy: FaultProxy, caplog: pytest.LogCaptureFixture
) -> None:
    canary = "Canary-PW-9xQ7-do-not-leak"
    caplog.set_level(logging.DEBUG)
    a = BlueskyAdapter(pds.handle, SecretStr(canary), fault_proxy.url, pin_service=True)
    assert canary not in repr(a)
    with pytest.raises(PermanentError) as info:
        a.post(_payload("x"), Slot("bad-pw", 0))
    err = info.value
    assert err.status == 401
    assert str(err).startswith("bluesky: 401 AuthenticationRequired")
    assert _leaks(canary, err, caplog.text) == []
    # a bad password is not tried again
    with pytest.raises(PermanentError):
        a.find(_payload("x"), Slot("bad-pw", 0))
    assert fault_proxy.count(LOGIN) == 1
    a.close()


def test_no_secret_in_errors_or_logs(
    pds: PdsInfo,
    fault_proxy: FaultProxy,
    adapter: BlueskyAdapter,
    key: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[PlatformError] = []
    adapter.post(_payload("로그 확인"), Slot(key, 0))
    for kind in ("500", "429", "drop"):
        fault_proxy.fail_next(kind)
        with pytest.raises(PlatformError) as info:
            adapter.post(_payload(kind), Slot(key, 1))
        errors.append(info.value)
    with pytest.raises(PlatformError) as info:
        adapter.post(_payload("가" * 301), Slot(key, 2))
    errors.append(info.value)
    secrets = list(adapter._secrets)  # the password and the session's access/refresh JWTs
    assert len(secrets) == 3
    assert pds.password in secrets
    assert caplog.text  # httpx did log its requests
    for secret in secrets:
        for err in errors:
            assert _leaks(secret, err, caplog.text) == [], (type(err).__name__, str(err))
    assert "bearer" not in caplog.text.lower()


def test_bad_arguments_are_permanent_without_network() -> None:
    a = BlueskyAdapter("nobody.test", SecretStr("x"), "http://127.0.0.1:9")
    with pytest.raises(PermanentError, match="no record key"):
        a.post(_payload("x"), Slot("k", -1))
    with pytest.raises(PermanentError, match="no text"):
        a.post({"text": ""}, Slot("k", 0))
    half = PostRef(id="p", url="u")
    with pytest.raises(PermanentError, match="no uri/cid"):
        a.post(_payload("x"), Slot("k", 1, half, half))
    a.close()
