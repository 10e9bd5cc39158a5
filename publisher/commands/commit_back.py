"""``publisher commit-back``: commit the queue folder and push it (the workflow's last step)."""

from __future__ import annotations

import argparse
from pathlib import Path

from publisher.commands._common import EXIT_OK, existing_queue, show
from publisher.gitsync import commit_back, recover_records
from publisher.reports import CommitReport


def run(args: argparse.Namespace) -> int:
    if args.recover:  # before a run posts: records earlier runs could only push aside
        found = recover_records(Path.cwd(), str(args.queue))
        said = f"records folded in from {', '.join(found)}" if found else "no records to recover"
        show(CommitReport(said))
        return EXIT_OK
    existing_queue(args)
    result = commit_back(Path.cwd(), args.paths or [str(args.queue)], args.message)
    show(CommitReport(result.message))
    return EXIT_OK
