"""The platform registry: every platform declared once, and everything else derived from it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from publisher.config import Settings, env_variables, load_settings
from publisher.errors import InputError
from publisher.platforms import registry, rules_for
from publisher.platforms.base import Options, Platform
from tests.publisher_cli import quiet_env, run_publisher

REPO = Path(__file__).resolve().parent.parent


class TestRegistry:
    def test_found_in_the_package(self) -> None:
        """Every platform module of publisher/platforms/ is found, in rank order."""
        modules = {
            path.stem
            for path in (REPO / "publisher" / "platforms").glob("*.py")
            if "_" not in path.stem
            and re.search(r"^PLATFORM = Platform\(", path.read_text(encoding="utf-8"), re.M)
        }
        assert set(registry()) == modules
        assert {"x", "bluesky"} <= modules
        ranks = [p.rank for p in registry().values()]
        assert ranks == sorted(ranks)

    @pytest.mark.parametrize("name", list(registry()))
    def test_descriptor_is_whole(self, name: str) -> None:
        """Each descriptor names itself, has options with the shared keys, and an adapter path."""
        platform = registry()[name]
        assert isinstance(platform, Platform) and platform.name == name
        assert issubclass(platform.options, Options)
        assert {"daily_posts", "layout"} <= set(platform.options.model_fields)
        assert re.fullmatch(r"publisher\.platforms\.\w+:\w+", platform.adapter)
        assert env_variables(name, required=True)  # something to log in with
        rules = rules_for(Settings())[name]
        assert rules.name == name and rules.title == platform.title

    def test_config_table_per_platform(self) -> None:
        """Settings has one table per platform, named after it, and validates names against them."""
        settings = Settings()
        for name, platform in registry().items():
            assert isinstance(settings.options(name), platform.options)
            assert settings.schedule.daily_posts[name] == platform.daily_posts
        assert settings.platforms == [n for n, p in registry().items() if p.on_by_default]


class TestEnvExample:
    def test_is_the_generated_one(self) -> None:
        """.env.example is what `publisher init` writes for every platform (one generator)."""
        from publisher.scaffold import env_example

        assert (REPO / ".env.example").read_text(encoding="utf-8") == env_example(), (
            "out of date: python -c 'import publisher.scaffold as s; s.refresh_repo()'"
        )

    def test_config_is_the_shipped_template(self) -> None:
        """config/publisher.toml is the template `publisher init` writes, with the default
        platforms (publisher/data/publisher.toml: keep the two the same)."""
        from publisher.scaffold import config_text, default_platforms

        assert (REPO / "config" / "publisher.toml").read_text(encoding="utf-8") == config_text(
            default_platforms()
        ), "out of date: python -c 'import publisher.scaffold as s; s.refresh_repo()'"

    def test_lists_every_variable_of_every_platform(self) -> None:
        """.env.example lists each platform's variables: required as NAME=, optional commented."""
        text = (REPO / ".env.example").read_text(encoding="utf-8")
        assigned = re.findall(r"^([A-Z][A-Z0-9_]*)=", text, re.M)
        commented = re.findall(r"^# ([A-Z][A-Z0-9_]*)=", text, re.M)
        for name in registry():
            for variable in env_variables(name, required=True):
                assert variable in assigned, variable
            for variable in env_variables(name, required=False):
                assert variable in commented, variable
        known = {v for name in registry() for v in env_variables(name)}
        others = {"ARXIV_API_URL", "PUBLISHER_PLATFORMS", "PUBLISHER_CONFIG"}
        assert set(assigned) | set(commented) <= known | others


OLD_KEYS = """\
[format]
x_hashtag_style = "camel"
x_layout = "compact"

[schedule.daily_posts]
x = 5
bluesky = 9
"""


