"""Settings: ``config/publisher.toml`` (checked in, no secrets) plus the environment.

This is the only module that reads the environment. ``.env`` is loaded with python-dotenv and the
real environment wins over it. Secrets are ``SecretStr`` so they print as ``**********``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from publisher.config_problems import did_you_mean, problems_of
from publisher.errors import ConfigError, InputError

DEFAULT_CONFIG = Path("config/publisher.toml")
MAX_ENV_BYTES = 1 << 20
MAX_CONFIG_BYTES = 1 << 20
PLATFORMS = ("x", "bluesky")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FormatSettings(_Section):
    """How a digest entry becomes a thread (see config/README.md)."""

    layout: Literal["sections", "paired", "compact"] = "sections"
    numbering: Literal["fraction", "marker", "none"] = "fraction"
    marker: str = "🧵"
    include_abstract: bool = False
    x_hashtag_style: Literal["underscore", "camel", "join"] = "underscore"
    # The header lists the first max_authors names, then "et al."; 0 lists them all.
    max_authors: int = Field(default=6, ge=0)
    # X's own layout, since each X post is paid for; None: the same as ``layout``.
    x_layout: Literal["sections", "paired", "compact"] | None = None

    def layout_for(self, platform: str) -> str:
        """The layout of ``platform``'s threads."""
        if platform == "x" and self.x_layout is not None:
            return self.x_layout
        return self.layout


class ScheduleSettings(_Section):
    """When queued threads may go out."""

    timezone: str = "Asia/Seoul"
    slots: list[str] = Field(default_factory=lambda: ["09:00", "12:00", "15:00", "18:00", "21:00"])
    spacing_minutes: int = Field(default=0, ge=0)
    threads_per_slot: int = Field(default=1, ge=1)
    max_threads_per_run: int = Field(default=2, ge=1)
    daily_posts: dict[str, int] = Field(default_factory=lambda: {"x": 17, "bluesky": 300})

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            hint = did_you_mean(name, available_timezones())
            raise ValueError(f"unknown time zone {name!r}{hint}") from None
        return name

    @field_validator("slots")
    @classmethod
    def _slot_times(cls, slots: list[str]) -> list[str]:
        for slot in slots:
            try:
                dt.time.fromisoformat(slot)
            except ValueError:
                raise ValueError(f"slot {slot!r} is not a time like '09:00'") from None
        return sorted(slots)

    @model_validator(mode="after")
    def _some_time(self) -> ScheduleSettings:
        if not self.slots and not self.spacing_minutes:
            raise ValueError("slots is empty: give at least one time like '09:00'")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def slot_times(self) -> list[dt.time]:
        return [dt.time.fromisoformat(s) for s in self.slots]


class RetrySettings(_Section):
    """How long one run may spend waiting on transient failures."""

    budget_seconds: float = Field(default=300, ge=0)
    max_attempts: int = Field(default=6, ge=1)
    initial_wait: float = Field(default=2, ge=0)
    max_wait: float = Field(default=60, ge=0)
    timeout_seconds: float = Field(default=20, gt=0)


class XSettings(_Section):
    """X's own settings: how paper links are written, what a post costs, a monthly cap in USD.

    ``link``: how the paper link is written on X. A post in which X links something is billed at
    the URL price (13 times a plain post), so: "id" writes ``arXiv:2505.13447`` as text (X neither
    links nor bills it; a link that is not on arXiv is left out), "url" writes the link, "none"
    leaves it out.
    """

    link: Literal["id", "url", "none"] = "id"
    price_per_post: float = Field(default=0.015, ge=0)
    price_per_post_with_url: float = Field(default=0.20, ge=0)
    monthly_budget_usd: float = Field(default=0, ge=0)  # 0: no cap

    def price(self, with_url: bool) -> float:
        return self.price_per_post_with_url if with_url else self.price_per_post


class LinksSettings(_Section):
    """How paper links and link cards are found at enqueue (see config/README.md).

    Both are off by default: with them off, enqueue never touches the network, so its result does
    not depend on arXiv or a web site being up, and no title leaves the machine unasked.
    """

    arxiv_lookup: bool = False
    page_cards: bool = False
    timeout_seconds: float = Field(default=10, gt=0)


class Settings(_Section):
    """Everything a run needs except the secrets."""

    platforms: list[Literal["x", "bluesky"]] = Field(default_factory=lambda: ["x", "bluesky"])  # type: ignore[arg-type]
    format: FormatSettings = FormatSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    retry: RetrySettings = RetrySettings()
    x: XSettings = XSettings()
    links: LinksSettings = LinksSettings()


class _Credentials(_Section):
    # Built on first use: a dry run never needs them.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class XCredentials(_Credentials):
    api_key: SecretStr
    api_secret: SecretStr
    access_token: SecretStr
    access_token_secret: SecretStr
    base_url: str = "https://api.twitter.com"


class BlueskyCredentials(_Credentials):
    handle: str
    app_password: SecretStr
    service: str = "https://bsky.social"


