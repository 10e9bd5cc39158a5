"""Nothing outside ``publisher/platforms/`` names a platform: not in code, not in a comment, not
in a docstring. A platform is one module there.

The names looked for are every registered platform's name and title, plus the other words its
descriptor says it goes by (``aliases``: its SDK, an old name, what its posts are called).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from publisher import platforms

PACKAGE = Path(platforms.__file__).resolve().parent.parent
EXEMPT = ("platforms",)


def _names() -> set[str]:
    """The words that name a platform: its name and title (unless its descriptor says how its
    name shows in code, ``name_pattern``: then that), and its aliases."""
    found: set[str] = set()
    for platform in platforms.registry().values():
        if platform.name_pattern is None:
            found |= {platform.name.lower(), platform.title.lower()}
        found |= set(platform.aliases)
    return found


class _Pattern:
    """The words as words of their own (case-insensitive) or any platform's ``name_pattern``."""

    def __init__(self) -> None:
        # a name as a word of its own: "x" as in `"x"`, `[x]` or "on X", not in "\x00", "max"
        # or "x_layout" inside a longer identifier, nor the "X-" of a header name.
        words = sorted(_names(), key=len, reverse=True)
        self.patterns = [
            re.compile(r"(?<![\w\\])(?:" + "|".join(map(re.escape, words)) + r")(?![\w-])", re.I)
        ]
        for platform in platforms.registry().values():
            if platform.name_pattern is not None:
                self.patterns.append(re.compile(platform.name_pattern))

    def search(self, line: str) -> bool:
        return any(p.search(line) for p in self.patterns)


def _pattern() -> _Pattern:
    return _Pattern()


def _core_files() -> list[Path]:
    return sorted(
        path for path in PACKAGE.rglob("*.py") if path.relative_to(PACKAGE).parts[0] not in EXEMPT
    )


def test_the_pattern_finds_a_platform_name() -> None:
    """The check would see a name if one were there (guards the pattern itself)."""
    pattern = _pattern()
    for line in ('if platform == "x":', "post to X and Bluesky", "uses tweepy", "[x] link"):
        assert pattern.search(line), line
    for line in ("max_posts = 3", r'"\x00"', "x_layout = 1", "index", "1x2"):
        assert not pattern.search(line), line


def test_a_name_pattern_finds_the_platform_not_the_word() -> None:
    """A platform whose name is an ordinary word is found as its descriptor says, and the word
    itself stays free."""
    pattern = _pattern()
    named = [p for p in platforms.registry().values() if p.name_pattern is not None]
    assert named, "no platform declares a name_pattern"
    for platform in named:
        quoted = f'if platform == "{platform.name}":'
        assert pattern.search(quoted), quoted
        assert pattern.search(f"[{platform.name}]")
        assert pattern.search(f"post to {platform.title} too")
        assert pattern.search(f"{platform.name.upper()}_ACCESS_TOKEN")
    for line in ("Threads that wait on a person", "the thread's posts", "threads = []"):
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
