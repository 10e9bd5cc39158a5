"""requirements.lock: every runtime dependency of pyproject.toml, pinned, with hashes.

The workflows install from it with ``--require-hashes`` (tests/test_workflows.py checks that), so
a dependency missing from it would fail the publish run on GitHub, not here.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)\s*\\?$")
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


def pins(text: str) -> dict[str, tuple[Version, int]]:
    """``name -> (version, number of hashes)`` of a pip-compile lock file."""
    found: dict[str, tuple[Version, int]] = {}
    current = None
    for line in text.splitlines():
        match = PIN.match(line)
        if match:
            current = canonicalize_name(match[1])
            found[current] = (Version(match[2]), 0)
        elif current and HASH.search(line):
            version, count = found[current]
            found[current] = (version, count + len(HASH.findall(line)))
        elif line.strip() and not line.startswith(" "):
            current = None
    return found


def pyproject() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)


class TestLock:
    """The lock covers pyproject.toml and pins every entry with its hashes."""

    @pytest.mark.parametrize(
        "spec",
        [*pyproject()["project"]["dependencies"], *pyproject()["build-system"]["requires"]],  # type: ignore[index]
    )
    def test_covers_dependency(self, spec: str) -> None:
        """Each runtime and build dependency is pinned to a version its specifier allows."""
        requirement = Requirement(spec)
        locked = pins(LOCK.read_text(encoding="utf-8"))
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{name} is missing: refresh requirements.lock (see the README)"
        version, hashes = locked[name]
        assert requirement.specifier.contains(version, prereleases=True), (spec, version)
        assert hashes >= 1

    def test_every_entry_has_hashes(self) -> None:
        """No entry without a hash: `--require-hashes` would refuse the whole file."""
        text = LOCK.read_text(encoding="utf-8")
        locked = pins(text)
        assert len(locked) >= len(pyproject()["project"]["dependencies"])  # type: ignore[index, arg-type]
        assert [n for n, (_, hashes) in locked.items() if hashes == 0] == []
        requirement_lines = [
            line for line in text.splitlines() if line and not line.startswith((" ", "#"))
        ]
        assert all(PIN.match(line) for line in requirement_lines), requirement_lines

    def test_parser_sees_a_missing_hash(self) -> None:
        """The checker itself notices an entry with no hash."""
        text = "foo==1.0 \\\n    --hash=sha256:" + "a" * 64 + "\nbar==2.0\n"
        assert pins(text) == {"foo": (Version("1.0"), 1), "bar": (Version("2.0"), 0)}
