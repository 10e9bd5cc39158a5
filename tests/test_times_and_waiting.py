"""What `publisher` prints about time and about threads that wait on a person.

Every printed time is in the configured zone, the offset shown once in a header; `--now` refuses
an empty value; held and failed threads are listed, with their reasons, at the end of the dry
run and of `status`, so that none waits unseen.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from publisher import runner
from publisher.config import ScheduleSettings, Settings
from publisher.digest import read_digests
from publisher.enqueue import enqueue
from publisher.platforms import rules_for
from publisher.reports import RunOutcome
from publisher.store.filequeue import FileQueue
from publisher.summary import markdown
from publisher.testing.clock import FakeClock
from publisher.testing.fake import FakeAdapter
from publisher.timefmt import LocalTimes
from tests.conftest import EXAMPLE, X_CANARY, one_a_slot, pin_one_a_slot
from tests.fakes.x_server import FakeXServer
from tests.publisher_cli import quiet_env, run_publisher

SEOUL = ZoneInfo("Asia/Seoul")
MEAN = "2025-05-20-mean-flows-for-one-step-generative-modeling"
MERGE = "2025-05-20-model-merging-in-pre-training-of-large-language-models"
ISO_WITH_OFFSET = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?[+-]\d\d:\d\d")
FAILURE = "post 1 of 3: 403 Forbidden: You are not permitted to perform this action."


@pytest.fixture(scope="module")
def example_queue(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example digest enqueued at 08:00 Seoul with the default settings."""
    settings = Settings(schedule=ScheduleSettings(**one_a_slot()))
    queue = FileQueue(tmp_path_factory.mktemp("example") / "queue")
    now = dt.datetime(2025, 5, 20, 8, 0, tzinfo=SEOUL)
    enqueue(queue, read_digests([EXAMPLE]), settings, rules_for(settings), now)
    return queue.root


@pytest.fixture
def work(tmp_path: Path, example_queue: Path) -> Path:
    """A folder with a copy of the queue: MEAN.x held by command, MERGE.bluesky failed."""
    shutil.copytree(example_queue, tmp_path / "queue")
    pin_one_a_slot(tmp_path)
    held = run_publisher("hold", f"{MEAN}.x", cwd=tmp_path)
    assert held.returncode == 0, held.stderr
    failed = tmp_path / "queue" / f"{MERGE}.bluesky.md"
    text = failed.read_text(encoding="utf-8")
    text = text.replace("status: pending", "status: failed", 1)
    text = text.replace("reason: null", f"reason: '{FAILURE}'", 1)
    failed.write_text(text, encoding="utf-8")
    return tmp_path


def publisher(work: Path, *args: str) -> tuple[str, str]:
    done = run_publisher(*args, cwd=work)
    assert done.returncode == 0, done.stderr
    return done.stdout, done.stderr


class TestLocalTimes:
    """The formatter: local time without offset, the offset in the header, DST kept honest."""

    def test_header_and_times(self) -> None:
        """UTC input prints as Seoul time; seconds only when there are some."""
        times = LocalTimes(SEOUL, dt.datetime(2025, 5, 20, tzinfo=dt.UTC))
        assert times.header() == "times in Asia/Seoul, UTC+09:00"
        assert times(dt.datetime(2025, 5, 20, 0, 30, tzinfo=dt.UTC)) == "2025-05-20 09:30"
        assert times(dt.datetime(2025, 5, 20, 0, 30, 5, tzinfo=dt.UTC)) == "2025-05-20 09:30:05"
        assert times.iso(dt.datetime(2025, 5, 20, tzinfo=dt.UTC)) == "2025-05-20T09:00:00+09:00"

    def test_a_time_across_a_dst_change_keeps_its_offset(self) -> None:
        """In New York in March, a July time is not printed as if it had the header's offset."""
        york = ZoneInfo("America/New_York")
        times = LocalTimes(york, dt.datetime(2025, 3, 1, 12, tzinfo=york))
        assert times.header() == "times in America/New_York, UTC-05:00"
        assert times(dt.datetime(2025, 3, 2, 9, tzinfo=york)) == "2025-03-02 09:00"
        assert times(dt.datetime(2025, 7, 1, 9, tzinfo=york)) == "2025-07-01 09:00 (UTC-04:00)"


