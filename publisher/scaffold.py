"""The files a digest repository needs, written by ``publisher init`` (and this repository's own).

One generator for each file that another place must agree with: ``.env.example`` (from the
registry's credentials), the publish, enqueue and preview workflows (the cron lines from the
schedule, the secrets from the registry, the action named once) and ``config/publisher.toml``
(the commented defaults shipped in ``publisher/data/publisher.toml``, with the platforms asked
for). Tests check that this repository's own files are what these functions write, so the two
never drift apart. Pure but for :func:`write`, which never overwrites a file unless told to.
"""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from publisher import __version__
from publisher.config import ScheduleSettings, env_variables
from publisher.cron import cron_plan
from publisher.errors import ScaffoldError
from publisher.platforms import registry
from publisher.reports import InitReport
from publisher.store.safeio import atomic_write

WORKFLOWS = Path(".github") / "workflows"
CONFIG = Path("config") / "publisher.toml"
LOCAL_ACTION = "./"  # this repository's own action.yml
# A full commit: the pedantic zizmor persona (and GitHub's hardening guide) wants every `uses:`
# pinned to one, since a tag can be moved.
_ACTION_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9_.-]+@[0-9a-f]{40}$")
_PLATFORMS_LINE = re.compile(r"^platforms = \[.*\]$", re.M)

# The action of this very release, ``OWNER/REPO@COMMIT#vX.Y.Z``, written here by the release that
# publishes it (a commit cannot name its own SHA). None in a development copy: then ``init``
# needs ``--action``.
RELEASED_ACTION: str | None = None

CHECKOUT = "actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0"


@dataclass(frozen=True)
class Action:
    """How the workflows name the action: ``./`` here, ``OWNER/REPO@SHA`` elsewhere."""

    ref: str = LOCAL_ACTION
    version: str = f"v{__version__}"

    @classmethod
    def parse(cls, text: str) -> Action:
        """``./``, or ``OWNER/REPO@SHA`` (a full 40-hex commit, optionally ``#vX.Y.Z`` after it)."""
        ref, _, version = text.strip().partition("#")
        ref, version = ref.strip(), version.strip()
        if ref == LOCAL_ACTION:
            return cls(ref)
        if not _ACTION_REF.match(ref):
            raise ScaffoldError(
                f"--action {text!r}: give OWNER/REPO@COMMIT, the full 40-character commit SHA of "
                "a release (a tag can be moved, so workflows pin the commit), e.g. "
                "you/publisher@<sha>#v0.1.0"
            )
        return cls(ref, version or f"v{__version__}")

    def uses(self) -> str:
        """The ``uses:`` value with its comment."""
        if self.ref == LOCAL_ACTION:
            # GitHub's newer `$/` form would name the same thing; `./` is the action.yml of the
            # checkout the job has just made, the commit that runs, on every runner version.
            return "./ # zizmor: ignore[self-repository] -- this checkout's own action.yml"
        return f"{self.ref} # {self.version}"


def released_action() -> str:
    """The default ``--action``: this release's own when the release names it, else the GitHub
    commit this copy was installed from (:func:`installed_action`)."""
    found = RELEASED_ACTION or installed_action()
    if found is None:
        raise ScaffoldError(
            "--action is needed: this copy of the publisher was not installed from a GitHub "
            "commit; give OWNER/REPO@COMMIT, the full commit SHA of the release the workflows "
            "should run (docs/setup.md, step 1), or ./ in a fork of the publisher"
        )
    return found


_GITHUB = re.compile(
    r"^(?:git\+)?(?:https://|ssh://git@|git@)github\.com[:/]([\w.-]+)/([\w.-]+?)(?:\.git)?/?$"
)


