"""The JSON renderer (``--json``): a report as plain data, and that data as text. Pure."""

from __future__ import annotations

import json
from functools import singledispatch
from typing import Any

from publisher.reports import DigestDryRun, RunOutcome, ShownPost, StatusReport

__all__ = ["data", "dumps"]


def dumps(report: Any) -> str:
    """The report as indented JSON; text stays readable (no ``\\u`` escapes)."""
    return json.dumps(data(report), ensure_ascii=False, indent=2, default=str)


@singledispatch
def data(report: Any) -> Any:
    """The report as JSON-ready data: dicts, lists, strings and numbers."""
    raise TypeError(f"no JSON renderer for {type(report).__name__}")


def _post(post: ShownPost, *, measured: bool) -> dict[str, Any]:
    counts = {"count": post.count, "limit": post.limit} if measured else {}
    return {**post.payload, **counts, **post.price}


@data.register
def _digests(report: DigestDryRun) -> list[dict[str, Any]]:
    return [
        {
            "entry_id": thread.entry_id,
            "platform": thread.platform,
            "posts": [_post(p, measured=False) for p in thread.posts],
            **thread.link,
            **({"left_out": thread.left_out} if thread.left_out else {}),
            "when": thread.when.isoformat() if thread.when else None,
            **({"not_queued": thread.not_queued} if thread.not_queued else {}),
        }
        for entry in report.entries
        for thread in entry.threads
    ]


@data.register
def _run(report: RunOutcome) -> dict[str, Any]:
    run, times = report.run, report.times
    if not report.dry_run:
        return {
            "posted": [vars(s) for s in run.sent],
            "failed": [{"id": k, "reason": r} for k, r in run.failed],
            "deferred": [{"id": k, "until": times.iso(w), "reason": r} for k, w, r in run.deferred],
            "held_or_failed": [vars(s) for s in run.plan.stuck],
            "problems": [str(p) for p in run.plan.problems],
            "stopped": [{"platform": p, "reason": r} for p, r in run.halted],
            "out_of_credit": run.out_of_credit,
            "notes": run.plan.notes,
            "behind": run.plan.behind,
            "spend": run.plan.spend,
        }
    plan = run.plan
    return {
        "now": times.iso(report.now),
        "due": [
            {
                "id": p.loaded.item.id,
                "platform": p.loaded.item.platform,
                "file": str(p.loaded.path),
                "first_post": p.loaded.item.next_index + 1,
                "posts": [_post(post, measured=True) for post in posts],
            }
            for p, posts in zip(plan.due, report.due_posts, strict=True)
        ],
        "next": [
            {"id": w.item.id, "platform": w.item.platform, "when": times.iso(w.when), "why": w.why}
            for w in plan.waiting
        ],
        "held_or_failed": [vars(s) for s in plan.stuck],
        "problems": [str(p) for p in plan.problems],
        "spend": plan.spend,
        "notes": plan.notes,
        "behind": plan.behind,
        "quota": plan.quota,
    }


@data.register
def _status(report: StatusReport) -> dict[str, Any]:
    return {
        "items": [
            {
                "id": r.id,
                "platform": r.platform,
                "status": r.status,
                "due": report.times.iso(r.due),
                "posts": r.posts,
                "posted": r.posted,
                "reason": r.reason,
            }
            for r in report.rows
        ],
        "held_or_failed": [vars(s) for s in report.stuck],
        "problems": [str(p) for p in report.problems],
        "spend": report.spend,
        "notes": report.notes,
        "behind": report.behind,
        "quota": report.quota,
    }
