"""Every file under digests/ is accounted for: one that is not read is named, with why and the
extensions that are read."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import EXAMPLE
from tests.publisher_cli import run_publisher


def test_a_digest_saved_as_md_is_named(tmp_path: Path) -> None:
    digests = tmp_path / "digests"
    (digests / "old").mkdir(parents=True)
    shutil.copy(EXAMPLE, digests / "2025-05-20.md")
    (digests / "old" / "notes").write_text("scratch\n", encoding="utf-8")
    (digests / "README.md").write_text("how to write a digest\n", encoding="utf-8")
    (digests / ".draft.md").write_text("hidden\n", encoding="utf-8")
    done = run_publisher(
        "enqueue", "digests", "--now", "2025-05-20T08:00", "--summary", "s.md", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    notes = [line for line in done.stdout.splitlines() if line.startswith("note: ")]
    assert notes == [
        "note: digests/2025-05-20.md: not read, its extension '.md': only .txt and .toml files "
        "are digests (rename it to queue it)",
        "note: digests/old/notes: not read, it has no extension: only .txt and .toml files "
        "are digests (rename it to queue it)",
    ]
    assert "digests/2025-05-20.md: not read" in (tmp_path / "s.md").read_text(encoding="utf-8")
    shutil.move(digests / "2025-05-20.md", digests / "2025-05-20.txt")
    again = run_publisher("enqueue", "digests", "--now", "2025-05-20T08:00", cwd=tmp_path)
    assert "18 added" in again.stdout and "2025-05-20" not in "".join(
        line for line in again.stdout.splitlines() if line.startswith("note: ")
    )
