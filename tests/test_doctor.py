"""`publisher doctor`: every missing variable by name, live log-ins against the local X and
Mastodon servers, the forecast of the monthly cost and the queue's pace."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from publisher import cost
from publisher.config import Settings, env_variables
from publisher.digest import read_digest
from publisher.doctor import forecast
from publisher.platforms import registry
from tests.conftest import MASTODON_CANARY, X_CANARY
from tests.fakes.mastodon_server import FakeMastodonServer
from tests.fakes.pds import PdsInfo
from tests.fakes.x_server import FakeXServer
from tests.publisher_cli import quiet_env, run_publisher
from tests.test_init import ACTION, DUMMY, EXAMPLE, init

EVERY = ",".join(registry())


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A repository made by `publisher init` with every platform on, and the example digest."""
    folder = tmp_path / "repo"
    done = init(folder, "--platforms", EVERY, "--action", ACTION)
    assert done.returncode == 0, done.stderr
    shutil.copy(EXAMPLE, folder / "digests" / "2025-05-20.txt")
    return folder


def doctor(folder: Path, *args: str, **env: str) -> tuple[int, str]:
    done = run_publisher("doctor", *args, cwd=folder, env=quiet_env(**env))
    assert "Traceback" not in done.stderr
    return done.returncode, done.stdout + done.stderr


class TestOffline:
    def test_names_every_missing_variable(self, project: Path) -> None:
        """Nothing set: exit 2, and every required variable of every enabled platform named."""
        code, out = doctor(project)
        assert code == 2
        for name in registry():
            line = next(
                x for x in out.splitlines() if x.startswith(f"MISSING {registry()[name].title}:")
            )
            for variable in env_variables(name, required=True):
                assert variable in line

    def test_names_only_what_is_missing(self, project: Path) -> None:
        """One variable unset: it alone is missing; the others are said to be set, by name."""
        partial = {k: v for k, v in DUMMY.items() if k != "X_ACCESS_TOKEN_SECRET"}
        code, out = doctor(project, **partial)
        assert code == 2
        (line,) = [x for x in out.splitlines() if x.startswith("MISSING")]
        assert line.startswith("MISSING X: missing X_ACCESS_TOKEN_SECRET; set: X_API_KEY")
        assert "dummy-value" not in out  # names, never values

    def test_ready(self, project: Path) -> None:
        code, out = doctor(project, **DUMMY)
        assert code == 0, out
        assert "time zone Asia/Seoul (UTC+09:00)" in out
        assert "digests: 1 in digests, 9 entries, all valid" in out

    def test_old_keys_are_noted(self, project: Path) -> None:
        """A key from before the per-platform tables is a note naming its new place."""
        config = project / "config" / "publisher.toml"
        config.write_text(
            config.read_text().replace("[format]\n", '[format]\nx_layout = "compact"\n')
        )
        code, out = doctor(project, **DUMMY)
        assert code == 0, out
        assert "note    config: " in out and "format.x_layout is deprecated; use [x] layout" in out

    def test_cron_not_matching_the_config(self, project: Path) -> None:
        """Slots changed without the workflow: exit 2, naming publish.yml and the right lines."""
        config = project / "config" / "publisher.toml"
        config.write_text(config.read_text().replace('"21:00"]', '"22:00"]'))
        code, out = doctor(project, **DUMMY)
        assert code == 2
        assert re.search(r"BAD +workflows: .*publish\.yml: cron lines .* are not the schedule", out)

    def test_missing_workflow(self, project: Path) -> None:
        (project / ".github" / "workflows" / "enqueue.yml").unlink()
        code, out = doctor(project, **DUMMY)
        assert code == 2
        assert "enqueue.yml: missing" in out

    def test_bad_time_zone(self, project: Path) -> None:
        config = project / "config" / "publisher.toml"
        config.write_text(config.read_text().replace('"Asia/Seoul"', '"Asia/Seol"'))
        code, out = doctor(project, **DUMMY)
        assert code == 2
        assert "config/publisher.toml:" in out and "did you mean 'Asia/Seoul'?" in out

    def test_invalid_digest(self, project: Path) -> None:
        lines = EXAMPLE.read_text(encoding="utf-8").split("\n")
        (project / "digests" / "bad.txt").write_text("\n".join(lines[:2] + lines[3:]))
        code, out = doctor(project, **DUMMY)
        assert code == 2
        assert "digests/bad.txt:3:" in out

    def test_no_digests_folder(self, project: Path) -> None:
        shutil.rmtree(project / "digests")
        code, out = doctor(project, **DUMMY)
        assert code == 2
        assert "digests: no folder digests (publisher init)" in out

    def test_no_config(self, tmp_path: Path) -> None:
        code, out = doctor(tmp_path)
        assert code == 2
        assert "config/publisher.toml: not found" in out


