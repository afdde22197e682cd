"""Wording lives at the surface: a backend says what went wrong and what was tried, and carries the facts; it never
names a command of the chat or a flag of the command line. `wording.for_repl` and `wording.for_command_line`
add what each surface says to do next."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import typer.main

from fake_openai import FakeOpenAI

from ollama_chat import i18n
from ollama_chat.backends.base import (
    BadAddress,
    CannotPull,
    CannotThink,
    ContextOverflow,
    KeyRefused,
    ModelNotFound,
    NoThinkSwitch,
    OptionsRefused,
    ReadTimeout,
    Seen,
    ServerUnreachable,
    WrongServer,
)
from ollama_chat.backends.ollama import OllamaBackend
from ollama_chat.backends.openai import OpenAIBackend
from ollama_chat.backends.openai_wire import request_body
from ollama_chat.cli.main import cli
from ollama_chat.errors import EXIT_USAGE, ChatError
from ollama_chat.types import ChatRequest, Message
from ollama_chat.ui.commands import COMMANDS
from ollama_chat.ui.wording import for_command_line, for_repl

BACKENDS = Path(__file__).resolve().parent.parent / "ollama_chat" / "backends"
LONG = ChatRequest("llama3.2", (Message("user", "word " * 5000),), truncate=False)


def backend_messages() -> list[tuple[str, str]]:
    """(where, text) of every message the backends give to gettext."""
    found = []
    for path in sorted(BACKENDS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "N_", "ngettext"):
                found += [(f"{path.name}:{node.lineno}", a.value) for a in node.args
                          if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    return found


def long_flags(command) -> set[str]:
    flags = {o for p in command.params for o in (*p.opts, *p.secondary_opts) if o.startswith("--")}
    for sub in getattr(command, "commands", {}).values():
        flags |= long_flags(sub)
    return flags


def test_no_backend_message_names_a_command_or_a_flag():
    """Not `/pull`, `--pull`, `--host`, `--timeout`, `/think off`, nor `ollama-chat models`: those are the surface's."""
    words = [rf"(?<![\w/.-]){re.escape(name)}(?![\w-])" for name in COMMANDS]
    words += [rf"(?<![\w-]){re.escape(flag)}(?![\w-])" for flag in long_flags(typer.main.get_command(cli))]
    words.append(r"\bollama-chat\s+\w")
    messages = backend_messages()
    assert len(messages) > 100  # the check reads them all
    named = [(where, re.search(w, text).group()) for where, text in messages for w in words if re.search(w, text)]
    assert named == []


def test_a_missing_model_is_said_the_chats_way_and_the_shells_way(fake_ollama):
    with pytest.raises(ModelNotFound) as e:
        OllamaBackend(fake_ollama.url).chat(ChatRequest(model="mistral", messages=()))
    error = e.value
    assert (error.model, error.can_pull, error.suggestions, error.hint) == ("mistral", True, [], "")
    repl, shell = for_repl(error), for_command_line(error)
    assert repl.hint == "/pull mistral downloads it; /model NAME switches (/models lists them)."
    assert shell.hint == ("Download it with:  ollama-chat models pull mistral\n(/pull mistral in the chat, --pull with a"
                          " question; or choose another model: `ollama-chat models` lists what you have)")
    assert type(repl) is type(shell) is ModelNotFound and repl.message == shell.message == error.message


def test_a_close_name_or_a_listing_is_the_backends_own_hint(fake_ollama, fake_openai):
    fake_ollama.add_model("gemma3:1b")
    with pytest.raises(ModelNotFound) as e:
        OllamaBackend(fake_ollama.url).model_info("gemma3")
    with pytest.raises(ModelNotFound) as listed:
        OpenAIBackend(fake_openai.url).model_info("nothing-here")
    for error, hint in ((e.value, "Did you mean gemma3:1b?"), (listed.value, "The server has: ")):
        assert error.hint.startswith(hint) and "pull" not in error.hint
        assert for_repl(error) is error and for_command_line(error) is error
    assert not listed.value.can_pull and listed.value.installed


