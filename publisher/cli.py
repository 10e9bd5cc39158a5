"""The ``publisher`` command line: the parser built from the command table, the router and the
error guard. Only it and the commands it runs (``publisher.commands``) print or exit.

Exit codes: 0 done (or deferred by a 429/5xx within its budget), 1 a post failed, a platform could
not be reached or refused the account, or the queue was busy, 2 bad input or usage.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from publisher import __version__
from publisher.commands import DEFAULT, EXIT_HELP, MAIN_INTRO, NAMED, TABLE, Command
from publisher.errors import ConfigError, InputError, PublisherError, QueueBusy
from publisher.hygiene import one_line
from publisher.project import DEFAULT_QUEUE, moved, project_root

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
COMMANDS = NAMED  # the named commands


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
    for name, value in moved(vars(args), cwd, root).items():
        setattr(args, name, value)
    os.chdir(root)
    print(f"publisher: project root {root} (the working folder is below it)", file=sys.stderr)


def _shared_options() -> dict[str, _Parser]:
    """Options several commands take, each group a parent parser, so each is written once."""
    from publisher import platforms  # here: `--version` is answered without loading them

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

    from publisher import platforms

    on = ", ".join(platforms.title(name) for name in platforms.names())
    intro = MAIN_INTRO.replace("threads.\n", f"threads\n({on}).\n", 1)
    return intro + "\ncommands:\n" + "\n".join(listing) + "\n\n" + EXIT_HELP


def build_parser() -> argparse.ArgumentParser:
    """``publisher``: one subparser per command; the default one is named ``DEFAULT``."""
    top = _Parser(prog="publisher", add_help=False)
    subparsers = top.add_subparsers(dest="command", parser_class=_Parser)
    shared = _shared_options()
    for command in TABLE:
        is_default = command.name == DEFAULT
        sub = subparsers.add_parser(
            command.name,
            prog="publisher" if is_default else f"publisher {command.name}",
            description=_main_help(TABLE) if is_default else command.description,
            formatter_class=argparse.RawDescriptionHelpFormatter
            if is_default
            else argparse.HelpFormatter,
            parents=[shared[name] for name in command.shared],
        )
        if command.arguments is not None:
            command.arguments(sub)
        sub.set_defaults(declared=command)
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
    if argv == ["--version"]:  # answered before the parser is built, which loads the platforms
        print(f"publisher {__version__}")
        return EXIT_OK
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


def _guarded(args: argparse.Namespace) -> int:
    try:
        _check_summary(args)
        declared: Command = args.declared
        return declared.handler()(args)
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
    if target:  # imported here: only a failed command with --summary needs them
        from publisher.scrub import scrub
        from publisher.summary import error_summary

        with target.open("a", encoding="utf-8") as handle:
            handle.write(scrub(error_summary(title, problems, message)))
