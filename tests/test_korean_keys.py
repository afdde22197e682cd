"""A slash command typed with the Korean two-set (두벌식) layout still on: its jamo map back to the QWERTY keys,
in jamo form (ㅗ디ㅔ) and as the IME composes them into syllables; the argument stays as it was typed."""

from __future__ import annotations

import io

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
from ollama_chat.ui.commands import COMMANDS, handle_line
from ollama_chat.ui.typed import is_exit_word
from ollama_chat.ui.korean_keys import from_korean_keys
from ollama_chat.ui.chat import ConsoleNotify


@pytest.fixture
def chat(fake_ollama, tmp_path):
    persona = load_persona("monk", tmp_path)
    layers = build_layers(Flags(max_messages=4), {}, {"OLLAMA_HOST": fake_ollama.host_port}, persona)
    console = Console(file=io.StringIO(), width=200, force_terminal=True, color_system=None, theme=None)
    backend = OllamaBackend(layers.resolve().host, PATIENCE)
    return Chat(ChatSession(layers, backend, still_output(console), ConsoleNotify(console), tmp_path), console)


def screen(chat) -> str:
    return chat.console.file.getvalue()


@pytest.mark.parametrize("typed, keys", [
    ("/ㅗ디ㅔ", "/help"),        # jamo and one syllable, as the IME leaves h,e,l,p
    ("/ㅗㄷㅣㅔ", "/help"),       # all jamo
    ("/ㅠㅛㄷ", "/bye"),
    ("/ㅊㅣㄷㅁㄱ", "/clear"),
    ("/칟ㅁㄱ", "/clear"),         # a syllable with a final consonant
    ("/ㅗㅑㄴ새교", "/history"),
    ("/ㅡㅐㅇ디", "/model"),
    ("/뇆", "/show"),             # a compound vowel (ㅙ = ㅗ+ㅐ) in one syllable
    ("/뇬ㅅ드", "/system"),
    ("/ㄴㅁㅍㄷ!", "/save!"),      # what is not Hangul stays
    ("닭값", "ekfrrkqt"),          # final clusters (ㄺ, ㅄ) are two keys
    ("ㅢㅟ", "mlnl"),              # compound vowels typed alone
    ("ㄲㅆㅒ", "RTO"),             # shifted keys
])
def test_jamo_and_syllables_map_to_the_qwerty_keys(typed, keys):
    assert from_korean_keys(typed) == keys


def test_every_command_typed_in_korean_jamo_comes_back():
    to_jamo = {v: k for k, v in {
        "ㅂ": "q", "ㅈ": "w", "ㄷ": "e", "ㄱ": "r", "ㅅ": "t", "ㅛ": "y", "ㅕ": "u", "ㅑ": "i", "ㅐ": "o", "ㅔ": "p",
        "ㅁ": "a", "ㄴ": "s", "ㅇ": "d", "ㄹ": "f", "ㅎ": "g", "ㅗ": "h", "ㅓ": "j", "ㅏ": "k", "ㅣ": "l",
        "ㅋ": "z", "ㅌ": "x", "ㅊ": "c", "ㅍ": "v", "ㅠ": "b", "ㅜ": "n", "ㅡ": "m"}.items()}
    for name in COMMANDS:
        assert from_korean_keys("".join(to_jamo.get(c, c) for c in name)) == name


def test_help_and_bye_typed_in_korean(chat):
    assert handle_line(chat, "/ㅗ디ㅔ") is True
    assert "/resume" in screen(chat) and "Unknown command" not in screen(chat)
    assert handle_line(chat, "/ㅠㅛㄷ") is False


def test_the_argument_is_kept_as_typed(chat):
    handle_line(chat, "/뇬ㅅ드 너는 한국어로만 대답한다")
    assert chat.session.settings.system == "너는 한국어로만 대답한다"
    handle_line(chat, "/ㅗㅑㄴ새교")
    assert "No exchanges yet." in screen(chat)


def test_a_hangul_word_that_is_no_command_is_unknown(chat):
    handle_line(chat, "/한글 인사")
    assert "Unknown command /한글." in screen(chat) and "/help lists them" in screen(chat)


@pytest.mark.parametrize("word", ["나가기", "끝", " 끝 ", "종료"])
def test_korean_exit_words(chat, word):
    assert is_exit_word(word) and handle_line(chat, word) is False
