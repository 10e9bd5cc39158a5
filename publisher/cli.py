"""The ``publisher`` command. The only module that prints or exits.

Exit codes: 0 done (or deferred by a 429/5xx within its budget), 1 a post failed, a platform could
not be reached or refused the account, or the queue was busy, 2 bad input or usage.
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
from publisher.hygiene import one_line

COMMANDS = (
    "check",
    "preview",
    "enqueue",
    "status",
    "hold",
    "release",
    "retry",
    "schedule",
    "commit-back",
)
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

MAIN_HELP = """\
Post a daily digest of ML paper notes to X and Bluesky as bilingual (Korean + English) threads.

With no command, run the scheduled job: post every queued thread that is due now.
  publisher --dry-run                 show what this run would post now, and what comes next
  publisher --dry-run DIGEST...       show the threads of a digest exactly as they would be posted
  publisher                           post what is due (needs credentials; see .env.example)

commands:
  check FILE...       validate digests, one summary line per file
  preview DIGEST...   write an HTML page showing each thread as the platforms will show it
  preview --queue DIR the same for the queue (both: digests and queue on one page)
  enqueue PATH...     validate, format and write one queue file per thread; a folder
                      means every digest under it (`publisher enqueue digests/`)
  status              a table of the open queue (--all: and the archive): id, platform, status, due
  hold ID             keep a thread from being posted
  release ID          let a held thread go out again
  retry ID            make a failed thread due again now
  schedule --cron     the publish workflow's cron lines for the configured slots
  commit-back         commit the queue folder and push it (used by the workflow)

exit codes: 0 done (a 429/5xx deferred to a later run included), 1 a post failed, a platform
was unreachable or refused the account (threads stay pending), or the queue was busy,
2 bad input, usage or configuration
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {one_line(message)}\n")


