"""The Environment (environment.py): the process's facts read once, and our messages on its stderr, worded for it
(wrapped on a terminal, coloured unless NO_COLOR, plain lines in a pipe)."""

from __future__ import annotations

import pytest

from ollama_chat.environment import Environment
from ollama_chat.text import cell_width


def err(env: Environment) -> str:
    return env.stderr.buffer.getvalue().decode()


def test_in_a_pipe_a_message_is_its_label_its_text_and_the_hint_indented():
    env = Environment.in_memory()
    env.warn("the store is locked", "Close the other window.\n  ollama-chat history")
    env.note("older exchanges were left out")
    env.error("Cannot reach Ollama", "Is it running?")
    env.say("", "llama3.2 is ready.")
    assert err(env) == ("Warning: the store is locked\n  Close the other window.\n    ollama-chat history\n"
                        "Note: older exchanges were left out\n"
                        "Error: Cannot reach Ollama\n  Is it running?\n"
                        "llama3.2 is ready.\n")


def test_on_a_terminal_a_message_is_wrapped_at_words_and_its_label_coloured():
    env = Environment.in_memory(stderr_isatty=True, columns=30)
    env.warn("a warning long enough to need more than one line here", "a hint that wraps as well, under itself\n"
             "  ollama-chat --a-command-to-copy-that-is-longer-than-the-line")
    lines = err(env).rstrip("\n").split("\n")
    assert lines[0].startswith("\033[33mWarning:\033[0m a warning")
    assert lines[-1] == "    ollama-chat --a-command-to-copy-that-is-longer-than-the-line"  # kept whole, to copy
    plain = [line.replace("\033[33m", "").replace("\033[0m", "") for line in lines[:-1]]
    assert all(cell_width(line) <= 30 for line in plain), plain
    assert " ".join(" ".join(plain).split()) == ("Warning: a warning long enough to need more than one line here"
                                                 " a hint that wraps as well, under itself")


@pytest.mark.parametrize("method, sgr", [("error", "1;31"), ("note", "2")])
def test_no_color_drops_the_colour_not_the_label(method, sgr):
    coloured = Environment.in_memory(stderr_isatty=True)
    plain = Environment.in_memory(environ={"NO_COLOR": "1"}, stderr_isatty=True)
    for env in (coloured, plain):
        getattr(env, method)("text")
    assert err(coloured).startswith(f"\033[{sgr}m") and "\033[" not in err(plain)
    assert err(plain).split()[1:] == ["text"]


def test_a_message_shows_untrusted_text_safely_on_one_line():
    env = Environment.in_memory(stderr_isatty=True, environ={"NO_COLOR": "1"})
    env.error("the server said: \x1b]0;pwned\x07 bad\nError: fake", "\x1b[31mred\x1b[0m")
    out = err(env)
    assert "\x1b]" not in out and "\x1b[31m" not in out and "\nError: fake" not in out
