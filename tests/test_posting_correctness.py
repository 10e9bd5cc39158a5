"""Posting correctness in real use (issue 10), through the real command and on the wire.

Never under another thread, never a lost digest, never a silent failure: two digests with the
same paper, a valid and an invalid digest in one push, hand edits of queue files, numbering of
split posts, and unreachable services, each against the local X server (and the local PDS).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from publisher import retry
from publisher.config import FormatSettings, RetrySettings
from publisher.errors import DeferUntil, TransientError, Unreachable
from publisher.formatter import number_posts
from publisher.platforms.x_adapter import TWITTER_EPOCH_MS
from publisher.store.fileformat import read_item
from publisher.store.filequeue import FileQueue
from publisher.store.model import QueueItem
from publisher.testing.clock import FakeClock
from tests.conftest import X_CANARY
from tests.fakes.pds import PdsInfo, list_posts
from tests.fakes.x_server import FakeXServer
from tests.publisher_cli import quiet_env, run_publisher

ENQUEUE_AT = "2025-05-27T08:00"
RUN_AT = "2025-06-10T23:00"  # everything queued above is due by then
CONFIG = """\
platforms = ["x"]
[schedule]
max_threads_per_run = 20
daily_posts = {}
[retry]
budget_seconds = 5
max_attempts = 2
initial_wait = 0
max_wait = 0
timeout_seconds = 5
"""

FIRST = """\
2025년 5월 20일
Mean Flows for One-step Generative Modeling
(Zhengyang Geng, Kaiming He)
arxiv.org/abs/2505.13447
We propose a principled framework for one-step generative modeling.
평균 속도를 추정하는 방식이네요. 흥미롭습니다.
It estimates the average velocity. Interesting.
#diffusion
"""

SECOND = """\
2025년 5월 27일
Mean Flows for One-step Generative Modeling
(Zhengyang Geng, Kaiming He)
https://arxiv.org/abs/2505.13447v2
We propose a principled framework for one-step generative modeling.
다시 읽어보니 코드가 공개되었네요.
On a second read: the code is out now.
#diffusion
"""

OTHER = """\
2025년 5월 21일
RealMath: A Continuous Benchmark for Research-Level Mathematics
(Jie Zhang, Florian Tramer)
https://arxiv.org/abs/2505.12575
A benchmark derived from research papers and mathematical forums.
수학 벤치마크. AIME 외의 좋은 선택일지 궁금하네요.
Math benchmark. I wonder if this could be a good alternative to AIME.
#math
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository checkout: digests/, queue/ and the settings, as the workflows see it."""
    (tmp_path / "digests").mkdir()
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "publisher.toml").write_text(CONFIG, encoding="utf-8")
    return tmp_path


@pytest.fixture
def x_env(x_server: FakeXServer) -> dict[str, str]:
    return quiet_env(**X_CANARY, X_API_BASE_URL=x_server.base_url)


def publisher(
    repo: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_publisher(*args, cwd=repo, env=env)


def enqueue(repo: Path, *paths: str) -> subprocess.CompletedProcess[str]:
    return publisher(repo, "enqueue", *(paths or ("digests/",)), "--now", ENQUEUE_AT)


def post(repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return publisher(repo, "--now", RUN_AT, env=env)


def items(repo: Path) -> dict[str, QueueItem]:
    """Every thread, open or archived (a thread posted in full moves to queue/archive/)."""
    queue = FileQueue(repo / "queue")
    return {li.item.key: li.item for li in queue.load()[0] + queue.load_archive()[0]}


def chains(server: FakeXServer) -> list[list[dict[str, str]]]:
    """The server's posts as reply chains, each from its first post."""
    by_parent: dict[str | None, list[dict[str, str]]] = {}
    for tweet in sorted(server.tweets, key=lambda t: int(t["id"])):
        by_parent.setdefault(tweet["in_reply_to_tweet_id"], []).append(tweet)
    out = []
    for head in by_parent.get(None, []):
        chain = [head]
        while by_parent.get(chain[-1]["id"]):
            (child,) = by_parent[chain[-1]["id"]]
            chain.append(child)
        out.append(chain)
    return out


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class TestSamePaperTwice:
    """Two digests with the same paper: two threads, neither under the other."""

    def test_revisit_is_its_own_thread(
        self, repo: Path, x_server: FakeXServer, x_env: dict[str, str]
    ) -> None:
        """The second digest's thread is a revisit: named, noted in post 1, posted apart."""
        (repo / "digests" / "2025-05-20.txt").write_text(FIRST, encoding="utf-8")
        (repo / "digests" / "2025-05-27.txt").write_text(SECOND, encoding="utf-8")
        done = enqueue(repo)
        assert done.returncode == 0, done.stderr
        assert "seen before: arxiv-2505.13447.x from digests/2025-05-20.txt" in done.stdout
        queued = items(repo)
        assert set(queued) == {"arxiv-2505.13447.x", "arxiv-2505.13447-2025-05-27.x"}
        revisit = queued["arxiv-2505.13447-2025-05-27.x"]
        assert revisit.posts[0].startswith("🔁 다시 보기 · Revisited (2025-05-27)\nMean Flows")
        preview = publisher(repo, "--dry-run", "--now", RUN_AT)
        assert "Revisited (2025-05-27)" in preview.stdout

        done = post(repo, x_env)
        assert done.returncode == 0, done.stderr
        found = chains(x_server)
        assert len(found) == 2 and sorted(len(c) for c in found) == [3, 3]
        after = items(repo)
        ids = {k: [r.id for r in i.posted] for k, i in after.items()}
        first, second = ids["arxiv-2505.13447.x"], ids["arxiv-2505.13447-2025-05-27.x"]
        assert not set(first) & set(second)
        for chain in found:  # each chain is one thread's, whole
            assert [t["id"] for t in chain] in (first, second)
        # Sweeping again queues nothing new: the revisit keeps its id.
        again = enqueue(repo)
        assert again.returncode == 0 and "0 added" in again.stdout

    def test_earlier_thread_named_with_its_url(
        self, repo: Path, x_server: FakeXServer, x_env: dict[str, str]
    ) -> None:
        """Once the earlier thread is posted, `enqueue` names it with its URL."""
        (repo / "digests" / "2025-05-20.txt").write_text(FIRST, encoding="utf-8")
        assert enqueue(repo).returncode == 0
        assert post(repo, x_env).returncode == 0
        url = items(repo)["arxiv-2505.13447.x"].posted[0].url
        (repo / "digests" / "2025-05-27.txt").write_text(SECOND, encoding="utf-8")
        done = enqueue(repo)
        assert done.returncode == 0, done.stderr
        assert f"seen before: arxiv-2505.13447.x from digests/2025-05-20.txt ({url})" in done.stdout
        assert "arxiv-2505.13447-2025-05-27.x" in items(repo)

    def test_digest_dry_run_shows_the_revisit(self, repo: Path) -> None:
        """`publisher --dry-run DIGEST` against a queue that has the paper shows the revisit."""
        (repo / "digests" / "2025-05-20.txt").write_text(FIRST, encoding="utf-8")
        (repo / "digests" / "2025-05-27.txt").write_text(SECOND, encoding="utf-8")
        assert enqueue(repo, "digests/2025-05-20.txt").returncode == 0
        done = publisher(repo, "--dry-run", "digests/2025-05-27.txt")
        assert done.returncode == 0, done.stderr
        assert "x: seen before, arxiv-2505.13447.x from digests/2025-05-20.txt" in done.stdout
        assert "── x 1/3" in done.stdout
        assert "🔁 다시 보기 · Revisited (2025-05-27)\nMean Flows" in done.stdout
        alone = publisher(repo, "--dry-run", "digests/2025-05-20.txt")
        assert "seen before" not in alone.stdout and "Revisited" not in alone.stdout

    def test_duplicate_header_is_not_adopted(
        self, repo: Path, x_server: FakeXServer, x_env: dict[str, str]
    ) -> None:
        """Identical text of another thread: X refuses it; the thread fails with the older URL."""
        (repo / "digests" / "2025-05-20.txt").write_text(FIRST, encoding="utf-8")
        assert enqueue(repo).returncode == 0
        # A second thread (made by hand) whose first post repeats the first thread's header.
        queue = FileQueue(repo / "queue")
        original = items(repo)["arxiv-2505.13447.x"]
        copy = original.model_copy(
            update={
                "id": "2025-05-27-mean-flows-again",
                "posts": [original.posts[0], "다른 댓글", "Another comment"],  # also "1/3"
                "not_before": original.not_before + dt.timedelta(minutes=1),  # goes second
            }
        )
        queue.save(copy)
        done = post(repo, x_env)
        assert done.returncode == 1
        after = items(repo)
        made = after["arxiv-2505.13447.x"]
        failed = after["2025-05-27-mean-flows-again.x"]
        assert made.status == "posted"
        assert failed.status == "failed" and failed.posted == []
        assert f"status/{made.posted[0].id}," in (failed.reason or "")  # the older post
        assert "publisher retry 2025-05-27-mean-flows-again.x" in (failed.reason or "")
        assert len(x_server.tweets) == 3  # nothing of the copy went out, nothing under thread 1

    def test_older_post_not_adopted_after_unknown_outcome(
        self, repo: Path, x_server: FakeXServer, x_env: dict[str, str]
    ) -> None:
        """A post in flight is looked up; an older post with its text and no parent is not it."""
        (repo / "digests" / "2025-05-20.txt").write_text(FIRST, encoding="utf-8")
        assert enqueue(repo).returncode == 0
        key = "arxiv-2505.13447.x"
        header = number_posts(items(repo)[key].posts, FormatSettings())[0]
        # The account posted this very text a day ago (another thread, by hand, whatever).
        old_id = str((int((time.time() - 86400) * 1000) - TWITTER_EPOCH_MS) << 22)
        x_server.tweets.append(
            {
                "id": old_id,
                "text": header,
                "in_reply_to_tweet_id": None,
                "created_at": "2026-11-30T09:00:00.000Z",
                "conversation_id": old_id,
            }
        )
        # A run was cut off while sending post 1: the sending mark is set, the outcome unknown.
        queue = FileQueue(repo / "queue")
        item = items(repo)[key]
        item.status, item.sending = "posting", 1
        item.sending_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
        queue.save(item)
        done = post(repo, x_env)
        assert done.returncode == 1
        after = items(repo)[key]
        assert after.status == "failed" and after.posted == []
        assert old_id in (after.reason or "") and f"publisher retry {key}" in (after.reason or "")
        assert len(x_server.tweets) == 1  # nothing posted under the old post either


