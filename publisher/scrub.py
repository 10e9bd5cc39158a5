"""The one scrubber for text that leaves a run: every message built from a server's answer passes
through :func:`scrub` before it is printed, stored in a queue file or written to a summary.

It removes every credential value the run knows (:func:`remember`, fed by ``config``) and, by
shape, what a server may echo back from a request: OAuth 1.0a parameters, ``Authorization``
headers, bearer tokens, JWTs and password fields.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

REDACTED = "[redacted]"
_known: set[str] = set()

_PATTERNS = [
    # oauth_consumer_key="abc", oauth_token=abc&..., "oauth_signature": "abc"
    re.compile(r"""(?i)(["']?oauth_[a-z_]+["']?\s*[=:]\s*["']?)[^"'&,\s}]*"""),
    # Authorization: OAuth ..., "authorization": "Bearer ...", Cookie / Set-Cookie: ...
    re.compile(r"""(?i)(["']?(?:proxy-)?authorization["']?\s*[:=]\s*["']?)[^"'\r\n}]*"""),
    re.compile(r"""(?i)(["']?(?:set-)?cookie["']?\s*[:=]\s*["']?)[^"'\r\n}]*"""),
    re.compile(r"(?i)\b(bearer|basic|oauth)(\s+)[A-Za-z0-9._~+/=,\"-]{8,}"),
    # "password": "...", "accessJwt": "...", "refreshJwt": "...", "token": "...", app passwords
    re.compile(
        r"""(?i)(["']?(?:password|app_?password|access_?jwt|refresh_?jwt|[a-z_]*token[a-z_]*|"""
        r"""[a-z_]*secret[a-z_]*|api_?key)["']?\s*[=:]\s*["']?)[^"'&,\s}]*"""
    ),
]
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_APP_PASSWORD = re.compile(r"\b[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}\b")


def remember(values: Iterable[str]) -> None:
    """Add credential values that must never leave the run (only ``config`` calls this)."""
    _known.update(v for v in values if v and len(v) >= 4)


def scrub(text: str) -> str:
    """``text`` without any credential value or credential-shaped parameter."""
    for value in sorted(_known, key=len, reverse=True):
        text = text.replace(value, REDACTED)
    for pattern in _PATTERNS:
        if pattern.groups == 2:
            text = pattern.sub(lambda m: m.group(1) + m.group(2) + REDACTED, text)
        else:
            text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    text = _JWT.sub(REDACTED, text)
    return _APP_PASSWORD.sub(REDACTED, text)
