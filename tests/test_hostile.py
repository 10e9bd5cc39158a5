"""Hostile and broken input: every bad option, file and environment ends in a one-line message and
a documented exit code (2 bad input, usage or configuration; 1 a run or queue problem), never a
traceback, a hang, a secret or a workflow command in the output.

The table ``CASES`` is the specification: each row builds a situation in an empty folder, runs one
command there, and names the exit code and the message expected.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from publisher import cli
from publisher.config import load_env, load_settings
from publisher.digest import MAX_DIGEST_BYTES, read_digests
from publisher.errors import InputError
from publisher.hygiene import one_line
from publisher.scrub import REDACTED, scrub
from publisher.store.fileformat import read_item
from tests.conftest import EXAMPLE, X_CANARY
from tests.fakes.echo import EchoServer
from tests.publisher_cli import quiet_env, run_publisher

NOW = "2025-05-20T08:00"
BLUESKY_CANARY = {"BLUESKY_HANDLE": "alice.test", "BLUESKY_APP_PASSWORD": "canary-app-pw-3f9a"}
CREDENTIALS = {**X_CANARY, **BLUESKY_CANARY}
SECRETS = [*X_CANARY.values(), BLUESKY_CANARY["BLUESKY_APP_PASSWORD"]]  # the handle is public
TITLE = "Mean Flows for One-step Generative Modeling"


def digest_with_title(folder: Path, title: str) -> str:
    """The example digest with its first title replaced; returns the file name."""
    text = EXAMPLE.read_text(encoding="utf-8").replace(TITLE, title, 1)
    (folder / "d.txt").write_text(text, encoding="utf-8")
    return "d.txt"


def enqueued(folder: Path) -> None:
    """The example digest, enqueued into ``folder/queue``."""
    shutil.copy(EXAMPLE, folder / "d.txt")
    done = run_publisher("enqueue", "d.txt", "--now", NOW, cwd=folder)
    assert done.returncode == 0, done.stderr


@dataclass
class Case:
    """One bad situation: what to build, the command, the exit code and message expected."""

    name: str
    args: list[str]
    code: int
    message: str
    setup: Callable[[Path], None] = lambda _folder: None
    env: dict[str, str] = field(default_factory=dict)
    untouched: str | None = None  # a path (relative to the folder) that must not appear


def _write(name: str, data: bytes | str) -> Callable[[Path], None]:
    def setup(folder: Path) -> None:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)

    return setup


def _fifo(name: str) -> Callable[[Path], None]:
    def setup(folder: Path) -> None:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(folder / name)

    return setup


def _symlink(name: str, target: str) -> Callable[[Path], None]:
    def setup(folder: Path) -> None:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).symlink_to(target if target.startswith("/") else folder / target)

    return setup


def _both(*steps: Callable[[Path], None]) -> Callable[[Path], None]:
    def setup(folder: Path) -> None:
        for step in steps:
            step(folder)

    return setup


def _title(title: str) -> Callable[[Path], None]:
    def setup(folder: Path) -> None:
        digest_with_title(folder, title)

    return setup


def _big_digest(folder: Path) -> None:
    with (folder / "big.txt").open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # 50 MB (sparse): refused before it is read


def _queue_post_with(text: str) -> Callable[[Path], None]:
    def setup(folder: Path) -> None:
        enqueued(folder)
        path = sorted((folder / "queue").glob("*.x.md"))[0]
        path.write_text(path.read_text(encoding="utf-8") + text + "\n", encoding="utf-8")

    return setup


def _queue_title(yaml_value: str) -> Callable[[Path], None]:
    def setup(folder: Path) -> None:
        enqueued(folder)
        path = sorted((folder / "queue").glob("*.x.md"))[0]
        text = re.sub(r"(?m)^title: .*$", lambda _m: f"title: {yaml_value}", path.read_text())
        path.write_text(text, encoding="utf-8")

    return setup


REAL_RUN = ["--now", NOW]
CASES = [
    # -- configuration
    Case(
        "empty slots",
        ["enqueue", "d.txt", "--config", "c.toml", "--now", NOW],
        2,
        "slots is empty",
        _both(
            _write("c.toml", "[schedule]\nslots = []\n"),
            lambda f: shutil.copy(EXAMPLE, f / "d.txt"),
        ),
    ),
    Case(
        "config not UTF-8",
        ["--dry-run", "--config", "c.toml"],
        2,
        "c.toml",
        _write("c.toml", b"\xff\xfe"),
    ),
    Case(
        "config is a FIFO",
        ["--dry-run", "--config", "c.toml"],
        2,
        "c.toml: not a regular file",
        _fifo("c.toml"),
    ),
    Case(
        "config is a folder",
        ["--dry-run", "--config", "c"],
        2,
        "not a regular file",
        lambda f: (f / "c").mkdir(),
    ),
    Case(
        "X_API_BASE_URL not a URL",
        REAL_RUN,
        2,
        "X_API_BASE_URL must be an http(s) URL",
        env={**CREDENTIALS, "X_API_BASE_URL": "notaurl"},
        setup=_write("queue/README.md", "the queue\n"),  # the run needs its folder
    ),
    Case(
        "BLUESKY_SERVICE not http",
        REAL_RUN,
        2,
        "BLUESKY_SERVICE must be an http(s) URL",
        env={**CREDENTIALS, "BLUESKY_SERVICE": "ftp://bsky.social"},
        setup=_write("queue/README.md", "the queue\n"),  # the run needs its folder
    ),
    Case(
        "BLUESKY_SERVICE bad port",
        REAL_RUN,
        2,
        "BLUESKY_SERVICE must be an http(s) URL",
        env={**CREDENTIALS, "BLUESKY_SERVICE": "https://h:99999"},
        setup=_write("queue/README.md", "the queue\n"),  # the run needs its folder
    ),
    Case(".env not UTF-8", ["--dry-run"], 2, ".env:2: not UTF-8", _write(".env", b"A=1\nB=\xff\n")),
    Case(
        ".env unreadable", ["--dry-run"], 2, ".env: cannot read", _symlink(".env", "/proc/self/mem")
    ),
    # -- options
    Case(
        "--now far future",
        ["--dry-run", "--now", "9999-12-31T20:00"],
        2,
        "--now: '9999-12-31T20:00': the year must be between 1970 and 9000",
    ),
    Case(
        "--now overflow on enqueue",
        ["enqueue", "d.txt", "--now", "9999-12-31T20:00"],
        2,
        "the year must be between",
        lambda f: shutil.copy(EXAMPLE, f / "d.txt"),
    ),
    Case("--now not a time", ["--dry-run", "--now", "soon"], 2, "is not an ISO 8601 time"),
    Case(
        "--summary into a missing folder",
        ["--dry-run", "--summary", "no/such/s.md"],
        2,
        "--summary: 'no/such/s.md': its folder no/such does not exist",
    ),
    Case(
        "enqueue --summary into a missing folder",
        ["enqueue", "d.txt", "--summary", "no/s.md", "--now", NOW],
        2,
        "does not exist",
        lambda f: shutil.copy(EXAMPLE, f / "d.txt"),
        untouched="queue",
    ),
    Case("--summary is a folder", ["--dry-run", "--summary", "."], 2, "is a folder"),
    Case(
        "--summary is a FIFO",
        ["--dry-run", "--summary", "p"],
        2,
        "--summary: 'p': is not a regular file",
        _fifo("p"),
    ),
    Case(
        "release an unknown id",
        ["release", "nope", "--now", NOW],
        2,
        "no queue item 'nope'",
        _write("queue/README.md", "the queue\n"),
    ),
    Case("retry with a bad --now", ["retry", "x", "--now", "1e9"], 2, "is not an ISO 8601 time"),
    Case("--queue is a device", ["status", "--json", "--queue", "/dev/null"], 2, "is not a folder"),
    Case("--now before 1970", ["--dry-run", "--now", "0001-01-01T00:00"], 2, "between 1970"),
    Case("unknown option", ["status", "--frobnicate"], 2, "unrecognized arguments"),
    Case("unknown platform", ["--dry-run", "--platform", "myspace"], 2, "invalid choice"),
    Case(
        "hold an unknown id",
        ["hold", "nope", "--now", NOW],
        2,
        "no queue item 'nope'",
        _write("queue/README.md", "the queue\n"),
    ),
    # -- the queue folder
    Case(
        "--queue is a file (status)",
        ["status", "--queue", "f"],
        2,
        "is not a folder",
        _write("f", "x"),
    ),
    Case(
        "--queue is a file (enqueue)",
        ["enqueue", "d.txt", "--queue", "f", "--now", NOW],
        2,
        "is not a folder",
        _both(_write("f", "x"), lambda f: shutil.copy(EXAMPLE, f / "d.txt")),
    ),
    Case(
        "--queue is a file (run)",
        ["--queue", "f", *REAL_RUN],
        2,
        "is not a folder",
        _write("f", "x"),
        env=CREDENTIALS,
    ),
    Case(
        ".lock is a folder",
        ["enqueue", "d.txt", "--now", NOW],
        1,
        "cannot take the queue lock",
        _both(
            lambda f: (f / "queue/.lock").mkdir(parents=True),
            lambda f: shutil.copy(EXAMPLE, f / "d.txt"),
        ),
    ),
    Case(
        ".lock is a symlink out",
        ["enqueue", "d.txt", "--now", NOW],
        1,
        "(a symlink)",
        _both(_symlink("queue/.lock", "elsewhere"), lambda f: shutil.copy(EXAMPLE, f / "d.txt")),
        untouched="elsewhere",
    ),
    Case(
        ".lock is a FIFO",
        ["hold", "x", "--now", NOW],
        1,
        "not a regular file",
        _fifo("queue/.lock"),
    ),
    Case(
        "FIFO in the queue", ["status"], 1, "queue/a.x.md: a FIFO: not read", _fifo("queue/a.x.md")
    ),
    Case(
        "FIFO with another name", ["status"], 1, "queue/pipe: a FIFO: not read", _fifo("queue/pipe")
    ),
    Case(
        "symlink to /dev/zero",
        ["status"],
        1,
        "queue/a.x.md: a symlink that leaves",
        _symlink("queue/a.x.md", "/dev/zero"),
    ),
    Case(
        "symlink out of the queue",
        ["--dry-run"],
        1,
        "queue/b.x.md: a symlink that leaves",
        _both(_write("outside.md", "---\n---\n"), _symlink("queue/b.x.md", "outside.md")),
    ),
    Case(
        "ledger is a FIFO",
        ["enqueue", "d.txt", "--now", NOW],
        2,
        "posted.txt: a FIFO",
        _both(_fifo("queue/posted.txt"), lambda f: shutil.copy(EXAMPLE, f / "d.txt")),
    ),
    Case(
        "queue file too big",
        ["status"],
        1,
        "larger than",
        _write("queue/a.x.md", "---\n" + "a" * (2 << 20)),
    ),
    Case(
        "queue post with U+202E",
        ["status"],
        1,
        "U+202E RIGHT-TO-LEFT OVERRIDE",
        _queue_post_with("evil\u202etxt"),
    ),
    Case(
        "queue title with an escaped newline",
        ["--dry-run", "--now", "2025-05-20T09:00"],
        1,
        "title: must be one line",
        _queue_title('"a\\n::warning::pwned"'),
    ),
    Case(
        "queue title with an escaped U+202E",
        ["status"],
        1,
        "U+202E",
        _queue_title('"a\\u202eb"'),
    ),
    Case("queue post with NUL", ["status"], 1, "U+0000 NUL", _queue_post_with("a\x00b")),
    # -- digests
    Case(
        "digest over the size limit",
        ["check", "big.txt"],
        2,
        f"over the {MAX_DIGEST_BYTES:,}-byte limit",
        _big_digest,
    ),
    Case("digest is a FIFO", ["check", "p.txt"], 2, "p.txt: not a regular file", _fifo("p.txt")),
    Case(
        "digest is /dev/zero",
        ["enqueue", "/dev/zero", "--now", NOW],
        2,
        "not a regular file",
        untouched="queue",
    ),
    Case("digest is a folder", ["check", "."], 2, "is a folder"),
    Case("digest is missing", ["check", "nope.txt"], 2, "nope.txt: cannot read the file"),
    Case("digest not UTF-8", ["check", "d.txt"], 2, "d.txt:1: not UTF-8", _write("d.txt", b"\xff")),
    Case(
        "title with NUL (check)",
        ["check", "d.txt"],
        2,
        "d.txt:2: U+0000 NUL",
        _title("Mean\x00Flows"),
    ),
    Case(
        "title with NUL (enqueue)",
        ["enqueue", "d.txt", "--now", NOW],
        2,
        "d.txt:2: U+0000 NUL",
        _title("Mean\x00Flows"),
        untouched="queue",
    ),
    Case(
        "title with U+202E (check)",
        ["check", "d.txt"],
        2,
        "d.txt:2: U+202E RIGHT-TO-LEFT OVERRIDE at column 5",
        _title("Mean\u202eFlows"),
    ),
    Case(
        "title with U+2066 (enqueue)",
        ["enqueue", "d.txt", "--now", NOW],
        2,
        "d.txt:2: U+2066 LEFT-TO-RIGHT ISOLATE",
        _title("Mean\u2066Flows"),
    ),
    Case(
        "title with U+FEFF (check)",
        ["check", "d.txt"],
        2,
        "d.txt:2: U+FEFF",
        _title("Mean\ufeffFlows"),
    ),
    Case(
        "title with U+FEFF (enqueue)",
        ["enqueue", "d.txt", "--now", NOW],
        2,
        "d.txt:2: U+FEFF",
        _title("Mean\ufeffFlows"),
    ),
    Case(
        "TOML escape U+202E",
        ["check", "d.toml"],
        2,
        "U+202E",
        _write(
            "d.toml",
            'date = 2025-05-20\n[[paper]]\ntitle = "a\\u202eb"\n'
            'authors = ["A"]\nabstract = "x"\ncomment_ko = ["한국"]\ncomment_en = ["e"]\n'
            'hashtags = ["t"]\n',
        ),
    ),
    Case(
        "digest name injecting a workflow command",
        ["check", "a\n::warning::pwned"],
        2,
        "a\\n::warning::pwned: cannot read the file",
    ),
    Case(
        "digest text injecting a workflow command",
        ["check", "d.txt"],
        2,
        "d.txt:",
        _write("d.txt", "2025년 5월 20일\n::add-mask::x\n::warning::pwned\n"),
    ),
    Case(
        "commit-back outside git",
        ["commit-back"],
        1,
        "not a git working tree",
        _write("queue/README.md", "the queue\n"),
    ),
]


class TestBadInputTable:
    """Every row: its exit code, its message, one line per problem, no traceback, no '::' line."""

    @pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
    def test_case(self, case: Case, tmp_path: Path) -> None:
        case.setup(tmp_path)
        done = run_publisher(*case.args, cwd=tmp_path, env=quiet_env(**case.env), timeout=30)
        output = done.stdout + done.stderr
        assert done.returncode == case.code, output
        assert case.message in done.stderr, done.stderr
        assert "Traceback" not in output
        assert not [line for line in output.splitlines() if line.startswith("::")], output
        for secret in SECRETS:
            assert secret not in output
        if case.untouched:
            assert not (tmp_path / case.untouched).exists()


class TestLimits:
    """Work stays bounded whatever the input."""

    def test_a_huge_digest_is_refused_before_reading(self, tmp_path: Path) -> None:
        """A 50 MB file is refused by its size: the read never happens (it would take 50 MB)."""
        _big_digest(tmp_path)
        with (
            mock.patch("os.fdopen", side_effect=AssertionError("read")),
            pytest.raises(InputError, match="byte limit"),
        ):
            read_digests([tmp_path / "big.txt"])

    def test_a_digest_at_the_limit_is_read(self, tmp_path: Path) -> None:
        """The limit refuses only what is over it: a file of exactly the limit is parsed."""
        path = tmp_path / "d.txt"
        path.write_bytes(b"\n" * MAX_DIGEST_BYTES)
        with pytest.raises(InputError, match="file is empty"):
            read_digests([path])


class TestScrubber:
    """One function removes every credential from text that came from a server."""

    @pytest.mark.parametrize(
        "text",
        [
            'Authorization: OAuth oauth_consumer_key="ck-1234", oauth_token="tok-5678", '
            'oauth_signature="sig%3D"',
            "GET /2/tweets?oauth_consumer_key=ck-1234&oauth_token=tok-5678 HTTP/1.1",
            '{"identifier": "alice", "password": "abcd-efgh-ijkl-mnop"}',
            '{"accessJwt": "eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl", "refreshJwt": "xyz-1234"}',
            "authorization: Bearer abcdefghijklmnop1234",
        ],
    )
    def test_credential_shapes_are_removed(self, text: str) -> None:
        out = scrub(text)
        assert REDACTED in out
        for value in (
            "ck-1234",
            "tok-5678",
            "sig%3D",
            "abcd-efgh",
            "eyJhbGciOi",
            "xyz-1234",
            "abcdefghijklmnop1234",
        ):
            assert value not in out

    def test_plain_text_is_kept(self) -> None:
        text = "x: 403 You are not allowed to create a Tweet with duplicate content."
        assert scrub(text) == text


class TestOneLine:
    """Output quotes input on one line."""

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("a\n::warning::b", "a\\n::warning::b"),
            ("a\rb\x1b[31m", "a\\rb\\x1b[31m"),
            ("a\u2028b", "a\\u2028b"),
            ("plain 한국어", "plain 한국어"),
        ],
    )
    def test_escapes(self, text: str, expected: str) -> None:
        assert one_line(text) == expected

    def test_no_printed_line_starts_with_a_workflow_command(self) -> None:
        """Even text printed on purpose (a post previewed) cannot start a line with '::'."""
        out = io.StringIO()
        stream = cli._ActionsSafe(out)
        print("::warning::a\n::error::b", file=stream)  # type: ignore[arg-type]
        assert [line for line in out.getvalue().splitlines() if line.startswith("::")] == []


@pytest.mark.parametrize("status", [401, 403, 500, 502])
@pytest.mark.parametrize("platform", ["x", "bluesky"])
def test_a_server_echoing_the_request_leaks_no_credential(
    platform: str, status: int, tmp_path: Path
) -> None:
    """A server that echoes the whole request (OAuth header, password) in its error body: no
    credential reaches stderr, stdout, the queue files or the summary."""
    enqueued(tmp_path)
    (tmp_path / "c.toml").write_text(
        f'platforms = ["{platform}"]\n[retry]\nmax_attempts = 1\nbudget_seconds = 0\n'
        "initial_wait = 0\n",
        encoding="utf-8",
    )
    server = EchoServer(status)
    with server as url:
        env = quiet_env(**CREDENTIALS, X_API_BASE_URL=url, BLUESKY_SERVICE=url)
        done = run_publisher(
            "--config",
            "c.toml",
            "--now",
            "2025-05-20T09:00",
            "--summary",
            "s.md",
            cwd=tmp_path,
            env=env,
            timeout=60,
        )
    echoed = "\n".join(server.requests)
    # The server did echo credentials: otherwise this test could not fail.
    leaked = X_CANARY["X_API_KEY"] if platform == "x" else BLUESKY_CANARY["BLUESKY_APP_PASSWORD"]
    assert leaked in echoed
    assert done.returncode in (0, 1), done.stderr
    stored = "".join(
        p.read_text(encoding="utf-8") for p in (tmp_path / "queue").iterdir() if p.is_file()
    )
    written = done.stdout + done.stderr + (tmp_path / "s.md").read_text(encoding="utf-8") + stored
    assert "Traceback" not in written
    assert str(status) in done.stdout + done.stderr
    assert REDACTED in done.stderr + done.stdout  # the echo did reach the message, scrubbed
    for secret in SECRETS:
        assert secret not in written
    oauth_values = re.findall(r"""oauth_\w+=["']?([^"'&,\s]*)""", written)
    assert set(oauth_values) <= {REDACTED}


# ---- property tests: arbitrary bytes give a result or a clean error ---------------------------

_PROPERTY = settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


@_PROPERTY
@given(data=st.binary(max_size=2000))
def test_any_bytes_as_a_queue_file(data: bytes, tmp_path: Path) -> None:
    path = tmp_path / "a.x.md"
    path.write_bytes(data)
    with contextlib.suppress(InputError):
        read_item(path)


@_PROPERTY
@given(data=st.binary(max_size=2000))
def test_any_bytes_as_a_config(data: bytes, tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_bytes(data)
    with contextlib.suppress(InputError):
        load_settings(path)


@_PROPERTY
@given(data=st.binary(max_size=500))
def test_any_bytes_as_a_dotenv(data: bytes, tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_bytes(data)
    with mock.patch.dict(os.environ, clear=False), contextlib.suppress(InputError):
        load_env(path)


@_PROPERTY
@given(
    data=st.one_of(
        st.binary(max_size=2000),
        st.text(max_size=300).map(lambda t: ("2025년 5월 20일\n" + t).encode("utf-8", "replace")),
    )
)
def test_any_bytes_as_a_digest_through_enqueue(data: bytes, tmp_path: Path) -> None:
    """`enqueue` in-process: exit 0 or 2, one line per message, nothing written outside queue/."""
    folder = tmp_path / "run"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    (folder / "d.txt").write_bytes(data)
    out, err = io.StringIO(), io.StringIO()
    old = Path.cwd()
    os.chdir(folder)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(["enqueue", "d.txt", "--now", NOW])
    finally:
        os.chdir(old)
    assert code in (0, 2), err.getvalue()
    assert {p.name for p in folder.iterdir()} <= {"d.txt", "queue"}
    assert not [line for line in err.getvalue().splitlines() if line.startswith("::")]
    if code == 2:
        assert err.getvalue().startswith("d.txt")


def test_json_output_of_a_hostile_queue_is_valid(tmp_path: Path) -> None:
    """`status --json` over odd files still prints valid JSON and names each problem."""
    _fifo("queue/a.x.md")(tmp_path)
    done = run_publisher("status", "--json", cwd=tmp_path)
    assert done.returncode == 1
    assert json.loads(done.stdout)["problems"] == ["queue/a.x.md: a FIFO: not read"]


def test_the_due_check_neither_hangs_nor_lets_a_file_name_run_a_workflow_command(
    tmp_path: Path,
) -> None:
    """`publisher/due.py` (run before anything is installed) over a FIFO and a hostile name."""
    _fifo("queue/a.x.md")(tmp_path)
    _write("queue/b\n::warning::pwned.x.md", "not front matter")(tmp_path)
    due = Path(cli.__file__).with_name("due.py")
    done = subprocess.run(
        [sys.executable, str(due), "--root", str(tmp_path)],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == "due=true\n"
    assert "a.x.md: cannot read: not a regular file" in done.stderr
    assert "b\\n::warning::pwned.x.md" in done.stderr
    assert not [line for line in done.stderr.splitlines() if line.startswith("::")]
