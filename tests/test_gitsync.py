"""commit-back against real git: a bare "remote" repository in tmp_path and clones of it.

No network and no git identity are needed: the environment points git at an empty global config,
and the helper below commits as "Other Writer" for the clone that plays the concurrent pusher.
"""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from publisher.errors import CommitBackError
from publisher.gitsync import BOT_EMAIL, BOT_NAME, commit_back

OTHER = ["-c", "user.name=Other Writer", "-c", "user.email=other@example.org"]
MESSAGE = "queue: test update"


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *OTHER, *args], cwd=cwd, check=True, capture_output=True, text=True, timeout=60
    )
    return done.stdout.rstrip("\n")


def head(repo: Path, ref: str = "HEAD") -> str:
    return git(repo, "rev-parse", ref)


def no_sleep(_: float) -> None:
    """Retry waits are recorded elsewhere when a test cares; here they are skipped."""


@pytest.fixture(autouse=True)
def isolated_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No user or system git config, no identity from the environment, no prompts."""
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text("", encoding="utf-8")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_TERMINAL_PROMPT", "0")
    for name in list(os.environ):
        if name.startswith(("GIT_AUTHOR_", "GIT_COMMITTER_")) or name in {"EMAIL", "GIT_DIR"}:
            monkeypatch.delenv(name)


def seeded_remote(tmp: Path, fill: Callable[[Path], object]) -> tuple[Path, Path]:
    """A bare repository ``tmp/remote.git`` whose main holds what ``fill`` writes into the
    seeding clone ``tmp/seed``; both paths."""
    bare = tmp / "remote.git"
    git(tmp, "init", "--quiet", "--bare", "--initial-branch=main", str(bare))
    seed = tmp / "seed"
    git(tmp, "clone", "--quiet", str(bare), str(seed))
    git(seed, "checkout", "--quiet", "-b", "main")
    fill(seed)
    git(seed, "add", "--all")
    git(seed, "commit", "--quiet", "-m", "seed")
    git(seed, "push", "--quiet", "origin", "main")
    return bare, seed


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    """A bare repository whose main holds queue/a.txt, queue/b.txt and README.md."""

    def fill(seed: Path) -> None:
        (seed / "queue").mkdir()
        (seed / "queue" / "a.txt").write_text("line 1\nstatus: pending\nline 3\n", encoding="utf-8")
        (seed / "queue" / "b.txt").write_text("b\n", encoding="utf-8")
        (seed / "README.md").write_text("# readme\n", encoding="utf-8")

    return seeded_remote(tmp_path, fill)[0]


def clone(remote: Path, where: Path, *extra: str) -> Path:
    git(where.parent, "clone", "--quiet", *extra, f"file://{remote}", str(where))
    return where


@pytest.fixture
def ours(remote: Path, tmp_path: Path) -> Path:
    """The publisher's checkout."""
    return clone(remote, tmp_path / "ours")


@pytest.fixture
def theirs(remote: Path, tmp_path: Path) -> Path:
    """Another writer's checkout, pushing while the publisher runs."""
    return clone(remote, tmp_path / "theirs")


def files_in(repo: Path, ref: str) -> list[str]:
    return git(repo, "diff-tree", "--no-commit-id", "--name-only", "-r", ref).splitlines()


def show(repo: Path, ref_path: str) -> str:
    return git(repo, "show", ref_path)


def rejecting_hook(remote: Path, rejections: int) -> Path:
    """Install a pre-receive hook that declines the next ``rejections`` pushes."""
    counter = remote / "reject-count"
    counter.write_text(f"{rejections}\n", encoding="utf-8")
    hook = remote / "hooks" / "pre-receive"
    hook.write_text(
        "#!/bin/sh\n"
        f"counter='{counter}'\n"
        'n=$(cat "$counter")\n'
        'if [ "$n" -gt 0 ]; then\n'
        '  echo $((n - 1)) > "$counter"\n'
        '  echo "busy: push declined by test hook" >&2\n'
        "  exit 1\n"
        "fi\n",
        encoding="utf-8",
    )
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return counter


