"""The one exception tree of the publisher.

Lower layers (the platforms' SDKs, httpx, requests, the file system) are converted into these at the
module boundary, so the CLI only ever has to know about ``PublisherError``. Every class says its
``scope``: what it stops, which is what a caller does about it (the runner's dispatch is a table
keyed by scope, not a chain of ``isinstance`` checks whose order matters):

==========  ============================================================================  ========
scope       classes                                                                       exit
==========  ============================================================================  ========
POST        PermanentError, DuplicatePost, FormatError: this post is refused; the thread  1
            fails and the run goes on with the next
PLATFORM    Unreachable, AccountRefused: the platform or account takes nothing now; the   1
            thread stays due and the platform is stopped for the run
CREDIT      OutOfCredit: as PLATFORM, reported as the account's credit                    1
TRANSIENT   TransientError, RateLimited: worth trying again later; the thread waits       1
WAIT        DeferUntil: the next try must wait past this run; the thread is due at ``at``  0
OPTIONAL    CardError, ArxivError: something optional (a link card, an arXiv look-up)    0
            is left out; nothing fails
INPUT       InputError, TransitionRefused: a file or a request is wrong (FILE:LINE)       2
CONFIG      ConfigError, ScaffoldError: settings, credentials or ``init``'s request       2
RUN         QueueError, QueueBusy, CommitBackError: the run as a whole cannot go on       1
==========  ============================================================================  ========
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path


class Scope(Enum):
    """What an error stops (see the table above)."""

    POST = "post"
    PLATFORM = "platform"
    CREDIT = "credit"
    TRANSIENT = "transient"
    WAIT = "wait"
    OPTIONAL = "optional"
    INPUT = "input"
    CONFIG = "config"
    RUN = "run"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input file, at a line (1-based) where one can be named."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


class PublisherError(Exception):
    """Base of every error the publisher raises on purpose."""

    scope: Scope = Scope.RUN


class InputError(PublisherError):
    """A digest, queue or config file is wrong. Carries every problem found, not only the first."""

    scope = Scope.INPUT

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.path, p.line or 0))
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def one(cls, path: str | Path, line: int | None, message: str) -> InputError:
        return cls([Problem(str(path), line, message)])


class ConfigError(PublisherError):
    """Settings or credentials are missing or wrong."""

    scope = Scope.CONFIG


class FormatError(PublisherError):
    """An entry's content cannot be laid out within a platform's limit."""

    scope = Scope.POST

    def __init__(self, entry_id: str, platform: str, message: str) -> None:
        self.entry_id = entry_id
        self.platform = platform
        super().__init__(f"{entry_id} ({platform}): {message}")


class QueueError(PublisherError):
    """The queue folder cannot be used as it is (its lock is not a plain file, say)."""

    scope = Scope.RUN


class QueueBusy(PublisherError):
    """Another publisher run holds the queue lock."""

    scope = Scope.RUN


class PlatformError(PublisherError):
    """Talking to a platform failed. Never carries a secret in its message."""

    scope = Scope.POST

    def __init__(self, message: str, *, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


class TransientError(PlatformError):
    """Worth retrying: 429, 5xx, timeouts, dropped connections.

    ``outcome_unknown`` is true when the request may have been carried out (a timeout or a 5xx
    after the body was sent): the post must be looked up before it is sent again.
    ``reset_at`` is the epoch time the platform announced as the earliest retry, if any.
    """

    scope = Scope.TRANSIENT

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        reset_at: float | None = None,
        outcome_unknown: bool = False,
    ) -> None:
        super().__init__(message, status=status)
        self.reset_at = reset_at
        self.outcome_unknown = outcome_unknown


class Unreachable(TransientError):
    """The platform could not be reached at all (no connection): nothing was sent.

    Retried like any transient error, but a run that ends on it fails (exit 1): a wrong or dead
    service URL must not look like a quiet day.
    """

    scope = Scope.PLATFORM

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message, status=status, outcome_unknown=False)


class RateLimited(TransientError):
    """429 or a daily cap: wait at least until ``reset_at``."""


class PermanentError(PlatformError):
    """Never retried: 400, 401, 403, 404, 413."""

    scope = Scope.POST


class AccountRefused(PermanentError):
    """The platform refused the account, not the post: credentials (401), out of credit (402).

    No retry cures it and no thread is at fault: threads stay pending and the run fails.
    """

    scope = Scope.PLATFORM


class OutOfCredit(AccountRefused):
    """The platform refuses to post until the account's prepaid credits are topped up (HTTP 402).

    Neither transient (retrying in this run cannot help) nor permanent for the thread: the thread
    waits, and the platform is stopped for the rest of the run.
    """

    scope = Scope.CREDIT


class DuplicatePost(PermanentError):
    """The platform says this exact post already exists (a duplicate refused).

    ``original`` is the URL of the older post it duplicates, when a look-up found it; then the
    post is certainly not this thread's own and must be edited before a retry.
    """

    def __init__(
        self, message: str, *, status: int | None = None, original: str | None = None
    ) -> None:
        super().__init__(message, status=status)
        self.original = original


class DeferUntil(PublisherError):
    """The next attempt must wait past this run's time budget; the thread is due again at ``at``."""

    scope = Scope.WAIT

    def __init__(self, at: float, reason: str) -> None:
        self.at = at
        self.reason = reason
        super().__init__(reason)


class TransitionRefused(PublisherError):
    """A move the thread's state does not allow (``publisher.store.lifecycle``); the message says
    why, for the person who asked (the CLI adds the file and line)."""

    scope = Scope.INPUT


class CommitBackError(PublisherError):
    """The queue's state could not be pushed (``publisher.gitsync``); the local commit, if any, is
    kept."""

    scope = Scope.RUN


class ScaffoldError(PublisherError):
    """A request ``init`` cannot carry out (an action reference it cannot pin, ...)."""

    scope = Scope.CONFIG


class CardError(PublisherError):
    """A page or image could not be fetched or read (``publisher.cards``): the post goes
    without its card."""

    scope = Scope.OPTIONAL


class ArxivError(PublisherError):
    """The arXiv API could not be asked or did not answer usefully (network, timeout, status,
    XML): the look-up is left out."""

    scope = Scope.OPTIONAL
