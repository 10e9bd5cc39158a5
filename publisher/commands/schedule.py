"""``publisher schedule --cron``: the publish workflow's cron lines for the configured slots."""

from __future__ import annotations

import argparse

from publisher.commands._common import EXIT_OK, settings_of, show
from publisher.cron import cron_plan
from publisher.reports import ScheduleReport


def run(args: argparse.Namespace) -> int:
    show(ScheduleReport(cron_plan(settings_of(args).schedule)))
    return EXIT_OK