class _ActionsSafe:
    """A text stream in which no line starts with ``::``.

    The Actions runner runs such a line as a workflow command (``::add-mask::``, ``::warning::``);
    the publisher never means one, so any that text brings in is indented by one space.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._at_start = True

    def write(self, text: str) -> int:
        if self._at_start and text.startswith(":"):
            text = " " + text if text.startswith("::") or text == ":" else text
        text = text.replace("\n::", "\n ::")
        self._at_start = text.endswith("\n")
        return self._stream.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


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
    main.add_argument(
        "--lookup",
        action="store_true",
        help="with --dry-run DIGEST: look links up on arXiv and fetch link pages, as enqueue "
        "does when [links] allows it (needs the network)",
    )
    _common(main, now=True)
    main.add_argument(
        "digests", nargs="*", type=Path, metavar="DIGEST", help="with --dry-run: digests to format"
    )

    parsers = {"": main}
    check = _Parser(
        prog="publisher check",
        description="Validate digest files. Prints one line per file, good (date, entries) "
        "or bad (how many problems), then every problem as FILE:LINE: message. "
        "Exit 2 if any is invalid.",
    )
    check.add_argument("files", nargs="+", type=Path, metavar="FILE")
    check.add_argument(
        "--lookup",
        action="store_true",
        help="also look every entry without a link up on arXiv and report found, not found "
        "or ambiguous (needs the network; $ARXIV_API_URL names the API)",
    )
    _common(check, queue=False)
    parsers["check"] = check

    preview = _Parser(
        prog="publisher preview",
        description="Write one self-contained HTML page (no script, no external request) that "
        "shows every thread per platform as it will be posted: posts stacked as replies, links "
        "and tags highlighted from what is posted, N/M, the count against the limit, the "
        "scheduled time and X's price class. Problems are shown in place, in red, with "
        "FILE:LINE, and on stderr. DIGEST... previews digests (scheduled after the queue, as "
        "enqueue would); --queue DIR (or no digest) previews the queue. Exit 2 if a digest is "
        "invalid, 1 if a queue file has a problem.",
    )
    preview.add_argument("files", nargs="*", type=Path, metavar="DIGEST")
    preview.add_argument(
        "--out", type=Path, default=Path("preview.html"), help="HTML file (default preview.html)"
    )
    preview.add_argument(
        "--queue", type=Path, help="preview this queue folder (default queue/ when no DIGEST)"
    )
    preview.add_argument(
        "--summary", type=Path, help="append the preview as Markdown ($GITHUB_STEP_SUMMARY)"
    )
    preview.add_argument(
        "--platform", action="append", choices=["x", "bluesky"], help="only this platform"
    )
    _common(preview, queue=False, now=True)
    parsers["preview"] = preview

    enqueue = _Parser(
        prog="publisher enqueue",
        description="Validate digests, format every entry for every enabled platform and "
        "write one queue file per thread, scheduled by config/publisher.toml. A folder means "
        "every digest (.txt, .toml) under it. Each file is all or nothing on its own: an invalid "
        "one is reported (FILE:LINE, exit 2) and the valid ones are queued all the same. Threads "
        "already queued or posted are skipped; files fully handled are listed in "
        "QUEUE/enqueued.txt (sha256sum format); a digest found in a folder and listed there "
        "with its current hash is not read again, so a queue file deleted by hand stays deleted. "
        "With [links] arxiv_lookup = true, entries without a link are looked up on arXiv first "
        "(a failure only warns).",
    )
    enqueue.add_argument("files", nargs="+", type=Path, metavar="DIGEST_OR_FOLDER")
    enqueue.add_argument("--summary", type=Path, help="append a Markdown summary to this file")
    _common(enqueue, now=True)
    parsers["enqueue"] = enqueue

    status = _Parser(
        prog="publisher status",
        description="Show the open queue (pending, posting, failed, held): id, platform, status, "
        "due time, posts made, with totals. --all adds the archive (threads posted in full).",
    )
    status.add_argument("--json", action="store_true", help="print machine-readable JSON")
    status.add_argument(
        "--all", action="store_true", help="include the archive (queue/archive/YYYY-MM/)"
    )
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

    schedule = _Parser(
        prog="publisher schedule",
        description="With --cron: print the cron lines publish.yml needs for the schedule in "
        "config/publisher.toml (runs just after each slot in UTC, plus catch-up runs), and "
        "what they cost in runs a day and billed minutes a month.",
    )
    schedule.add_argument(
        "--cron", action="store_true", required=True, help="print the workflow's cron lines"
    )
    _common(schedule, queue=False)
    parsers["schedule"] = schedule

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
    takes_value = {"--now", "--queue", "--config", "--platform", "--summary", "--out"}
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
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _ActionsSafe(out), _ActionsSafe(err)
    try:
        command, rest = _split_command(argv)
        args = build_parsers()[command].parse_args(rest)
        return _guarded(command, args)
    finally:
        sys.stdout, sys.stderr = out, err


def _say(text: object) -> None:
    """An error line on stderr: credentials scrubbed, on one line."""
    from publisher.scrub import scrub

    print(one_line(scrub(str(text))), file=sys.stderr)


def _scrubbed(text: str) -> str:
    from publisher.scrub import scrub

    return scrub(text)


def _guarded(command: str, args: argparse.Namespace) -> int:
    try:
        _check_summary(args)
        return _dispatch(command, args)
    except InputError as exc:
        for problem in exc.problems:
            _say(problem)
        _write_summary(args, "publisher: bad input", problems=exc.problems)
        return EXIT_USAGE
    except ConfigError as exc:
        _say(f"publisher: {exc}")
        _write_summary(args, "publisher: configuration error", message=str(exc))
        return EXIT_USAGE
    except QueueBusy as exc:
        _say(f"publisher: {exc}")
        return EXIT_FAILED
    except PublisherError as exc:
        _say(f"publisher: {exc}")
        return EXIT_FAILED
    except BrokenPipeError:  # e.g. `publisher --dry-run | head`
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        _say("publisher: interrupted")
        return 130
    except OSError as exc:  # the file system refused something no check foresaw: a run problem
        where = f": {exc.filename}" if exc.filename else ""
        _say(f"publisher: {exc.strerror or type(exc).__name__}{where}")
        return EXIT_FAILED
    except (OverflowError, RecursionError, MemoryError) as exc:
        _say(f"publisher: input out of range ({type(exc).__name__}: {exc})")
        return EXIT_USAGE


def _check_summary(args: argparse.Namespace) -> None:
    """``--summary`` must name a file in an existing folder, checked before anything runs."""
    target = getattr(args, "summary", None)
    if target is None:
        return
    odd = target.exists() and not target.is_file()  # a FIFO would block the run at its end
    if odd or not target.parent.is_dir():
        what = "is a folder" if target.is_dir() else "is not a regular file"
        what = what if odd else f"its folder {target.parent} does not exist"
        args.summary = None  # nothing can be written there, not even this error
        raise InputError.one("--summary", None, f"{str(target)!r}: {what}")


def _write_summary(
    args: argparse.Namespace, title: str, *, problems: Any = None, message: str = ""
) -> None:
    target = getattr(args, "summary", None)
    if target:
        from publisher.summary import error_summary

        _append(target, error_summary(title, problems, message))


def _append(path: Path, text: str) -> None:
    from publisher.scrub import scrub

    with path.open("a", encoding="utf-8") as handle:
        handle.write(scrub(text))


def _dispatch(command: str, args: argparse.Namespace) -> int:
    if command == "check":
        return _check(args)
    if command == "preview":
        return _preview(args)
    if command == "enqueue":
        return _enqueue(args)
    if command == "status":
        return _status(args)
    if command in ("hold", "release", "retry"):
        return _set_status(command, args)
    if command == "schedule":
        return _schedule(args)
    if command == "commit-back":
        return _commit_back(args)
    return _run(args)


def _settings(args: argparse.Namespace) -> Any:
    from publisher.config import load_env, load_settings

    load_env()
    settings = load_settings(args.config)
    for note in settings.deprecations:
        print(f"note: {note}", file=sys.stderr)
    return settings


def _now(args: argparse.Namespace, settings: Any) -> dt.datetime:
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


def _existing_queue(args: argparse.Namespace) -> Path:
    """The ``--queue`` folder, which must exist: only ``enqueue`` creates it."""
    root: Path = args.queue
    if not root.is_dir():
        what = "is not a folder" if root.exists() else "does not exist"
        raise InputError.one(
            root, None, f"the queue folder {what} (`publisher enqueue` creates it; check --queue)"
        )
    return root


def _times(settings: Any, now: dt.datetime) -> Any:
    from publisher.timefmt import LocalTimes

    return LocalTimes(settings.schedule.zone, now)


def _check(args: argparse.Namespace) -> int:
    """One line per file, good or bad, on stdout; then every problem, on stderr."""
    from publisher.digest import read_digest

    problems = []
    digests = []
    for path in args.files:
        try:
            digest = read_digest(path)
        except InputError as exc:
            problems.extend(exc.problems)
            count = len(exc.problems)
            print(one_line(f"{path}: invalid, {count} problem{'' if count == 1 else 's'}"))
        else:
            digests.append(digest)
            print(f"{digest.source}: {digest.date.isoformat()}, {len(digest.entries)} entries")
    if problems:
        sys.stdout.flush()  # the summary lines come before the problems on a terminal too
        raise InputError(problems)
    if args.lookup:
        settings = _settings(args)
        _resolve_links(digests, settings, lookup=True, network=True, out=sys.stdout)
    return EXIT_OK


def _resolve_links(digests: Any, settings: Any, *, lookup: bool, network: bool, out: TextIO) -> Any:
    """Links and cards of the digests' entries, with one line per look-up outcome or warning."""
    from publisher.links import resolve

    client = None
    if lookup:
        from publisher.arxiv import ArxivClient
        from publisher.config import arxiv_api_url

        client = ArxivClient(arxiv_api_url(), settings.links.timeout_seconds)
    links = resolve(digests, settings.links, lookup=lookup, network=network, client=client)
    for note in links.notes:
        text = f"warning: {note}" if note.warning else str(note)
        print(one_line(_scrubbed(text)), file=out)  # notes quote the arXiv server's answers
    return links


