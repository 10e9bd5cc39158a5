"""A recording adapter that satisfies ``publisher.platforms.base.Adapter``, for tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from publisher.errors import PlatformError
from publisher.platforms.base import PostRef


@dataclass
class FakeAdapter:
    """Keeps every post in memory; ``fail`` queues errors to raise from the next ``post`` calls."""

    platform: str
    posts: list[dict[str, Any]] = field(default_factory=list)
    fail: list[PlatformError] = field(default_factory=list)
    closed: bool = False

    def post(
        self,
        payload: dict[str, Any],
        *,
        thread_key: str,
        index: int,
        root: PostRef | None,
        parent: PostRef | None,
    ) -> PostRef:
        if self.fail:
            raise self.fail.pop(0)
        number = len(self.posts) + 1
        ref = PostRef(id=str(number), url=f"https://example.invalid/{self.platform}/{number}")
        self.posts.append(
            {
                "payload": payload,
                "thread_key": thread_key,
                "index": index,
                "parent": parent.id if parent else None,
                "root": root.id if root else None,
                "id": ref.id,
            }
        )
        return ref

    def find(
        self,
        payload: dict[str, Any],
        *,
        thread_key: str,
        index: int,
        root: PostRef | None,
        parent: PostRef | None,
    ) -> PostRef | None:
        for made in self.posts:
            if made["thread_key"] == thread_key and made["index"] == index:
                return PostRef(
                    id=made["id"], url=f"https://example.invalid/{self.platform}/{made['id']}"
                )
        return None

    def close(self) -> None:
        self.closed = True
