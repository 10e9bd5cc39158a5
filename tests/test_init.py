"""`publisher init`: a new digest repository that checks, dry-runs, audits and doctors clean."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from publisher import scaffold
from publisher.config import ScheduleSettings, env_variables, load_settings
from publisher.cron import cron_plan
from publisher.platforms import registry
from tests.publisher_cli import quiet_env, run_publisher
from tests.test_workflows import tool, triggers

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "digest-2025-05-20.txt"
SHA = "0123456789abcdef0123456789abcdef01234567"
ACTION = f"someone/publisher@{SHA}#v0.1.0"
# Every platform's required variables, with values the offline checks accept.
DUMMY = {
    variable: "https://example.social" if "URL" in variable else "dummy-value"
    for name in registry()
    for variable in env_variables(name, required=True)
}


def init(folder: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_publisher("init", str(folder), *extra)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """`publisher init` in an empty folder, for the platforms on by default."""
    folder = tmp_path / "digest-repo"
    done = init(folder, "--action", ACTION)
    assert done.returncode == 0, done.stderr
    return folder


class TestInit:
    def test_writes_a_repository(self, project: Path) -> None:
        """Config, digests/ and queue/ READMEs, .env.example, .gitignore and three workflows."""
        found = sorted(p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file())
        assert found == [
            ".env.example",
            ".github/workflows/enqueue.yml",
            ".github/workflows/preview.yml",
            ".github/workflows/publish.yml",
            ".gitignore",
            "config/publisher.toml",
            "digests/README.md",
            "queue/README.md",
        ]
        ignored = (project / ".gitignore").read_text().splitlines()
        assert ".env" in ignored and "preview.html" in ignored

    def test_pull_requests_run_only_the_check_and_preview(self, project: Path) -> None:
        """No test suite in a digest repository: on a pull request only preview.yml runs, and
        it is the action's check and preview, read-only."""
        on_pr = []
        for path in sorted((project / ".github" / "workflows").glob("*.yml")):
            workflow = yaml.safe_load(path.read_text())
            if "pull_request" in triggers(workflow):
                on_pr.append(path.name)
                (job,) = workflow["jobs"].values()
                assert job["permissions"] == {"contents": "read"}
                assert job["steps"][-1]["with"]["command"] == "preview"
        assert on_pr == ["preview.yml"]

    def test_next_steps_name_the_secrets_and_where(self, tmp_path: Path) -> None:
        """The output says which secrets to create, in which settings page."""
        done = init(tmp_path / "p", "--platforms", "x,mastodon", "--action", ACTION)
        assert done.returncode == 0, done.stderr
        assert "Settings -> Environments" in done.stdout
        for name in ("x", "mastodon"):
            for variable in env_variables(name, required=True):
                assert variable in done.stdout
        for variable in env_variables("bluesky"):
            assert variable not in done.stdout

    def test_platforms_asked_for(self, tmp_path: Path) -> None:
        """--platforms sets `platforms = [...]`; .env.example lists only theirs."""
        folder = tmp_path / "p"
        assert init(folder, "--platforms", "mastodon,x", "--action", ACTION).returncode == 0
        settings = load_settings(folder / "config" / "publisher.toml")
        assert settings.platforms == ["x", "mastodon"]  # in the registry's order
        example = (folder / ".env.example").read_text()
        assert "MASTODON_ACCESS_TOKEN=" in example and "X_API_KEY=" in example
        assert "BLUESKY_HANDLE" not in example

    def test_workflows_use_the_pinned_action(self, project: Path) -> None:
        """Each workflow runs the action at the commit given, with its version comment."""
        for name in ("publish", "enqueue", "preview"):
            text = (project / ".github" / "workflows" / f"{name}.yml").read_text()
            assert f"uses: someone/publisher@{SHA} # v0.1.0" in text
            (job,) = yaml.safe_load(text)["jobs"].values()
            assert job["steps"][-1]["with"]["command"] == name

    def test_cron_lines_come_from_the_config(self) -> None:
        """Other slots and zone give publish.yml the cron lines `schedule --cron` prints."""
        schedule = ScheduleSettings(timezone="Europe/Berlin", slots=["08:15", "19:45"])
        text = scaffold.publish_workflow(schedule, scaffold.Action.parse(ACTION))
        crons = [e["cron"] for e in triggers(yaml.safe_load(text))["schedule"]]
        assert crons == cron_plan(schedule).lines
        assert crons != cron_plan(ScheduleSettings()).lines

    def test_a_second_init_refuses(self, project: Path) -> None:
        """Exit 2 naming every file that exists; nothing is changed."""
        config = project / "config" / "publisher.toml"
        config.write_text(config.read_text() + "\n# my edit\n")
        before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
        done = init(project, "--action", ACTION)
        assert done.returncode == 2
        for path in before:
            assert f"{path}: exists already" in done.stderr
        assert {p: p.read_bytes() for p in project.rglob("*") if p.is_file()} == before

    def test_force_writes_again(self, project: Path) -> None:
        """--force overwrites the files init writes."""
        config = project / "config" / "publisher.toml"
        config.write_text("broken = [")
        assert init(project, "--action", ACTION, "--force").returncode == 0
        assert config.read_text() == scaffold.config_text(scaffold.default_platforms())

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["--platforms", "blusky", "--action", ACTION], "did you mean 'bluesky'?"),
            (["--platforms", ",", "--action", ACTION], "names no platform"),
            (["--action", "someone/publisher@v1"], "full 40-character commit SHA"),
            ([], "--action is needed"),
        ],
    )
    def test_bad_requests(self, tmp_path: Path, args: list[str], message: str) -> None:
        """A wrong platform or action reference: exit 2, one line, nothing written."""
        done = init(tmp_path / "p", *args)
        assert done.returncode == 2
        assert message in done.stderr and "Traceback" not in done.stderr
        assert not (tmp_path / "p").exists()