class TestCommitBack:
    def test_pushes_queue_changes(self, remote: Path, ours: Path) -> None:
        """Changed, added and deleted queue files are committed and pushed."""
        (ours / "queue" / "a.txt").write_text("line 1\nstatus: posted\nline 3\n", encoding="utf-8")
        (ours / "queue" / "c.txt").write_text("new\n", encoding="utf-8")
        (ours / "queue" / "b.txt").unlink()

        result = commit_back(ours, ["queue"], MESSAGE, sleep=no_sleep)

        assert (result.committed, result.pushed, result.attempts) == (True, True, 1)
        assert result.sha == head(remote, "main") == head(ours)
        assert sorted(files_in(remote, "main")) == ["queue/a.txt", "queue/b.txt", "queue/c.txt"]
        assert "status: posted" in show(remote, "main:queue/a.txt")
        assert git(remote, "ls-tree", "--name-only", "main", "queue/") == "queue/a.txt\nqueue/c.txt"
        assert git(remote, "log", "-1", "--format=%s", "main") == MESSAGE

    def test_default_path_is_queue(self, remote: Path, ours: Path) -> None:
        """Without paths, queue/ is what gets committed."""
        (ours / "queue" / "b.txt").write_text("b2\n", encoding="utf-8")

        result = commit_back(ours, sleep=no_sleep)

        assert result.pushed
        assert files_in(remote, "main") == ["queue/b.txt"]

    def test_only_queue_paths_are_committed(self, remote: Path, ours: Path) -> None:
        """An unrelated modified file and untracked build output stay out of the commit."""
        (ours / "queue" / "b.txt").write_text("b2\n", encoding="utf-8")
        (ours / "README.md").write_text("# edited locally\n", encoding="utf-8")
        (ours / "build").mkdir()
        (ours / "build" / "junk.txt").write_text("x\n", encoding="utf-8")

        commit_back(ours, ["queue"], MESSAGE, sleep=no_sleep)

        assert files_in(remote, "main") == ["queue/b.txt"]
        assert show(remote, "main:README.md") == "# readme"
        status = git(ours, "status", "--porcelain").splitlines()
        assert status == [" M README.md", "?? build/"]

    def test_previously_staged_file_is_not_committed(self, remote: Path, ours: Path) -> None:
        """Something staged by hand before the run is not swept into the commit, nor lost.

        (``pull --rebase --autostash`` gives it back as a working-tree change, unstaged.)
        """
        (ours / "README.md").write_text("# staged by hand\n", encoding="utf-8")
        git(ours, "add", "README.md")
        (ours / "queue" / "b.txt").write_text("b2\n", encoding="utf-8")

        commit_back(ours, ["queue"], MESSAGE, sleep=no_sleep)

        assert files_in(remote, "main") == ["queue/b.txt"]
        assert git(ours, "diff", "--name-only", "HEAD") == "README.md"
        assert (ours / "README.md").read_text(encoding="utf-8") == "# staged by hand\n"

    def test_nothing_to_commit(self, remote: Path, ours: Path) -> None:
        """An unchanged queue makes no commit and pushes nothing."""
        before = head(remote, "main")
        (ours / "README.md").write_text("# not queue\n", encoding="utf-8")

        result = commit_back(ours, ["queue"], MESSAGE, sleep=no_sleep)

        assert (result.committed, result.pushed, result.attempts) == (False, False, 0)
        assert result.message == "nothing to commit"
        assert result.sha is None
        assert head(ours) == head(remote, "main") == before

    def test_missing_path_is_nothing_to_commit(self, ours: Path) -> None:
        """A path that never existed is not an error: there is simply nothing to commit."""
        result = commit_back(ours, ["no-such-dir"], MESSAGE, sleep=no_sleep)

        assert not result.committed

    def test_empty_paths_are_refused(self, ours: Path) -> None:
        """An empty path list would mean the whole tree: it is refused."""
        with pytest.raises(CommitBackError, match="at least one path"):
            commit_back(ours, [], MESSAGE, sleep=no_sleep)

    def test_bot_identity_when_none_configured(self, remote: Path, ours: Path) -> None:
        """With no user.name/user.email anywhere, the commit is by github-actions[bot]."""
        (ours / "queue" / "b.txt").write_text("b2\n", encoding="utf-8")

        commit_back(ours, ["queue"], MESSAGE, sleep=no_sleep)

        author = git(remote, "log", "-1", "--format=%an <%ae>|%cn <%ce>", "main")
        assert author == f"{BOT_NAME} <{BOT_EMAIL}>|{BOT_NAME} <{BOT_EMAIL}>"

    def test_configured_identity_is_kept(self, remote: Path, ours: Path) -> None:
        """A configured identity is used as is."""
        git(ours, "config", "user.name", "Queue Keeper")
        git(ours, "config", "user.email", "keeper@example.org")
        (ours / "queue" / "b.txt").write_text("b2\n", encoding="utf-8")

        commit_back(ours, ["queue"], MESSAGE, sleep=no_sleep)

        assert git(remote, "log", "-1", "--format=%an <%ae>", "main") == (
            "Queue Keeper <keeper@example.org>"
        )

    def test_detached_head_needs_a_branch(self, remote: Path, ours: Path) -> None:
        """On a detached HEAD the branch must be named; then the push goes there."""
        git(ours, "checkout", "--quiet", "--detach")
        (ours / "queue" / "b.txt").write_text("b2\n", encoding="utf-8")

        with pytest.raises(CommitBackError, match="detached"):
            commit_back(ours, ["queue"], MESSAGE, sleep=no_sleep)
        result = commit_back(ours, ["queue"], MESSAGE, branch="main", sleep=no_sleep)

        assert result.pushed
        assert head(remote, "main") == head(ours)

    def test_shallow_clone(self, remote: Path, theirs: Path, tmp_path: Path) -> None:
        """A depth-1 checkout (actions/checkout's default) can rebase onto newer commits."""
        shallow = clone(remote, tmp_path / "shallow", "--depth", "1")
        (theirs / "README.md").write_text("# theirs\n", encoding="utf-8")
        git(theirs, "commit", "--quiet", "-am", "theirs")
        git(theirs, "push", "--quiet")
        (shallow / "queue" / "b.txt").write_text("b2\n", encoding="utf-8")

        result = commit_back(shallow, ["queue"], MESSAGE, sleep=no_sleep)

        assert result.pushed
        assert git(remote, "log", "--format=%s", "main").splitlines() == [MESSAGE, "theirs", "seed"]

    def test_not_a_repository(self, tmp_path: Path) -> None:
        """A folder outside any repository is a CommitBackError, not a traceback."""
        with pytest.raises(CommitBackError, match="not a git working tree"):
            commit_back(tmp_path, ["queue"], MESSAGE, sleep=no_sleep)


