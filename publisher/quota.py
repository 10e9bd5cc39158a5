"""Rolling quotas a platform enforces per account (its descriptor's ``Quota``): posts of each
kind within a window, read from the platform before a run starts a thread.

A thread not yet begun whose posts do not all fit what is left of every kind waits (the run
still exits 0) and the platform's later threads wait behind it, in order; a thread already begun
is finished whatever the quota says (a thread cut in the middle is worse than a post refused at
the end, which the adapter reports as a rate limit).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from publisher import platforms
from publisher.platforms.base import Quota

# Per platform, per kind: (used within the window, the limit the platform announces).
Usage = Mapping[str, Mapping[str, tuple[int, int]]]


@dataclass
class Quotas:
    """What is left of each platform's quota as a plan goes; ``read`` before it (None: not
    read, as in a dry run, where only the declared limits are known)."""

    read: Usage | None = None
    planned: dict[str, dict[str, int]] = field(default_factory=dict)
    reasons: set[str] = field(default_factory=set)  # every wait these quotas gave

    def said(self, why: str) -> bool:
        """Whether ``why`` is a wait for a quota (a real run says those too)."""
        return why in self.reasons

    def used(self, platform: str) -> dict[str, int]:
        return {k: u for k, (u, _) in (self.read or {}).get(platform, {}).items()}

    def limits(self, platform: str, quota: Quota) -> dict[str, int]:
        announced = {k: lim for k, (_, lim) in (self.read or {}).get(platform, {}).items()}
        return {**quota.limits, **announced}

    def why_not(self, platform: str, first: int, total: int, started: bool) -> str:
        """Why the posts ``first..total-1`` of a thread must wait ("" when they may go); what
        they take is counted either way when they go."""
        quota = _quota(platform)
        if quota is None:
            return ""
        need = quota.needs(first, total)
        so_far = self.planned.setdefault(platform, dict.fromkeys(quota.limits, 0))
        used, limits = self.used(platform), self.limits(platform, quota)
        short = [
            kind
            for kind, n in need.items()
            if n and used.get(kind, 0) + so_far.get(kind, 0) + n > limits.get(kind, 0)
        ]
        if short and not started:
            kind = short[0]
            taken = used.get(kind, 0) + so_far.get(kind, 0)
            why = (
                f"{platforms.title(platform)} quota of {limits[kind]} {kind} per "
                f"{quota.window / 3600:g} h: {taken} used, this thread needs {need[kind]} "
                "(waits until the rolling window frees them)"
            )
            self.reasons.add(why)
            return why
        for kind, n in need.items():
            so_far[kind] = so_far.get(kind, 0) + n
        return ""

    def lines(self, names: list[str]) -> list[str]:
        """One line per platform with a quota: what is used and what this plan takes."""
        out = []
        for name in names:
            quota = _quota(name)
            if quota is None:
                continue
            planned = self.planned.get(name, {})
            if self.read is None or name not in self.read:
                parts = [f"{planned.get(k, 0)}/{lim} {k}" for k, lim in quota.limits.items()]
                out.append(
                    f"{platforms.title(name)} quota ({quota.describe()}, rolling; not read in "
                    f"a dry run): this plan takes {', '.join(parts)}"
                )
                continue
            used = self.used(name)
            parts = [
                f"{used.get(k, 0)}+{planned.get(k, 0)}/{lim} {k}"
                for k, lim in self.limits(name, quota).items()
            ]
            out.append(
                f"{platforms.title(name)} quota (rolling {quota.window / 3600:g} h), used + "
                f"this run: {', '.join(parts)}"
            )
        return out


def _quota(name: str) -> Quota | None:
    platform = platforms.registry().get(name)
    return platform.quota if platform is not None else None


def with_quota(names: list[str]) -> list[str]:
    """Those of ``names`` whose platform declares a quota."""
    return [name for name in names if _quota(name) is not None]


def declared(names: list[str]) -> list[str]:
    """What the status shows: each quota as declared (its use is read by each run)."""
    return [
        f"{platforms.title(name)} quota: {quota.describe()}, rolling (read at each run)"
        for name in names
        if (quota := _quota(name)) is not None
    ]