def _preview(args: argparse.Namespace) -> int:
    from publisher.filequeue import FileQueue, atomic_write
    from publisher.preview import Preview, from_digests, from_queue
    from publisher.preview_html import render_html, render_markdown

    settings = _settings(args)
    if args.platform:
        settings = settings.model_copy(update={"platforms": _platforms(args, settings)})
    rules = _rules(settings)
    queue = FileQueue(args.queue or Path("queue"))
    items, problems = queue.load() if queue.root.is_dir() else ([], [])
    parts: list[Preview] = []
    if args.files:
        queued = [li.item for li in items]
        parts.append(from_digests(args.files, settings, rules, queued, _now(args, settings)))
    if args.queue or not args.files:
        if not queue.root.is_dir():
            raise InputError.one(queue.root, None, "no such queue folder")
        shown = [li for li in items if li.item.platform in settings.platforms]
        parts.append(from_queue(queue.root, shown, problems, rules, settings))
    preview = parts[0]
    for part in parts[1:]:
        preview.title += " and " + part.title.removeprefix("Preview of ")
        preview.threads += part.threads
        preview.problems += part.problems
    try:
        atomic_write(args.out, render_html(preview))
    except OSError as exc:
        raise InputError.one(args.out, None, f"cannot write the preview: {exc.strerror}") from None
    if args.summary:
        _append(args.summary, render_markdown(preview))
    found = preview.all_problems()
    for problem in found:
        _say(problem)
    print(f"wrote {args.out}: {len(preview.threads)} threads, {len(found)} problems")
    if preview.input_problems:
        return EXIT_USAGE
    return EXIT_FAILED if found else EXIT_OK


