"""Kill a real `publisher` run at a chosen moment, then run it again: shared by the crash tests."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path


def publisher_args(queue: Path, config: Path, now: str) -> list[str]:
    """The scheduled job, as the workflow runs it, on this queue and config."""
    return [sys.executable, "-m", "publisher", "--queue", str(queue), "--config", str(config),
            "--now", now]  # fmt: skip


def kill_when_then_rerun(
    args: list[str],
    env: dict[str, str],
    cwd: Path,
    ready: Callable[[], bool],
    timeout: float = 60,
) -> list[str]:
    """Start ``args``; SIGKILL it as soon as ``ready()`` (or it ends); run it again to the end.

    Returns every text both runs printed (stdout and stderr), after asserting the rerun exits 0.
    """
    proc = subprocess.Popen(args, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline and not ready():
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    out, err = proc.communicate(timeout=10)
    rerun = subprocess.run(
        args, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout * 2, check=False
    )
    assert rerun.returncode == 0, rerun.stderr
    return [out.decode(), err.decode(), rerun.stdout, rerun.stderr]
