"""The local Threads server answers on the wire as Meta documents it: error bodies with code,
subcode and title, the not-ready period, the link limit, quotas, cursor paging, the refresh."""

from __future__ import annotations

from typing import Any

import requests

from tests.conftest import THREADS_CANARY
from tests.fakes.threads_server import FakeThreadsServer

TOKEN = THREADS_CANARY["THREADS_ACCESS_TOKEN"]
USER = THREADS_CANARY["THREADS_USER_ID"]


def _call(server: FakeThreadsServer, method: str, path: str, **kw: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {kw.pop('token', TOKEN)}"}
    return requests.request(method, f"{server.base_url}{path}", headers=headers, timeout=5, **kw)


def _container(server: FakeThreadsServer, text: str, **extra: str) -> str:
    made = _call(
        server, "POST", f"/v1.0/{USER}/threads", data={"media_type": "TEXT", "text": text, **extra}
    )
    assert made.status_code == 200, made.text
    return str(made.json()["id"])


def test_publish_too_soon_is_4279009_then_finished(threads_server: FakeThreadsServer) -> None:
    container = _container(threads_server, "hello")
    early = _call(
        threads_server, "POST", f"/v1.0/{USER}/threads_publish", data={"creation_id": container}
    )
    assert early.status_code == 400
    error = early.json()["error"]
    assert (error["code"], error["error_subcode"], error["is_transient"]) == (24, 4279009, False)
    assert error["error_user_title"] == "Media Not Found"
    status = _call(threads_server, "GET", f"/v1.0/{container}", params={"fields": "status"})
    assert status.json()["status"] == "FINISHED"
    done = _call(
        threads_server, "POST", f"/v1.0/{USER}/threads_publish", data={"creation_id": container}
    )
    assert done.status_code == 200 and threads_server.texts() == ["hello"]
    again = _call(
        threads_server, "POST", f"/v1.0/{USER}/threads_publish", data={"creation_id": container}
    )
    assert again.json()["id"] == done.json()["id"] and threads_server.texts() == ["hello"]


def test_link_and_byte_limits(threads_server: FakeThreadsServer) -> None:
    six = " ".join(f"https://example.com/{n}" for n in range(6))
    refused = _call(
        threads_server, "POST", f"/v1.0/{USER}/threads", data={"media_type": "TEXT", "text": six}
    )
    assert (
        refused.status_code == 400 and "LINK_LIMIT_EXCEEDED" in refused.json()["error"]["message"]
    )
    same_five = " ".join(
        ["https://example.com/a"] * 3 + [f"https://example.com/{n}" for n in range(4)]
    )
    _container(threads_server, same_five)  # 5 unique links: accepted
    long = _call(
        threads_server,
        "POST",
        f"/v1.0/{USER}/threads",
        data={"media_type": "TEXT", "text": "가" * 167},
    )
    assert long.status_code == 400  # 501 bytes


def test_quota_paging_and_tokens(threads_server: FakeThreadsServer) -> None:
    root = threads_server.add_post("root")
    for n in range(30):
        threads_server.add_post(f"reply {n}", reply_to=root)
    limit = _call(threads_server, "GET", f"/v1.0/{USER}/threads_publishing_limit").json()["data"][0]
    assert (limit["quota_usage"], limit["reply_quota_usage"]) == (1, 30)
    assert limit["config"] == {"quota_total": 250, "quota_duration": 86400}
    first = _call(
        threads_server,
        "GET",
        f"/v1.0/{USER}/replies",
        params={"fields": "id,text,replied_to", "limit": 25},
    ).json()
    assert [p["text"] for p in first["data"]][:2] == ["reply 29", "reply 28"]
    assert first["data"][0]["replied_to"] == {"id": root}
    after = first["paging"]["cursors"]["after"]
    second = _call(
        threads_server, "GET", f"/v1.0/{USER}/replies", params={"fields": "id,text", "after": after}
    ).json()
    assert len(second["data"]) == 5 and "next" not in second["paging"]
    fresh = requests.get(
        f"{threads_server.base_url}/refresh_access_token",
        params={"grant_type": "th_refresh_token", "access_token": TOKEN},
        timeout=5,
    ).json()
    assert fresh["expires_in"] == 60 * 86400
    threads_server.advance(86400)
    assert (
        _call(threads_server, "GET", f"/v1.0/{USER}/threads_publishing_limit").json()["data"][0][
            "quota_usage"
        ]
        == 0
    )
    threads_server.expire_token()
    dead = _call(threads_server, "GET", "/v1.0/me", token=fresh["access_token"])
    assert dead.status_code == 401 and dead.json()["error"]["code"] == 190