class TestNow:
    """--now: never empty; a time in another zone is shown in the configured one."""

    @pytest.mark.parametrize(
        "command",
        [
            ["--dry-run"],
            ["status"],
            ["enqueue", str(EXAMPLE)],
            ["hold", MEAN],
            ["retry", MEAN],
        ],
        ids=["dry-run", "status", "enqueue", "hold", "retry"],
    )
    @pytest.mark.parametrize("empty", ["", "   "], ids=["empty", "blank"])
    def test_empty_now_is_refused(self, work: Path, command: list[str], empty: str) -> None:
        """`--now ""` is bad usage (exit 2), not the real time, and changes nothing."""
        before = {p.name: p.read_bytes() for p in (work / "queue").iterdir()}
        done = run_publisher(*command, "--now", empty, cwd=work)
        assert done.returncode == 2
        assert done.stderr == (
            "--now: empty: give a time like 2025-05-20T09:00, or leave --now out\n"
        )
        assert {p.name: p.read_bytes() for p in (work / "queue").iterdir()} == before

    def test_utc_now_prints_in_the_configured_zone(self, work: Path) -> None:
        """A `Z` time is shown as Seoul time, and no time in the output carries an offset."""
        out, _ = publisher(work, "--dry-run", "--now", "2025-05-20T00:30:00Z")
        assert out.startswith(
            "Dry run at 2025-05-20 09:30 (times in Asia/Seoul, UTC+09:00): nothing is sent"
        )
        assert f"━━ due 2025-05-20 09:00  {MEAN}.bluesky" in out
        assert f"  2025-05-20 12:00  {MERGE}.x  (scheduled)" in out
        assert "+00:00" not in out and not ISO_WITH_OFFSET.search(out)

    def test_json_times_are_in_the_configured_zone(self, work: Path) -> None:
        """The JSON keeps full ISO 8601 times, in the configured zone."""
        out, _ = publisher(work, "--dry-run", "--json", "--now", "2025-05-20T00:30:00Z")
        data = json.loads(out)
        assert data["now"] == "2025-05-20T09:30:00+09:00"
        assert {w["when"][-6:] for w in data["next"]} == {"+09:00"}

    def test_another_configured_zone(self, work: Path) -> None:
        """With timezone = "Europe/Berlin", the same queue is shown in Berlin time."""
        (work / "config").mkdir(exist_ok=True)
        (work / "config" / "publisher.toml").write_text(
            '[schedule]\ntimezone = "Europe/Berlin"\n', encoding="utf-8"
        )
        out, _ = publisher(work, "status", "--now", "2025-05-20T09:00+09:00")
        assert out.splitlines()[0] == "times in Europe/Berlin, UTC+02:00"
        assert re.search(rf"^{MEAN} +bluesky +pending +2025-05-20 02:00 +0/3$", out, re.M)
        assert not ISO_WITH_OFFSET.search(out)

    def test_summaries_use_the_configured_zone(self, work: Path) -> None:
        """The Markdown summaries (dry run, enqueue) name the zone once, then local times."""
        publisher(work, "--dry-run", "--now", "2025-05-20T00:30Z", "--summary", "dry.md")
        dry = (work / "dry.md").read_text(encoding="utf-8")
        assert "\nAll times in Asia/Seoul, UTC+09:00.\n" in dry
        assert f"| 2025-05-20 12:00 | `{MERGE}.x` | scheduled |" in dry
        assert not ISO_WITH_OFFSET.search(dry)
        fresh = work / "fresh"
        (fresh / "queue").mkdir(parents=True)  # a project of its own, not the one around it
        publisher(fresh, "enqueue", str(EXAMPLE), "--now", "2025-05-19T23:00Z", "--summary", "e.md")
        enqueued = (fresh / "e.md").read_text(encoding="utf-8")
        assert "\nAll times in Asia/Seoul, UTC+09:00.\n" in enqueued
        assert f"| `{MEAN}.x` | 3 | 2025-05-20 09:00 |" in enqueued
        assert not ISO_WITH_OFFSET.search(enqueued)

    def test_enqueue_prints_local_times_under_a_header(self, tmp_path: Path) -> None:
        """`enqueue` names the zone once, then each thread's time without an offset."""
        out, _ = publisher(tmp_path, "enqueue", str(EXAMPLE), "--now", "2025-05-19T23:00Z")
        lines = out.splitlines()
        assert lines[0] == "times in Asia/Seoul, UTC+09:00"
        assert lines[1].endswith("  3 posts  not before 2025-05-20 09:00")
        assert not ISO_WITH_OFFSET.search(out)


