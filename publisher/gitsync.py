"""Commit the queue's state and push it back, so the next scheduled run sees it.

The runner's disk is gone after a GitHub Actions job: what must last (which posts went out, their
ids) is committed and pushed. Two writers can race (the scheduled publisher, the enqueue workflow,
a person editing a digest), so the push is retried a few times after ``git pull --rebase``.

Only the given paths are ever staged (never a bare ``git add -A``), so build output, caches or a
stray edit elsewhere in the checkout never end up in a bot commit. A real rebase conflict is never
"resolved" here: the rebase is aborted, the local commit is left as it was, nothing is pushed, and
:class:`CommitBackError` names the conflicting files.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from publisher.errors import PublisherError

BOT_NAME = "github-actions[bot]"
BOT_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com"
DEFAULT_MESSAGE = "queue: update publishing state"
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


class CommitBackError(PublisherError):
    """The queue's state could not be pushed; the local commit, if any, is kept."""


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
    git.config = _identity_config(git)
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
    for attempt in range(1, attempts + 1):
        if attempt > 1:
            sleep(backoff * 2 ** (attempt - 2))
        pull = git("pull", "--rebase", "--autostash", "--quiet", remote, branch, check=False)
        if pull.returncode != 0:
            if _rebase_in_progress(git):
                _abort_conflicting_rebase(git, remote, branch)
            last = f"`git pull --rebase {remote} {branch}` failed: {_tail(pull)}"
            continue
        push = git("push", remote, f"HEAD:refs/heads/{branch}", check=False)
        if push.returncode == 0:
            sha = git.out("rev-parse", "HEAD")
            return CommitResult(
                committed=True,
                pushed=True,
                attempts=attempt,
                sha=sha,
                message=f"pushed {sha[:12]} to {remote}/{branch}",
            )
        last = f"`git push {remote} HEAD:{branch}` was rejected: {_tail(push)}"
        if any(marker in last.lower() for marker in _FATAL_PUSH_MARKERS):
            break
    sha = git.out("rev-parse", "HEAD")
    raise CommitBackError(
        f"could not push to {remote}/{branch} after {attempt} attempt(s); the commit {sha[:12]} "
        f"is kept locally. Last error: {last}"
    )


def _abort_conflicting_rebase(git: _Git, remote: str, branch: str) -> None:
    """Abort the rebase (restoring the local commit) and raise with the conflicting files."""
    conflicts = git("diff", "--name-only", "--diff-filter=U", check=False).stdout.split()
    git("rebase", "--abort")
    sha = git.out("rev-parse", "HEAD")
    files = ", ".join(conflicts) if conflicts else "(git named no file)"
    raise CommitBackError(
        f"rebase onto {remote}/{branch} conflicts in: {files}. The rebase was aborted and nothing "
        f"was pushed; the local commit {sha[:12]} is kept. Resolve by hand: "
        f"git pull --rebase {remote} {branch}, fix the files, git push."
    )


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
