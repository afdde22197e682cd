"""The prompt_toolkit loop driven through a pipe input: keys as a terminal sends them, requests on the wire."""

from __future__ import annotations

import io
import os
import stat

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from rich.console import Console
from ui_helpers import still_output

from ollama_chat import paths
from ollama_chat.backends.ollama import OllamaBackend
from ollama_chat.chat.personas import load_persona
from ollama_chat.chat.session import ChatSession
from ollama_chat.chat.settings import Flags
from ollama_chat.chat.layers import build_layers
from ollama_chat.ui.chat import Chat
from ollama_chat.ui.chat import ConsoleNotify
from ollama_chat.ui.input_history import open_history
from ollama_chat.ui.repl import chat_loop, prompt_session

from helpers import PATIENCE, PromptTypist


def make_chat(fake, folder, flags=Flags(), console=None):
    layers = build_layers(flags, {}, {"OLLAMA_HOST": fake.host_port}, load_persona("assistant", folder))
    console = console or Console(file=io.StringIO(), width=120, force_terminal=True, color_system=None)
    backend = OllamaBackend(layers.resolve().host, PATIENCE)
    return Chat(ChatSession(layers, backend, still_output(console), ConsoleNotify(console), folder), console)

ENTER, ALT_ENTER, CTRL_J, CTRL_C, CTRL_D, UP = "\r", "\x1b\r", "\n", "\x03", "\x04", "\x1b[A"


@pytest.fixture
def run(fake_ollama, tmp_path):
    history_file = paths.input_history_file({"XDG_STATE_HOME": str(tmp_path / "state")})

    def run(*keys: str, **flags):
        """Each argument is typed once the prompt is ready for it: running, its input history loaded (that
        happens in the background), the keys before it processed (see helpers.PromptTypist)."""
        chat = make_chat(fake_ollama, tmp_path, Flags(**flags))
        with create_pipe_input() as pipe:
            prompt = prompt_session(chat, history_file, input=pipe, output=DummyOutput())
            with PromptTypist(prompt, pipe).typing(keys):
                code = chat_loop(chat, prompt)
        return code, chat.console.file.getvalue()

    return run


def questions(fake):
    return [r["messages"][-1]["content"] for r in fake.chat_requests]


def test_korean_turns_then_종료(run, fake_ollama):
    code, screen = run("안녕하세요" + ENTER + "파이썬이란?" + ENTER + "종료" + ENTER + "never sent" + ENTER)
    assert code == 0
    assert questions(fake_ollama) == ["안녕하세요", "파이썬이란?"]
    assert fake_ollama.chat_requests[1]["messages"][-2] == {"role": "assistant", "content": "echo: 안녕하세요"}
    assert "echo: 파이썬이란?" in screen and "Bye!" in screen


def test_ctrl_d_leaves(run, fake_ollama):
    code, _ = run("q" + ENTER + CTRL_D)
    assert code == 0 and questions(fake_ollama) == ["q"]


def test_newlines_alt_enter_ctrl_j_and_triple_quotes(run, fake_ollama):
    keys = (
        "첫 줄" + ALT_ENTER + "둘째 줄" + ENTER
        + "a" + CTRL_J + "b" + ENTER
        + '"""' + ENTER + "블록 첫 줄" + ENTER + "블록 둘째 줄" + ENTER + '"""' + ENTER
        + "/bye" + ENTER
    )
    run(keys)
    assert questions(fake_ollama) == ["첫 줄\n둘째 줄", "a\nb", "블록 첫 줄\n블록 둘째 줄"]


def test_bracketed_paste_stays_one_message(run, fake_ollama):
    run("\x1b[200~def f():\r\n    return 1\r\n\r\nprint(f())\x1b[201~" + ENTER + "exit" + ENTER)
    assert questions(fake_ollama) == ["def f():\n    return 1\n\nprint(f())"]


def test_ctrl_c_on_the_prompt_clears_the_line(run, fake_ollama):
    code, screen = run("지울 글" + CTRL_C + "남길 글" + ENTER + "quit" + ENTER)
    assert code == 0 and questions(fake_ollama) == ["남길 글"]
    assert "To leave: quit, exit, 종료, 나가기, 끝 or Ctrl+D" in screen


def test_failed_question_is_one_up_arrow_away(run, fake_ollama):
    fake_ollama.reply_status(500, {"error": "llama runner process has terminated"})
    code, screen = run("다시 물어볼 질문" + ENTER, UP, ENTER, "quit" + ENTER)
    assert questions(fake_ollama) == ["다시 물어볼 질문", "다시 물어볼 질문"]
    assert "llama runner process has terminated" in screen
    assert fake_ollama.chat_requests[1]["messages"][1:] == [{"role": "user", "content": "다시 물어볼 질문"}]


