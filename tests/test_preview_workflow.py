"""preview.yml: the pull-request check. Its shape, and its scripts run on a real merge commit.

The workflow runs the action's preview (action.yml, ``command: preview``). The audits every
workflow passes (zizmor, schema, SHA pins, no secrets) are in ``test_workflows.py``; here are
the preview's own promises, and a run of the action's preview steps' scripts with bash, as the
runner runs them, in a repository whose HEAD merges a pull request into its base.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.publisher_cli import quiet_env
from tests.test_workflows import (
    ACTION,
    WORKFLOW_DIR,
    action_step,
    action_steps,
    load,
    named,
    strings,
    triggers,
)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "digest-2025-05-20.txt"
CONFIG = ROOT / "config" / "publisher.toml"


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    return load(named(WORKFLOW_DIR / "preview.yml"))


def step(workflow: dict[str, Any], name: str) -> dict[str, Any]:
    """The action's step of that name (the workflow runs the action's preview)."""
    assert action_step(workflow)["with"]["command"] == "preview"
    return action_steps()[name]


PREVIEW_STEPS = [
    "List changed digests",
    "Check changed digests",
    "Preview digests and queue",
    "Upload the preview page",
]


class TestShape:
    def test_runs_on_pull_requests_that_touch_inputs(self, workflow: dict[str, Any]) -> None:
        """Only `pull_request` (never `pull_request_target`), for digests, queue and config."""
        on = triggers(workflow)
        assert list(on) == ["pull_request"]
        assert on["pull_request"]["paths"] == ["digests/**", "queue/**", "config/**"]

    def test_read_only_without_secrets(self, workflow: dict[str, Any]) -> None:
        """contents: read, and no secret or token anywhere."""
        (job,) = workflow["jobs"].values()
        assert job["permissions"] == {"contents": "read"}
        for _, value in strings(workflow):
            assert "secrets." not in value and "github.token" not in value

    def test_checks_out_the_merge_and_its_base(self, workflow: dict[str, Any]) -> None:
        """fetch-depth 2: the merge commit and its first parent, to list what changed."""
        (job,) = workflow["jobs"].values()
        assert job["steps"][0]["with"]["fetch-depth"] == 2

    def test_nothing_hides_a_failure(self, workflow: dict[str, Any]) -> None:
        """No preview step may fail quietly: no continue-on-error, no `|| true`; each runs only
        for the preview command."""
        for name in PREVIEW_STEPS:
            each = step(workflow, name)
            assert "continue-on-error" not in each
            assert "|| true" not in each.get("run", "")
            assert "inputs.command == 'preview'" in each["if"]
        assert "secrets." not in ACTION.read_text(encoding="utf-8")

    def test_preview_goes_to_the_summary_and_an_artifact(self, workflow: dict[str, Any]) -> None:
        """The preview writes the job summary; its HTML page is uploaded, even after a failure."""
        preview = step(workflow, "Preview digests and queue")
        assert '--summary "$GITHUB_STEP_SUMMARY"' in preview["run"]
        assert "--queue queue" in preview["run"]
        upload = step(workflow, "Upload the preview page")
        assert upload["uses"].startswith("actions/upload-artifact@")
        assert upload["with"]["path"] == "${{ runner.temp }}/preview.html"
        for each in (preview, upload):
            assert "!cancelled()" in each["if"]


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), *args],
        check=True,
        capture_output=True,
        env={
            **os.environ,
            "GIT_AUTHOR_DATE": "2025-05-19T12:00",
            "GIT_COMMITTER_DATE": "2025-05-19T12:00",
        },
    )


class Runner:
    """The job's run: scripts in bash (`bash -e -o pipefail`), outputs and summary in files."""

    def __init__(self, repo: Path, tmp: Path, workflow: dict[str, Any]) -> None:
        self.repo, self.tmp, self.workflow = repo, tmp, workflow
        self.output = tmp / "output"
        self.summary = tmp / "summary.md"
        self.outputs: dict[str, str] = {}
        shim = tmp / "bin"
        shim.mkdir()
        (shim / "publisher").write_text(f'#!/bin/sh\nexec {sys.executable} -m publisher "$@"\n')
        (shim / "publisher").chmod(0o755)
        self.env = quiet_env(
            PATH=f"{shim}{os.pathsep}{os.environ['PATH']}",
            RUNNER_TEMP=str(tmp),
            GITHUB_OUTPUT=str(self.output),
            GITHUB_STEP_SUMMARY=str(self.summary),
        )

    def run(self, name: str) -> int:
        script = step(self.workflow, name)["run"]
        env = {**self.env, "LIST": self.outputs.get("list", "")}
        self.output.write_text("")
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", script],
            cwd=self.repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert "Traceback" not in done.stderr
        for line in self.output.read_text().splitlines():
            key, _, value = line.partition("=")
            self.outputs[key] = value
        return done.returncode


