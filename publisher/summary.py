"""Markdown summaries of a run, for ``$GITHUB_STEP_SUMMARY``. Pure string building."""

from __future__ import annotations

from collections.abc import Mapping

from publisher.enqueue import EnqueueReport
from publisher.errors import Problem
from publisher.platforms.base import Rules
from publisher.runner import RunReport


def _cell(text: str, width: int = 80) -> str:
    flat = " ".join(text.split()).replace("|", "\\|")
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def run_summary(report: RunReport, rules: Mapping[str, Rules], dry_run: bool) -> str:
    plan = report.plan
    lines = ["## publisher: " + ("dry run" if dry_run else "run"), ""]
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
    if report.deferred:
        lines += ["", "### Deferred", ""] + [
            f"- `{key}` until {when.isoformat()}: {_cell(why, 200)}"
            for key, when, why in report.deferred
        ]
    lines += problems_section(plan.problems)
    if plan.spend:
        lines += ["", plan.spend]
    if plan.waiting:
        lines += ["", "### Next", "", "| when | thread | why |", "|---|---|---|"]
        for waiting in plan.waiting[:20]:
            lines.append(f"| {waiting.when.isoformat()} | `{waiting.item.key}` | {waiting.why} |")
    return "\n".join(lines) + "\n"


def problems_section(problems: list[Problem]) -> list[str]:
    if not problems:
        return []
    return ["", "### Problems", "", "```"] + [str(p) for p in problems] + ["```"]


def enqueue_summary(report: EnqueueReport) -> str:
    lines = ["## publisher enqueue", ""]
    if report.added:
        lines += ["| thread | posts | not before |", "|---|---|---|"]
        lines += [
            f"| `{i.key}` | {len(i.posts)} | {i.not_before.isoformat()} |" for i in report.added
        ]
    else:
        lines.append("Nothing new to queue.")
    if report.skipped:
        lines += [
            "",
            f"Skipped {len(report.skipped)} already queued: "
            + ", ".join(f"`{k}`" for k, _ in report.skipped),
        ]
    return "\n".join(lines) + "\n"


def error_summary(title: str, problems: list[Problem] | None = None, message: str = "") -> str:
    lines = [f"## {title}", ""]
    if message:
        lines.append(message)
    lines += problems_section(problems or [])
    return "\n".join(lines) + "\n"
