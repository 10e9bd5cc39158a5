"""What a platform is: its descriptor, its settings and credentials, its text rules, its adapter.

Each platform is one module of ``publisher/platforms/`` that declares ``PLATFORM = Platform(...)``;
the registry (``publisher.platforms.registry``) finds it there. Everything else in the program
(config, CLI, runner, preview) works from these descriptors and never names a platform.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

Layout = Literal["sections", "paired", "compact"]
# A highlighted piece of a post's text: code-point [start, end), "link" or "tag", the target.
Span = tuple[int, int, Literal["link", "tag"], str]


class Options(BaseModel):
    """A platform's table in ``config/publisher.toml`` (``[x]``, ``[bluesky]``, ...).

    Every platform has these two; a platform's own model adds its settings.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Posts per local day; threads that would pass it wait for the next day. None: the
    # platform's default (``Platform.daily_posts``).
    daily_posts: int | None = Field(default=None, ge=0)
    # This platform's thread layout; None: ``[format] layout``.
    layout: Layout | None = None

    def shown(self) -> dict[str, str]:
        """Settings a dry run shows with each of its threads in ``--json``; none by default."""
        return {}

    def note(self) -> str:
        """One line for a dry run on a setting that changes what is posted; "" for none."""
        return ""

    def left_out(self, link: str) -> str:
        """What these settings leave out of a thread whose paper link is ``link``, and the
        setting that would keep it, for the dry run; "" when the link is posted."""
        return ""


class PricedOptions(Options):
    """The table of a platform that bills each post: a price per price class, a monthly cap."""

    monthly_budget_usd: float = Field(default=0, ge=0)  # 0: no cap

    def price(self, price_class: str) -> float:
        """What one post of ``price_class`` costs, in USD."""
        raise NotImplementedError

    def label(self, price_class: str) -> str:
        """How the platform's price list names ``price_class``."""
        return price_class

    def check_price(self) -> tuple[str, float] | None:
        """What the adapter's ``whoami`` call costs, as (the price list's name, USD); None when
        it is free."""
        return None


class Credentials(BaseModel):
    """What a platform needs from the environment: one field per variable, named by its alias.

    ``api_key: SecretStr = Field(alias="X_API_KEY")``. ``SecretStr`` fields are secrets (scrubbed
    from every output); a field with a default is optional; :func:`service_url` marks an
    address. Built on first use: a dry run never needs them.
    """

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)


def service_url(variable: str, default: str | None = None) -> Any:
    """A credentials field for a server address: an http(s) URL, ``default`` when unset."""
    extra: dict[str, Any] = {"url": True, "example": default or "https://example.social"}
    if default is None:
        return Field(alias=variable, json_schema_extra=extra)
    return Field(default=default, alias=variable, json_schema_extra=extra)


@dataclass(frozen=True)
class Quota:
    """A rolling quota the platform enforces on each account: at most ``limits[kind]`` posts of
    each kind within any ``window`` seconds. ``kind`` tells a post's kind from its 0-based place
    in its thread. The platform's adapter then has ``quota_used()`` (see :class:`QuotaAdapter`),
    which the run reads before a thread starts."""

    window: int
    limits: Mapping[str, int]
    kind: Callable[[int], str]

    def needs(self, first: int, total: int) -> dict[str, int]:
        """How many posts of each kind the posts ``first..total-1`` of a thread are."""
        found = dict.fromkeys(self.limits, 0)
        for index in range(first, total):
            kind = self.kind(index)
            found[kind] = found.get(kind, 0) + 1
        return found

    def describe(self) -> str:
        """``250 posts and 1000 replies per 24 h``."""
        parts = [f"{limit} {kind}" for kind, limit in self.limits.items()]
        hours = self.window / 3600
        return f"{' and '.join(parts)} per {hours:g} h"


