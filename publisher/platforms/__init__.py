"""The platform registry: every module of this package that declares ``PLATFORM``.

A platform is one module named after it (``x.py``, ``bluesky.py``, ...) holding its descriptor
and its light, pure text rules; its adapter sits beside it in a module with an underscore in its
name (``x_adapter.py``), which is imported only when a post is really sent. Adding a platform is
adding such a module: nothing else in the program names one (docs/adding-a-platform.md).
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from publisher.platforms.base import Adapter, Credentials, Options, Platform, PostRef, Rules


class Configured(Protocol):
    """What the settings give the registry: each platform's options table."""

    def options(self, name: str) -> Options: ...


__all__ = [
    "Adapter",
    "Credentials",
    "Options",
    "Platform",
    "PostRef",
    "Rules",
    "connect",
    "registry",
    "rules_for",
    "rules_within",
]


@functools.cache
def registry() -> dict[str, Platform]:
    """Every platform, by name, in their ``rank`` order."""
    found: list[Platform] = []
    for module in pkgutil.iter_modules(__path__):
        if "_" in module.name or module.ispkg:
            continue  # adapters, transports and helpers: imported only when needed
        declared = getattr(importlib.import_module(f"{__name__}.{module.name}"), "PLATFORM", None)
        if isinstance(declared, Platform):
            found.append(declared)
    return {p.name: p for p in sorted(found, key=lambda p: (p.rank, p.name))}


def names() -> tuple[str, ...]:
    """The platforms' names, in order."""
    return tuple(registry())


def title(name: str) -> str:
    """How people write the platform's name."""
    return registry()[name].title


def account_variables(name: str) -> list[str]:
    """The environment variables that make up ``name``'s account (its credentials' aliases,
    server addresses left out): what to check when the platform refuses the login."""
    fields = registry()[name].credentials.model_fields.values()
    return [
        f.alias
        for f in fields
        if f.alias
        and not (isinstance(f.json_schema_extra, dict) and f.json_schema_extra.get("url"))
    ]


def rules_for(
    settings: Configured, limits: Mapping[str, Mapping[str, int]] | None = None
) -> dict[str, Rules]:
    """The text rules of every platform, as configured; ``limits`` are servers' own limits."""
    return {
        name: platform.rules(settings.options(name), (limits or {}).get(name, {}))
        for name, platform in registry().items()
    }


def rules_within(
    rules: Mapping[str, Rules],
    settings: Configured,
    name: str,
    limits: Mapping[str, int] | None,
) -> Rules:
    """``rules[name]``, or, for a thread whose queue file cached its server's ``limits`` at
    enqueue, the platform's rules within those limits (not the ones read in this run)."""
    platform = registry().get(name)
    if not limits or platform is None:
        return rules[name]
    return platform.rules(settings.options(name), limits)


def _load(path: str) -> Any:
    module, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module), attribute)


def connect(name: str, credentials: Credentials, options: Options, timeout: float) -> Adapter:
    """The platform's adapter; imports its SDK now, not before."""
    adapter: Adapter = _load(registry()[name].adapter)(credentials, options, timeout)
    return adapter


def server_limits(name: str, credentials: Credentials, timeout: float) -> dict[str, int]:
    """The limits the platform's server announces ({} when it has no look-up)."""
    hook = registry()[name].limits
    if hook is None:
        return {}
    limits: dict[str, int] = _load(hook)(credentials, timeout)
    return limits


def with_cards(platforms: Iterable[str]) -> list[str]:
    """Those of ``platforms`` whose threads carry a link card."""
    return [name for name in platforms if registry()[name].cards]


def refresh_token(name: str, credentials: Credentials, timeout: float) -> str:
    """A refreshed access token for ``name`` (whose descriptor has ``refresh``)."""
    hook = registry()[name].refresh
    if hook is None:
        raise ValueError(f"{name} has no token refresh")
    token: str = _load(hook)(credentials, timeout)
    return token
