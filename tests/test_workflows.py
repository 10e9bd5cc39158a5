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
ACTION = ROOT / "action.yml"
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
LOCAL_ACTION = "./"  # this repository's own action.yml, from the job's checkout
VERSION_COMMENT = re.compile(r"#\s*v\d+\.\d+\.\d+\b")
IGNORE_COMMENT = re.compile(r"#\s*zizmor:\s*ignore\[[^\]]*\](?P<rest>.*)$")
BROAD_GIT_ADD = re.compile(r"\bgit\s+add\s+(?:[^\n]*\s)?(?:-A|--all|\.)(?:\s|$)")

per_workflow = pytest.mark.parametrize("path", WORKFLOWS, ids=[p.name for p in WORKFLOWS])
per_file = pytest.mark.parametrize(
    "path", [*WORKFLOWS, ACTION], ids=[*(p.name for p in WORKFLOWS), "action.yml"]
)


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
    """Every step of a workflow's jobs, or of a composite action (job id "action")."""
    if "runs" in workflow:
        for step in workflow["runs"]["steps"]:
            yield "action", step
        return
    for job_id, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            yield job_id, step


def action_steps() -> dict[str, dict[str, Any]]:
    """action.yml's steps by name."""
    return {step["name"]: step for _, step in steps(load(ACTION))}


