"""The ``publisher`` command. The only module that prints or exits.

Exit codes: 0 done (or deferred by a 429/5xx within its budget), 1 a post failed, a platform could
not be reached or refused the account, or the queue was busy, 2 bad input or usage.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TextIO

from publisher import __version__, platforms
from publisher.errors import ConfigError, InputError, PublisherError, QueueBusy
from publisher.hygiene import one_line

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
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


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {one_line(message)}\n")


class _ActionsSafe:
    """A text stream in which no line starts with ``::``.

    The Actions runner runs such a line as a workflow command (``::add-mask::``, ``::warning::``);
    the publisher never means one, so any that text brings in is indented by one space.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._at_start = True

    def write(self, text: str) -> int:
        if self._at_start and text.startswith(":"):
            text = " " + text if text.startswith("::") or text == ":" else text
        text = text.replace("\n::", "\n ::")
        self._at_start = text.endswith("\n")
        return self._stream.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


# ---- the command registry ---------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    """One ``publisher`` command: declared once, its parser and help derived from this."""

    name: str
    handler: Callable[[argparse.Namespace], int]
    description: str
    # (usage, what it does) lines for the command list in `publisher --help`
    synopsis: tuple[tuple[str, str], ...] = ()
    shared: tuple[str, ...] = ()  # option groups it takes from ``_shared_options``
    arguments: Callable[[argparse.ArgumentParser], None] | None = None  # its own options


# The default --queue, this very object: a folder named on the command line is the user's (from
# the working folder), the default is the project root's.
DEFAULT_QUEUE = Path("queue")
# What makes a folder a project root: the nearest folder, the working one or above, holding one.
ROOT_MARKERS = (Path("config") / "publisher.toml", Path("queue"))


def project_root(start: Path) -> Path | None:
    """The nearest folder, ``start`` or one above it, holding ``config/publisher.toml`` or
    ``queue/`` (as git finds its work tree); None when there is none."""
    for folder in (start, *start.parents):
        if any((folder / marker).exists() for marker in ROOT_MARKERS):
            return folder
    return None


def _at_root(args: argparse.Namespace) -> None:
    """Work from the project root when the working folder is below it: paths given on the
    command line are taken from the working folder (and rewritten from the root), the default
    queue and config are the root's; say which root is used."""
    try:
        cwd = Path.cwd()
    except OSError:  # the working folder was deleted: the command reports what it cannot find
        return
    root = project_root(cwd)
    if root is None or root == cwd:
        return
    for name, value in vars(args).items():
        if isinstance(value, Path) and value is not DEFAULT_QUEUE:
            setattr(args, name, _from_root(value, cwd, root))
        elif isinstance(value, list) and value and all(isinstance(v, Path) for v in value):
            setattr(args, name, [_from_root(v, cwd, root) for v in value])
    os.chdir(root)
    print(f"publisher: project root {root} (the working folder is below it)", file=sys.stderr)


def _from_root(path: Path, cwd: Path, root: Path) -> Path:
    """``path`` as given from ``cwd``, written from ``root`` (relative when it is inside)."""
    if path.is_absolute():
        return path
    full = Path(os.path.normpath(cwd / path))
    return full.relative_to(root) if full.is_relative_to(root) else full


def _shared_options() -> dict[str, _Parser]:
    """Options several commands take, each group a parent parser, so each is written once."""

    def group(*flags: str, **how: Any) -> _Parser:
        parent = _Parser(add_help=False)
        parent.add_argument(*flags, **how)
        return parent

    return {
        "config": group(
            "--config", type=Path, help="settings file (default config/publisher.toml)"
        ),
        "queue": group(
            "--queue", type=Path, default=DEFAULT_QUEUE, help="queue folder (default queue/)"
        ),
        "now": group(
            "--now", help="act as if it were this time (ISO 8601; naive = config time zone)"
        ),
        "platform": group(
            "--platform",
            action="append",
            choices=platforms.names(),
            help="only this platform (repeatable)",
        ),
        "json": group("--json", action="store_true", help="print machine-readable JSON"),
    }


def _main_help(commands: Sequence[Command]) -> str:
    """The default command's help: what the run does, then every other command, one line each."""
    listing = [
        f"  {usage:<19} {what}".replace("\n", "\n" + " " * 22)
        for command in commands
        for usage, what in command.synopsis
    ]

    on = ", ".join(platforms.title(name) for name in platforms.names())
    intro = MAIN_INTRO.replace("threads.\n", f"threads\n({on}).\n", 1)
    return intro + "\ncommands:\n" + "\n".join(listing) + "\n\n" + EXIT_HELP