class TestHeldAndFailedListed:
    """Held and failed threads are listed last, each with its reason and the command to act."""

    HELD = f"  {MEAN}.x  held (no reason recorded); to let it go: publisher release {MEAN}.x"
    FAILED = (
        f"  {MERGE}.bluesky  failed: {FAILURE}; once the cause is fixed: "
        f"publisher retry {MERGE}.bluesky"
    )

    def test_at_the_end_of_the_dry_run(self, work: Path) -> None:
        """The dry run ends with both threads, held first; neither is in the due list."""
        out, _ = publisher(work, "--dry-run", "--now", "2025-05-20T09:00")
        assert out.rstrip("\n").splitlines()[-3:] == [
            "Held or failed (2), not posted until someone acts:",
            self.HELD,
            self.FAILED,
        ]
        assert f"due 2025-05-20 09:00  {MEAN}.x " not in out

    def test_at_the_end_of_status(self, work: Path) -> None:
        """`status` ends with the same list, after its totals."""
        out, _ = publisher(work, "status", "--now", "2025-05-20T09:00")
        lines = out.rstrip("\n").splitlines()
        assert lines[-4] == "18 threads, 1 failed, 1 held, 16 pending"
        assert lines[-3:] == [
            "Held or failed (2), not posted until someone acts:",
            self.HELD,
            self.FAILED,
        ]

    def test_in_json(self, work: Path) -> None:
        """Both JSON outputs carry the list as data."""
        expected = [
            {"key": f"{MEAN}.x", "status": "held", "reason": "",
             "action": f"publisher release {MEAN}.x"},
            {"key": f"{MERGE}.bluesky", "status": "failed", "reason": FAILURE,
             "action": f"publisher retry {MERGE}.bluesky"},
        ]  # fmt: skip
        for args in (["--dry-run", "--json"], ["status", "--json"]):
            out, _ = publisher(work, *args, "--now", "2025-05-20T09:00")
            assert json.loads(out)["held_or_failed"] == expected

    def test_in_the_summary(self, work: Path) -> None:
        """The Markdown summary of a dry run has a table of them."""
        publisher(work, "--dry-run", "--now", "2025-05-20T09:00", "--summary", "summary.md")
        summary = (work / "summary.md").read_text(encoding="utf-8")
        assert "### Held or failed" in summary
        assert f"| `{MEAN}.x` | held | no reason recorded | `publisher release {MEAN}.x` |" in (
            summary
        )
        assert f"| `{MERGE}.bluesky` | failed | {FAILURE} |" in summary

    def test_nothing_listed_when_nothing_waits(self, example_queue: Path, tmp_path: Path) -> None:
        """A queue with nothing held or failed prints no such section."""
        shutil.copytree(example_queue, tmp_path / "queue")
        pin_one_a_slot(tmp_path)
        out, _ = publisher(tmp_path, "status")
        assert "Held or failed" not in out

    def test_in_the_report_and_summary_of_a_real_run(self, work: Path) -> None:
        """A real run skips them, and its report and summary still list them."""
        settings = Settings(schedule=ScheduleSettings(**one_a_slot()))
        rules = rules_for(settings)
        adapters = {"x": FakeAdapter("x"), "bluesky": FakeAdapter("bluesky")}
        queue = FileQueue(work / "queue")
        now = dt.datetime(2025, 5, 20, 12, 0, tzinfo=SEOUL)
        with queue.lock():
            report = runner.run(
                queue, settings, rules, lambda p: adapters[p], now, FakeClock(t=now.timestamp())
            )
        sent = {s.key for s in report.sent}
        assert f"{MEAN}.bluesky" in sent
        assert f"{MEAN}.x" not in sent and f"{MERGE}.bluesky" not in sent
        assert [(s.key, s.status) for s in report.plan.stuck] == [
            (f"{MEAN}.x", "held"),
            (f"{MERGE}.bluesky", "failed"),
        ]
        summary = markdown(RunOutcome(report, dry_run=False, times=LocalTimes(SEOUL, now), now=now))
        assert f"| `{MERGE}.bluesky` | failed | {FAILURE} |" in summary

    def test_at_the_end_of_a_real_run(self, work: Path, x_server: FakeXServer) -> None:
        """The scheduled job's own output ends with them too, after what it posted."""
        env = quiet_env(**X_CANARY, X_API_BASE_URL=x_server.base_url, PUBLISHER_PLATFORMS="x")
        done = run_publisher("--now", "2025-05-20T12:00", cwd=work, env=env)
        assert done.returncode == 0, done.stderr
        lines = done.stdout.rstrip("\n").splitlines()
        assert lines[0].startswith(f"posted {MERGE}.x 1/")
        assert lines[-3:] == [
            "Held or failed (2), not posted until someone acts:",
            self.HELD,
            self.FAILED,
        ]
        assert x_server.tweets
