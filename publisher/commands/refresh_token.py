"""``publisher refresh-token PLATFORM``: the refreshed access token, alone, on stdout."""

from __future__ import annotations

import argparse

from publisher import platforms
from publisher.commands._common import EXIT_OK, settings_of
from publisher.config import check_credentials, credentials
from publisher.errors import InputError


def run(args: argparse.Namespace) -> int:
    """Print the platform's refreshed access token, alone, on stdout (for ``gh secret set``)."""
    name = args.name
    known = platforms.registry()
    if name not in known or known[name].refresh is None:
        able = ", ".join(n for n, p in known.items() if p.refresh is not None) or "none"
        raise InputError.one(name, None, f"no token to refresh for {name!r} (platforms: {able})")
    settings = settings_of(args)
    check_credentials([name])
    token = platforms.refresh_token(name, credentials(name), settings.retry.timeout_seconds)
    print(token)
    return EXIT_OK
