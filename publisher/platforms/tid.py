"""Deterministic AT Protocol TIDs: Bluesky record keys that make a retried post land on one record.

A TID is 13 characters of base32-sortable (``234567abcdefghijklmnopqrstuvwxyz``) encoding a 64-bit
integer whose top bit is 0: a 53-bit microsecond timestamp shifted left by 10, OR a 10-bit clock id.
The spec allows ``234567abcdefghij`` as first character; 63 bits in fact never go past ``b``.

Here the timestamp and clock id are derived from ``(thread_key, index)`` instead of the clock:

- ``h = int.from_bytes(sha256(thread_key.encode("utf-8")).digest(), "big")``
- timestamp (µs) = 2024-01-01T00:00Z in µs + ``h % 2**45`` + ``index``
  (2**45 µs is about 407 days, so every thread's keys fall in 2024-01-01 … 2025-02-11 and a
  thread's posts get consecutive, sortable keys)
- clock id = ``(h >> 128) % 1024`` (bits that the timestamp does not use)

Light module: no atproto import.
"""

from __future__ import annotations

import hashlib
import re

ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
TID_RE = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")

EPOCH_2024_US = 1_704_067_200 * 1_000_000  # 2024-01-01T00:00:00Z in microseconds
SPREAD_BITS = 45
MAX_INDEX = 1_000_000  # far more posts than any thread has; keeps the timestamp well in range


def encode_tid(timestamp_us: int, clock_id: int) -> str:
    """The TID for a 53-bit microsecond timestamp and a 10-bit clock id."""
    if not 0 <= timestamp_us < 2**53:
        raise ValueError(f"TID timestamp out of range: {timestamp_us}")
    if not 0 <= clock_id < 2**10:
        raise ValueError(f"TID clock id out of range: {clock_id}")
    value = (timestamp_us << 10) | clock_id
    chars = []
    for _ in range(13):
        chars.append(ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def decode_tid(tid: str) -> tuple[int, int]:
    """``(timestamp_us, clock_id)`` of a TID; ValueError if it is not one."""
    if not TID_RE.match(tid):
        raise ValueError(f"not a TID: {tid!r}")
    value = 0
    for ch in tid:
        value = (value << 5) | ALPHABET.index(ch)
    return value >> 10, value & 1023


def tid_for(thread_key: str, index: int) -> str:
    """The record key of post ``index`` (0-based) of the thread ``thread_key``. Deterministic."""
    if not thread_key:
        raise ValueError("thread_key must not be empty")
    if not 0 <= index < MAX_INDEX:
        raise ValueError(f"post index out of range: {index}")
    h = int.from_bytes(hashlib.sha256(thread_key.encode("utf-8")).digest(), "big")
    timestamp_us = EPOCH_2024_US + (h % 2**SPREAD_BITS) + index
    clock_id = (h >> 128) % 1024
    return encode_tid(timestamp_us, clock_id)
