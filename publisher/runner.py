"""The scheduled job: post what is due, in order, recording each post the moment it is made.

Reads the queue, checks every file again (people edit them), plans per platform within the
daily budget and the per-run cap, and sends each thread post by post through its adapter. A
post in flight is marked (``sending``) before it is sent, so that a crash or an unknown outcome
is followed by a look-up, never by a blind second post.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, cast

from publisher import cost, pace, platforms, quota, retry
from publisher.attention import Stuck, needing_owner
from publisher.config import FormatSettings, Settings
from publisher.due import is_due
from publisher.errors import (
    AccountRefused,
    DeferUntil,
    DuplicatePost,
    PlatformError,
    Problem,
    Scope,
    TransientError,
)
from publisher.formatter import number_posts
from publisher.platforms import rules_within
from publisher.platforms.base import Adapter, PostRef, QuotaAdapter, Rules, Slot
from publisher.schedule import next_day_start, posts_today
from publisher.scrub import scrub
from publisher.store import lifecycle
from publisher.store.common import OPEN, Status
from publisher.store.filequeue import FileQueue, month_of
from publisher.store.ledger import (
    LEDGER_FILE,
    Ledger,
    LedgerView,
    ensure_attributes,
    missing_from_ledger,
    reconcile_all,
)
from publisher.store.model import LoadedItem, PostRecord, QueueItem, text_sha

RETRY_LATER = dt.timedelta(minutes=15)
# How far a platform's clock may run behind ours. Small on purpose: a post of another thread
# made just before this one must not pass for it (the ids recorded in the queue guard too).
CLOCK_ALLOWANCE = dt.timedelta(seconds=5)


def wall_clock() -> dt.datetime:
    """The real time. Platforms keep real time, whatever ``--now`` says for planning."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


@dataclass
class SentPost:
    key: str
    title: str
    platform: str
    number: int
    total: int
    text: str
    url: str


@dataclass
class Planned:
    """A thread this run posts (or would post), and its posts still to send."""

    loaded: LoadedItem
    payloads: list[dict[str, Any]]
    counts: list[int]
    limit: int | None = None  # the platform's limit for this thread; None: its rules' default


@dataclass
class Waiting:
    """A thread that is not posted in this run, and why / when."""

    item: QueueItem
    when: dt.datetime
    why: str
    # What holds a thread that is due: "" (nothing: it is not due yet), or the cap: "run"
    # (max_threads_per_run), "day" (daily_posts), "quota" (a rolling quota), "month" (the
    # monthly budget), "never" (it costs more than the whole monthly budget: it waits for a
    # person).
    held_by: str = ""

    @property
    def said(self) -> bool:
        """Said by a real run too (not only by a dry run): a wait no schedule explains."""
        return self.held_by == "quota"


@dataclass
class Plan:
    due: list[Planned] = field(default_factory=list)
    waiting: list[Waiting] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # held, failed, or dearer than a whole month's budget: waiting on a person
    stuck: list[Stuck] = field(default_factory=list)
    # What a person should know: edits that could not take effect, records restored, ...
    notes: list[str] = field(default_factory=list)
    # Per platform that bills: this month's spend and what is queued will cost, at plan time.
    spend: str = ""
    # Platforms whose queue is behind the author (pace.forecast), one line each.
    behind: list[str] = field(default_factory=list)
    # Per platform with a rolling quota: what is used and what this plan takes.
    quota: list[str] = field(default_factory=list)


@dataclass
class RunReport:
    plan: Plan
    sent: list[SentPost] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    deferred: list[tuple[str, dt.datetime, str]] = field(default_factory=list)
    # Platforms this run could not use at all (unreachable, account refused), and why. Their
    # threads stay pending; the run fails so that the workflow goes red and its owner is told.
    halted: list[tuple[str, str]] = field(default_factory=list)
    # Platforms that refused to post for lack of prepaid credit, with what to do about it.
    out_of_credit: dict[str, str] = field(default_factory=dict)
    # What this run's posts cost, per platform that bills each post.
    spent: dict[str, cost.Cost] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        failed = self.failed or self.plan.problems or self.halted or self.out_of_credit
        return 1 if failed else 0


