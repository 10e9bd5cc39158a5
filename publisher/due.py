"""Is there anything for a run to do? Standard library only, so the workflow asks before installing.

``python3 publisher/due.py`` (from the repository root, with the runner's own Python and no
third-party package) prints ``due=true`` or ``due=false`` (a line for ``$GITHUB_OUTPUT``) and, on
stderr, why. A run has something to do when:

- a queue file is open (pending or posting) for an enabled platform and its ``not_before`` has
  passed (``is_due``: the very test ``runner.make_plan`` uses, so the two cannot disagree);
- a queue file's head cannot be read here (the full run reports the problem);
- a digest under ``digests/`` (``*.txt``, ``*.toml``) is not listed, with its current hash, in
  ``queue/enqueued.txt`` (``sha256sum`` format; a missing file means every digest counts).

A thread that only a monthly budget holds never makes a run due: it cannot be priced here, so
the run that first finds it writes the hold into its file (``runner.settle_holds``): postponed to
the next month (``not_before``), or failed when it costs more than the whole budget.

This module is also imported by the package. It is the one module besides ``cli.py`` that prints
and exits, because the workflow runs it as a script before the package (and its dependencies)
are installed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import importlib.util
import os
import sys
import tomllib
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import ModuleType


def _common() -> ModuleType:
    """``publisher.store.common``: imported when this module is the package's, loaded by its path
    when it runs as a script (``python3 -I``: nothing of the package is importable then)."""
    if __package__:
        from publisher.store import common

        return common
    path = Path(__file__).resolve().parent / "store" / "common.py"
    spec = importlib.util.spec_from_file_location("_publisher_store_common", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses and enums look their module up
    spec.loader.exec_module(module)
    return module


_shared = _common()
ENQUEUED_NAME: str = _shared.ENQUEUED_NAME
OPEN_STATUSES: frozenset[str] = _shared.OPEN
DIGEST_SUFFIXES = (".txt", ".toml")
_HEAD_LIMIT = 64 * 1024  # the front matter is a few hundred bytes; a file's posts follow it


def is_due(status: str, not_before: dt.datetime, now: dt.datetime) -> bool:
    """Whether a thread in this state may be posted at ``now`` (budgets and caps aside)."""
    return status in OPEN_STATUSES and not_before <= now


class Unreadable(ValueError):
    """A queue file whose head this module cannot read without YAML: let the full run look."""


def _read_regular(path: Path, limit: int) -> bytes:
    """At most ``limit`` bytes of a regular file (``common.read_regular``): a FIFO would hang the
    read and a device never end, so they raise ``OSError`` unread (the full run names them)."""
    data: bytes = _shared.read_regular(path, limit)
    return data


def read_head(path: Path) -> tuple[str, str, dt.datetime]:
    """``(status, platform, not_before)`` from a queue file's front matter, as ``render`` writes
    it. Anything else raises ``Unreadable``: the caller treats the file as due."""
    try:
        data = _read_regular(path, _HEAD_LIMIT)
        text = data.decode("utf-8", errors="replace")
    except OSError as exc:
        raise Unreadable(f"{path}: cannot read: {exc.strerror}") from None
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise Unreadable(f"{path}: no front matter")
    fields: dict[str, str] = {}
    for line in lines[1:]:
        if line.strip() == "---":
            break
        key, colon, raw = line.partition(":")
        if colon and key in ("status", "platform", "not_before"):
            if key in fields:
                raise Unreadable(f"{path}: {key} given twice")
            fields[key] = _unquote(raw.strip())
    else:
        raise Unreadable(f"{path}: front matter not closed within {_HEAD_LIMIT} bytes")
    status = fields.get("status", _shared.Status.PENDING.value)  # the model's default
    try:
        not_before = dt.datetime.fromisoformat(fields["not_before"])
    except (KeyError, ValueError):
        raise Unreadable(f"{path}: no readable not_before") from None
    if not_before.tzinfo is None:
        raise Unreadable(f"{path}: not_before has no time zone")
    return status, fields.get("platform", ""), not_before


def _unquote(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] == "'":
        return raw[1:-1].replace("''", "'")
    if len(raw) >= 2 and raw[0] == raw[-1] == '"' and "\\" not in raw:
        return raw[1:-1]
    if " #" in raw:
        raw = raw.split(" #", 1)[0].rstrip()
    return raw


def queue_files(queue: Path) -> list[Path]:
    """The open queue's files (the archive below it is never due)."""
    try:
        names = os.listdir(queue)
    except FileNotFoundError:
        return []
    return sorted(queue / n for n in names if _shared.is_item_name(n))