ENV_NAMES: dict[str, dict[str, str]] = {
    "x": {
        "api_key": "X_API_KEY",
        "api_secret": "X_API_SECRET",
        "access_token": "X_ACCESS_TOKEN",
        "access_token_secret": "X_ACCESS_TOKEN_SECRET",
    },
    "bluesky": {"handle": "BLUESKY_HANDLE", "app_password": "BLUESKY_APP_PASSWORD"},
}


def load_settings(path: Path | None = None) -> Settings:
    """Read ``path``, ``$PUBLISHER_CONFIG`` or ``config/publisher.toml``; defaults if absent."""
    from_env = path is None and "PUBLISHER_CONFIG" in os.environ
    explicit = path is not None or from_env
    path = path or Path(os.environ.get("PUBLISHER_CONFIG", DEFAULT_CONFIG))
    if not path.exists():
        if explicit:
            named = " (named by the environment variable PUBLISHER_CONFIG)" if from_env else ""
            raise InputError.one(path, None, f"config file not found{named}")
        return _validate({}, str(path))
    if not path.is_file():  # a FIFO would hang the read, a device never end
        raise InputError.one(path, None, "not a regular file")
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise InputError.one(path, None, f"larger than {MAX_CONFIG_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
        raw = tomllib.loads(text)
    except OSError as exc:
        raise InputError.one(path, None, f"cannot read: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        found = re.search(r"at line (\d+)", str(exc))
        line = int(found.group(1)) if found else None
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise InputError.one(path, line, f"not valid TOML: {message}") from None
    return _validate(raw, str(path), text)


def _validate(raw: dict[str, object], where: str, text: str | None = None) -> Settings:
    """Settings from the file's values and the environment's; errors name where each came from."""
    env: dict[str, str] = {}
    override = os.environ.get("PUBLISHER_PLATFORMS")
    if override is not None:  # e.g. in .env: PUBLISHER_PLATFORMS=bluesky
        raw = {**raw, "platforms": [p.strip() for p in override.split(",") if p.strip()]}
        env["platforms"] = "PUBLISHER_PLATFORMS"
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        raise InputError(problems_of(exc, Settings, where, text, env)) from None


def load_env(dotenv_path: Path | None = None) -> None:
    """Load ``.env`` into the environment; variables already set win."""
    path = dotenv_path or Path(".env")
    if not path.is_file():
        return
    from dotenv import dotenv_values

    try:
        if path.stat().st_size > MAX_ENV_BYTES:
            raise InputError.one(path, None, f"larger than {MAX_ENV_BYTES} bytes: not a .env file")
        with path.open(encoding="utf-8") as handle:
            values = dotenv_values(stream=handle)
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise InputError.one(path, line, f"not UTF-8: invalid byte at offset {exc.start}") from None
    except OSError as exc:
        raise InputError.one(path, None, f"cannot read: {exc.strerror or exc}") from None
    for name, value in values.items():
        if value is not None and name not in os.environ:
            if "\x00" in name or "\x00" in value or "=" in name or not name:
                raise InputError.one(path, None, f"variable {name!r} cannot be set")
            os.environ[name] = value


def x_credentials() -> XCredentials:
    values = _require("x")
    base = service_url("X_API_BASE_URL", "https://api.twitter.com")
    return XCredentials(**values, base_url=base)


def bluesky_credentials() -> BlueskyCredentials:
    values = _require("bluesky")
    service = service_url("BLUESKY_SERVICE", "https://bsky.social")
    return BlueskyCredentials(**values, service=service)


SERVICE_URLS = {"x": "X_API_BASE_URL", "bluesky": "BLUESKY_SERVICE"}


def service_url(name: str, default: str) -> str:
    """``$name`` (or ``default``) without a trailing slash; ``ConfigError`` unless http(s)."""
    from urllib.parse import urlsplit

    value = os.environ.get(name) or default
    try:
        parts = urlsplit(value)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # e.g. a port that is not a number
        ok = False
    if not ok or any(c.isspace() or ord(c) < 0x20 for c in value):
        raise ConfigError(f"{name} must be an http(s) URL like {default}, not {value!r}")
    return value.rstrip("/")


ARXIV_API_DEFAULT = "https://export.arxiv.org/api/query"


def arxiv_api_url() -> str:
    """``$ARXIV_API_URL`` (tests point it at a local server), else arXiv's public query API."""
    return os.environ.get("ARXIV_API_URL") or ARXIV_API_DEFAULT


def check_credentials(platforms: list[str]) -> None:
    """Raise ``ConfigError`` naming every missing variable of the enabled platforms."""
    missing = [
        name
        for platform in platforms
        for name in ENV_NAMES.get(platform, {}).values()
        if not os.environ.get(name)
    ]
    if missing:
        raise ConfigError("missing credentials: set " + ", ".join(missing) + " (see .env.example)")
    defaults = {"x": "https://api.twitter.com", "bluesky": "https://bsky.social"}
    for platform in platforms:
        if platform in SERVICE_URLS:
            service_url(SERVICE_URLS[platform], defaults[platform])
    from publisher.scrub import remember

    remember(
        os.environ[name]
        for platform in platforms
        for field, name in ENV_NAMES.get(platform, {}).items()
        if field != "handle"
    )


def _require(platform: str) -> dict[str, str]:
    check_credentials([platform])
    return {field: os.environ[name] for field, name in ENV_NAMES[platform].items()}
