"""The scheduled job (the default command): post every queued thread that is due now, or with
``--dry-run`` show what it would post. ``--dry-run DIGEST...`` is ``dry_run``'s."""

from __future__ import annotations

import argparse

from publisher.errors import InputError


def run(args: argparse.Namespace) -> int:
    if args.digests and not args.dry_run:
        raise InputError.one(
            args.digests[0],
            None,
            "digests are posted through the queue: "
            "run `publisher enqueue DIGEST`, or add --dry-run to preview",
        )
    if args.lookup and not args.digests:
        raise InputError.one("--lookup", None, "only with --dry-run DIGEST (or check --lookup)")
    # Imported here, deliberately: a dry run of digests needs neither the queue nor the runner.
    if args.digests:
        from publisher.commands import dry_run

        return dry_run.run(args)
    from publisher.commands import job

    return job.run(args)