@pytest.mark.pds
class TestSamePaperTwiceOnBluesky:
    """The same two digests on the real local PDS: the revisit's records stay in its thread."""

    def test_revisit_is_its_own_thread(self, repo: Path, pds: PdsInfo) -> None:
        paper = f"2505.{uuid.uuid4().int % 90000 + 10000}"  # the PDS lives for the session
        (repo / "config" / "publisher.toml").write_text(
            CONFIG.replace('["x"]', '["bluesky"]'), encoding="utf-8"
        )
        for name, text in (("2025-05-20.txt", FIRST), ("2025-05-27.txt", SECOND)):
            (repo / "digests" / name).write_text(text.replace("2505.13447", paper), "utf-8")
        assert enqueue(repo).returncode == 0
        env = quiet_env(
            BLUESKY_HANDLE=pds.handle, BLUESKY_APP_PASSWORD=pds.password, BLUESKY_SERVICE=pds.url
        )
        done = post(repo, env)
        assert done.returncode == 0, done.stderr
        after = items(repo)
        first = after[f"arxiv-{paper}.bluesky"]
        second = after[f"arxiv-{paper}-2025-05-27.bluesky"]
        assert first.status == second.status == "posted"
        records = {r["uri"]: r["value"] for r in list_posts(pds)}
        for thread in (first, second):
            uris = [r.uri for r in thread.posted]
            assert "reply" not in records[uris[0]]  # type: ignore[operator]
            for parent, child in itertools.pairwise(uris):
                reply = records[child]["reply"]  # type: ignore[index]
                assert reply["root"]["uri"] == uris[0] and reply["parent"]["uri"] == parent
        assert not {r.uri for r in first.posted} & {r.uri for r in second.posted}
        assert records[second.posted[0].uri]["text"].startswith("🔁 다시 보기")  # type: ignore[index]


