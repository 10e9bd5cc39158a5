"""The project root is found from any folder below it, as git finds its work tree: the nearest
folder holding config/publisher.toml or queue/; commands say which root they use."""

from __future__ import annotations

import shutil
from pathlib import Path

from publisher.project import project_root
from publisher.store.filequeue import FileQueue
from publisher.sweep import read_enqueued
from tests.conftest import EXAMPLE
from tests.publisher_cli import run_publisher

NOW = "2025-05-20T08:00"


def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "config").mkdir(parents=True)
    (root / "config" / "publisher.toml").write_text('platforms = ["bluesky"]\n', "utf-8")
    (root / "digests" / "2025").mkdir(parents=True)
    shutil.copy(EXAMPLE, root / "digests" / "2025" / "2025-05-20.txt")
    return root


def test_enqueue_and_status_from_a_subfolder(tmp_path: Path) -> None:
    root = project(tmp_path)
    below = root / "digests" / "2025"
    done = run_publisher("enqueue", "2025-05-20.txt", "--now", NOW, cwd=below)
    assert done.returncode == 0, done.stderr
    assert f"publisher: project root {root} (the working folder is below it)" in done.stderr
    assert not (below / "queue").exists() and not (root / "digests" / "queue").exists()
    queue = FileQueue(root / "queue")
    assert {p.name.rsplit(".", 2)[1] for p in queue.paths()} == {"bluesky"}  # the root's config
    # the ledger names the digest from the root, as due.py and the sweep read it
    assert set(read_enqueued(queue)) == {"digests/2025/2025-05-20.txt"}
    again = run_publisher("enqueue", "../../digests", "--now", NOW, cwd=below)
    assert "0 added" in again.stdout and "1 unchanged" in again.stdout
    status = run_publisher("status", "--now", NOW, cwd=root / "digests")
    assert status.returncode == 0, status.stderr
    assert "9 threads, 9 pending" in status.stdout
    assert f"project root {root}" in status.stderr


def test_at_the_root_nothing_is_said(tmp_path: Path) -> None:
    root = project(tmp_path)
    done = run_publisher("enqueue", "digests", "--now", NOW, cwd=root)
    assert done.returncode == 0 and "project root" not in done.stderr


def test_a_queue_named_from_the_subfolder_is_the_subfolder_s(tmp_path: Path) -> None:
    root = project(tmp_path)
    below = root / "digests"
    (below / "other").mkdir()
    done = run_publisher("status", "--queue", "other", "--now", NOW, cwd=below)
    assert done.returncode == 0, done.stderr
    assert "0 threads" in done.stdout


def test_nearest_marker_wins(tmp_path: Path) -> None:
    (tmp_path / "queue").mkdir()
    inner = tmp_path / "a" / "b"
    (inner / "queue").mkdir(parents=True)
    assert project_root(inner) == inner
    assert project_root(tmp_path / "a") == tmp_path
