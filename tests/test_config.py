"""Settings: the config file, .env and the environment, secrets kept secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from publisher.config import (
    Settings,
    check_credentials,
    credentials,
    env_variables,
    load_env,
    load_settings,
)
from publisher.config_problems import key_lines
from publisher.errors import ConfigError, InputError
from publisher.platforms import registry
from tests.publisher_cli import quiet_env, run_publisher

# Every variable the publisher reads: the credentials of each platform and the optional ones.
SECRET_NAMES = [
    *(name for platform in registry() for name in env_variables(platform)),
    "PUBLISHER_PLATFORMS",
    "PUBLISHER_CONFIG",
]
# The platforms as an error message lists them: "'x', 'bluesky' or 'mastodon'".
_QUOTED = [repr(name) for name in registry()]
CHOICES = ", ".join(_QUOTED[:-1]) + " or " + _QUOTED[-1]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SECRET_NAMES:
        monkeypatch.delenv(name, raising=False)


class TestConfigFile:
    """config/publisher.toml and its defaults."""

    def test_repository_config_is_the_defaults(self) -> None:
        """The checked-in config spells out exactly the defaults."""
        repo = Path(__file__).resolve().parent.parent
        assert load_settings(repo / "config" / "publisher.toml") == Settings()

    def test_missing_file_gives_defaults(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """With no config file in the working folder, the defaults apply."""
        monkeypatch.chdir(tmp_path)
        settings = load_settings()
        assert settings.platforms == ["x", "bluesky"]
        assert settings.schedule.timezone == "Asia/Seoul"

    def test_bad_value_names_file_and_key(self, tmp_path: Path) -> None:
        """A wrong value is an InputError naming the file and the key."""
        path = tmp_path / "c.toml"
        path.write_text('[schedule]\ntimezone = "Mars/Olympus"\n', encoding="utf-8")
        with pytest.raises(InputError) as info:
            load_settings(path)
        assert str(path) in str(info.value) and "schedule.timezone" in str(info.value)

    def test_bad_toml_has_line(self, tmp_path: Path) -> None:
        """Broken TOML is reported with its line."""
        path = tmp_path / "c.toml"
        path.write_text('platforms = ["x"]\n[format\n', encoding="utf-8")
        with pytest.raises(InputError) as info:
            load_settings(path)
        assert info.value.problems[0].line == 2


class TestEnvironment:
    """.env is read; the real environment wins; secrets are SecretStr."""

    def test_environment_wins_over_dotenv(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A variable set in the environment is not replaced by .env."""
        dotenv = tmp_path / ".env"
        dotenv.write_text(
            "BLUESKY_HANDLE=from-dotenv\nBLUESKY_APP_PASSWORD=dotenv-pass-123\n", encoding="utf-8"
        )
        monkeypatch.setenv("BLUESKY_HANDLE", "from-env")
        load_env(dotenv)
        creds = credentials("bluesky")
        assert creds.handle == "from-env"
        assert creds.app_password.get_secret_value() == "dotenv-pass-123"
        assert "dotenv-pass-123" not in repr(creds) and "dotenv-pass-123" not in str(creds)
        assert creds.service == "https://bsky.social"

    def test_platforms_from_environment(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """PUBLISHER_PLATFORMS (e.g. in .env) says which platforms are on."""
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("PUBLISHER_PLATFORMS", "bluesky")
        assert load_settings().platforms == ["bluesky"]

    def test_missing_credentials_named(self) -> None:
        """Every missing variable of an enabled platform is named."""
        with pytest.raises(ConfigError) as info:
            check_credentials(["x", "bluesky"])
        for name in ["X_API_KEY", "X_ACCESS_TOKEN_SECRET", "BLUESKY_APP_PASSWORD"]:
            assert name in str(info.value)

    def test_x_base_url(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """X_API_BASE_URL points the X client elsewhere; secrets stay masked."""
        for name in ["X_API_KEY", "X_API_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET"]:
            monkeypatch.setenv(name, f"value-of-{name}")
        monkeypatch.setenv("X_API_BASE_URL", "http://127.0.0.1:9/")
        creds = credentials("x")
        assert creds.base_url == "http://127.0.0.1:9"
        assert "value-of-X_API_SECRET" not in repr(creds)


BROKEN_CONFIG = """\
platforms = ["x"]

[format]
layuot = "paired"
numbering = "fractoin"

[schedule]
timezone = "Asia/Seol"
slots = [
  "09:00",
]
max_threads_per_run = 0

[x]
daily_posts = "many"

[retyr]
budget_seconds = 1
"""


class TestConfigErrorsPointAtTheirSource:
    """A config error names the file, the line and the key, and the closest valid choice."""

    def problems(self, tmp_path: Path, text: str) -> list[str]:
        path = tmp_path / "c.toml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(InputError) as info:
            load_settings(path)
        return [str(p).removeprefix(f"{path}:") for p in info.value.problems]

    def test_every_problem_with_line_key_and_suggestion(self, tmp_path: Path) -> None:
        """Misspelt keys, values and zones each get their line and a did-you-mean."""
        assert self.problems(tmp_path, BROKEN_CONFIG) == [
            "4: format.layuot: unknown key; did you mean 'layout'?",
            "5: format.numbering: 'fractoin' is not one of 'fraction', 'marker' or 'none'; "
            "did you mean 'fraction'?",
            "8: schedule.timezone: unknown time zone 'Asia/Seol'; did you mean 'Asia/Seoul'?",
            "12: schedule.max_threads_per_run: Input should be greater than or equal to 1",
            "15: x.daily_posts: Input should be a valid integer, "
            "unable to parse string as an integer",
            "17: retyr: unknown key; did you mean 'retry'?",
        ]

    def test_far_off_key_lists_the_known_keys(self, tmp_path: Path) -> None:
        """With nothing close, the section's valid keys are listed instead."""
        assert self.problems(tmp_path, "[retry]\nzzz = 1\n") == [
            "2: retry.zzz: unknown key (known keys: budget_seconds, max_attempts, initial_wait, "
            "max_wait, timeout_seconds)"
        ]

    def test_zone_in_the_wrong_case_and_unknown_zone(self, tmp_path: Path) -> None:
        """'asia/seoul' suggests 'Asia/Seoul'; a zone like nothing suggests nothing."""
        assert self.problems(tmp_path, '[schedule]\ntimezone = "asia/seoul"\n') == [
            "2: schedule.timezone: unknown time zone 'asia/seoul'; did you mean 'Asia/Seoul'?"
        ]
        assert self.problems(tmp_path, '[schedule]\ntimezone = "Mars/Olympus"\n') == [
            "2: schedule.timezone: unknown time zone 'Mars/Olympus'"
        ]

    def test_dotted_keys_and_inline_tables(self, tmp_path: Path) -> None:
        """`schedule.timezone = ...` and `{...}` tables are found at their own line."""
        text = 'platforms = ["x"]\nschedule.timezone = "Asia/Seol"\nformat = {layout = "pared"}\n'
        assert self.problems(tmp_path, text) == [
            "2: schedule.timezone: unknown time zone 'Asia/Seol'; did you mean 'Asia/Seoul'?",
            "3: format.layout: 'pared' is not one of 'sections', 'paired' or 'compact'; "
            "did you mean 'paired'?",
        ]

    def test_key_named_inside_a_multiline_string_is_not_taken(self) -> None:
        """A `key =` line inside a multi-line string is text, not a key."""
        text = 'marker = """\ntimezone = 1\n"""\n[schedule]\ntimezone = "x"\n'
        assert key_lines(text)[("schedule", "timezone")] == 5
        assert ("timezone",) not in key_lines(text)


class TestErrorsNameTheVariable:
    """A value that came from the environment is blamed on its variable, not on the file."""

    def test_platforms_from_the_environment(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """PUBLISHER_PLATFORMS=myspace,blusky names the variable, with a did-you-mean."""
        path = tmp_path / "c.toml"
        path.write_text('platforms = ["x"]\n', encoding="utf-8")
        monkeypatch.setenv("PUBLISHER_PLATFORMS", "myspace,blusky")
        with pytest.raises(InputError) as info:
            load_settings(path)
        assert [str(p) for p in info.value.problems] == [
            f"PUBLISHER_PLATFORMS (environment variable): 'myspace' is not one of {CHOICES}",
            f"PUBLISHER_PLATFORMS (environment variable): 'blusky' is not one of {CHOICES}; "
            "did you mean 'bluesky'?",
        ]

    def test_platforms_from_the_environment_through_the_cli(self, tmp_path: Path) -> None:
        """The command says the same, exits 2, and does not blame config/publisher.toml."""
        (tmp_path / "config").mkdir()
        (tmp_path / "config" / "publisher.toml").write_text("", encoding="utf-8")
        result = run_publisher(
            "--dry-run", cwd=tmp_path, env=quiet_env(PUBLISHER_PLATFORMS="myspace")
        )
        assert result.returncode == 2
        assert result.stderr == (
            f"PUBLISHER_PLATFORMS (environment variable): 'myspace' is not one of {CHOICES}\n"
        )

    def test_config_file_named_by_the_environment(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A missing file named by PUBLISHER_CONFIG says that the variable named it."""
        monkeypatch.setenv("PUBLISHER_CONFIG", str(tmp_path / "nope.toml"))
        with pytest.raises(InputError) as info:
            load_settings()
        assert str(info.value) == (
            f"{tmp_path / 'nope.toml'}: config file not found "
            "(named by the environment variable PUBLISHER_CONFIG)"
        )
