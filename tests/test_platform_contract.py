"""The contract every platform keeps, run over the registry: a new platform is in it at once.

- counting adds up: a post's measures are its words' measures plus the spaces between them;
- no post is over the limit: every thread of the example digest, in every layout, fits;
- errors map to the project's types: a 5xx is transient, a 429 is ``RateLimited``, no SDK
  exception escapes;
- ``find`` after an unknown outcome: a post made whose answer was lost is found, a post never
  made is not, and another thread's post with the same text is never taken for it.

Each platform is driven against its local server (``publisher/testing/``) by a harness below;
``test_every_platform_has_a_harness`` fails when a platform is added without one.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from publisher.config import FormatSettings, Settings
from publisher.digest import read_digests
from publisher.errors import PlatformError, RateLimited, TransientError
from publisher.formatter import format_thread
from publisher.platforms import registry, rules_for
from publisher.platforms.base import Adapter, PostRef, Slot
from tests.conftest import EXAMPLE, MASTODON_CANARY, THREADS_CANARY, X_CANARY

NAMES = list(registry())
RULES = rules_for(Settings())
ENTRIES = [entry for digest in read_digests([EXAMPLE]) for entry in digest.entries]
WORDS = sorted(
    {
        w
        for e in ENTRIES
        for p in format_thread(e, RULES["x"], FormatSettings()).posts
        for w in p.split()
    }
)


class Harness(Protocol):
    """One platform's local server, driven the same way for every platform."""

    def adapter(self) -> Adapter: ...

    def fail_next_post(self, kind: str) -> None:
        """kind: "500" (answered, not made), "429" (rate limited), "lost" (made, answer lost)."""
        ...

    def texts(self) -> list[str]:
        """The texts of the posts the server holds, oldest first."""
        ...

    def faults_hit(self) -> int:
        """How many armed faults have struck so far."""
        ...


# ---- harnesses --------------------------------------------------------------------------------


class _WireHarness:
    """A platform tested against its wire-level server in publisher/testing/ (same fault plan)."""

    def __init__(self, server: Any) -> None:
        self.server = server

    def fail_next_post(self, kind: str) -> None:
        if kind == "lost":
            self.server.fail_next("drop", after_commit=True)
        elif kind == "429":
            self.server.fail_next("429", reset_in=1)
        else:
            self.server.fail_next(kind)

    def faults_hit(self) -> int:
        return len(self.server.faults_hit)


class XHarness(_WireHarness):
    def adapter(self) -> Adapter:
        from publisher.platforms.x import XCredentials
        from publisher.platforms.x_adapter import XAdapter

        values = {**X_CANARY, "X_API_BASE_URL": self.server.base_url}
        return XAdapter(XCredentials.model_validate(values), timeout=2)

    def texts(self) -> list[str]:
        return [t["text"] for t in sorted(self.server.tweets, key=lambda t: int(t["id"]))]


class BlueskyHarness:
    def __init__(self, pds: Any, proxy: Any) -> None:
        self.pds = pds
        self.proxy = proxy
        self._made: list[Adapter] = []

    def adapter(self) -> Adapter:
        from publisher.platforms.bluesky_adapter import BlueskyAdapter

        adapter = BlueskyAdapter(
            self.pds.handle,
            SecretStr(self.pds.password),
            self.proxy.url,
            timeout=5,
            pin_service=True,
        )
        self._made.append(adapter)
        return adapter

    def fail_next_post(self, kind: str) -> None:
        if kind == "lost":
            self.proxy.fail_next("500_after_commit")
        elif kind == "429":
            self.proxy.fail_next("429", reset_in=1)
        else:
            self.proxy.fail_next(kind)

    def texts(self) -> list[str]:
        # Every record, page by page: the PDS is shared by the session's tests, and record keys
        # come from a hash of the thread, so one page holds an arbitrary 100 of them.
        from tests.fakes.pds import list_posts

        values: list[Any] = [record["value"] for record in list_posts(self.pds)]
        return [value["text"] for value in sorted(values, key=lambda v: v["createdAt"])]

    def faults_hit(self) -> int:
        return len(self.proxy.faults)


class MastodonHarness(_WireHarness):
    def adapter(self) -> Adapter:
        from publisher.platforms.mastodon import MastodonCredentials
        from publisher.platforms.mastodon_adapter import MastodonAdapter

        values = {**MASTODON_CANARY, "MASTODON_BASE_URL": self.server.base_url}
        return MastodonAdapter(MastodonCredentials.model_validate(values), timeout=2)

    def texts(self) -> list[str]:
        return list(self.server.texts())


class ThreadsHarness(_WireHarness):
    def adapter(self) -> Adapter:
        from publisher.platforms.threads import ThreadsCredentials
        from publisher.platforms.threads_adapter import ThreadsAdapter

        values = {**THREADS_CANARY, "THREADS_API_BASE_URL": self.server.base_url}
        return ThreadsAdapter(ThreadsCredentials.model_validate(values), timeout=2, sleep=_no_sleep)

    def fail_next_post(self, kind: str) -> None:
        if kind == "429":  # Meta's rate limit is an error code, not a status
            self.server.fail_next("rate")
        else:
            super().fail_next_post(kind)

    def texts(self) -> list[str]:
        return list(self.server.texts())


def _no_sleep(seconds: float) -> None:
    """The container poll's wait, not slept: the local server's not-ready period is in reads."""


def _x(request: pytest.FixtureRequest) -> Harness:
    return XHarness(request.getfixturevalue("x_server"))


def _bluesky(request: pytest.FixtureRequest) -> Harness:
    return BlueskyHarness(request.getfixturevalue("pds"), request.getfixturevalue("fault_proxy"))


def _mastodon(request: pytest.FixtureRequest) -> Harness:
    return MastodonHarness(request.getfixturevalue("mastodon_server"))