def check_item(
    loaded: LoadedItem, rules: Mapping[str, Rules], options: FormatSettings | None = None
) -> list[Problem]:
    """Problems of the posts still to send, as sent (numbered): unknown platform, over the
    limit, invalid text."""
    item = loaded.item
    platform_rules = rules.get(item.platform)
    if platform_rules is None:
        line = _platform_line(loaded.path)
        known = ", ".join(sorted(rules))
        return [
            Problem(
                str(loaded.path),
                line,
                f"unknown platform {item.platform!r} (known: {known}); the file is not posted",
            )
        ]
    problems = []
    sent = number_posts(item.posts, options or FormatSettings())
    for index in range(item.next_index, len(item.posts)):
        text = sent[index]
        for message in platform_rules.problems(text):
            problems.append(
                Problem(str(loaded.path), loaded.post_lines[index], f"post {index + 1}: {message}")
            )
    return problems


def _platform_line(path: Path) -> int:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return 2
    return next((n for n, s in enumerate(lines, 1) if s.startswith("platform:")), 2)


def make_plan(
    items: list[LoadedItem],
    problems: list[Problem],
    settings: Settings,
    rules: Mapping[str, Rules],
    now: dt.datetime,
    archived: Iterable[QueueItem] = (),
    used: quota.Usage | None = None,
) -> Plan:
    """What a run at ``now`` posts, and what waits, in the order it would happen.

    ``archived``: threads already moved to the archive whose posts count against today's budget
    (``recent_archive``). ``used``: what each platform with a rolling quota says is used of it,
    and its limits (None: not read, as in a dry run).
    """
    unknown = [loaded for loaded in items if loaded.item.platform not in rules]
    items = [loaded for loaded in items if loaded.item.platform in rules]
    open_now = [loaded.item for loaded in items]
    plan = Plan(problems=list(problems), stuck=needing_owner(open_now, settings))
    for loaded in unknown:  # a file for a platform the publisher lacks is said, never skipped
        plan.problems.extend(check_item(loaded, rules))
    everything = open_now + list(archived)
    open_items = sorted(
        (loaded for loaded in items if loaded.item.status in OPEN),
        key=lambda li: (li.item.not_before.timestamp(), li.item.id, li.item.platform),
    )
    month = cost.month_spend(everything, now, settings)
    plan.spend = cost.spend_lines(everything, now, settings, month)
    gates = _Gates(settings, now, everything, month, quota.Quotas(used))
    for loaded in open_items:
        if loaded.item.platform in settings.platforms:
            _consider(loaded, plan, gates, rules)
    plan.waiting.sort(key=lambda w: (w.when.timestamp(), w.item.id, w.item.platform))
    plan.behind = [str(b) for b in pace.forecast(everything, settings, now)]
    plan.quota = gates.quotas.lines(list(settings.platforms))
    return plan


def _consider(loaded: LoadedItem, plan: Plan, gates: _Gates, rules: Mapping[str, Rules]) -> None:
    """One open thread into the plan: a problem, waiting (and why), or due with its payloads."""
    item, settings = loaded.item, gates.settings
    platform_rules = rules_within(rules, settings, item.platform, item.limits)
    found = check_item(loaded, {item.platform: platform_rules}, settings.format)
    if found:
        plan.problems.extend(found)
        return
    if not is_due(item.status, item.not_before, gates.now):
        plan.waiting.append(Waiting(item, item.not_before, item.reason or "scheduled"))
        return
    texts = number_posts(item.posts, settings.format)[item.next_index :]
    held = gates.hold(item, texts)
    if held is not None:
        plan.waiting.append(held)
        return
    payloads = [platform_rules.payload(t) for t in texts]
    if item.card is not None and item.next_index == 0:
        # the adapter turns it into the first post's embed (its link card)
        payloads[0]["card"] = item.card.model_dump()
    counts = [platform_rules.length(t) for t in texts]
    plan.due.append(Planned(loaded, payloads, counts, platform_rules.limit))