class TestSweep:
    """`publisher enqueue digests/` is level-triggered: each file on its own, none lost."""

    def test_valid_and_invalid_then_fixed(self, repo: Path) -> None:
        """A push with a valid and an invalid digest, then the fix: both end up queued."""
        good = repo / "digests" / "2025-05-20.txt"
        bad = repo / "digests" / "2025-05-21.txt"
        good.write_text(FIRST, encoding="utf-8")
        bad.write_text(OTHER.replace("(Jie Zhang, Florian Tramer)\n", ""), encoding="utf-8")
        done = enqueue(repo)
        assert done.returncode == 2
        assert "digests/2025-05-21.txt:3:" in done.stderr and "Traceback" not in done.stderr
        assert set(items(repo)) == {"arxiv-2505.13447.x"}
        listed = (repo / "queue" / "enqueued.txt").read_text(encoding="utf-8")
        sha = hashlib.sha256(good.read_bytes()).hexdigest()
        assert listed == f"{sha}  digests/2025-05-20.txt\n"

        bad.write_text(OTHER, encoding="utf-8")  # the fix-up push holds only this file
        done = enqueue(repo)
        assert done.returncode == 0, done.stderr
        assert set(items(repo)) == {"arxiv-2505.13447.x", "arxiv-2505.12575.x"}
        lines = (repo / "queue" / "enqueued.txt").read_text(encoding="utf-8").splitlines()
        assert [line.split("  ")[1] for line in lines] == [
            "digests/2025-05-20.txt",
            "digests/2025-05-21.txt",
        ]
        assert lines[1].split("  ")[0] == hashlib.sha256(bad.read_bytes()).hexdigest()

    def test_a_deleted_thread_stays_deleted(self, repo: Path) -> None:
        """The sweep skips digests unchanged since listed: deleting a queue file drops the thread.

        Editing the digest (its hash changes) queues what is missing again.
        """
        digest = repo / "digests" / "2025-05-20.txt"
        digest.write_text(FIRST, encoding="utf-8")
        assert enqueue(repo).returncode == 0
        (repo / "queue" / "arxiv-2505.13447.x.md").unlink()
        again = enqueue(repo)
        assert again.returncode == 0 and "1 unchanged, not read again" in again.stdout
        assert items(repo) == {}
        digest.write_text(FIRST.replace("Interesting.", "Very interesting."), encoding="utf-8")
        edited = enqueue(repo)
        assert edited.returncode == 0, edited.stderr
        assert set(items(repo)) == {"arxiv-2505.13447.x"}

    def test_enqueue_creates_the_queue_others_refuse_a_missing_one(self, repo: Path) -> None:
        """Only `enqueue` creates the queue folder; every other command exits 2 without it."""
        for args in (("status",), ("hold", "x"), ("--dry-run",), ("release", "x"), ("retry", "x")):
            done = publisher(repo, *args, "--queue", "nowhere")
            assert done.returncode == 2, args
            assert "nowhere: the queue folder does not exist" in done.stderr
        assert not (repo / "nowhere").exists()
        (repo / "digests" / "2025-05-20.txt").write_text(FIRST, encoding="utf-8")
        done = publisher(repo, "enqueue", "digests/", "--queue", "nowhere", "--now", ENQUEUE_AT)
        assert done.returncode == 0, done.stderr
        assert (repo / "nowhere" / "arxiv-2505.13447.x.md").exists()