# ---- the scheduled job and the dry runs -------------------------------------------------------


def _rules(settings: Any) -> Any:
    from publisher.platforms import rules_for

    return rules_for(settings)


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
    if args.lookup:
        raise InputError.one("--lookup", None, "only with --dry-run DIGEST (or check --lookup)")
    from publisher import runner
    from publisher.filequeue import FileQueue

    rules = _rules(settings)
    now = _now(args, settings)
    queue = FileQueue(_existing_queue(args))
    if args.dry_run:
        items, problems = queue.load()
        archived = runner.recent_archive(queue, now, settings)
        report = runner.RunReport(runner.make_plan(items, problems, settings, rules, now, archived))
        _print_plan(report, rules, now, args.json, _times(settings, now), settings)
    else:
        from publisher.config import check_credentials, credentials
        from publisher.platforms import connect

        check_credentials(list(settings.platforms))

        def adapter(name: str) -> Any:
            timeout = settings.retry.timeout_seconds
            return connect(name, credentials(name), settings.options(name), timeout)

        with queue.lock():
            report = runner.run(queue, settings, rules, adapter, now)
        _print_run(report, args.json, _times(settings, now))
    if args.summary:
        from publisher.summary import run_summary

        times = _times(settings, now)
        _append(args.summary, run_summary(report, rules, dry_run=args.dry_run, times=times))
    return report.exit_code


