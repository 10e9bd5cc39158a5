"""The ``publisher`` command. The only module that prints or exits.

Exit codes: 0 done (or deferred), 1 a post failed or the queue was busy, 2 bad input or usage.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from publisher import __version__
from publisher.errors import ConfigError, InputError, PublisherError, QueueBusy

COMMANDS = ("check", "enqueue", "status", "hold", "release", "retry", "commit-back")
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

MAIN_HELP = """\
Post a daily digest of ML paper notes to X and Bluesky as bilingual (Korean + English) threads.

With no command, run the scheduled job: post every queued thread that is due now.
  publisher --dry-run                 show what this run would post now, and what comes next
  publisher --dry-run DIGEST...       show the threads of a digest exactly as they would be posted
  publisher                           post what is due (needs credentials; see .env.example)

commands:
  check FILE...       validate digests, one summary line per file
  enqueue DIGEST...   validate, format and write one queue file per thread
  status              a table of the queue: id, platform, status, due, posts made
  hold ID             keep a thread from being posted
  release ID          let a held thread go out again
  retry ID            make a failed thread due again now
  commit-back         commit the queue folder and push it (used by the workflow)

exit codes: 0 done, 1 a post failed (or the queue was busy), 2 bad input or usage
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _common(parser: argparse.ArgumentParser, *, queue: bool = True, now: bool = False) -> None:
    parser.add_argument("--config", type=Path, help="settings file (default config/publisher.toml)")
    if queue:
        parser.add_argument(
            "--queue", type=Path, default=Path("queue"), help="queue folder (default queue/)"
        )
    if now:
        parser.add_argument(
            "--now", help="act as if it were this time (ISO 8601; naive = config time zone)"
        )


def build_parsers() -> dict[str, _Parser]:
    fmt = argparse.RawDescriptionHelpFormatter
    main = _Parser(prog="publisher", description=MAIN_HELP, formatter_class=fmt)
    main.add_argument("--version", action="version", version=f"publisher {__version__}")
    main.add_argument(
        "--dry-run", action="store_true", help="show what would be posted; write and send nothing"
    )
    main.add_argument("--json", action="store_true", help="print machine-readable JSON")
    main.add_argument(
        "--platform",
        action="append",
        choices=["x", "bluesky"],
        help="only this platform (repeatable)",
    )
    main.add_argument(
        "--summary", type=Path, help="append a Markdown summary to this file ($GITHUB_STEP_SUMMARY)"
    )
    _common(main, now=True)
    main.add_argument(
        "digests", nargs="*", type=Path, metavar="DIGEST", help="with --dry-run: digests to format"
    )

    parsers = {"": main}
    check = _Parser(
        prog="publisher check",
        description="Validate digest files. Prints one line per file "
        "(date, entries); every problem as FILE:LINE: message. Exit 2 if any is invalid.",
    )
    check.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parsers["check"] = check

    enqueue = _Parser(
        prog="publisher enqueue",
        description="Validate digests (all or nothing), format every "
        "entry for every enabled platform and write one queue file per thread, scheduled by "
        "config/publisher.toml. Threads already queued are skipped.",
    )
    enqueue.add_argument("files", nargs="+", type=Path, metavar="DIGEST")
    enqueue.add_argument("--summary", type=Path, help="append a Markdown summary to this file")
    _common(enqueue, now=True)
    parsers["enqueue"] = enqueue

    status = _Parser(
        prog="publisher status",
        description="Show the queue: id, platform, status, due time, posts made, with totals.",
    )
    status.add_argument("--json", action="store_true", help="print machine-readable JSON")
    _common(status, now=True)
    parsers["status"] = status

    for name, text in (
        (
            "hold",
            "Hold a thread: it is not posted until released. ID is a file name without .md "
            "(entry id + platform) or an entry id (all its platforms).",
        ),
        ("release", "Release a held thread: it goes out at its time (or now, if that has passed)."),
        ("retry", "Make a failed (or deferred) thread due again now; posts already made are kept."),
    ):
        sub = _Parser(prog=f"publisher {name}", description=text)
        sub.add_argument("ids", nargs="+", metavar="ID")
        _common(sub, now=True)
        parsers[name] = sub

    commit = _Parser(
        prog="publisher commit-back",
        description="Commit the queue folder (only it) and push, rebasing on concurrent pushes "
        "with a bounded retry. A real conflict fails, losing nothing.",
    )
    commit.add_argument(
        "--path", action="append", dest="paths", help="path to commit (default: the queue folder)"
    )
    commit.add_argument(
        "--message", default="queue: update publishing state", help="commit message"
    )
    commit.add_argument(
        "--queue", type=Path, default=Path("queue"), help="queue folder (default queue/)"
    )
    parsers["commit-back"] = commit
    return parsers


