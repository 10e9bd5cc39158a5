"""The contracts every platform module fulfils: its text rules and its posting adapter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


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
    """

    thread_key: str
    index: int
    root: PostRef | None = None
    parent: PostRef | None = None


class Rules(Protocol):
    """How a platform measures and renders text. Pure: no I/O, no heavy imports."""

    name: str
    limit: int

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

    def close(self) -> None:
        """Release connections."""
        ...
