"""Threads that wait on a person: held or failed ones, and those that cost more than their
platform's whole monthly budget, each with why and what lets it go."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from publisher import cost
from publisher.config import Settings
from publisher.store.common import Status
from publisher.store.model import QueueItem

__all__ = ["Stuck", "needing_owner", "over_budget", "stuck_threads"]


@dataclass(frozen=True)
class Stuck:
    """A held or failed thread: it is not posted until someone acts."""

    key: str
    status: Status
    reason: str  # as recorded in the queue file; "" when none was
    action: str  # the command that lets it go

    def __str__(self) -> str:
        why = f": {self.reason}" if self.reason else " (no reason recorded)"
        then = "to let it go" if self.status == Status.HELD else "once the cause is fixed"
        return f"{self.key}  {self.status}{why}; {then}: {self.action}"


def stuck_threads(items: Iterable[QueueItem]) -> list[Stuck]:
    """Every held or failed thread, held first, in key order."""
    found = [
        Stuck(
            item.key,
            item.status,
            item.reason or "",
            f"publisher {'release' if item.status == Status.HELD else 'retry'} {item.key}",
        )
        for item in items
        if item.status in (Status.HELD, Status.FAILED)
    ]
    return sorted(found, key=lambda s: (s.status != Status.HELD, s.key))


def over_budget(items: Iterable[QueueItem], settings: Settings) -> list[Stuck]:
    """Open threads not begun that cost more than their platform's whole monthly budget: no
    month lets them go until someone raises the budget or shortens them (``cost.never_fits``).
    A run marks each failed with this reason; until then they are pending."""
    found = []
    for item in items:
        if item.status != Status.PENDING:
            continue
        why = cost.never_fits(item, settings)
        if why is not None:
            # Still pending: `retry` would only answer "already due"; the fix is the setting.
            found.append(
                Stuck(item.key, item.status, why, "nothing to run, it goes out at its time")
            )
    return sorted(found, key=lambda s: s.key)


def needing_owner(items: Iterable[QueueItem], settings: Settings) -> list[Stuck]:
    """Every thread that waits on a person: held, failed, or dearer than a whole month."""
    items = list(items)
    return stuck_threads(items) + over_budget(items, settings)
