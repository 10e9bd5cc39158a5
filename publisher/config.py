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
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)

from publisher.config_problems import did_you_mean, key_lines, problems_of
from publisher.errors import ConfigError, InputError
from publisher.platforms import registry
from publisher.platforms.base import Credentials
from publisher.zones import zone_hint

DEFAULT_CONFIG = Path("config/publisher.toml")
MAX_ENV_BYTES = 1 << 20
MAX_CONFIG_BYTES = 1 << 20


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FormatSettings(_Section):
    """How a digest entry becomes a thread (see config/README.md)."""

    layout: Literal["sections", "paired", "compact"] = "sections"
    numbering: Literal["fraction", "marker", "none"] = "fraction"
    marker: str = "🧵"
    include_abstract: bool = False
    # The header lists the first max_authors names, then "et al."; 0 lists them all.
    max_authors: int = Field(default=6, ge=0)


class ScheduleSettings(_Section):
    """When queued threads may go out."""

    timezone: str = "Asia/Seoul"
    slots: list[str] = Field(default_factory=lambda: ["09:00", "12:00", "15:00", "18:00", "21:00"])
    spacing_minutes: int = Field(default=0, ge=0)
    threads_per_slot: int = Field(default=3, ge=1)
    max_threads_per_run: int = Field(default=6, ge=1)
    # Posts per local day, by platform (a platform left out has no limit). Not a setting of its
    # own: ``Settings`` fills it from each platform's ``daily_posts`` (its table or its default).
    daily_posts: dict[str, int] = Field(
        default_factory=lambda: {name: p.daily_posts for name, p in registry().items()}
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            zones = available_timezones()
            hint = zone_hint(name, zones) or did_you_mean(name, zones)
            raise ValueError(f"unknown time zone {name!r}{hint}") from None
        return name

    @field_validator("daily_posts")
    @classmethod
    def _known_platforms(cls, budgets: dict[str, int]) -> dict[str, int]:
        for name in budgets:
            if name not in registry():
                hint = did_you_mean(name, registry())
                raise ValueError(f"{name!r} is not a platform{hint}")
        return budgets

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


class LinksSettings(_Section):
    """How paper links and link cards are found at enqueue (see config/README.md).

    Both are off by default: with them off, enqueue never touches the network, so its result does
    not depend on arXiv or a web site being up, and no title leaves the machine unasked.
    """

    arxiv_lookup: bool = False
    page_cards: bool = False
    timeout_seconds: float = Field(default=10, gt=0)


class SettingsBase(_Section):
    """Everything a run needs except the secrets. ``Settings`` adds one table per platform."""

    platforms: list[str] = Field(
        default_factory=lambda: [n for n, p in registry().items() if p.on_by_default]
    )
    format: FormatSettings = FormatSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    retry: RetrySettings = RetrySettings()
    links: LinksSettings = LinksSettings()
    # One-line notes on old keys that were read (the CLI prints them).
    _deprecations: tuple[str, ...] = PrivateAttr(default=())

    @property
    def deprecations(self) -> tuple[str, ...]:
        return self._deprecations

    def options(self, platform: str) -> Any:
        """The platform's table (named after it), as its own options model."""
        return getattr(self, platform)

    @model_validator(mode="after")
    def _daily_posts(self) -> SettingsBase:
        """Each platform's posts per day: its table's ``daily_posts``, else its default."""
        for name, platform in registry().items():
            options = self.options(name)
            if options.daily_posts is None:
                filled = options.model_copy(update={"daily_posts": platform.daily_posts})
                object.__setattr__(self, name, filled)
        if "daily_posts" not in self.schedule.model_fields_set:  # else given whole (tests)
            budgets = {name: self.options(name).daily_posts for name in registry()}
            schedule = self.schedule.model_copy(update={"daily_posts": budgets})
            object.__setattr__(self, "schedule", schedule)
        return self


def _settings_model() -> type[SettingsBase]:
    names = tuple(registry())
    fields: dict[str, Any] = {
        name: (platform.options, Field(default_factory=platform.options))
        for name, platform in registry().items()
    }
    fields["platforms"] = (
        list[Literal[names]],  # type: ignore[valid-type]
        Field(default_factory=lambda: [n for n, p in registry().items() if p.on_by_default]),
    )
    return create_model("Settings", __base__=SettingsBase, __module__=__name__, **fields)


if TYPE_CHECKING:
    Settings = SettingsBase
else:
    Settings = _settings_model()


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


def _validate(raw: dict[str, Any], where: str, text: str | None = None) -> Settings:
    """Settings from the file's values and the environment's; errors name where each came from."""
    raw, notes = _renamed_keys(raw, where, text)
    env: dict[str, str] = {}
    override = os.environ.get("PUBLISHER_PLATFORMS")
    if override is not None:  # e.g. in .env: PUBLISHER_PLATFORMS=<one platform>
        raw = {**raw, "platforms": [p.strip() for p in override.split(",") if p.strip()]}
        env["platforms"] = "PUBLISHER_PLATFORMS"
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        raise InputError(problems_of(exc, Settings, where, text, env)) from None
    settings._deprecations = tuple(notes)
    return settings


def _renamed_keys(
    raw: dict[str, Any], where: str, text: str | None
) -> tuple[dict[str, Any], list[str]]:
    """Old keys moved to their platform's table, with a one-line note for each.

    ``[schedule.daily_posts] NAME = N`` is now ``[NAME] daily_posts``; a platform lists its own
    old keys in ``Platform.renamed``. A key set in both places keeps the new one.
    """
    lines = key_lines(text) if text else {}
    notes: list[str] = []
    raw = {key: dict(value) if isinstance(value, dict) else value for key, value in raw.items()}

    def move(old: tuple[str, ...], platform: str, new: str) -> None:
        parent: Any = raw
        for part in old[:-1]:
            parent = parent.get(part) if isinstance(parent, dict) else None
        if not isinstance(parent, dict) or old[-1] not in parent:
            return
        value = parent.pop(old[-1])
        target = raw.setdefault(platform, {})
        if isinstance(target, dict):
            target.setdefault(new, value)
        line = lines.get(old)
        at = f"{where}:{line}" if line else where
        notes.append(f"{at}: {'.'.join(old)} is deprecated; use [{platform}] {new}")

    schedule = raw.get("schedule")
    if isinstance(schedule, dict) and isinstance(schedule.get("daily_posts"), dict):
        schedule["daily_posts"] = dict(schedule["daily_posts"])
        for name in registry():
            move(("schedule", "daily_posts", name), name, "daily_posts")
        if not schedule["daily_posts"]:
            del schedule["daily_posts"]  # what is left names no platform: the model says so
    for name, platform in registry().items():
        for old, new in platform.renamed.items():
            move(tuple(old.split(".")), name, new)
    return raw, notes


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


def env_variables(platform: str, *, required: bool | None = None) -> list[str]:
    """The environment variables of ``platform``'s credentials, required ones first.

    ``required=True`` gives only those without a default (the secrets), ``False`` the others.
    """
    fields = registry()[platform].credentials.model_fields.values()
    needed = [f.alias for f in fields if f.alias and f.is_required()]
    optional = [f.alias for f in fields if f.alias and not f.is_required()]
    if required is None:
        return needed + optional
    return needed if required else optional


def settings_path(path: Path | None = None) -> Path:
    """The settings file ``load_settings(path)`` reads: ``path``, ``$PUBLISHER_CONFIG`` or
    ``config/publisher.toml``."""
    return path or Path(os.environ.get("PUBLISHER_CONFIG", DEFAULT_CONFIG))


def variables_set(platform: str) -> dict[str, bool]:
    """Each of ``platform``'s variables (required first) and whether the environment (or
    ``.env``) sets it: names only, never a value."""
    return {name: bool(os.environ.get(name)) for name in env_variables(platform)}


def _missing(platform: str) -> list[str]:
    fields = registry()[platform].credentials.model_fields.values()
    return [f.alias for f in fields if f.alias and f.is_required() and not os.environ.get(f.alias)]


def check_credentials(platforms: list[str]) -> None:
    """Raise ``ConfigError`` naming every missing or malformed variable of ``platforms``."""
    missing = [name for platform in platforms for name in _missing(platform)]
    if missing:
        raise ConfigError("missing credentials: set " + ", ".join(missing) + " (see .env.example)")
    for platform in platforms:
        credentials(platform)


def credentials(platform: str) -> Credentials:
    """``platform``'s credentials from the environment; its secrets are scrubbed from output."""
    model = registry()[platform].credentials
    missing = _missing(platform)
    if missing:
        raise ConfigError("missing credentials: set " + ", ".join(missing) + " (see .env.example)")
    values: dict[str, str] = {}
    for field in model.model_fields.values():
        name = field.alias
        if not name:
            continue
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        if extra.get("url"):
            default = None if field.is_required() else field.default
            values[name] = service_url(name, str(default or extra.get("example")))
        elif os.environ.get(name):
            values[name] = os.environ[name]
    try:
        found = model.model_validate(values)
    except ValidationError as exc:  # the message names the variable, never its value
        problem = exc.errors()[0]
        variable = model.model_fields[str(problem["loc"][0])].alias if problem["loc"] else ""
        raise ConfigError(f"{variable or platform}: {problem['msg']}") from None
    from publisher.scrub import remember

    remember(
        value.get_secret_value()
        for value in (getattr(found, f) for f in model.model_fields)
        if isinstance(value, SecretStr)
    )
    return found