def _queue_two(repo: Path) -> tuple[Path, Path]:
    """Two queued threads; returns (the file a test edits, the file left alone)."""
    (repo / "digests" / "2025-05-20.txt").write_text(FIRST, encoding="utf-8")
    (repo / "digests" / "2025-05-21.txt").write_text(OTHER, encoding="utf-8")
    assert enqueue(repo).returncode == 0
    queue = repo / "queue"
    return queue / "arxiv-2505.13447.x.md", queue / "arxiv-2505.12575.x.md"


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if line == text)


class TestHandEdits:
    """Each mistake is refused with its file and line; the rest of the queue still posts."""

    @pytest.mark.parametrize(
        ("old", "new", "bad_line", "message"),
        [
            ("status: pending", "status: held\nstatus: pending", "status: pending", "twice"),
            (
                "status: pending",
                "status: pending\ncolour: red",
                "colour: red",
                "unknown key 'colour'",
            ),
            ("status: pending", "status: paused", "status: paused", "status"),
            (
                "posted: []",
                "posted:\n"
                + "".join(
                    f'- {{"post": {n}, "id": "{n}", "url": "https://x.com/i/web/status/{n}", '
                    f'"at": "2025-05-27T08:00:00+09:00"}}\n'
                    for n in range(1, 5)
                ).rstrip("\n"),
                "posted:",
                "4 posted records, but the thread has 3 posts",
            ),
        ],
        ids=["duplicate-key", "unknown-key", "status-enum", "forged-records"],
    )
    def test_front_matter_mistake(
        self,
        repo: Path,
        x_server: FakeXServer,
        x_env: dict[str, str],
        old: str,
        new: str,
        bad_line: str,
        message: str,
    ) -> None:
        edited, other = _queue_two(repo)
        text = edited.read_text(encoding="utf-8")
        assert old in text
        edited.write_text(text.replace(old, new, 1), encoding="utf-8")
        line = _line_of(edited, bad_line)
        done = post(repo, x_env)
        assert done.returncode == 1
        (problem,) = [e for e in done.stderr.splitlines() if e.startswith(f"queue/{edited.name}")]
        assert problem.startswith(f"queue/{edited.name}:{line}: ") and message in problem
        assert items(repo)[other.name.removesuffix(".md")].status == "posted"
        assert len(x_server.tweets) == 3  # the other thread only
        assert "Traceback" not in done.stderr

    def test_unknown_platform_file_is_reported(
        self, repo: Path, x_server: FakeXServer, x_env: dict[str, str]
    ) -> None:
        """A file for no known platform (`x.myspace.md`) is said, with its platform line."""
        edited, other = _queue_two(repo)
        item = read_item(edited).item
        FileQueue(repo / "queue").save(item.model_copy(update={"platform": "myspace"}))
        path = repo / "queue" / "arxiv-2505.13447.myspace.md"
        done = post(repo, x_env)
        assert done.returncode == 1
        line = _line_of(path, "platform: myspace")
        assert f"queue/{path.name}:{line}: unknown platform 'myspace'" in done.stderr
        assert items(repo)[other.name.removesuffix(".md")].status == "posted"

    def test_split_post_is_numbered_from_the_thread(
        self, repo: Path, x_server: FakeXServer, x_env: dict[str, str]
    ) -> None:
        """A post split by hand in a file that still carries old `N/3` text goes out 1/4 … 4/4."""
        edited, _ = _queue_two(repo)
        text = edited.read_text(encoding="utf-8")
        # The layout older versions wrote: the suffix stored in each post's text.
        for n in (1, 2, 3):
            head = f"---- post {n} ----\n"
            start = text.index(head) + len(head)
            end = text.find("\n\n---- post", start)
            end = len(text.rstrip("\n")) if end == -1 else end
            text = text[:end] + f"\n{n}/3" + text[end:]
        # Split post 2 in two by adding a separator; renumber the one after it.
        text = text.replace("---- post 3 ----", "---- post 4 ----")
        text = text.replace("흥미롭습니다.", "흥미롭습니다.\n\n---- post 3 ----\n추가로 나눈 글.")
        edited.write_text(text, encoding="utf-8")
        done = post(repo, x_env)
        assert done.returncode == 0, done.stderr
        (chain,) = [c for c in chains(x_server) if c[0]["text"].startswith("Mean Flows")]
        assert [t["text"].rsplit("\n", 1)[1] for t in chain] == ["1/4", "2/4", "3/4", "4/4"]
        assert not any("/3" in t["text"] for t in chain)