def _split_command(argv: Sequence[str]) -> tuple[str, list[str]]:
    takes_value = {"--now", "--queue", "--config", "--platform", "--summary"}
    skip = False
    for i, arg in enumerate(argv):
        if skip:
            skip = False
            continue
        if arg in takes_value:
            skip = True
            continue
        if arg.startswith("-"):
            continue
        if arg in COMMANDS:
            return arg, [*argv[:i], *argv[i + 1 :]]
        break
    return "", list(argv)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command, rest = _split_command(argv)
    args = build_parsers()[command].parse_args(rest)
    try:
        return _dispatch(command, args)
    except InputError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        _write_summary(args, "publisher: bad input", problems=exc.problems)
        return EXIT_USAGE
    except ConfigError as exc:
        print(f"publisher: {exc}", file=sys.stderr)
        _write_summary(args, "publisher: configuration error", message=str(exc))
        return EXIT_USAGE
    except QueueBusy as exc:
        print(f"publisher: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except PublisherError as exc:
        print(f"publisher: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:  # e.g. `publisher --dry-run | head`
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        print("publisher: interrupted", file=sys.stderr)
        return 130


def _write_summary(
    args: argparse.Namespace, title: str, *, problems: Any = None, message: str = ""
) -> None:
    target = getattr(args, "summary", None)
    if target:
        from publisher.summary import error_summary

        _append(target, error_summary(title, problems, message))


def _append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)


def _dispatch(command: str, args: argparse.Namespace) -> int:
    if command == "check":
        return _check(args)
    if command == "enqueue":
        return _enqueue(args)
    if command == "status":
        return _status(args)
    if command in ("hold", "release", "retry"):
        return _set_status(command, args)
    if command == "commit-back":
        return _commit_back(args)
    return _run(args)


def _settings(args: argparse.Namespace) -> Any:
    from publisher.config import load_env, load_settings

    load_env()
    return load_settings(args.config)


def _now(args: argparse.Namespace, settings: Any) -> dt.datetime:
    raw = getattr(args, "now", None)
    if not raw:
        return dt.datetime.now(dt.UTC).astimezone(settings.schedule.zone).replace(microsecond=0)
    try:
        moment = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise InputError.one(
            "--now", None, f"{raw!r} is not an ISO 8601 time like 2025-05-20T09:00"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=settings.schedule.zone)
    return moment


def _check(args: argparse.Namespace) -> int:
    from publisher.digest import read_digests

    for digest in read_digests(args.files):
        print(f"{digest.source}: {digest.date.isoformat()}, {len(digest.entries)} entries")
    return EXIT_OK


# ---- the scheduled job and the dry runs -------------------------------------------------------


def _rules(settings: Any) -> Any:
    from publisher.platforms import rules_for

    return rules_for(settings.format)


def _platforms(args: argparse.Namespace, settings: Any) -> list[str]:
    return [p for p in settings.platforms if not args.platform or p in args.platform]


def _run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if args.platform:
        settings = settings.model_copy(update={"platforms": _platforms(args, settings)})
    if args.digests:
        if not args.dry_run:
            raise InputError.one(
                args.digests[0],
                None,
                "digests are posted through the queue: "
                "run `publisher enqueue DIGEST`, or add --dry-run to preview",
            )
        return _dry_run_digests(args, settings)
    from publisher import runner
    from publisher.filequeue import FileQueue

    rules = _rules(settings)
    now = _now(args, settings)
    queue = FileQueue(args.queue)
    if args.dry_run:
        items, problems = queue.load()
        report = runner.RunReport(runner.make_plan(items, problems, settings, rules, now))
        _print_plan(report, rules, now, args.json, settings)
    else:
        from publisher.config import check_credentials
        from publisher.platforms import ADAPTERS

        check_credentials(list(settings.platforms))
        with queue.lock():
            report = runner.run(queue, settings, rules, lambda p: ADAPTERS[p](settings.retry), now)
        _print_run(report, args.json)
    if args.summary:
        from publisher.summary import run_summary

        _append(args.summary, run_summary(report, rules, dry_run=args.dry_run))
    return report.exit_code


def _dry_run_digests(args: argparse.Namespace, settings: Any) -> int:
    from publisher import cost
    from publisher.digest import read_digests
    from publisher.formatter import threads_for

    rules = _rules(settings)
    digests = read_digests(args.digests)
    threads = threads_for(digests, settings.format, rules, list(settings.platforms))
    if args.json:
        out = [
            {
                "entry_id": thread.entry_id,
                "platform": thread.platform,
                "posts": [
                    {**rules[thread.platform].payload(text), **_price_fields(cls, settings)}
                    for text, cls in zip(thread.posts, _classes(thread), strict=True)
                ],
            }
            for _, _, thread in threads
        ]
        _print_json(out)
        return EXIT_OK
    current = None
    totals: dict[str, cost.Cost] = {}
    for digest, n, thread in threads:
        entry = digest.entries[n]
        if entry.id != current:
            current = entry.id
            print(f"━━ {entry.title}\n   id {entry.id}")
        _print_thread(
            thread.platform,
            [rules[thread.platform].payload(t)["text"] for t in thread.posts],
            [rules[thread.platform].length(t) for t in thread.posts],
            rules[thread.platform].limit,
            labels=[cost.post_label(thread.platform, t, settings.x) for t in thread.posts],
        )
        spent = cost.texts_cost(thread.platform, thread.posts, settings.x)
        totals[thread.platform] = totals.get(thread.platform, cost.Cost()) + spent
    for platform, total in totals.items():
        print(total.line(platform))
    return EXIT_OK


def _classes(thread: Any) -> list[str | None]:
    classes: list[str] | None = thread.price_classes
    return list(classes) if classes is not None else [None] * len(thread.posts)


def _price_fields(cls: str | None, settings: Any) -> dict[str, Any]:
    """X's price class and price of a post, for --json; nothing for unbilled platforms."""
    if cls is None:
        return {}
    return {"price_class": cls, "price_usd": settings.x.price(cls == "url")}


def _print_thread(
    platform: str,
    texts: list[str],
    counts: list[int],
    limit: int,
    first: int = 1,
    total: int | None = None,
    out: TextIO | None = None,
    labels: list[str] | None = None,
) -> None:
    total = total or len(texts)
    labels = labels or [""] * len(texts)
    for k, (text, count) in enumerate(zip(texts, counts, strict=True)):
        label = f"  {labels[k]}" if labels[k] else ""
        print(f"\n── {platform} {first + k}/{total}  {count}/{limit}{label}", file=out)
        print(text, file=out)
    print(file=out)


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _print_plan(report: Any, rules: Any, now: dt.datetime, as_json: bool, settings: Any) -> None:
    from publisher import cost

    plan = report.plan
    if as_json:
        _print_json(
            {
                "now": now.isoformat(),
                "due": [
                    {
                        "id": p.loaded.item.id,
                        "platform": p.loaded.item.platform,
                        "file": str(p.loaded.path),
                        "first_post": p.loaded.item.next_index + 1,
                        "posts": [
                            {
                                **payload,
                                "count": count,
                                "limit": rules[p.loaded.item.platform].limit,
                                **_price_fields(
                                    cost.price_class(payload["text"])
                                    if p.loaded.item.platform == cost.PRICED
                                    else None,
                                    settings,
                                ),
                            }
                            for payload, count in zip(p.payloads, p.counts, strict=True)
                        ],
                    }
                    for p in plan.due
                ],
                "next": [
                    {
                        "id": w.item.id,
                        "platform": w.item.platform,
                        "when": w.when.isoformat(),
                        "why": w.why,
                    }
                    for w in plan.waiting
                ],
                "problems": [str(p) for p in plan.problems],
                "spend": plan.spend,
            }
        )
    else:
        print(f"Dry run at {now.isoformat()}: nothing is sent, nothing is written.")
        if plan.spend:
            print(plan.spend)
        if not plan.due:
            print("Nothing is due now.")
        for planned in plan.due:
            item = planned.loaded.item
            due = item.not_before.isoformat()
            print(f"\n━━ due {due}  {item.key}  ({planned.loaded.path})\n   {item.title}")
            _print_thread(
                item.platform,
                [p["text"] for p in planned.payloads],
                planned.counts,
                rules[item.platform].limit,
                first=item.next_index + 1,
                total=len(item.posts),
                labels=[
                    cost.post_label(item.platform, p["text"], settings.x) for p in planned.payloads
                ],
            )
        if plan.waiting:
            print("Next:")
            for waiting in plan.waiting[:20]:
                print(f"  {waiting.when.isoformat()}  {waiting.item.key}  ({waiting.why})")
            if len(plan.waiting) > 20:
                print(f"  … and {len(plan.waiting) - 20} more")
    for problem in plan.problems:
        print(problem, file=sys.stderr)


def _print_run(report: Any, as_json: bool) -> None:
    if as_json:
        _print_json(
            {
                "posted": [vars(s) for s in report.sent],
                "failed": [{"id": k, "reason": r} for k, r in report.failed],
                "deferred": [
                    {"id": k, "until": w.isoformat(), "reason": r} for k, w, r in report.deferred
                ],
                "problems": [str(p) for p in report.plan.problems],
                "out_of_credit": report.out_of_credit,
            }
        )
    else:
        for sent in report.sent:
            print(f"posted {sent.key} {sent.number}/{sent.total}  {sent.url}")
        for key, until, why in report.deferred:
            print(f"deferred {key} until {until.isoformat()}: {why}")
        if not report.sent and not report.failed and not report.deferred:
            print("nothing was due")
    for key, why in report.failed:
        print(f"failed {key}: {why}", file=sys.stderr)
    for platform, why in report.out_of_credit.items():
        print(f"stopped {platform}, nothing failed: {why}", file=sys.stderr)
    for problem in report.plan.problems:
        print(problem, file=sys.stderr)


# ---- the queue commands -------------------------------------------------------------------


def _enqueue(args: argparse.Namespace) -> int:
    from publisher.digest import read_digests
    from publisher.enqueue import enqueue
    from publisher.filequeue import FileQueue

    settings = _settings(args)
    digests = read_digests(args.files)
    queue = FileQueue(args.queue)
    with queue.lock():
        report = enqueue(queue, digests, settings, _rules(settings), _now(args, settings))
    for item in report.added:
        due = item.not_before.isoformat()
        print(f"queued {queue.path_of(item)}  {len(item.posts)} posts  not before {due}")
    for key, why in report.skipped:
        print(f"skipped {key}: {why}")
    print(f"{len(report.added)} added, {len(report.skipped)} already queued")
    if args.summary:
        from publisher.summary import enqueue_summary

        _append(args.summary, enqueue_summary(report))
    return EXIT_OK


def _status(args: argparse.Namespace) -> int:
    from collections import Counter

    from publisher import cost
    from publisher.filequeue import FileQueue

    settings = _settings(args)
    items, problems = FileQueue(args.queue).load()
    spend = (
        cost.spend_line(
            [li.item for li in items], _now(args, settings), settings.schedule, settings.x
        )
        if cost.PRICED in settings.platforms
        else ""
    )
    rows = sorted(
        (li.item for li in items), key=lambda i: (i.not_before.timestamp(), i.id, i.platform)
    )
    if args.json:
        _print_json(
            {
                "items": [
                    {
                        "id": i.id,
                        "platform": i.platform,
                        "status": i.status,
                        "due": i.not_before.isoformat(),
                        "posts": len(i.posts),
                        "posted": len(i.posted),
                        "reason": i.reason,
                    }
                    for i in rows
                ],
                "problems": [str(p) for p in problems],
                "spend": spend,
            }
        )
    else:
        width = max([len(i.id) for i in rows] + [2])
        print(f"{'ID':<{width}}  {'PLATFORM':<8}  {'STATUS':<8}  {'DUE':<25}  POSTS")
        for i in rows:
            print(
                f"{i.id:<{width}}  {i.platform:<8}  {i.status:<8}  {i.not_before.isoformat():<25}  "
                f"{len(i.posted)}/{len(i.posts)}" + (f"  {i.reason}" if i.reason else "")
            )
        counts = Counter(i.status for i in rows)
        print(
            f"{len(rows)} threads"
            + "".join(f", {n} {s}" for s, n in sorted(counts.items()))
            + (f"; {len(problems)} unreadable" if problems else "")
        )
        if spend:
            print(spend)
    for problem in problems:
        print(problem, file=sys.stderr)
    return EXIT_FAILED if problems else EXIT_OK


def _set_status(command: str, args: argparse.Namespace) -> int:
    from publisher.filequeue import FileQueue, change_status, read_item

    settings = _settings(args)
    now = _now(args, settings)
    queue = FileQueue(args.queue)
    with queue.lock():
        paths = queue.paths()
        for wanted in args.ids:
            matches = [
                p
                for p in paths
                if p.name.removesuffix(".md") == wanted
                or p.name.removesuffix(".md").rsplit(".", 1)[0] == wanted
            ]
            if not matches:
                raise InputError.one(args.queue, None, f"no queue item {wanted!r}")
            for path in matches:
                item = read_item(path).item
                before = item.status
                try:
                    change_status(item, command, now)
                except ValueError as exc:
                    raise InputError.one(path, None, str(exc)) from None
                queue.save(item)
                print(f"{path}: {before} -> {item.status}")
    return EXIT_OK


def _commit_back(args: argparse.Namespace) -> int:
    from publisher.gitsync import commit_back

    result = commit_back(Path.cwd(), args.paths or [str(args.queue)], args.message)
    print(f"commit-back: {result.message}")
    return EXIT_OK
