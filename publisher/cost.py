"""What posting costs where a platform bills each post, and its monthly cap. Pure, no I/O.

A platform that bills per post declares how a post's text is classed (its descriptor's
``price_class``, e.g. ``"plain"`` or ``"url"``) and prices each class in its options
(``PricedOptions``); everywhere else a post costs nothing and only the count is shown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, NamedTuple

from publisher import platforms
from publisher.config import ScheduleSettings
from publisher.platforms.base import Options, PricedOptions
from publisher.store.common import OPEN

if TYPE_CHECKING:  # not imported at run time: `--dry-run DIGEST` never loads the queue (yaml)
    from publisher.config import Settings
    from publisher.store.model import QueueItem

PLAIN, WITH_URL = "plain", "url"


def billed(platform: str) -> bool:
    """Whether ``platform`` bills each post."""
    return platforms.registry()[platform].price_class is not None


def priced(settings: Settings) -> list[str]:
    """The platforms that are on and bill each post."""
    return [name for name in settings.platforms if billed(name)]


def prices(settings: Settings, platform: str) -> PricedOptions:
    """The prices and cap of a platform that bills each post (its options table)."""
    options = settings.options(platform)
    assert isinstance(options, PricedOptions), platform
    return options


def price_class(platform: str, text: str) -> str | None:
    """The price class of ``text`` as a post on ``platform``; None where posts are free."""
    classify = platforms.registry()[platform].price_class
    return classify(text) if classify is not None else None


def usd(amount: float) -> str:
    """``$1.62``, or ``$0.045`` where a tenth of a cent counts (a plain post may cost $0.015).

    To a tenth of a cent, half up, whatever float sums left in the last digits.
    """
    mills = Decimal(repr(round(amount, 9))).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
    cents = mills.quantize(Decimal("0.01"))
    return f"${cents}" if cents == mills else f"${mills}"


@dataclass(frozen=True)
class Cost:
    """Posts, how many of them with a URL, and their price in USD."""

    posts: int = 0
    with_url: int = 0
    usd: float = 0.0

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.posts + other.posts, self.with_url + other.with_url, self.usd + other.usd)

    def line(self, platform: str) -> str:
        """``NAME: 34 posts (6 with a URL), $1.62``; platforms that do not bill show the count."""
        if not billed(platform):
            return f"{platform}: {self.posts} posts"
        return f"{platform}: {self.posts} posts ({self.with_url} with a URL), {usd(self.usd)}"


def cost_of(classes: Iterable[str], prices: PricedOptions) -> Cost:
    """The cost of posts of these price classes."""
    total = Cost()
    for cls in classes:
        total = total + Cost(1, int(cls == WITH_URL), prices.price(cls))
    return total


def texts_cost(platform: str, texts: Sequence[str], options: Options) -> Cost:
    """What sending ``texts`` on ``platform`` costs (only the count where posts are free)."""
    if not billed(platform) or not isinstance(options, PricedOptions):
        return Cost(len(texts))
    return cost_of((price_class(platform, t) or PLAIN for t in texts), options)


def thread_cost(item: QueueItem, settings: Settings) -> Cost:
    """What the posts a thread has still to send cost, as sent (numbered)."""
    from publisher.formatter import number_posts

    texts = number_posts(item.posts, settings.format)[item.next_index :]
    return texts_cost(item.platform, texts, settings.options(item.platform))


def budget_setting(platform: str) -> str:
    """The setting that caps ``platform``'s spend, as the config file writes it."""
    return f"[{platform}] monthly_budget_usd"


def never_fits(item: QueueItem, settings: Settings) -> str | None:
    """Why a thread not begun can never go out under its platform's monthly budget (it costs
    more than the whole of it); None when it can, or when nothing caps it."""
    if item.posted or item.platform not in priced(settings):
        return None
    cap = prices(settings, item.platform).monthly_budget_usd
    if not cap:
        return None
    price = thread_cost(item, settings).usd
    if price <= cap + 1e-9:  # 1e-9: sums of float prices
        return None
    setting = budget_setting(item.platform)
    return (
        f"costs {usd(price)}, more than the whole monthly budget ({setting} = {usd(cap)}): "
        f"no month lets it go; raise {setting} in config/publisher.toml, or shorten the thread"
    )


