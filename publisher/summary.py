"""Markdown summaries of a run, for ``$GITHUB_STEP_SUMMARY``. Pure string building."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from publisher.enqueue import EnqueueReport
from publisher.errors import Problem
from publisher.platforms.base import Rules
from publisher.runner import RunReport
from publisher.timefmt import LocalTimes


def _cell(text: str, width: int = 80) -> str:
    flat = " ".join(text.split()).replace("|", "\\|")
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _when(times: LocalTimes | None, moment: dt.datetime) -> str:
    return times(moment) if times is not None else moment.isoformat()


def _times_line(times: LocalTimes | None) -> list[str]:
    return [f"All {times.header()}.", ""] if times is not None else []


def run_summary(
    report: RunReport,
    rules: Mapping[str, Rules],
    dry_run: bool,
    times: LocalTimes | None = None,
) -> str:
    """The run's summary; with ``times``, every time in the configured zone under one header."""
    plan = report.plan
    lines = ["## publisher: " + ("dry run" if dry_run else "run"), "", *_times_line(times)]
    if dry_run:
        if plan.due:
            lines += [
                "### Would post now",
                "",
                "| thread | post | count | text |",
                "|---|---|---|---|",
            ]
            for planned in plan.due:
                item = planned.loaded.item
                first = item.next_index
                limit = rules[item.platform].limit
                for k, (payload, count) in enumerate(
                    zip(planned.payloads, planned.counts, strict=True)
                ):
                    number = f"{first + k + 1}/{len(item.posts)}"
                    text = _cell(payload["text"])
                    lines.append(f"| `{item.key}` | {number} | {count}/{limit} | {text} |")
        else:
            lines.append("Nothing is due now.")
    else:
        if report.sent:
            lines += ["### Posted", "", "| thread | post | link |", "|---|---|---|"]
            for sent in report.sent:
                lines.append(
                    f"| `{sent.key}` | {sent.number}/{sent.total} | [{sent.url}]({sent.url}) |"
                )
        else:
            lines.append("Nothing was posted.")
        if report.spent.posts:
            lines += ["", f"This run's spend: {report.spent.line('x')}"]
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
            f"- `{key}` until {_when(times, when)}: {_cell(why, 200)}"
            for key, when, why in report.deferred
        ]
    lines += problems_section(plan.problems)
    if plan.spend:
        lines += ["", plan.spend]
    if plan.waiting:
        lines += ["", "### Next", "", "| when | thread | why |", "|---|---|---|"]
        for waiting in plan.waiting[:20]:
            when = _when(times, waiting.when)
            lines.append(f"| {when} | `{waiting.item.key}` | {waiting.why} |")
    if plan.stuck:
        lines += ["", "### Held or failed", "", "| thread | status | reason | to let it go |"]
        lines.append("|---|---|---|---|")
        for stuck in plan.stuck:
            reason = _cell(stuck.reason, 200) or "no reason recorded"
            lines.append(f"| `{stuck.key}` | {stuck.status} | {reason} | `{stuck.action}` |")
    return "\n".join(lines) + "\n"


def problems_section(problems: list[Problem]) -> list[str]:
    if not problems:
        return []
    return ["", "### Problems", "", "```"] + [str(p) for p in problems] + ["```"]


def enqueue_summary(report: EnqueueReport, times: LocalTimes | None = None) -> str:
    lines = ["## publisher enqueue", ""]
    if report.added:
        lines += _times_line(times)
        lines += ["| thread | posts | not before |", "|---|---|---|"]
        lines += [
            f"| `{i.key}` | {len(i.posts)} | {_when(times, i.not_before)} |" for i in report.added
        ]
    else:
        lines.append("Nothing new to queue.")
    if report.notes:
        lines += ["", "### Seen before", ""] + [f"- {_cell(note, 300)}" for note in report.notes]
    if report.skipped:
        lines += [
            "",
            f"Skipped {len(report.skipped)} already queued: "
            + ", ".join(f"`{k}`" for k, _ in report.skipped),
        ]
    return "\n".join(lines) + "\n"


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
