"""What a preview shows: each thread per platform, post by post, as plain data.

Built from digests (formatted and scheduled the way ``enqueue`` would) or from the queue (checked
again the way the scheduled job does). Pure apart from reading the input files; the renderers
(``preview_html``) turn this data into HTML and Markdown.

The highlighted spans come from what is posted: each platform says where it shows links and
tags in a payload (its descriptor's ``spans``). Prices come from the platform's price classes
(``cost``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from publisher import cost, platforms
from publisher.cards import Card
from publisher.config import Settings
from publisher.digest import read_digest
from publisher.errors import InputError, Problem
from publisher.formatter import number_posts
from publisher.links import resolve
from publisher.plan import History, Planned, plan
from publisher.platforms import rules_within
from publisher.platforms.base import Options, Rules
from publisher.store.common import Status
from publisher.store.model import LoadedItem


@dataclass(frozen=True)
class Span:
    """A highlighted piece of a post's shown text: code-point indices ``[start, end)``."""

    start: int
    end: int
    kind: Literal["link", "tag"]
    target: str  # the link's URI, or the tag without '#'


@dataclass(frozen=True)
class Price:
    """What posting one post costs: its price class and the price per request in US dollars."""

    label: str
    usd: float


@dataclass
class PostView:
    number: str  # "N/M", from `numbering`
    text: str  # exactly as posted (the payload's text)
    spans: list[Span]
    counts: tuple[int, ...]
    limits: tuple[int, ...]
    problems: list[Problem] = field(default_factory=list)
    price: Price | None = None
    posted_url: str | None = None  # already posted: where it is


@dataclass
class ThreadView:
    title: str
    entry_id: str
    platform: str
    source: str  # FILE:LINE of the digest entry or of the queue file
    when: dt.datetime | None
    # A thread read from a digest is not queued yet (or not queued at all: see ``note``).
    status: Status | Literal["not queued yet", "not queued"]
    posts: list[PostView]
    card: Card | None = None
    problems: list[Problem] = field(default_factory=list)
    note: str = ""  # a revisit, or why enqueue would not queue it


@dataclass
class Preview:
    title: str
    threads: list[ThreadView] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # files that could not be read at all
    input_problems: bool = False  # a digest is invalid (exit 2) rather than a queue file (exit 1)

    def all_problems(self) -> list[Problem]:
        found = list(self.problems)
        for thread in self.threads:
            found.extend(thread.problems)
            for post in thread.posts:
                found.extend(post.problems)
        return sorted(found, key=lambda p: (p.path, p.line or 0, p.message))


def numbering(index: int, total: int) -> str:
    """The ``N/M`` shown for the post at 0-based ``index``: where the dry run takes it from."""
    return f"{index + 1}/{total}"


def price(platform: str, text: str, options: Options) -> Price | None:
    """What posting ``text`` costs on ``platform``: its price class, at its prices; None if free."""
    found = cost.post_price(platform, text, options)
    return None if found is None else Price(found.label, found.usd)


def spans(platform: str, payload: Mapping[str, Any]) -> list[Span]:
    """Where ``platform`` shows links and tags in the payload's text, in order; none when its
    descriptor does not say."""
    found = platforms.registry()[platform].spans
    return [Span(*span) for span in found(payload)] if found is not None else []


def post_view(
    rules: Rules,
    text: str,
    index: int,
    total: int,
    problems: list[Problem],
    options: Options | None = None,
) -> PostView:
    """One post as the platform shows it: text, highlights, measures, price class."""
    payload = rules.payload(text)
    shown = payload["text"]
    if options is None:  # the table's defaults
        options = platforms.registry()[rules.name].options()
    return PostView(
        number=numbering(index, total),
        text=shown,
        spans=spans(rules.name, payload),
        counts=rules.measures(text),
        limits=rules.limits,
        problems=problems,
        price=price(rules.name, shown, options),
    )


