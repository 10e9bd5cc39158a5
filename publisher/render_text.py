"""The text renderer: a report as the lines a person reads on a terminal. Pure; ``cli`` prints.

``lines(report)`` is what goes to stdout, ``problems(report)`` what goes to stderr (failures,
unreadable files), whatever the output format: ``--json`` replaces the first, never the second.
Text that came from outside (a web page's card, a server's answer) is scrubbed and kept on one
line here, so that no renderer caller can forget it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from functools import singledispatch
from typing import TYPE_CHECKING, Any

from publisher import cost
from publisher.hygiene import one_line
from publisher.reports import (
    CheckReport,
    CommitReport,
    DigestDryRun,
    DoctorReport,
    EnqueueOutcome,
    Exit,
    Forecast,
    InitReport,
    PreviewWritten,
    RunOutcome,
    ScheduleReport,
    ShownPost,
    StatusChanges,
    StatusReport,
)
from publisher.scrub import scrub

if TYPE_CHECKING:
    from publisher.attention import Stuck
    from publisher.runner import Plan

__all__ = ["card_lines", "held_line", "lines", "note_lines", "problems", "thread_lines"]

CAPS = {
    "run": "schedule.max_threads_per_run",
    "day": "daily_posts",
    "month": "the monthly budget",
    "never": "the monthly budget (dearer than all of it)",
    "quota": "a rolling quota",
}


def held_line(plan: Plan) -> str:
    """One line for the threads that are due but held by a cap, by platform and cap, e.g.
    ``3 due threads held: PLATFORM: 2 by the monthly budget, 1 by daily_posts``; "" when none is."""
    held = [w for w in plan.waiting if w.held_by]
    if not held:
        return ""
    parts = []
    for platform in sorted({w.item.platform for w in held}):
        counts: dict[str, int] = {}
        for w in held:
            if w.item.platform == platform:
                counts[w.held_by] = counts.get(w.held_by, 0) + 1
        parts.append(
            f"{platform}: " + ", ".join(f"{n} by {CAPS[cap]}" for cap, n in sorted(counts.items()))
        )
    return f"{len(held)} due thread(s) held by a cap: " + "; ".join(parts)


@singledispatch
def lines(report: Any) -> list[str]:
    """The report for stdout, one ``print`` per item (an item may hold line breaks)."""
    raise TypeError(f"no text renderer for {type(report).__name__}")


@singledispatch
def problems(report: Any) -> list[str]:
    """What went wrong, for stderr (the caller scrubs and flattens each)."""
    return []


def note_lines(notes: Sequence[Any]) -> list[str]:
    """The link look-up's notes (they quote the arXiv server's answers: scrubbed)."""
    return [one_line(scrub(f"warning: {n}" if n.warning else str(n))) for n in notes]


def card_lines(platform: str, card: Any) -> list[str]:
    thumb = card.get("thumb") or "none"
    # A card's fields come from a web page: one line each, scrubbed like any server answer.
    return [
        one_line(scrub(f"{label}: {value}"))
        for label, value in (
            (f"   {platform} link card", card["uri"]),
            ("     title", card["title"]),
            ("     description", card.get("description") or "(none)"),
            ("     thumb", thumb),
        )
    ]


def thread_lines(
    platform: str, posts: Sequence[ShownPost], first: int = 1, total: int | None = None
) -> list[str]:
    """``── PLATFORM 1/3  212/280  LABEL`` and the post's text, for each post."""
    total = total or len(posts)
    out = []
    for k, post in enumerate(posts):
        label = f"  {post.label}" if post.label else ""
        out += [f"\n── {platform} {first + k}/{total}  {post.count}/{post.limit}{label}", post.text]
    return [*out, ""]


def until(times: Any, when: Any, now: Any) -> str:
    """``until 12:00``, or ``to the next run`` for a thread left due now (a time already past
    would read as a deadline missed)."""
    return f"until {times(when)}" if when > now else "to the next run"


def stuck_lines(stuck: Sequence[Stuck]) -> list[str]:
    """The held and failed threads, last, so that none waits unseen."""
    if not stuck:
        return []
    head = f"Held or failed ({len(stuck)}), not posted until someone acts:"
    return [head] + [one_line(f"  {thread}") for thread in stuck]


@lines.register
def _check(report: CheckReport) -> list[str]:
    out = []
    for checked in report.files:
        if checked.date is None:
            s = "" if checked.problems == 1 else "s"
            out.append(one_line(f"{checked.path}: invalid, {checked.problems} problem{s}"))
        else:
            out.append(f"{checked.path}: {checked.date.isoformat()}, {checked.entries} entries")
    return out + note_lines(report.notes)