class _Gates:
    """What a run lets through, platform by platform, in plan order: the threads per run, the
    posts per day, a rolling quota and the monthly budget. Each due thread asks ``hold``; one
    let through is counted against them all."""

    def __init__(
        self,
        settings: Settings,
        now: dt.datetime,
        everything: list[QueueItem],
        month: Mapping[str, cost.Cost],
        quotas: quota.Quotas,
    ) -> None:
        self.settings, self.now, self.quotas = settings, now, quotas
        self.budget_left = {
            platform: settings.schedule.daily_posts.get(platform, 10**9)
            - posts_today(everything, platform, now, settings.schedule)
            for platform in settings.platforms
        }
        self.taken = dict.fromkeys(settings.platforms, 0)
        self.blocked: dict[str, str] = {}  # a platform held for the rest of the run, and why
        self.spent = {name: so_far.usd for name, so_far in month.items()}

    def hold(self, item: QueueItem, texts: list[str]) -> Waiting | None:
        """Why ``item``, due, waits (a cap), or None: it goes out, and is counted."""
        platform, settings, now = item.platform, self.settings, self.now
        if platform in self.blocked:
            why = self.blocked[platform]
            return Waiting(item, now, why, "quota" if self.quotas.said(why) else "day")
        if self.taken[platform] >= settings.schedule.max_threads_per_run:
            return Waiting(item, now, "next run (max threads per run reached)", "run")
        remaining = len(item.posts) - item.next_index
        limit = settings.schedule.daily_posts.get(platform)
        # A thread already begun is finished even past the budget: a half-posted thread left
        # until tomorrow is worse than a day a few posts over a self-imposed budget.
        started = bool(item.posted)
        fresh_day = limit is not None and self.budget_left[platform] == limit
        if remaining > self.budget_left[platform] and not started and not fresh_day:
            why = self.blocked[platform] = f"daily budget of {limit} {platform} posts reached"
            return Waiting(item, next_day_start(now, settings.schedule), why, "day")
        why = self.quotas.why_not(platform, item.next_index, len(item.posts), started)
        if why:  # the next run reads the quota again
            self.blocked[platform] = why
            return Waiting(item, now, why, "quota")
        if platform in self.spent:
            money = _money(item, texts, self.spent[platform], settings, now)
            if money is not None:  # held by the budget: cheaper threads still go out
                return money
            options = settings.options(platform)
            self.spent[platform] += cost.texts_cost(platform, texts, options).usd
        self.taken[platform] += 1
        self.budget_left[platform] -= remaining
        return None


def _money(
    item: QueueItem, texts: list[str], so_far: float, settings: Settings, now: dt.datetime
) -> Waiting | None:
    """What holds a due thread back for money, or None when it may go out.

    The monthly cap is hard (money, not pace), except that a thread already begun is finished,
    as with the daily budget. A thread that does not fit what is left of this month waits for
    the next month on its own, holding no cheaper thread back; one that costs more than the
    whole budget waits for a person. 1e-9: sums of float prices.
    """
    cap = cost.prices(settings, item.platform).monthly_budget_usd
    if not cap or item.posted:
        return None
    never = cost.never_fits(item, settings)
    if never is not None:
        return Waiting(item, item.not_before, never, "never")
    price = cost.texts_cost(item.platform, texts, settings.options(item.platform)).usd
    if so_far + price <= cap + 1e-9:
        return None
    why = (
        f"monthly {platforms.title(item.platform)} budget of {cost.usd(cap)} reached "
        f"({cost.usd(so_far)} spent this month, this thread costs {cost.usd(price)}; "
        f"{cost.budget_setting(item.platform)})"
    )
    return Waiting(item, cost.next_month_start(now, settings.schedule), why, "month")