class TestStatusCommands:
    """hold, release and retry: 0 with a note when already so; retry refuses what it cannot."""

    def test_already_in_that_state(self, repo: Path) -> None:
        _queue_two(repo)
        key = "arxiv-2505.13447.x"
        assert publisher(repo, "hold", key).returncode == 0
        again = publisher(repo, "hold", key)
        assert again.returncode == 0 and "already held" in again.stdout
        assert publisher(repo, "release", key).returncode == 0
        again = publisher(repo, "release", key)
        assert again.returncode == 0 and "not held" in again.stdout
        due = publisher(repo, "retry", key, "--now", RUN_AT)
        assert due.returncode == 0 and "already due" in due.stdout

    def test_retry_refuses_a_thread_neither_failed_nor_deferred(self, repo: Path) -> None:
        """`retry` on a pending thread would silently move its time: exit 2, saying why."""
        edited, _ = _queue_two(repo)
        before = edited.read_bytes()
        done = publisher(repo, "retry", "arxiv-2505.13447.x", "--now", ENQUEUE_AT)
        assert done.returncode == 2
        line = _line_of(edited, "status: pending")
        assert done.stderr.startswith(f"queue/{edited.name}:{line}: status pending, neither failed")
        assert edited.read_bytes() == before


class TestNoSilentFailure:
    """A service that cannot be reached, or refuses the account, fails the run; nothing lost."""

    def test_unreachable_x(self, repo: Path) -> None:
        _queue_two(repo)
        env = quiet_env(**X_CANARY, X_API_BASE_URL=f"http://127.0.0.1:{closed_port()}")
        done = post(repo, env)
        assert done.returncode == 1, done.stdout
        assert "stopped x: cannot connect" in done.stderr  # the platform named once
        for item in items(repo).values():
            assert item.status == "pending" and item.posted == []
        assert any("cannot connect" in (i.reason or "") for i in items(repo).values())

    def test_credentials_refused(
        self, repo: Path, x_server: FakeXServer, x_env: dict[str, str]
    ) -> None:
        """A 401: the run fails, the threads stay pending (they are not at fault)."""
        _queue_two(repo)
        done = post(repo, {**x_env, "X_API_SECRET": "canary-wrong-secret-1111"})
        assert done.returncode == 1
        assert "401" in done.stderr and "canary-wrong-secret-1111" not in done.stderr
        assert {i.status for i in items(repo).values()} == {"pending"}

    def test_out_of_credit(self, repo: Path, x_server: FakeXServer, x_env: dict[str, str]) -> None:
        """X's 402 CreditsDepleted: no retry cures it; the run fails, the threads stay pending."""
        _queue_two(repo)
        x_server.fail_next("402")
        done = post(repo, x_env)
        assert done.returncode == 1
        assert "stopped x" in done.stderr and "402 CreditsDepleted" in done.stderr
        assert {i.status for i in items(repo).values()} == {"pending"}
        assert x_server.tweets == []  # the platform was stopped: nothing else was tried
        assert any("402" in (i.reason or "") for i in items(repo).values())

    def test_rate_limit_within_budget_exits_0(
        self, repo: Path, x_server: FakeXServer, x_env: dict[str, str]
    ) -> None:
        """A 429 whose reset is past the run's budget defers the thread and exits 0."""
        _queue_two(repo)
        x_server.fail_next("429", reset_in=3600)
        done = post(repo, x_env)
        assert done.returncode == 0, done.stderr
        assert "deferred" in done.stdout

    @pytest.mark.pds
    def test_unreachable_bluesky(self, repo: Path) -> None:
        (repo / "config" / "publisher.toml").write_text(
            CONFIG.replace('["x"]', '["bluesky"]'), encoding="utf-8"
        )
        _queue_two(repo)
        env = quiet_env(
            BLUESKY_HANDLE="alice.test",
            BLUESKY_APP_PASSWORD="canary-app-password",
            BLUESKY_SERVICE=f"http://127.0.0.1:{closed_port()}",
        )
        done = post(repo, env)
        assert done.returncode == 1, done.stdout
        assert "stopped bluesky" in done.stderr and "cannot connect" in done.stderr
        assert {i.status for i in items(repo).values()} == {"pending"}