def installed_action(direct_url: str | None = None, *, git: str = "git") -> str | None:
    """``OWNER/REPO@COMMIT`` of the GitHub commit this copy of the publisher comes from, or None.

    Read from pip's record of the install (PEP 610 ``direct_url.json``): ``pip install
    git+https://github.com/OWNER/REPO@COMMIT`` names both; an install from a local clone (``pip
    install -e .``) names the folder, whose ``origin`` remote and commit are taken when that
    commit has been pushed (a remote-tracking branch holds it). ``direct_url``: that record's
    text (None: read it from the installed distribution).
    """
    if direct_url is None:
        from importlib import metadata

        try:
            direct_url = metadata.distribution("publisher").read_text("direct_url.json")
        except metadata.PackageNotFoundError:
            return None
    try:
        record = json.loads(direct_url or "null")
    except json.JSONDecodeError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("url"), str):
        return None
    vcs = record.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("vcs") == "git":
        return _github_ref(record["url"], str(vcs.get("commit_id", "")))
    if record["url"].startswith("file://"):
        return _clone_ref(Path(record["url"].removeprefix("file://")), git)
    return None


def _clone_ref(folder: Path, git: str) -> str | None:
    """The GitHub ``origin`` and pushed ``HEAD`` of a local clone, or None."""

    def out(*args: str) -> str:
        done = subprocess.run(
            [git, "-C", str(folder), *args], capture_output=True, text=True, check=False
        )
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = out("rev-parse", "HEAD")
    if not commit or not out("branch", "-r", "--contains", commit):
        return None  # not pushed: a workflow could not fetch it
    return _github_ref(out("remote", "get-url", "origin"), commit)


def _github_ref(url: str, commit: str) -> str | None:
    found = _GITHUB.match(url.strip())
    if found is None or not re.fullmatch(r"[0-9a-f]{40}", commit):
        return None
    return f"{found[1]}/{found[2]}@{commit}"


# ---- .env.example --------------------------------------------------------------------------------


def env_example(platforms: Iterable[str] | None = None) -> str:
    """``.env.example``: each platform's variables, required as ``NAME=``, optional commented out
    with their default. ``platforms``: those to list (default: every platform)."""
    names = list(registry()) if platforms is None else list(platforms)
    lines = [
        "# Secrets for `publisher` (names only; never commit values). The environment wins over"
        " .env.",
        "# Copy this file to .env and fill it in; in GitHub, the same names are secrets (see"
        " docs/setup.md).",
    ]
    for name in names:
        platform = registry()[name]
        lines.append(f"# {platform.title}: {_first_paragraph(platform.credentials.__doc__)}")
        lines += [f"{variable}=" for variable in env_variables(name, required=True)]
        fields = {f.alias: f for f in platform.credentials.model_fields.values() if f.alias}
        for variable in env_variables(name, required=False):
            lines.append(f"# {variable}={fields[variable].default or ''}")
    lines += [
        "# arXiv look-up ([links] arxiv_lookup): the query API, not a secret",
        "# ARXIV_API_URL=https://export.arxiv.org/api/query",
    ]
    return "\n".join(lines) + "\n"


def _first_paragraph(doc: str | None) -> str:
    text = (doc or "").strip().split("\n\n")[0]
    return " ".join(text.replace("``", "`").split())


# ---- config/publisher.toml -----------------------------------------------------------------------


def config_text(platforms: Sequence[str] | None = None) -> str:
    """The commented settings file with every default, ``platforms = [...]`` as asked."""
    template = resources.files("publisher").joinpath("data/publisher.toml").read_text("utf-8")
    if platforms is None:
        return template
    listed = ", ".join(f'"{name}"' for name in platforms)
    return _PLATFORMS_LINE.sub(f"platforms = [{listed}]", template, count=1)


def default_platforms() -> list[str]:
    return [name for name, platform in registry().items() if platform.on_by_default]


# ---- the workflows -------------------------------------------------------------------------------


def _secrets_env(indent: str) -> str:
    """Every platform's variables for the publishing step: secrets, and addresses as variables.

    Every platform's, not only those on: a platform turned on later needs only its secrets."""
    lines = []
    for name in registry():
        for variable in env_variables(name, required=True):
            lines.append(f"{indent}{variable}: ${{{{ secrets.{variable} }}}}")
        for variable in env_variables(name, required=False):
            lines.append(f"{indent}{variable}: ${{{{ vars.{variable} }}}}")
    return "\n".join(lines)


