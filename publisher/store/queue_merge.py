"""A git merge driver for queue files: a person's edit and a run's records, both kept.

``commit-back`` rebases the run's commit on what was pushed meanwhile. When a person edited a
queue file the run also wrote (a hold pushed while the thread was posting), git's line merge
conflicts on the front matter. This driver merges the file field by field instead:

* a field only one side changed takes that side's value;
* ``posted`` (records of posts made) takes the longer list: records are facts, only added;
* ``status``: posted (a fact) over held (a person's hold) over failed over posting over pending;
* ``sending``/``sending_at`` go with the chosen ``posted``; any other field changed on both sides
  goes with the side whose ``status`` was chosen;
* the posts' text: the side that changed it (a run never does); changed on both: no merge.

Run by git as ``python -m publisher.store.queue_merge %O %A %B`` (``commit-back`` defines it for its
own git calls): writes the result to ``%A`` and exits 0, or exits 1 (a conflict) when the files do
not read as queue files or both changed the text. Even then nothing is lost: the record of posts
made (``posts.jsonl``, merged by union) restores a file's records at the next run.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

DRIVER_NAME = "publisher-queue"
_STATUS_RANK = {"posted": 4, "held": 3, "failed": 2, "posting": 1, "pending": 0}
_WITH_POSTED = ("sending", "sending_at")


class NoMerge(ValueError):
    """The three versions cannot be merged field by field."""


def split(text: str) -> tuple[dict[str, Any], str]:
    """(front matter, the posts below it) of a queue file's text."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise NoMerge("no front matter")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise NoMerge("front matter not closed") from None
    try:
        fields = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError:
        raise NoMerge("front matter is not YAML") from None
    if not isinstance(fields, dict):
        raise NoMerge("front matter is not a mapping")
    return fields, "\n".join(lines[end + 1 :])


def _pick(base: Any, ours: Any, theirs: Any) -> tuple[bool, Any]:
    """(decided, value) of a field by the three-way rule; not decided when both changed it."""
    if ours == theirs or theirs == base:
        return True, ours
    if ours == base:
        return True, theirs
    return False, None


def merge_fields(
    base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any]
) -> dict[str, Any]:
    """The merged front matter (see the module doc)."""
    ours_posted, theirs_posted = ours.get("posted") or [], theirs.get("posted") or []
    records_side = ours if len(ours_posted) >= len(theirs_posted) else theirs
    done, status = _pick(base.get("status"), ours.get("status"), theirs.get("status"))
    if not done:
        status = max(
            (ours.get("status"), theirs.get("status")),
            key=lambda s: _STATUS_RANK.get(str(s), -1),
        )
    status_side = ours if ours.get("status") == status else theirs
    merged: dict[str, Any] = {}
    for key in [*ours, *(k for k in theirs if k not in ours)]:
        if key == "posted":
            merged[key] = records_side.get("posted") or []
        elif key in _WITH_POSTED:
            merged[key] = records_side.get(key)
        elif key == "status":
            merged[key] = status
        else:
            done, value = _pick(base.get(key), ours.get(key), theirs.get(key))
            merged[key] = value if done else status_side.get(key)
        if merged[key] is None and key not in ours and key not in theirs:
            del merged[key]
    return merged


def merge_text(base: str, ours: str, theirs: str) -> str:
    """The merged queue file; ``NoMerge`` when it cannot be merged field by field."""
    base_fields, base_body = split(base) if base.strip() else ({}, "")
    ours_fields, ours_body = split(ours)
    theirs_fields, theirs_body = split(theirs)
    done, body = _pick(base_body, ours_body, theirs_body)
    if not done:
        raise NoMerge("both sides changed the posts' text")
    fields = merge_fields(base_fields, ours_fields, theirs_fields)
    return _render(fields) + str(body)


def _render(fields: dict[str, Any]) -> str:
    """Front matter as the queue writes it: YAML, with each record one JSON line."""
    import json

    posted = fields.pop("posted", None) or []
    head = yaml.safe_dump(fields, sort_keys=False, allow_unicode=True, width=1 << 20)
    if posted:
        records = "".join(f"\n- {json.dumps(_plain(r))}" for r in posted)
        head += "posted:" + records + "\n"
    else:
        head += "posted: []\n"
    return f"---\n{head}---\n"


def _plain(record: Any) -> Any:
    """A record as JSON can write it (YAML may have read its times as datetimes)."""
    if isinstance(record, dict):
        return {k: _plain(v) for k, v in record.items()}
    if hasattr(record, "isoformat"):
        return record.isoformat()
    return record


def main(argv: list[str]) -> int:
    """git's call: ``%O %A %B``; the result goes to ``%A``; 0 merged, 1 a conflict."""
    if len(argv) < 3:
        return 2
    base, ours, theirs = (Path(a) for a in argv[:3])
    try:
        merged = merge_text(
            base.read_text(encoding="utf-8") if base.exists() else "",
            ours.read_text(encoding="utf-8"),
            theirs.read_text(encoding="utf-8"),
        )
    except (NoMerge, OSError, UnicodeDecodeError):
        return 1
    ours.write_text(merged, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