class TestNumbering:
    """`number_posts` numbers from the posts' places and drops any number already in the text."""

    @pytest.mark.parametrize(
        ("posts", "options", "sent"),
        [
            (["a", "b"], FormatSettings(), ["a\n1/2", "b\n2/2"]),
            (
                ["a\n1/3", "b\n2/3", "c", "d\n3/3"],
                FormatSettings(),
                ["a\n1/4", "b\n2/4", "c\n3/4", "d\n4/4"],
            ),
            (["only\n1/2"], FormatSettings(), ["only"]),
            (["a 🧵", "b"], FormatSettings(numbering="marker"), ["a 🧵", "b"]),
            (["a\n1/2", "b\n2/2"], FormatSettings(numbering="none"), ["a", "b"]),
            (["ratio\n1/2 of it", "b"], FormatSettings(), ["ratio\n1/2 of it\n1/2", "b\n2/2"]),
        ],
        ids=[
            "fresh",
            "old-suffixes-split",
            "merged-to-one",
            "marker-not-doubled",
            "none",
            "not-a-number-line",
        ],
    )
    def test_number_posts(self, posts: list[str], options: FormatSettings, sent: list[str]) -> None:
        assert number_posts(posts, options) == sent


class TestDigestFiles:
    """A folder means its digest files: .txt and .toml, not hidden files nor READMEs."""

    def test_walk(self, tmp_path: Path) -> None:
        from publisher.sweep import digest_files

        for name in ("a.txt", "sub/b.toml", "README.txt", ".hidden.txt", ".git/c.txt", "notes.md"):
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_text("x", encoding="utf-8")
        found = digest_files([tmp_path, tmp_path / "a.txt"])
        assert [p.relative_to(tmp_path).as_posix() for p in found] == ["a.txt", "sub/b.toml"]


class TestRetryBudget:
    """An unreachable platform is never deferred in silence, even when the budget runs out."""

    def test_unreachable_past_the_budget_is_raised(self) -> None:
        budget = retry.Budget(
            RetrySettings(budget_seconds=0, initial_wait=5, max_wait=5, max_attempts=6),
            FakeClock(t=1000.0),
        )
        calls = []

        def unreachable() -> None:
            calls.append(1)
            raise Unreachable("x: cannot connect")

        with pytest.raises(Unreachable):
            retry.call(unreachable, budget)
        assert len(calls) == 1

    def test_a_5xx_past_the_budget_is_deferred(self) -> None:
        budget = retry.Budget(
            RetrySettings(budget_seconds=0, initial_wait=5, max_wait=5, max_attempts=6),
            FakeClock(t=1000.0),
        )

        def server_error() -> None:
            raise TransientError("x: 503", status=503)

        with pytest.raises(DeferUntil):
            retry.call(server_error, budget)