class TestConcurrentPush:
    def test_unrelated_push_is_rebased_onto(self, remote: Path, ours: Path, theirs: Path) -> None:
        """Another writer's push to another file is pulled in; both commits end up on main."""
        (theirs / "README.md").write_text("# theirs\n", encoding="utf-8")
        git(theirs, "commit", "--quiet", "-am", "theirs")
        git(theirs, "push", "--quiet")
        theirs_sha = head(theirs)
        (ours / "queue" / "a.txt").write_text("line 1\nstatus: posted\nline 3\n", encoding="utf-8")

        result = commit_back(ours, ["queue"], MESSAGE, sleep=no_sleep)

        assert result.pushed
        assert result.sha == head(remote, "main")
        assert git(remote, "log", "--format=%s", "main").splitlines() == [MESSAGE, "theirs", "seed"]
        assert head(remote, "main~1") == theirs_sha
        assert show(remote, "main:README.md") == "# theirs"

    def test_same_queue_push_on_other_lines_merges(
        self, remote: Path, ours: Path, theirs: Path
    ) -> None:
        """Edits to different lines of the same queue file rebase cleanly."""
        (theirs / "queue" / "a.txt").write_text(
            "line 1 (theirs)\nstatus: pending\nline 3\n", encoding="utf-8"
        )
        git(theirs, "commit", "--quiet", "-am", "theirs")
        git(theirs, "push", "--quiet")
        (ours / "queue" / "a.txt").write_text(
            "line 1\nstatus: pending\nline 3 (ours)\n", encoding="utf-8"
        )

        commit_back(ours, ["queue"], MESSAGE, sleep=no_sleep)

        assert show(remote, "main:queue/a.txt") == "line 1 (theirs)\nstatus: pending\nline 3 (ours)"

    def test_conflict_keeps_local_commit(self, remote: Path, ours: Path, theirs: Path) -> None:
        """The same lines changed on both sides: rebase aborted, nothing pushed, nothing lost."""
        (theirs / "queue" / "a.txt").write_text(
            "line 1\nstatus: failed\nline 3\n", encoding="utf-8"
        )
        git(theirs, "commit", "--quiet", "-am", "theirs")
        git(theirs, "push", "--quiet")
        remote_before = head(remote, "main")
        ours_content = "line 1\nstatus: posted x=123\nline 3\n"
        (ours / "queue" / "a.txt").write_text(ours_content, encoding="utf-8")
        (ours / "README.md").write_text("# uncommitted local edit\n", encoding="utf-8")

        with pytest.raises(CommitBackError, match=r"conflicts in: queue/a\.txt") as caught:
            commit_back(ours, ["queue"], MESSAGE, sleep=no_sleep)

        assert "nothing was pushed" in str(caught.value)
        assert head(remote, "main") == remote_before
        assert git(ours, "log", "-1", "--format=%s") == MESSAGE
        assert git(ours, "log", "--format=%s").splitlines() == [MESSAGE, "seed"]
        assert (ours / "queue" / "a.txt").read_text(encoding="utf-8") == ours_content
        assert (ours / "README.md").read_text(encoding="utf-8") == "# uncommitted local edit\n"
        git_dir = ours / ".git"
        assert not (git_dir / "rebase-merge").exists()
        assert not (git_dir / "rebase-apply").exists()
        assert git(ours, "status", "--porcelain") == " M README.md"


