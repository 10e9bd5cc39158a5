"""Every ``publisher`` command, declared once: its name, help, options, and the module that
runs it, imported only when the command runs (as pip's ``commands_dict``).

A command's module has ``run(args) -> int``; ``publisher.cli`` builds the parser from this table,
routes the command line and guards the call.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from publisher import __version__

DEFAULT = "run"  # the command run when none is named: the scheduled job (or its dry run)

MAIN_INTRO = """\
Post a daily digest of ML paper notes as bilingual (Korean + English) threads.

With no command, run the scheduled job: post every queued thread that is due now.
  publisher --dry-run                 show what this run would post now, and what comes next
  publisher --dry-run DIGEST...       show the threads of a digest exactly as they would be posted
  publisher                           post what is due (needs credentials; see .env.example)
"""

EXIT_HELP = """\
exit codes: 0 done (a 429/5xx deferred to a later run included), 1 a post failed, a platform
was unreachable or refused the account (threads stay pending), or the queue was busy,
2 bad input, usage or configuration
"""


Handler = Callable[[argparse.Namespace], int]


@dataclass(frozen=True)
class Command:
    """One ``publisher`` command: declared once, its parser and help derived from this."""

    name: str
    module: str  # under publisher.commands; its ``run(args)`` runs the command
    description: str
    # (usage, what it does) lines for the command list in `publisher --help`
    synopsis: tuple[tuple[str, str], ...] = ()
    shared: tuple[str, ...] = ()  # option groups it takes from the command line's shared ones
    arguments: Callable[[argparse.ArgumentParser], None] | None = None  # its own options

    def handler(self) -> Handler:
        """The command's ``run``, its module imported now (and not before)."""
        module = importlib.import_module(f"{__name__}.{self.module}")
        run: Handler = module.run
        return run


def by_name(name: str) -> Command:
    return next(command for command in TABLE if command.name == name)


# ---- each command's own options ---------------------------------------------------------------


def run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--version", action="version", version=f"publisher {__version__}")
    parser.add_argument(
        "--dry-run", action="store_true", help="show what would be posted; write and send nothing"
    )
    parser.add_argument(
        "--summary", type=Path, help="append a Markdown summary to this file ($GITHUB_STEP_SUMMARY)"
    )
    parser.add_argument(
        "--lookup",
        action="store_true",
        help="with --dry-run DIGEST: look links up on arXiv and fetch link pages, as enqueue "
        "does when [links] allows it (needs the network)",
    )
    parser.add_argument(
        "digests", nargs="*", type=Path, metavar="DIGEST", help="with --dry-run: digests to format"
    )


def check_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument(
        "--lookup",
        action="store_true",
        help="also look every entry without a link up on arXiv and report found, not found "
        "or ambiguous (needs the network; $ARXIV_API_URL names the API)",
    )


def preview_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="*", type=Path, metavar="DIGEST")
    parser.add_argument(
        "--out", type=Path, default=Path("preview.html"), help="HTML file (default preview.html)"
    )
    parser.add_argument(
        "--queue", type=Path, help="preview this queue folder (default queue/ when no DIGEST)"
    )
    parser.add_argument(
        "--summary", type=Path, help="append the preview as Markdown ($GITHUB_STEP_SUMMARY)"
    )


def enqueue_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", type=Path, metavar="DIGEST_OR_FOLDER")
    parser.add_argument("--summary", type=Path, help="append a Markdown summary to this file")


def status_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--all", action="store_true", help="include the archive (queue/archive/YYYY-MM/)"
    )


def ids_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ids", nargs="+", metavar="ID")


def schedule_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cron", action="store_true", required=True, help="print the workflow's cron lines"
    )


def refresh_token_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="PLATFORM", help="the platform whose token to refresh")


