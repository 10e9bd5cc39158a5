"""Shared test set-up: hypothesis profiles, the example digest, the local PDS fixtures."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar, cast

import pytest
from hypothesis import HealthCheck, settings

from tests.fakes.mastodon_server import FakeMastodonServer
from tests.fakes.threads_server import FakeThreadsServer
from tests.fakes.wire import WireServer
from tests.fakes.x_server import FakeXServer

pytest_plugins = ["tests.fixtures_pds"]

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "digest-2025-05-20.txt"
_Served = TypeVar("_Served", bound=WireServer)

settings.register_profile("dev", max_examples=200, deadline=None)
# CI explores the same 1000 examples per property every time (a red CI is then reproducible);
# local runs draw new examples each time, which is where new counterexamples come from.
settings.register_profile(
    "ci",
    max_examples=1000,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


# Test modules that are slow as a whole (subprocesses, servers, git remotes, many examples),
# from the suite's measured durations (benchmarks/RESULTS.md, "Test suite"); a test that uses the
# PDS or the browser is slow wherever it is.
SLOW_MODULES = frozenset(
    {
        "test_bluesky_adapter",
        "test_bluesky_posting",
        "test_cli_check",
        "test_crash",
        "test_digest_properties",
        "test_doctor",
        "test_formatter_properties",
        "test_hostile",
        "test_imports",
        "test_init",
        "test_links",
        "test_links_pds",
        "test_mastodon_posting",
        "test_one_plan",
        "test_pace",
        "test_pds_install",
        "test_platform_contract",
        "test_posting_correctness",
        "test_posting_properties",
        "test_preview",
        "test_run",
        "test_threads_posting",
        "test_times_and_waiting",
        "test_x_cost",
        "test_x_posting",
    }
)
PDS_FIXTURES = frozenset({"pds", "fault_proxy"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``pds``, ``browser`` and ``slow`` from what a test uses, so that
    `pytest -m "not slow"` is a quick inner loop and the whole suite still runs by default."""
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        module = item.nodeid.split("::", 1)[0].rsplit("/", 1)[-1].removesuffix(".py")
        if names & PDS_FIXTURES:
            item.add_marker(pytest.mark.pds)
        if module == "test_preview_browser":
            item.add_marker(pytest.mark.browser)
        if names & PDS_FIXTURES or module in SLOW_MODULES or module == "test_preview_browser":
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def example_digest() -> Path:
    return EXAMPLE


def serving(server: _Served) -> Iterator[_Served]:
    """Start a local test server, hand it to the test, stop it, and check it saw no error."""
    server.start()
    yield server
    server.stop()
    assert server.errors == []


# Fake X credentials; they double as leak canaries: no output or file may ever contain them.
X_CANARY = {
    "X_API_KEY": "canary-consumer-key-5b1f",
    "X_API_SECRET": "canary-consumer-secret-9e2d7c",
    "X_ACCESS_TOKEN": "canary-access-token-41aa",
    "X_ACCESS_TOKEN_SECRET": "canary-token-secret-77c3e0",
}


@pytest.fixture
def x_server() -> Iterator[FakeXServer]:
    """A local server answering like X's API for the canary credentials, stopped afterwards."""
    server = FakeXServer(
        consumer_key=X_CANARY["X_API_KEY"],
        consumer_secret=X_CANARY["X_API_SECRET"],
        access_token=X_CANARY["X_ACCESS_TOKEN"],
        access_token_secret=X_CANARY["X_ACCESS_TOKEN_SECRET"],
    )
    yield from serving(server)


# A fake Mastodon token, a leak canary too.
MASTODON_CANARY = {"MASTODON_ACCESS_TOKEN": "canary-mastodon-token-3f9a0c"}


@pytest.fixture
def mastodon_server() -> Iterator[FakeMastodonServer]:
    """A local server answering like a Mastodon instance for the canary token, stopped after."""
    server = FakeMastodonServer(access_token=MASTODON_CANARY["MASTODON_ACCESS_TOKEN"])
    yield from serving(server)


# The schedule these tests were written against (one thread a slot, two a run, 17 X posts a
# day): tests of the planner's own rules pin it, so that the bundled pace (which keeps up with a
# 9-paper day; tests/test_pace.py) can change without changing what they check.
ONE_A_SLOT: dict[str, object] = {
    "threads_per_slot": 1,
    "max_threads_per_run": 2,
    "daily_posts": {"x": 17, "bluesky": 300, "mastodon": 300},
}
ONE_A_SLOT_TOML = (  # the same, as config/publisher.toml says it
    f"[schedule]\nthreads_per_slot = {ONE_A_SLOT['threads_per_slot']}\n"
    f"max_threads_per_run = {ONE_A_SLOT['max_threads_per_run']}\n"
    + "".join(
        f"[{name}]\ndaily_posts = {posts}\n"
        for name, posts in cast(dict[str, int], ONE_A_SLOT["daily_posts"]).items()
    )
)


def one_a_slot(**changes: object) -> dict[str, object]:
    """``ScheduleSettings`` keywords: :data:`ONE_A_SLOT` with ``changes``."""
    return {**ONE_A_SLOT, **changes}


def pin_one_a_slot(folder: Path) -> None:
    """Write ``folder/config/publisher.toml`` with :data:`ONE_A_SLOT` (for CLI runs there)."""
    (folder / "config").mkdir(parents=True, exist_ok=True)
    (folder / "config" / "publisher.toml").write_text(ONE_A_SLOT_TOML, encoding="utf-8")


# A fake Threads token and user, a leak canary too.
THREADS_CANARY = {
    "THREADS_ACCESS_TOKEN": "canary-threads-token-7d41be",
    "THREADS_USER_ID": "17841400000000001",
}


@pytest.fixture
def threads_server() -> Iterator[FakeThreadsServer]:
    """A local server answering like the Threads API for the canary token, stopped after."""
    server = FakeThreadsServer(
        access_token=THREADS_CANARY["THREADS_ACCESS_TOKEN"],
        user_id=THREADS_CANARY["THREADS_USER_ID"],
    )
    yield from serving(server)
