"""What each command found or did, as plain data. Renderers turn it into text, JSON or Markdown.

A command builds one report (the structlog habit: data first, renderers second); the text
renderer (``render_text``), the JSON renderer (``render_json``) and the Markdown renderer
(``summary``) read the same object, so the three outputs cannot drift apart. Everything a
renderer needs is in the report, computed once: counts, limits, price labels, local times.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Literal

from publisher.errors import Problem
from publisher.store.common import Status
from publisher.timefmt import LocalTimes

if TYPE_CHECKING:  # types of fields only: a report module imports no machinery
    from publisher.attention import Stuck
    from publisher.cost import Cost
    from publisher.cron import CronPlan
    from publisher.runner import RunReport

__all__ = [
    "CheckReport",
    "CheckedFile",
    "CommitReport",
    "DigestDryRun",
    "DoctorReport",
    "DryRunEntry",
    "DryRunThread",
    "EnqueueOutcome",
    "Exit",
    "Finding",
    "Forecast",
    "InitReport",
    "PreviewWritten",
    "QueuedThread",
    "RunOutcome",
    "ScheduleReport",
    "ShownPost",
    "StatusChange",
    "StatusChanges",
    "StatusReport",
    "StatusRow",
]


@dataclass(frozen=True)
class ShownPost:
    """One post as it is (or would be) sent, with what a reader wants to know about it."""

    payload: Mapping[str, Any]  # what the platform receives: text, facets, langs, card...
    count: int  # its length as the platform counts it
    limit: int
    label: str = ""  # shown after the count, e.g. a price class and price
    price: Mapping[str, Any] = field(default_factory=dict)  # price fields for --json

    @property
    def text(self) -> str:
        return str(self.payload["text"])


# ---- check -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedFile:
    """One digest file checked: its date and entry count, or how many problems it has."""

    path: str
    date: dt.date | None = None
    entries: int = 0
    problems: int = 0


@dataclass
class CheckReport:
    files: list[CheckedFile] = field(default_factory=list)
    notes: list[Any] = field(default_factory=list)  # the arXiv look-up's notes (links.LinkNote)


# ---- the dry run of digests -------------------------------------------------------------------


@dataclass(frozen=True)
class DryRunThread:
    entry_id: str  # the thread's id: the entry's, or its revisit's when the paper was seen before
    platform: str
    posts: list[ShownPost]
    revisit: str = ""  # "seen before, ...": the paper is queued or posted already
    link: Mapping[str, Any] = field(default_factory=dict)  # the link policy or card, for --json
    left_out: str = ""  # what the platform's settings leave out (the link), and what keeps it
    when: dt.datetime | None = None  # when enqueue would schedule it (None: not queued)
    not_queued: str = ""  # why enqueue would not queue it (already queued or posted)


@dataclass(frozen=True)
class DryRunEntry:
    id: str
    title: str
    card: Mapping[str, Any] | None  # the link card shown above the threads, if any
    threads: list[DryRunThread]
    card_on: str = ""  # the platform that posts the card


@dataclass
class DigestDryRun:
    """``publisher --dry-run DIGEST...``: the threads as they would be posted."""

    entries: list[DryRunEntry] = field(default_factory=list)
    policies: list[str] = field(default_factory=list)  # one line per setting that shapes posts
    totals: list[str] = field(default_factory=list)  # one cost line per platform
    notes: list[Any] = field(default_factory=list)  # the link look-up's notes


# ---- the scheduled run and its dry run --------------------------------------------------------


@dataclass
class RunOutcome:
    """The scheduled job (or its dry run): the runner's report, seen from ``times``."""

    run: RunReport
    dry_run: bool
    times: LocalTimes
    now: dt.datetime
    # The posts of each due thread still to send, in plan order (plan.due).
    due_posts: list[list[ShownPost]] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return self.run.exit_code


# ---- the queue commands -----------------------------------------------------------------------


@dataclass(frozen=True)
class QueuedThread:
    key: str
    file: str
    posts: int
    not_before: dt.datetime


@dataclass
class EnqueueOutcome:
    times: LocalTimes
    added: list[QueuedThread] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (key, why)
    updated: list[QueuedThread] = field(default_factory=list)  # from an edited digest
    notes: list[str] = field(default_factory=list)  # what a person should know, e.g. revisits
    link_notes: list[Any] = field(default_factory=list)  # the arXiv look-up's notes
    ledger: str = ""  # QUEUE/enqueued.txt
    handled: int = 0  # digest files recorded in the ledger
    unchanged: int = 0  # of which not read again
    invalid: int = 0  # digest files with problems
    problems: list[Problem] = field(default_factory=list)
    behind: list[str] = field(default_factory=list)  # pace.forecast, one line per platform
    ignored: list[str] = field(default_factory=list)  # files under the folders, not digests


@dataclass(frozen=True)
class StatusRow:
    id: str
    platform: str
    status: Status
    due: dt.datetime
    posts: int
    posted: int
    reason: str | None = None


@dataclass
class StatusReport:
    times: LocalTimes
    rows: list[StatusRow] = field(default_factory=list)
    stuck: list[Stuck] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    spend: str = ""
    notes: list[str] = field(default_factory=list)  # edits that could not take effect, ...
    behind: list[str] = field(default_factory=list)  # pace.forecast, one line per platform
    quota: list[str] = field(default_factory=list)  # each rolling quota, as declared


@dataclass(frozen=True)
class StatusChange:
    file: str
    before: str
    after: str
    note: str = ""  # why nothing changed, if nothing did


@dataclass
class StatusChanges:
    """``hold``, ``release`` and ``retry``: one line per queue file."""

    changes: list[StatusChange] = field(default_factory=list)


@dataclass(frozen=True)
class PreviewWritten:
    """``preview``: the page written (the page itself is ``preview_html``'s rendering)."""

    file: str
    threads: int
    problems: list[Problem]


@dataclass(frozen=True)
class ScheduleReport:
    plan: CronPlan


@dataclass(frozen=True)
class CommitReport:
    message: str


# ---- init and doctor ---------------------------------------------------------------------------


@dataclass
class InitReport:
    """What ``publisher init`` did: the folder, the files written, what to do next."""

    folder: str
    written: list[str]
    steps: list[str]


FindingStatus = Literal["ok", "note", "missing", "refused", "bad"]


class Exit(IntEnum):
    READY = 0
    REFUSED = 1  # a platform refused the credentials, or could not be reached
    MISSING = 2  # a setting is missing or invalid


@dataclass(frozen=True)
class Finding:
    """One check's outcome: ``topic`` (config, digests, workflows, a platform's title)."""

    status: FindingStatus
    topic: str
    message: str


@dataclass(frozen=True)
class Forecast:
    """One platform's share of a digest like ``digest``, and how the schedule paces it."""

    platform: str
    digest: str
    threads: int
    posts: int
    daily_cost: Cost | None  # None where posts are free
    days_per_digest: int
    threads_per_day: int
    posts_per_day: int


@dataclass
class DoctorReport:
    findings: list[Finding] = field(default_factory=list)
    forecasts: list[Forecast] = field(default_factory=list)

    @property
    def exit_code(self) -> Exit:
        statuses = {f.status for f in self.findings}
        if statuses & {"missing", "bad"}:
            return Exit.MISSING
        if "refused" in statuses:
            return Exit.REFUSED
        return Exit.READY