class TestRetry:
    def test_rejected_twice_then_accepted(self, remote: Path, ours: Path) -> None:
        """Two declined pushes, then success on the third attempt, with growing waits."""
        counter = rejecting_hook(remote, 2)
        (ours / "queue" / "b.txt").write_text("b2\n", encoding="utf-8")
        waits: list[float] = []

        result = commit_back(ours, ["queue"], MESSAGE, attempts=5, sleep=waits.append)

        assert (result.pushed, result.attempts) == (True, 3)
        assert waits == [2.0, 4.0]
        assert counter.read_text(encoding="utf-8").strip() == "0"
        assert head(remote, "main") == head(ours)

    def test_more_rejections_than_attempts(self, remote: Path, ours: Path) -> None:
        """Every attempt declined: CommitBackError after exactly `attempts` tries."""
        rejecting_hook(remote, 10)
        before = head(remote, "main")
        (ours / "queue" / "b.txt").write_text("b2\n", encoding="utf-8")
        waits: list[float] = []

        with pytest.raises(CommitBackError, match=r"after 3 attempt\(s\)") as caught:
            commit_back(ours, ["queue"], MESSAGE, attempts=3, sleep=waits.append, backoff=0.5)

        assert "declined" in str(caught.value)
        assert "kept locally only (the branch push failed too)" in str(caught.value)
        assert waits == [0.5, 1.0]
        # three attempts, then the push to a branch of its own: declined as well
        assert (remote / "reject-count").read_text(encoding="utf-8").strip() == "6"
        assert head(remote, "main") == before
        assert git(ours, "log", "-1", "--format=%s") == MESSAGE

    def test_unreachable_remote(self, ours: Path, tmp_path: Path) -> None:
        """A remote that cannot be reached fails after the bounded attempts, commit kept."""
        git(ours, "remote", "set-url", "origin", str(tmp_path / "gone.git"))
        (ours / "queue" / "b.txt").write_text("b2\n", encoding="utf-8")

        with pytest.raises(CommitBackError, match="after 2 attempt"):
            commit_back(ours, ["queue"], MESSAGE, attempts=2, sleep=no_sleep)

        assert git(ours, "log", "-1", "--format=%s") == MESSAGE
