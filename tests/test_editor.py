"""The user's editor (ui/editor.py): which one runs, what comes back, and /edit, with a scripted $EDITOR."""

from __future__ import annotations

import io
import json
import os
import stat
import sys
from pathlib import Path

import pytest
from rich.console import Console

from helpers import PATIENCE
from ui_helpers import still_output

from ollama_chat.backends.ollama import OllamaBackend
from ollama_chat.chat.personas import load_persona
from ollama_chat.chat.session import ChatSession
from ollama_chat.chat.settings import Flags
from ollama_chat.chat.layers import build_layers
from ollama_chat.ui.chat import Chat
from ollama_chat.ui.commands import handle_line
from ollama_chat.ui.editor import Editor, EditorError, EditorStopped, edit_text, editor_command
from ollama_chat.ui.chat import ConsoleNotify

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the scripted editor is a POSIX script")

SCRIPT = '''#!{python}
"""A scripted editor: `fake-editor MODE [TEXT] FILE`. It logs what it found, then changes FILE as MODE says."""
import json, os, stat, sys
mode, path = sys.argv[1], sys.argv[-1]
with open(path, encoding="utf-8") as f:
    found = f.read()
with open(os.path.join(os.path.dirname(sys.argv[0]), "editor.log"), "a", encoding="utf-8") as log:
    log.write(json.dumps({{"path": path, "mode": stat.S_IMODE(os.stat(path).st_mode), "found": found,
                          "args": sys.argv[1:-1], "stdin_tty": os.isatty(0)}}) + "\\n")
if mode == "append":  # as an editor saves: a trailing newline
    text = found[:-1] if found.endswith("\\n") else found
    open(path, "w", encoding="utf-8").write(text + sys.argv[2] + "\\n")
elif mode == "write":
    open(path, "w", encoding="utf-8").write(sys.argv[2])
elif mode == "crlf":
    open(path, "wb").write(sys.argv[2].encode() + b"\\r\\n")
elif mode == "latin1":
    open(path, "wb").write("café".encode("latin-1"))
elif mode == "fail":
    sys.exit(3)
elif mode == "killed":
    import signal
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # killed, even if it was started with SIGTERM ignored
    os.kill(os.getpid(), signal.SIGTERM)
'''


def fake_editor(folder: Path) -> Path:
    script = folder / "fake-editor"
    script.write_text(SCRIPT.format(python=sys.executable), encoding="utf-8")
    script.chmod(0o700)
    return script


def editor_log(folder: Path) -> list[dict]:
    log = folder / "editor.log"
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []


@pytest.fixture
def editor(tmp_path):
    """An environment whose $EDITOR is the scripted editor in MODE (with its arguments)."""
    script = fake_editor(tmp_path)

    def environ(*args: str, variable: str = "EDITOR") -> dict[str, str]:
        import shlex

        return {variable: " ".join(shlex.quote(a) for a in (str(script), *args)), "PATH": os.environ["PATH"]}

    return environ


# -- which editor ---------------------------------------------------------------------------------------------


def test_visual_wins_over_editor_and_both_are_command_lines():
    assert editor_command({"VISUAL": "code --wait", "EDITOR": "vi"}) == ["code", "--wait"]
    assert editor_command({"EDITOR": "vim -u NONE"}) == ["vim", "-u", "NONE"]
    assert editor_command({"VISUAL": "  ", "EDITOR": "'/opt/My Editor/bin/ed' -s"}) == ["/opt/My Editor/bin/ed", "-s"]


def test_without_variables_the_first_default_installed(tmp_path):
    for name in ("nano", "vi"):
        program = tmp_path / name
        program.write_text("#!/bin/sh\n")
        program.chmod(0o700)
    assert editor_command({"PATH": str(tmp_path)}) == ["nano"]
    (tmp_path / "editor").write_text("#!/bin/sh\n")
    (tmp_path / "editor").chmod(0o700)
    assert editor_command({"PATH": str(tmp_path)}) == ["editor"]  # Debian's alternative comes first


def test_no_editor_at_all_says_what_to_set(tmp_path):
    with pytest.raises(EditorError) as e:
        editor_command({"PATH": str(tmp_path)})
    assert "EDITOR" in e.value.hint


def test_an_unreadable_variable_is_named_with_its_value():
    with pytest.raises(EditorError) as e:
        editor_command({"EDITOR": "vim '-u"})
    assert "$EDITOR" in e.value.message and "vim '-u" in e.value.message


# -- what comes back ------------------------------------------------------------------------------------------


def test_the_saved_text_comes_back_without_the_trailing_newline(editor, tmp_path):
    assert edit_text("반쯤 쓴", editor("append", " 말입니다")) == "반쯤 쓴 말입니다"
    [seen] = editor_log(tmp_path)
    assert seen["found"] == "반쯤 쓴\n" and seen["args"] == ["append", " 말입니다"]
    assert seen["mode"] == 0o600 and seen["path"].endswith(".md")
    assert not os.path.exists(seen["path"])  # deleted after


def test_visual_is_used_and_multiline_text_survives(editor, tmp_path):
    assert edit_text("", editor("write", "첫 줄\n\n둘째 줄\n", variable="VISUAL")) == "첫 줄\n\n둘째 줄"
    assert edit_text("x", editor("crlf", "윈도우")) == "윈도우"