def build_parser() -> argparse.ArgumentParser:
    """``publisher``: one subparser per command; the default one is named ``DEFAULT``."""
    top = _Parser(prog="publisher", add_help=False)
    subparsers = top.add_subparsers(dest="command", parser_class=_Parser)
    shared = _shared_options()
    for command in COMMAND_TABLE:
        is_default = command.name == DEFAULT
        sub = subparsers.add_parser(
            command.name,
            prog="publisher" if is_default else f"publisher {command.name}",
            description=_main_help(COMMAND_TABLE) if is_default else command.description,
            formatter_class=argparse.RawDescriptionHelpFormatter
            if is_default
            else argparse.HelpFormatter,
            parents=[shared[name] for name in command.shared],
        )
        if command.arguments is not None:
            command.arguments(sub)
        sub.set_defaults(handler=command.handler)
    return top


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The parser's commands, from its own subparsers (argparse has no public way to ask)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def build_parsers() -> dict[str, argparse.ArgumentParser]:
    """Each command's parser by name; ``""`` is the default command's (``publisher --help``)."""
    return {
        ("" if name == DEFAULT else name): sub for name, sub in _commands(build_parser()).items()
    }


def route(parser: argparse.ArgumentParser, argv: Sequence[str]) -> list[str]:
    """``argv`` with its command first, the way the parser expects it.

    The command is the first argument that is neither an option nor an option's value, so
    options may come before it (``publisher --config c.toml status``). When that argument is not
    one of the parser's commands (``publisher --dry-run DIGEST``) or there is none, the command
    is the default one. Which options take a value is read from the parsers themselves.
    """
    commands = _commands(parser)
    takes_value = _option_arity(commands.values())
    skip = False
    for i, arg in enumerate(argv):
        if skip:
            skip = False
            continue
        if arg == "--":  # what follows is positional: digests of the default command
            break
        if arg.startswith("-"):
            skip = "=" not in arg and _takes_value(arg, takes_value)
            continue
        if arg in commands and arg != DEFAULT:
            return [arg, *argv[:i], *argv[i + 1 :]]
        break
    return [DEFAULT, *argv]


def _option_arity(parsers: Iterable[argparse.ArgumentParser]) -> dict[str, bool]:
    """Every option string of these parsers, and whether it takes a value.

    An option name takes a value in every command or in none (a test checks it), so the router
    can tell before it knows the command.
    """
    return {
        option: action.nargs != 0
        for parser in parsers
        for action in parser._actions
        for option in action.option_strings
    }