@lines.register
def _digests(report: DigestDryRun) -> list[str]:
    out = note_lines(report.notes)
    if report.policies:
        out += [*report.policies[:-1], report.policies[-1] + "\n"]
    for entry in report.entries:
        out.append(f"━━ {entry.title}\n   id {entry.id}")
        if entry.card is not None:
            out += card_lines(entry.card_on, entry.card)
        for thread in entry.threads:
            if thread.revisit:
                out.append(f"   {thread.platform}: {thread.revisit}")
            if thread.left_out:
                out.append(one_line(f"   {thread.platform}: {thread.left_out}"))
            out += thread_lines(thread.platform, thread.posts)
    return out + report.totals


@lines.register
def _run(report: RunOutcome) -> list[str]:
    shown = _plan_lines(report) if report.dry_run else _sent_lines(report)
    return shown + [one_line(f"note: {note}") for note in report.run.plan.notes]


def _plan_lines(report: RunOutcome) -> list[str]:
    plan, times = report.run.plan, report.times
    out = [
        f"Dry run at {times(report.now)} ({times.header()}): nothing is sent, nothing is written."
    ]
    if plan.spend:
        out.append(plan.spend)
    out += plan.behind
    out += plan.quota
    if not plan.due:
        out.append("Nothing is due now.")
    if held_line(plan):
        out.append(held_line(plan))
    for planned, posts in zip(plan.due, report.due_posts, strict=True):
        item = planned.loaded.item
        out.append(
            f"\n━━ due {times(item.not_before)}  {item.key}  ({planned.loaded.path})\n"
            f"   {item.title}"
        )
        if planned.payloads and "card" in planned.payloads[0]:
            out += card_lines(item.platform, planned.payloads[0]["card"])
        out += thread_lines(item.platform, posts, item.next_index + 1, len(item.posts))
    if plan.waiting:
        out.append("Next:")
        out += [f"  {times(w.when)}  {w.item.key}  ({w.why})" for w in plan.waiting[:20]]
        if len(plan.waiting) > 20:
            out.append(f"  … and {len(plan.waiting) - 20} more")
    return out + stuck_lines(plan.stuck)


def _sent_lines(report: RunOutcome) -> list[str]:
    run, times = report.run, report.times
    out = [f"posted {s.key} {s.number}/{s.total}  {s.url}" for s in run.sent]
    if run.deferred:
        out.append(times.header())
    out += [
        one_line(f"deferred {key} {until(times, w, report.now)}: {why}")
        for key, w, why in run.deferred
    ]
    waits = [w for w in run.plan.waiting if w.said]
    out += [one_line(f"waiting {w.item.key}: {w.why}") for w in waits]
    if waits:
        out += run.plan.quota
    held = held_line(run.plan)
    if held:
        out.append(held)
    elif not run.sent and not run.failed and not run.deferred and not waits:
        first = run.plan.waiting[0] if run.plan.waiting else None
        then = f"; next: {first.item.key} at {times(first.when)} ({first.why})" if first else ""
        out.append(one_line("nothing was due" + then))
    return out + run.plan.behind + stuck_lines(run.plan.stuck)


@problems.register
def _run_problems(report: RunOutcome) -> list[str]:
    run = report.run
    return [
        *(f"failed {key}: {why}" for key, why in run.failed),
        *(
            f"stopped {p}: {why.removeprefix(f'{p}: ')}; its threads stay pending"
            for p, why in run.halted
        ),
        *(f"stopped {p}, nothing failed: {why}" for p, why in run.out_of_credit.items()),
        *(str(p) for p in run.plan.problems),
    ]


@lines.register
def _enqueue(report: EnqueueOutcome) -> list[str]:
    out = note_lines(report.link_notes)
    if report.added:
        out.append(report.times.header())
    out += [
        f"queued {t.file}  {t.posts} posts  not before {report.times(t.not_before)}"
        for t in report.added
    ]
    out += [
        f"updated {t.file} from the edited digest  {t.posts} posts  not before "
        f"{report.times(t.not_before)} (kept)"
        for t in report.updated
    ]
    out += [one_line(f"skipped {key}: {why}") for key, why in report.skipped]
    out += [one_line(f"note: {note}") for note in [*report.notes, *report.ignored]]
    out.append(
        f"{len(report.added)} added, "
        + (f"{len(report.updated)} updated, " if report.updated else "")
        + f"{len(report.skipped)} already queued; "
        f"{report.handled} digest file(s) recorded in {report.ledger}"
        + (f" ({report.unchanged} unchanged, not read again)" if report.unchanged else "")
        + (f", {report.invalid} invalid" if report.invalid else "")
    )
    return out + report.behind


