"""Commit the queue's state and push it back, so the next scheduled run sees it.

The runner's disk is gone after a GitHub Actions job: what must last (which posts went out, their
ids) is committed and pushed. Two writers can race (the scheduled publisher, the enqueue workflow,
a person editing a digest), so the push is retried a few times after ``git pull --rebase``.

Only the given paths are ever staged (never a bare ``git add -A``), so build output, caches or a
stray edit elsewhere in the checkout never end up in a bot commit.

A run's records are never lost to a person's concurrent edit. The rebase runs without rename
detection (two files of one paper look alike: git would pair the wrong ones), merges the record
of posts made (``posts.jsonl``) by union and every queue file with ``queue_merge`` (the person's
status and text, the run's records), both defined for these git calls only. What still conflicts
is settled so that the push goes through: a file deleted on one side stays deleted, a file both
sides changed beyond a field merge keeps the pushed version; the run's records survive in
``posts.jsonl``, from which the next run restores the file's ``posted:`` block. Each settlement is
said in the result. If the push still fails, the commit is pushed to a branch of its own
(``publisher-records/<sha>``) and :class:`CommitBackError` says so; ``recover_records`` folds
such branches' records back in before the next run posts.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from publisher.errors import CommitBackError

BOT_NAME = "github-actions[bot]"
BOT_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com"
DEFAULT_MESSAGE = "queue: update publishing state"
RECORDS_PREFIX = "publisher-records/"  # branches holding a run's records it could not push
LEDGER_FILE = "posts.jsonl"  # publisher.store.ledger's file (that module is not imported here)
DRIVER_NAME = "publisher-queue"
GIT_TIMEOUT = 120.0
"""Seconds any one git command may take (a pull or push over a slow network included)."""

# Push failures no retry can fix: retrying only delays the real message.
_FATAL_PUSH_MARKERS = (
    "authentication failed",
    "permission to",
    "could not read username",
    "the requested url returned error: 403",
    "the requested url returned error: 401",
    "repository not found",
    "does not appear to be a git repository",
)


@dataclass(frozen=True)
class CommitResult:
    """What :func:`commit_back` did."""

    committed: bool
    pushed: bool
    attempts: int
    sha: str | None
    message: str


class Runner(Protocol):
    """The part of the :mod:`subprocess` module this module uses (a test may pass a fake)."""

    def run(
        self,
        args: list[str],
        *,
        cwd: Path,
        check: bool,
        capture_output: bool,
        text: bool,
        timeout: float,
    ) -> subprocess.CompletedProcess[str]: ...


class _Git:
    """Runs ``git -C repo [-c identity] ...`` without a shell and returns the completed process."""

    def __init__(self, repo: Path, runner: Runner) -> None:
        self.repo = repo
        self.runner = runner
        self.config: list[str] = []

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        argv = ["git", *self.config, *args]
        try:
            done = self.runner.run(
                argv,
                cwd=self.repo,
                check=False,
                capture_output=True,
                text=True,
                timeout=GIT_TIMEOUT,
            )
        except FileNotFoundError:
            raise CommitBackError("git is not installed (not found on PATH)") from None
        except subprocess.TimeoutExpired:
            raise CommitBackError(
                f"`git {args[0]}` took longer than {GIT_TIMEOUT:.0f} s in {self.repo}"
            ) from None
        if check and done.returncode != 0:
            raise CommitBackError(f"`git {' '.join(args)}` failed: {_tail(done)}")
        return done

    def ok(self, *args: str) -> bool:
        return self(*args, check=False).returncode == 0

    def out(self, *args: str) -> str:
        return self(*args).stdout.strip()


def commit_back(
    repo: Path,
    paths: Sequence[str] = ("queue",),
    message: str = DEFAULT_MESSAGE,
    *,
    remote: str = "origin",
    branch: str | None = None,
    attempts: int = 5,
    runner: Runner = subprocess,
    sleep: Callable[[float], None] = time.sleep,
    backoff: float = 2.0,
) -> CommitResult:
    """Stage ``paths`` only, commit them if they changed, then pull --rebase and push.

    ``branch`` defaults to the checked-out branch. A rejected push (someone pushed in between) is
    retried up to ``attempts`` times in all, waiting ``backoff``, 2×``backoff``, … seconds between
    tries (``sleep`` is injectable so tests do not wait). Raises :class:`CommitBackError` when a
    rebase conflicts (after aborting it, keeping the local commit) or when every attempt failed.
    """
    if not paths:
        # An empty pathspec would mean "everything": refuse rather than commit the whole tree.
        raise CommitBackError("commit-back needs at least one path to commit")
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    git = _Git(repo, runner)
    if not git.ok("rev-parse", "--is-inside-work-tree"):
        raise CommitBackError(f"{repo} is not a git working tree")
    git.config = _identity_config(git) + _merge_config(git, paths)
    branch = branch or _current_branch(git)

    pathspec = _existing_paths(git, paths)
    if pathspec:
        git("add", "-A", "--", *pathspec)
    if not pathspec or git.ok("diff", "--cached", "--quiet", "--", *pathspec):
        return CommitResult(
            committed=False, pushed=False, attempts=0, sha=None, message="nothing to commit"
        )
    # `commit -- paths` commits only these paths even if something else was staged before.
    git("commit", "--quiet", "--no-verify", "-m", message, "--", *pathspec)
    return _push_with_retry(git, remote, branch, attempts, sleep, backoff)


def _push_with_retry(
    git: _Git,
    remote: str,
    branch: str,
    attempts: int,
    sleep: Callable[[float], None],
    backoff: float,
) -> CommitResult:
    last = ""
    settled: list[str] = []
    for attempt in range(1, attempts + 1):
        if attempt > 1:
            sleep(backoff * 2 ** (attempt - 2))
        pull = git("pull", "--rebase", "--autostash", "--quiet", remote, branch, check=False)
        if pull.returncode != 0:
            if _rebase_in_progress(git):
                settled += _settle_rebase(git, remote, branch)
            else:
                last = f"`git pull --rebase {remote} {branch}` failed: {_tail(pull)}"
                continue
        push = git("push", remote, f"HEAD:refs/heads/{branch}", check=False)
        if push.returncode == 0:
            sha = git.out("rev-parse", "HEAD")
            said = "".join(f"; {note}" for note in settled)
            return CommitResult(
                committed=True,
                pushed=True,
                attempts=attempt,
                sha=sha,
                message=f"pushed {sha[:12]} to {remote}/{branch}{said}",
            )
        last = f"`git push {remote} HEAD:{branch}` was rejected: {_tail(push)}"
        if any(marker in last.lower() for marker in _FATAL_PUSH_MARKERS):
            break
    sha = git.out("rev-parse", "HEAD")
    kept = _push_aside(git, remote, sha)
    raise CommitBackError(
        f"could not push to {remote}/{branch} after {attempt} attempt(s); the commit {sha[:12]} "
        f"{kept}. Last error: {last}"
    )


def recover_records(
    repo: Path,
    queue: str = "queue",
    *,
    remote: str = "origin",
    runner: Runner = subprocess,
) -> list[str]:
    """Fold the records of posts made that earlier runs could only push to a branch of their
    own (``publisher-records/…``) into this checkout's ledger, before a run posts; the branches
    read. Their lines are appended as they are (a post recorded twice counts once); the next
    ``commit_back`` commits the ledger, and the branches can then be deleted."""
    git = _Git(repo, runner)
    pattern = f"refs/heads/{RECORDS_PREFIX}*"
    listed = git("ls-remote", remote, pattern, check=False)
    if listed.returncode != 0:
        raise CommitBackError(f"cannot list {remote}'s record branches: {_tail(listed)}")
    names = [line.split("\t", 1)[1] for line in listed.stdout.splitlines() if "\t" in line]
    ledger = repo / queue / LEDGER_FILE
    have = set(ledger.read_text(encoding="utf-8").splitlines()) if ledger.exists() else set()
    found: list[str] = []
    for ref in names:
        local = f"refs/publisher-records/{ref.rsplit('/', 1)[-1]}"
        git("fetch", "--quiet", remote, f"+{ref}:{local}")
        shown = git("show", f"{local}:{queue}/{LEDGER_FILE}", check=False)
        lines = [line for line in shown.stdout.splitlines() if line.strip() and line not in have]
        if lines:
            ledger.parent.mkdir(parents=True, exist_ok=True)
            with ledger.open("a", encoding="utf-8") as handle:
                handle.write("".join(f"{line}\n" for line in lines))
            have.update(lines)
        found.append(ref.removeprefix("refs/heads/"))
    return found


def _push_aside(git: _Git, remote: str, sha: str) -> str:
    """Push the run's commit to a branch of its own, so that its records reach the remote."""
    aside = f"{RECORDS_PREFIX}{sha[:12]}"
    if git.ok("push", remote, f"HEAD:refs/heads/{aside}"):
        return (
            f"was pushed to the branch {aside} instead: its records of posts made are folded "
            "back in before the next run posts (`publisher commit-back --recover`)"
        )
    return "is kept locally only (the branch push failed too)"