def action_step(workflow: dict[str, Any]) -> dict[str, Any]:
    """The one step of the workflow's one job that uses the publisher's action."""
    (job,) = workflow["jobs"].values()
    (step,) = [s for s in job["steps"] if s.get("uses") == LOCAL_ACTION]
    return step


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
    @per_file
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

    def test_action_schema(self) -> None:
        """check-jsonschema accepts action.yml against GitHub's action metadata schema."""
        done = subprocess.run(
            [tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions", str(ACTION)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr

    @per_file
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

    @per_file
    def test_uses_are_pinned_to_a_sha_with_a_version_comment(self, path: Path) -> None:
        """Every `uses:` names a full 40-hex commit and a `# vX.Y.Z` comment (or is this
        repository's own action, from the job's checkout)."""
        text = path.read_text(encoding="utf-8")
        uses = [value for where, value in strings(load(path)) if where and where[-1] == "uses"]
        assert uses, "no action used at all?"
        for value in uses:
            if value == LOCAL_ACTION:
                continue
            assert SHA_PIN.match(value), f"{value} is not pinned to a full commit SHA"
            lines = [line for line in text.splitlines() if f"uses: {value}" in line]
            assert lines, value
            assert all(VERSION_COMMENT.search(line) for line in lines), lines

    @per_file
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

    @per_file
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
        """`secrets.` appears only in the `env:` of the step that runs the action's publish (or
        `publisher` itself, as threads-token.yml's refresh does), or as the `GH_TOKEN` of a step
        that does nothing but `gh secret set` (threads-token.yml)."""
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
            if step.get("uses") == LOCAL_ACTION:
                assert step["with"]["command"] == "publish", where
                continue
            assert runs_publisher(step, commit_back=False), f"{where} is not the publisher step"

    @per_workflow
    def test_no_token_in_the_workflows(self, path: Path) -> None:
        """The workflows hand no token around: the action's commit-back step takes its own."""
        assert "github.token" not in path.read_text(encoding="utf-8")

    def test_token_only_in_the_commit_back_step_env(self) -> None:
        """In action.yml the token input reaches only the `env:` of `publisher commit-back`."""
        action = load(ACTION)
        assert action["inputs"]["token"]["default"] == "${{ github.token }}"
        for where, value in strings(action["runs"]):
            if "inputs.token" in value or "github.token" in value:
                assert len(where) == 4 and where[2] == "env", where
                step = action["runs"]["steps"][where[1]]
                assert runs_publisher(step, commit_back=True), where

    def test_action_names_no_secret(self) -> None:
        """action.yml reads no secret: they come in through the calling step's `env:`."""
        assert "secrets." not in ACTION.read_text(encoding="utf-8")


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

    def test_checkout_then_the_action(self, workflow: dict[str, Any]) -> None:
        """The job checks the repository out, then runs this repository's own action."""
        (job,) = workflow["jobs"].values()
        assert job["steps"][0]["uses"].startswith("actions/checkout@")
        step = action_step(workflow)
        assert job["steps"].index(step) == 1
        assert step["with"]["command"] == "publish"
        assert step["with"]["dry_run"] == "${{ inputs.dry_run == true }}"

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

    def test_every_platform_variable_reaches_the_action(self, workflow: dict[str, Any]) -> None:
        """Each platform's secrets come from `secrets`, its addresses from `vars`."""
        env = action_step(workflow)["env"]
        for platform in registry():
            for name in env_variables(platform, required=True):
                assert env[name] == f"${{{{ secrets.{name} }}}}"
            for name in env_variables(platform, required=False):  # addresses, with defaults
                assert env[name] == f"${{{{ vars.{name} }}}}"


class TestAction:
    """action.yml: what each command runs, in which order, under which condition."""

    def test_commands(self) -> None:
        """`command` defaults to publish; `config` to config/publisher.toml."""
        inputs = load(ACTION)["inputs"]
        assert inputs["command"]["default"] == "publish"
        assert inputs["config"]["default"] == "config/publisher.toml"
        assert inputs["dry_run"]["default"] == "false"
        assert load(ACTION)["runs"]["using"] == "composite"

    def test_due_check_comes_first_and_needs_no_install(self) -> None:
        """The first step runs the action's own publisher/due.py with the runner's Python,
        isolated, before anything is installed."""
        first = load(ACTION)["runs"]["steps"][0]
        assert first["id"] == "go"
        assert "if" not in first
        assert 'python3 -I "$ACTION_PATH/publisher/due.py" --config "$CONFIG"' in first["run"]
        assert first["env"]["ACTION_PATH"] == "${{ github.action_path }}"

    @pytest.mark.parametrize(
        ("event", "queued", "run"),
        [
            ("schedule", True, "false"),
            ("schedule", False, "true"),
            ("workflow_dispatch", True, "true"),
        ],
    )
    def test_due_check_decides(self, tmp_path: Path, event: str, queued: bool, run: str) -> None:
        """The check step, run as the runner runs it: an idle schedule stops, a digest not
        enqueued yet (or a run by hand) goes on."""
        from publisher.due import ENQUEUED_NAME

        (tmp_path / "digests").mkdir()
        digest = tmp_path / "digests" / "2025-05-20.txt"
        digest.write_bytes((ROOT / "examples" / "digest-2025-05-20.txt").read_bytes())
        (tmp_path / "queue").mkdir()
        if queued:
            import hashlib

            sha = hashlib.sha256(digest.read_bytes()).hexdigest()
            (tmp_path / "queue" / ENQUEUED_NAME).write_text(f"{sha}  digests/2025-05-20.txt\n")
        output = tmp_path / "github_output"
        env = {
            "PATH": "/usr/bin:/bin",
            "GITHUB_OUTPUT": str(output),
            "RUNNER_TEMP": str(tmp_path),
            "COMMAND": "publish",
            "EVENT": event,
            "ACTION_PATH": str(ROOT),
            "CONFIG": "config/publisher.toml",
        }
        first = load(ACTION)["runs"]["steps"][0]
        done = subprocess.run(
            ["bash", "-e", "-c", first["run"]],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        lines = output.read_text().splitlines()
        assert f"run={run}" in lines
        assert ("due=false" if queued else "due=true") in lines

    def test_a_wrong_command_fails(self, tmp_path: Path) -> None:
        """A command the action does not know stops the run (exit 2), nothing installed."""
        first = load(ACTION)["runs"]["steps"][0]
        env = {"PATH": "/usr/bin:/bin", "GITHUB_OUTPUT": str(tmp_path / "o"), "COMMAND": "post"}
        done = subprocess.run(["bash", "-c", first["run"]], env=env, capture_output=True, text=True)
        assert done.returncode == 2
        assert "publish, enqueue or preview" in done.stderr

    def test_install_is_pinned_and_hashed(self) -> None:
        """Dependencies come from the action's own requirements.lock with --require-hashes; the
        package itself from the action's checkout, without dependencies and without an index;
        both in an emptied environment, so no secret of the calling step reaches them."""
        install = action_steps()["Install the publisher"]
        commands = [
            line.strip()
            for line in install["run"].splitlines()
            if line.strip() and not line.strip().startswith("#")
        ]
        assert commands == [
            'clean=(env -i "PATH=$PATH" "HOME=$HOME" "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}")',
            '"${clean[@]}" python -m pip install --require-hashes --no-deps -r '
            '"$ACTION_PATH/requirements.lock"',
            '"${clean[@]}" python -m pip install --no-deps --no-build-isolation --no-index '
            '"$ACTION_PATH"',
        ]
        assert install["env"]["ACTION_PATH"] == "${{ github.action_path }}"
        assert install["if"] == "steps.go.outputs.run == 'true'"
        assert action_steps()["Set up Python"]["if"] == "steps.go.outputs.run == 'true'"

    def test_install_never_sees_a_secret(self, tmp_path: Path) -> None:
        """The install step, run by bash with a stand-in `python` that records what it got: the
        action's own lock and checkout, and none of the calling step's variables."""
        shim = tmp_path / "bin"
        shim.mkdir()
        record = tmp_path / "record"
        (shim / "python").write_text(f'#!/bin/sh\n{{ echo "$@"; env; }} >> "{record}"\n')
        (shim / "python").chmod(0o755)
        install = action_steps()["Install the publisher"]
        secrets = {name: f"canary-{name}" for p in registry() for name in env_variables(p)}
        env = {"PATH": f"{shim}:/usr/bin:/bin", "HOME": str(tmp_path), **secrets}
        done = subprocess.run(
            ["bash", "-e", "-c", install["run"]],
            env={**env, "ACTION_PATH": "/the/action"},
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        seen = record.read_text()
        assert "-r /the/action/requirements.lock" in seen
        assert "--no-index /the/action" in seen
        assert "canary-" not in seen

    def test_publisher_step(self) -> None:
        """The post run writes a step summary and gets the dry-run input through env."""
        step = action_steps()["Publish"]
        assert runs_publisher(step, commit_back=False)
        assert '--summary "$GITHUB_STEP_SUMMARY"' in step["run"]
        assert "--dry-run" in step["run"]
        assert step["env"]["DRY_RUN"] == "${{ inputs.dry_run }}"
        assert step["env"]["PUBLISHER_CONFIG"] == "${{ inputs.config }}"
        assert "steps.go.outputs.run == 'true'" in step["if"]

    def test_sweep_before_posting(self) -> None:
        """`publisher enqueue digests/` runs before the post run and cannot stop it."""
        names = list(action_steps())
        sweep = action_steps()["Enqueue new digests"]
        assert "publisher enqueue digests/" in sweep["run"]
        assert names.index("Enqueue new digests") < names.index("Publish")
        assert sweep["continue-on-error"] is True

    def test_records_recovered_before_posting(self) -> None:
        """Records that an earlier run could push only to a branch of its own are folded into
        the ledger before the sweep and the post run, and only for publish."""
        names = list(action_steps())
        step = action_steps()["Recover records"]
        assert "publisher commit-back --recover" in step["run"]
        assert names.index("Recover records") < names.index("Enqueue new digests")
        assert names.index("Recover records") < names.index("Publish")
        assert "inputs.command == 'publish'" in step["if"]
        assert step["env"]["GH_TOKEN"] == "${{ inputs.token }}"

    def test_commit_back_runs_after_a_failed_post(self) -> None:
        """commit-back runs even when a post failed or a digest was invalid, never in a dry
        run, and only after the publish or enqueue step ran."""
        names = list(action_steps())
        step = action_steps()["Commit the queue back"]
        assert runs_publisher(step, commit_back=True)
        assert names.index("Commit the queue back") > names.index("Publish")
        assert names.index("Commit the queue back") > names.index("Enqueue")
        assert step["if"].startswith("always()")
        assert "inputs.dry_run != 'true'" in step["if"]
        assert "steps.publish.outcome != 'skipped'" in step["if"]
        assert "steps.enqueue.outcome != 'skipped'" in step["if"]

    def test_errors_go_to_the_step_summary(self) -> None:
        """`publisher enqueue` errors are written to the summary and fail the step."""
        step = action_steps()["Enqueue"]
        assert "GITHUB_STEP_SUMMARY" in step["run"]
        assert 'exit "$status"' in step["run"]
        assert "git diff" not in step["run"]  # level-triggered: the whole folder

    def test_preview_checks_what_changed(self) -> None:
        """preview lists the pull request's digests, checks them and previews them with the
        queue; it commits nothing."""
        found = action_steps()
        assert "HEAD^1 HEAD" in found["List changed digests"]["run"]
        assert "publisher check" in found["Check changed digests"]["run"]
        assert "publisher preview" in found["Preview digests and queue"]["run"]
        assert "preview" not in found["Commit the queue back"]["if"]


class TestGenerated:
    """This repository's workflows and .env.example are what `publisher init` writes."""

    def test_workflows_are_the_generated_ones(self) -> None:
        """publish, enqueue and preview are scaffold's text for `uses: ./`, byte for byte."""
        from publisher import scaffold

        schedule = load_settings(ROOT / "config" / "publisher.toml").schedule
        for path, text in scaffold.workflows(schedule, scaffold.Action()).items():
            assert (ROOT / path).read_text(encoding="utf-8") == text, (
                f"{path} is out of date: rewrite it with "
                "python -c 'import publisher.scaffold as s; s.refresh_repo()'"
            )


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

    def test_runs_the_action_enqueue(self, workflow: dict[str, Any]) -> None:
        """The job's step is the action's enqueue, with no secret."""
        step = action_step(workflow)
        assert step["with"]["command"] == "enqueue"
        assert "env" not in step


class TestCiWorkflow:
    @pytest.fixture
    def workflow(self) -> dict[str, Any]:
        return load(named(WORKFLOW_DIR / "ci.yml"))

    def test_triggers_and_concurrency(self, workflow: dict[str, Any]) -> None:
        """Runs on push and pull_request, but not for digests or queue files alone; a newer
        push cancels the older run of the same ref."""
        assert set(triggers(workflow)) == {"push", "pull_request"}
        for event in ("push", "pull_request"):
            assert triggers(workflow)[event] == {"paths-ignore": ["digests/**", "queue/**"]}
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
