"""Commands that send nothing never import the network SDKs (atproto costs ~1 s to import).

Each command runs in a fresh interpreter through the real entry point (``runpy`` on
``publisher``, as ``python -m publisher`` does); afterwards that interpreter reports which of the
heavy modules are in ``sys.modules``.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.publisher_cli import run_publisher

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "digest-2025-05-20.txt"
CONFIG = REPO / "config" / "publisher.toml"
NOW = dt.datetime(2025, 5, 19, 12, 0, tzinfo=dt.UTC)
HEAVY = ("atproto", "atproto_client", "tweepy", "mastodon", "httpx", "requests")
MARKER = "LOADED-MODULES:"

# Runs the CLI in this interpreter, then prints the heavy modules it loaded on stderr's last line.
_PROBE = f"""
import json, runpy, sys
sys.argv = ["publisher", *json.loads(sys.argv[1])]
code = 0
try:
    runpy.run_module("publisher", run_name="__main__", alter_sys=True)
except SystemExit as exc:
    code = exc.code
loaded = sorted(m for m in {HEAVY!r} if m in sys.modules)
sys.stderr.write("\\n{MARKER}" + json.dumps({{"code": code, "loaded": loaded}}) + "\\n")
"""


def run_probe(args: list[str], cwd: Path) -> tuple[int, list[str], str]:
    """Exit code, heavy modules loaded and stdout of `publisher ARGS` in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = [line for line in done.stderr.splitlines() if line.startswith(MARKER)]
    assert lines, f"the probe did not report (exit {done.returncode}):\n{done.stderr[-2000:]}"
    report = json.loads(lines[-1].removeprefix(MARKER))
    return int(report["code"] or 0), list(report["loaded"]), done.stdout


@pytest.fixture(scope="module")
def queue_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example digest enqueued into a fresh queue folder."""
    root = tmp_path_factory.mktemp("imports") / "queue"
    done = run_publisher(
        "enqueue", str(EXAMPLE), "--queue", str(root), "--config", str(CONFIG), "--now",
        NOW.isoformat(), cwd=REPO,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert any(root.glob("*.md"))
    return root


class TestDigestDryRun:
    """`publisher --dry-run DIGEST` formats and prints without the SDKs."""

    @pytest.mark.parametrize("extra", [[], ["--json"], ["--platform", "bluesky"]])
    def test_no_sdk_imported(self, extra: list[str]) -> None:
        """The example's threads are printed; atproto, tweepy, httpx and requests stay unloaded."""
        code, loaded, out = run_probe(["--dry-run", *extra, str(EXAMPLE)], REPO)
        assert code == 0
        assert "Mean Flows" in out
        assert loaded == []


class TestQueueDryRun:
    """`publisher --dry-run --queue DIR` plans a run without the SDKs."""

    @pytest.mark.parametrize("extra", [[], ["--json"]])
    def test_no_sdk_imported(self, queue_dir: Path, extra: list[str]) -> None:
        """With threads due (payloads and counts built), no SDK module is loaded."""
        later = (NOW + dt.timedelta(days=30)).isoformat()
        args = ["--dry-run", *extra, "--queue", str(queue_dir), "--config", str(CONFIG)]
        code, loaded, out = run_probe([*args, "--now", later], REPO)
        assert code == 0
        assert "Mean Flows" in out  # something was due and shown, not an empty plan
        assert loaded == []


class TestStatus:
    """`publisher status` reads the queue without the SDKs."""

    def test_no_sdk_imported(self, queue_dir: Path) -> None:
        """The table of the enqueued threads is printed; no SDK module is loaded."""
        code, loaded, out = run_probe(["status", "--queue", str(queue_dir)], REPO)
        assert code == 0
        assert "pending" in out
        assert loaded == []


# The same, reporting which command modules (publisher.commands.*) the run imported.
_COMMANDS_PROBE = _PROBE.replace(
    f"loaded = sorted(m for m in {HEAVY!r} if m in sys.modules)",
    "loaded = sorted(m for m in sys.modules if m.startswith('publisher.commands.'))",
)


def commands_loaded(args: list[str], cwd: Path) -> tuple[int, list[str]]:
    done = subprocess.run(
        [sys.executable, "-c", _COMMANDS_PROBE, json.dumps(args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = [line for line in done.stderr.splitlines() if line.startswith(MARKER)]
    assert lines, f"the probe did not report (exit {done.returncode}):\n{done.stderr[-2000:]}"
    report = json.loads(lines[-1].removeprefix(MARKER))
    return int(report["code"] or 0), list(report["loaded"])


class TestCommandsLoadedWhenTheyRun:
    """Each command's module is imported only when that command runs (pip's lazy registry)."""

    @pytest.mark.parametrize("flag", ["--help", "--version"])
    def test_help_and_version_import_no_command(self, flag: str) -> None:
        assert commands_loaded([flag], REPO) == (0, [])

    def test_a_command_imports_only_its_own_module(self) -> None:
        code, loaded = commands_loaded(["schedule", "--cron", "--config", str(CONFIG)], REPO)
        assert (code, loaded) == (0, ["publisher.commands._common", "publisher.commands.schedule"])

    def test_a_digest_dry_run_does_not_load_the_scheduled_job(self) -> None:
        code, loaded = commands_loaded(["--dry-run", str(EXAMPLE)], REPO)
        assert code == 0
        assert "publisher.commands.dry_run" in loaded
        assert "publisher.commands.job" not in loaded
