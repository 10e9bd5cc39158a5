"""A recording adapter that satisfies ``publisher.platforms.base.Adapter``, for tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from publisher.errors import PlatformError
from publisher.platforms.base import PostRef, Slot


@dataclass
class FakeAdapter:
    """Keeps every post in memory; ``fail`` queues errors to raise from the next ``post`` calls."""

    platform: str
    posts: list[dict[str, Any]] = field(default_factory=list)
    fail: list[PlatformError] = field(default_factory=list)
    closed: bool = False

    def post(self, payload: dict[str, Any], slot: Slot) -> PostRef:
        if self.fail:
            raise self.fail.pop(0)
        number = len(self.posts) + 1
        ref = PostRef(id=str(number), url=f"https://example.invalid/{self.platform}/{number}")
        self.posts.append(
            {
                "payload": payload,
                "thread_key": slot.thread_key,
                "index": slot.index,
                "parent": slot.parent.id if slot.parent else None,
                "root": slot.root.id if slot.root else None,
                "id": ref.id,
            }
        )
        return ref

    def find(self, payload: dict[str, Any], slot: Slot) -> PostRef | None:
        for made in self.posts:
            if made["thread_key"] == slot.thread_key and made["index"] == slot.index:
                return PostRef(
                    id=made["id"], url=f"https://example.invalid/{self.platform}/{made['id']}"
                )
        return None

    def whoami(self) -> str:
        return f"@fake-{self.platform}"

    def close(self) -> None:
        self.closed = True
