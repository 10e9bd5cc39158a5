"""Headless Chromium (Debian's ``chromium`` package) for the preview's browser tests and screenshot.

Every run gets a fresh profile and the flags that keep Chromium off the network (no background
requests, component updates or sync), so a page can only show what it holds.

Make the README's screenshot of the example digest's preview::

    python -m tests.fakes.browser examples/digest-2025-05-20.txt docs/preview.png
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
)
NAMES = ("chromium", "chromium-browser", "google-chrome")


def find_chromium() -> str | None:
    """The Chromium executable on PATH, or None."""
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _run(page: Path, *extra: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    binary = find_chromium()
    if binary is None:
        raise RuntimeError("Chromium is not installed: apt-get install chromium")
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        return subprocess.run(
            [binary, *FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )


def dump_dom(page: Path) -> str:
    """The page's DOM, serialized after it loaded (what any script would have changed shows)."""
    return _run(page, "--dump-dom").stdout


def screenshot(page: Path, png: Path, width: int = 1000, height: int = 1300) -> None:
    """A PNG of the page's first ``width`` x ``height`` pixels."""
    _run(page, f"--screenshot={png.resolve()}", f"--window-size={width},{height}")


def _shrink(png: Path) -> None:
    """Fewer colours, a third of the bytes (Pillow is in the test extra)."""
    from PIL import Image

    with Image.open(png) as image:
        small = image.convert("RGB").quantize(colors=64, dither=Image.Dither.NONE)
    small.save(png, optimize=True)


# The preview the picture shows: the example, at a fixed time, with this repository's config.
PICTURE_NOW = "2025-05-20T08:00:00+09:00"


def preview_command(digest: Path, page: Path) -> list[str]:
    """``publisher preview`` as the picture in docs/ is drawn from (run at the repository root)."""
    return [
        *("preview", str(digest), "--out", str(page)),
        *("--config", "config/publisher.toml", "--now", PICTURE_NOW),
    ]


def source_line(page: Path) -> str:
    """The line kept beside the picture: the sha256 of the page it was drawn from."""
    return f"{hashlib.sha256(page.read_bytes()).hexdigest()}  preview.html\n"


def main(argv: list[str]) -> int:
    """``DIGEST PNG``: preview the digest (config and queue of this folder) and screenshot it;
    ``PNG.sha256`` gets the hash of the page, which a test compares with today's preview."""
    if len(argv) != 2:
        print("usage: python -m tests.fakes.browser DIGEST PNG", file=sys.stderr)
        return 2
    digest, png = Path(argv[0]), Path(argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "preview.html"
        command = [sys.executable, "-m", "publisher", *preview_command(digest, page)]
        done = subprocess.run(command, check=False)
        if done.returncode != 0:
            return done.returncode
        screenshot(page, png)
        Path(f"{png}.sha256").write_text(source_line(page), encoding="utf-8")
    _shrink(png)
    print(f"wrote {png}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
