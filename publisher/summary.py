"""The Markdown renderer: reports as summaries for ``$GITHUB_STEP_SUMMARY``. Pure string building.

``markdown(report)`` reads the same report objects as the text and JSON renderers
(``publisher.reports``).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import singledispatch
from typing import Any

from publisher.errors import Problem
from publisher.render_text import held_line, until
from publisher.reports import EnqueueOutcome, RunOutcome
from publisher.timefmt import LocalTimes

__all__ = ["error_summary", "links_summary", "markdown", "problems_section"]


def _cell(text: str, width: int = 80) -> str:
    flat = " ".join(text.split()).replace("|", "\\|")
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _times_line(times: LocalTimes) -> list[str]:
    return [f"All {times.header()}.", ""]


@singledispatch
def markdown(report: Any) -> str:
    """The report as Markdown for the job summary."""
    raise TypeError(f"no Markdown renderer for {type(report).__name__}")


@markdown.register
def _run(outcome: RunOutcome) -> str:
    """The run's summary; every time in the configured zone under one header."""
    plan = outcome.run.plan
    lines = [
        "## publisher: " + ("dry run" if outcome.dry_run else "run"),
        "",
        *_times_line(outcome.times),
    ]
    lines += _would_post(outcome) if outcome.dry_run else _posted(outcome)
    lines += _trouble(outcome)
    lines += problems_section(plan.problems)
    if plan.notes:
        lines += ["", "### Notes", ""] + [f"- {_cell(note, 300)}" for note in plan.notes]
    if plan.spend:
        lines += ["", plan.spend]
    if plan.behind:
        lines += ["", "### Behind", ""] + [f"- {line}" for line in plan.behind]
    if plan.quota:
        lines += ["", *plan.quota]
    lines += _next(outcome)
    return "\n".join(lines) + "\n"


def _would_post(outcome: RunOutcome) -> list[str]:
    """A dry run's section: each post that would go out now, and the held line."""
    plan = outcome.run.plan
    if not plan.due:
        lines = ["Nothing is due now."]
    else:
        lines = ["### Would post now", "", "| thread | post | count | text |", "|---|---|---|---|"]
        for planned, posts in zip(plan.due, outcome.due_posts, strict=True):
            item = planned.loaded.item
            for k, post in enumerate(posts, item.next_index + 1):
                count = f"{post.count}/{post.limit}"
                lines.append(
                    f"| `{item.key}` | {k}/{len(item.posts)} | {count} | {_cell(post.text)} |"
                )
    return lines + (["", held_line(plan)] if held_line(plan) else [])


def _posted(outcome: RunOutcome) -> list[str]:
    """A run's section: each post made, the held line, this run's spend."""
    report = outcome.run
    if not report.sent:
        lines = ["Nothing was posted."]
    else:
        lines = ["### Posted", "", "| thread | post | link |", "|---|---|---|"]
        for sent in report.sent:
            lines.append(
                f"| `{sent.key}` | {sent.number}/{sent.total} | [{sent.url}]({sent.url}) |"
            )
    if held_line(report.plan):
        lines += ["", held_line(report.plan)]
    for platform, spent in report.spent.items():
        lines += ["", f"This run's spend: {spent.line(platform)}"]
    return lines


def _trouble(outcome: RunOutcome) -> list[str]:
    """Out of credit, failed, stopped and deferred threads, a section each."""
    report, times = outcome.run, outcome.times
    lines: list[str] = []
    if report.out_of_credit:
        lines += ["", "### Out of credit", ""] + [
            f"- {platform}: {_cell(why, 300)}" for platform, why in report.out_of_credit.items()
        ]
    if report.failed:
        lines += ["", "### Failed", ""] + [
            f"- `{key}`: {_cell(why, 300)}" for key, why in report.failed
        ]
    if report.halted:
        lines += ["", "### Stopped (threads stay pending)", ""] + [
            f"- {platform}: {_cell(why, 300)}" for platform, why in report.halted
        ]
    if report.deferred:
        lines += ["", "### Deferred", ""] + [
            f"- `{key}` {until(times, when, outcome.now)}: {_cell(why, 200)}"
            for key, when, why in report.deferred
        ]
    return lines


def _next(outcome: RunOutcome) -> list[str]:
    """What waits (the first 20), and the threads that need their owner."""
    plan, times = outcome.run.plan, outcome.times
    lines: list[str] = []
    if plan.waiting:
        lines += ["", "### Next", "", "| when | thread | why |", "|---|---|---|"]
        for waiting in plan.waiting[:20]:
            lines.append(f"| {times(waiting.when)} | `{waiting.item.key}` | {waiting.why} |")
    if plan.stuck:
        lines += ["", "### Held or failed", "", "| thread | status | reason | to let it go |"]
        lines.append("|---|---|---|---|")
        for stuck in plan.stuck:
            reason = _cell(stuck.reason, 200) or "no reason recorded"
            lines.append(f"| `{stuck.key}` | {stuck.status} | {reason} | `{stuck.action}` |")
    return lines


def problems_section(problems: list[Problem]) -> list[str]:
    if not problems:
        return []
    return ["", "### Problems", "", "```"] + [str(p) for p in problems] + ["```"]


@markdown.register
def _enqueue(outcome: EnqueueOutcome) -> str:
    """What was queued, the link look-up's notes, then the problems."""
    times = outcome.times
    lines = ["## publisher enqueue", ""]
    if outcome.added:
        lines += _times_line(times)
        lines += ["| thread | posts | not before |", "|---|---|---|"]
        lines += [f"| `{t.key}` | {t.posts} | {times(t.not_before)} |" for t in outcome.added]
    else:
        lines.append("Nothing new to queue.")
    if outcome.updated:
        lines += ["", "### Updated from the edited digest (id and time kept)", ""]
        lines += [f"- `{t.key}` ({t.posts} posts)" for t in outcome.updated]
    if outcome.ignored:
        lines += ["", "### Not read", ""] + [f"- {_cell(note, 300)}" for note in outcome.ignored]
    if outcome.notes:
        lines += ["", "### Seen before", ""] + [f"- {_cell(note, 300)}" for note in outcome.notes]
    if outcome.skipped:
        lines += [
            "",
            f"Skipped {len(outcome.skipped)} already queued: "
            + ", ".join(f"`{k}`" for k, _ in outcome.skipped),
        ]
    if outcome.behind:
        lines += ["", "### Behind", ""] + [f"- {line}" for line in outcome.behind]
    text = "\n".join(lines) + "\n" + links_summary(outcome.link_notes)
    if outcome.problems:
        text += "\n".join(problems_section(outcome.problems)) + "\n"
    return text


def links_summary(notes: Sequence[Any]) -> str:
    """The arXiv look-up's outcome per entry, and link warnings, as a Markdown list."""
    if not notes:
        return ""
    lines = ["### Links", ""]
    lines += [f"- {'⚠️ ' if note.warning else ''}{note}" for note in notes]
    return "\n".join(lines) + "\n"


def error_summary(title: str, problems: list[Problem] | None = None, message: str = "") -> str:
    lines = [f"## {title}", ""]
    if message:
        lines.append(message)
    lines += problems_section(problems or [])
    return "\n".join(lines) + "\n"