def test_unchanged_or_emptied_gives_none(editor, tmp_path):
    assert edit_text("그대로", editor("keep")) is None  # quit without saving
    assert edit_text("그대로", editor("write", "그대로\n")) is None  # saved as it was
    assert edit_text("끝에 줄바꿈\n", editor("keep")) is None
    assert edit_text("지울 글", editor("write", "")) is None
    assert edit_text("지울 글", editor("write", " \n\n")) is None
    seen = editor_log(tmp_path)
    assert len(seen) == 5  # the editor ran each time: None is what it left, not that it never ran
    assert all(not os.path.exists(run["path"]) for run in seen)


def test_an_editor_that_fails_or_cannot_start_raises_with_a_message(editor, tmp_path):
    with pytest.raises(EditorError) as e:
        edit_text("글", editor("fail"))
    assert "status 3" in e.value.message
    with pytest.raises(EditorError) as e:
        edit_text("글", {"EDITOR": "no-such-editor --wait", "PATH": str(tmp_path)})
    assert "$EDITOR" in e.value.message and "no-such-editor --wait" in e.value.message and "nano" in e.value.hint
    with pytest.raises(EditorStopped) as e:
        edit_text("글", editor("killed"))
    assert "SIGTERM" in e.value.message
    with pytest.raises(EditorError) as e:
        edit_text("글", editor("latin1"))
    assert "UTF-8" in e.value.message
    assert [seen["path"] for seen in editor_log(tmp_path) if os.path.exists(seen["path"])] == []


def test_the_wait_is_said_on_the_screen_it_is_given_and_erased_after(editor):
    """A GUI editor leaves the terminal looking idle: the chat's terminal (the Environment's stdout, never the
    process's own) says what it waits for, and the line is erased once the editor is closed."""
    screen = io.StringIO()
    assert edit_text("글", editor("append", "월"), screen=screen) == "글월"
    assert screen.getvalue().startswith("Waiting for your editor (") and screen.getvalue().endswith("to close the file…\r\033[K")
    dumb = io.StringIO()
    edit_text("글", {**editor("keep"), "TERM": "dumb"}, screen=dumb)  # a dumb terminal cannot erase a line
    assert dumb.getvalue() == ""


def test_a_not_executable_visual_is_named(tmp_path):
    program = tmp_path / "myeditor"
    program.write_text("#!/bin/sh\n")
    with pytest.raises(EditorError) as e:
        edit_text("글", {"VISUAL": str(program), "PATH": os.environ["PATH"]})
    assert "$VISUAL" in e.value.message


# -- /edit ----------------------------------------------------------------------------------------------------


def make_chat(fake, folder, environ):
    layers = build_layers(Flags(), {}, {"OLLAMA_HOST": fake.host_port}, load_persona("assistant", folder))
    console = Console(file=io.StringIO(), width=120, force_terminal=True, color_system=None)
    backend = OllamaBackend(layers.resolve().host, PATIENCE)
    session = ChatSession(layers, backend, still_output(console), ConsoleNotify(console), folder)
    return Chat(session, console, Editor(environ))


def contents(request):
    return [m["content"] for m in request["messages"][1:]]


def test_edit_replaces_the_last_exchange(fake_ollama, tmp_path, editor):
    chat = make_chat(fake_ollama, tmp_path, editor("write", "둘째 질문, 고쳐서\n"))
    handle_line(chat, "첫 질문")
    handle_line(chat, "둘째 질문")
    handle_line(chat, "/edit")
    assert editor_log(tmp_path)[0]["found"] == "둘째 질문\n"
    assert contents(fake_ollama.last_chat) == ["첫 질문", "echo: 첫 질문", "둘째 질문, 고쳐서"]
    handle_line(chat, "셋째")
    assert contents(fake_ollama.last_chat) == ["첫 질문", "echo: 첫 질문", "둘째 질문, 고쳐서", "echo: 둘째 질문, 고쳐서", "셋째"]


def test_edit_left_unchanged_or_failing_sends_nothing(fake_ollama, tmp_path, editor):
    for mode, said in (("keep", "Unchanged; nothing sent."), ("fail", "status 3")):
        chat = make_chat(fake_ollama, tmp_path, editor(mode))
        handle_line(chat, "질문")
        sent = len(fake_ollama.chat_requests)
        handle_line(chat, "/edit")
        assert len(fake_ollama.chat_requests) == sent
        assert said in " ".join(chat.console.file.getvalue().split())


def test_edit_with_nothing_asked_gives_a_hint(fake_ollama, tmp_path, editor):
    chat = make_chat(fake_ollama, tmp_path, editor("write", "x"))
    handle_line(chat, "/edit")
    assert "Nothing to edit" in chat.console.file.getvalue()
    assert editor_log(tmp_path) == [] and fake_ollama.chat_requests == []


def test_the_temp_file_is_private(editor, tmp_path):
    edit_text("비밀", editor("keep"))
    assert stat.S_IMODE(editor_log(tmp_path)[0]["mode"]) == 0o600
