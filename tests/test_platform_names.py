"""Nothing outside ``publisher/platforms/`` (and the test doubles in ``publisher/testing/``) names a
platform: not in code, not in a comment, not in a docstring. A platform is one module there.

The names looked for are every registered platform's name and title, plus the other words its
descriptor says it goes by (``aliases``: its SDK, an old name, what its posts are called).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from publisher import platforms

PACKAGE = Path(platforms.__file__).resolve().parent.parent
EXEMPT = ("platforms", "testing")


def _names() -> set[str]:
    found: set[str] = set()
    for platform in platforms.registry().values():
        found |= {platform.name.lower(), platform.title.lower(), *platform.aliases}
    return found


def _pattern() -> re.Pattern[str]:
    # a name as a word of its own: "x" as in `"x"`, `[x]` or "on X", not in "\x00", "max" or
    # "x_layout" inside a longer identifier, nor the "X-" of a header name; case-insensitive.
    words = sorted(_names(), key=len, reverse=True)
    return re.compile(r"(?<![\w\\])(?:" + "|".join(map(re.escape, words)) + r")(?![\w-])", re.I)


def _core_files() -> list[Path]:
    return sorted(
        path
        for path in PACKAGE.rglob("*.py")
        if path.relative_to(PACKAGE).parts[0] not in EXEMPT
    )


def test_the_pattern_finds_a_platform_name() -> None:
    """The check would see a name if one were there (guards the pattern itself)."""
    pattern = _pattern()
    for line in ('if platform == "x":', "post to X and Bluesky", "uses tweepy", "[x] link"):
        assert pattern.search(line), line
    for line in ("max_posts = 3", r'"\x00"', "x_layout = 1", "index", "1x2"):
        assert not pattern.search(line), line


@pytest.mark.parametrize("path", _core_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_core_module_names_no_platform(path: Path) -> None:
    pattern = _pattern()
    hits = [
        f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert hits == []
