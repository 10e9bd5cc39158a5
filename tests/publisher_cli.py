"""Running the real `publisher` command from tests: one way, shared by every CLI-level test."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
import traceback
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
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
    fresh: bool = False,
) -> subprocess.CompletedProcess[str]:
    """`publisher ARGS`: text output captured, exit code not checked.

    In this interpreter (``publisher.cli.main``, as ``python -m publisher`` calls it), with the
    working folder, the environment and the standard streams of a process of its own, all put
    back afterwards: a tenth of the time of a new interpreter. ``fresh=True`` (or
    ``PUBLISHER_TEST_SUBPROCESS=1``) starts a new interpreter instead, where that is the point:
    entry points, imports, signals, timeouts.
    """
    environment = quiet_env() if env is None else env
    if fresh or os.environ.get("PUBLISHER_TEST_SUBPROCESS") == "1":
        return subprocess.run(
            [*PUBLISHER, *args],
            cwd=cwd,
            env=environment,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    return _in_process(list(args), cwd, environment)


def _in_process(
    args: list[str], cwd: Path | None, environment: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    from publisher.cli import main

    saved_env, saved_cwd = dict(os.environ), Path.cwd()
    saved_streams = sys.stdout, sys.stderr, sys.stdin
    out, err = io.StringIO(), io.StringIO()
    os.environ.clear()
    os.environ.update(environment)
    try:
        os.chdir(cwd or saved_cwd)
        sys.stdout, sys.stderr, sys.stdin = out, err, io.StringIO()
        try:
            code = main(args)
        except SystemExit as exc:  # argparse: --help, a usage error
            code = _exit_code(exc.code, err)
        except Exception:  # what a process would die of: a traceback on stderr, exit 1
            err.write(traceback.format_exc())
            code = 1
    finally:
        sys.stdout, sys.stderr, sys.stdin = saved_streams
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
    return subprocess.CompletedProcess(["publisher", *args], code, out.getvalue(), err.getvalue())


def _exit_code(code: object, err: io.StringIO) -> int:
    """What ``sys.exit(code)`` makes a process exit with (a message is printed, exit 1)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    err.write(f"{code}\n")
    return 1


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
    rerun = run_publisher(*args, cwd=cwd, env=env, timeout=timeout * 2, fresh=True)
    assert rerun.returncode == 0, rerun.stderr
    return [out.decode(), err.decode(), rerun.stdout, rerun.stderr]