@dataclass(frozen=True)
class Platform:
    """A platform, as its module declares it (``PLATFORM = Platform(...)``)."""

    name: str  # the key in ``platforms = [...]``, its config table and ``--platform``
    title: str  # how people write it
    options: type[Options]  # its config table
    credentials: type[Credentials]  # its environment variables
    daily_posts: int  # the default posts per local day
    rules: Callable[[Any, Mapping[str, int]], Rules]  # (its options, server limits) -> rules
    # "module:function"; function(credentials, options, timeout) -> Adapter. Imported only when
    # a post is really sent.
    adapter: str
    rank: int = 100  # its place in lists
    on_by_default: bool = True  # in the default ``platforms = [...]``
    # "module:function"; function(credentials, timeout) -> limits read from the server once per
    # run at enqueue and cached in the queue file; None: the rules' own limits.
    limits: str | None = None
    # Old config keys still read, with a deprecation note: {"format.x_layout": "layout"}.
    renamed: Mapping[str, str] = field(default_factory=dict)
    # Whether its threads carry a link card for the paper (fetched at enqueue).
    cards: bool = False
    # A platform that bills each post: the price class of a post's text (priced by its
    # ``PricedOptions``). None: posts are free.
    price_class: Callable[[str], str] | None = None
    # What its measures are called in the preview, in the order of ``Rules.limits``:
    # ("",) for one length, (" graphemes", " bytes") for two.
    measure_names: tuple[str, ...] = ("",)
    # Other words that name it (its SDK, an old name, what its posts are called), so that
    # tests/test_platform_names.py also finds them outside publisher/platforms/.
    aliases: tuple[str, ...] = ()
    color: str = "#536471"  # its badge and highlight colour in the preview
    # Where it shows links and tags in a payload's text, as (start, end, "link" | "tag",
    # target) in code points; None: nothing is highlighted.
    spans: Callable[[Mapping[str, Any]], list[Span]] | None = None
    # How its name shows in code, when its name is also an ordinary word of the program (a
    # regular expression, case-sensitive; tests/test_platform_names.py uses it instead of the
    # name and title as words). None: its name and title, as words, in any case.
    name_pattern: str | None = None
    # A rolling per-account quota it enforces (posts of each kind per window); None: none.
    quota: Quota | None = None
    # "module:function"; function(credentials, timeout) -> a refreshed access token, for a
    # platform whose tokens expire unless refreshed (``publisher refresh-token NAME``).
    refresh: str | None = None


@dataclass(frozen=True)
class PostRef:
    """Where a post lives once the platform confirmed it."""

    id: str
    url: str
    uri: str | None = None  # at:// URI on Bluesky
    cid: str | None = None  # content id on Bluesky (needed for reply strong refs)


@dataclass(frozen=True)
class Slot:
    """Where a post goes: its thread's stable id, its 0-based place, the posts it replies to.

    ``root`` is the thread's first post and ``parent`` the one before; both are None for the
    first post. Adapters may derive idempotency keys from ``(thread_key, index)``.

    ``since`` (epoch seconds, real time) is the post's ``sending`` mark less a small clock
    allowance: a post ``find`` turns up that was created earlier is not this one, whatever its
    text, so a post of another thread is never adopted. ``taken`` are post ids that other
    threads have recorded: never this post either.
    """

    thread_key: str
    index: int
    root: PostRef | None = None
    parent: PostRef | None = None
    since: float | None = None
    taken: frozenset[str] = frozenset()


class Rules(Protocol):
    """How a platform measures and renders text. Pure: no I/O, no heavy imports."""

    name: str
    limit: int
    layout: str | None  # this platform's layout; None: the configured default
    # Text its link policy writes in place of a URL (X's ``arXiv:ID``), kept whole in one post
    # as the URL would be; None: nothing but URLs.
    whole: re.Pattern[str] | None

    @property
    def limits(self) -> tuple[int, ...]:
        """The limit of each measure: (weighted length,) on X, (graphemes, bytes) on Bluesky."""
        ...

    def length(self, text: str) -> int:
        """The length of ``text`` as the platform counts it, once rendered."""
        ...

    def measures(self, text: str) -> tuple[int, ...]:
        """Every measure the platform limits, in the order of ``limits``. Additive over words."""
        ...

    def problems(self, text: str) -> list[str]:
        """Why the platform would refuse ``text`` as a post; empty when it is fine."""
        ...

    def hashtag(self, tag: str) -> str:
        """How a digest hashtag (without '#') is written in a post on this platform."""
        ...

    def link(self, url: str) -> str | None:
        """How the paper link is written in the header post; None leaves it out."""
        ...

    def inline_link(self, url: str) -> str:
        """How a URL in the comments is written: as it is, or (X) by the link policy."""
        ...

    def payload(self, text: str) -> dict[str, Any]:
        """The exact record sent for ``text``: ``text`` and, per platform, facets and langs."""
        ...


class Adapter(Protocol):
    """Posts to one platform. Raises only ``publisher.errors.PlatformError`` subclasses."""

    platform: str

    def post(self, payload: dict[str, Any], slot: Slot) -> PostRef:
        """Create one post at ``slot``, as a reply to ``slot.parent`` when there is one."""
        ...

    def find(self, payload: dict[str, Any], slot: Slot) -> PostRef | None:
        """After an unknown outcome: the post if it was made, None if it certainly was not.

        Raises ``PermanentError`` when it cannot tell (then a person has to look).
        """
        ...

    def whoami(self) -> str:
        """The account the credentials log in to (``@name``), by the platform's cheapest call:
        what ``publisher doctor --online`` shows. Raises ``AccountRefused`` when the platform
        refuses the credentials."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


class QuotaAdapter(Adapter, Protocol):
    """The adapter of a platform that declares a :class:`Quota`."""

    def quota_used(self) -> dict[str, tuple[int, int]]:
        """Per kind, the posts the account has made within the quota's window and the limit
        the platform announces now (it may differ from the declared one)."""
        ...