@problems.register
def _enqueue_problems(report: EnqueueOutcome) -> list[str]:
    return [str(p) for p in report.problems]


@lines.register
def _status(report: StatusReport) -> list[str]:
    times, rows = report.times, report.rows
    width = max([len(r.id) for r in rows] + [2])
    dues = [times(r.due) for r in rows]
    due_width = max([len(d) for d in dues] + [16])
    out = [
        times.header(),
        f"{'ID':<{width}}  {'PLATFORM':<8}  {'STATUS':<8}  {'DUE':<{due_width}}  POSTS",
    ]
    for r, due in zip(rows, dues, strict=True):
        out.append(
            f"{r.id:<{width}}  {r.platform:<8}  {r.status:<8}  {due:<{due_width}}  "
            f"{r.posted}/{r.posts}" + (f"  {one_line(r.reason)}" if r.reason else "")
        )
    if report.spend:
        out.append(report.spend)
    out += report.behind
    out += report.quota
    counts = Counter(r.status for r in rows)
    out.append(
        f"{len(rows)} threads"
        + "".join(f", {n} {s}" for s, n in sorted(counts.items()))
        + (f"; {len(report.problems)} unreadable" if report.problems else "")
    )
    out += [one_line(f"note: {note}") for note in report.notes]
    return out + stuck_lines(report.stuck)


@problems.register
def _status_problems(report: StatusReport) -> list[str]:
    return [str(p) for p in report.problems]


@lines.register
def _changes(report: StatusChanges) -> list[str]:
    return [
        f"{c.file}: {c.before}, unchanged: {c.note}"
        if c.note
        else f"{c.file}: {c.before} -> {c.after}"
        for c in report.changes
    ]


@lines.register
def _preview(report: PreviewWritten) -> list[str]:
    return [f"wrote {report.file}: {report.threads} threads, {len(report.problems)} problems"]


@problems.register
def _preview_problems(report: PreviewWritten) -> list[str]:
    return [str(p) for p in report.problems]


@lines.register
def _schedule(report: ScheduleReport) -> list[str]:
    plan = report.plan
    return [
        f"# {plan.runs_per_day} runs a day: {plan.why}",
        f"# at most {plan.billed_minutes_per_month} billed minutes a month (1 per run)",
        *plan.lines,
    ]


@lines.register
def _commit(report: CommitReport) -> list[str]:
    return [f"commit-back: {report.message}"]


@lines.register
def _init(report: InitReport) -> list[str]:
    out = [f"init: wrote {len(report.written)} files in {report.folder}:"]
    out += [f"  {path}" for path in report.written]
    out += ["", "next steps:"]
    out += [f"  {number}. {step}" for number, step in enumerate(report.steps, 1)]
    return out


_MARKS = {"ok": "ok     ", "note": "note   ", "missing": "MISSING", "refused": "REFUSED"}
_VERDICTS = {
    Exit.READY: "ready: every check passed",
    Exit.REFUSED: "not ready: a platform refused the credentials or could not be reached",
    Exit.MISSING: "not ready: settings missing or invalid",
}


@lines.register
def _doctor(report: DoctorReport) -> list[str]:
    out = [
        f"{_MARKS.get(f.status, 'BAD    ')} {f.topic}: {one_line(scrub(f.message))}"
        for f in report.findings
    ]
    if report.forecasts:
        first = report.forecasts[0]
        out += ["", f"forecast for a digest like {first.digest}, one a day:"]
        out += [line for each in report.forecasts for line in _forecast(each)]
    return [*out, "", _VERDICTS[report.exit_code]]


def _forecast(each: Forecast) -> list[str]:
    posts = f"  {each.platform}: {each.threads} threads, {each.posts} posts a digest"
    if each.daily_cost is None:
        lines = [f"{posts} (free)"]
    else:
        month = cost.Cost(
            each.daily_cost.posts * 30, each.daily_cost.with_url * 30, each.daily_cost.usd * 30
        )
        lines = [
            f"{posts}, {cost.usd(each.daily_cost.usd)} a digest "
            f"({each.daily_cost.with_url} posts with a URL): about {cost.usd(month.usd)} a month"
        ]
    pace = (
        f"    pace: {each.threads_per_day} threads and {each.posts_per_day} posts a day by the "
        f"schedule: a digest takes {each.days_per_digest} day"
        + ("s" if each.days_per_digest > 1 else "")
    )
    if each.days_per_digest > 1:
        pace += "; a digest a day would fall behind (more slots, threads_per_slot or daily_posts)"
    return [*lines, pace]
