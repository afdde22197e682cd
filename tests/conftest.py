"""Shared fixtures: a fake Ollama server per test, and the recorded reply streams."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests are judged by what they find, not by how fast: a busy machine makes an example slower, never
# wrong, so neither hypothesis' 200 ms deadline nor its too_slow health check may fail a test. (Tests that
# set their own `@settings` keep these unless they say otherwise.)
settings.register_profile("patient", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("patient")

# Let every test module `from fake_ollama import FakeOllama`, whatever pytest's import mode.
_TESTS_DIR = Path(__file__).resolve().parent
if str(_TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(_TESTS_DIR))

from fake_ollama import FakeOllama  # noqa: E402

from ollama_chat.cli.main import main  # noqa: E402
from ollama_chat.environment import Environment  # noqa: E402

FIXTURES_DIR = _TESTS_DIR / "fixtures" / "streams"


@pytest.fixture(autouse=True)
def english_by_default():
    """Each test starts in English (an in-process run of the CLI may have switched the language)."""
    from ollama_chat import i18n

    i18n.use("en")
    yield
    i18n.use("en")


@pytest.fixture(autouse=True)
def private_home(tmp_path_factory, monkeypatch) -> None:
    """No test touches the real home: anything that falls back to os.environ finds a private one."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for var in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def fake_ollama() -> Iterator[FakeOllama]:
    """A running fake Ollama server (fresh for each test), stopped afterwards."""
    with FakeOllama() as server:
        yield server


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """The recorded `.ndjson` reply streams, kept in the repository (see tests/fixtures/streams/README.md)."""
    return FIXTURES_DIR


@pytest.fixture
def cli(tmp_path, fake_ollama, capsys):
    """Run `ollama-chat ARGS` in-process; returns (exit code, stdout, stderr) as text."""

    def run(*args: str, stdin: bytes = b"", tty: bool = False, columns: int = 80, stdin_tty: bool = False, **environ: str):
        variables = {
            "HOME": str(tmp_path),
            "XDG_CONFIG_HOME": str(tmp_path / ".config"),
            "XDG_STATE_HOME": str(tmp_path / "state"),
            "XDG_DATA_HOME": str(tmp_path / "data"),
            "OLLAMA_HOST": fake_ollama.host_port,
            **environ,
        }
        env = Environment.in_memory(
            stdin, variables, stdin_isatty=stdin_tty, stdout_isatty=tty, stderr_isatty=tty, columns=columns
        )
        with pytest.raises(SystemExit) as exit_:
            main(list(args), env)
        parser = capsys.readouterr()  # click writes help (and Typer its completion scripts) to the process's streams
        out = env.stdout.buffer.getvalue().decode() + parser.out
        err = env.stderr.buffer.getvalue().decode() + parser.err
        assert "Traceback" not in err, err
        return exit_.value.code, out, err

    return run


@pytest.fixture
def fake_openai():
    """A running fake OpenAI-compatible server (fresh for each test), stopped afterwards. `fake_openai.url` is
    the API's base URL, http://127.0.0.1:PORT/v1."""
    from fake_openai import FakeOpenAI

    with FakeOpenAI() as server:
        yield server