class TestForecast:
    def test_monthly_cost_of_the_latest_digest(self, project: Path) -> None:
        """A month of digests like the latest one, priced by the project's own cost code."""
        code, out = doctor(project, **DUMMY)
        assert code == 0
        settings = Settings(platforms=list(registry()))
        (x,) = [f for f in forecast(read_digest(EXAMPLE), settings) if cost.billed(f.platform)]
        assert x.daily_cost is not None and x.daily_cost.posts == x.posts
        monthly = cost.usd(x.daily_cost.usd * 30)
        assert f"about {monthly} a month" in out
        assert monthly == "$15.30"  # 34 posts a day at $0.015, the README's figure

    def test_pace(self) -> None:
        """Nine threads a day keep up with the defaults; one thread a slot on five slots takes
        two days; ten slots of one keep up."""
        digest = read_digest(EXAMPLE)
        assert {f.days_per_digest for f in forecast(digest, Settings())} == {1}
        one = Settings.model_validate({"schedule": {"threads_per_slot": 1}})
        slow = forecast(digest, one)
        assert {f.days_per_digest for f in slow if f.platform != "x"} == {2}
        many = Settings.model_validate(
            {
                "schedule": {"slots": [f"{h:02d}:00" for h in range(8, 18)], "threads_per_slot": 1},
                "x": {"daily_posts": 40},
            }
        )
        assert {f.days_per_digest for f in forecast(digest, many)} == {1}


