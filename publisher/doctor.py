"""``publisher doctor``: will this setup work? Every check, one finding each, and a forecast.

Offline it checks the settings file (and its time zone), the digests, the workflows (present,
their cron lines those of the schedule) and, for each enabled platform, which of its variables
are set and which are missing, by name. ``online`` also logs in to each platform through its
adapter's ``whoami`` (the cheapest call it has) and reads its server's limits where it announces
them. The forecast formats the latest digest as it would be posted: posts per platform, what a
month of such digests costs where posts are billed, and how many days the schedule needs to post
one. Works from the registry alone: a platform is checked as soon as its module exists.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

from publisher import cost, pace, platforms
from publisher.config import env_variables, settings_path, variables_set
from publisher.cron import cron_plan
from publisher.errors import (
    AccountRefused,
    ConfigError,
    InputError,
    PlatformError,
    TransientError,
)
from publisher.platforms.base import PricedOptions
from publisher.reports import DoctorReport, Finding, Forecast

WORKFLOW_DIR = Path(".github") / "workflows"
WORKFLOW_NAMES = ("publish", "enqueue", "preview")
DIGESTS = Path("digests")
DAYS_A_MONTH = 30


def examine(config: Path | None, *, online: bool, root: Path = Path()) -> DoctorReport:
    """Every check of the setup in ``root`` (the repository's top folder)."""
    from publisher.config import load_env, load_settings

    report = DoctorReport()
    load_env(root / ".env")
    path = settings_path(config)
    if not (root / path).is_file() and not path.is_file():
        report.findings.append(Finding("bad", "config", f"{path}: not found (publisher init)"))
        return report
    try:
        settings = load_settings(path if path.is_file() else root / path)
    except InputError as exc:
        report.findings += [Finding("bad", "config", str(p)) for p in exc.problems]
        return report
    report.findings.append(_config_finding(path, settings))
    report.findings += [Finding("note", "config", note) for note in settings.deprecations]
    digests = _digests(root / DIGESTS, report)
    report.findings += _workflows(root / WORKFLOW_DIR, settings)
    for name in settings.platforms:
        report.findings += _platform(name, settings, online=online)
    if digests:
        report.forecasts = forecast(digests[-1], settings)
    return report


def _config_finding(path: Path, settings: Any) -> Finding:
    zone = settings.schedule.zone
    offset = dt.datetime.now(zone).strftime("%z")
    on = ", ".join(settings.platforms) or "none"
    return Finding(
        "ok",
        "config",
        f"{path}: valid; platforms {on}; time zone {settings.schedule.timezone} "
        f"(UTC{offset[:3]}:{offset[3:]})",
    )


def _digests(folder: Path, report: DoctorReport) -> list[Any]:
    """The valid digests under ``folder``, oldest first; a finding for the folder."""
    from publisher.digest import read_digest
    from publisher.due import is_digest_file

    if not folder.is_dir():
        report.findings.append(Finding("bad", "digests", f"no folder {folder} (publisher init)"))
        return []
    paths = sorted(p for p in folder.rglob("*") if is_digest_file(p, folder))
    found, problems = [], []
    for path in paths:
        try:
            found.append(read_digest(path))
        except InputError as exc:
            problems += exc.problems
    if problems:
        report.findings += [Finding("bad", "digests", str(p)) for p in problems]
    elif not paths:
        report.findings.append(Finding("note", "digests", f"none yet in {folder}"))
    else:
        entries = sum(len(d.entries) for d in found)
        report.findings.append(
            Finding("ok", "digests", f"{len(paths)} in {folder}, {entries} entries, all valid")
        )
    return sorted(found, key=lambda d: (d.date, d.source))


def _workflows(folder: Path, settings: Any) -> list[Finding]:
    """Each workflow present; publish's cron lines those the schedule needs."""
    import yaml

    findings = []
    for name in WORKFLOW_NAMES:
        path = next(
            (p for p in (folder / f"{name}.yml", folder / f"{name}.yaml") if p.is_file()), None
        )
        if path is None:
            findings.append(Finding("bad", "workflows", f"{folder / name}.yml: missing"))
            continue
        if name != "publish":
            findings.append(Finding("ok", "workflows", f"{path}: present"))
            continue
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            on = data.get("on", data.get(True)) or {}
            crons = [entry["cron"] for entry in on.get("schedule") or []]
        except (yaml.YAMLError, AttributeError, TypeError, KeyError, OSError) as exc:
            findings.append(Finding("bad", "workflows", f"{path}: unreadable ({exc})"))
            continue
        wanted = cron_plan(settings.schedule).lines
        if crons == wanted:
            findings.append(Finding("ok", "workflows", f"{path}: cron lines match the schedule"))
        else:
            findings.append(
                Finding(
                    "bad",
                    "workflows",
                    f"{path}: cron lines {crons} are not the schedule's {wanted} "
                    "(`publisher schedule --cron` prints them)",
                )
            )
    return findings


def _platform(name: str, settings: Any, *, online: bool) -> list[Finding]:
    """Which of the platform's variables are set; with ``online``, a log-in."""
    title = platforms.title(name)
    known = variables_set(name)
    required = env_variables(name, required=True)
    missing = [v for v in required if not known[v]]
    if missing:
        have = [v for v in required if known[v]]
        said = f"missing {', '.join(missing)}" + (f"; set: {', '.join(have)}" if have else "")
        return [Finding("missing", title, said)]
    defaults = [v for v in env_variables(name, required=False) if not known[v]]
    said = f"set: {', '.join(required)}" + (
        f" ({', '.join(defaults)} at the default)" if defaults else ""
    )
    findings = [Finding("ok", title, said)]
    if online:
        findings += _log_in(name, settings)
    return findings


def _log_in(name: str, settings: Any) -> list[Finding]:
    """A log-in through the adapter, the server's limits, and what the check cost."""
    from publisher.config import credentials

    title = platforms.title(name)
    named = ", ".join(env_variables(name))
    try:
        found = credentials(name)
    except ConfigError as exc:
        return [Finding("bad", title, str(exc))]
    timeout = settings.retry.timeout_seconds
    try:
        adapter = platforms.connect(name, found, settings.options(name), timeout)
        try:
            who = adapter.whoami()
        finally:
            adapter.close()
        limits = platforms.server_limits(name, found, timeout)
    except PlatformError as exc:
        return [Finding("refused", title, f"{_failure(exc)}: {exc}; check {named}")]
    findings = [Finding("ok", title, f"logged in as {who}")]
    if limits:
        shown = ", ".join(f"{key} {value}" for key, value in limits.items())
        findings.append(Finding("ok", title, f"server limits: {shown}"))
    options = settings.options(name)
    priced = options.check_price() if isinstance(options, PricedOptions) else None
    if priced is not None:
        label, usd = priced
        findings.append(Finding("note", title, f"this check costs {cost.usd(usd)} ({label})"))
    return findings


def _failure(exc: PlatformError) -> str:
    """What a failed log-in means, by the publisher's error kinds."""
    if isinstance(exc, AccountRefused):
        return "the credentials were refused"
    if isinstance(exc, TransientError):
        return "could not be reached"
    return "the log-in failed"


def forecast(digest: Any, settings: Any) -> list[Forecast]:
    """Each enabled platform's posts for ``digest``, a month of one a day, and the pace."""
    from publisher.formatter import threads_for
    from publisher.links import resolve

    links = resolve([digest], settings.links, lookup=False, network=False, client=None)
    rules = platforms.rules_for(settings)
    threads = threads_for(links.digests, settings.format, rules, list(settings.platforms))
    found = []
    for name in settings.platforms:
        texts = [[*t.posts] for _, _, t in threads if t.platform == name]
        posts = sum(len(each) for each in texts)
        spent = cost.texts_cost(name, [p for each in texts for p in each], settings.options(name))
        budget = settings.schedule.daily_posts.get(name) or posts or 1
        # The pace of the queue's own forecast (pace.capacity): slots, runs and daily posts.
        per_day, _ = pace.capacity(settings, name, posts / len(texts) if texts else 1.0)
        days = max(math.ceil(len(texts) / per_day), 1)
        billed = spent if cost.billed(name) else None
        found.append(
            Forecast(name, digest.source, len(texts), posts, billed, days, per_day, budget)
        )
    return found
