"""Benchmarks of `publisher`: one command, `python benchmarks/run.py`, run from anywhere.

Prints every figure as it goes and writes ``benchmarks/RESULTS.md`` (the machine, the figures,
each goal met or not and, when not, what limits it). Nine parts:

1. cold start of ``publisher --dry-run examples/digest-2025-05-20.txt`` beside
   ``python -c "import pydantic"`` and ``python -c "import atproto"`` (fresh processes, medians);
2. formatter throughput over a seeded synthetic corpus (``corpus.py``), on one core, and its
   growth with the length of the comments (1x, 4x, 16x);
3. compactness of the threads of that corpus against lower bounds on the number of posts;
4. ``publisher status`` and ``publisher --dry-run`` over a queue of 10,000 files;
5. posting through the real adapters with ``runner.run``: X against ``FakeXServer``, Bluesky
   against the real local PDS (``tools/local-pds``) behind ``FaultProxy``;
6. the idle run: ``publisher/due.py`` over 200 open files beside ``pip install`` into a fresh
   virtualenv (warm pip cache), and the billed minutes a month they imply;
7. ``status`` and ``--dry-run`` over 200 open files with 20,000 archived (and 400 open, and no
   archive, to show what the time grows with);
8. ``publisher enqueue`` of digests of 10,000 entries (20,000 queue files);
9. hostile and large input (``hostile.py``): enqueue of 10,000 entries in digests under
   the size limit, a 50 MB digest (refused) and a 5 MB one of blank lines.

Needs only ``pip install -e '.[test]'``; the PDS installs itself on first start (Node 22, about
5 minutes once). ``--skip-pds`` leaves the Bluesky part out; ``--quick`` runs smaller sizes (for
trying the script; its RESULTS.md says so).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import math
import os
import platform
import pstats
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from corpus import entry_chars, make_corpus
from hostile import hostile
from pydantic import SecretStr

from publisher import runner
from publisher.config import FormatSettings, RetrySettings, ScheduleSettings, Settings
from publisher.formatter import format_thread, format_threads
from publisher.models import DigestEntry, Thread
from publisher.platforms import rules_for
from publisher.platforms.base import Adapter, PostRef, Rules, Slot
from publisher.platforms.x import XCredentials
from publisher.store.fileformat import render
from publisher.store.filequeue import FileQueue
from publisher.store.model import PostRecord, QueueItem, text_sha
from publisher.testing.clock import FakeClock

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
EXAMPLE = REPO / "examples" / "digest-2025-05-20.txt"
RESULTS = HERE / "RESULTS.md"
PLATFORMS = ("x", "bluesky")

GOAL_COLD_RATIO = 3.0  # dry run / import pydantic
GOAL_HELP_RATIO = 2.0  # --help and --version / import pydantic
GOAL_ENTRIES_PER_S = 2000.0
GOAL_QUEUE_S = 1.0
GOAL_ARCHIVE_S = 0.3  # status / --dry-run over 200 open files with 20,000 archived
GOAL_ENQUEUE_S = 30.0  # enqueue of 10,000 entries
GOAL_RUNS_PER_DAY = 10
LINEAR_TOLERANCE = 1.5  # µs per 1,000 chars at 16x within 1.5x of 1x counts as linear

QUEUE_NOW = "2025-08-01T12:00:00+09:00"
# The last evening of a month: the dry run reads this month's archive folder (today's posts count
# against the daily budget), and it is fullest now.
SCALE_NOW = "2025-07-31T21:00:00+09:00"


class Report:
    """Collects the Markdown of RESULTS.md while printing the same figures to the terminal."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.goals: list[tuple[str, str, str, bool | None]] = []

    def heading(self, text: str) -> None:
        print(f"\n== {text}", flush=True)
        self.lines += ["", f"## {text}", ""]

    def say(self, text: str = "") -> None:
        print(text, flush=True)
        self.lines.append(text)

    def md(self, text: str) -> None:
        """Only in RESULTS.md (tables, notes)."""
        self.lines.append(text)

    def table(self, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        cells = [[str(c) for c in header], *[[str(c) for c in row] for row in rows]]
        widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
        for k, row in enumerate(cells):
            print("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
            if k == 0:
                print("  " + "  ".join("-" * w for w in widths))
        if self.lines and self.lines[-1]:
            self.lines.append("")
        self.lines.append("| " + " | ".join(cells[0]) + " |")
        self.lines.append("|" + "|".join("---" for _ in header) + "|")
        self.lines.extend("| " + " | ".join(row) + " |" for row in cells[1:])
        self.lines.append("")
        flush()

    def code(self, text: str) -> None:
        print(text, flush=True)
        self.lines += ["```", text.rstrip("\n"), "```", ""]

    def goal(self, name: str, target: str, measured: str, met: bool | None) -> None:
        self.goals.append((name, target, measured, met))
        verdict = {True: "met", False: "NOT MET", None: "not measured"}[met]
        print(f"  goal: {name}: {target}; measured {measured} -> {verdict}", flush=True)


def flush() -> None:
    sys.stdout.flush()


# ---- the machine ------------------------------------------------------------------------------


def machine() -> list[tuple[str, str]]:
    cpu = "unknown"
    with_cpuinfo = Path("/proc/cpuinfo")
    if with_cpuinfo.exists():
        for line in with_cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    os_name = platform.platform()
    release = Path("/etc/os-release")
    if release.exists():
        for line in release.read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = f"{line.split('=', 1)[1].strip(chr(34))} ({platform.platform()})"
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    commit = _git("rev-parse", "--short", "HEAD")
    if commit and _git("status", "--porcelain", "--untracked-files=no"):
        commit += " (with uncommitted changes)"
    return [
        ("CPU", cpu),
        ("cores", f"{os.cpu_count()} logical, {usable} usable by this process"),
        ("memory", memory),
        ("Python", f"{platform.python_version()} ({platform.python_implementation()})"),
        ("OS", os_name),
        ("date", dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("commit", commit or "unknown"),
    ]


def _git(*args: str) -> str:
    git = shutil.which("git")
    if not git:
        return ""
    done = subprocess.run(
        [git, *args], cwd=REPO, capture_output=True, text=True, check=False, timeout=30
    )
    return done.stdout.strip() if done.returncode == 0 else ""


# ---- helpers ----------------------------------------------------------------------------------


def publisher_command() -> list[str]:
    """The installed console script next to this interpreter (not a shim), else `-m publisher`."""
    script = Path(sys.executable).parent / "publisher"
    if script.is_file():
        return [str(script)]
    found = shutil.which("publisher")
    return [found] if found else [sys.executable, "-m", "publisher"]


def wall(argv: Sequence[str], *, ok: Sequence[int] = (0,)) -> float:
    """Wall time of one fresh process, stdout to /dev/null; fails loudly on an unexpected exit."""
    began = time.perf_counter()
    done = subprocess.run(
        list(argv), cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
    )
    took = time.perf_counter() - began
    if done.returncode not in ok:
        tail = done.stderr.decode(errors="replace")[-2000:]
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}:\n{tail}")
    return took


def medians(commands: dict[str, list[str]], runs: int, warmup: int = 1) -> dict[str, list[float]]:
    """Run the commands round-robin (so drift hits all alike); every wall time per command."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for k in range(warmup + runs):
        for name, argv in commands.items():
            took = wall(argv)
            if k >= warmup:
                times[name].append(took)
    return times


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def top_functions(profile: pstats.Stats, key: str, count: int) -> str:
    out = io.StringIO()
    profile.stream = out  # type: ignore[attr-defined]
    profile.strip_dirs().sort_stats(key).print_stats(count)
    lines = out.getvalue().splitlines()
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    return "\n".join(line for line in lines[start:] if line.strip())


def import_breakdown(argv: list[str]) -> tuple[list[tuple[str, int, int]], int]:
    """(module, self µs, cumulative µs) of the top-level imports of one run, and their sum."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *argv],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    rows: list[tuple[str, int, int]] = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        try:
            own, cumulative, name = line.removeprefix("import time:").split("|")
            rows.append((name.rstrip(), int(own), int(cumulative)))
        except ValueError:
            continue  # the header line
    top = [(n.strip(), o, c) for n, o, c in rows if not n.startswith("  ")]
    return top, sum(c for _, _, c in top)


# ---- 1. cold start ----------------------------------------------------------------------------


def cold_start(rep: Report, runs: int) -> None:
    rep.heading("1. Cold start")
    cli = publisher_command()
    py = sys.executable
    dry = [*cli, "--dry-run", str(EXAMPLE.relative_to(REPO))]
    commands = {
        "python -c pass": [py, "-c", "pass"],
        'python -c "import pydantic"': [py, "-c", "import pydantic"],
        'python -c "import atproto"': [py, "-c", "import atproto"],
        "publisher --dry-run examples/digest-2025-05-20.txt": dry,
        "publisher --help": [*cli, "--help"],
        "publisher --version": [*cli, "--version"],
    }
    rep.say(
        f"Fresh processes, stdout to /dev/null, cwd = the repository; {runs} runs each after one "
        f"warm-up, round-robin; `publisher` is `{cli[0]}`."
    )
    times = medians(commands, runs)
    rows = []
    for name, values in times.items():
        rows.append(
            (
                f"`{name}`",
                ms(statistics.median(values)),
                ms(min(values)),
                ms(max(values)),
            )
        )
    rep.say()
    rep.table(["command", "median", "min", "max"], rows)
    med = {name: statistics.median(values) for name, values in times.items()}
    dry_s = med["publisher --dry-run examples/digest-2025-05-20.txt"]
    pyd_s = med['python -c "import pydantic"']
    ratio = dry_s / pyd_s
    rep.goal(
        "cold start", "dry run <= 3x `import pydantic`", f"{ratio:.2f}x", ratio <= GOAL_COLD_RATIO
    )
    for flag in ("--help", "--version"):
        quick = med[f"publisher {flag}"] / pyd_s
        rep.goal(
            f"`publisher {flag}`",
            f"<= {GOAL_HELP_RATIO:.0f}x `import pydantic`",
            f"{quick:.2f}x",
            quick <= GOAL_HELP_RATIO,
        )
    atproto_s = med['python -c "import atproto"']
    rep.say(
        f"Dry run / import pydantic = **{ratio:.2f}x** (goal <= {GOAL_COLD_RATIO:.0f}x); "
        f"dry run / import atproto = {dry_s / atproto_s:.2f}x."
    )

    # Where the time of a dry run goes: interpreter, pydantic, publisher's modules, the work.
    probe = (
        "import time, io, contextlib\n"
        "t0 = time.perf_counter()\n"
        "import pydantic\n"
        "t1 = time.perf_counter()\n"
        "import publisher.config\n"
        "t2 = time.perf_counter()\n"
        "import publisher.cli, publisher.digest, publisher.formatter, publisher.platforms\n"
        "t3 = time.perf_counter()\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    code = publisher.cli.main(['--dry-run', {str(EXAMPLE)!r}])\n"
        "t4 = time.perf_counter()\n"
        "print(t1 - t0, t2 - t1, t3 - t2, t4 - t3, code)\n"
    )
    splits = []
    for _ in range(runs):
        out = subprocess.run(
            [py, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.split()
        splits.append([float(v) for v in out[:4]])
    pyd, config, rest, work = (statistics.median(s[k] for s in splits) for k in range(4))
    bare = med["python -c pass"]
    rep.say()
    rep.say(f"Where the {ms(dry_s)} of the dry run go (in-process split, median of {runs}):")
    rep.table(
        ["step", "time"],
        [
            ("interpreter start (`python -c pass`)", ms(bare)),
            ("`import pydantic` (lazy: no model machinery yet)", ms(pyd)),
            ("`import publisher.config` (first pydantic models: builds their schemas)", ms(config)),
            ("the other modules (cli, digest, models, formatter, platforms)", ms(rest)),
            ("the work: read, validate, format 10 entries x 2 platforms, print", ms(work)),
        ],
    )
    top, _ = import_breakdown(["-m", "publisher", *dry[len(cli) :]])
    top.sort(key=lambda r: -r[2])
    rep.say("Heaviest top-level imports of the dry run (`python -X importtime`):")
    rep.table(
        ["module", "cumulative", "self"],
        [(f"`{n}`", f"{c / 1000:.1f} ms", f"{o / 1000:.1f} ms") for n, o, c in top[:8]],
    )
    if ratio > GOAL_COLD_RATIO:
        budget = GOAL_COLD_RATIO * pyd_s
        rep.say(
            f"**Goal not met.** The goal allows {ms(budget)}; the dry run takes {ms(dry_s)}. "
            f"What limits it: `import pydantic` alone is lazy ({ms(pyd)}), but the first "
            f"`BaseModel` classes (`publisher.config`: settings; then `publisher.models`, "
            f"`publisher.digest`) pull in pydantic's model machinery, `annotated_types`, the "
            f"plugin loader (`importlib.metadata`) and build every schema: {ms(config)} for "
            f"`publisher.config` and {ms(rest)} for the other modules, against {ms(work)} of "
            "actual work. Meeting the goal would mean keeping pydantic models off the dry-run "
            "path, but the digest entries are validated by pydantic models by design (issue 2), "
            "so the floor is pydantic's first-model cost; shaving the work alone cannot."
        )


# ---- 2. formatter throughput ------------------------------------------------------------------


def pin_one_core() -> Callable[[], None]:
    """Run on a single core; returns how to undo it."""
    if not hasattr(os, "sched_setaffinity"):
        return lambda: None
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(before)})
    return lambda: os.sched_setaffinity(0, before)


def format_all(
    entries: list[DigestEntry], rules: dict[str, Any], options: FormatSettings
) -> tuple[dict[str, float], dict[str, list[Thread]]]:
    """Seconds per platform for formatting every entry, and the threads."""
    seconds: dict[str, float] = {}
    threads: dict[str, list[Thread]] = {}
    for name in PLATFORMS:
        platform_rules = rules[name]
        began = time.perf_counter()
        threads[name] = [format_thread(e, platform_rules, options) for e in entries]
        seconds[name] = time.perf_counter() - began
    return seconds, threads


def throughput(
    rep: Report, size: int, growth_size: int
) -> tuple[list[DigestEntry], dict[str, list[Thread]]]:
    rep.heading("2. Formatter throughput")
    options = FormatSettings()
    rules = rules_for(Settings())
    began = time.perf_counter()
    corpus = make_corpus(size)
    made = time.perf_counter() - began
    chars = [entry_chars(e) for e in corpus]
    authors = [len(e.authors) for e in corpus]
    paragraphs = [len(e.comment_ko) for e in corpus]
    rep.say(
        f"Synthetic corpus (`benchmarks/corpus.py`, seed 20250520): {size} entries, generated in "
        f"{made:.1f} s (not timed below); per entry {statistics.mean(chars):.0f} characters on "
        f"average (min {min(chars)}, max {max(chars)}: title, authors, URL, both comments, "
        f"tags), {min(authors)}-{max(authors)} authors, {min(paragraphs)}-{max(paragraphs)} "
        "paragraphs per comment, URLs and emoji in the comments, hashtags with '-'. Default "
        "format settings (sections layout, fraction numbering)."
    )
    undo = pin_one_core()
    try:
        seconds, threads = format_all(corpus, rules, options)
        both = [rules[name] for name in PLATFORMS]
        began = time.perf_counter()
        for entry in corpus:
            format_threads(entry, both, options)
        total = time.perf_counter() - began
    finally:
        undo()
    rate = size / total
    rows = [
        (name, f"{seconds[name]:.2f} s", f"{size / seconds[name]:.0f}",
         f"{sum(len(t.posts) for t in threads[name]) / size:.1f}")
        for name in PLATFORMS
    ]  # fmt: skip
    rows.append(("both (`format_threads`, x + bluesky)", f"{total:.2f} s", f"{rate:.0f}", ""))
    rep.say(
        "One process pinned to one core (`sched_setaffinity`): `format_thread` per entry and "
        "platform, then `format_threads` per entry for both platforms at once (what `enqueue` "
        "and the dry run use; the words are cut once for both):"
    )
    rep.table(["platform", "time", "entries/s", "posts/thread"], rows)
    rep.goal(
        "formatter throughput",
        f">= {GOAL_ENTRIES_PER_S:.0f} entries/s (both platforms)",
        f"{rate:.0f} entries/s",
        rate >= GOAL_ENTRIES_PER_S,
    )

    rep.say()
    rep.say(
        f"Growth with the comments' length: the first {growth_size} entries of the corpus with "
        "every comment paragraph 1x, 4x and 16x as many sentences (same titles, authors, tags), "
        "both platforms, one core:"
    )
    undo = pin_one_core()
    rows = []
    per_kchar: dict[int, float] = {}
    try:
        for scale in (1, 4, 16):
            entries = make_corpus(growth_size, scale=scale)
            n_chars = sum(entry_chars(e) for e in entries)
            took, made_threads = format_all(entries, rules, options)
            spent = sum(took.values())
            per_kchar[scale] = spent / n_chars * 1e6 * 1000
            posts = [len(t.posts) for name in PLATFORMS for t in made_threads[name]]
            rows.append(
                (
                    f"{scale}x",
                    f"{n_chars / growth_size:.0f}",
                    f"{statistics.mean(posts):.1f}",
                    f"{growth_size / spent:.1f}",
                    f"{per_kchar[scale]:.0f} µs",
                )
            )
    finally:
        undo()
    rep.table(["comments", "chars/entry", "posts/thread", "entries/s", "per 1,000 chars"], rows)
    growth = per_kchar[16] / per_kchar[1]
    linear = growth <= LINEAR_TOLERANCE
    rep.say(
        f"Time per character at 16x is {growth:.2f}x that at 1x (4x: "
        f"{per_kchar[4] / per_kchar[1]:.2f}x): growth is "
        + (
            f"**linear** (time per character roughly constant, within {LINEAR_TOLERANCE}x)."
            if linear
            else f"**not linear** (time per character grows by more than {LINEAR_TOLERANCE}x)."
        )
    )
    rep.goal("linear growth", f"16x/1x time per char <= {LINEAR_TOLERANCE}", f"{growth:.2f}",
             linear)  # fmt: skip
    if rate < GOAL_ENTRIES_PER_S or not linear:
        profile_formatter(rep, corpus[: min(100, size)], rules, options, rate, growth)
    return corpus, threads


def profile_formatter(
    rep: Report,
    entries: list[DigestEntry],
    rules: dict[str, Any],
    options: FormatSettings,
    rate: float,
    growth: float,
) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for entry in entries:
        for name in PLATFORMS:
            format_thread(entry, rules[name], options)
    profiler.disable()
    stats = pstats.Stats(profiler)
    calls = {
        func[2]: (cc, tt)
        for func, (cc, _nc, tt, _ct, _callers) in stats.stats.items()  # type: ignore[attr-defined]
    }
    measure_calls = calls.get("measures", (0, 0.0))[0]
    passes = calls.get("_pack", (0, 0.0))[0]
    threads = len(entries) * len(PLATFORMS)
    rep.say()
    rep.say(
        f"What limits it (cProfile over {len(entries)} entries x 2 platforms; the profiler "
        f"roughly doubles the times): `Rules.measures` runs {measure_calls / threads:.0f} "
        f"times per thread (once per distinct word) and the packer {passes / threads:.1f} times "
        "per thread (once per section, again for every section when a thread passes 9 posts "
        "and its numbers need a second digit). The time is spread over pure-Python work per "
        "word: cutting the comments into words, measuring each word, and choosing breaks."
    )
    rep.code(top_functions(stats, "tottime", 14))
    rep.lines.append("")
    rep.say(
        f"Reading: the goal needs {GOAL_ENTRIES_PER_S / rate:.1f}x the measured rate "
        f"({rate:.0f}/s); time per character at 16x is {growth:.2f}x that at 1x."
    )


# ---- 3. compactness ---------------------------------------------------------------------------


def _lower(measures: Sequence[int], caps: Sequence[int]) -> int:
    """Fewest posts that can hold text of these measures, cut at breaks that drop >= 1 unit.

    k posts of capacity c hold at most k*c units, and each of the k-1 cuts drops at least the one
    separator it falls on, so k*c >= m - (k-1), i.e. k >= (m + 1) / (c + 1).
    """
    return max(1, *(math.ceil((m + 1) / (c + 1)) for m, c in zip(measures, caps, strict=True)))


def _sections_text(entry: DigestEntry, rules: Rules, caps: Sequence[int]) -> list[str]:
    """Header, Korean comment, English comment, as the formatter joins them (before cutting).

    The header keeps every author when it fits in one post of capacity ``caps``; otherwise the
    formatter shortens the list with "et al.", and the bound takes the shortest such header (the
    first author + "et al.").
    """
    tags = " ".join(rules.hashtag(" ".join(t.split())) for t in entry.hashtags)

    def header(names: list[str]) -> str:
        lines = [entry.title, ", ".join(names)]
        if entry.url:
            lines.append(entry.url)
        lines.append(tags)
        return "\n".join(" ".join(line.split()) for line in lines)

    full = header(list(entry.authors))
    if any(m > c for m, c in zip(rules.measures(full), caps, strict=True)):
        full = header([entry.authors[0] + (" et al." if len(entry.authors) > 1 else "")])
    korean = "\n\n".join(" ".join(p.split()) for p in entry.comment_ko)
    english = "\n\n".join(" ".join(p.split()) for p in entry.comment_en)
    return [full, korean, english]


def compactness(rep: Report, corpus: list[DigestEntry], threads: dict[str, list[Thread]]) -> None:
    rep.heading("3. Compactness")
    rep.say(
        "For every thread of part 2, its posts P against two lower bounds, with the platform's "
        "own measures (X: weighted length, limit 280; Bluesky: graphemes <= 300 and UTF-8 "
        "bytes <= 3000, URLs as displayed, each measure bounded separately, the larger bound "
        "taken). A section's *measured length* m is the measure of its text joined as one "
        "post would hold it: the header (title, authors, URL, hashtags on their lines; authors "
        'cut to the first name + "et al." when the full list does not fit in one post with '
        "its number, as the formatter then shortens it), the Korean comment and the English "
        "comment (paragraphs separated by a blank line). Since every cut falls on a separator "
        "that is dropped, k posts of capacity c can hold m only if k >= (m + 1) / (c + 1)."
    )
    rep.say()
    rep.say(
        "- **whole-thread bound** = that bound for m = the sum over the three sections and "
        "c = the platform limit (no numbering): no layout can use fewer posts;"
    )
    rep.say(
        "- **section bound** = the sum over the sections of each section's own bound, with "
        "c = the limit minus the numbering suffix (`\\nN/N`, N the thread's post count): the "
        "fewest posts given that the header, the Korean and the English comment each start a "
        "new post (by design) and every post carries its number."
    )
    rows = []
    means: dict[str, tuple[float, float]] = {}
    for name in PLATFORMS:
        rules = rules_for(Settings())[name]
        dims = len(rules.limits)
        ex_whole: list[int] = []
        ex_sections: list[int] = []
        for entry, thread in zip(corpus, threads[name], strict=True):
            posts = len(thread.posts)
            suffix = rules.measures(f"\n{posts}/{posts}") if posts > 1 else (0,) * dims
            caps = [lim - s for lim, s in zip(rules.limits, suffix, strict=True)]
            texts = _sections_text(entry, rules, caps)
            measured = [rules.measures(t) for t in texts]
            total = [sum(col) for col in zip(*measured, strict=True)]
            whole = _lower(total, rules.limits)
            by_section = sum(_lower(m, caps) for m in measured)
            ex_whole.append(posts - whole)
            ex_sections.append(posts - by_section)
        means[name] = (statistics.mean(ex_whole), statistics.mean(ex_sections))
        for label, excess in (("whole-thread", ex_whole), ("section", ex_sections)):
            rows.append(
                (
                    name,
                    label,
                    f"{statistics.mean(excess):.2f}",
                    str(max(excess)),
                    f"{sum(1 for e in excess if e == 0) / len(excess):.1%}",
                    str(sum(1 for e in excess if e < 0)),
                )
            )
    rep.table(["platform", "bound", "mean excess", "max excess", "at the bound", "below (!)"], rows)
    split = "; ".join(
        f"{name}: {whole - section:.2f} of {whole:.2f} posts come from the section rule and "
        f"numbering, {section:.2f} from the packer"
        for name, (whole, section) in means.items()
    )
    rep.say(
        f"Excess = P - bound, in posts ({split}). What the packer spends beyond the section "
        "bound is its choice of breaks (it takes one post more than the fewest when that lets "
        "every post end at a sentence or paragraph end) and URLs and hashtags kept whole. A "
        "thread below a bound would mean the bound is wrong."
    )


# ---- 3b. the compact layout -------------------------------------------------------------------

GOAL_COMPACT_EXCESS = 0.25  # posts per thread above the whole-thread bound, on average


def _stressed(entry: DigestEntry, n: int) -> DigestEntry:
    """The entry made harder, in turn: 30 authors; Korean without sentence marks; long URLs."""
    if n % 3 == 0:
        authors = [f"{a} {i}" for i in range(3) for a in entry.authors][:30]
        return entry.model_copy(update={"authors": authors})
    if n % 3 == 1:
        flat = [p.replace(". ", " 그리고 ").replace(".", "") for p in entry.comment_ko]
        return entry.model_copy(update={"comment_ko": flat})
    long_url = "https://github.com/some-lab/" + "very-long-repository-name-" * 4 + f"{n}/tree/main"
    english = [f"{p} Code: {long_url}" for p in entry.comment_en]
    return entry.model_copy(update={"comment_en": english})


def _compact_bound(entry: DigestEntry, rules: Rules, options: FormatSettings) -> int:
    """Each thread's measured length over the limit, rounded up (no numbering, no section rule).

    The header is measured as the compact layout shows it: at most ``max_authors`` names, and
    links as the platform writes them (on X, ``arXiv:ID`` under the default link policy).
    """
    from publisher.formatter import _inline_links  # the formatter's own rewrite, not a copy

    link = rules.link(entry.url) if entry.url else None
    entry = _inline_links(entry, rules)
    names = list(entry.authors)
    if options.max_authors and len(names) > options.max_authors:
        names = [*names[: options.max_authors - 1], names[options.max_authors - 1] + " et al."]
    tags = " ".join(rules.hashtag(" ".join(t.split())) for t in entry.hashtags)
    header = [entry.title, ", ".join(names), *([link] if link else []), tags]
    texts = [
        "\n".join(" ".join(line.split()) for line in header),
        *(" ".join(p.split()) for p in entry.comment_ko),
        *(" ".join(p.split()) for p in entry.comment_en),
    ]
    total = [sum(col) for col in zip(*(rules.measures(t) for t in texts), strict=True)]
    return _lower(total, rules.limits)


def compact_layout(rep: Report, corpus: list[DigestEntry]) -> None:
    from publisher.digest import read_digests

    rep.heading("3b. The compact layout")
    options = FormatSettings(layout="compact")
    rules = rules_for(Settings())
    example = [e for d in read_digests([EXAMPLE]) for e in d.entries]
    sets = {
        "example digest": example,
        "synthetic corpus": corpus,
        "corpus, stressed": [_stressed(e, n) for n, e in enumerate(corpus)],
    }
    rep.say(
        '`format.layout = "compact"` (default numbering, max_authors = 6) against the '
        "whole-thread bound: each thread's measured length (header with at most max_authors "
        "names, every paragraph) over the platform's limit, rounded up as in part 3. The "
        "stressed corpus makes every third entry carry 30 authors, every third a Korean comment "
        "without sentence marks, every third a 130-character URL in each English paragraph."
    )
    rows = []
    for label, entries in sets.items():
        for name in PLATFORMS:
            excess = []
            posts = bounds = 0
            for entry in entries:
                thread = format_thread(entry, rules[name], options)
                bound = _compact_bound(entry, rules[name], options)
                excess.append(len(thread.posts) - bound)
                posts += len(thread.posts)
                bounds += bound
            mean = statistics.mean(excess)
            rows.append(
                (label, name, len(entries), posts, bounds, f"{mean:.3f}", max(excess))
            )  # fmt: skip
            rep.goal(
                f"compact, {label}, {name}: posts above the bound",
                f"<= {GOAL_COMPACT_EXCESS} per thread",
                f"{mean:.3f}",
                mean <= GOAL_COMPACT_EXCESS and min(excess) >= 0,
            )
    rep.table(["threads of", "platform", "threads", "posts", "bound", "mean excess", "max"], rows)
    rep.say(
        "The bound ignores the two rules the layout keeps: each post carries its number "
        "(`\\nN/M`), and a paragraph that fits in a post is never cut, so a post ends early when "
        "the next paragraph does not fit in what is left. Most of the excess is the second rule: "
        "the same packer without it (any word boundary may end a post; measured once, by hand, "
        'before `[x] link = "id"`) gave 0.16 (X) and 0.07 (Bluesky) on 300 entries of the '
        "corpus, against 0.42 and 0.37."
    )


# ---- 4. the queue -----------------------------------------------------------------------------


def build_queue(root: Path, count: int, threads: dict[str, list[Thread]]) -> Counter[str]:
    """``count`` queue files written with ``render()``: realistic posts, mixed statuses."""
    rng = random.Random(7)
    start = dt.datetime(2025, 6, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    statuses: Counter[str] = Counter()
    root.mkdir(parents=True, exist_ok=True)
    pool = {name: [t.posts for t in threads[name] if len(t.posts) >= 3] for name in PLATFORMS}
    for n in range(count):
        name = PLATFORMS[n % 2]
        source = pool[name][(n // 2) % len(pool[name])]
        posts = list(source[: rng.randint(3, 6)])
        when = start + dt.timedelta(minutes=30 * (n // 2))
        roll = rng.random()
        status = (
            "posted" if roll < 0.6 else "pending" if roll < 0.9 else "failed" if roll < 0.95
            else "held"
        )  # fmt: skip
        item = QueueItem(
            id=f"2025-06-bench-paper-{n // 2:05d}",
            platform=name,
            title=f"Synthetic paper {n // 2}",
            source="digests/synthetic.txt",
            status=status,
            not_before=when,
            created=start - dt.timedelta(days=1),
            reason="post 2 of 5: x: 403 Forbidden" if status == "failed" else None,
            posts=posts,
        )
        if status == "posted":
            item.posted = [
                PostRecord(
                    post=i,
                    id=str(1_900_000_000_000_000_000 + n * 10 + i),
                    url=f"https://x.com/paperbot/status/{1_900_000_000_000_000_000 + n * 10 + i}",
                    uri=f"at://did:plc:bench/app.bsky.feed.post/3l{n:08d}{i}"
                    if name == "bluesky"
                    else None,
                    cid="bafyreib" + f"{n:020d}{i}" if name == "bluesky" else None,
                    at=when,
                    sha=text_sha(text),
                )
                for i, text in enumerate(posts, 1)
            ]
        statuses[status] += 1
        (root / item.filename).write_text(render(item), encoding="utf-8")
    return statuses


def queue_bench(
    rep: Report, count: int, threads: dict[str, list[Thread]], runs: int, scratch: Path
) -> None:
    rep.heading("4. Queue")
    root = scratch / "queue"
    began = time.perf_counter()
    statuses = build_queue(root, count, threads)
    built = time.perf_counter() - began
    size = sum(p.stat().st_size for p in root.iterdir())
    rep.say(
        f"{count} queue files written with `render()` in {built:.1f} s "
        f"({size / count / 1024:.1f} KiB each on average, 3-6 posts, statuses "
        + ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()))
        + f"); fresh processes, stdout to /dev/null, median of {runs} after one warm-up."
    )
    cli = publisher_command()
    commands = {
        "publisher status --queue DIR": [*cli, "status", "--queue", str(root)],
        f"publisher --dry-run --queue DIR --now {QUEUE_NOW}": [
            *cli, "--dry-run", "--queue", str(root), "--now", QUEUE_NOW,
        ],
    }  # fmt: skip
    times = medians(commands, runs)
    rows = []
    slow = []
    for name, values in times.items():
        median = statistics.median(values)
        rows.append((f"`{name}`", ms(median), f"{median / count * 1e6:.0f} µs", ms(min(values))))
        rep.goal(name.split(" --queue")[0], f"< {GOAL_QUEUE_S:.0f} s", f"{median:.2f} s",
                 median < GOAL_QUEUE_S)  # fmt: skip
        if median >= GOAL_QUEUE_S:
            slow.append((name, commands[name]))
    rep.table(["command", "median", "per file", "min"], rows)
    if slow:
        front_matter_costs(rep, root)
    for name, argv in slow:
        profile_out = scratch / "queue.prof"
        subprocess.run(
            [sys.executable, "-m", "cProfile", "-o", str(profile_out), "-m", "publisher",
             *argv[len(cli):]],
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
        )  # fmt: skip
        stats = pstats.Stats(str(profile_out))
        total = stats.total_tt  # type: ignore[attr-defined]
        by_name: dict[tuple[str, str], float] = {}
        for func, (_cc, _nc, _tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
            key = (Path(func[0]).name, func[2])
            by_name[key] = by_name.get(key, 0.0) + ct
        shares = [
            (label, sum(by_name.get(key, 0.0) for key in keys))
            for label, keys in (
                ("read_item (whole file)", [("fileformat.py", "read_item")]),
                ("yaml.load (front matter)", [("__init__.py", "load")]),
                ("QueueItem.model_validate", [("main.py", "model_validate")]),
                ("_posts (split the posts)", [("fileformat.py", "_posts")]),
                ("make_plan", [("runner.py", "make_plan")]),
                ("check_item (re-measure unsent posts)", [("runner.py", "check_item")]),
                ("payload (render unsent posts)", [("x.py", "payload"), ("bluesky.py", "payload")]),
                ("posts_today", [("schedule.py", "posts_today")]),
            )
        ]
        rep.say()
        rep.say(f"**`{name}` misses the goal.** cProfile (profiled total {total:.2f} s):")
        rep.table(
            ["where", "cumulative", "share"],
            [(w, f"{s:.2f} s", f"{s / total:.0%}") for w, s in shares if s > 0],
        )
        rep.code(top_functions(stats, "tottime", 12))


def front_matter_costs(rep: Report, root: Path, sample: int = 1000) -> None:
    """In-process per-file costs: read_item, and its front matter by the fast reader vs YAML."""
    import yaml

    from publisher.store.fileformat import _simple_front_matter, read_item

    paths = sorted(root.iterdir())[:sample]
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    split = []
    for path in paths:
        lines = path.read_text(encoding="utf-8").splitlines()
        split.append((lines, lines.index("---", 1)))
    began = time.perf_counter()
    for path in paths:
        read_item(path)
    whole = (time.perf_counter() - began) / len(paths)
    began = time.perf_counter()
    fast = [_simple_front_matter(lines, end) for lines, end in split]
    as_fast = (time.perf_counter() - began) / len(paths)
    began = time.perf_counter()
    for lines, end in split:
        yaml.load("\n".join(lines[1:end]), Loader=loader)  # noqa: S506 - CSafeLoader/SafeLoader
    as_yaml = (time.perf_counter() - began) / len(paths)
    fallbacks = sum(f is None for f in fast)
    rep.say(
        f"Per file, in-process over {len(paths)} of these files: `read_item` "
        f"{whole * 1e6:.0f} µs in all; its front matter read by the layout-specific reader in "
        f"{as_fast * 1e6:.0f} µs ({fallbacks} of {len(paths)} files needed YAML), where PyYAML "
        f"(`{loader.__name__}`) takes {as_yaml * 1e6:.0f} µs. At 10,000 files: "
        f"{whole * 1e4:.2f} s reading."
    )


# ---- 5. posting -------------------------------------------------------------------------------

NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)
X_SECRETS = {
    "api_key": "bench-consumer-key",
    "api_secret": "bench-consumer-secret",
    "access_token": "bench-access-token",
    "access_token_secret": "bench-token-secret",
}


class TimedAdapter:
    """Wraps an adapter to add up the time spent inside it (the HTTP side of a run)."""

    def __init__(self, inner: Adapter, spent: list[float]) -> None:
        self.inner = inner
        self.platform = inner.platform
        self.spent = spent

    def post(self, payload: dict[str, Any], slot: Slot) -> PostRef:
        began = time.perf_counter()
        try:
            return self.inner.post(payload, slot)
        finally:
            self.spent.append(time.perf_counter() - began)

    def find(self, payload: dict[str, Any], slot: Slot) -> PostRef | None:
        return self.inner.find(payload, slot)

    def close(self) -> None:
        self.inner.close()


def posting_queue(root: Path, platform_name: str, threads: int, posts: int) -> None:
    marker = uuid.uuid4().hex[:8]
    queue = FileQueue(root)
    for t in range(threads):
        queue.save(
            QueueItem(
                id=f"bench-{marker}-{t}",
                platform=platform_name,
                title=f"bench {marker} {t}",
                not_before=NOW,
                created=NOW,
                posts=[
                    f"{marker} thread {t} post {i}: 평균 속도를 추정하는 방식 #diffusion "
                    "https://arxiv.org/abs/2505.13447"
                    for i in range(1, posts + 1)
                ],
            )
        )


def post_run(
    root: Path, platform_name: str, make: Callable[[], Adapter], threads: int
) -> tuple[runner.RunReport, float, float]:
    settings = Settings(
        platforms=[platform_name],  # type: ignore[list-item]
        schedule=ScheduleSettings(
            max_threads_per_run=threads, daily_posts={"x": 10_000, "bluesky": 10_000}
        ),
        retry=RetrySettings(timeout_seconds=10),
    )
    spent: list[float] = []
    began = time.perf_counter()
    report = runner.run(
        FileQueue(root),
        settings,
        rules_for(settings),
        lambda p: TimedAdapter(make(), spent),
        NOW,
        FakeClock(t=time.time()),
    )
    return report, time.perf_counter() - began, sum(spent)


def posting(rep: Report, scratch: Path, threads: int, posts: int, skip_pds: bool) -> None:
    rep.heading("5. Posting against the local servers")
    rep.say(
        f"`runner.run` with the real adapters, {threads} threads of {posts} posts per platform "
        "(one run each, no faults, no delays injected), the SDK imported beforehand. Requests "
        "are counted by the server (X) or by the proxy in front of the PDS (Bluesky). "
        "posts/s = posts / wall time of the run, which includes the queue file writes (each "
        "post is recorded with an fsync'd atomic write before and after it is sent); "
        '"in the adapter" is the time spent in `Adapter.post` alone.'
    )
    rows: list[tuple[str, ...]] = []
    total = threads * posts

    # X: FakeXServer, the real tweepy client
    from publisher.platforms.x_adapter import XAdapter
    from tests.fakes.x_server import FakeXServer

    server = FakeXServer(
        consumer_key=X_SECRETS["api_key"],
        consumer_secret=X_SECRETS["api_secret"],
        access_token=X_SECRETS["access_token"],
        access_token_secret=X_SECRETS["access_token_secret"],
    )
    server.start()
    try:
        secrets = {f"X_{k.upper()}": SecretStr(v) for k, v in X_SECRETS.items()}
        creds = XCredentials(**secrets, base_url=server.base_url)
        posting_queue(scratch / "post-x", "x", threads, posts)
        report, took, spent = post_run(
            scratch / "post-x", "x", lambda: XAdapter(creds, timeout=10), threads
        )
        kinds = Counter(f"{r['method']} {r['path']}" for r in server.requests)
        creates = kinds.get("POST /2/tweets", 0)
        others = sum(kinds.values()) - creates
        ok = len(report.sent) == total and not report.failed
        rows.append(
            (
                "x (FakeXServer)",
                f"{len(report.sent)}/{total}",
                f"{sum(kinds.values()) / max(1, len(report.sent)):.2f}",
                str(creates),
                "none (OAuth 1.0a signs each request)",
                ", ".join(f"{k}: {v}" for k, v in kinds.items() if k != "POST /2/tweets") or "none",
                f"{len(report.sent) / took:.0f}",
                f"{len(report.sent) / spent:.0f}" if spent else "-",
            )
        )
        rep.goal("x: one create per post", f"{total} creates", f"{creates} creates, {others} "
                 "other requests", ok and creates == total and others == 0)  # fmt: skip
    finally:
        server.stop()

    if skip_pds:
        rep.goal("bluesky: one create per post, one login", "-", "skipped (--skip-pds)", None)
    else:
        bluesky_posting(rep, scratch, threads, posts, rows)
    rep.table(
        [
            "platform", "posted", "requests/post", "creates", "logins", "other requests",
            "posts/s (run)", "posts/s (in the adapter)",
        ],
        rows,
    )  # fmt: skip


def bluesky_posting(
    rep: Report, scratch: Path, threads: int, posts: int, rows: list[tuple[str, ...]]
) -> None:
    from publisher.platforms.bluesky_adapter import BlueskyAdapter
    from tests.fakes.pds import FaultProxy, start_pds, stop_pds

    total = threads * posts
    began = time.perf_counter()
    try:
        pds = start_pds(REPO / "tools", home=os.environ.get("LOCAL_PDS_HOME") or None,
                        timeout=600)  # fmt: skip
    except Exception as exc:
        rep.say(f"The local PDS did not start, Bluesky not measured: {str(exc)[:500]}")
        rep.goal("bluesky: one create per post, one login", "-", "PDS did not start", None)
        return
    rep.say(f"Local PDS started in {time.perf_counter() - began:.1f} s.")
    try:
        import atproto  # noqa: F401  (import cost kept out of the timed run)

        with FaultProxy(pds.url) as proxy:
            posting_queue(scratch / "post-bsky", "bluesky", threads, posts)
            report, took, spent = post_run(
                scratch / "post-bsky",
                "bluesky",
                lambda: BlueskyAdapter(
                    pds.handle, SecretStr(pds.password), proxy.url, timeout=10, pin_service=True
                ),
                threads,
            )
            kinds = Counter(f"{m} {p.removeprefix('/xrpc/')}" for m, p in proxy.requests)
        creates = proxy_count(kinds, "com.atproto.repo.createRecord")
        logins = proxy_count(kinds, "com.atproto.server.createSession")
        others = sum(kinds.values()) - creates - logins
        ok = len(report.sent) == total and not report.failed
        rows.append(
            (
                "bluesky (local PDS via FaultProxy)",
                f"{len(report.sent)}/{total}",
                f"{sum(kinds.values()) / max(1, len(report.sent)):.2f}",
                str(creates),
                str(logins),
                ", ".join(
                    f"{k}: {v}" for k, v in kinds.items()
                    if "createRecord" not in k and "createSession" not in k
                ) or "none",
                f"{len(report.sent) / took:.0f}",
                f"{len(report.sent) / spent:.0f}" if spent else "-",
            )
        )  # fmt: skip
        rep.goal(
            "bluesky: one create per post, one login",
            f"{total} creates, <= 1 login",
            f"{creates} creates, {logins} login(s), {others} other",
            ok and creates == total and logins <= 1,
        )
        if report.failed:
            rep.say(f"Failed: {report.failed[:3]}")
    finally:
        stop_pds(pds)


def proxy_count(kinds: Counter[str], nsid: str) -> int:
    return sum(n for k, n in kinds.items() if k.endswith(" " + nsid))


# ---- 6. the idle run --------------------------------------------------------------------------


def open_item(n: int, posts: list[str], when: dt.datetime, status: str = "pending") -> QueueItem:
    return QueueItem(
        id=f"2025-08-bench-paper-{n:05d}",
        platform=PLATFORMS[n % 2],
        title=f"Synthetic paper {n}",
        source="digests/synthetic.txt",
        status=status,
        not_before=when,
        created=when - dt.timedelta(days=1),
        reason="post 2 of 5: x: 403 Forbidden" if status == "failed" else None,
        posts=posts,
    )


def build_open(root: Path, count: int, threads: dict[str, list[Thread]]) -> None:
    """``count`` open files: mostly pending in the coming days, a few failed and held."""
    root.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.fromisoformat(QUEUE_NOW)
    pool = {name: [t.posts for t in threads[name] if len(t.posts) >= 3] for name in PLATFORMS}
    for n in range(count):
        posts = pool[PLATFORMS[n % 2]][n % len(pool[PLATFORMS[n % 2]])][:5]
        status = "failed" if n % 50 == 7 else "held" if n % 50 == 9 else "pending"
        when = now + dt.timedelta(hours=1 + 3 * (n // 2))
        item = open_item(n, posts, when, status)
        (root / item.filename).write_text(render(item), encoding="utf-8")


def build_archive(
    root: Path, count: int, threads: dict[str, list[Thread]], now_text: str = QUEUE_NOW
) -> Counter[str]:
    """``count`` posted files in archive/YYYY-MM/, 18 a day backwards from ``now_text``."""
    now = dt.datetime.fromisoformat(now_text)
    pool = {name: [t.posts for t in threads[name] if len(t.posts) >= 3] for name in PLATFORMS}
    months: Counter[str] = Counter()
    for n in range(count):
        name = PLATFORMS[n % 2]
        posts = pool[name][n % len(pool[name])][:5]
        when = now - dt.timedelta(hours=2) - dt.timedelta(minutes=80 * n)
        item = open_item(100_000 + n, posts, when, "posted")
        ids = [str(1_900_000_000_000_000_000 + n * 10 + i) for i in range(1, len(posts) + 1)]
        item.posted = [
            PostRecord(post=i, id=ids[i - 1], url=f"https://x.com/paperbot/status/{ids[i - 1]}",
                       at=when, sha=text_sha(text))
            for i, text in enumerate(posts, 1)
        ]  # fmt: skip
        month = f"{when.year:04d}-{when.month:02d}"
        folder = root / "archive" / month
        folder.mkdir(parents=True, exist_ok=True)
        (folder / item.filename).write_text(render(item), encoding="utf-8")
        months[month] += 1
    return months


def idle_run(rep: Report, threads: dict[str, list[Thread]], runs: int, scratch: Path) -> None:
    from publisher.config import load_settings
    from publisher.cron import cron_plan

    rep.heading("6. The idle run")
    root = scratch / "idle"
    build_open(root / "queue", 200, threads)
    build_archive(root / "queue", 2000, threads)
    os.sync()
    check = [sys.executable, "-I", str(REPO / "publisher" / "due.py"), "--root", str(root),
             "--now", QUEUE_NOW]  # fmt: skip
    idle = subprocess.run(check, capture_output=True, text=True, check=True).stdout.strip()
    assert idle == "due=false", idle
    times = medians({"due": check}, runs)["due"]
    due_s = statistics.median(times)

    venv = scratch / "venv"
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    venv_s = time.perf_counter() - began
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
           "--disable-pip-version-check"]  # fmt: skip
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "cwd": REPO}
    subprocess.run([*pip, "--no-deps", "-r", str(REPO / "requirements.lock")], check=True,
                   **quiet)  # type: ignore[call-overload]  # fmt: skip
    shutil.rmtree(venv)  # the run above only warmed pip's cache; every timed install is fresh
    installs = {
        "pip install . (before: unpinned, resolves)": [[*pip, "."]],
        "pip install --require-hashes -r requirements.lock; pip install --no-deps . (now)": [
            [*pip, "--require-hashes", "--no-deps", "-r", "requirements.lock"],
            [*pip, "--no-deps", "--no-build-isolation", "--no-index", "."],
        ],
    }
    install_s: dict[str, float] = {}
    for name, steps in installs.items():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        began = time.perf_counter()
        for argv in steps:
            subprocess.run(argv, check=True, **quiet)  # type: ignore[call-overload]
        install_s[name] = time.perf_counter() - began
        shutil.rmtree(venv)
    for build in ("build", "publisher.egg-info"):
        shutil.rmtree(REPO / build, ignore_errors=True)
    rep.say(
        "A queue of 200 open files (none due) and 2,000 archived ones; `python3 -I "
        f"publisher/due.py` in fresh processes, median of {runs} after one warm-up. Each install "
        f"into a fresh virtualenv (creating it: {venv_s:.1f} s, not counted) with pip's cache "
        "warmed by an earlier install of the same packages."
    )
    rep.table(
        ["step", "time"],
        [("due check (idle run: the only step after checkout)", ms(due_s))]
        + [(f"`{name}`", f"{took:.1f} s") for name, took in install_s.items()],
    )
    plan = cron_plan(load_settings(REPO / "config" / "publisher.toml").schedule)
    before = 48 * 30
    rep.say(
        f"Billed minutes a month (GitHub bills each job rounded up to a minute): before, 48 runs "
        f"a day, each installing first: {before}. Now {plan.runs_per_day} runs a day "
        f"({plan.why}): an idle run is the checkout plus {ms(due_s)} of due check, one billed "
        f"minute; a run with work adds the install (~{max(install_s.values()):.0f} s here) and "
        f"the posts, one or two minutes. So at most {plan.billed_minutes_per_month} minutes a "
        f"month if no run needs a second minute, about {plan.billed_minutes_per_month + 5 * 30} "
        "if every slot run does."
    )
    rep.goal("runs a day (default config)", f"<= {GOAL_RUNS_PER_DAY}", str(plan.runs_per_day),
             plan.runs_per_day <= GOAL_RUNS_PER_DAY)  # fmt: skip
    rep.goal("idle run's check", "no install, well under a minute", ms(due_s), due_s < 5)


# ---- 7. status and the dry run over an archive -------------------------------------------------


def archive_scale(
    rep: Report, threads: dict[str, list[Thread]], runs: int, scratch: Path, archived: int
) -> None:
    rep.heading("7. Status and dry run over an archive")
    cli = publisher_command()
    cases = []
    for opened, kept in ((200, archived), (400, archived), (200, 0)):
        root = scratch / f"scale-{opened}-{kept}" / "queue"
        build_open(root, opened, threads)
        months = build_archive(root, kept, threads, SCALE_NOW)
        cases.append((opened, kept, root, months))
    os.sync()  # the 60,000 files just written are not flushed during the measurements
    months = cases[0][3]
    rep.say(
        f"Open files: pending over the coming days, 1 in 25 failed or held. Archived: {archived:,} "
        f"posted files, 18 a day, in {len(months)} month folders ({max(months.values())} at most "
        f"in one; this month's has {months.get(SCALE_NOW[:7], 0)}, which the dry run at "
        f"{SCALE_NOW} reads for today's budget). Fresh processes, median of {runs} after one "
        "warm-up."
    )
    rows = []
    for opened, kept, root, _ in cases:
        commands = {
            "status": [*cli, "status", "--queue", str(root)],
            "--dry-run": [*cli, "--dry-run", "--queue", str(root), "--now", SCALE_NOW],
        }
        times = medians(commands, runs)
        for name, values in times.items():
            median = statistics.median(values)
            rows.append((f"`publisher {name}`", opened, f"{kept:,}", ms(median)))
            if (opened, kept) == (200, archived):
                rep.goal(f"{name}, 200 open + {archived:,} archived", f"< {GOAL_ARCHIVE_S} s",
                         f"{median:.2f} s", median < GOAL_ARCHIVE_S)  # fmt: skip
    rep.table(["command", "open files", "archived", "median"], rows)
    root = cases[0][2]
    every = medians({"status --all": [*cli, "status", "--all", "--queue", str(root)]}, 1)
    rep.say(
        f"`publisher status --all` over the same 200 + {archived:,} files reads every one: "
        f"{ms(statistics.median(every['status --all']))} (once, after one warm-up)."
    )


# ---- 8. enqueue --------------------------------------------------------------------------------


def digest_toml(entries: list[DigestEntry]) -> str:
    """A digest in the TOML form (JSON strings are valid TOML basic strings)."""
    import json

    def value(v: object) -> str:
        return json.dumps(v, ensure_ascii=False)

    out = [f"date = {entries[0].date.isoformat()}", ""]
    for entry in entries:
        out += [
            "[[paper]]",
            f"title = {value(entry.title)}",
            f"authors = {value(entry.authors)}",
            *([f"url = {value(entry.url)}"] if entry.url else []),
            f"abstract = {value(entry.abstract)}",
            f"comment_ko = {value(entry.comment_ko)}",
            f"comment_en = {value(entry.comment_en)}",
            f"hashtags = {value(entry.hashtags)}",
            "",
        ]
    return "\n".join(out)


def enqueue_bench(rep: Report, count: int, scratch: Path) -> None:
    rep.heading("8. Enqueue")
    entries = [e.model_copy(update={"url": None, "title": f"{e.title} {n}"})
               for n, e in enumerate(make_corpus(count, seed=15))]  # fmt: skip
    # Digests are refused over 5 MB (publisher.digest.MAX_DIGEST_BYTES): 2,000 entries a file.
    digests = []
    for start in range(0, count, 2000):
        digest = scratch / f"big-digest-{start // 2000:02d}.toml"
        digest.write_text(digest_toml(entries[start : start + 2000]), encoding="utf-8")
        digests.append(str(digest))
    size = sum(Path(d).stat().st_size for d in digests)
    root = scratch / "enqueue-queue"
    argv = [*publisher_command(), "enqueue", *digests, "--queue", str(root), "--now", QUEUE_NOW]
    took = wall(argv)
    files = len(FileQueue(root).paths())
    rep.say(
        f"`publisher enqueue` of {len(digests)} TOML digests of {count:,} synthetic entries "
        f"({size / 1e6:.1f} MB) into an empty queue: {files:,} files, each "
        "through a temporary file, its fsync and `os.replace`, the folder synced once: "
        f"{took:.1f} s (one run: it writes {files:,} files)."
    )
    rep.goal(f"enqueue {count:,} entries", f"< {GOAL_ENQUEUE_S:.0f} s", f"{took:.1f} s",
             took < GOAL_ENQUEUE_S)  # fmt: skip
    # The writing alone, in process: the same files written again into an empty folder.
    items = [li.item for li in FileQueue(root).load()[0]]
    again = FileQueue(scratch / "enqueue-again")
    began = time.perf_counter()
    again.save_all(items)
    write_s = time.perf_counter() - began
    old = FileQueue(scratch / "enqueue-one-by-one")
    sample = items[:1000]
    began = time.perf_counter()
    for item in sample:
        old.save(item)  # what enqueue did before: file fsync and folder fsync for each file
    one_by_one = (time.perf_counter() - began) / len(sample) * len(items)
    rep.say(
        f"Of that, writing the {len(items):,} files (`FileQueue.save_all`, in process): "
        f"{write_s:.1f} s; one file at a time with a folder fsync each, as before: "
        f"{one_by_one:.0f} s (extrapolated from {len(sample):,} files). The rest is reading and "
        "formatting the digest and scheduling the threads."
    )


# ---- main -------------------------------------------------------------------------------------


# ---- 10. the test suite ------------------------------------------------------------------------

GOAL_INNER_LOOP_S = 60.0  # pytest -m "not slow"
GOAL_SUITE_S = 180.0  # the whole suite, the PDS installed


def _pytest(*args: str) -> tuple[float, float, str]:
    """Wall and CPU seconds (this process's children) of one pytest run, and its last line."""
    cpu = os.times()
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - began
    after = os.times()
    used = (after.children_user - cpu.children_user) + (after.children_system - cpu.children_system)
    last = (done.stdout.strip().splitlines() or ["(no output)"])[-1]
    if done.returncode != 0:
        raise RuntimeError(f"pytest {' '.join(args)} exited {done.returncode}: {last}")
    return wall, used, last


def suite_times(rep: Report, *, whole: bool) -> None:
    rep.heading("10. Test suite")
    rep.say(
        f"`python -m pytest` from the repository, {os.cpu_count()} cores, nothing else running; "
        "wall time and CPU time (user + system) of the pytest process and its children."
    )
    runs = [('`pytest -m "not slow"`', ("-m", "not slow"), GOAL_INNER_LOOP_S)]
    if whole:
        runs.append(("`pytest` (all, the PDS installed)", (), GOAL_SUITE_S))
    rows = []
    for name, args, goal in runs:
        wall, cpu, last = _pytest(*args)
        rows.append((name, f"{wall:.0f} s", f"{cpu:.0f} s", last))
        rep.goal(name.replace("`", ""), f"< {goal:.0f} s", f"{wall:.0f} s", wall < goal)
    rep.say()
    rep.table(["run", "wall", "cpu", "pytest says"], rows)


def write_results(rep: Report, info: list[tuple[str, str]], quick: bool, took: float) -> None:
    lines = [
        "# Benchmark results",
        "",
        "Written by `python benchmarks/run.py` (see the README's Benchmarks section); rerun it to "
        "refresh this file." + (" **Quick run (`--quick`): smaller sizes.**" if quick else ""),
        "",
        "| machine | |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in info),
        f"| benchmark wall time | {took:.0f} s |",
        "",
        "## Goals",
        "",
        "| goal | target | measured | |",
        "|---|---|---|---|",
        *(
            f"| {name} | {target} | {measured} | "
            f"{ {True: 'met', False: '**not met**', None: 'not measured'}[met] } |"
            for name, target, measured, met in rep.goals
        ),
        *rep.lines,
    ]
    RESULTS.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    sys.path.insert(0, str(REPO))  # the local servers are the tests' (tests/fakes/)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, to try the script")
    parser.add_argument("--skip-pds", action="store_true", help="leave out Bluesky posting")
    parser.add_argument("--no-write", action="store_true", help="do not write RESULTS.md")
    parser.add_argument(
        "--write",
        action="store_true",
        help="with --only: write RESULTS.md all the same, the parts run first and the earlier "
        "file below them",
    )
    parser.add_argument(
        "--only",
        type=lambda text: {int(n) for n in text.split(",")},
        default=set(range(1, 11)),
        metavar="N,N",
        help="run only these parts (1-10); implies --no-write",
    )
    args = parser.parse_args(argv)
    if args.only != set(range(1, 11)) and not args.write:
        args.no_write = True
    earlier = RESULTS.read_text(encoding="utf-8") if args.write and RESULTS.exists() else ""
    part = args.only.__contains__
    began = time.perf_counter()
    rep = Report()
    info = machine()
    for key, value in info:
        print(f"{key:>8}: {value}")
    runs = 3 if args.quick else 7
    size = 200 if args.quick else 2000
    with tempfile.TemporaryDirectory(prefix="publisher-bench-") as tmp:
        scratch = Path(tmp)
        if part(1):
            cold_start(rep, runs)
        corpus, threads = throughput(rep, size, 20 if args.quick else 100)  # the others' input
        if part(3):
            compactness(rep, corpus, threads)
            compact_layout(rep, corpus)
        if part(4):
            queue_bench(rep, 1000 if args.quick else 10_000, threads, 3, scratch)
        if part(5):
            posting(rep, scratch, 10, 5, args.skip_pds)
        if part(6):
            idle_run(rep, threads, runs, scratch)
        if part(7):
            archive_scale(rep, threads, runs, scratch, 2000 if args.quick else 20_000)
        if part(8):
            enqueue_bench(rep, 1000 if args.quick else 10_000, scratch)
        if part(9):
            hostile(rep, publisher_command(), scratch, 1000 if args.quick else 10_000)
        if part(10):
            suite_times(rep, whole=not args.quick)
    took = time.perf_counter() - began
    print(f"\nDone in {took:.0f} s.")
    if not args.no_write:
        write_results(rep, info, args.quick, took)
        if earlier:  # --only ... --write: the parts not run keep their earlier figures
            kept = earlier.replace("# Benchmark results", "## The earlier run (parts not rerun)", 1)
            with RESULTS.open("a", encoding="utf-8") as handle:
                handle.write(
                    "\n" + kept.replace("\n## ", "\n### ").replace("\n### The", "\n## The", 1)
                )
        print(f"Wrote {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
