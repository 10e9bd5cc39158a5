"""Running the real `publisher` command from tests: one way, shared by every CLI-level test."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PUBLISHER = [sys.executable, "-m", "publisher"]


def quiet_env(**extra: str) -> dict[str, str]:
    """This environment without any publisher setting or credential, plus ``extra``.

    ``PYTHONPATH`` names the repository, so the command works from any folder even where the
    package is not installed.
    """
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PUBLISHER_", "X_", "BLUESKY_", "MASTODON_", "THREADS_"))
    }
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return {**base, "PYTHONPATH": path, **extra}


def run_publisher(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`publisher ARGS` in a fresh process; text output captured, exit code not checked."""
    return subprocess.run(
        [*PUBLISHER, *args],
        cwd=cwd,
        env=quiet_env() if env is None else env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def job_args(queue: Path, config: Path, now: str) -> list[str]:
    """The scheduled job's arguments, as the workflow gives them, on this queue and config."""
    return ["--queue", str(queue), "--config", str(config), "--now", now]


def kill_when_then_rerun(
    args: list[str],
    env: dict[str, str],
    cwd: Path,
    ready: Callable[[], bool],
    timeout: float = 60,
) -> list[str]:
    """Start `publisher ARGS`; SIGKILL it once ``ready()`` (or it ends); run it again to the end.

    Returns every text both runs printed (stdout and stderr), after asserting the rerun exits 0.
    """
    proc = subprocess.Popen(
        [*PUBLISHER, *args], env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline and not ready():
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    out, err = proc.communicate(timeout=10)
    rerun = run_publisher(*args, cwd=cwd, env=env, timeout=timeout * 2)
    assert rerun.returncode == 0, rerun.stderr
    return [out.decode(), err.decode(), rerun.stdout, rerun.stderr]
