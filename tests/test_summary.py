"""The Markdown summaries written for $GITHUB_STEP_SUMMARY."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

from publisher import runner
from publisher.config import Settings
from publisher.platforms import rules_for
from publisher.reports import RunOutcome
from publisher.store.filequeue import FileQueue
from publisher.store.model import QueueItem
from publisher.summary import markdown
from publisher.testing.clock import FakeClock
from publisher.testing.fake import FakeAdapter
from publisher.timefmt import LocalTimes
from tests.publisher_cli import run_publisher

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "digest-2025-05-20.txt"
NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)
UTC = ZoneInfo("UTC")


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_publisher(*args, cwd=cwd)


class TestSummaries:
    """What a person reads on the Actions run page."""

    def test_invalid_digest_lines_in_summary(self, tmp_path: Path) -> None:
        """An invalid digest: exit 2 and its FILE:LINE messages in the summary, nothing queued."""
        broken = tmp_path / "digest.txt"
        lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
        del lines[2]  # the first entry's authors line
        broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
        summary = tmp_path / "summary.md"
        done = _cli("enqueue", str(broken), "--summary", str(summary), cwd=tmp_path)
        assert done.returncode == 2
        text = summary.read_text(encoding="utf-8")
        assert f"{broken}:3:" in text and "authors" in text
        assert not (tmp_path / "queue").exists() or not any((tmp_path / "queue").glob("*.md"))

    def test_dry_run_summary_has_counts(self, tmp_path: Path) -> None:
        """A dry run's summary lists each post that would go out with its count and limit."""
        assert _cli("enqueue", str(EXAMPLE), "--now", NOW.isoformat(), cwd=tmp_path).returncode == 0
        summary = tmp_path / "summary.md"
        later = (NOW + dt.timedelta(hours=1)).isoformat()
        done = _cli("--dry-run", "--now", later, "--summary", str(summary), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        text = summary.read_text(encoding="utf-8")
        assert "### Would post now" in text
        assert "/280 |" in text and "/300 |" in text
        assert "### Next" in text

    def test_run_summary_links_posts(self, tmp_path: Path) -> None:
        """After a run, every post made is listed with its link."""
        queue = FileQueue(tmp_path / "queue")
        queue.save(
            QueueItem(
                id="a", platform="x", title="A", not_before=NOW, created=NOW, posts=["one", "two"]
            )
        )
        settings = Settings(platforms=["x"])
        rules = rules_for(settings)
        fake = FakeAdapter("x")
        report = runner.run(queue, settings, rules, lambda p: fake, NOW, FakeClock())
        text = markdown(RunOutcome(report, dry_run=False, times=LocalTimes(UTC, NOW), now=NOW))
        assert "### Posted" in text
        assert "[https://example.invalid/x/1](https://example.invalid/x/1)" in text
        assert "| `a.x` | 2/2 |" in text
