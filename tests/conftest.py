"""Shared test set-up: hypothesis profiles, the example digest, the local PDS fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

pytest_plugins = ["tests.fixtures_pds"]

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "digest-2025-05-20.txt"

settings.register_profile("dev", max_examples=200, deadline=None)
settings.register_profile(
    "ci", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture
def example_digest() -> Path:
    return EXAMPLE
