"""Pytest fixtures for the real local Bluesky PDS and the fault-injecting proxy in front of it.

Load them from ``tests/conftest.py`` with ``pytest_plugins = ["tests.fixtures_pds"]`` (or
``from tests.fixtures_pds import *``). The PDS is required: when it cannot start, every test that
uses it fails (in CI and locally alike), it is never skipped.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.pds import FaultProxy, PdsInfo, install_pds, start_pds, stop_pds

__all__ = ["fault_proxy", "pds", "to_terminal"]

REPO = Path(__file__).resolve().parent.parent


def to_terminal(config: pytest.Config, line: str) -> None:
    """Print ``line`` on the terminal now, even while pytest captures output (the default)."""
    capture = config.pluginmanager.getplugin("capturemanager")
    writer = config.get_terminal_writer()
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        writer.line()
        writer.line(line)
        writer.flush()


@pytest.fixture(scope="session")
def pds(request: pytest.FixtureRequest) -> Iterator[PdsInfo]:
    """One real PDS for the whole session, with a distinctive password (a leak canary)."""
    password = f"PdsCanary-{secrets.token_hex(8)}"
    home = os.environ.get("LOCAL_PDS_HOME") or None
    try:
        install_pds(REPO / "tools", home, report=lambda line: to_terminal(request.config, line))
        info = start_pds(REPO / "tools", home=home, password=password, timeout=120)
    except Exception as e:
        where = "in CI" if os.environ.get("CI") else "locally"
        pytest.fail(
            f"the local Bluesky PDS is required but could not start {where}: {e}\n"
            "Install it with tools/local-pds/setup (Node 22 + @atproto/dev-env into "
            "$LOCAL_PDS_HOME, default ~/.cache/local-pds; it needs npm, a C++ toolchain and "
            "about 700 MB: see the README's Development section).",
            pytrace=False,
        )
    try:
        yield info
    finally:
        stop_pds(info)


@pytest.fixture
def fault_proxy(pds: PdsInfo) -> Iterator[FaultProxy]:
    """A fresh proxy in front of the session's PDS; no faults armed."""
    proxy = FaultProxy(pds.url)
    try:
        yield proxy
    finally:
        proxy.close()
