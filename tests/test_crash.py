"""Crashes and concurrent runs: SIGKILL in the middle of writes; a second run while one is locked.

The writers are real processes killed with SIGKILL, so nothing in them gets a chance to clean up:
what is on disk afterwards is exactly what the atomic write and the lock leave behind.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from publisher.errors import QueueBusy
from publisher.store.fileformat import read_item
from publisher.store.filequeue import FileQueue
from publisher.store.safeio import TMP_PREFIX
from tests.conftest import EXAMPLE
from tests.publisher_cli import PUBLISHER, quiet_env, run_publisher

# Saves items in a loop: new items, and existing ones grown by a post. Prints "saved ID N" once
# ``save`` has returned, so the test knows which states were written whole before the kill.
WRITER = r"""
import datetime as dt, random, sys
from pathlib import Path
from publisher.store.filequeue import FileQueue
from publisher.store.model import QueueItem

def post(name, k):
    return f"{name} post {k} " + "가나다 abc " * ((k * 37) % 150) + "end"

root, seed = Path(sys.argv[1]), int(sys.argv[2])
queue = FileQueue(root)
moment = dt.datetime(2025, 5, 20, 9, tzinfo=dt.timezone.utc)
with queue.lock():
    items, problems = queue.load()
    assert not problems, problems
    state = {li.item.id: li.item for li in items}
    rng = random.Random(seed)
    print("ready", flush=True)
    n = 0
    while True:
        if not state or rng.random() < 0.3:
            name = f"item-{seed}-{n}"
            n += 1
            item = QueueItem(id=name, platform="x", not_before=moment, created=moment,
                             posts=[post(name, 0)])
        else:
            item = state[rng.choice(sorted(state))]
            item.posts = [*item.posts, post(item.id, len(item.posts))]
        queue.save(item)
        state[item.id] = item
        print(f"saved {item.id} {len(item.posts)}", flush=True)
"""

# Holds the queue lock until killed.
HOLDER = r"""
import sys, time
from pathlib import Path
from publisher.store.filequeue import FileQueue
with FileQueue(Path(sys.argv[1])).lock():
    print("locked", flush=True)
    time.sleep(60)
