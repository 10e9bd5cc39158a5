"""Deterministic TIDs (Bluesky record keys) from (thread key, post index)."""

from __future__ import annotations

import hashlib

import pytest

from publisher.platforms.tid import (
    EPOCH_2024_US,
    TID_RE,
    decode_tid,
    encode_tid,
    tid_for,
)


def test_format() -> None:
    for key in ("2025-05-20/2505.13447", "한국어-키", "x", "a" * 500):
        for index in (0, 1, 7, 99):
            tid = tid_for(key, index)
            assert len(tid) == 13
            assert TID_RE.match(tid), tid
            assert tid[0] in "234567abcdefghij"


def test_deterministic_and_distinct() -> None:
    assert tid_for("2025-05-20/2505.13447", 0) == tid_for("2025-05-20/2505.13447", 0)
    assert tid_for("2025-05-20/2505.13447", 0) != tid_for("2025-05-20/2505.13448", 0)
    keys = [tid_for(f"thread-{n}", i) for n in range(200) for i in range(5)]
    assert len(set(keys)) == len(keys)


def _reference(key: str, index: int) -> str:
    """The scheme written out once more, independently of the module."""
    h = int(hashlib.sha256(key.encode()).hexdigest(), 16)
    value = ((1_704_067_200_000_000 + h % 2**45 + index) << 10) | ((h >> 128) % 1024)
    digits = "234567abcdefghijklmnopqrstuvwxyz"
    return "".join(digits[(value >> (5 * (12 - i))) & 31] for i in range(13))


def test_known_values() -> None:
    # pinned: changing the scheme would re-post every thread that is half posted
    assert tid_for("abc", 0) == "3lhb6344hhhl5"
    assert tid_for("2025-05-20/2505.13447", 0) == "3kokal2bpwl4c"
    for key in ("abc", "2025-05-20/2505.13447", "한국어"):
        for index in (0, 1, 31, 32, 1023, 1024):
            assert tid_for(key, index) == _reference(key, index)


def test_posts_of_a_thread_sort_in_order() -> None:
    tids = [tid_for("thread", i) for i in range(20)]
    assert tids == sorted(tids)
    stamps = [decode_tid(t) for t in tids]
    assert [s[0] - stamps[0][0] for s in stamps] == list(range(20))
    assert len({s[1] for s in stamps}) == 1  # one clock id per thread


def test_timestamp_range() -> None:
    for n in range(500):
        ts, clock = decode_tid(tid_for(f"k{n}", 3))
        assert EPOCH_2024_US <= ts < EPOCH_2024_US + 2**45 + 3 + 1
        assert 0 <= clock < 1024


def test_round_trip_and_spec_examples() -> None:
    assert decode_tid(encode_tid(1_700_000_000_000_000, 5)) == (1_700_000_000_000_000, 5)
    assert encode_tid(0, 0) == "2222222222222"
    assert encode_tid(2**53 - 1, 1023) == "bzzzzzzzzzzzz"  # 63 bits: top char <= "b"
    # a TID from the atproto spec examples decodes
    decode_tid("3jzfcijpj2z2a")


@pytest.mark.parametrize(("key", "index"), [("", 0), ("k", -1), ("k", 10**6)])
def test_rejects(key: str, index: int) -> None:
    with pytest.raises(ValueError):
        tid_for(key, index)
