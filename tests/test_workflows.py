"""The GitHub Actions workflows: audited by zizmor, valid by schema, and hardened as documented.

zizmor runs offline (``--offline``: no online audits, no GitHub API) with the ``pedantic``
persona and without any config file, so a finding can only be silenced by an inline
``# zizmor: ignore[audit]`` comment, and every such comment must say why.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from publisher.config import env_variables, load_settings
from publisher.cron import cron_plan
from publisher.platforms import registry

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW_DIR = ROOT / ".github" / "workflows"
WORKFLOWS = sorted([*WORKFLOW_DIR.glob("*.yml"), *WORKFLOW_DIR.glob("*.yaml")])
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"#\s*v\d+\.\d+\.\d+\b")
IGNORE_COMMENT = re.compile(r"#\s*zizmor:\s*ignore\[[^\]]*\](?P<rest>.*)$")
BROAD_GIT_ADD = re.compile(r"\bgit\s+add\s+(?:[^\n]*\s)?(?:-A|--all|\.)(?:\s|$)")

per_workflow = pytest.mark.parametrize("path", WORKFLOWS, ids=[p.name for p in WORKFLOWS])


def tool(name: str) -> str:
    """A console script from the test extra, next to this Python or on PATH."""
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: pip install -e '.[test]'")
    return found


def load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.name} is not a mapping"
    return data


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    """The `on:` mapping (PyYAML reads a bare `on` key as the boolean True)."""
    on = workflow.get("on", workflow.get(True))
    assert isinstance(on, dict)
    return on


def steps(workflow: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for job_id, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            yield job_id, step


def strings(node: Any, where: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Every string value in the document with the key path that leads to it."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from strings(value, (*where, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from strings(value, (*where, index))
    elif isinstance(node, str):
        yield where, node


def runs_publisher(step: dict[str, Any], *, commit_back: bool) -> bool:
    """Whether the step's script calls `publisher` (the post run) or `publisher commit-back`."""
    lines = [line.strip() for line in step.get("run", "").splitlines()]
    calls = [line for line in lines if re.match(r"publisher(\s|$)", line)]
    if not commit_back:
        calls = [call for call in calls if not call.startswith("publisher enqueue")]
    return any(("commit-back" in call) == commit_back for call in calls)


def stores_a_secret(step: dict[str, Any]) -> bool:
    """Whether the step runs `gh secret set` and nothing else but removing its input file."""
    script = step.get("run", "").replace("\\\n", " ")
    lines = [line.strip() for line in script.splitlines() if line.strip()]
    return (
        bool(lines)
        and all(line.startswith("gh secret set ") or line.startswith("rm -f ") for line in lines)
        and lines[0].startswith("gh secret set ")
    )


def named(path: Path) -> Path:
    matches = [p for p in WORKFLOWS if p.stem == path.stem]
    assert matches, f"{path.name} is missing from {WORKFLOW_DIR}"
    return matches[0]


def reasonless_ignores(text: str) -> list[str]:
    """`# zizmor: ignore[...]` comments with no reason after them."""
    bad = []
    for line in text.splitlines():
        found = IGNORE_COMMENT.search(line)
        if found and not re.search(r"[A-Za-z]{3,}.*\s.*[A-Za-z]{3,}", found["rest"]):
            bad.append(line.strip())
    return bad


class TestWorkflowFiles:
    def test_the_three_workflows_exist(self) -> None:
        """ci, publish and enqueue are all there."""
        assert {p.stem for p in WORKFLOWS} >= {"ci", "publish", "enqueue"}