def test_the_errors_carry_their_facts(fake_ollama, fake_openai):
    with pytest.raises(CannotThink) as e:
        OllamaBackend(fake_ollama.url).chat(ChatRequest(model="llama3.2", messages=(), think=True))
    assert e.value.model == "llama3.2" and e.value.status == 400 and not e.value.hint
    with pytest.raises(ContextOverflow) as e:
        OllamaBackend(fake_ollama.url).chat(LONG)
    assert not e.value.fixed_window and not e.value.hint
    fake_ollama.override("/api/tags", 302, b"", content_type="text/plain")
    with pytest.raises(WrongServer) as e:
        OllamaBackend(fake_ollama.url).models()
    assert (e.value.seen, e.value.api) == (Seen.REDIRECT, "ollama") and not e.value.hint
    with pytest.raises(OptionsRefused) as e:
        request_body(ChatRequest("m", (), options={"num_gpu": 1}))
    assert e.value.names == ("num_gpu",) and "temperature" in e.value.takes and not e.value.hint
    with pytest.raises(NoThinkSwitch):
        request_body(ChatRequest("m", (), think=False))
    with pytest.raises(CannotPull) as e:
        list(OpenAIBackend(fake_openai.url).pull("llama3.2"))
    assert not e.value.hint


def test_a_refused_key_names_its_variable():
    with FakeOpenAI(api_key="sk-right") as fake:
        with pytest.raises(KeyRefused) as e:
            OpenAIBackend(fake.url, key_env="LAB_API_KEY").models()
        assert (e.value.key_env, e.value.sent) == ("LAB_API_KEY", False) and e.value.hint == "Set LAB_API_KEY to the key."
        with pytest.raises(KeyRefused) as e:
            OpenAIBackend(fake.url, api_key="sk-wrong", key_env="LAB_API_KEY").models()
        assert (e.value.key_env, e.value.sent) == ("LAB_API_KEY", True) and "sk-wrong" not in str(e.value)


SAME_BOTH_WAYS = [
    (ReadTimeout("x", silent=True), "A large model can take minutes to load: raise the limit with --timeout SECONDS"),
    (ReadTimeout("x"), "holding the reply back: check the server's log, or raise the limit with --timeout SECONDS."),
    (ContextOverflow("x"), "Shorten the question, /compact the conversation, or /set num_ctx higher."),
    (ContextOverflow("x", fixed_window=True), "start it with a bigger one (llama.cpp: --n_ctx N or -c N;"),
    (CannotThink("x"), "This model can't think: drop --think (or /think off)"),
    (NoThinkSwitch("x"), "(/think low sets the least effort, or drop --no-think / think = false from the persona)."),
    (OptionsRefused("x", takes=("temperature", "seed")), "Drop it (/unset NAME in the chat), or take it out of the"
                                                          " flags, the persona or the config. It takes: temperature, seed."),
    (CannotPull("x"), "`ollama-chat models` lists them."),
    (BadAddress("x", api="ollama"), "HOST:PORT or http(s)://HOST:PORT/PATH with --host or OLLAMA_HOST."),
    (ServerUnreachable("x", api="ollama"), "Start it with `ollama serve` (or open the Ollama app), or point to it with"),
    (WrongServer("x", api="ollama", seen=Seen.TOO_LARGE), "Check --host / OLLAMA_HOST."),
    (WrongServer("x", api="ollama", seen=Seen.REDIRECT), "Point --host / OLLAMA_HOST at the Ollama API itself"),
    (WrongServer("x", api="ollama", seen=Seen.NOT_HTTP), "check the port in --host / OLLAMA_HOST (Ollama's is 11434)"),
    (WrongServer("x", api="ollama"), "takes its base URL with /v1, or --api openai."),
]


@pytest.mark.parametrize("error, words", SAME_BOTH_WAYS,
                         ids=lambda v: type(v).__name__ if isinstance(v, ChatError) else "")
def test_both_surfaces_give_todays_hint(error, words):
    repl, shell = for_repl(error), for_command_line(error)
    assert words in repl.hint and repl.hint == shell.hint and error.hint == ""
    assert type(repl) is type(error) and repl.exit_code == error.exit_code and vars(repl) == {**vars(error), "hint": repl.hint}


@pytest.mark.parametrize("error", [WrongServer("x", "its own", api="openai"), ServerUnreachable("x", "", api="openai"),
                                   ChatError("a file", "its hint")])
def test_what_a_surface_has_no_words_for_is_shown_as_it_is(error):
    assert for_repl(error) is error and for_command_line(error) is error


def test_a_refused_option_stays_a_usage_error():
    worded = for_command_line(OptionsRefused("x", takes=("seed",)))
    assert isinstance(worded, OptionsRefused) and worded.exit_code == EXIT_USAGE


def test_the_hint_is_in_the_language_spoken_when_it_is_shown():
    error = ReadTimeout("x", silent=True)
    i18n.use("ko")
    assert "큰 모델은 불러오는 데 몇 분이 걸릴 수 있습니다" in for_repl(error).hint