def due_files(
    queue: Path, platforms: Iterable[str] | None, now: dt.datetime
) -> list[tuple[Path, str]]:
    """Each queue file a run at ``now`` must look at, with why (``platforms`` None: all)."""
    enabled = None if platforms is None else set(platforms)
    found = []
    for path in queue_files(queue):
        try:
            status, platform, not_before = read_head(path)
        except Unreadable as exc:
            found.append((path, f"unreadable here ({exc}): the run checks it"))
            continue
        if (enabled is None or platform in enabled) and is_due(status, not_before, now):
            found.append((path, f"{status}, due {not_before.isoformat()}"))
    return found


def read_enqueued(path: Path) -> set[tuple[str, str]]:
    """``(sha256, path)`` pairs of ``queue/enqueued.txt``; empty when there is none."""
    try:
        text = _read_regular(path, 64 << 20).decode("utf-8", errors="replace")
    except FileNotFoundError:
        return set()
    except OSError:
        return set()  # every digest counts as new: the run that follows reports the file
    return {(sha, name) for name, sha in _shared.parse_enqueued(text).items()}


def is_digest_file(path: Path, folder: Path) -> bool:
    """Whether a file found under ``folder`` is a digest: ``.txt`` or ``.toml``, not a README,
    not hidden nor in a hidden folder (``publisher enqueue FOLDER`` walks the same way)."""
    return (
        path.suffix in DIGEST_SUFFIXES
        and path.is_file()
        and not path.name.upper().startswith("README")
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )


def new_digests(root: Path, digests: Path, enqueued: Path) -> list[Path]:
    """Digest files whose current hash is not listed in ``enqueued`` (paths relative to root)."""
    if not digests.is_dir():
        return []
    listed = read_enqueued(enqueued)
    found = []
    for path in sorted(digests.rglob("*")):
        if not is_digest_file(path, digests):
            continue
        relative = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        with path.open("rb") as handle:  # in chunks: a huge file costs no memory here
            sha = hashlib.file_digest(handle, "sha256").hexdigest()
        if (sha, relative) not in listed:
            found.append(path)
    return found


def enabled_platforms(config: Path) -> list[str] | None:
    """``platforms`` from the settings file (the package validates the rest of it).

    None when the file does not say: the default list is the registry's, which this check does
    not import (it must stay fast), so then every platform's files count. At worst that starts
    a run that finds nothing to post.
    """
    try:
        with config.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        return None
    platforms = data.get("platforms")
    if not isinstance(platforms, list) or not all(isinstance(p, str) for p in platforms):
        return None  # not set, or a bad setting: the run that follows says so
    return platforms


DEFAULT_CONFIG = Path("config") / "publisher.toml"


def reasons(root: Path, now: dt.datetime, config: Path = DEFAULT_CONFIG) -> list[str]:
    """Why a run at ``now`` over the checkout at ``root`` has work; empty when it has none.

    ``config`` is the settings file, relative to ``root`` unless absolute.
    """
    queue = root / "queue"
    try:
        platforms = enabled_platforms(root / config)
    except (tomllib.TOMLDecodeError, OSError) as exc:
        return [f"{config.as_posix()} unreadable here ({exc}): the run reports it"]
    why = [f"{path}: {what}" for path, what in due_files(queue, platforms, now)]
    why += [
        f"{path}: not enqueued yet"
        for path in new_digests(root, root / "digests", queue / ENQUEUED_NAME)
    ]
    return why


def _one_line(text: str) -> str:
    """``text`` with line breaks and other unprintable characters escaped (``\\n``), so that a
    file name cannot start a line of its own (an Actions workflow command such as ``::warning::``).
    The package's ``publisher.hygiene.one_line`` does the same; this module imports nothing."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python3 publisher/due.py",
        description="Print due=true when a publish run has something to do, else due=false.",
    )
    parser.add_argument("--root", type=Path, default=Path(), help="repository root (default .)")
    parser.add_argument("--now", help="act as if it were this time (ISO 8601 with an offset)")
    parser.add_argument(
        "--config",
        type=Path,
        default=DEFAULT_CONFIG,
        help="settings file, relative to --root (default config/publisher.toml)",
    )
    args = parser.parse_args(argv)
    now = dt.datetime.now(dt.UTC)
    if args.now:
        try:
            now = dt.datetime.fromisoformat(args.now)
        except ValueError:
            parser.error(f"--now {args.now!r} is not an ISO 8601 time")
        if now.tzinfo is None:
            parser.error(f"--now {args.now!r} needs an offset such as +09:00")
    why = reasons(args.root, now, args.config)
    for line in why[:20]:
        print(f"due: {_one_line(line)}", file=sys.stderr)
    if len(why) > 20:
        print(f"due: … and {len(why) - 20} more", file=sys.stderr)
    if not why:
        print("due: nothing is due and every digest is enqueued", file=sys.stderr)
    print(f"due={'true' if why else 'false'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