class TestTheNewRepositoryWorks:
    """The acceptance: check, dry runs, the workflows' audits and doctor, all offline."""

    def test_check_and_dry_runs(self, project: Path) -> None:
        shutil.copy(EXAMPLE, project / "digests" / "2025-05-20.txt")
        for args in (
            ["check", "digests/2025-05-20.txt"],
            ["--dry-run", "digests/2025-05-20.txt"],
            ["--dry-run", "--now", "2025-05-20T08:00"],
        ):
            done = run_publisher(*args, cwd=project)
            assert done.returncode == 0, (args, done.stderr)

    def test_enqueue_then_dry_run(self, project: Path) -> None:
        """The queue the enqueue workflow would write, and the publish run's dry run of it."""
        shutil.copy(EXAMPLE, project / "digests" / "2025-05-20.txt")
        done = run_publisher("enqueue", "digests/", "--now", "2025-05-19T12:00", cwd=project)
        assert done.returncode == 0, done.stderr
        done = run_publisher("--dry-run", "--now", "2025-05-20T09:10", cwd=project)
        assert done.returncode == 0, done.stderr
        assert "Mean Flows" in done.stdout

    def test_workflows_pass_the_schema_and_zizmor(self, project: Path) -> None:
        folder = project / ".github" / "workflows"
        for path in sorted(folder.glob("*.yml")):
            schema = subprocess.run(
                [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", path],
                capture_output=True,
                text=True,
                check=False,
            )
            assert schema.returncode == 0, schema.stdout + schema.stderr
        audit = subprocess.run(
            [
                tool("zizmor"),
                *("--offline", "--persona=pedantic", "--no-config", "--no-progress"),
                "--format=json",
                str(folder),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert json.loads(audit.stdout or "[]") == [], audit.stderr
        assert audit.returncode == 0, audit.stderr

    def test_doctor_passes(self, project: Path) -> None:
        """With the variables set, doctor finds nothing wrong (exit 0)."""
        shutil.copy(EXAMPLE, project / "digests" / "2025-05-20.txt")
        done = run_publisher("doctor", cwd=project, env=quiet_env(**DUMMY))
        assert done.returncode == 0, done.stdout + done.stderr
        assert "ready: every check passed" in done.stdout


class TestInstalledAction:
    """Without --action, the workflows run the GitHub commit this copy was installed from."""

    def test_from_a_git_install(self) -> None:
        """`pip install git+https://github.com/OWNER/REPO@COMMIT` names both in its record."""
        record = {
            "url": "https://github.com/me/publisher.git",
            "vcs_info": {"vcs": "git", "commit_id": SHA},
        }
        assert scaffold.installed_action(json.dumps(record)) == f"me/publisher@{SHA}"

    @pytest.mark.parametrize(
        "record",
        [
            {
                "url": "https://gitlab.com/me/publisher.git",
                "vcs_info": {"vcs": "git", "commit_id": SHA},
            },
            {
                "url": "https://github.com/me/publisher",
                "vcs_info": {"vcs": "git", "commit_id": "main"},
            },
            {"url": "https://files.example/publisher-0.1.0.tar.gz", "archive_info": {}},
            {},
        ],
    )
    def test_nothing_to_pin(self, record: dict[str, object]) -> None:
        """Another host, a branch name instead of a commit, an archive: no default."""
        assert scaffold.installed_action(json.dumps(record)) is None

    def git(self, folder: Path, *args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(folder), *args], capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    def test_from_a_pushed_local_clone(self, tmp_path: Path) -> None:
        """`pip install -e .` in a clone: its GitHub origin, at HEAD once HEAD is pushed."""
        clone = tmp_path / "publisher"
        clone.mkdir()
        self.git(clone, "init", "-q")
        self.git(
            clone,
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "one",
        )
        self.git(clone, "remote", "add", "origin", "git@github.com:me/publisher.git")
        record = json.dumps({"url": clone.as_uri(), "dir_info": {"editable": True}})
        assert scaffold.installed_action(record) is None  # not pushed yet
        head = self.git(clone, "rev-parse", "HEAD")
        self.git(clone, "update-ref", "refs/remotes/origin/main", head)  # as a push leaves it
        assert scaffold.installed_action(record) == f"me/publisher@{head}"
