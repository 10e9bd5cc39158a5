"""``publisher init [DIR]``: make a digest repository (config, workflows, .env.example)."""

from __future__ import annotations

import argparse

from publisher import scaffold
from publisher.commands._common import EXIT_OK, show
from publisher.errors import InputError, ScaffoldError


def run(args: argparse.Namespace) -> int:
    try:
        names = scaffold.platform_names(args.platforms)
        action = scaffold.Action.parse(args.action or scaffold.released_action())
    except ScaffoldError as exc:
        raise InputError.one("publisher init", None, str(exc)) from None
    show(scaffold.init(args.folder, names, action, force=args.force))
    return EXIT_OK
