"""``publisher doctor [--online]``: say whether this setup will work."""

from __future__ import annotations

import argparse

from publisher import doctor
from publisher.commands._common import show


def run(args: argparse.Namespace) -> int:
    report = doctor.examine(args.config, online=args.online)
    show(report)
    return int(report.exit_code)