def _config_input(config: Path) -> str:
    if config == CONFIG:
        return ""
    return f"\n          config: {config.as_posix()}"


def publish_workflow(schedule: ScheduleSettings, action: Action, config: Path = CONFIG) -> str:
    """``.github/workflows/publish.yml``: the cron lines of ``schedule``, the action's publish."""
    crons = "\n".join(f'    - cron: "{line}"' for line in cron_plan(schedule).lines)
    titles = ", ".join(p.title for p in registry().values())
    return f"""\
# Posts what is due in queue/ ({titles}), then commits the queue's new state back.
# Each run first asks the action's due check (standard library only, no install) whether
# anything is due; an idle run stops there, in seconds.
name: publish

on:
  schedule:
    # From `publisher schedule --cron` for {config.as_posix()} (`publisher doctor` checks that
    # they agree): a run 7 minutes after each slot in UTC (off the hour, when GitHub delays or
    # drops scheduled runs), then catch-up runs for deferred threads and hand edits.
    # Changing the slots means running that command and pasting its lines here.
{crons}
  workflow_dispatch:
    inputs:
      dry_run:
        description: "Format and plan only: post nothing, commit nothing"
        type: boolean
        default: false

permissions: {{}}

# One run at a time, shared with enqueue.yml (both commit to queue/). Never cancel a running job:
# a thread cut off half-way would be posted again by the next run.
concurrency:
  group: publish
  cancel-in-progress: false

jobs:
  publish:
    name: Post due threads
    runs-on: ubuntu-latest
    timeout-minutes: 20
    # The platform secrets belong to this environment (restrict it to the main branch in the
    # repository settings). `deployment: false`: no deployment record every half hour.
    environment:
      name: publish
      deployment: false
    permissions:
      contents: write # commit-back pushes the queue's state to this repository
    steps:
      - name: Check out
        uses: {CHECKOUT}
        with:
          # No token is left in .git/config for the publisher (or its dependencies) to read;
          # the action's commit-back step authenticates its own git calls through its
          # environment only.
          persist-credentials: false

      # The due check, then (when something is due, or the run was started by hand) the
      # install from the action's own hashed lock, the sweep of new digests, the post run and
      # the commit back (also after a failed post; never in a dry run).
      - name: Publish
        uses: {action.uses()}
        with:
          command: publish
          dry_run: ${{{{ inputs.dry_run == true }}}}{_config_input(config)}
        env:
{_secrets_env("          ")}
"""


def enqueue_workflow(action: Action, config: Path = CONFIG) -> str:
    """``.github/workflows/enqueue.yml``: queue every new digest on a push to ``digests/``."""
    return f"""\
# On every push that touches digests/, queues every digest not yet queued (the whole folder, not
# the push's diff), or reports why a digest is invalid, then commits the queue files back.
name: enqueue

on:
  push:
    branches: [main]
    paths: ["digests/**"]

permissions: {{}}

# Shares publish.yml's group: both commit to queue/, so they run one after the other.
concurrency:
  group: publish
  cancel-in-progress: false

jobs:
  enqueue:
    name: Enqueue every digest not yet queued
    runs-on: ubuntu-latest
    timeout-minutes: 10
    permissions:
      contents: write # commit-back pushes the new queue files to this repository
    steps:
      - name: Check out
        uses: {CHECKOUT}
        with:
          # No token in .git/config; the action's commit-back step authenticates through its
          # environment.
          persist-credentials: false

      # An invalid digest fails this step with FILE:LINE annotations; the valid ones are
      # queued and committed all the same.
      - name: Enqueue
        uses: {action.uses()}
        with:
          command: enqueue{_config_input(config)}
"""


