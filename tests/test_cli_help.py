"""Every command says what it does, and the README documents every command and exit code."""

from __future__ import annotations

from pathlib import Path

import pytest

from publisher.cli import COMMANDS, build_parsers
from tests.publisher_cli import run_publisher

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


class TestHelp:
    """`publisher --help` and `publisher COMMAND --help`."""

    @pytest.mark.parametrize("command", ["", *COMMANDS])
    def test_help_describes_command(self, command: str) -> None:
        """Each help text runs, exits 0 and has a description of its own."""
        args = [command, "--help"] if command else ["--help"]
        done = run_publisher(*args)
        assert done.returncode == 0, done.stderr
        description = " ".join((build_parsers()[command].description or "").split())
        assert len(description) > 40
        assert description[:40] in " ".join(done.stdout.split())

    @pytest.mark.parametrize("command", COMMANDS)
    def test_readme_documents_command(self, command: str) -> None:
        """The README's command table names every command."""
        assert f"`publisher {command}" in README

    def test_readme_documents_exit_codes(self) -> None:
        """Exit codes 0, 1 and 2 are explained in the README."""
        assert "**0** done" in README and "**1** a post failed" in README
        assert "**2** bad input or usage" in README

    def test_unknown_option_is_usage_error(self) -> None:
        """A wrong option is a usage error: exit 2, no traceback."""
        done = run_publisher("--frobnicate")
        assert done.returncode == 2
        assert "Traceback" not in done.stderr
