"""What posting to X costs under its pay-per-use API, and the monthly spending cap. Pure, no I/O.

X bills each ``POST /2/tweets`` request: one price for a plain post, a higher one for a post "with
URL", that is one in which X links something. That is exactly what twitter-text's URL extraction
finds (``arxiv.org/abs/…`` counts, ``arXiv:2505.13447`` does not), so the price class of a post is
read from the same extraction the length counter uses. Other platforms cost nothing per post.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from publisher import text as textlib
from publisher.config import ScheduleSettings
from publisher.platforms.x import XOptions as XSettings

if TYPE_CHECKING:  # not imported at run time: `--dry-run DIGEST` never loads the queue (yaml)
    from publisher.filequeue import QueueItem

PRICED = "x"  # the one platform that bills per post
PLAIN, WITH_URL = "plain", "url"


price_class = textlib.price_class


def usd(amount: float) -> str:
    """``$1.62``, or ``$0.045`` where a tenth of a cent counts (X's plain post costs $0.015).

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
        """``x: 34 posts (6 with a URL), $1.62``; other platforms show the count only."""
        if platform != PRICED:
            return f"{platform}: {self.posts} posts"
        return f"{platform}: {self.posts} posts ({self.with_url} with a URL), {usd(self.usd)}"


def cost_of(classes: Iterable[str], prices: XSettings) -> Cost:
    """The cost of posts of these price classes."""
    total = Cost()
    for cls in classes:
        url = cls == WITH_URL
        total = total + Cost(1, int(url), prices.price(url))
    return total


def texts_cost(platform: str, texts: Sequence[str], prices: XSettings) -> Cost:
    """What sending ``texts`` on ``platform`` costs (nothing but the count off X)."""
    if platform != PRICED:
        return Cost(len(texts))
    return cost_of((price_class(t) for t in texts), prices)


def month_start(moment: dt.datetime, schedule: ScheduleSettings) -> dt.datetime:
    local = moment.astimezone(schedule.zone)
    return dt.datetime(local.year, local.month, 1, tzinfo=schedule.zone)


def next_month_start(moment: dt.datetime, schedule: ScheduleSettings) -> dt.datetime:
    local = moment.astimezone(schedule.zone)
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    return dt.datetime(year, month, 1, tzinfo=schedule.zone)


def spent_this_month(
    items: Iterable[QueueItem], now: dt.datetime, schedule: ScheduleSettings, prices: XSettings
) -> Cost:
    """X posts made in ``now``'s local month, priced by the class each record stored.

    A record written before price classes were stored is priced from its post's text.
    """
    start, end = month_start(now, schedule), next_month_start(now, schedule)
    classes = []
    for item in items:
        if item.platform != PRICED:
            continue
        for record in item.posted:
            if not start <= record.at < end:
                continue
            cls: str | None = record.price_class
            if cls is None and record.post <= len(item.posts):
                cls = price_class(item.posts[record.post - 1])
            classes.append(cls or PLAIN)
    return cost_of(classes, prices)


def queued_cost(items: Iterable[QueueItem], prices: XSettings) -> Cost:
    """What the X posts still to send in open threads will cost."""
    total = Cost()
    for item in items:
        if item.platform == PRICED and item.status in ("pending", "posting"):
            total = total + texts_cost(PRICED, item.posts[item.next_index :], prices)
    return total


def spend_line(
    items: Sequence[QueueItem], now: dt.datetime, schedule: ScheduleSettings, prices: XSettings
) -> str:
    """``x spend this month: $0.30 (20 posts, 0 with a URL) of $5.00; queued: $1.62 (…)``."""
    spent = spent_this_month(items, now, schedule, prices)
    queued = queued_cost(items, prices)
    cap = f" of {usd(prices.monthly_budget_usd)}" if prices.monthly_budget_usd else ""
    return (
        f"{PRICED} spend this month: {usd(spent.usd)} ({spent.posts} posts, {spent.with_url} "
        f"with a URL){cap}; queued: {usd(queued.usd)} ({queued.posts} posts, {queued.with_url} "
        "with a URL)"
    )


def post_label(platform: str, text: str, prices: XSettings) -> str:
    """What one post costs, for listings: ``url $0.200``; empty off X."""
    if platform != PRICED:
        return ""
    cls = price_class(text)
    return f"{cls} ${prices.price(cls == WITH_URL):.3f}"