def settle_holds(queue: FileQueue, plan: Plan, report: RunReport) -> None:
    """Write what the budget holds into the queue files, so that the next runs (and
    ``due.py``, which cannot price a post) see them as not due: a thread waiting for next
    month is postponed to it, one dearer than the whole budget is marked failed, listed with
    the threads that need the owner."""
    for waiting in plan.waiting:
        item = waiting.item
        if waiting.held_by == "month" and item.not_before < waiting.when:
            lifecycle.postpone(item, waiting.when, waiting.why)
            queue.save(item)
        elif waiting.held_by == "never" and item.status == Status.PENDING:
            lifecycle.refuse(item, waiting.why)
            queue.save(item)
            report.failed.append((item.key, waiting.why))


def run(
    queue: FileQueue,
    settings: Settings,
    rules: Mapping[str, Rules],
    adapter_for: Callable[[str], Adapter],
    now: dt.datetime,
    clock: retry.Clock | None = None,
) -> RunReport:
    """Post every due thread. The caller holds the queue lock."""
    opened = load_open(queue, write=True)
    items = archive_posted(queue, opened.items, settings, opened.notes)
    archived = recent_archive(queue, now, settings)
    adapters: dict[str, Adapter] = {}
    used, unread = read_quotas(items, settings, now, adapters, adapter_for)
    plan = make_plan(items, opened.problems, settings, rules, now, archived, used)
    plan.notes = opened.notes
    report = RunReport(plan)
    settle_holds(queue, plan, report)
    plan.stuck = needing_owner([li.item for li in items], settings)
    budget = retry.Budget(settings.retry, clock or retry.Clock())
    stopped: dict[str, str] = {}
    for name, exc in unread.items():
        stopped[name] = scrub(f"its quota could not be read: {exc}")
        if exc.scope in (Scope.PLATFORM, Scope.CREDIT):
            report.halted.append((name, scrub(str(exc))))
    month = month_of(now.astimezone(settings.schedule.zone))
    # Every post id some thread has recorded: a look-up never adopts one of them for another.
    everyone = [li.item for li in items] + archived
    recorded = {(item.platform, r.id) for item in everyone for r in item.posted}
    recorded |= opened.view.ids()
    try:
        for planned in report.plan.due:
            item = planned.loaded.item
            if item.platform in stopped:
                report.deferred.append((item.key, item.not_before, stopped[item.platform]))
                continue
            if item.platform not in adapters:
                adapters[item.platform] = adapter_for(item.platform)
            poster = ThreadPoster(
                queue=queue,
                item=item,
                planned=planned,
                adapter=adapters[item.platform],
                budget=budget,
                now=now,
                report=report,
                month=month,
                recorded=recorded,
                ledger=opened.ledger,
            )
            if poster.post() is Outcome.STOP_PLATFORM:
                stopped[item.platform] = "platform stopped for this run"
    finally:
        for adapter in adapters.values():
            adapter.close()
        _count_spend(report, settings, everyone, now)
    return report


def _count_spend(
    report: RunReport, settings: Settings, everyone: list[QueueItem], now: dt.datetime
) -> None:
    """What this run's posts cost, and the month's spend as the run leaves it."""
    for name in cost.priced(settings):
        texts = [s.text for s in report.sent if s.platform == name]
        if texts:
            report.spent[name] = cost.texts_cost(name, texts, settings.options(name))
    if report.spent:  # this run's posts included
        report.plan.spend = cost.spend_lines(everyone, now, settings)


def read_quotas(
    items: list[LoadedItem],
    settings: Settings,
    now: dt.datetime,
    adapters: dict[str, Adapter],
    adapter_for: Callable[[str], Adapter],
) -> tuple[dict[str, dict[str, tuple[int, int]]], dict[str, PlatformError]]:
    """What is used of each rolling quota of a platform with a thread due, read before any
    thread starts (the adapters made for it are kept in ``adapters``); and the platforms whose
    quota could not be read, with why (nothing is posted there in this run)."""
    used: dict[str, dict[str, tuple[int, int]]] = {}
    unread: dict[str, PlatformError] = {}
    for name in quota.with_quota(list(settings.platforms)):
        due = any(
            li.item.platform == name and is_due(li.item.status, li.item.not_before, now)
            for li in items
        )
        if not due:
            continue
        try:
            if name not in adapters:
                adapters[name] = adapter_for(name)
            used[name] = cast(QuotaAdapter, adapters[name]).quota_used()
        except PlatformError as exc:
            unread[name] = exc
    return used, unread