def commit_back_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--path", action="append", dest="paths", help="path to commit (default: the queue folder)"
    )
    parser.add_argument(
        "--message", default="queue: update publishing state", help="commit message"
    )
    parser.add_argument(
        "--recover",
        action="store_true",
        help="commit nothing: fold the records of posts made that earlier runs pushed to "
        "publisher-records/ branches into the queue's ledger (before a run posts)",
    )


def init_arguments(parser: argparse.ArgumentParser) -> None:
    from publisher import platforms  # as in cli._shared_options: not for `--version`

    parser.add_argument(
        "folder", nargs="?", type=Path, default=Path(), metavar="DIR", help="default: ."
    )
    parser.add_argument(
        "--platforms",
        help="platforms to turn on, comma-separated, from: "
        + ", ".join(platforms.names())
        + " (default: those on by default)",
    )
    parser.add_argument(
        "--action",
        help="how the workflows name the publisher's action: OWNER/REPO@COMMIT (the full commit "
        "SHA of a release, optionally #vX.Y.Z after it for the comment; see docs/setup.md), or "
        "./ in a fork of the publisher itself. Default: the release this publisher came from, "
        "when it names one",
    )
    parser.add_argument("--force", action="store_true", help="overwrite files that exist")


def doctor_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--online",
        action="store_true",
        help="also log in to each enabled platform with the cheapest call it has (network)",
    )


# ---- the table ---------------------------------------------------------------------------------

