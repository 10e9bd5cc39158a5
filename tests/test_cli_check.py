"""`publisher check FILE...`: every problem on stderr as FILE:LINE: message; exit 2; no writes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.publisher_cli import PUBLISHER, quiet_env, run_publisher

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "digest-2025-05-20.txt"
LINES = EXAMPLE.read_text(encoding="utf-8").split("\n")
MEAN_FLOWS = "Mean Flows for One-step Generative Modeling"
MODEL_MERGING = "Model Merging in Pre-training of Large Language Models"


def without(*line_numbers: int) -> bytes:
    kept = [line for no, line in enumerate(LINES, 1) if no not in line_numbers]
    return "\n".join(kept).encode()


def files_in(directory: Path) -> set[Path]:
    return {path.relative_to(directory) for path in directory.rglob("*")}


def check(tmp_path: Path, *names: str) -> subprocess.CompletedProcess[str]:
    """Run ``publisher check`` in tmp_path on the named files; nothing may be written there."""
    before = files_in(tmp_path)
    result = run_publisher("check", *names, cwd=tmp_path)
    assert files_in(tmp_path) == before, "check must not write anything"
    assert "Traceback" not in result.stderr
    return result


OFFSET = EXAMPLE.read_bytes().index(b"(Zhengyang")

# (name, the file's bytes, the expected stderr lines for digest.txt)
BROKEN = [
    (
        "no-authors",
        without(9),
        [
            f'digest.txt:9: entry "{MODEL_MERGING}" has no authors line: expected '
            '"(Author One, Author Two)" after the title'
        ],
    ),
    (
        "no-korean",
        without(5),
        [
            f'digest.txt:5: entry "{MEAN_FLOWS}": English comment has no Korean original: '
            "expected Korean line(s) between the abstract and the English comment"
        ],
    ),
    (
        "no-english",
        without(6),
        [
            f'digest.txt:5: entry "{MEAN_FLOWS}": Korean comment has no English translation: '
            "expected as many English line(s) after the Korean comment"
        ],
    ),
    (
        "no-hashtags",
        without(7),
        [
            f'digest.txt:6: entry "{MEAN_FLOWS}": no hashtags: expected a line like '
            '"#rl #reasoning" after the English comment'
        ],
    ),
    (
        "bad-date",
        "\n".join(["2025년 2월 30일", *LINES[1:]]).encode(),
        ['digest.txt:1: date "2025년 2월 30일" does not exist'],
    ),
    ("empty", b"", ["digest.txt: file is empty"]),
    (
        "invalid-utf8",
        EXAMPLE.read_bytes()[:OFFSET] + b"\xff" + EXAMPLE.read_bytes()[OFFSET:],
        [f"digest.txt:3: not UTF-8: invalid byte 0xff at offset {OFFSET}"],
    ),
    (
        "python-source",
        (ROOT / "publisher" / "errors.py").read_bytes(),
        ['digest.txt:1: not a digest: expected a date line like "2025년 5월 20일" first'],
    ),
    (
        "several",
        "\n".join(["2025년 2월 30일", *without(1, 9).decode().split("\n")]).encode(),
        [
            'digest.txt:1: date "2025년 2월 30일" does not exist',
            f'digest.txt:9: entry "{MODEL_MERGING}" has no authors line: expected '
            '"(Author One, Author Two)" after the title',
        ],
    ),
]


class TestCheck:
    """`publisher check` reports every problem of a broken digest and exits 2."""

    @pytest.mark.parametrize(
        ("content", "expected"),
        [pytest.param(content, expected, id=name) for name, content, expected in BROKEN],
    )
    def test_broken_digest(self, tmp_path: Path, content: bytes, expected: list[str]) -> None:
        (tmp_path / "digest.txt").write_bytes(content)
        result = check(tmp_path, "digest.txt")
        assert result.returncode == 2
        reported = [line for line in result.stderr.splitlines() if line.startswith("digest.txt")]
        assert reported == expected

    def test_problems_of_all_files(self, tmp_path: Path) -> None:
        (tmp_path / "a.txt").write_bytes(without(9))
        (tmp_path / "b.txt").write_bytes(EXAMPLE.read_bytes())
        (tmp_path / "c.toml").write_bytes(b"")
        result = check(tmp_path, "a.txt", "b.txt", "c.toml")
        assert result.returncode == 2
        lines = result.stderr.splitlines()
        assert any(line.startswith("a.txt:9: ") for line in lines)
        assert "c.toml: file is empty" in lines
        assert not any(line.startswith("b.txt") for line in lines)

    def test_valid_digest(self, tmp_path: Path) -> None:
        (tmp_path / "digest.txt").write_bytes(EXAMPLE.read_bytes())
        result = check(tmp_path, "digest.txt")
        assert result.returncode == 0, result.stderr


class TestEveryFileReported:
    """`check` prints one line per file, good or bad, in order, and then the problems."""

    def test_good_and_bad_files_each_get_a_line(self, tmp_path: Path) -> None:
        """Good files get their date and entry count, bad ones their problem count."""
        (tmp_path / "good.txt").write_bytes(EXAMPLE.read_bytes())
        (tmp_path / "bad.txt").write_bytes(without(5, 9))
        (tmp_path / "empty.toml").write_bytes(b"")
        (tmp_path / "example.txt").write_bytes(EXAMPLE.read_bytes())
        result = check(tmp_path, "good.txt", "bad.txt", "empty.toml", "example.txt")
        assert result.returncode == 2
        assert result.stdout.splitlines() == [
            "good.txt: 2025-05-20, 9 entries",
            "bad.txt: invalid, 2 problems",
            "empty.toml: invalid, 1 problem",
            "example.txt: 2025-05-20, 9 entries",
        ]
        problems = result.stderr.splitlines()
        assert len([p for p in problems if p.startswith("bad.txt:")]) == 2
        assert "empty.toml: file is empty" in problems

    def test_summary_lines_come_before_the_problems(self, tmp_path: Path) -> None:
        """On one stream (a terminal, `2>&1`) every file's line comes before the first error."""
        (tmp_path / "bad.txt").write_bytes(without(9))
        (tmp_path / "good.txt").write_bytes(EXAMPLE.read_bytes())
        merged = subprocess.run(
            [*PUBLISHER, "check", "bad.txt", "good.txt"],
            cwd=tmp_path,
            env=quiet_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=60,
            check=False,
        )
        lines = merged.stdout.splitlines()
        assert lines[:2] == ["bad.txt: invalid, 1 problem", "good.txt: 2025-05-20, 9 entries"]
        assert lines[2].startswith("bad.txt:9: ")
