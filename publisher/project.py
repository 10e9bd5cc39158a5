"""The project root: the folder holding ``config/publisher.toml`` or ``queue/``, found from any
folder below it (as git finds its work tree), and paths given from below it written from it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

# The default --queue, this very object: a folder named on the command line is the user's (from
# the working folder), the default is the project root's.
DEFAULT_QUEUE = Path("queue")
# What makes a folder a project root: the nearest folder, the working one or above, holding one.
ROOT_MARKERS = (Path("config") / "publisher.toml", Path("queue"))


def project_root(start: Path) -> Path | None:
    """The nearest folder, ``start`` or one above it, holding ``config/publisher.toml`` or
    ``queue/``; None when there is none."""
    for folder in (start, *start.parents):
        if any((folder / marker).exists() for marker in ROOT_MARKERS):
            return folder
    return None


def from_root(path: Path, cwd: Path, root: Path) -> Path:
    """``path`` as given from ``cwd``, written from ``root`` (relative when it is inside)."""
    if path.is_absolute():
        return path
    full = Path(os.path.normpath(cwd / path))
    return full.relative_to(root) if full.is_relative_to(root) else full


def moved(values: Mapping[str, object], cwd: Path, root: Path) -> dict[str, object]:
    """The paths among command-line ``values`` (a path, or a list of paths), written from
    ``root``; the default queue is left out: it is the root's already."""
    out: dict[str, object] = {}
    for name, value in values.items():
        if isinstance(value, Path) and value is not DEFAULT_QUEUE:
            out[name] = from_root(value, cwd, root)
        elif isinstance(value, list) and value and all(isinstance(v, Path) for v in value):
            out[name] = [from_root(v, cwd, root) for v in value]
    return out