class Outcome(Enum):
    """What a thread's sending means for the platform's other threads in this run."""

    NEXT_THREAD = "next thread"  # posted, or failed on its own: go on with the next one
    STOP_PLATFORM = "stop platform"  # the platform cannot take more now: post nothing more there


@dataclass
class ThreadPoster:
    """Sends one thread's remaining posts in order, saving its queue file around every post."""

    queue: FileQueue
    item: QueueItem
    planned: Planned
    adapter: Adapter
    budget: retry.Budget
    now: dt.datetime
    report: RunReport
    month: str  # the archive folder of a thread posted in full
    # Every (platform, post id) some thread has recorded: a look-up never adopts one of them.
    recorded: set[tuple[str, str]]
    ledger: Ledger  # the record of every post made, written before the queue file
    # The post in flight may have been made though no answer said so (a crash or a timeout
    # after sending): look for it before sending it again.
    maybe_sent: bool = False
    root: PostRef | None = field(init=False, default=None)
    parent: PostRef | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if self.item.posted:
            self.root, self.parent = _ref(self.item.posted[0]), _ref(self.item.posted[-1])

    def post(self) -> Outcome:
        """Send every post still to send, then archive the thread."""
        item = self.item
        total = len(item.posts)
        for index in range(item.next_index, total):
            if not self._present():
                return self._vanished(index)
            payload = self.planned.payloads[index - (total - len(self.planned.payloads))]
            self.maybe_sent = item.sending == index + 1
            lifecycle.start_sending(item, index, wall_clock())
            self.ledger.sending(item, index, item.sending_at or wall_clock())
            self._save()
            taken = frozenset(i for p, i in self.recorded if p == item.platform)
            slot = Slot(item.key, index, self.root, self.parent, since=_since(item), taken=taken)
            try:
                ref = retry.call(functools.partial(self._attempt, payload, slot), self.budget)
            except (PlatformError, DeferUntil) as exc:
                return self._stopped(index, exc)
            self._record(index, ref, payload["text"])
        lifecycle.finish(item)
        self.queue.record_posted(item.key)
        if not self._present():
            return self._vanished(total)
        self._save()
        self.queue.archive(item, self.month)
        return Outcome.NEXT_THREAD

    def _present(self) -> bool:
        """Whether the thread's file is still there: a file deleted or renamed while the run
        holds the lock is never written again (which would bring it back and post it)."""
        return self.queue.path_of(self.item).is_file()

    def _save(self) -> None:
        if self._present():
            self.queue.save(self.item)

    def _vanished(self, index: int) -> Outcome:
        item = self.item
        left = len(item.posts) - index
        rest = (
            f"its {left} post(s) still to send were not sent" if left else "all its posts were made"
        )
        self.report.plan.notes.append(
            f"{self.queue.path_of(item)}: deleted or renamed during the run: not written again, "
            f"{rest}; the posts made are recorded in {self.queue.root / LEDGER_FILE}"
        )
        return Outcome.NEXT_THREAD

    def _attempt(self, payload: dict[str, Any], slot: Slot) -> PostRef:
        """One try at a post: a look-up first when it may be made already."""
        if self.maybe_sent:
            found = self._own(self.adapter.find(payload, slot))
            if found is not None:
                return found
            self.maybe_sent = False
        try:
            return self.adapter.post(payload, slot)
        except TransientError as exc:
            if exc.outcome_unknown:
                self.maybe_sent = True
            raise
        except DuplicatePost as exc:
            found = None if exc.original else self._own(self.adapter.find(payload, slot))
            if found is not None:
                return found
            raise

    def _own(self, found: PostRef | None) -> PostRef | None:
        """``found``, unless another thread has recorded it."""
        if found is None or (self.item.platform, found.id) in self.recorded:
            return None
        return found

    def _record(self, index: int, ref: PostRef, sent: str) -> None:
        item = self.item
        text = item.posts[index]
        record = PostRecord(
            post=index + 1,
            id=ref.id,
            url=ref.url,
            uri=ref.uri,
            cid=ref.cid,
            at=self.now,
            sha=text_sha(text),
            price_class=cost.price_class(item.platform, text),
        )
        self.ledger.posted(item, record)  # the fact first, then its view in the queue file
        lifecycle.record_post(item, record)
        self.recorded.add((item.platform, ref.id))
        self._save()
        self.report.sent.append(
            SentPost(item.key, item.title, item.platform, index + 1, len(item.posts), sent, ref.url)
        )
        if self.root is None:
            self.root = ref
        self.parent = ref

    def _stopped(self, index: int, exc: PlatformError | DeferUntil) -> Outcome:
        """Post ``index`` did not go out: what follows is the error's scope's (``errors.Scope``),
        looked up in a table, so no order of checks decides it."""
        handlers: dict[Scope, Callable[[int, Any], Outcome]] = {
            Scope.WAIT: self._wait,
            Scope.CREDIT: self._out_of_credit,
            Scope.PLATFORM: self._halted,
            Scope.TRANSIENT: self._later,
            Scope.POST: self._refused,
        }
        return handlers[exc.scope](index, exc)

    def _wait(self, index: int, exc: DeferUntil) -> Outcome:
        """The next try must wait past this run: the thread is due again at ``exc.at``."""
        at = dt.datetime.fromtimestamp(exc.at, tz=dt.UTC)
        self._defer(index, at, scrub(exc.reason))
        self.report.deferred.append((self.item.key, at, scrub(exc.reason)))
        return Outcome.STOP_PLATFORM

    def _out_of_credit(self, index: int, exc: PlatformError) -> Outcome:
        """Not the thread's fault: it stays as it is (pending, or posting with the posts made so
        far recorded), due again at once, and the next run with credits goes on from it."""
        item = self.item
        self._defer(index, item.not_before, f"out of credit: {exc}")
        self.report.deferred.append((item.key, item.not_before, str(exc)))
        self.report.out_of_credit[item.platform] = str(exc)
        return Outcome.STOP_PLATFORM

    def _halted(self, index: int, exc: PlatformError) -> Outcome:
        """Not this thread's fault and not cured by waiting: keep it due, say why, fail."""
        item = self.item
        why = scrub(str(exc))
        if isinstance(exc, AccountRefused):
            names = ", ".join(platforms.account_variables(item.platform))
            why += f"; the account was refused: check {names}"
        self._defer(index, item.not_before, why)
        self.report.halted.append((item.platform, why))
        self.report.deferred.append((item.key, item.not_before, why))
        return Outcome.STOP_PLATFORM

    def _later(self, index: int, exc: PlatformError) -> Outcome:
        """Worth trying again, but not in this run: the thread waits ``RETRY_LATER``."""
        at = self.now + RETRY_LATER
        self._defer(index, at, scrub(f"gave up for this run: {exc}"))
        self.report.deferred.append((self.item.key, at, scrub(str(exc))))
        return Outcome.STOP_PLATFORM

    def _refused(self, index: int, exc: PlatformError) -> Outcome:
        """The platform refused the post itself (400/401/403/404/413, a duplicate not found):
        the thread fails, and the run goes on with the next one."""
        item = self.item
        reason = _reason(exc, index, item, self.queue.path_of(item))
        lifecycle.fail(item, index, self.maybe_sent, reason)
        self._save()
        self.report.failed.append((item.key, reason))
        return Outcome.NEXT_THREAD

    def _defer(self, index: int, at: dt.datetime, why: str) -> None:
        lifecycle.defer(self.item, index, self.maybe_sent, at, why)
        self._save()


