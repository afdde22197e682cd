"""Shared fixtures: a fake Ollama server per test, and the recorded reply streams."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# Let every test module `from fake_ollama import FakeOllama`, whatever pytest's import mode.
_TESTS_DIR = Path(__file__).resolve().parent
if str(_TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(_TESTS_DIR))

from fake_ollama import FakeOllama  # noqa: E402

FIXTURES_DIR = _TESTS_DIR / "fixtures" / "streams"


@pytest.fixture
def fake_ollama() -> Iterator[FakeOllama]:
    """A running fake Ollama server (fresh for each test), stopped afterwards."""
    with FakeOllama() as server:
        yield server


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """The recorded `.ndjson` reply streams, kept in the repository (see tests/fixtures/streams/README.md)."""
    return FIXTURES_DIR