def _post_problems(
    rules: Rules, text: str, index: int, path: str, line: int | None
) -> list[Problem]:
    return [Problem(path, line, f"post {index + 1}: {m}") for m in rules.problems(text)]


def from_digests(
    paths: Sequence[Path],
    settings: Settings,
    rules: Mapping[str, Rules],
    history: History,
    now: dt.datetime,
) -> Preview:
    """Every digest's threads as ``enqueue`` would write them against ``history`` (the
    queue): the same plan (``plan.plan``), with its revisits, cards and times.

    A digest that does not read or cannot be laid out is shown as its problems; the others
    are previewed all the same. Links are not looked up (no network): cards are the arXiv ones.
    """
    preview = Preview(title="Preview of " + ", ".join(str(p) for p in paths))
    for path in paths:
        try:
            digest = read_digest(path)
            links = resolve([digest], settings.links, lookup=False, network=False)
            planned = plan(links.digests, settings, rules, now, history, links.cards)
        except InputError as exc:
            preview.problems.extend(exc.problems)
            preview.input_problems = True
            continue
        preview.threads.extend(_planned_thread(one, rules, settings) for one in planned)
    return preview


def _planned_thread(one: Planned, rules: Mapping[str, Rules], settings: Settings) -> ThreadView:
    item, digest = one.item, one.digest
    line = digest.lines[one.index] if one.index < len(digest.lines) else None
    platform_rules = rules[item.platform]
    texts = number_posts(item.posts, settings.format)
    options = settings.options(item.platform)
    posts = [
        post_view(
            platform_rules,
            text,
            i,
            len(texts),
            _post_problems(platform_rules, text, i, digest.source, line),
            options,
        )
        for i, text in enumerate(texts)
    ]
    notes = [f"a revisit of {one.earlier.describe()}"] if one.earlier else []
    notes += [one.skipped[1]] if one.skipped else []
    return ThreadView(
        title=item.title,
        entry_id=item.id,
        platform=item.platform,
        source=item.source or "",
        when=item.not_before if one.queued else None,
        status="not queued yet" if one.queued else "not queued",
        posts=posts,
        card=item.card,
        note="; ".join(notes),
    )


def from_queue(
    root: Path,
    items: list[LoadedItem],
    problems: list[Problem],
    rules: Mapping[str, Rules],
    settings: Settings,
) -> Preview:
    """Every queue file's thread, checked again as the scheduled job checks it: numbered as sent."""
    preview = Preview(title=f"Preview of the queue {root}", problems=list(problems))
    place = {name: n for n, name in enumerate(rules)}  # an entry's platforms in the usual order
    ordered = sorted(
        items,
        key=lambda li: (
            li.item.not_before.timestamp(),
            li.item.id,
            place.get(li.item.platform, len(place)),
            li.item.platform,
        ),
    )
    for loaded in ordered:
        preview.threads.append(_queued_thread(loaded, rules, settings))
    return preview


def _queued_thread(
    loaded: LoadedItem, rules: Mapping[str, Rules], settings: Settings
) -> ThreadView:
    item = loaded.item
    path = str(loaded.path)
    view = ThreadView(
        title=item.title,
        entry_id=item.id,
        platform=item.platform,
        source=path,
        when=item.not_before,
        status=item.status,
        posts=[],
        card=item.card,
    )
    if item.platform not in rules:
        view.problems.append(Problem(path, 2, f"unknown platform {item.platform!r}"))
        return view
    platform_rules = rules_within(rules, settings, item.platform, item.limits)
    total = len(item.posts)
    for i, text in enumerate(number_posts(item.posts, settings.format)):  # N/M is added when sent
        line = loaded.post_lines[i] if i < len(loaded.post_lines) else None
        posted = item.posted[i] if i < len(item.posted) else None
        # Posts already made are shown as they are, not checked again: they cannot change.
        found = [] if posted else _post_problems(platform_rules, text, i, path, line)
        post = post_view(platform_rules, text, i, total, found, settings.options(item.platform))
        post.posted_url = posted.url if posted else None
        view.posts.append(post)
    return view