def _threads(request: pytest.FixtureRequest) -> Harness:
    return ThreadsHarness(request.getfixturevalue("threads_server"))


HARNESSES: dict[str, Callable[[pytest.FixtureRequest], Harness]] = {
    "x": _x,
    "bluesky": _bluesky,
    "mastodon": _mastodon,
    "threads": _threads,
}


@pytest.fixture(params=NAMES)
def harness(request: pytest.FixtureRequest) -> Iterator[tuple[str, Harness]]:
    if request.param not in HARNESSES:
        pytest.fail(f"no contract harness for platform {request.param!r}", pytrace=False)
    yield request.param, HARNESSES[request.param](request)


def test_every_platform_has_a_harness() -> None:
    assert set(HARNESSES) == set(NAMES)


# ---- text rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
@given(words=st.lists(st.sampled_from(WORDS), min_size=1, max_size=40))
def test_counting_adds_up(name: str, words: list[str]) -> None:
    """A text's measures are its words' measures plus its spaces'; length is the first one."""
    rules = RULES[name]
    text = " ".join(words)
    parts = [rules.measures(w) for w in words] + [rules.measures(" ")] * (len(words) - 1)
    assert rules.measures(text) == tuple(map(sum, zip(*parts, strict=True)))
    assert rules.length(text) == rules.measures(text)[0]
    assert len(rules.measures(text)) == len(rules.limits)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("layout", ["sections", "paired", "compact"])
def test_no_post_over_the_limit(name: str, layout: str) -> None:
    """Every post of every thread of the example digest is within every limit of its platform."""
    rules = RULES[name]
    options = FormatSettings(layout=layout)  # type: ignore[arg-type]
    for entry in ENTRIES:
        for post in format_thread(entry, rules, options).posts:
            assert all(m <= lim for m, lim in zip(rules.measures(post), rules.limits, strict=True))
            assert rules.problems(post) == []
            assert rules.payload(post)["text"]


# ---- adapters against their local servers -------------------------------------------------------


def _slot(index: int = 0, parent: PostRef | None = None, root: PostRef | None = None) -> Slot:
    return Slot(
        thread_key=f"contract-{uuid.uuid4().hex[:8]}",
        index=index,
        root=root,
        parent=parent,
        since=time.time() - 5,
    )


def _payload(name: str, text: str) -> dict[str, Any]:
    return RULES[name].payload(text)


def test_posts_a_thread(harness: tuple[str, Harness]) -> None:
    name, h = harness
    adapter = h.adapter()
    try:
        tag = uuid.uuid4().hex[:6]
        first = adapter.post(_payload(name, f"contract {tag} 1/2 논문"), _slot())
        second = adapter.post(
            _payload(name, f"contract {tag} 2/2 paper"), _slot(1, parent=first, root=first)
        )
        assert first.id != second.id and first.url and second.url
        assert [t for t in h.texts() if tag in t] == [
            f"contract {tag} 1/2 논문",
            f"contract {tag} 2/2 paper",
        ]
    finally:
        adapter.close()


def test_whoami_names_the_account(harness: tuple[str, Harness]) -> None:
    """`whoami()` (what `publisher doctor --online` shows) names the account, posting nothing."""
    name, h = harness
    before = h.texts()
    adapter = h.adapter()
    try:
        who = adapter.whoami()
    finally:
        adapter.close()
    assert who.startswith("@") and len(who) > 1, (name, who)
    assert h.texts() == before


@pytest.mark.parametrize("kind", ["500", "429"])
def test_errors_map_to_the_projects_types(harness: tuple[str, Harness], kind: str) -> None:
    """A 5xx is transient, a 429 is RateLimited with a reset; nothing is posted."""
    name, h = harness
    adapter = h.adapter()
    try:
        tag = uuid.uuid4().hex[:6]
        h.fail_next_post(kind)
        with pytest.raises(PlatformError) as info:
            adapter.post(_payload(name, f"contract error {tag}"), _slot())
        assert isinstance(info.value, TransientError)
        if kind == "429":
            assert isinstance(info.value, RateLimited)
        assert not [t for t in h.texts() if tag in t]
    finally:
        adapter.close()


def test_find_after_an_unknown_outcome(harness: tuple[str, Harness]) -> None:
    """The post whose answer was lost is found; a post never made is not; no double post.

    An adapter may recover by itself (Bluesky looks its record key up at once) or raise a
    transient error; either way ``find`` then gives the one post that was made.
    """
    name, h = harness
    adapter = h.adapter()
    try:
        tag = uuid.uuid4().hex[:6]
        payload = _payload(name, f"contract lost {tag}")
        slot = _slot()
        h.fail_next_post("lost")
        made: PostRef | None
        try:
            made = adapter.post(payload, slot)
        except TransientError:
            made = None
        found = adapter.find(payload, slot)
        assert found is not None
        assert made is None or made.id == found.id
        assert h.faults_hit() == 1
        assert [t for t in h.texts() if tag in t] == [f"contract lost {tag}"]
        never = _payload(name, f"contract never {uuid.uuid4().hex[:6]}")
        assert adapter.find(never, _slot()) is None
    finally:
        adapter.close()


def test_find_never_adopts_another_threads_post(harness: tuple[str, Harness]) -> None:
    """The same text posted by another thread is not this thread's post."""
    name, h = harness
    adapter = h.adapter()
    try:
        text = f"contract twin {uuid.uuid4().hex[:6]}"
        other = adapter.post(_payload(name, text), _slot())
        mine = Slot(
            thread_key="contract-mine", index=0, since=time.time() - 5, taken=frozenset({other.id})
        )
        assert adapter.find(_payload(name, text), mine) is None
    finally:
        adapter.close()
