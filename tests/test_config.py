"""Settings: the config file, .env and the environment, secrets kept secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from publisher.config import (
    ENV_NAMES,
    Settings,
    bluesky_credentials,
    check_credentials,
    load_env,
    load_settings,
    x_credentials,
)
from publisher.errors import ConfigError, InputError

# Every variable the publisher reads: the credentials of each platform and the optional ones.
SECRET_NAMES = [
    *(name for names in ENV_NAMES.values() for name in names.values()),
    "BLUESKY_SERVICE",
    "X_API_BASE_URL",
    "PUBLISHER_PLATFORMS",
    "PUBLISHER_CONFIG",
]


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
        creds = bluesky_credentials()
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
        creds = x_credentials()
        assert creds.base_url == "http://127.0.0.1:9"
        assert "value-of-X_API_SECRET" not in repr(creds)
