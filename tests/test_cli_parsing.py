"""The command line: every option of every command parses and reaches its command.

The cases are read from the parsers themselves, so an option added tomorrow is tested too: it
must parse after its command and before it, even when its value is spelled like a command.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from publisher import cli
from tests.publisher_cli import run_publisher

PARSER = cli.build_parser()
COMMANDS = cli._commands(PARSER)
NOT_PARSED = (argparse._HelpAction, argparse._VersionAction)  # they print and exit


def _options() -> list[tuple[str, argparse.Action]]:
    return [
        (name, action)
        for name, sub in COMMANDS.items()
        for action in sub._actions
        if action.option_strings and not isinstance(action, NOT_PARSED)
    ]


def _given(action: argparse.Action) -> tuple[list[str], object]:
    """Arguments that set ``action``, and the value they must leave in the namespace."""
    flag = action.option_strings[-1]
    if action.nargs == 0:
        return [flag], action.const
    raw = str(action.choices[0]) if action.choices else "status"  # a command's name on purpose
    value = action.type(raw) if callable(action.type) else raw
    return [flag, raw], [value] if isinstance(action, argparse._AppendAction) else value


def _required(sub: argparse.ArgumentParser, tested: argparse.Action) -> list[str]:
    """The command's other required arguments (``schedule --cron``, ``check FILE``)."""
    options = [
        arg
        for action in sub._actions
        if action.option_strings and action.required and action is not tested
        for arg in _given(action)[0]
    ]
    positionals = [
        "some.txt"
        for action in sub._actions
        if not action.option_strings and action.nargs in ("+", None)
    ]
    return options + positionals


def _parse(argv: list[str]) -> argparse.Namespace:
    args, extra = PARSER.parse_known_args(cli.route(PARSER, argv))
    assert extra == []
    return args


def _ids(cases: list[tuple[str, argparse.Action]]) -> list[str]:
    return [f"{name}{action.option_strings[-1]}" for name, action in cases]


OPTIONS = _options()


class TestEveryOption:
    """Each option of each command, read from the parsers."""

    def test_the_cases_cover_every_command(self) -> None:
        """The table below is not empty by accident: every command has its options in it."""
        assert {name for name, _ in OPTIONS} == set(COMMANDS)
        assert len(OPTIONS) >= 30

    def test_an_option_takes_a_value_everywhere_or_nowhere(self) -> None:
        """The router reads options before it knows the command: one arity per option name."""
        arity: dict[str, set[bool]] = {}
        for sub in COMMANDS.values():
            for action in sub._actions:
                for option in action.option_strings:
                    arity.setdefault(option, set()).add(action.nargs != 0)
        assert {option: both for option, both in arity.items() if len(both) > 1} == {}

    @pytest.mark.parametrize(("name", "action"), OPTIONS, ids=_ids(OPTIONS))
    def test_after_the_command(self, name: str, action: argparse.Action) -> None:
        """``publisher COMMAND --option VALUE``: the option reaches its command."""
        given, expected = _given(action)
        command = [] if name == cli.DEFAULT else [name]
        args = _parse([*command, *given, *_required(COMMANDS[name], action)])
        assert args.command == name
        assert getattr(args, action.dest) == expected

    @pytest.mark.parametrize(("name", "action"), OPTIONS, ids=_ids(OPTIONS))
    def test_before_the_command(self, name: str, action: argparse.Action) -> None:
        """``publisher --option VALUE COMMAND``: a value spelled like a command stays a value."""
        given, expected = _given(action)
        command = [] if name == cli.DEFAULT else [name]
        args = _parse([*given, *command, *_required(COMMANDS[name], action)])
        assert args.command == name
        assert getattr(args, action.dest) == expected


class TestDefaultCommand:
    """With no command named, the scheduled run: as the README's first commands expect."""

    @pytest.mark.parametrize(
        ("argv", "digests"),
        [
            ([], []),
            (["--dry-run"], []),
            (["--dry-run", "d.txt"], ["d.txt"]),
            (["d.txt", "e.toml", "--dry-run"], ["d.txt", "e.toml"]),
            (["--queue", "check", "--dry-run"], []),
            (["--dry-run", "--", "check"], ["check"]),  # a digest named like a command
            (["--dry-run", "run"], ["run"]),  # the default's own name is no command to a user
            (["--now=2025-05-20T09:00", "d.txt"], ["d.txt"]),
        ],
    )
    def test_routes_to_the_run(self, argv: list[str], digests: list[str]) -> None:
        """Options, digests and no command: the run, with its digests."""
        args = _parse(argv)
        assert args.command == cli.DEFAULT
        assert args.digests == [Path(d) for d in digests]

    def test_abbreviated_option_takes_its_value(self) -> None:
        """``--conf status status``: argparse's prefix of --config keeps its value too."""
        args = _parse(["--conf", "status", "status"])
        assert args.command == "status" and args.config == Path("status")

    def test_named_command_after_options(self) -> None:
        """Options may come before the command, as they always could."""
        args = _parse(["--config", "c.toml", "--queue", "q", "hold", "a.x", "b"])
        assert args.command == "hold"
        assert (args.config, args.queue, args.ids) == (Path("c.toml"), Path("q"), ["a.x", "b"])
        assert args.declared.module == "states"  # hold, release and retry run there


class TestHelpAndErrors:
    """What a person sees when the command line is wrong or they ask for help."""

    def test_main_help_lists_every_command(self) -> None:
        """`publisher --help` lists each command, from the command table."""
        done = run_publisher("--help")
        assert done.returncode == 0
        listed = [line.split()[0] for line in done.stdout.splitlines() if line.startswith("  ")]
        for command in cli.COMMANDS:
            assert command in listed

    def test_command_help_lists_its_options(self) -> None:
        """Each command's help names every option it takes, shared ones included."""
        for name, sub in COMMANDS.items():
            text = sub.format_help()
            for action in sub._actions:
                for option in action.option_strings:
                    assert option in text, (name, option)

    def test_unknown_option_after_a_command(self) -> None:
        """Reported by the command's own parser (its usage, its name), exit 2."""
        done = run_publisher("status", "--frobnicate")
        assert done.returncode == 2
        assert "usage: publisher status" in done.stderr
        assert "publisher status: error: unrecognized arguments: --frobnicate" in done.stderr

    def test_option_of_another_command(self) -> None:
        """`publisher check --dry-run d.txt`: --dry-run belongs to the run, not to check."""
        done = run_publisher("--dry-run", "check", "d.txt")
        assert done.returncode == 2
        assert "publisher check: error: unrecognized arguments: --dry-run" in done.stderr
        assert "Traceback" not in done.stderr