class TestOnline:
    def test_x_and_mastodon_work(
        self, tmp_path: Path, x_server: FakeXServer, mastodon_server: FakeMastodonServer
    ) -> None:
        """Both log in (as the servers' account), Mastodon's own limits are read, and the X
        check's price is said; no credential appears in the output."""
        mastodon_server.max_characters = 1000
        folder = tmp_path / "repo"
        assert init(folder, "--platforms", "x,mastodon", "--action", ACTION).returncode == 0
        env = {
            **X_CANARY,
            "X_API_BASE_URL": x_server.base_url,
            **MASTODON_CANARY,
            "MASTODON_BASE_URL": mastodon_server.base_url,
        }
        code, out = doctor(folder, "--online", **env)
        assert code == 0, out
        assert "ok      X: logged in as @paperbot" in out
        assert "ok      Mastodon: logged in as @paperbot" in out
        assert "Mastodon: server limits: max_characters 1000, characters_reserved_per_url 23" in out
        assert "X: this check costs $0.01 (User: Read)" in out
        for secret in (*X_CANARY.values(), *MASTODON_CANARY.values()):
            assert secret not in out
        asked = [(r["method"], r["path"].split("?")[0]) for r in x_server.requests]
        assert asked == [("GET", "/2/users/me")]  # the one cheapest call, nothing posted

    def test_x_refusing_is_exit_1_naming_its_variables(
        self, tmp_path: Path, x_server: FakeXServer, mastodon_server: FakeMastodonServer
    ) -> None:
        folder = tmp_path / "repo"
        assert init(folder, "--platforms", "x,mastodon", "--action", ACTION).returncode == 0
        env = {
            **X_CANARY,
            "X_ACCESS_TOKEN_SECRET": "not-the-secret",
            "X_API_BASE_URL": x_server.base_url,
            **MASTODON_CANARY,
            "MASTODON_BASE_URL": mastodon_server.base_url,
        }
        code, out = doctor(folder, "--online", **env)
        assert code == 1, out
        (line,) = [x for x in out.splitlines() if x.startswith("REFUSED")]
        assert line.startswith("REFUSED X: the credentials were refused: x: 401")
        for variable in env_variables("x"):
            assert variable in line
        assert "ok      Mastodon: logged in as @paperbot" in out
        assert "not-the-secret" not in out

    def test_a_server_that_does_not_answer(self, tmp_path: Path) -> None:
        """Nothing listening at the address: exit 1, said as unreachable, naming the variables."""
        import socket

        with socket.socket() as sock:  # a port that was free a moment ago, now closed
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        folder = tmp_path / "repo"
        assert init(folder, "--platforms", "x", "--action", ACTION).returncode == 0
        env = {**X_CANARY, "X_API_BASE_URL": f"http://127.0.0.1:{port}"}
        code, out = doctor(folder, "--online", **env)
        assert code == 1
        (line,) = [x for x in out.splitlines() if x.startswith("REFUSED")]
        assert "REFUSED X: could not be reached: x:" in line and "X_API_BASE_URL" in line

    def test_mastodon_refusing(self, tmp_path: Path, mastodon_server: FakeMastodonServer) -> None:
        folder = tmp_path / "repo"
        assert init(folder, "--platforms", "mastodon", "--action", ACTION).returncode == 0
        env = {"MASTODON_ACCESS_TOKEN": "wrong", "MASTODON_BASE_URL": mastodon_server.base_url}
        code, out = doctor(folder, "--online", **env)
        assert code == 1
        assert "REFUSED Mastodon: the credentials were refused: mastodon: 401" in out


@pytest.mark.pds
def test_bluesky_logs_in_to_the_local_pds(tmp_path: Path, pds: PdsInfo) -> None:
    """A session on the real local PDS: the handle and its DID; a wrong app password is exit 1
    naming Bluesky's variables, the password never shown."""
    folder = tmp_path / "repo"
    assert init(folder, "--platforms", "bluesky", "--action", ACTION).returncode == 0
    env = {"BLUESKY_HANDLE": pds.handle, "BLUESKY_SERVICE": pds.url}
    code, out = doctor(folder, "--online", BLUESKY_APP_PASSWORD=pds.password, **env)
    assert code == 0, out
    assert f"ok      Bluesky: logged in as @{pds.handle} ({pds.did})" in out
    code, out = doctor(folder, "--online", BLUESKY_APP_PASSWORD="Canary-PW-doctor-3k", **env)
    assert code == 1
    (line,) = [x for x in out.splitlines() if x.startswith("REFUSED")]
    assert all(v in line for v in env_variables("bluesky"))
    assert "Canary-PW-doctor-3k" not in out and pds.password not in out


@pytest.mark.parametrize(
    ("row", "raw"),
    [
        ("| default (", {}),
        ('| `[x] layout = "compact"`', {"x": {"layout": "compact"}}),
        ('| `[x] link = "url"`', {"x": {"link": "url"}}),
    ],
)
def test_setup_guide_states_the_computed_cost(row: str, raw: dict[str, object]) -> None:
    """docs/setup.md's cost table is what the cost code computes on the example digest."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "setup.md").read_text(encoding="utf-8")
    (line,) = [x for x in text.splitlines() if x.startswith(row)]
    settings = Settings.model_validate({"platforms": list(registry()), **raw})
    (x,) = [f for f in forecast(read_digest(EXAMPLE), settings) if f.daily_cost is not None]
    assert x.daily_cost is not None
    day, month = cost.usd(x.daily_cost.usd), cost.usd(x.daily_cost.usd * 30)
    assert line.endswith(f"| {x.posts} | {x.daily_cost.with_url} | {day} | **{month}** |"), line