def _dry_run_digests(args: argparse.Namespace, settings: Any) -> int:
    from publisher import cost
    from publisher.digest import read_digests
    from publisher.formatter import threads_for

    rules = _rules(settings)
    digests = read_digests(args.digests)
    # No network unless asked: the README's first command must work offline.
    notes_to = sys.stderr if args.json else sys.stdout
    links = _resolve_links(digests, settings, lookup=args.lookup, network=args.lookup, out=notes_to)
    digests = links.digests
    threads = threads_for(digests, settings.format, rules, list(settings.platforms))
    if args.queue.is_dir():  # a paper the queue already has shows as the revisit it would be
        from publisher.enqueue import with_revisits
        from publisher.filequeue import FileQueue

        shown = with_revisits(FileQueue(args.queue), threads, settings, rules)
    else:
        shown = [(digest, n, thread, None) for digest, n, thread in threads]
    if args.json:
        out = [
            {
                "entry_id": thread.entry_id,
                "platform": thread.platform,
                "posts": [
                    {**rules[thread.platform].payload(text), **_price_fields(cls, settings)}
                    for text, cls in zip(thread.posts, _classes(thread), strict=True)
                ],
                **_link_fields(thread, links, settings),
            }
            for _, _, thread, _ in shown
        ]
        _print_json(out)
        return EXIT_OK
    if "x" in settings.platforms:
        print(f"x link policy: {_X_LINK[settings.options('x').link]}\n")
    current = None
    totals: dict[str, cost.Cost] = {}
    for digest, n, thread, earlier in shown:
        entry = digest.entries[n]
        if entry.id != current:
            current = entry.id
            print(f"━━ {entry.title}\n   id {entry.id}")
            card = links.cards.get(entry.id)
            if card is not None and "bluesky" in settings.platforms:
                _print_card(card.model_dump())
        if earlier is not None:
            print(f"   {thread.platform}: seen before, {earlier.describe()}: a revisit")
        _print_thread(
            thread.platform,
            [rules[thread.platform].payload(t)["text"] for t in thread.posts],
            [rules[thread.platform].length(t) for t in thread.posts],
            rules[thread.platform].limit,
            labels=[
                cost.post_label(thread.platform, t, settings.options("x")) for t in thread.posts
            ],
        )
        spent = cost.texts_cost(thread.platform, thread.posts, settings.options("x"))
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
    return {"price_class": cls, "price_usd": settings.options("x").price(cls == "url")}


_X_LINK = {
    "id": 'link = "id": the arXiv id as text (arXiv:ID), which X neither links nor bills as a URL',
    "url": 'link = "url": the link itself, so the first post is billed at X\'s URL price',
    "none": 'link = "none": no link on X',
}


def _link_fields(thread: Any, links: Any, settings: Any) -> dict[str, Any]:
    if thread.platform == "x":
        return {"link_policy": settings.options("x").link}
    card = links.cards.get(thread.entry_id)
    return {"card": card.model_dump() if card is not None else None}


def _print_card(card: dict[str, Any], out: TextIO | None = None) -> None:
    thumb = card.get("thumb") or "none"
    # A card's fields come from a web page: one line each, scrubbed like any server answer.
    for label, value in (
        ("   bluesky link card", card["uri"]),
        ("     title", card["title"]),
        ("     description", card.get("description") or "(none)"),
        ("     thumb", thumb),
    ):
        print(one_line(_scrubbed(f"{label}: {value}")), file=out)


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


def _print_plan(
    report: Any, rules: Any, now: dt.datetime, as_json: bool, times: Any, settings: Any
) -> None:
    from publisher import cost

    plan = report.plan
    if as_json:
        _print_json(
            {
                "now": times.iso(now),
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
                        "when": times.iso(w.when),
                        "why": w.why,
                    }
                    for w in plan.waiting
                ],
                "held_or_failed": [vars(s) for s in plan.stuck],
                "problems": [str(p) for p in plan.problems],
                "spend": plan.spend,
            }
        )
    else:
        print(f"Dry run at {times(now)} ({times.header()}): nothing is sent, nothing is written.")
        if plan.spend:
            print(plan.spend)
        if not plan.due:
            print("Nothing is due now.")
        for planned in plan.due:
            item = planned.loaded.item
            due = times(item.not_before)
            print(f"\n━━ due {due}  {item.key}  ({planned.loaded.path})\n   {item.title}")
            if planned.payloads and "card" in planned.payloads[0]:
                _print_card(planned.payloads[0]["card"])
            _print_thread(
                item.platform,
                [p["text"] for p in planned.payloads],
                planned.counts,
                rules[item.platform].limit,
                first=item.next_index + 1,
                total=len(item.posts),
                labels=[
                    cost.post_label(item.platform, p["text"], settings.options("x"))
                    for p in planned.payloads
                ],
            )
        if plan.waiting:
            print("Next:")
            for waiting in plan.waiting[:20]:
                print(f"  {times(waiting.when)}  {waiting.item.key}  ({waiting.why})")
            if len(plan.waiting) > 20:
                print(f"  … and {len(plan.waiting) - 20} more")
        _print_stuck(plan.stuck)
    for problem in plan.problems:
        _say(problem)