def _takes_value(arg: str, takes_value: dict[str, bool]) -> bool:
    if arg in takes_value:
        return takes_value[arg]
    # argparse accepts an unambiguous prefix (--conf for --config): so does the router
    matches = [value for option, value in takes_value.items() if option.startswith(arg)]
    return arg.startswith("--") and bool(matches) and all(matches)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _ActionsSafe(out), _ActionsSafe(err)
    try:
        parser = build_parser()
        args, extra = parser.parse_known_args(route(parser, argv))
        if extra:  # reported by the command's own parser, with its usage, as argparse would
            _commands(parser)[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
        _at_root(args)
        return _guarded(args)
    finally:
        sys.stdout, sys.stderr = out, err


def _say(text: object) -> None:
    """An error line on stderr: credentials scrubbed, on one line."""
    from publisher.scrub import scrub

    print(one_line(scrub(str(text))), file=sys.stderr)


def _scrubbed(text: str) -> str:
    from publisher.scrub import scrub

    return scrub(text)


def _guarded(args: argparse.Namespace) -> int:
    try:
        _check_summary(args)
        handler: Callable[[argparse.Namespace], int] = args.handler
        return handler(args)
    except InputError as exc:
        for problem in exc.problems:
            _say(problem)
        _write_summary(args, "publisher: bad input", problems=exc.problems)
        return EXIT_USAGE
    except ConfigError as exc:
        _say(f"publisher: {exc}")
        _write_summary(args, "publisher: configuration error", message=str(exc))
        return EXIT_USAGE
    except QueueBusy as exc:
        _say(f"publisher: {exc}")
        return EXIT_FAILED
    except PublisherError as exc:
        _say(f"publisher: {exc}")
        return EXIT_FAILED
    except BrokenPipeError:  # e.g. `publisher --dry-run | head`
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        _say("publisher: interrupted")
        return 130
    except OSError as exc:  # the file system refused something no check foresaw: a run problem
        where = f": {exc.filename}" if exc.filename else ""
        _say(f"publisher: {exc.strerror or type(exc).__name__}{where}")
        return EXIT_FAILED
    except (OverflowError, RecursionError, MemoryError) as exc:
        _say(f"publisher: input out of range ({type(exc).__name__}: {exc})")
        return EXIT_USAGE


def _check_summary(args: argparse.Namespace) -> None:
    """``--summary`` must name a file in an existing folder, checked before anything runs."""
    target = getattr(args, "summary", None)
    if target is None:
        return
    odd = target.exists() and not target.is_file()  # a FIFO would block the run at its end
    if odd or not target.parent.is_dir():
        what = "is a folder" if target.is_dir() else "is not a regular file"
        what = what if odd else f"its folder {target.parent} does not exist"
        args.summary = None  # nothing can be written there, not even this error
        raise InputError.one("--summary", None, f"{str(target)!r}: {what}")


def _write_summary(
    args: argparse.Namespace, title: str, *, problems: Any = None, message: str = ""
) -> None:
    target = getattr(args, "summary", None)
    if target:
        from publisher.summary import error_summary

        _append(target, error_summary(title, problems, message))


def _append(path: Path, text: str) -> None:
    from publisher.scrub import scrub

    with path.open("a", encoding="utf-8") as handle:
        handle.write(scrub(text))


def _settings(args: argparse.Namespace) -> Any:
    from publisher.config import load_env, load_settings

    load_env()
    settings = load_settings(args.config)
    for note in settings.deprecations:
        print(f"note: {note}", file=sys.stderr)
    return settings


def _now(args: argparse.Namespace, settings: Any) -> dt.datetime:
    """``--now`` (or the real time), in the configured zone, so every time printed shares it."""
    zone = settings.schedule.zone
    raw = getattr(args, "now", None)
    if raw is None:
        return dt.datetime.now(dt.UTC).astimezone(zone).replace(microsecond=0)
    if not raw.strip():
        raise InputError.one(
            "--now", None, "empty: give a time like 2025-05-20T09:00, or leave --now out"
        )
    try:
        moment = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise InputError.one(
            "--now", None, f"{raw!r} is not an ISO 8601 time like 2025-05-20T09:00"
        ) from None
    if not 1970 <= moment.year <= 9000:  # the schedule looks years ahead: keep it in range
        raise InputError.one("--now", None, f"{raw!r}: the year must be between 1970 and 9000")
    if moment.tzinfo is None:
        return moment.replace(tzinfo=zone)
    try:
        return moment.astimezone(zone)
    except OverflowError:
        raise InputError.one("--now", None, f"{raw!r} is out of range in {zone}") from None


def _existing_queue(args: argparse.Namespace) -> Path:
    """The ``--queue`` folder, which must exist: only ``enqueue`` creates it."""
    root: Path = args.queue
    if not root.is_dir():
        what = "is not a folder" if root.exists() else "does not exist"
        raise InputError.one(
            root, None, f"the queue folder {what} (`publisher enqueue` creates it; check --queue)"
        )
    return root


def _times(settings: Any, now: dt.datetime) -> Any:
    from publisher.timefmt import LocalTimes

    return LocalTimes(settings.schedule.zone, now)


def _show(report: Any, *, as_json: bool = False) -> None:
    """Print a report: text (or JSON) on stdout, then its problems on stderr."""
    from publisher import render_json, render_text

    if as_json:
        print(render_json.dumps(report))
    else:
        for line in render_text.lines(report):
            print(line)
    for problem in render_text.problems(report):
        _say(problem)


def _check(args: argparse.Namespace) -> int:
    """One line per file, good or bad, on stdout; then every problem, on stderr."""
    from publisher.digest import read_digest
    from publisher.reports import CheckedFile, CheckReport

    report = CheckReport()
    problems = []
    digests = []
    for path in args.files:
        try:
            digest = read_digest(path)
        except InputError as exc:
            problems.extend(exc.problems)
            report.files.append(CheckedFile(str(path), problems=len(exc.problems)))
        else:
            digests.append(digest)
            report.files.append(CheckedFile(digest.source, digest.date, len(digest.entries)))
    if args.lookup and not problems:
        settings = _settings(args)
        report.notes = _resolve_links(digests, settings, lookup=True, network=True).notes
    _show(report)
    if problems:
        sys.stdout.flush()  # the summary lines come before the problems on a terminal too
        raise InputError(problems)
    return EXIT_OK


def _resolve_links(digests: Any, settings: Any, *, lookup: bool, network: bool) -> Any:
    """Links and cards of the digests' entries, with a note per look-up outcome or warning."""
    from publisher.links import resolve

    client = None
    if lookup:
        from publisher.arxiv import ArxivClient
        from publisher.config import arxiv_api_url

        client = ArxivClient(arxiv_api_url(), settings.links.timeout_seconds)
    return resolve(digests, settings.links, lookup=lookup, network=network, client=client)


def _preview(args: argparse.Namespace) -> int:
    from publisher.preview import Preview, from_digests, from_queue
    from publisher.preview_html import render_html, render_markdown
    from publisher.reports import PreviewWritten
    from publisher.store.filequeue import FileQueue
    from publisher.store.safeio import atomic_write

    settings = _settings(args)
    if args.platform:
        asked = _platforms(args, settings, shows_off=True)
        settings = settings.model_copy(update={"platforms": asked})
    rules = _rules(settings)
    queue = FileQueue(args.queue or Path("queue"))
    items, problems = queue.load() if queue.root.is_dir() else ([], [])
    parts: list[Preview] = []
    if args.files:
        queued = [li.item for li in items]
        parts.append(from_digests(args.files, settings, rules, queued, _now(args, settings)))
    if args.queue or not args.files:
        if not queue.root.is_dir():
            raise InputError.one(queue.root, None, "no such queue folder")
        shown = [li for li in items if li.item.platform in settings.platforms]
        parts.append(from_queue(queue.root, shown, problems, rules, settings))
    preview = parts[0]
    for part in parts[1:]:
        preview.title += " and " + part.title.removeprefix("Preview of ")
        preview.threads += part.threads
        preview.problems += part.problems
    try:
        atomic_write(args.out, render_html(preview))
    except OSError as exc:
        raise InputError.one(args.out, None, f"cannot write the preview: {exc.strerror}") from None
    if args.summary:
        _append(args.summary, render_markdown(preview))
    found = preview.all_problems()
    _show(PreviewWritten(str(args.out), len(preview.threads), found))
    if preview.input_problems:
        return EXIT_USAGE
    return EXIT_FAILED if found else EXIT_OK


# ---- the scheduled job and the dry runs -------------------------------------------------------


def _rules(settings: Any, limits: Any = None) -> Any:
    from publisher.platforms import rules_for

    return rules_for(settings, limits)


def _server_limits(settings: Any) -> Any:
    """The servers' own limits, read once per run; a note on stderr for each left at default."""
    from publisher.enqueue import read_limits

    limits, notes = read_limits(settings)
    for note in notes:
        _say(f"note: {note}")
    return limits


def _platforms(args: argparse.Namespace, settings: Any, *, shows_off: bool = False) -> list[str]:
    """The platforms that are on, narrowed to those ``--platform`` names.

    A platform that is off is shown when named by a command that posts nothing (``shows_off``:
    a dry run of digests, a preview), with a note; anywhere else naming it is an error that says
    how to turn it on.
    """
    off = [name for name in args.platform if name not in settings.platforms]
    for name in off:
        turn_on = f'add "{name}" to platforms = [...] in the config to post there'
        if not shows_off:
            raise ConfigError(f"--platform {name}: {name} is off; {turn_on}")
        _say(f"note: {name} is off, shown because --platform names it ({turn_on})")
    return [name for name in platforms.names() if name in args.platform]


def _run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if args.platform:
        asked = _platforms(args, settings, shows_off=bool(args.digests and args.dry_run))
        settings = settings.model_copy(update={"platforms": asked})
    if args.digests:
        if not args.dry_run:
            raise InputError.one(
                args.digests[0],
                None,
                "digests are posted through the queue: "
                "run `publisher enqueue DIGEST`, or add --dry-run to preview",
            )
        return _dry_run_digests(args, settings)
    if args.lookup:
        raise InputError.one("--lookup", None, "only with --dry-run DIGEST (or check --lookup)")
    from publisher import runner
    from publisher.reports import RunOutcome
    from publisher.store.common import Status
    from publisher.store.filequeue import FileQueue

    rules = _rules(settings)
    now = _now(args, settings)
    queue = FileQueue(_existing_queue(args))
    if args.dry_run:  # the queue as the record of posts made says it is; nothing written
        opened = runner.load_open(queue, write=False)
        archived = runner.recent_archive(queue, now, settings)
        items = [li for li in opened.items if li.item.status != Status.POSTED]
        plan = runner.make_plan(items, opened.problems, settings, rules, now, archived)
        plan.notes = opened.notes
        report = runner.RunReport(plan)
    else:
        from publisher.config import check_credentials, credentials
        from publisher.platforms import connect

        check_credentials(list(settings.platforms))
        rules = _rules(settings, _server_limits(settings))

        def adapter(name: str) -> Any:
            timeout = settings.retry.timeout_seconds
            return connect(name, credentials(name), settings.options(name), timeout)

        with queue.lock():
            report = runner.run(queue, settings, rules, adapter, now)
    due = [_due_posts(planned, rules, settings) for planned in report.plan.due]
    outcome = RunOutcome(report, args.dry_run, _times(settings, now), now, due)
    _show(outcome, as_json=args.json)
    if args.summary:
        from publisher.summary import markdown

        _append(args.summary, markdown(outcome))
    return outcome.exit_code


def _due_posts(planned: Any, rules: Any, settings: Any) -> list[Any]:
    """The posts a due thread has still to send, as shown: count, limit and price."""
    from publisher import cost
    from publisher.reports import ShownPost

    platform = planned.loaded.item.platform
    return [
        ShownPost(
            payload,
            count,
            planned.limit or rules[platform].limit,
            cost.post_label(platform, payload["text"], settings.options(platform)),
            cost.price_fields(platform, payload["text"], settings.options(platform)),
        )
        for payload, count in zip(planned.payloads, planned.counts, strict=True)
    ]


def _dry_run_digests(args: argparse.Namespace, settings: Any) -> int:
    from publisher import cost
    from publisher.digest import read_digests
    from publisher.formatter import threads_for
    from publisher.reports import DigestDryRun, DryRunEntry, DryRunThread, ShownPost

    rules = _rules(settings)
    for name in settings.platforms:  # no network in a dry run: the default limits, said so
        if platforms.registry()[name].limits is not None:
            _say(f"note: {platforms.title(name)}: its server's limits are not read in a dry run")
    digests = read_digests(args.digests)
    # No network unless asked: the README's first command must work offline.
    links = _resolve_links(digests, settings, lookup=args.lookup, network=args.lookup)
    threads = threads_for(links.digests, settings.format, rules, list(settings.platforms))
    if args.queue.is_dir():  # a paper the queue already has shows as the revisit it would be
        from publisher.enqueue import with_revisits
        from publisher.store.filequeue import FileQueue

        shown = with_revisits(FileQueue(args.queue), threads, settings, rules)
    else:
        shown = [(digest, n, thread, None) for digest, n, thread in threads]
    report = DigestDryRun(notes=links.notes)
    report.policies = [n for name in settings.platforms if (n := settings.options(name).note())]
    totals: dict[str, cost.Cost] = {}
    with_card = platforms.with_cards(settings.platforms)
    for digest, n, thread, earlier in shown:
        entry, platform = digest.entries[n], thread.platform
        if not report.entries or report.entries[-1].id != entry.id:
            card = links.cards.get(entry.id)
            shown_card = card.model_dump() if card and with_card else None
            report.entries.append(
                DryRunEntry(
                    entry.id, entry.title, shown_card, [], with_card[0] if with_card else ""
                )
            )
        posts = [
            ShownPost(
                rules[platform].payload(text),
                rules[platform].length(text),
                rules[platform].limit,
                cost.post_label(platform, text, settings.options(platform)),
                cost.price_fields(platform, text, settings.options(platform)),
            )
            for text in thread.posts
        ]
        revisit = f"seen before, {earlier.describe()}: a revisit" if earlier is not None else ""
        link = _link_fields(thread, links, settings)
        left_out = settings.options(platform).left_out(entry.url) if entry.url else ""
        report.entries[-1].threads.append(
            DryRunThread(thread.entry_id, platform, posts, revisit, link, left_out)
        )
        spent = cost.texts_cost(platform, thread.posts, settings.options(platform))
        totals[platform] = totals.get(platform, cost.Cost()) + spent
    report.totals = [total.line(platform) for platform, total in totals.items()]
    if args.json:
        from publisher.render_text import note_lines

        for line in note_lines(report.notes):  # stdout is for the JSON alone
            print(line, file=sys.stderr)
    _show(report, as_json=args.json)
    return EXIT_OK


def _link_fields(thread: Any, links: Any, settings: Any) -> dict[str, Any]:
    """What a dry run shows of how a thread links its paper: a card, or the setting in force."""
    shown: dict[str, Any] = dict(settings.options(thread.platform).shown())
    if platforms.registry()[thread.platform].cards:
        card = links.cards.get(thread.entry_id)
        shown["card"] = card.model_dump() if card is not None else None
    return shown


# ---- the queue commands -------------------------------------------------------------------


def _enqueue(args: argparse.Namespace) -> int:
    from publisher.enqueue import read_limits
    from publisher.reports import EnqueueOutcome, QueuedThread
    from publisher.store.common import ENQUEUED_NAME
    from publisher.store.filequeue import FileQueue
    from publisher.sweep import sweep

    settings = _settings(args)
    queue = FileQueue(args.queue)
    now = _now(args, settings)
    missing = [p for p in args.files if not p.exists()]
    if missing:
        raise InputError.one(missing[0], None, "no such file or folder")
    outcome = EnqueueOutcome(_times(settings, now), ledger=str(queue.root / ENQUEUED_NAME))
    limits, outcome.notes = read_limits(settings)  # the servers' own, cached in each file

    def prepare(digests: Any) -> Any:  # the arXiv look-up, for each file that is read
        links = _resolve_links(digests, settings, lookup=settings.links.arxiv_lookup, network=True)
        outcome.link_notes.extend(links.notes)
        return links.digests, links.cards

    with queue.lock():
        rules = _rules(settings, limits)
        swept = sweep(queue, args.files, settings, rules, now, prepare, limits)
    for one in swept.reports:
        outcome.added += [
            QueuedThread(i.key, str(queue.path_of(i)), len(i.posts), i.not_before)
            for i in one.added
        ]
        outcome.skipped.extend(one.skipped)
        outcome.updated += [
            QueuedThread(i.key, str(queue.path_of(i)), len(i.posts), i.not_before)
            for i in one.updated
        ]
        outcome.notes.extend(one.notes)
    outcome.handled, outcome.unchanged = len(swept.handled), len(swept.unchanged)
    outcome.ignored = swept.ignored
    outcome.invalid = len({p.path for p in swept.problems})
    outcome.problems = list(swept.problems)
    outcome.behind = _behind(queue, settings, now)
    _show(outcome)
    if args.summary:
        from publisher.summary import markdown

        _append(args.summary, markdown(outcome))
    return EXIT_USAGE if swept.problems else EXIT_OK


def _behind(queue: Any, settings: Any, now: dt.datetime) -> list[str]:
    """The backlog forecast over the open queue and this month's archive."""
    from publisher import pace

    if not queue.root.is_dir():
        return []
    items = queue.open_and_month(now, settings.schedule.zone)
    return [str(b) for b in pace.forecast(items, settings, now)]


def _status(args: argparse.Namespace) -> int:
    from publisher import cost, pace, quota, runner
    from publisher.attention import needing_owner
    from publisher.reports import StatusReport, StatusRow
    from publisher.store.filequeue import FileQueue

    settings = _settings(args)
    now = _now(args, settings)
    queue = FileQueue(_existing_queue(args))
    opened = runner.load_open(queue, write=False)  # the files as the record of posts says
    items, problems = opened.items, opened.problems
    report = StatusReport(_times(settings, now), notes=opened.notes)
    month = [li.item for li in items] + runner.recent_archive(queue, now, settings)
    if cost.priced(settings):  # this month's posts: the open queue + its archive
        report.spend = cost.spend_lines(month, now, settings)
    report.behind = [str(b) for b in pace.forecast(month, settings, now)]
    report.quota = quota.declared(list(settings.platforms))
    if args.all:
        archived, archive_problems = queue.load_archive()
        items, problems = items + archived, problems + archive_problems
    rows = sorted(
        (li.item for li in items), key=lambda i: (i.not_before.timestamp(), i.id, i.platform)
    )
    report.rows = [
        StatusRow(i.id, i.platform, i.status, i.not_before, len(i.posts), len(i.posted), i.reason)
        for i in rows
    ]
    report.stuck, report.problems = needing_owner(rows, settings), problems
    _show(report, as_json=args.json)
    return EXIT_FAILED if problems else EXIT_OK


def _set_status(args: argparse.Namespace) -> int:
    """``hold``, ``release`` or ``retry`` (``args.command``) each ID; print what changed."""
    from publisher.store.filequeue import FileQueue

    settings = _settings(args)
    now = _now(args, settings)
    queue = FileQueue(_existing_queue(args))
    from publisher.reports import StatusChanges

    report = StatusChanges()
    try:
        with queue.lock():
            for wanted in args.ids:
                _change(queue, wanted, args, now, report)
    finally:  # the files changed before a bad ID stay changed: say so
        _show(report)
    return EXIT_OK


def _change(
    queue: Any, wanted: str, args: argparse.Namespace, now: dt.datetime, report: Any
) -> None:
    from publisher.errors import TransitionRefused
    from publisher.reports import StatusChange
    from publisher.store.fileformat import read_item
    from publisher.store.lifecycle import COMMANDS

    command = args.command
    paths = queue.paths()
    matches = [
        p
        for p in paths
        if p.name.removesuffix(".md") == wanted
        or p.name.removesuffix(".md").rsplit(".", 1)[0] == wanted
    ]
    if not matches:
        archived = queue.find_archived(wanted)
        if archived is not None:
            why = f"{wanted} was posted in full and archived: nothing to {command}"
            raise InputError.one(archived, None, why)
        raise InputError.one(args.queue, None, f"no queue item {wanted!r}")
    for path in matches:
        item = read_item(path).item
        before = item.status
        try:
            note = COMMANDS[command](item, now)
        except TransitionRefused as exc:
            lines = path.read_text(encoding="utf-8").splitlines()
            line = next((n for n, t in enumerate(lines, 1) if t.startswith("status:")), None)
            raise InputError.one(path, line, str(exc)) from None
        if not note:
            queue.save(item)
        report.changes.append(StatusChange(str(path), before, item.status, note or ""))


def _schedule(args: argparse.Namespace) -> int:
    from publisher.cron import cron_plan
    from publisher.reports import ScheduleReport

    _show(ScheduleReport(cron_plan(_settings(args).schedule)))
    return EXIT_OK


def _refresh_token(args: argparse.Namespace) -> int:
    """Print the platform's refreshed access token, alone, on stdout (for ``gh secret set``)."""
    from publisher.config import check_credentials, credentials

    name = args.name
    known = platforms.registry()
    if name not in known or known[name].refresh is None:
        able = ", ".join(n for n, p in known.items() if p.refresh is not None) or "none"
        raise InputError.one(name, None, f"no token to refresh for {name!r} (platforms: {able})")
    settings = _settings(args)
    check_credentials([name])
    token = platforms.refresh_token(name, credentials(name), settings.retry.timeout_seconds)
    print(token)
    return EXIT_OK


def _commit_back(args: argparse.Namespace) -> int:
    from publisher.gitsync import commit_back
    from publisher.reports import CommitReport

    if args.recover:  # before a run posts: records earlier runs could only push aside
        from publisher.gitsync import recover_records

        found = recover_records(Path.cwd(), str(args.queue))
        _show(
            CommitReport(
                f"records folded in from {', '.join(found)}" if found else "no records to recover"
            )
        )
        return EXIT_OK
    _existing_queue(args)
    result = commit_back(Path.cwd(), args.paths or [str(args.queue)], args.message)
    _show(CommitReport(result.message))
    return EXIT_OK


def _init(args: argparse.Namespace) -> int:
    from publisher import scaffold
    from publisher.errors import ScaffoldError

    try:
        platforms = scaffold.platform_names(args.platforms)
        action = scaffold.Action.parse(args.action or scaffold.released_action())
    except ScaffoldError as exc:
        raise InputError.one("publisher init", None, str(exc)) from None
    _show(scaffold.init(args.folder, platforms, action, force=args.force))
    return EXIT_OK


def _doctor(args: argparse.Namespace) -> int:
    from publisher import doctor

    report = doctor.examine(args.config, online=args.online)
    _show(report)
    return int(report.exit_code)


# ---- the command table: every command, declared once ------------------------------------------


def _run_arguments(parser: argparse.ArgumentParser) -> None:
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


def _check_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument(
        "--lookup",
        action="store_true",
        help="also look every entry without a link up on arXiv and report found, not found "
        "or ambiguous (needs the network; $ARXIV_API_URL names the API)",
    )


def _preview_arguments(parser: argparse.ArgumentParser) -> None:
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


def _enqueue_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", type=Path, metavar="DIGEST_OR_FOLDER")
    parser.add_argument("--summary", type=Path, help="append a Markdown summary to this file")


def _status_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--all", action="store_true", help="include the archive (queue/archive/YYYY-MM/)"
    )


