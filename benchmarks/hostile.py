"""Benchmark part 9, hostile and large input (issue 11): ``enqueue`` of 10,000 entries, and what
reading a 50 MB digest (refused by size) and a 5 MB digest of blank lines cost in time and memory.

Each figure comes from a fresh ``publisher`` process; memory is its peak resident set
(``ru_maxrss`` from ``wait4``).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from corpus import DATE, make_corpus

from publisher.digest import MAX_DIGEST_BYTES, format_digest_text
from publisher.models import Digest

GOAL_ENQUEUE_S = 30.0
GOAL_BIG_MB = 200.0
PER_FILE = 2000  # entries per digest file: each stays under the digest size limit


def measure(argv: Sequence[str], cwd: Path) -> tuple[float, float, int, str]:
    """Wall seconds, peak memory (MB), exit code and the last stderr line of one process."""
    # A small Python starts the command and reports its children's peak: a child forked from
    # this (large) benchmark process would count the parent's pages in its own peak.
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _PEAK, *argv],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    took = time.perf_counter() - began
    *lines, peak = done.stderr.strip().splitlines()
    return took, int(peak) / 1024, done.returncode, lines[-1] if lines else ""


_PEAK = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:], check=False).returncode\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def hostile(rep: Any, cli: list[str], scratch: Path, count: int) -> None:
    rep.heading("9. Hostile and large input")
    folder = scratch / "hostile"
    folder.mkdir()
    # The corpus repeats arXiv ids after a few thousand entries: give each entry its own.
    corpus = [
        entry.model_copy(update={"url": f"https://arxiv.org/abs/2501.{n:05d}"})
        for n, entry in enumerate(make_corpus(count))
    ]
    names = []
    for start in range(0, count, PER_FILE):
        digest = Digest(date=DATE, entries=corpus[start : start + PER_FILE])
        name = f"digest-{start // PER_FILE:02d}.txt"
        (folder / name).write_text(format_digest_text(digest), encoding="utf-8")
        names.append(name)
    sizes = [(folder / n).stat().st_size for n in names]
    took, peak, code, last = measure([*cli, "enqueue", *names, "--now", "2025-05-20T08:00"], folder)
    files = len(list((folder / "queue").glob("*.md")))
    rep.say(
        f"`publisher enqueue` of {count:,} entries in {len(names)} digests "
        f"({max(sizes) / 1e6:.1f} MB at most each): {took:.1f} s, {peak:.0f} MB peak, "
        f"exit {code}, {files:,} queue files (both platforms). {last}"
    )
    rep.goal(f"enqueue {count:,} entries", f"< {GOAL_ENQUEUE_S:.0f} s", f"{took:.1f} s",
             code == 0 and took < GOAL_ENQUEUE_S)  # fmt: skip

    rows = []
    big = folder / "big.txt"
    with big.open("wb") as handle:
        handle.write(b"\n" * (50 * 1024 * 1024))
    took, peak, code, last = measure([*cli, "check", str(big)], folder)
    rows.append(("50 MB of blank lines", f"{took:.2f} s", f"{peak:.0f} MB", code, last))
    rep.goal("check of a 50 MB digest", f"< {GOAL_BIG_MB:.0f} MB or refused",
             f"{peak:.0f} MB, exit {code}", peak < GOAL_BIG_MB)  # fmt: skip
    under = folder / "under.txt"
    under.write_bytes(b"\n" * (MAX_DIGEST_BYTES - 1))
    took, peak, code, last = measure([*cli, "check", str(under)], folder)
    rows.append(("5 MB of blank lines (under the limit)", f"{took:.2f} s", f"{peak:.0f} MB",
                 code, last))  # fmt: skip
    rep.goal("check of a 5 MB digest", f"< {GOAL_BIG_MB:.0f} MB", f"{peak:.0f} MB",
             peak < GOAL_BIG_MB)  # fmt: skip
    rep.table(["input", "wall", "peak memory", "exit", "message"], rows)