@pytest.fixture
def pull_request(tmp_path: Path) -> Path:
    """A repository on main (config, queue with the example enqueued), with a branch `pr`."""
    repo = tmp_path / "repo"
    (repo / "config").mkdir(parents=True)
    shutil.copy(CONFIG, repo / "config" / "publisher.toml")
    (repo / "digests").mkdir()
    (repo / "queue").mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "publisher", "enqueue", str(EXAMPLE), "--now", "2025-05-19T12:00"],
        cwd=repo,
        env=quiet_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    git(repo, "init", "-q", "-b", "main")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "add", "--", ".")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base")
    git(repo, "checkout", "-q", "-b", "pr")
    return repo


def merge(repo: Path) -> None:
    """Commit the pull request and check out its merge into main, as actions/checkout does."""
    ident = ("-c", "user.name=t", "-c", "user.email=t@t")
    git(repo, *ident, "add", "--", ".")
    git(repo, *ident, "commit", "-qm", "pull request")
    git(repo, "checkout", "-q", "main")
    git(repo, *ident, "merge", "-q", "--no-ff", "-m", "merge", "pr")


def run_job(repo: Path, tmp: Path, workflow: dict[str, Any]) -> tuple[Runner, dict[str, int]]:
    runner = Runner(repo, tmp, workflow)
    codes = {"changed": runner.run("List changed digests")}
    if runner.outputs["count"] != "0":
        codes["check"] = runner.run("Check changed digests")
    codes["preview"] = runner.run("Preview digests and queue")
    return runner, codes


class TestRun:
    def test_a_new_digest_is_checked_and_previewed(
        self, pull_request: Path, tmp_path: Path, workflow: dict[str, Any]
    ) -> None:
        """A valid new digest: checked, previewed with the queue, all green."""
        digest = pull_request / "digests" / "2025-05-21.txt"
        digest.write_text(EXAMPLE.read_text(encoding="utf-8").replace("5월 20일", "5월 21일"))
        merge(pull_request)
        runner, codes = run_job(pull_request, tmp_path, workflow)
        assert runner.outputs["count"] == "1"
        assert codes == {"changed": 0, "check": 0, "preview": 0}
        summary = runner.summary.read_text(encoding="utf-8")
        assert "Preview of digests/2025-05-21.txt and the queue queue" in summary
        assert "36 threads; no problems" in summary  # 18 new ones and the 18 queued
        assert (tmp_path / "preview.html").stat().st_size > 10_000

    def test_a_queue_edit_over_the_limit_fails(
        self, pull_request: Path, tmp_path: Path, workflow: dict[str, Any]
    ) -> None:
        """An edit that pushes a queued post over its limit fails the job, named in the summary."""
        path = next((pull_request / "queue").glob("*.bluesky.md"))
        path.write_text(path.read_text(encoding="utf-8") + "더 " * 300, encoding="utf-8")
        merge(pull_request)
        runner, codes = run_job(pull_request, tmp_path, workflow)
        assert runner.outputs["count"] == "0"
        assert codes == {"changed": 0, "preview": 1}
        summary = runner.summary.read_text(encoding="utf-8")
        assert "**1 problems**" in summary
        assert f"queue/{path.name}" in summary

    def test_an_invalid_digest_fails_and_is_still_previewed(
        self, pull_request: Path, tmp_path: Path, workflow: dict[str, Any]
    ) -> None:
        """An invalid digest fails `check`; the preview still runs and shows where."""
        lines = EXAMPLE.read_text(encoding="utf-8").split("\n")
        (pull_request / "digests" / "bad.txt").write_text("\n".join(lines[:2] + lines[3:]))
        merge(pull_request)
        runner, codes = run_job(pull_request, tmp_path, workflow)
        assert codes == {"changed": 0, "check": 2, "preview": 2}
        assert "digests/bad.txt:3: entry" in runner.summary.read_text(encoding="utf-8")