@dataclass
class Opened:
    """The open queue as the ledger says it is."""

    items: list[LoadedItem]
    problems: list[Problem]
    notes: list[str]
    view: LedgerView
    ledger: Ledger


def load_open(queue: FileQueue, *, write: bool) -> Opened:
    """The open queue, each file made to agree with the record of posts made (``ledger``).

    ``write``: the caller holds the lock and may write (a run): files whose records were restored
    are saved, and posts their files record that the ledger lacks (a queue from before the
    ledger) are added to it. Otherwise (``status``, the dry run) nothing is written.
    """
    items, problems = queue.load()
    ledger = Ledger(queue.root)
    view = ledger.read()
    changed, notes = reconcile_all(items, view)
    notes = [str(p) for p in view.problems] + notes
    if write:
        for item, record in missing_from_ledger([li.item for li in items], view):
            ledger.posted(item, record)
        for loaded in changed:
            queue.save(loaded.item)
        if items or view.made:
            ensure_attributes(queue.root)
    return Opened(items, problems, notes, view, ledger)


def archive_posted(
    queue: FileQueue, items: list[LoadedItem], settings: Settings, notes: list[str] | None = None
) -> list[LoadedItem]:
    """Move threads posted in full that are still in the open queue (a run that stopped between
    the last save and the move, a queue from before the archive, a restored copy) to the
    archive, by the month of their last post; the items left open.

    A thread already archived is never overwritten: the copy in the queue is removed and the
    archive kept (said in ``notes``)."""
    still_open = []
    for loaded in items:
        item = loaded.item
        if item.status != Status.POSTED:
            still_open.append(loaded)
            continue
        queue.record_posted(item.key)
        earlier = queue.find_archived(item.key)
        if earlier is not None:
            loaded.path.unlink()
            if notes is not None:
                notes.append(
                    f"{loaded.path}: a copy of a thread posted in full, archived as {earlier}: "
                    "the copy was removed and the archive kept (nothing is posted again)"
                )
            continue
        last = item.posted[-1].at if item.posted else item.created
        queue.archive(item, month_of(last.astimezone(settings.schedule.zone)))
    return still_open


