"""The local PDS install (minutes of npm and a native build) says when it starts and ends."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.fakes.pds import install_pds, pds_installed
from tests.publisher_cli import quiet_env

REPO = Path(__file__).resolve().parent.parent

# A stand-in for tools/local-pds/setup with the same interface: `--check` answers whether the
# install is ready, a plain call installs (here: waits a little and writes the stamp).
FAKE_SETUP = """\
#!/usr/bin/env bash
set -euo pipefail
dir=${LOCAL_PDS_HOME:?}
[[ -f $dir/.ready ]] && { echo "$dir"; exit 0; }
[[ ${1:-} == --check ]] && exit 1
[[ -f $dir/.broken ]] && { echo "node-gyp: no C++ compiler found" >&2; exit 3; }
sleep 1.2
mkdir -p "$dir" && touch "$dir/.ready"
echo "$dir"
"""


@pytest.fixture
def tools(tmp_path: Path) -> Path:
    setup = tmp_path / "tools" / "local-pds" / "setup"
    setup.parent.mkdir(parents=True)
    setup.write_text(FAKE_SETUP, encoding="utf-8")
    setup.chmod(0o755)
    return tmp_path / "tools"


class TestInstallProgress:
    """install_pds reports the start and the end, with the time taken, and installs only once."""

    def test_reports_start_and_end_with_the_time(self, tools: Path, tmp_path: Path) -> None:
        """A first install says what it needs, then how long it took; a second does nothing."""
        home = str(tmp_path / "home")
        lines: list[str] = []
        assert not pds_installed(tools, home)
        took = install_pds(tools, home, report=lines.append)
        assert took is not None and 1.2 <= took < 30
        assert len(lines) == 2
        assert lines[0].startswith("local PDS: installing (")
        assert "C++ toolchain" in lines[0] and "700 MB" in lines[0] and "npm" in lines[0]
        assert lines[1] == f"local PDS: installed in {took:.0f} s into {home}"
        assert pds_installed(tools, home)
        assert install_pds(tools, home, report=lines.append) is None
        assert len(lines) == 2

    def test_a_failed_install_says_so(self, tools: Path, tmp_path: Path) -> None:
        """A failing setup is reported with its time and raised with the script's own error."""
        home = tmp_path / "home"
        home.mkdir()
        (home / ".broken").touch()
        lines: list[str] = []
        with pytest.raises(RuntimeError, match="no C\\+\\+ compiler found"):
            install_pds(tools, str(home), report=lines.append)
        assert lines[0].startswith("local PDS: installing")
        assert lines[1].startswith("local PDS: the install failed after ")

    def test_the_real_setup_answers_check_without_installing(self, tmp_path: Path) -> None:
        """`tools/local-pds/setup --check` on an empty folder exits 1 and creates nothing."""
        home = tmp_path / "empty-home"
        assert not pds_installed(REPO / "tools", str(home))
        assert not home.exists()


class TestProgressUnderCapture:
    """The fixture's lines reach the terminal although pytest captures the test's output."""

    def test_lines_pass_pytest_capture(self, tools: Path, tmp_path: Path) -> None:
        """Run pytest on a test that installs through the fixture's reporter; read its stdout."""
        test = tmp_path / "test_install.py"
        test.write_text(
            textwrap.dedent(
                f"""
                import pytest
                from tests.fakes.pds import install_pds
                from tests.fixtures_pds import to_terminal

                def test_install(request: pytest.FixtureRequest) -> None:
                    print("captured-print-canary")
                    install_pds(
                        {str(tools)!r},
                        {str(tmp_path / "home")!r},
                        report=lambda line: to_terminal(request.config, line),
                    )
                """
            ),
            encoding="utf-8",
        )
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test)],
            cwd=tmp_path,
            env=quiet_env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "captured-print-canary" not in done.stdout  # capture was on
        assert "local PDS: installing (" in done.stdout
        assert re.search(r"^local PDS: installed in \d+ s into ", done.stdout, re.MULTILINE)
