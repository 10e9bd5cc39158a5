"""Reading a day's digest: the plain-text layout and the TOML form, reporting every problem.

The plain-text layout (see ``examples/digest-2025-05-20.txt``) is read and written by
``_text``; the TOML form (``date`` and ``[[paper]]`` tables) is read by ``_toml``. ``_files``
reads a file within the size limit and picks the form by its suffix; ``_common`` holds what
both forms share (dates, authors, paper URLs, the wording of validation errors).

Every problem in a file is collected as a :class:`~publisher.errors.Problem` with its line, and
all of them are raised together as one :class:`~publisher.errors.InputError`; nothing else ever
escapes from this package.
"""

from publisher.digest._files import MAX_DIGEST_BYTES, digest_bytes, read_digest, read_digests
from publisher.digest._text import format_digest_text, parse_digest_text
from publisher.digest._toml import parse_digest_toml

__all__ = [
    "MAX_DIGEST_BYTES",
    "digest_bytes",
    "format_digest_text",
    "parse_digest_text",
    "parse_digest_toml",
    "read_digest",
    "read_digests",
]