def test_input_history_file_is_private_and_kept_across_runs(run, fake_ollama, tmp_path):
    run("첫 실행의 질문" + ENTER + "quit" + ENTER)
    path = tmp_path / "state" / "ollama-chat" / "input_history"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "첫 실행의 질문" in path.read_text(encoding="utf-8")
    run(UP, UP, ENTER, "quit" + ENTER)  # Up once is "quit", twice is the question
    assert questions(fake_ollama) == ["첫 실행의 질문", "첫 실행의 질문"]


def test_no_input_history_writes_nothing(run, tmp_path):
    run("비밀" + ENTER + "quit" + ENTER, input_history=False)
    assert not (tmp_path / "state").exists()


def test_unwritable_history_warns_once_and_goes_on(run, fake_ollama, tmp_path):
    (tmp_path / "state").write_text("a file where the state folder should be")  # unwritable even for root
    code, screen = run("q" + ENTER + "quit" + ENTER)
    assert code == 0 and screen.count("Warning:") == 1 and questions(fake_ollama) == ["q"]


def test_unwritable_history_file(tmp_path):
    warnings = []
    blocker = tmp_path / "file"
    blocker.write_text("x")
    history = open_history(True, warnings.append, blocker / "sub" / "input_history")
    history.append_string("q")
    assert len(warnings) == 1 and "not writable" in warnings[0]
    assert list(history.get_strings()) == ["q"]


def test_tab_completion(fake_ollama, tmp_path):
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document

    from ollama_chat.ui.completion import ChatCompleter

    fake_ollama.add_model("qwen3:8b")
    session = make_chat(fake_ollama, tmp_path).session
    completer = ChatCompleter(session)

    def complete(text):
        return [c.text for c in completer.get_completions(Document(text), CompleteEvent(completion_requested=True))]

    assert complete("/pe") == ["/persona", "/personas"]
    assert complete("/persona m") == ["monk"]
    assert complete("/model q") == ["qwen3:8b"]
    assert complete("/set top_") == ["top_p", "top_k"]
    assert complete("/think h") == ["high"]
    assert complete("안녕") == [] and complete("/set temperature 0") == []
    fake_ollama.stop()
    session.checks._models = None
    assert complete("/model ") == []  # no server: no completions, no error


def test_a_loose_history_file_is_tightened_and_a_fifo_refused(tmp_path):
    path = tmp_path / "state" / "input_history"
    path.parent.mkdir(mode=0o755)
    path.write_text("old\n")
    path.chmod(0o644)
    warnings = []
    open_history(True, warnings.append, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert warnings == []
    fifo = tmp_path / "fifo_history"
    os.mkfifo(fifo)
    history = open_history(True, warnings.append, fifo)  # would block a plain open for writing
    assert len(warnings) == 1 and "not writable" in warnings[0]
    history.append_string("q")


def test_a_command_that_fails_is_said_and_the_chat_goes_on(run, fake_ollama, monkeypatch):
    from ollama_chat.errors import ChatError
    from ollama_chat.ui import commands

    def broken(chat, arg):
        raise ChatError("the file went away", "try another")

    monkeypatch.setitem(commands.COMMANDS, "/read", commands.Command("/read", "PATH", "", broken))
    code, screen = run("/read x" + ENTER + "그 다음 질문" + ENTER + "끝" + ENTER)
    assert code == 0 and "Error: the file went away" in screen and "try another" in screen
    assert questions(fake_ollama) == ["그 다음 질문"]


def test_glibcs_mmap_threshold_is_held_once_and_freed_memory_given_back_after_each_line(
        run, fake_ollama, monkeypatch):
    from ollama_chat.ui import repl

    calls, given = [], []
    monkeypatch.setattr(repl, "keep_large_blocks_mapped", lambda: calls.append(len(fake_ollama.chat_requests)))
    monkeypatch.setattr(repl, "give_back", lambda: given.append(len(fake_ollama.chat_requests)))
    code, _ = run("하나" + ENTER, "둘" + ENTER, "/help" + ENTER, "셋" + ENTER + CTRL_D)
    assert code == 0 and questions(fake_ollama) == ["하나", "둘", "셋"]
    assert calls == [0]  # ui/heap.py: before the first reply streams, and only once
    assert given == [1, 2, 2, 3]  # and what each line's work freed is given back when it is done
