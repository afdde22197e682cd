"""/copy code [N]: the numbers the screen shows over code blocks pick what goes to the clipboard (OSC 52).
In-process against the fake server, plus one run of the installed command in a pseudo-terminal."""

from __future__ import annotations

import base64
import io
import re

import pytest
from rich.console import Console
from ui_helpers import screen_lines, still_output

from helpers import BIN, PATIENCE, spawn_in_pty, user_env
from ollama_chat.backends.ollama import OllamaBackend
from ollama_chat.chat.personas import load_persona
from ollama_chat.chat.session import ChatSession
from ollama_chat.chat.settings import Flags
from ollama_chat.chat.layers import build_layers
from ollama_chat.ui.chat import Chat
from ollama_chat.ui.commands import handle_line
from ollama_chat.ui.chat import ConsoleNotify

WIDTH = 120
OSC52 = re.compile(r"\x1b\]52;c;([A-Za-z0-9+/=]*)\x07")

REPLY = (
    "파이썬 예제입니다.\n\n"
    "```python\ndef 인사(이름):\n    print(f\"안녕, {이름}\")\n```\n\n"
    "1. 설치:\n\n   ```bash\n   pip install rich\n   pip install pyte\n   ```\n\n"
    "2. 실행:\n\n"
    "       python main.py\n\n"
    "끝."
)


@pytest.fixture
def chat(fake_ollama, tmp_path):
    layers = build_layers(Flags(), {}, {"OLLAMA_HOST": fake_ollama.host_port}, load_persona("monk", tmp_path))
    console = Console(file=io.StringIO(), width=WIDTH, force_terminal=True, color_system=None, theme=None)
    backend = OllamaBackend(layers.resolve().host, PATIENCE)
    return Chat(ChatSession(layers, backend, still_output(console), ConsoleNotify(console), tmp_path), console)


def raw(chat) -> str:
    return chat.console.file.getvalue()


def rows(chat) -> list[str]:
    return screen_lines(raw(chat), WIDTH, 50)


def clipboard(chat) -> list[str]:
    """Every text sent with OSC 52 so far, decoded."""
    return [base64.b64decode(payload).decode() for payload in OSC52.findall(raw(chat))]


def copy(chat, command: str) -> str:
    """Run `command`; the message it printed (its rows joined: rich wraps it at spaces)."""
    before = len(rows(chat))
    handle_line(chat, command)
    return " ".join(row for row in rows(chat)[before:] if row)


def test_the_screen_numbers_code_blocks_and_copy_code_n_sends_that_one(chat, fake_ollama):
    fake_ollama.reply(REPLY)
    handle_line(chat, "질문")
    screen = rows(chat)
    assert "[1] python" in screen and "   [2] bash" in screen and "   [3]" in screen
    assert screen[screen.index("[1] python") + 1] == "def 인사(이름):"  # the code line itself is clean
    assert screen[screen.index("   [2] bash") + 1] == "   pip install rich"

    assert copy(chat, "/copy code 2") == (
        "Sent code block 2 of 3 (bash, 2 lines) to the terminal's clipboard (OSC 52). Nothing pasted? Your terminal"
        " may not allow OSC 52 (in tmux: set -g set-clipboard on).")
    assert clipboard(chat) == ["pip install rich\npip install pyte"]  # without the list's indent

    assert copy(chat, "/copy code 1").startswith("Sent code block 1 of 3 (python, 2 lines)")
    assert clipboard(chat)[-1] == 'def 인사(이름):\n    print(f"안녕, {이름}")'

    assert copy(chat, "/COPY Code").startswith("Sent code block 3 of 3 (1 line)")  # the last one; no language
    assert clipboard(chat)[-1] == "python main.py"

    handle_line(chat, "/copy")  # the whole reply, as before
    assert clipboard(chat)[-1] == REPLY
    assert len(clipboard(chat)) == 4


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("/copy code 4", "There is no code block 4. The last reply has 3 code blocks."),
        ("/copy code 0", "There is no code block 0. The last reply has 3 code blocks."),
        ("/copy code two", "two is not a code block number. The last reply has 3 code blocks."),
        ("/copy code -1", "-1 is not a code block number. The last reply has 3 code blocks."),
        ("/copy cod 1", "/copy takes nothing (the last reply) or code [N] (one of its code blocks), not cod 1."),
        ("/copy code 1 2", "/copy takes nothing (the last reply) or code [N] (one of its code blocks), not code 1 2."),
    ],
)
def test_a_wrong_copy_says_why_and_how_many_blocks_there_are(chat, fake_ollama, command, message):
    fake_ollama.reply(REPLY)
    handle_line(chat, "질문")
    assert copy(chat, command) == message
    assert clipboard(chat) == []


def test_copy_code_without_a_reply_or_without_code(chat, fake_ollama):
    assert copy(chat, "/copy code") == "No reply to copy yet."
    fake_ollama.reply("코드는 없고 `인라인`만 있어요.")
    handle_line(chat, "질문")
    assert "[1]" not in raw(chat)
    assert copy(chat, "/copy code 1") == "The last reply has no code blocks."
    fake_ollama.reply("Empty:\n\n```\n```\n")
    handle_line(chat, "질문")
    assert "[1]" in rows(chat)
    assert copy(chat, "/copy code") == "Code block 1 is empty; nothing was copied."
    assert clipboard(chat) == []


def test_an_unclosed_fence_at_the_end_is_numbered_and_copied(chat, fake_ollama):
    fake_ollama.reply("Here:\n\n```sh\nls -la\necho 끝")
    handle_line(chat, "질문")
    assert rows(chat)[-3:] == ["[1] sh", "ls -la", "echo 끝"]
    assert copy(chat, "/copy code 1").startswith("Sent code block 1 of 1 (sh, 2 lines)")
    assert clipboard(chat) == ["ls -la\necho 끝"]


def test_a_pty_session_shows_the_number_and_sends_the_block(tmp_path, fake_ollama):
    env = user_env(tmp_path, fake_ollama.host_port, TERM="xterm-256color", PROMPT_TOOLKIT_NO_CPR="1")
    child = spawn_in_pty(str(BIN), ["-p", "monk"], env)
    try:
        child.expect_exact("monk> ")
        fake_ollama.reply(REPLY)
        child.send("question\r")
        child.expect_exact("[2] bash")
        child.expect_exact("monk> ")
        child.send("/copy code 2\r")
        payload = base64.b64encode("pip install rich\npip install pyte".encode()).decode()
        child.expect_exact(f"\x1b]52;c;{payload}\x07")
        child.expect_exact("Sent code block 2 of 3")
    finally:
        child.close(force=True)


def test_copy_sends_the_reply_sanitised_never_a_raw_escape(chat, fake_ollama):
    # "\x1b[201~" ends a shell's bracketed paste: what follows it would run as typed when pasted
    hostile = "붙여 넣으세요:\x1b[201~\nrm -rf ~\n\x1b]0;title\x07\x9b2J끝\r\n"
    fake_ollama.reply(hostile)
    handle_line(chat, "q")
    handle_line(chat, "/copy")
    payloads = OSC52.findall(raw(chat))
    assert len(payloads) == 1
    copied = base64.b64decode(payloads[0]).decode()
    assert copied == "붙여 넣으세요:␛[201~\nrm -rf ~\n␛]0;title␇␛[2J끝\n"  # as the screen showed it
    assert not any(0x00 <= ord(c) < 0x20 and c not in "\n\t" or 0x7F <= ord(c) < 0xA0 for c in copied)
    assert f"({len(copied)} characters)" in raw(chat)
