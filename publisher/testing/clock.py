"""A clock for tests: sleeping only moves time forward, so no test waits for real."""

from __future__ import annotations

from dataclasses import dataclass, field

from publisher.retry import Clock


@dataclass
class FakeClock(Clock):
    """A ``retry.Clock`` whose sleeps only move time forward, recording each wait."""

    t: float = 1_750_000_000.0
    waits: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.now = lambda: self.t
        self.sleep = self._sleep

    def _sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.t += seconds
