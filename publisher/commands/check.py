"""``publisher check FILE...``: validate digests, one line per file, then every problem."""

from __future__ import annotations

import argparse
import sys

from publisher.commands._common import EXIT_OK, resolve_links, settings_of, show
from publisher.digest import read_digest
from publisher.errors import InputError, Problem
from publisher.models import Digest
from publisher.reports import CheckedFile, CheckReport


def run(args: argparse.Namespace) -> int:
    """One line per file, good or bad, on stdout; then every problem, on stderr."""
    report = CheckReport()
    problems: list[Problem] = []
    digests: list[Digest] = []
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
        settings = settings_of(args)
        report.notes = resolve_links(digests, settings, lookup=True, network=True).notes
    show(report)
    if problems:
        sys.stdout.flush()  # the summary lines come before the problems on a terminal too
        raise InputError(problems)
    return EXIT_OK
