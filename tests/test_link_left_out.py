"""The X dry run says what the link policy left out: the link, and the setting that keeps it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.publisher_cli import run_publisher

DIGEST = """2025-05-20
A Paper Reviewed on OpenReview
(Ada Lovelace, Alan Turing)
https://openreview.net/forum?id=abc123
We study one thing carefully and report what we found about it.
흥미로운 결과입니다.
An interesting result.
#ml
Mean Flows for One-step Generative Modeling
(Zhengyang Geng, Kaiming He)
arXiv:2505.13447
We propose a principled and effective framework for one-step generative modeling.
평균 속도를 추정하네요.
It estimates the average velocity.
#diffusion
"""


def test_a_non_arxiv_link_left_out_of_x_is_said(tmp_path: Path) -> None:
    (tmp_path / "d.txt").write_text(DIGEST, encoding="utf-8")
    done = run_publisher("--dry-run", "d.txt", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    said = [line.strip() for line in done.stdout.splitlines() if "is left out on X" in line]
    assert said == [
        "x: the paper link https://openreview.net/forum?id=abc123 is left out on X "
        '(link = "id" writes only arXiv links (as arXiv:ID)); [x] link = "url" keeps it '
        "(its post billed at X's URL price)"
    ]
    as_json = json.loads(run_publisher("--dry-run", "--json", "d.txt", cwd=tmp_path).stdout)
    left = {t["entry_id"]: t.get("left_out", "") for t in as_json if t["platform"] == "x"}
    assert "openreview.net" in left["2025-05-20-a-paper-reviewed-on-openreview"]
    assert not [v for k, v in left.items() if "mean-flows" in k and v]


def test_with_link_url_nothing_is_left_out(tmp_path: Path) -> None:
    (tmp_path / "d.txt").write_text(DIGEST, encoding="utf-8")
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "publisher.toml").write_text('[x]\nlink = "url"\n', "utf-8")
    done = run_publisher("--dry-run", "d.txt", cwd=tmp_path)
    assert done.returncode == 0 and "left out" not in done.stdout
    assert "openreview.net/forum?id=abc123" in done.stdout