def _print_stuck(stuck: Any) -> None:
    """The held and failed threads, last, so that none waits unseen."""
    if stuck:
        print(f"Held or failed ({len(stuck)}), not posted until someone acts:")
        for thread in stuck:
            print(one_line(f"  {thread}"))


def _print_run(report: Any, as_json: bool, times: Any) -> None:
    if as_json:
        _print_json(
            {
                "posted": [vars(s) for s in report.sent],
                "failed": [{"id": k, "reason": r} for k, r in report.failed],
                "deferred": [
                    {"id": k, "until": times.iso(w), "reason": r} for k, w, r in report.deferred
                ],
                "held_or_failed": [vars(s) for s in report.plan.stuck],
                "problems": [str(p) for p in report.plan.problems],
                "stopped": [{"platform": p, "reason": r} for p, r in report.halted],
                "out_of_credit": report.out_of_credit,
            }
        )
    else:
        for sent in report.sent:
            print(f"posted {sent.key} {sent.number}/{sent.total}  {sent.url}")
        if report.deferred:
            print(times.header())
        for key, until, why in report.deferred:
            print(one_line(f"deferred {key} until {times(until)}: {why}"))
        if not report.sent and not report.failed and not report.deferred:
            print("nothing was due")
        _print_stuck(report.plan.stuck)
    for key, why in report.failed:
        _say(f"failed {key}: {why}")
    for platform, why in report.halted:
        _say(f"stopped {platform}: {why}; its threads stay pending")
    for platform, why in report.out_of_credit.items():
        _say(f"stopped {platform}, nothing failed: {why}")
    for problem in report.plan.problems:
        _say(problem)


# ---- the queue commands -------------------------------------------------------------------


def _enqueue(args: argparse.Namespace) -> int:
    from publisher.enqueue import EnqueueReport
    from publisher.filequeue import FileQueue
    from publisher.summary import enqueue_summary, links_summary, problems_section
    from publisher.sweep import ENQUEUED_NAME, sweep

    settings = _settings(args)
    queue = FileQueue(args.queue)
    now = _now(args, settings)
    missing = [p for p in args.files if not p.exists()]
    if missing:
        raise InputError.one(missing[0], None, "no such file or folder")
    lookup = settings.links.arxiv_lookup
    notes: list[Any] = []

    def prepare(digests: Any) -> Any:  # the arXiv look-up, for each file that is read
        links = _resolve_links(digests, settings, lookup=lookup, network=True, out=sys.stdout)
        notes.extend(links.notes)
        return links.digests, links.cards

    with queue.lock():
        swept = sweep(queue, args.files, settings, _rules(settings), now, prepare)
    report = EnqueueReport()
    for one in swept.reports:
        report.added.extend(one.added)
        report.skipped.extend(one.skipped)
        report.notes.extend(one.notes)
    times = _times(settings, now)
    if report.added:
        print(times.header())
    for item in report.added:
        due = times(item.not_before)
        print(f"queued {queue.path_of(item)}  {len(item.posts)} posts  not before {due}")
    for key, why in report.skipped:
        print(one_line(f"skipped {key}: {why}"))
    for note in report.notes:
        print(one_line(f"note: {note}"))
    print(
        f"{len(report.added)} added, {len(report.skipped)} already queued; "
        f"{len(swept.handled)} digest file(s) recorded in {queue.root / ENQUEUED_NAME}"
        + (f" ({len(swept.unchanged)} unchanged, not read again)" if swept.unchanged else "")
        + (f", {len({p.path for p in swept.problems})} invalid" if swept.problems else "")
    )
    for problem in swept.problems:
        _say(problem)
    if args.summary:
        text = enqueue_summary(report, times) + links_summary(notes)
        if swept.problems:
            text += "\n".join(problems_section(swept.problems)) + "\n"
        _append(args.summary, text)
    return EXIT_USAGE if swept.problems else EXIT_OK