def _ids_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ids", nargs="+", metavar="ID")


def _schedule_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cron", action="store_true", required=True, help="print the workflow's cron lines"
    )


def _refresh_token_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="PLATFORM", help="the platform whose token to refresh")


def _commit_back_arguments(parser: argparse.ArgumentParser) -> None:
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


def _init_arguments(parser: argparse.ArgumentParser) -> None:
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


def _doctor_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--online",
        action="store_true",
        help="also log in to each enabled platform with the cheapest call it has (network)",
    )


COMMAND_TABLE = (
    Command(
        DEFAULT,
        _run,
        "The scheduled job: post every queued thread that is due now.",
        shared=("json", "platform", "config", "queue", "now"),
        arguments=_run_arguments,
    ),
    Command(
        "check",
        _check,
        "Validate digest files. Prints one line per file, good (date, entries) "
        "or bad (how many problems), then every problem as FILE:LINE: message. "
        "Exit 2 if any is invalid.",
        synopsis=(("check FILE...", "validate digests, one summary line per file"),),
        shared=("config",),
        arguments=_check_arguments,
    ),
    Command(
        "preview",
        _preview,
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
        arguments=_preview_arguments,
    ),
    Command(
        "enqueue",
        _enqueue,
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
        arguments=_enqueue_arguments,
    ),
    Command(
        "status",
        _status,
        "Show the open queue (pending, posting, failed, held): id, platform, status, "
        "due time, posts made, with totals. --all adds the archive (threads posted in full).",
        synopsis=(
            (
                "status",
                "a table of the open queue (--all: and the archive): id, platform, status, due",
            ),
        ),
        shared=("json", "config", "queue", "now"),
        arguments=_status_arguments,
    ),
    Command(
        "hold",
        _set_status,
        "Hold a thread: it is not posted until released. ID is a file name without .md "
        "(entry id + platform) or an entry id (all its platforms).",
        synopsis=(("hold ID", "keep a thread from being posted"),),
        shared=("config", "queue", "now"),
        arguments=_ids_arguments,
    ),
    Command(
        "release",
        _set_status,
        "Release a held thread: it goes out at its time (or now, if that has passed).",
        synopsis=(("release ID", "let a held thread go out again"),),
        shared=("config", "queue", "now"),
        arguments=_ids_arguments,
    ),
    Command(
        "retry",
        _set_status,
        "Make a failed (or deferred) thread due again now; posts already made are kept.",
        synopsis=(("retry ID", "make a failed thread due again now"),),
        shared=("config", "queue", "now"),
        arguments=_ids_arguments,
    ),
    Command(
        "schedule",
        _schedule,
        "With --cron: print the cron lines publish.yml needs for the schedule in "
        "config/publisher.toml (runs just after each slot in UTC, plus catch-up runs), and "
        "what they cost in runs a day and billed minutes a month.",
        synopsis=(
            ("schedule --cron", "the publish workflow's cron lines for the configured slots"),
        ),
        shared=("config",),
        arguments=_schedule_arguments,
    ),
    Command(
        "refresh-token",
        _refresh_token,
        "Refresh the platform's long-lived access token and print the new one, alone, on "
        "stdout (nothing else is printed on success), for `gh secret set NAME` to read from a "
        "pipe. Exit 1 if the platform refuses (an expired token must be made anew), 2 for a "
        "platform without tokens to refresh.",
        synopsis=(
            ("refresh-token PLATFORM", "print a refreshed access token (pipe it to gh secret set)"),
        ),
        shared=("config",),
        arguments=_refresh_token_arguments,
    ),
    Command(
        "commit-back",
        _commit_back,
        "Commit the queue folder (only it) and push, rebasing on concurrent pushes "
        "with a bounded retry: no rename detection, queue files merged field by field (a "
        "person's status and text, the run's records), the record of posts made by union. If "
        "it still cannot push, it fails and pushes the commit to publisher-records/<sha>; "
        "--recover folds such branches' records into the queue before the next run posts.",
        synopsis=(("commit-back", "commit the queue folder and push it (used by the workflow)"),),
        shared=("queue",),
        arguments=_commit_back_arguments,
    ),
    Command(
        "init",
        _init,
        "Make DIR (default .) a digest repository: config/publisher.toml with the platforms "
        "asked for, digests/ and queue/ with a README each, .env.example, .gitignore, and the "
        "publish, enqueue and preview workflows (cron lines from the config) that run the "
        "publisher's action. Overwrites nothing unless --force (exit 2, naming the files). "
        "Prints the next steps: which secrets to create, and where.",
        synopsis=(("init [DIR]", "make a digest repository: config, workflows, .env.example"),),
        arguments=_init_arguments,
    ),
    Command(
        "doctor",
        _doctor,
        "Say whether this setup will work: the config and its time zone, the digests, the "
        "workflows and their cron lines, each enabled platform's variables (set or missing, by "
        "name), with --online a log-in to each platform, and a forecast of the monthly cost and "
        "the queue's pace for a digest like the latest. Exit 0 ready, 1 a platform refuses, 2 "
        "missing or invalid settings.",
        synopsis=(("doctor [--online]", "check config, digests, workflows and credentials"),),
        shared=("config",),
        arguments=_doctor_arguments,
    ),
)
COMMANDS = tuple(c.name for c in COMMAND_TABLE if c.name != DEFAULT)  # the named commands
