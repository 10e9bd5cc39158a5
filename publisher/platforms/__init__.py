"""The platform registry: one module per platform, looked up by name in plain dicts.

Rules are light and built eagerly; adapters import their SDK (tweepy, atproto) only when built.
"""

from __future__ import annotations

from collections.abc import Callable

from publisher.config import (
    FormatSettings,
    RetrySettings,
    XSettings,
    bluesky_credentials,
    x_credentials,
)
from publisher.platforms.base import Adapter, PostRef, Rules
from publisher.platforms.bluesky import BlueskyRules
from publisher.platforms.x import XRules

__all__ = ["ADAPTERS", "Adapter", "PostRef", "Rules", "rules_for"]


def rules_for(
    options: FormatSettings, x: XSettings | None = None
) -> dict[str, XRules | BlueskyRules]:
    """The text rules of every platform, as configured."""
    link = (x or XSettings()).link
    return {"x": XRules(options.x_hashtag_style, link), "bluesky": BlueskyRules()}


def _x_adapter(retry: RetrySettings) -> Adapter:
    from publisher.platforms.x_adapter import XAdapter

    return XAdapter(x_credentials(), timeout=retry.timeout_seconds)


def _bluesky_adapter(retry: RetrySettings) -> Adapter:
    from publisher.platforms.bluesky_adapter import BlueskyAdapter

    creds = bluesky_credentials()
    return BlueskyAdapter(
        handle=creds.handle,
        app_password=creds.app_password,
        service=creds.service,
        timeout=retry.timeout_seconds,
    )


ADAPTERS: dict[str, Callable[[RetrySettings], Adapter]] = {
    "x": _x_adapter,
    "bluesky": _bluesky_adapter,
}
