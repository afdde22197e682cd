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

from fake_ollama import FakeOllama, find_fixtures_dir  # noqa: E402


@pytest.fixture
def fake_ollama() -> Iterator[FakeOllama]:
    """A running fake Ollama server (fresh for each test), stopped afterwards."""
    with FakeOllama() as server:
        yield server


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """The recorded `.ndjson` streams: `$OLLAMA_CHAT_FIXTURES`, else `shared/fixtures/streams` found beside
    the clone (see `find_fixtures_dir`). Tests that need them are skipped only if they are truly absent."""
    path = find_fixtures_dir(_TESTS_DIR)
    if path is None:
        pytest.skip("recorded stream fixtures not found: set OLLAMA_CHAT_FIXTURES to shared/fixtures/streams")
    return path
