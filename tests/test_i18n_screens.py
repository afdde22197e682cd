"""The main screens in both languages: the banner, /help, a server-down error and --help. Korean screens hold
no untranslated English sentence; English screens hold no Hangul (apart from the words that are Korean on
purpose: the exit word 종료 and the personas' own text)."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from helpers import PATIENCE
from ui_helpers import still_output

from ollama_chat import i18n
from ollama_chat.backends.ollama import OllamaBackend
from ollama_chat.chat.personas import load_persona
from ollama_chat.chat.session import ChatSession
from ollama_chat.chat.settings import Flags
from ollama_chat.chat.layers import build_layers
from ollama_chat.ui.chat import Chat
from ollama_chat.ui.commands import handle_line
from ollama_chat.ui.chat import ConsoleNotify
from ollama_chat.ui.status import banner

HANGUL = re.compile("[가-힣]")
# What stays as it is in any language: commands, flags, paths, URLs, model and persona names, placeholders.
NOT_WORDS = re.compile(r"`[^`]*`|/[\w!?]+|--?[\w-]+|\b[\w.-]+:[\w.:-]+|https?://\S+|\$?[A-Z_]{2,}\b|\[[^\]]*\]"
                       r"|\{[^}]*\}|\b(?:Ollama|ollama-chat|OSC|JSON|Markdown|Ctrl|Alt|Enter|Tab|tmux|SSH|host|model"
                       r"|persona|options|format|think|stream|stats|history|context|system|on|off|json)\b")
ENGLISH_SENTENCE = re.compile(r"\b[A-Za-z]{2,}\s+[A-Za-z]{2,}\s+[A-Za-z]{2,}\b")


def english_left(text: str) -> list[str]:
    return ENGLISH_SENTENCE.findall(NOT_WORDS.sub(" ", text))


def repl_screens(host: str, folder) -> str:
    persona = load_persona("assistant", folder)
    layers = build_layers(Flags(), {}, {"OLLAMA_HOST": host}, persona)
    console = Console(file=io.StringIO(), width=100, force_terminal=False, color_system=None)
    chat = Chat(ChatSession(layers, OllamaBackend(layers.resolve().host, PATIENCE), still_output(console),
                            ConsoleNotify(console), folder), console)
    for text, _style in banner(chat.session):
        chat.say(text)
    handle_line(chat, "/help")
    handle_line(chat, "질문")  # the server is down
    return console.file.getvalue()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_repl_screens_speak_one_language(lang, tmp_path):
    i18n.use(lang)
    screen = repl_screens("127.0.0.1:9", tmp_path)  # port 9 (discard): nothing listens
    assert "127.0.0.1:9" in screen
    if lang == "ko":
        assert english_left(screen) == [], screen
        assert "서버" in screen and "명령" in screen
    else:
        ours = "\n".join(line for line in screen.splitlines() if not line.startswith("persona:"))  # the persona's own
        assert not HANGUL.search(ours.replace("종료", "").replace("나가기", "").replace("끝", "")), screen


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_help_speaks_one_language(cli, lang):
    code, out, err = cli("--help", LANG="ko_KR.UTF-8" if lang == "ko" else "C.UTF-8")
    assert code == 0
    if lang == "ko":
        assert english_left(out) == [], out
        assert out.startswith("사용법:")
    else:
        assert not HANGUL.search(out) and out.startswith("Usage:")


def test_a_server_down_error_from_the_command_line_speaks_korean(cli, tmp_path):
    code, out, err = cli("질문", LANG="ko_KR.UTF-8", OLLAMA_HOST="127.0.0.1:9")
    assert code != 0 and english_left(err) == [], err and HANGUL.search(err)
