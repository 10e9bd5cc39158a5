"""Safe file I/O: writes that leave the old file or the new (never half), bounded reads.

Used by the queue store, the sweep and the commands: every file the publisher writes goes through
``atomic_write`` (a temporary file in the same folder, fsync, ``os.replace``, the folder's fsync).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from publisher.errors import InputError
from publisher.store.common import NotRegular, read_regular

TMP_PREFIX = ".tmp-"
MAX_FILE_BYTES = 1 << 20  # a queue file is a few KB; anything near this is not one


def odd_entry(path: Path) -> str | None:
    """Why ``path`` in the queue folder must not be opened for reading, or None if it is fine.

    FIFOs would hang a read, devices (a symlink to /dev/zero) never end, and a symlink that
    leaves the folder would read (or overwrite) a file that is not the queue's.
    """
    try:
        info = os.lstat(path)
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    if stat.S_ISREG(info.st_mode):  # the common case, first: a run reads thousands of these
        return None
    if stat.S_ISLNK(info.st_mode):
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return "a broken or looping symlink"
        if target.parent != path.parent.resolve():
            return "a symlink that leaves the queue folder: not read"
        info = target.stat()
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        kind = "a FIFO" if stat.S_ISFIFO(info.st_mode) else kind
        kind = "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) else kind
        return f"{kind}: not read"
    return None


def read_bounded(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; ``InputError`` otherwise
    (``common.read_regular``: a FIFO or device swapped in after a check is never read)."""
    try:
        data = read_regular(path, limit + 1)  # +1: a file over the limit is noticed
    except NotRegular:
        raise InputError.one(path, None, "not a regular file: not read") from None
    except OSError as exc:
        raise InputError.one(path, None, f"cannot read: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise InputError.one(path, None, f"larger than {limit} bytes: not a queue file")
    return data


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a crash leaves the old file or the new, never half."""
    write_replace(path, text)
    fsync_dir(path.parent)


def write_replace(path: Path, text: str) -> None:
    """The file part of ``atomic_write``: the folder's fsync is the caller's."""
    tmp = write_temporary(path.parent, text)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
        raise


def write_temporary(folder: Path, text: str) -> str:
    """A synced temporary file in ``folder`` holding ``text``: its path."""
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=".tmp", dir=folder)
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes 0600; queue files are ordinary repository files
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
        raise
    return tmp


def fsync_dir(folder: Path) -> None:
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
