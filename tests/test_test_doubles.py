"""Test doubles stay out of the package: servers in tests/fakes/, the small helpers (FakeClock,
FakeAdapter) in publisher.testing, and production code never reaches for them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from publisher import retry
from publisher.config import RetrySettings
from publisher.errors import TransientError
from publisher.testing.clock import FakeClock

PACKAGE = Path(__file__).resolve().parents[1] / "publisher"
PRODUCTION = sorted(
    path for path in PACKAGE.rglob("*.py") if "testing" not in path.relative_to(PACKAGE).parts
)
DOUBLE_PREFIXES = ("Fake", "Stub", "Dummy", "Mock")


def _imported_modules(tree: ast.Module) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return names


class TestBoundary:
    """No production module imports publisher.testing or defines a double of its own."""

    def test_production_modules_found(self) -> None:
        """The scan sees the package (a wrong path would make the checks below vacuous)."""
        names = {path.relative_to(PACKAGE).as_posix() for path in PRODUCTION}
        assert {"retry.py", "runner.py", "platforms/base.py"} <= names
        assert not any(name.startswith("testing/") for name in names)

    @pytest.mark.parametrize("path", PRODUCTION, ids=lambda p: p.relative_to(PACKAGE).as_posix())
    def test_no_testing_import(self, path: Path) -> None:
        """Not even lazily, inside a function."""
        tree = ast.parse(path.read_text(encoding="utf-8"))
        reached = [
            name
            for name in _imported_modules(tree)
            if name == "publisher.testing" or name.startswith("publisher.testing.")
        ]
        assert reached == []

    @pytest.mark.parametrize("path", PRODUCTION, ids=lambda p: p.relative_to(PACKAGE).as_posix())
    def test_no_double_defined(self, path: Path) -> None:
        """Fakes, stubs and dummies belong in publisher.testing (or tests/)."""
        tree = ast.parse(path.read_text(encoding="utf-8"))
        doubles = [
            node.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ClassDef) and node.name.startswith(DOUBLE_PREFIXES)
        ]
        assert doubles == []

    def test_retry_no_longer_ships_a_fake_clock(self) -> None:
        """The old home is empty: one FakeClock, in publisher.testing.clock."""
        assert not hasattr(retry, "FakeClock")


class TestFakeClock:
    """Sleeping moves the fake time forward and records the wait; nothing really sleeps."""

    def test_sleep_moves_time(self) -> None:
        """Two sleeps: the waits are recorded and now() has moved by their sum."""
        clock = FakeClock(t=100.0)
        clock.sleep(2.5)
        clock.sleep(1.0)
        assert clock.waits == [2.5, 1.0]
        assert clock.now() == 103.5

    def test_drives_the_retry_policy(self) -> None:
        """A reset 30 s away: the policy's one wait is at least 30 s of fake time."""
        clock = FakeClock(t=1000.0)
        settings = RetrySettings(budget_seconds=600, initial_wait=1, max_wait=2, max_attempts=3)
        budget = retry.Budget(settings, clock)
        calls: list[float] = []

        def flaky() -> str:
            calls.append(clock.now())
            if len(calls) == 1:
                raise TransientError("503", status=503, reset_at=1030.0)
            return "done"

        assert retry.call(flaky, budget) == "done"
        assert len(clock.waits) == 1
        assert clock.waits[0] >= 30.0
        assert calls[1] >= 1030.0


SERVER_MODULES = ("http.server", "socketserver", "wsgiref.simple_server", "aiohttp.web")


@pytest.mark.parametrize(
    "path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: p.relative_to(PACKAGE).as_posix()
)
def test_the_package_ships_no_server(path: Path) -> None:
    """The wheel (all of publisher/, publisher.testing included) starts no server of any kind:
    the wire-level stand-ins live in tests/fakes/, outside the installed package."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    served = [name for name in _imported_modules(tree) if name.startswith(SERVER_MODULES)]
    assert served == []


def test_the_stand_in_servers_are_in_tests() -> None:
    """The scan above would pass vacuously if the servers were gone: they are in tests/fakes/."""
    fakes = Path(__file__).resolve().parent / "fakes"
    assert {"x_server.py", "mastodon_server.py", "threads_server.py", "wire.py", "pds.py"} <= {
        p.name for p in fakes.glob("*.py")
    }
    assert any(
        "http.server" in _imported_modules(ast.parse(p.read_text())) for p in fakes.glob("*.py")
    )