def recent_archive(queue: FileQueue, now: dt.datetime, settings: Settings) -> list[QueueItem]:
    """Archived threads that may hold posts of ``now``'s local day: those of its month folder
    (months are local to the schedule's zone, so today's posts are all in it)."""
    return queue.month_archive(now, settings.schedule.zone)


def _since(item: QueueItem) -> float | None:
    if item.sending_at is None:
        return None
    return (item.sending_at - CLOCK_ALLOWANCE).timestamp()


def _reason(exc: PlatformError, index: int, item: QueueItem, path: Path) -> str:
    return scrub(_explain(exc, index, item, path))


def _explain(exc: PlatformError, index: int, item: QueueItem, path: Path) -> str:
    where = f"post {index + 1} of {len(item.posts)}"
    if isinstance(exc, DuplicatePost) and exc.original:
        return (
            f"{where} duplicates an older post, {exc.original}, which is not this thread's "
            f"({item.platform} refuses the same text twice). Edit post {index + 1} in "
            f"{path} so that it differs, then run `publisher retry {item.key}`."
        )
    if isinstance(exc, DuplicatePost):
        return (
            f"{where}: {exc} It was not found among the account's recent posts. "
            "Check the account, then edit the post's text or record the existing post, "
            f"and run `publisher retry {item.key}`."
        )
    said = str(exc).strip().rstrip(":").strip()
    if not said or said.endswith(f"{item.platform}"):  # a reason is never empty
        said = f"{said or item.platform}: {type(exc).__name__}, with no reason given"
    return f"{where}: {said}"


def _ref(record: PostRecord) -> PostRef:
    return PostRef(id=record.id, url=record.url, uri=record.uri, cid=record.cid)