def _status(args: argparse.Namespace) -> int:
    from collections import Counter

    from publisher import cost, runner
    from publisher.attention import stuck_threads
    from publisher.filequeue import FileQueue

    settings = _settings(args)
    now = _now(args, settings)
    times = _times(settings, now)
    queue = FileQueue(_existing_queue(args))
    items, problems = queue.load()
    spend = ""
    if cost.PRICED in settings.platforms:  # this month's posts: the open queue + its archive
        month = [li.item for li in items] + runner.recent_archive(queue, now, settings)
        spend = cost.spend_line(month, now, settings.schedule, settings.options("x"))
    if args.all:
        archived, archive_problems = queue.load_archive()
        items, problems = items + archived, problems + archive_problems
    rows = sorted(
        (li.item for li in items), key=lambda i: (i.not_before.timestamp(), i.id, i.platform)
    )
    stuck = stuck_threads(rows)
    if args.json:
        _print_json(
            {
                "items": [
                    {
                        "id": i.id,
                        "platform": i.platform,
                        "status": i.status,
                        "due": times.iso(i.not_before),
                        "posts": len(i.posts),
                        "posted": len(i.posted),
                        "reason": i.reason,
                    }
                    for i in rows
                ],
                "held_or_failed": [vars(s) for s in stuck],
                "problems": [str(p) for p in problems],
                "spend": spend,
            }
        )
    else:
        width = max([len(i.id) for i in rows] + [2])
        dues = [times(i.not_before) for i in rows]
        due_width = max([len(d) for d in dues] + [16])
        print(times.header())
        print(f"{'ID':<{width}}  {'PLATFORM':<8}  {'STATUS':<8}  {'DUE':<{due_width}}  POSTS")
        for i, due in zip(rows, dues, strict=True):
            print(
                f"{i.id:<{width}}  {i.platform:<8}  {i.status:<8}  {due:<{due_width}}  "
                f"{len(i.posted)}/{len(i.posts)}" + (f"  {one_line(i.reason)}" if i.reason else "")
            )
        counts = Counter(i.status for i in rows)
        if spend:
            print(spend)
        print(
            f"{len(rows)} threads"
            + "".join(f", {n} {s}" for s, n in sorted(counts.items()))
            + (f"; {len(problems)} unreadable" if problems else "")
        )
        _print_stuck(stuck)
    for problem in problems:
        _say(problem)
    return EXIT_FAILED if problems else EXIT_OK


def _set_status(command: str, args: argparse.Namespace) -> int:
    from publisher.filequeue import FileQueue, change_status, read_item

    settings = _settings(args)
    now = _now(args, settings)
    queue = FileQueue(_existing_queue(args))
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
                archived = queue.find_archived(wanted)
                if archived is not None:
                    why = f"{wanted} was posted in full and archived: nothing to {command}"
                    raise InputError.one(archived, None, why)
                raise InputError.one(args.queue, None, f"no queue item {wanted!r}")
            for path in matches:
                item = read_item(path).item
                before = item.status
                try:
                    note = change_status(item, command, now)
                except ValueError as exc:
                    lines = path.read_text(encoding="utf-8").splitlines()
                    line = next(
                        (n for n, t in enumerate(lines, 1) if t.startswith("status:")), None
                    )
                    raise InputError.one(path, line, str(exc)) from None
                if note:
                    print(f"{path}: {before}, unchanged: {note}")
                    continue
                queue.save(item)
                print(f"{path}: {before} -> {item.status}")
    return EXIT_OK


def _schedule(args: argparse.Namespace) -> int:
    from publisher.cron import cron_plan

    plan = cron_plan(_settings(args).schedule)
    print(f"# {plan.runs_per_day} runs a day: {plan.why}")
    print(f"# at most {plan.billed_minutes_per_month} billed minutes a month (1 per run)")
    for line in plan.lines:
        print(line)
    return EXIT_OK


def _commit_back(args: argparse.Namespace) -> int:
    from publisher.gitsync import commit_back

    _existing_queue(args)
    result = commit_back(Path.cwd(), args.paths or [str(args.queue)], args.message)
    print(f"commit-back: {result.message}")
    return EXIT_OK