"""

FAKE_CREDENTIALS = {
    "X_API_KEY": "fake-key",
    "X_API_SECRET": "fake-secret",
    "X_ACCESS_TOKEN": "fake-token",
    "X_ACCESS_TOKEN_SECRET": "fake-token-secret",
    "BLUESKY_HANDLE": "fake.example.invalid",
    "BLUESKY_APP_PASSWORD": "fake-app-password",
    # Were an adapter ever built, it would talk to a closed local port, never to the internet.
    "X_API_BASE_URL": "http://127.0.0.1:9",
    "BLUESKY_SERVICE": "http://127.0.0.1:9",
}


def post(name: str, k: int) -> str:
    """The text the writer gives post ``k`` of item ``name`` (kept in step with WRITER)."""
    return f"{name} post {k} " + "가나다 abc " * ((k * 37) % 150) + "end"


def cli(cwd: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return run_publisher(*args, cwd=cwd, env=quiet_env(**extra))


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def saved_lines(output: str) -> list[tuple[str, int]]:
    """The ``saved ID N`` lines printed in full before the kill."""
    found = []
    for line in output.splitlines(keepends=True):
        parts = line.split()
        if line.endswith("\n") and len(parts) == 3 and parts[0] == "saved":
            found.append((parts[1], int(parts[2])))
    return found


class TestSigkill:
    """A writer killed with SIGKILL at any moment leaves every file whole and loses no item."""

    def test_killed_writers_lose_nothing(self, tmp_path: Path) -> None:
        """Up to 30 kills (bounded by time); after each, every file parses and no save is lost."""
        rng = random.Random(20250520)
        root = tmp_path / "queue"
        root.mkdir()
        written: dict[str, int] = {}  # item id -> posts it had at its last confirmed save
        kills = saves = temporaries_seen = 0
        deadline = time.monotonic() + 12
        while kills < 30 and time.monotonic() < deadline:
            proc = subprocess.Popen(
                [sys.executable, "-c", WRITER, str(root), str(kills)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=quiet_env(),
            )
            assert proc.stdout is not None and proc.stderr is not None
            ready = proc.stdout.readline()
            assert ready == "ready\n", proc.stderr.read()
            time.sleep(rng.uniform(0.0, 0.2))
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            assert proc.returncode == -signal.SIGKILL, proc.stderr.read()
            for key, count in saved_lines(proc.stdout.read()):
                written[key] = max(written.get(key, 0), count)
                saves += 1
            proc.stdout.close()
            proc.stderr.close()
            kills += 1

            # Left-over temporaries are not queue items.
            temporaries_seen += any(n.startswith(TMP_PREFIX) for n in os.listdir(root))
            queue = FileQueue(root)
            items, problems = queue.load()
            assert problems == []
            by_id = {li.item.id: li.item for li in items}
            for key, count in written.items():
                assert key in by_id, f"item {key} lost after kill {kills}"
                posts = by_id[key].posts
                assert len(posts) >= count
                assert posts == [post(key, k) for k in range(len(posts))]
            for path in root.glob("*.md"):
                read_item(path)  # every file parses, not only the ones we know of
            # The dead writer's lock is gone; taking it clears its temporaries.
            with queue.lock():
                assert not [n for n in os.listdir(root) if n.startswith(TMP_PREFIX)]

        assert kills >= 10
        assert saves >= kills
        assert len(written) >= 5
        # Informational: how often a kill left a temporary behind (depends on timing).
        print(f"{kills} kills, {saves} confirmed saves, temporaries left {temporaries_seen} times")

    def test_killed_enqueue_then_enqueue_again(self, tmp_path: Path) -> None:
        """``publisher enqueue`` killed part-way leaves whole files; enqueue again completes it."""
        rng = random.Random(7)
        for attempt in range(4):
            cwd = tmp_path / f"run{attempt}"
            cwd.mkdir()
            proc = subprocess.Popen(
                [
                    *PUBLISHER,
                    "enqueue",
                    str(EXAMPLE),
                    "--queue",
                    "queue",
                    "--now",
                    "2025-05-20T08:00",
                ],
                cwd=cwd,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=quiet_env(),
            )
            # Wait until it has started writing queue files, then kill it soon after.
            folder = cwd / "queue"
            limit = time.monotonic() + 10
            while proc.poll() is None and time.monotonic() < limit:
                if folder.is_dir() and any(n.endswith(".md") for n in os.listdir(folder)):
                    break
                time.sleep(0.0005)
            time.sleep(rng.uniform(0.0, 0.05))
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            queue = FileQueue(cwd / "queue")
            items, problems = queue.load()
            assert problems == []
            before = len(items)
            assert all(len(li.item.posts) >= 3 for li in items)
            done = cli(
                cwd, "enqueue", str(EXAMPLE), "--queue", "queue", "--now", "2025-05-20T08:00"
            )
            assert done.returncode == 0, done.stderr
            assert f"{18 - before} added, {before} already queued" in done.stdout
            assert len(queue.paths()) == 18
            assert not [n for n in os.listdir(queue.root) if n.startswith(TMP_PREFIX)]


@pytest.fixture
def queue_dir(tmp_path: Path) -> Path:
    done = cli(tmp_path, "enqueue", str(EXAMPLE), "--queue", "queue", "--now", "2025-05-20T08:00")
    assert done.returncode == 0, done.stderr
    return tmp_path / "queue"


class TestBusy:
    """A run while the queue is locked exits 1, says the queue is busy, and changes nothing."""

    def test_run_while_locked_in_process(self, queue_dir: Path) -> None:
        """A real ``publisher`` run (credentials set) meets the lock before building any adapter."""
        before = snapshot(queue_dir)
        with FileQueue(queue_dir).lock():
            done = cli(
                queue_dir.parent,
                "--queue",
                "queue",
                "--now",
                "2025-05-20T09:00",
                **FAKE_CREDENTIALS,
            )
        assert done.returncode == 1, (done.stdout, done.stderr)
        assert "busy" in done.stderr
        assert "another publisher run holds its lock" in done.stderr
        assert done.stdout == ""
        assert snapshot(queue_dir) == before

    def test_commands_while_held_by_another_process(self, queue_dir: Path) -> None:
        """While another process holds the lock, runs and queue commands are refused; when it
        dies (SIGKILL), the lock is free again. Read-only commands never wait for the lock."""
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(queue_dir)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=quiet_env(),
        )
        try:
            assert holder.stdout is not None
            assert holder.stdout.readline() == "locked\n"
            with pytest.raises(QueueBusy):
                FileQueue(queue_dir).lock().__enter__()
            before = snapshot(queue_dir)
            cwd = queue_dir.parent
            for args in (
                ("--queue", "queue", "--now", "2025-05-20T09:00"),
                ("enqueue", str(EXAMPLE), "--queue", "queue"),
                (
                    "hold",
                    "2025-05-20-mean-flows-for-one-step-generative-modeling.x",
                    "--queue",
                    "queue",
                ),
            ):
                done = cli(cwd, *args, **FAKE_CREDENTIALS)
                assert done.returncode == 1, (args, done.stdout, done.stderr)
                assert "is busy" in done.stderr
            dry = cli(cwd, "--dry-run", "--queue", "queue", "--now", "2025-05-20T09:00")
            assert dry.returncode == 0, dry.stderr
            assert "Next:" in dry.stdout
            assert cli(cwd, "status", "--queue", "queue").returncode == 0
            assert snapshot(queue_dir) == before
        finally:
            holder.send_signal(signal.SIGKILL)
            holder.wait(timeout=10)
            if holder.stdout is not None:
                holder.stdout.close()
            if holder.stderr is not None:
                holder.stderr.close()
        done = cli(
            queue_dir.parent,
            "hold",
            "2025-05-20-mean-flows-for-one-step-generative-modeling.x",
            "--queue",
            "queue",
        )
        assert done.returncode == 0, done.stderr
        assert "pending -> held" in done.stdout