def _settle_rebase(git: _Git, remote: str, branch: str) -> list[str]:
    """Finish a rebase the merge drivers left with conflicts; what was kept, one note each.

    A file deleted on one side stays deleted (a person dropping a thread, or a run archiving
    it); a file both sides changed beyond a field merge keeps the pushed version (the run's
    records are in the ledger, restored into the file by the next run). Anything else aborts.
    """
    notes: list[str] = []
    for _ in range(10):
        if not _rebase_in_progress(git):
            return notes
        stages: dict[str, set[str]] = {}
        for line in git("ls-files", "-u", check=False).stdout.splitlines():
            info, _, path = line.partition("\t")
            stages.setdefault(path, set()).add(info.split()[2])
        stuck = [p for p, have in stages.items() if {"2", "3"} <= have and not p.endswith(".md")]
        if stuck:  # not a queue file: the ledger does not cover it; a person decides
            _abort(git, remote, branch, "conflicts in: " + ", ".join(sorted(stuck)))
        for path, have in sorted(stages.items()):
            if {"2", "3"} <= have:
                git("checkout", "--ours", "--", path)  # in a rebase, "ours" is the pushed side
                git("add", "--", path)
                notes.append(
                    f"{path}: changed on both sides beyond a field merge: the pushed version "
                    f"was kept; this run's records are in {LEDGER_FILE}"
                )
            else:
                git("rm", "--quiet", "--", path)
                notes.append(f"{path}: deleted on one side and changed on the other: kept deleted")
        go_on = git("-c", "core.editor=true", "rebase", "--continue", check=False)
        if go_on.returncode != 0 and not stages and _rebase_in_progress(git):
            _abort(git, remote, branch, _tail(go_on))
    if _rebase_in_progress(git):
        _abort(git, remote, branch, "the rebase did not settle")
    return notes