TABLE = (
    Command(
        DEFAULT,
        "run",
        "The scheduled job: post every queued thread that is due now.",
        shared=("json", "platform", "config", "queue", "now"),
        arguments=run_arguments,
    ),
    Command(
        "check",
        "check",
        "Validate digest files. Prints one line per file, good (date, entries) "
        "or bad (how many problems), then every problem as FILE:LINE: message. "
        "Exit 2 if any is invalid.",
        synopsis=(("check FILE...", "validate digests, one summary line per file"),),
        shared=("config",),
        arguments=check_arguments,
    ),
    Command(
        "preview",
        "preview",
        "Write one self-contained HTML page (no script, no external request) that "
        "shows every thread per platform as it will be posted: posts stacked as replies, links "
        "and tags highlighted from what is posted, N/M, the count against the limit, the "
        "scheduled time and the price class where posts are billed. Problems are shown in place, "
        "in red, with FILE:LINE, and on stderr. DIGEST... previews digests (scheduled after the "
        "queue, as enqueue would); --queue DIR (or no digest) previews the queue. Exit 2 if a "
        "digest is invalid, 1 if a queue file has a problem.",
        synopsis=(
            (
                "preview DIGEST...",
                "write an HTML page showing each thread as the platforms will show it",
            ),
            ("preview --queue DIR", "the same for the queue (both: digests and queue on one page)"),
        ),
        shared=("platform", "config", "now"),
        arguments=preview_arguments,
    ),
    Command(
        "enqueue",
        "enqueue",
        "Validate digests, format every entry for every enabled platform and "
        "write one queue file per thread, scheduled by config/publisher.toml. A folder means "
        "every digest (.txt, .toml) under it. Each file is all or nothing on its own: an invalid "
        "one is reported (FILE:LINE, exit 2) and the valid ones are queued all the same. Threads "
        "already queued or posted are skipped; files fully handled are listed in "
        "QUEUE/enqueued.txt (sha256sum format); a digest found in a folder and listed there "
        "with its current hash is not read again, so a queue file deleted by hand stays deleted. "
        "With [links] arxiv_lookup = true, entries without a link are looked up on arXiv first "
        "(a failure only warns).",
        synopsis=(
            (
                "enqueue PATH...",
                "validate, format and write one queue file per thread; a folder\n"
                "means every digest under it (`publisher enqueue digests/`)",
            ),
        ),
        shared=("config", "queue", "now"),
        arguments=enqueue_arguments,
    ),
    Command(
        "status",
        "status",
        "Show the open queue (pending, posting, failed, held): id, platform, status, "
        "due time, posts made, with totals. --all adds the archive (threads posted in full).",
        synopsis=(
            (
                "status",
                "a table of the open queue (--all: and the archive): id, platform, status, due",
            ),
        ),
        shared=("json", "config", "queue", "now"),
        arguments=status_arguments,
    ),
    Command(
        "hold",
        "states",
        "Hold a thread: it is not posted until released. ID is a file name without .md "
        "(entry id + platform) or an entry id (all its platforms).",
        synopsis=(("hold ID", "keep a thread from being posted"),),
        shared=("config", "queue", "now"),
        arguments=ids_arguments,
    ),
    Command(
        "release",
        "states",
        "Release a held thread: it goes out at its time (or now, if that has passed).",
        synopsis=(("release ID", "let a held thread go out again"),),
        shared=("config", "queue", "now"),
        arguments=ids_arguments,
    ),
    Command(
        "retry",
        "states",
        "Make a failed (or deferred) thread due again now; posts already made are kept.",
        synopsis=(("retry ID", "make a failed thread due again now"),),
        shared=("config", "queue", "now"),
        arguments=ids_arguments,
    ),
    Command(
        "schedule",
        "schedule",
        "With --cron: print the cron lines publish.yml needs for the schedule in "
        "config/publisher.toml (runs just after each slot in UTC, plus catch-up runs), and "
        "what they cost in runs a day and billed minutes a month.",
        synopsis=(
            ("schedule --cron", "the publish workflow's cron lines for the configured slots"),
        ),
        shared=("config",),
        arguments=schedule_arguments,
    ),
    Command(
        "refresh-token",
        "refresh_token",
        "Refresh the platform's long-lived access token and print the new one, alone, on "
        "stdout (nothing else is printed on success), for `gh secret set NAME` to read from a "
        "pipe. Exit 1 if the platform refuses (an expired token must be made anew), 2 for a "
        "platform without tokens to refresh.",
        synopsis=(
            ("refresh-token PLATFORM", "print a refreshed access token (pipe it to gh secret set)"),
        ),
        shared=("config",),
        arguments=refresh_token_arguments,
    ),
    Command(
        "commit-back",
        "commit_back",
        "Commit the queue folder (only it) and push, rebasing on concurrent pushes "
        "with a bounded retry: no rename detection, queue files merged field by field (a "
        "person's status and text, the run's records), the record of posts made by union. If "
        "it still cannot push, it fails and pushes the commit to publisher-records/<sha>; "
        "--recover folds such branches' records into the queue before the next run posts.",
        synopsis=(("commit-back", "commit the queue folder and push it (used by the workflow)"),),
        shared=("queue",),
        arguments=commit_back_arguments,
    ),
    Command(
        "init",
        "init",
        "Make DIR (default .) a digest repository: config/publisher.toml with the platforms "
        "asked for, digests/ and queue/ with a README each, .env.example, .gitignore, and the "
        "publish, enqueue and preview workflows (cron lines from the config) that run the "
        "publisher's action. Overwrites nothing unless --force (exit 2, naming the files). "
        "Prints the next steps: which secrets to create, and where.",
        synopsis=(("init [DIR]", "make a digest repository: config, workflows, .env.example"),),
        arguments=init_arguments,
    ),
    Command(
        "doctor",
        "doctor",
        "Say whether this setup will work: the config and its time zone, the digests, the "
        "workflows and their cron lines, each enabled platform's variables (set or missing, by "
        "name), with --online a log-in to each platform, and a forecast of the monthly cost and "
        "the queue's pace for a digest like the latest. Exit 0 ready, 1 a platform refuses, 2 "
        "missing or invalid settings.",
        synopsis=(("doctor [--online]", "check config, digests, workflows and credentials"),),
        shared=("config",),
        arguments=doctor_arguments,
    ),
)
NAMED = tuple(c.name for c in TABLE if c.name != DEFAULT)  # the named commands