class TestAudits:
    @per_workflow
    def test_zizmor_reports_nothing(self, path: Path) -> None:
        """zizmor (offline, pedantic persona, no config file) has no finding."""
        done = subprocess.run(
            [
                tool("zizmor"),
                "--offline",
                "--persona=pedantic",
                "--no-config",
                "--no-progress",
                "--format=json",
                str(path),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        findings = json.loads(done.stdout or "[]")
        summary = [(f["ident"], f["desc"]) for f in findings]
        assert summary == [], done.stderr
        assert done.returncode == 0, done.stderr

    @per_workflow
    def test_schema(self, path: Path) -> None:
        """check-jsonschema accepts the file against the GitHub workflow schema."""
        done = subprocess.run(
            [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr

    @per_workflow
    def test_every_ignore_comment_has_a_reason(self, path: Path) -> None:
        """A `# zizmor: ignore[...]` comment says why the finding does not apply."""
        assert reasonless_ignores(path.read_text(encoding="utf-8")) == []

    @pytest.mark.parametrize(
        ("line", "ok"),
        [
            ("x: y # zizmor: ignore[artipacked]", False),
            ("x: y # zizmor: ignore[artipacked] ", False),
            ("x: y # zizmor: ignore[artipacked] ok", False),
            ("x: y # zizmor: ignore[artipacked] -- the push step needs the token", True),
            ("x: y # no suppression here", True),
        ],
    )
    def test_reason_checker(self, line: str, ok: bool) -> None:
        """The reason check itself tells a bare suppression from an explained one."""
        assert (reasonless_ignores(line) == []) is ok


class TestHardening:
    @per_workflow
    def test_top_level_permissions_are_empty(self, path: Path) -> None:
        """`permissions: {}` at the top; each job asks for what it needs."""
        workflow = load(path)
        assert workflow.get("permissions") == {}
        for job_id, job in workflow["jobs"].items():
            assert isinstance(job.get("permissions"), dict), f"job {job_id} has no permissions"

    @per_workflow
    def test_every_job_has_a_timeout(self, path: Path) -> None:
        """No job can hang for the default six hours."""
        for job_id, job in load(path)["jobs"].items():
            assert isinstance(job.get("timeout-minutes"), int), job_id

    @per_workflow
    def test_uses_are_pinned_to_a_sha_with_a_version_comment(self, path: Path) -> None:
        """Every `uses:` names a full 40-hex commit and a `# vX.Y.Z` comment."""
        text = path.read_text(encoding="utf-8")
        uses = [value for where, value in strings(load(path)) if where and where[-1] == "uses"]
        assert uses, "no action used at all?"
        for value in uses:
            assert SHA_PIN.match(value), f"{value} is not pinned to a full commit SHA"
            lines = [line for line in text.splitlines() if f"uses: {value}" in line]
            assert lines, value
            assert all(VERSION_COMMENT.search(line) for line in lines), lines

    @per_workflow
    def test_no_expression_inside_run(self, path: Path) -> None:
        """`${{ }}` never lands in a script: values come in through `env:`."""
        for job_id, step in steps(load(path)):
            assert "${{" not in step.get("run", ""), f"{job_id}: {step.get('name')}"

    @per_workflow
    def test_checkout_keeps_no_credentials(self, path: Path) -> None:
        """actions/checkout never leaves the token in .git/config."""
        for job_id, step in steps(load(path)):
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step.get("with", {}).get("persist-credentials") is False, job_id

    @per_workflow
    def test_no_pull_request_target(self, path: Path) -> None:
        """pull_request_target (a fork's code with this repository's token) is never used."""
        assert "pull_request_target" not in triggers(load(path))

    @per_workflow
    def test_no_broad_git_add(self, path: Path) -> None:
        """Nothing runs `git add -A`, `git add --all` or `git add .`."""
        for job_id, step in steps(load(path)):
            assert not BROAD_GIT_ADD.search(step.get("run", "")), f"{job_id}: {step.get('name')}"

    @pytest.mark.parametrize(
        ("script", "broad"),
        [
            ("git add -A", True),
            ("git add --all", True),
            ("git add .", True),
            ("git add -v .\n", True),
            ("git add -A -- queue", True),
            ("git add -- queue", False),
            ("git add ./queue", False),
        ],
    )
    def test_broad_git_add_pattern(self, script: str, broad: bool) -> None:
        """The `git add` check catches the broad forms and lets a path through."""
        assert bool(BROAD_GIT_ADD.search(script)) is broad

    @per_workflow
    def test_secrets_only_in_the_publisher_step_env(self, path: Path) -> None:
        """`secrets.` appears only in the `env:` of the step that runs `publisher`, or as the
        `GH_TOKEN` of a step that does nothing but `gh secret set` (threads-token.yml)."""
        workflow = load(path)
        for where, value in strings(workflow):
            if "secrets." not in value:
                continue
            assert len(where) == 6, f"secret outside a step's env: {where}"
            jobs, job_id, steps_key, index, env, _ = where
            assert (jobs, steps_key, env) == ("jobs", "steps", "env"), where
            step = workflow["jobs"][job_id]["steps"][index]
            if stores_a_secret(step):
                assert where[5] == "GH_TOKEN", where
                continue
            assert runs_publisher(step, commit_back=False), f"{where} is not the publisher step"

    @per_workflow
    def test_token_only_in_the_commit_back_step_env(self, path: Path) -> None:
        """`github.token` reaches only the `env:` of the `publisher commit-back` step."""
        workflow = load(path)
        for where, value in strings(workflow):
            if "github.token" not in value:
                continue
            assert len(where) == 6 and where[4] == "env", where
            step = workflow["jobs"][where[1]]["steps"][where[3]]
            assert runs_publisher(step, commit_back=True), where


class TestPublishWorkflow:
    @pytest.fixture
    def workflow(self) -> dict[str, Any]:
        return load(named(WORKFLOW_DIR / "publish.yml"))

    def test_cron_matches_the_config(self, workflow: dict[str, Any]) -> None:
        """The cron lines are those `publisher schedule --cron` derives from
        config/publisher.toml, off the hour, at most 10 runs a day."""
        crons = [entry["cron"] for entry in triggers(workflow)["schedule"]]
        plan = cron_plan(load_settings(ROOT / "config" / "publisher.toml").schedule)
        assert crons == plan.lines
        assert all(not re.match(r"0[ ,]", cron) for cron in crons)
        assert plan.runs_per_day <= 10

    def test_due_check_comes_first_and_needs_no_install(self, workflow: dict[str, Any]) -> None:
        """Right after checkout, the runner's own Python runs publisher/due.py, isolated."""
        (job,) = workflow["jobs"].values()
        names = [s.get("uses", s.get("run", "")) for s in job["steps"]]
        assert names[0].startswith("actions/checkout@")
        check = job["steps"][1]
        assert check["id"] == "due"
        assert check["run"] == 'python3 -I publisher/due.py >> "$GITHUB_OUTPUT"'
        assert "if" not in check

    def test_install_and_publish_only_when_due_or_manual(self, workflow: dict[str, Any]) -> None:
        """Every step after the check (but the commit) runs only when something is due or the
        run is manual; the commit runs only after the publisher step ran."""
        (job,) = workflow["jobs"].values()
        condition = (
            "${{ steps.due.outputs.due == 'true' || github.event_name == 'workflow_dispatch' }}"
        )
        for step in job["steps"][2:]:
            if runs_publisher(step, commit_back=True):
                assert "steps.publish.outcome != 'skipped'" in step["if"]
            else:
                assert step.get("if") == condition, step.get("name")

    @pytest.mark.parametrize("name", ["publish.yml", "enqueue.yml"])
    def test_install_is_pinned_and_hashed(self, name: str) -> None:
        """Dependencies come from requirements.lock with --require-hashes; the package itself
        is installed without dependencies and without an index."""
        (job,) = load(named(WORKFLOW_DIR / name))["jobs"].values()
        (install,) = [s for s in job["steps"] if "pip install" in s.get("run", "")]
        commands = [line.strip() for line in install["run"].splitlines() if line.strip()]
        assert commands == [
            "python -m pip install --require-hashes --no-deps -r requirements.lock",
            "python -m pip install --no-deps --no-build-isolation --no-index .",
        ]
        (setup,) = [s for s in job["steps"] if "setup-python" in s.get("uses", "")]
        assert setup["with"]["cache-dependency-path"] == "requirements.lock"

    def test_manual_run_has_a_dry_run_switch(self, workflow: dict[str, Any]) -> None:
        """workflow_dispatch offers a boolean dry_run input."""
        dry_run = triggers(workflow)["workflow_dispatch"]["inputs"]["dry_run"]
        assert dry_run["type"] == "boolean"
        assert dry_run["default"] is False

    def test_runs_never_overlap_nor_cancel(self, workflow: dict[str, Any]) -> None:
        """One run at a time; a running thread is never cancelled by the next run."""
        assert workflow["concurrency"] == {"group": "publish", "cancel-in-progress": False}

    def test_job_may_push(self, workflow: dict[str, Any]) -> None:
        """The job, and only it, gets contents: write."""
        (job,) = workflow["jobs"].values()
        assert job["permissions"] == {"contents": "write"}

    def test_publisher_step(self, workflow: dict[str, Any]) -> None:
        """The publisher writes a step summary and gets the dry-run input through env."""
        (job,) = workflow["jobs"].values()
        (step,) = [s for s in job["steps"] if runs_publisher(s, commit_back=False)]
        assert '--summary "$GITHUB_STEP_SUMMARY"' in step["run"]
        assert "--dry-run" in step["run"]
        assert step["env"]["DRY_RUN"] == "${{ inputs.dry_run }}"
        for platform in registry():
            for name in env_variables(platform, required=True):
                assert step["env"][name] == f"${{{{ secrets.{name} }}}}"
            for name in env_variables(platform, required=False):  # addresses, with defaults
                assert step["env"][name] == f"${{{{ vars.{name} }}}}"

    def test_sweep_before_posting(self, workflow: dict[str, Any]) -> None:
        """`publisher enqueue digests/` runs before the post run and cannot stop it."""
        (job,) = workflow["jobs"].values()
        names = [s.get("name") for s in job["steps"]]
        (sweep,) = [s for s in job["steps"] if "publisher enqueue digests/" in s.get("run", "")]
        (publish,) = [s for s in job["steps"] if runs_publisher(s, commit_back=False)]
        assert names.index(sweep["name"]) < names.index(publish["name"])
        assert sweep["continue-on-error"] is True

    def test_commit_back_runs_after_a_failed_post(self, workflow: dict[str, Any]) -> None:
        """commit-back runs even when a post failed, but never in a dry run."""
        (job,) = workflow["jobs"].values()
        names = [s.get("name") for s in job["steps"]]
        (step,) = [s for s in job["steps"] if runs_publisher(s, commit_back=True)]
        (publish,) = [s for s in job["steps"] if runs_publisher(s, commit_back=False)]
        assert names.index(step["name"]) > names.index(publish["name"])
        assert "always()" in step["if"]
        assert "inputs.dry_run != true" in step["if"]


class TestEnqueueWorkflow:
    @pytest.fixture
    def workflow(self) -> dict[str, Any]:
        return load(named(WORKFLOW_DIR / "enqueue.yml"))

    def test_trigger(self, workflow: dict[str, Any]) -> None:
        """Runs on a push to main that touches digests/."""
        push = triggers(workflow)["push"]
        assert push["branches"] == ["main"]
        assert push["paths"] == ["digests/**"]

    def test_serialized_with_publish(self, workflow: dict[str, Any]) -> None:
        """Shares publish.yml's concurrency group, without cancelling."""
        assert workflow["concurrency"] == {"group": "publish", "cancel-in-progress": False}

    def test_sweeps_the_whole_folder(self, workflow: dict[str, Any]) -> None:
        """Level-triggered: `publisher enqueue digests/`, never the push's diff."""
        (job,) = workflow["jobs"].values()
        scripts = [s.get("run", "") for s in job["steps"]]
        assert any("publisher enqueue digests/" in run for run in scripts)
        assert not any("git diff" in run for run in scripts)

    def test_queue_saved_after_an_invalid_digest(self, workflow: dict[str, Any]) -> None:
        """The commit step runs even when the enqueue step failed on an invalid digest."""
        (job,) = workflow["jobs"].values()
        (step,) = [s for s in job["steps"] if runs_publisher(s, commit_back=True)]
        assert step["if"] == "${{ !cancelled() }}"

    def test_errors_go_to_the_step_summary(self, workflow: dict[str, Any]) -> None:
        """`publisher enqueue` errors are written to the summary and fail the step."""
        (job,) = workflow["jobs"].values()
        (step,) = [s for s in job["steps"] if "publisher enqueue" in s.get("run", "")]
        assert "GITHUB_STEP_SUMMARY" in step["run"]
        assert 'exit "$status"' in step["run"]


class TestCiWorkflow:
    @pytest.fixture
    def workflow(self) -> dict[str, Any]:
        return load(named(WORKFLOW_DIR / "ci.yml"))

    def test_triggers_and_concurrency(self, workflow: dict[str, Any]) -> None:
        """Runs on push and pull_request; a newer push cancels the older run of the same ref."""
        assert set(triggers(workflow)) == {"push", "pull_request"}
        assert workflow["concurrency"]["cancel-in-progress"] is True
        assert "github.ref" in workflow["concurrency"]["group"]

    def test_read_only_and_runs_the_ci_script(self, workflow: dict[str, Any]) -> None:
        """The job can only read, and runs .ci/run within 60 minutes."""
        (job,) = workflow["jobs"].values()
        assert job["permissions"] == {"contents": "read"}
        assert job["timeout-minutes"] == 60
        assert any(s.get("run") == "bash .ci/run" for s in job["steps"])

    def test_local_pds_is_cached_by_lock_file_and_node_version(
        self, workflow: dict[str, Any], tmp_path: Path
    ) -> None:
        """actions/cache keeps the installed PDS, keyed on its lock file and Node version."""
        (job,) = workflow["jobs"].values()
        names = [s.get("name") for s in job["steps"]]
        (cache,) = [s for s in job["steps"] if s.get("uses", "").startswith("actions/cache@")]
        (version,) = [s for s in job["steps"] if s.get("id") == "pds-node"]
        key = cache["with"]["key"]
        assert cache["with"]["path"] == "~/.cache/local-pds"  # setup's default LOCAL_PDS_HOME
        assert "hashFiles('tools/local-pds/package-lock.json')" in key
        assert "steps.pds-node.outputs.version" in key
        checks = next(s for s in job["steps"] if s.get("run") == "bash .ci/run")
        order = [names.index(s["name"]) for s in (version, cache, checks)]
        assert order == sorted(order)
        # The version step really finds the Node version that tools/local-pds/setup installs.
        output = tmp_path / "github_output"
        subprocess.run(
            ["bash", "-c", version["run"]],
            cwd=ROOT,
            env={"GITHUB_OUTPUT": str(output), "PATH": "/usr/bin:/bin"},
            check=True,
        )
        setup = (ROOT / "tools" / "local-pds" / "setup").read_text(encoding="utf-8")
        found = re.fullmatch(r"version=(node@22\.\d+\.\d+)\n", output.read_text(encoding="utf-8"))
        assert found is not None and f"{found[1]} " in setup


class TestThreadsTokenWorkflow:
    @pytest.fixture
    def workflow(self) -> dict[str, Any]:
        return load(named(WORKFLOW_DIR / "threads-token.yml"))

    def test_scheduled_off_the_hour_and_by_hand(self, workflow: dict[str, Any]) -> None:
        triggers = workflow.get("on") or workflow.get(True)
        [cron] = [c["cron"] for c in triggers["schedule"]]
        assert cron.split()[0] not in ("0", "*")
        assert "workflow_dispatch" in triggers

    def test_refresh_then_store(self, workflow: dict[str, Any]) -> None:
        """The publisher refreshes with the Threads secrets alone; the secret writer's token
        reaches only the `gh secret set` step, which stores the variable the run reads."""
        steps = workflow["jobs"]["refresh"]["steps"]
        [refresh] = [s for s in steps if "publisher refresh-token threads" in s.get("run", "")]
        [store] = [s for s in steps if stores_a_secret(s)]
        assert steps.index(refresh) < steps.index(store)
        assert "GH_TOKEN" not in refresh["env"] and set(store["env"]) == {"GH_TOKEN"}
        assert "THREADS_ACCESS_TOKEN" in refresh["env"]
        assert "gh secret set THREADS_ACCESS_TOKEN" in store["run"]
        assert workflow["jobs"]["refresh"]["permissions"] == {"contents": "read"}