def month_start(moment: dt.datetime, schedule: ScheduleSettings) -> dt.datetime:
    local = moment.astimezone(schedule.zone)
    return dt.datetime(local.year, local.month, 1, tzinfo=schedule.zone)


def next_month_start(moment: dt.datetime, schedule: ScheduleSettings) -> dt.datetime:
    local = moment.astimezone(schedule.zone)
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    return dt.datetime(year, month, 1, tzinfo=schedule.zone)


def spent_this_month(
    items: Iterable[QueueItem],
    now: dt.datetime,
    schedule: ScheduleSettings,
    platform: str,
    prices: PricedOptions,
) -> Cost:
    """``platform``'s posts made in ``now``'s local month, priced by the class each record stored.

    A record written before price classes were stored is priced from its post's text.
    """
    start, end = month_start(now, schedule), next_month_start(now, schedule)
    classes = []
    for item in items:
        if item.platform != platform:
            continue
        for record in item.posted:
            if not start <= record.at < end:
                continue
            cls: str | None = record.price_class
            if cls is None and record.post <= len(item.posts):
                cls = price_class(platform, item.posts[record.post - 1])
            classes.append(cls or PLAIN)
    return cost_of(classes, prices)


def queued_cost(items: Iterable[QueueItem], platform: str, prices: PricedOptions) -> Cost:
    """What ``platform``'s posts still to send in open threads will cost."""
    total = Cost()
    for item in items:
        if item.platform == platform and item.status in OPEN:
            total = total + texts_cost(platform, item.posts[item.next_index :], prices)
    return total


def month_spend(
    items: Iterable[QueueItem], now: dt.datetime, settings: Settings
) -> dict[str, Cost]:
    """:func:`spent_this_month` of every platform that is on and bills."""
    items = list(items)
    return {
        name: spent_this_month(items, now, settings.schedule, name, prices(settings, name))
        for name in priced(settings)
    }


def spend_line(platform: str, spent: Cost, queued: Cost, prices: PricedOptions) -> str:
    """``NAME spend this month: $0.30 (20 posts, 0 with a URL) of $5.00; queued: $1.62 (…)``."""
    cap = f" of {usd(prices.monthly_budget_usd)}" if prices.monthly_budget_usd else ""
    return (
        f"{platform} spend this month: {usd(spent.usd)} ({spent.posts} posts, {spent.with_url} "
        f"with a URL){cap}; queued: {usd(queued.usd)} ({queued.posts} posts, {queued.with_url} "
        "with a URL)"
    )


def spend_lines(
    items: Sequence[QueueItem],
    now: dt.datetime,
    settings: Settings,
    spent: Mapping[str, Cost] | None = None,
) -> str:
    """:func:`spend_line` of every platform that is on and bills, one per line; ``spent`` is
    :func:`month_spend`, when the caller has it already."""
    if spent is None:
        spent = month_spend(items, now, settings)
    return "\n".join(
        spend_line(
            name,
            spent[name],
            queued_cost(items, name, prices(settings, name)),
            prices(settings, name),
        )
        for name in priced(settings)
    )


class PostPrice(NamedTuple):
    """What one post costs: its price class, its price and the name the price list gives it."""

    price_class: str
    usd: float
    label: str


def post_price(platform: str, text: str, options: Options) -> PostPrice | None:
    """What posting ``text`` on ``platform`` costs; None where posts are free."""
    cls = price_class(platform, text)
    if cls is None or not isinstance(options, PricedOptions):
        return None
    return PostPrice(cls, options.price(cls), options.label(cls))


def post_label(platform: str, text: str, options: Options) -> str:
    """What one post costs, for listings: ``url $0.200``; empty where posts are free."""
    found = post_price(platform, text, options)
    return "" if found is None else f"{found.price_class} ${found.usd:.3f}"


def price_fields(platform: str, text: str, options: Options) -> dict[str, object]:
    """A post's price class and price, for ``--json``; nothing where posts are free."""
    found = post_price(platform, text, options)
    return {} if found is None else {"price_class": found.price_class, "price_usd": found.usd}