def preview_workflow(action: Action, config: Path = CONFIG) -> str:
    """``.github/workflows/preview.yml``: check and preview a pull request's digests and queue."""
    return f"""\
# A pull request that changes digests, the queue or the settings: check the changed digests,
# check the whole queue again, and show every thread as the platforms will show it (the job
# summary in Markdown, the HTML page as an artifact). Fails on any problem, so that a branch
# protection rule can require it. Read-only, no secrets: a fork's pull request runs it as is.
name: preview

on:
  pull_request:
    paths: ["digests/**", "queue/**", "config/**"]

permissions: {{}}

# A newer push to the same pull request makes the older preview pointless.
concurrency:
  group: preview-${{{{ github.ref }}}}
  cancel-in-progress: true

jobs:
  preview:
    name: Check and preview
    runs-on: ubuntu-latest
    timeout-minutes: 10
    permissions:
      contents: read # check out the code; nothing is written
    steps:
      - name: Check out
        uses: {CHECKOUT}
        with:
          # The merge commit and its first parent (the base branch), to list what changed.
          fetch-depth: 2
          persist-credentials: false

      - name: Check and preview
        uses: {action.uses()}
        with:
          command: preview{_config_input(config)}
"""


def workflows(schedule: ScheduleSettings, action: Action, config: Path = CONFIG) -> dict[Path, str]:
    """The three workflows, by their path in the repository."""
    return {
        WORKFLOWS / "publish.yml": publish_workflow(schedule, action, config),
        WORKFLOWS / "enqueue.yml": enqueue_workflow(action, config),
        WORKFLOWS / "preview.yml": preview_workflow(action, config),
    }


# ---- the other files -----------------------------------------------------------------------------

DIGESTS_README = """\
# digests/

One file per day, e.g. `digests/2025-05-20.txt`. Every `.txt` or `.toml` file under this folder
is a digest; this README is not. A push that adds or changes one runs the enqueue workflow,
which queues its threads in `queue/` for the slots in `config/publisher.toml`.

The plain-text layout:

```
2025년 5월 20일                       the date, first (2025-05-20 works too)
Mean Flows for One-step Generative Modeling        per paper: its title,
(Zhengyang Geng, Mingyang Deng, ...)               (its authors),
https://arxiv.org/abs/2505.13447                   an optional URL or arXiv id line,
We propose a principled ...                        the abstract (one line),
평균 속도를 추정하는 방식의 ...                     the Korean comment (a line per paragraph),
An 1/few-shot flow matching that ...               its English translation (as many lines),
#diffusion #generative                             and #tags.
```

Check a digest before pushing it: `publisher check digests/2025-05-20.txt` (every problem as
`FILE:LINE: what is wrong`); see every thread as it will be posted with
`publisher --dry-run digests/2025-05-20.txt` or `publisher preview digests/2025-05-20.txt`.
"""

QUEUE_README = """\
# queue/

Written by the bot: one file per thread and platform, `<entry id>.<platform>.md`. The posts
(below the `---- post N ----` lines) are yours to edit before the thread's time; the front
matter above them is the job's (you may set `status: held`). Threads posted in full move to
`archive/YYYY-MM/`. The bot commits here several times a day: pull before you push.
"""

GITIGNORE = """\
.env
preview.html
__pycache__/
"""


@dataclass(frozen=True)
class Plan:
    """What ``init`` writes: each file's path (relative to the folder) and text."""

    files: dict[Path, str] = field(default_factory=dict)
    platforms: list[str] = field(default_factory=list)


def platform_names(text: str | None) -> list[str]:
    """``--platforms A,B`` as names, in the registry's order; every name checked."""
    if text is None:
        return default_platforms()
    asked = [name.strip() for name in text.split(",") if name.strip()]
    known = list(registry())
    unknown = [name for name in asked if name not in known]
    if unknown or not asked:
        from publisher.config_problems import did_you_mean

        what = f"{unknown[0]!r} is not a platform" if unknown else "names no platform"
        hint = did_you_mean(unknown[0], known) if unknown else ""
        raise ScaffoldError(f"--platforms: {what}; choose from {', '.join(known)}{hint}")
    return [name for name in known if name in asked]


