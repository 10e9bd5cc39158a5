"""What the commands share: settings and ``--now``, the queue folder, the platforms asked for,
and showing a report (stdout) or a problem (stderr, credentials scrubbed)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from publisher import platforms, render_json, render_text
from publisher.arxiv import ArxivClient
from publisher.config import Settings, arxiv_api_url, load_env, load_settings
from publisher.errors import ConfigError, InputError
from publisher.hygiene import one_line
from publisher.links import Links, resolve
from publisher.models import Digest
from publisher.platforms.base import Rules
from publisher.scrub import scrub
from publisher.timefmt import LocalTimes

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def say(text: object) -> None:
    """An error line on stderr: credentials scrubbed, on one line."""
    print(one_line(scrub(str(text))), file=sys.stderr)


def show(report: Any, *, as_json: bool = False) -> None:
    """Print a report: text (or JSON) on stdout, then its problems on stderr."""
    if as_json:
        print(render_json.dumps(report))
    else:
        for line in render_text.lines(report):
            print(line)
    for problem in render_text.problems(report):
        say(problem)


def append(path: Path, text: str) -> None:
    """Append ``text`` (credentials scrubbed) to a summary file."""
    with path.open("a", encoding="utf-8") as handle:
        handle.write(scrub(text))


def settings_of(args: argparse.Namespace) -> Settings:
    """The settings ``--config`` names (or the default), the environment and ``.env`` loaded."""
    load_env()
    settings = load_settings(args.config)
    for note in settings.deprecations:
        print(f"note: {note}", file=sys.stderr)
    return settings


def now_of(args: argparse.Namespace, settings: Settings) -> dt.datetime:
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


def existing_queue(args: argparse.Namespace) -> Path:
    """The ``--queue`` folder, which must exist: only ``enqueue`` creates it."""
    root: Path = args.queue
    if not root.is_dir():
        what = "is not a folder" if root.exists() else "does not exist"
        raise InputError.one(
            root, None, f"the queue folder {what} (`publisher enqueue` creates it; check --queue)"
        )
    return root


def times(settings: Settings, now: dt.datetime) -> LocalTimes:
    return LocalTimes(settings.schedule.zone, now)


def rules(
    settings: Settings, limits: Mapping[str, Mapping[str, int]] | None = None
) -> dict[str, Rules]:
    return platforms.rules_for(settings, limits)


def platforms_asked(
    args: argparse.Namespace, settings: Settings, *, shows_off: bool = False
) -> list[str]:
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
        say(f"note: {name} is off, shown because --platform names it ({turn_on})")
    return [name for name in platforms.names() if name in args.platform]


def narrowed(args: argparse.Namespace, settings: Settings, *, shows_off: bool) -> Settings:
    """``settings`` with only the platforms ``--platform`` asks for (all that are on if none)."""
    if not args.platform:
        return settings
    asked = platforms_asked(args, settings, shows_off=shows_off)
    return settings.model_copy(update={"platforms": asked})


def resolve_links(
    digests: Sequence[Digest], settings: Settings, *, lookup: bool, network: bool
) -> Links:
    """Links and cards of the digests' entries, with a note per look-up outcome or warning."""
    client = ArxivClient(arxiv_api_url(), settings.links.timeout_seconds) if lookup else None
    return resolve(list(digests), settings.links, lookup=lookup, network=network, client=client)
