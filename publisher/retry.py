"""The one retry policy: only transient failures, exponential backoff with full jitter, never
sooner than the platform's announced reset, and never past the run's time budget.

``Clock`` is injectable so tests run at full speed and can read what would have been waited
(``publisher.testing.clock.FakeClock``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt
from tenacity.wait import wait_random_exponential

from publisher.config import RetrySettings
from publisher.errors import DeferUntil, TransientError, Unreachable

T = TypeVar("T")


@dataclass
class Clock:
    """Wall time and sleeping, replaceable in tests."""

    now: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep


@dataclass
class Budget:
    """How long this run may still spend waiting, shared by every call of the run."""

    settings: RetrySettings
    clock: Clock
    started: float = field(default=0.0)

    def __post_init__(self) -> None:
        self.started = self.clock.now()

    def remaining(self) -> float:
        return self.settings.budget_seconds - (self.clock.now() - self.started)


def call(fn: Callable[[], T], budget: Budget) -> T:
    """Run ``fn``, retrying ``TransientError`` within ``budget``.

    Raises ``DeferUntil`` when the next try would have to wait past the budget (the thread is
    then due again at that time), or the last ``TransientError`` when the attempts are spent.
    Anything else (``PermanentError`` and friends) passes through at once.
    """
    settings = budget.settings
    jitter = wait_random_exponential(multiplier=settings.initial_wait, max=settings.max_wait)

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        seconds = jitter(state)
        reset_at = getattr(error, "reset_at", None)
        if reset_at is not None:
            seconds = max(seconds, reset_at - budget.clock.now())
        if seconds > budget.remaining():
            if isinstance(error, Unreachable):
                # Nothing announced when to come back, and an unreachable platform deferred in
                # silence is how a wrong service URL goes unnoticed: the run fails instead.
                raise error
            resume = budget.clock.now() + seconds
            raise DeferUntil(
                resume, f"waiting {seconds:.0f} s would pass the run's time budget: {error}"
            )
        return max(seconds, 0.0)

    retrying = Retrying(
        retry=retry_if_exception_type(TransientError),
        wait=wait,
        stop=stop_after_attempt(settings.max_attempts),
        sleep=budget.clock.sleep,
        reraise=True,
    )
    return retrying(fn)