def plan(platforms: Sequence[str], action: Action) -> Plan:
    """Every file of a new digest repository, for ``platforms``; the cron lines from the
    schedule of the settings file it writes."""
    config = config_text(platforms)
    schedule = ScheduleSettings.model_validate(tomllib.loads(config).get("schedule", {}))
    files: dict[Path, str] = {
        CONFIG: config,
        Path("digests") / "README.md": DIGESTS_README,
        Path("queue") / "README.md": QUEUE_README,
        Path(".env.example"): env_example(platforms),
        Path(".gitignore"): GITIGNORE,
        **workflows(schedule, action),
    }
    return Plan(files, list(platforms))


def existing(folder: Path, files: Mapping[Path, str]) -> list[Path]:
    """Those of ``files`` that already exist in ``folder``."""
    return [path for path in files if (folder / path).exists() or (folder / path).is_symlink()]


def write(folder: Path, files: Mapping[Path, str]) -> list[Path]:
    """Write ``files`` under ``folder`` (each atomically); the paths written."""
    written = []
    for path, text in files.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, text)
        written.append(path)
    return written


def next_steps(platforms: Sequence[str]) -> list[str]:
    """What to do after ``init``: the secrets to create and where, then the first checks."""
    secrets = [v for name in platforms for v in env_variables(name, required=True)]
    addresses = [v for name in platforms for v in env_variables(name, required=False)]
    steps = [
        "Push this folder to a GitHub repository whose default branch is main.",
        "In Settings -> Environments, create an environment named publish (Deployment branches: "
        "main only) and add these secrets to it: " + ", ".join(secrets) + ".",
    ]
    if addresses:
        steps.append(
            "Only to post elsewhere than the default servers, add environment variables (not "
            "secrets): " + ", ".join(addresses) + "."
        )
    steps += [
        "Locally: copy .env.example to .env, fill it in, then run `publisher doctor --online`.",
        "In the Actions tab, enable workflows (a repository made from a fork or template starts "
        "with scheduled workflows off).",
        "Commit a digest to digests/ and push: the enqueue workflow queues its threads and the "
        "publish workflow posts them at their times.",
        "Step by step, per platform: docs/setup.md of the publisher.",
    ]
    return steps


def refresh_repo(root: Path = Path()) -> list[Path]:
    """Rewrite this repository's generated files from its config: its workflows (for
    ``uses: ./``), its ``.env.example`` and the config template ``init`` ships
    (``publisher/data/publisher.toml``, the config itself). Run ``python -c 'import
    publisher.scaffold as s; s.refresh_repo()'`` after changing the config or a platform's
    variables; tests fail until these files are current."""
    from publisher.config import load_settings

    config = (root / CONFIG).read_text(encoding="utf-8")
    schedule = load_settings(root / CONFIG).schedule
    files = {
        **workflows(schedule, Action()),
        Path(".env.example"): env_example(),
        Path("publisher") / "data" / "publisher.toml": config,
    }
    return write(root, files)


def init(folder: Path, platforms: Sequence[str], action: Action, *, force: bool) -> InitReport:
    """Write a new digest repository's files into ``folder`` (made if missing).

    Nothing is written when any of the files exists, unless ``force``: ``InputError`` names
    each one, so a second ``init`` never overwrites a config or workflow someone has edited.
    """
    from publisher.errors import InputError, Problem

    if folder.exists() and not folder.is_dir():
        raise InputError.one(folder, None, "not a folder")
    made = plan(platforms, action)
    found = existing(folder, made.files)
    if found and not force:
        raise InputError(
            [
                Problem(
                    str(folder / path),
                    None,
                    "exists already; init overwrites nothing (--force writes every file again)",
                )
                for path in found
            ]
        )
    written = write(folder, made.files)
    return InitReport(str(folder), [p.as_posix() for p in written], next_steps(platforms))
