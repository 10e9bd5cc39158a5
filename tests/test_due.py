"""The idle-run check (publisher/due.py) and the cron lines (publisher/cron.py).

The due check runs before anything is installed, so it must use the standard library only, and it
must agree with the package's own plan: a thread the plan would consider is due to the check too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from publisher import due, runner
from publisher.config import ScheduleSettings, Settings
from publisher.cron import cron_plan
from publisher.platforms import rules_for
from publisher.store.filequeue import FileQueue
from publisher.store.model import PostRecord, QueueItem

REPO = Path(__file__).resolve().parents[1]
SEOUL = ZoneInfo("Asia/Seoul")
NOW = dt.datetime(2025, 5, 20, 12, 0, tzinfo=SEOUL)
STATUSES = ("pending", "posting", "posted", "failed", "held")


def item(n: int, platform: str, status: str, minutes: int, posts: int, made: int) -> QueueItem:
    made = min(made, posts) if status != "posted" else posts
    return QueueItem(
        id=f"entry-{n}",
        platform=platform,
        title=f"Paper {n}",
        status=status,  # type: ignore[arg-type]
        not_before=NOW + dt.timedelta(minutes=minutes),
        created=NOW - dt.timedelta(days=1),
        posts=[f"Post {k} of paper {n}." for k in range(1, posts + 1)],
        posted=[
            PostRecord(post=k, id=str(k), url=f"https://x.invalid/{k}", at=NOW)
            for k in range(1, made + 1)
        ],
    )


items_strategy = st.lists(
    st.tuples(
        st.sampled_from(["x", "bluesky"]),
        st.sampled_from(STATUSES),
        st.integers(min_value=-3000, max_value=3000),
        st.integers(min_value=1, max_value=4),
        st.integers(min_value=0, max_value=3),
    ),
    max_size=12,
)


class TestAgreesWithThePlan:
    """Over generated queues, the stdlib check and ``runner.make_plan`` pick the same threads."""

    @settings(suppress_health_check=[HealthCheck.too_slow])
    @given(
        rows=items_strategy,
        platforms=st.sampled_from([["x", "bluesky"], ["x"], ["bluesky"]]),
        per_run=st.integers(min_value=1, max_value=3),
        offset=st.integers(min_value=-600, max_value=600),
    )
    def test_same_threads(
        self, rows: list[tuple[str, str, int, int, int]], platforms: list[str], per_run: int,
        offset: int,
    ) -> None:  # fmt: skip
        """Due to the check = posted by the plan, or held back only by a per-run cap or budget."""
        now = NOW + dt.timedelta(minutes=offset)
        config = Settings(
            platforms=platforms,  # type: ignore[arg-type]
            schedule=ScheduleSettings(max_threads_per_run=per_run, daily_posts={"x": 5}),
        )
        with tempfile.TemporaryDirectory() as tmp:
            queue = FileQueue(Path(tmp) / "queue")
            for n, row in enumerate(rows):
                queue.save(item(n, *row))
            loaded, problems = queue.load()
            plan = runner.make_plan(loaded, problems, config, rules_for(config), now)
            checked = {p.name for p, _ in due.due_files(queue.root, platforms, now)}
        assert problems == []
        considered = {p.loaded.path.name for p in plan.due} | {
            f"{w.item.key}.md" for w in plan.waiting if w.why != "scheduled"
        }
        assert checked == considered
        assert {p.loaded.path.name for p in plan.due} <= checked
        assert bool(checked) is bool(considered)

    @given(rows=items_strategy)
    def test_head_reads_what_the_package_reads(
        self, rows: list[tuple[str, str, int, int, int]]
    ) -> None:
        """``due.read_head`` gives the status, platform and time the full parser gives."""
        with tempfile.TemporaryDirectory() as tmp:
            queue = FileQueue(Path(tmp))
            for n, row in enumerate(rows):
                path = queue.save(item(n, *row))
                status, platform, not_before = due.read_head(path)
                full = item(n, *row)
                assert (status, platform, not_before) == (
                    full.status,
                    full.platform,
                    full.not_before,
                )


class TestCheck:
    """What counts as something to do, and what does not."""

    def test_unreadable_head_counts_as_due(self, tmp_path: Path) -> None:
        """A file the check cannot read is left to the full run, which reports it."""
        (tmp_path / "broken.x.md").write_text("no front matter\n", encoding="utf-8")
        found = due.due_files(tmp_path, ["x"], NOW)
        assert [p.name for p, _ in found] == ["broken.x.md"]

    def test_archive_and_other_files_never_count(self, tmp_path: Path) -> None:
        """Files under archive/, README.md and dot files are not queue items."""
        queue = FileQueue(tmp_path)
        queue.save(item(1, "x", "pending", -10, 2, 0))
        (tmp_path / "archive" / "2025-05").mkdir(parents=True)
        (tmp_path / "entry-1.x.md").rename(tmp_path / "archive" / "2025-05" / "entry-1.x.md")
        (tmp_path / "README.md").write_text("# the queue\n", encoding="utf-8")
        assert due.due_files(tmp_path, ["x"], NOW) == []

    def test_new_digest_until_listed_in_enqueued(self, tmp_path: Path) -> None:
        """A digest counts until queue/enqueued.txt lists its current hash and path."""
        digest = tmp_path / "digests" / "2025-05-20.txt"
        digest.parent.mkdir()
        digest.write_text("2025-05-20\n", encoding="utf-8")
        (tmp_path / "digests" / "notes.md").write_text("not a digest\n", encoding="utf-8")
        assert due.reasons(tmp_path, NOW) == [f"{digest}: not enqueued yet"]
        sha = hashlib.sha256(digest.read_bytes()).hexdigest()
        (tmp_path / "queue").mkdir()
        listing = tmp_path / "queue" / "enqueued.txt"
        listing.write_text(f"{sha}  digests/2025-05-20.txt\n", encoding="utf-8")
        assert due.reasons(tmp_path, NOW) == []
        digest.write_text("2025-05-20\nedited\n", encoding="utf-8")
        assert due.reasons(tmp_path, NOW) == [f"{digest}: not enqueued yet"]

    def test_disabled_platform_is_not_due(self, tmp_path: Path) -> None:
        """With only Bluesky enabled in the config, a due X thread is nothing to do."""
        FileQueue(tmp_path / "queue").save(item(1, "x", "pending", -10, 2, 0))
        (tmp_path / "config").mkdir()
        (tmp_path / "config" / "publisher.toml").write_text(
            'platforms = ["bluesky"]\n', encoding="utf-8"
        )
        assert due.reasons(tmp_path, NOW) == []

    def test_another_config_file(self, tmp_path: Path) -> None:
        """`config` (the action's `config:` input) names the settings file whose platforms count."""
        FileQueue(tmp_path / "queue").save(item(1, "x", "pending", -10, 2, 0))
        (tmp_path / "settings").mkdir()
        (tmp_path / "settings" / "bot.toml").write_text('platforms = ["bluesky"]\n')
        assert due.reasons(tmp_path, NOW) != []  # config/publisher.toml absent: every platform
        assert due.reasons(tmp_path, NOW, Path("settings/bot.toml")) == []
        (tmp_path / "settings" / "bot.toml").write_text("platforms = [")
        (why,) = due.reasons(tmp_path, NOW, Path("settings/bot.toml"))
        assert why.startswith("settings/bot.toml unreadable here")


class TestScript:
    """`python3 -I -S publisher/due.py`: no site-packages at all, so no third-party import."""

    def run(self, root: Path, now: dt.datetime) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-I", "-S", str(REPO / "publisher" / "due.py"), "--root", str(root),
             "--now", now.isoformat()],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip

    def test_idle_and_due(self, tmp_path: Path) -> None:
        """Prints due=false for a queue with nothing due, due=true once a thread's time comes."""
        FileQueue(tmp_path / "queue").save(item(1, "x", "pending", 30, 2, 0))
        idle = self.run(tmp_path, NOW)
        assert (idle.returncode, idle.stdout) == (0, "due=false\n"), idle.stderr
        busy = self.run(tmp_path, NOW + dt.timedelta(minutes=31))
        assert (busy.returncode, busy.stdout) == (0, "due=true\n"), busy.stderr
        assert "entry-1.x.md: pending, due" in busy.stderr

    def test_bad_now_is_a_usage_error(self, tmp_path: Path) -> None:
        """A malformed --now exits 2 with a one-line message, no traceback."""
        done = subprocess.run(
            [sys.executable, "-I", "-S", str(REPO / "publisher" / "due.py"), "--now", "soon"],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 2
        assert "not an ISO 8601 time" in done.stderr
        assert "Traceback" not in done.stderr


class TestCron:
    """The workflow's runs follow the configured slots, plus a few catch-up runs."""

    def test_default_schedule(self) -> None:
        """Five Seoul slots: runs 7 minutes after each in UTC plus three catch-ups, 8 a day."""
        plan = cron_plan(ScheduleSettings())
        assert plan.lines == ["7 0,3,6,9,12 * * *", "37 2,10,18 * * *"]
        assert plan.runs_per_day == 8 <= 10
        assert plan.billed_minutes_per_month == 240 <= 300

    def test_daylight_saving_zone_gets_both_offsets(self) -> None:
        """Berlin's 09:00 is 07:00 or 08:00 UTC depending on the season: both are run."""
        plan = cron_plan(ScheduleSettings(timezone="Europe/Berlin", slots=["09:00"]))
        assert plan.lines[0] == "7 7,8 * * *"

    def test_slot_and_catch_up_on_one_minute_share_a_line(self) -> None:
        """New York's 08:30 and 17:00 (+7 min): 12:37/13:37 UTC join the catch-ups at :37."""
        plan = cron_plan(ScheduleSettings(timezone="America/New_York", slots=["08:30", "17:00"]))
        assert plan.lines == ["7 21,22 * * *", "37 2,10,12,13,18 * * *"]
        assert plan.runs_per_day == 7

    @pytest.mark.parametrize(
        ("spacing", "line", "runs"),
        [
            (30, "7,37 * * * *", 48),
            (45, "7,37 * * * *", 48),
            (120, "7 0,2,4,6,8,10,12,14,16,18,20,22 * * *", 12),
        ],
    )
    def test_spacing_has_its_own_cadence(self, spacing: int, line: str, runs: int) -> None:
        """With spacing_minutes, runs come at least as often as threads are due."""
        plan = cron_plan(ScheduleSettings(spacing_minutes=spacing))
        assert (plan.lines, plan.runs_per_day) == ([line], runs)

    def test_command_prints_the_lines(self, tmp_path: Path) -> None:
        """`publisher schedule --cron` prints the lines and their cost."""
        from tests.publisher_cli import run_publisher

        done = run_publisher("schedule", "--cron", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[-2:] == ["7 0,3,6,9,12 * * *", "37 2,10,18 * * *"]
        assert "8 runs a day" in done.stdout and "240 billed minutes" in done.stdout


class TestSharedWithThePackage:
    """due.py and the queue package share one definition of the file-name rule, the bounded
    read, the enqueued.txt parser and the open states (publisher/store/common.py)."""

    def test_imported_it_uses_the_packages_definitions(self) -> None:
        from publisher import due
        from publisher.store import common

        assert due.ENQUEUED_NAME is common.ENQUEUED_NAME
        assert due.OPEN_STATUSES is common.OPEN
        assert due._shared is common

    def test_run_as_a_script_it_loads_the_same_file(self, tmp_path: Path) -> None:
        import subprocess
        import sys

        import publisher

        script = Path(publisher.__file__).parent / "due.py"
        queue = tmp_path / "queue"
        queue.mkdir()
        (queue / "a.x.md").write_text(
            "---\nstatus: held\nnot_before: 2025-01-01T00:00:00+00:00\n---\n"
        )
        (queue / "b.x.md").write_text(
            "---\nstatus: posting\nnot_before: 2025-01-01T00:00:00+00:00\n---\n"
        )
        (queue / ".hidden.md").write_text("---\nstatus: pending\n---\n")
        done = subprocess.run(
            [
                sys.executable,
                "-I",
                str(script),
                "--root",
                str(tmp_path),
                "--now",
                "2025-06-01T00:00:00+00:00",
            ],
            capture_output=True,
            text=True,
            check=True,
            cwd=tmp_path,
        )
        assert done.stdout == "due=true\n"
        assert "b.x.md: posting" in done.stderr
        assert "a.x.md" not in done.stderr and ".hidden" not in done.stderr


def test_enqueued_parser_is_one_for_due_and_sweep(tmp_path: Path) -> None:
    from publisher import due
    from publisher.store.filequeue import FileQueue
    from publisher.sweep import read_enqueued

    sha = "A" * 64
    text = f"# a comment\n{sha}  digests/a.txt\nshort  digests/b.txt\n{'b' * 64}  \nno separator\n"
    (tmp_path / "enqueued.txt").write_text(text)
    assert read_enqueued(FileQueue(tmp_path)) == {"digests/a.txt": "a" * 64}
    assert due.read_enqueued(tmp_path / "enqueued.txt") == {("a" * 64, "digests/a.txt")}


def test_a_fifo_for_enqueued_txt_is_refused_by_name_not_read(tmp_path: Path) -> None:
    import os

    from publisher import due
    from publisher.errors import InputError
    from publisher.store.filequeue import FileQueue
    from publisher.sweep import read_enqueued

    os.mkfifo(tmp_path / "enqueued.txt")
    with pytest.raises(InputError, match=r"enqueued\.txt: not a regular file"):
        read_enqueued(FileQueue(tmp_path))
    assert due.read_enqueued(tmp_path / "enqueued.txt") == set()  # every digest counts as new