def _abort(git: _Git, remote: str, branch: str, why: str) -> None:
    git("rebase", "--abort", check=False)
    sha = git.out("rev-parse", "HEAD")
    kept = _push_aside(git, remote, sha)
    raise CommitBackError(
        f"rebase onto {remote}/{branch} could not be settled ({why}); the rebase was aborted "
        f"and nothing was pushed to {branch}; the commit {sha[:12]} {kept}. Resolve by hand: "
        f"git pull --rebase {remote} {branch}, fix the files, git push."
    )


def _merge_config(git: _Git, paths: Sequence[str]) -> list[str]:
    """``-c`` options for these git calls: no rename detection, the ledger merged by union and
    queue files by ``queue_merge`` (run as a script by this very Python)."""
    attributes = Path(git.out("rev-parse", "--git-path", "publisher-attributes"))
    if not attributes.is_absolute():
        attributes = git.repo / attributes
    lines = []
    for path in paths:
        top = path.rstrip("/")
        lines += [
            f"{top}/**/*.md merge={DRIVER_NAME}",
            f"{top}/{LEDGER_FILE} merge=union",
            f"{top}/posted.txt merge=union",  # keys, read as a set: both sides' lines kept
        ]
    attributes.write_text("\n".join(lines) + "\n", encoding="utf-8")
    script = Path(__file__).parent / "store" / "queue_merge.py"
    driver = f"{shlex.quote(sys.executable)} {shlex.quote(str(script))} %O %A %B"
    return [
        "-c",
        "merge.renames=false",
        "-c",
        "diff.renames=false",
        "-c",
        f"core.attributesFile={attributes}",
        "-c",
        f"merge.{DRIVER_NAME}.name=publisher queue files: records and edits both kept",
        "-c",
        f"merge.{DRIVER_NAME}.driver={driver}",
    ]


def _identity_config(git: _Git) -> list[str]:
    """``-c user.name=… -c user.email=…`` for the bot, for whichever of the two is not set."""
    config: list[str] = []
    if not git.ok("config", "user.name"):
        config += ["-c", f"user.name={BOT_NAME}"]
    if not git.ok("config", "user.email"):
        config += ["-c", f"user.email={BOT_EMAIL}"]
    return config


def _current_branch(git: _Git) -> str:
    head = git("symbolic-ref", "--quiet", "--short", "HEAD", check=False)
    if head.returncode != 0:
        raise CommitBackError("HEAD is detached: check out a branch or name the branch to push to")
    return head.stdout.strip()


def _existing_paths(git: _Git, paths: Sequence[str]) -> list[str]:
    """The paths that exist on disk or have tracked files (so deletions are staged too).

    ``git add`` fails on a pathspec that matches nothing; a queue folder that was never created
    simply has nothing to commit.
    """
    kept = []
    for path in paths:
        if (git.repo / path).exists() or git.out("ls-files", "--", path):
            kept.append(path)
    return kept


def _rebase_in_progress(git: _Git) -> bool:
    for name in ("rebase-merge", "rebase-apply"):
        where = Path(git.out("rev-parse", "--git-path", name))
        if not where.is_absolute():
            where = git.repo / where
        if where.exists():
            return True
    return False


def _tail(done: subprocess.CompletedProcess[str], lines: int = 6) -> str:
    text = (done.stderr or "").strip() or (done.stdout or "").strip() or f"exit {done.returncode}"
    return " | ".join(text.splitlines()[-lines:])