class TestOldKeys:
    def test_still_read_with_a_note_each(self, tmp_path: Path) -> None:
        """Old per-platform keys still work; each gives one line naming the new key."""
        path = tmp_path / "c.toml"
        path.write_text(OLD_KEYS, encoding="utf-8")
        settings = load_settings(path)
        x = settings.options("x")
        assert (x.hashtag_style, x.layout, x.daily_posts) == ("camel", "compact", 5)
        assert settings.schedule.daily_posts["bluesky"] == 9
        assert sorted(settings.deprecations) == sorted(
            [
                f"{path}:2: format.x_hashtag_style is deprecated; use [x] hashtag_style",
                f"{path}:3: format.x_layout is deprecated; use [x] layout",
                f"{path}:6: schedule.daily_posts.x is deprecated; use [x] daily_posts",
                f"{path}:7: schedule.daily_posts.bluesky is deprecated; use [bluesky] daily_posts",
            ]
        )

    def test_new_key_wins(self, tmp_path: Path) -> None:
        """A key set in both places keeps the new one."""
        path = tmp_path / "c.toml"
        path.write_text(
            '[format]\nx_layout = "compact"\n[x]\nlayout = "paired"\n', encoding="utf-8"
        )
        assert load_settings(path).options("x").layout == "paired"

    def test_the_cli_prints_the_notes(self, tmp_path: Path) -> None:
        """The command says it once per old key, on stderr, and goes on."""
        (tmp_path / "config").mkdir()
        (tmp_path / "config" / "publisher.toml").write_text(OLD_KEYS, encoding="utf-8")
        example = REPO / "examples" / "digest-2025-05-20.txt"
        result = run_publisher("--dry-run", str(example), cwd=tmp_path, env=quiet_env())
        assert result.returncode == 0, result.stderr
        notes = [line for line in result.stderr.splitlines() if "is deprecated" in line]
        assert len(notes) == 4

    def test_unknown_platform_in_old_budgets_is_an_error(self, tmp_path: Path) -> None:
        """A budget for no known platform is an error at its line, with a did-you-mean."""
        path = tmp_path / "c.toml"
        path.write_text("[schedule.daily_posts]\nblusky = 3\nx = 4\n", encoding="utf-8")
        with pytest.raises(InputError) as info:
            load_settings(path)
        assert [str(p) for p in info.value.problems] == [
            f"{path}:1: schedule.daily_posts: 'blusky' is not a platform; did you mean 'bluesky'?"
        ]


class TestPlatformOption:
    """``--platform NAME`` for a platform that is off (not in ``platforms = [...]``)."""

    CONFIG = REPO / "config" / "publisher.toml"
    EXAMPLE = REPO / "examples" / "digest-2025-05-20.txt"

    def off(self) -> list[str]:
        on = load_settings(self.CONFIG).platforms
        off = [name for name in registry() if name not in on]
        assert off, "the bundled config turns every platform on: nothing to check"
        return off

    def test_a_dry_run_of_a_digest_shows_it_with_a_note(self) -> None:
        """A dry run posts nothing, so it shows the platform asked for, within its limit."""
        for name in self.off():
            done = run_publisher(
                "--dry-run", "--platform", name, "--config", str(self.CONFIG), str(self.EXAMPLE)
            )
            assert done.returncode == 0, done.stderr
            limit = registry()[name].rules(registry()[name].options(), {}).limit
            assert re.search(rf"^── {name} 1/\d+  \d+/{limit}$", done.stdout, re.M)
            assert not re.search(r"^── (?!" + name + r" )", done.stdout, re.M)  # only it
            assert f"note: {name} is off" in done.stderr

    def test_posting_to_it_is_refused_with_how_to_turn_it_on(self, tmp_path: Path) -> None:
        """Posting never reaches a platform that is off: exit 2 and the setting to change."""
        (tmp_path / "queue").mkdir()
        for name in self.off():
            done = run_publisher(
                "--platform", name, "--config", str(self.CONFIG), "--queue", str(tmp_path / "queue")
            )
            assert done.returncode == 2
            assert f'--platform {name}: {name} is off; add "{name}" to platforms' in done.stderr
            assert "Traceback" not in done.stderr
