"""A bracketed paste: read in time linear in its length (ui/tty_input.py), with the same keys as prompt_toolkit's
own parser gives, and in the real REPL a pasted text is one question, sent as pasted."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from prompt_toolkit.input.vt100_parser import Vt100Parser

from helpers import BIN, spawn_in_pty, user_env
from ollama_chat.ui.tty_input import PASTE_END, PasteParser

START = "\x1b[200~"


def keys(parser_class, pieces):
    got = []
    parser = parser_class(got.append)
    for piece in pieces:
        parser.feed(piece)
    parser.flush()
    return [(press.key, press.data) for press in got]


def split(text, cuts):
    points = sorted({c % (len(text) + 1) for c in cuts})
    return [text[a:b] for a, b in zip([0, *points], [*points, len(text)])]


pasted = st.text(st.sampled_from(["a", "한", "\n", "\r", "\t", "\x1b", "[", "2", "0", "1", "~", " "]), max_size=60)


@settings(max_examples=300, deadline=None)
@given(before=pasted, text=pasted, after=pasted, cuts=st.lists(st.integers(0, 400), max_size=12))
def test_the_keys_are_prompt_toolkits_own_however_the_reads_split_them(before, text, after, cuts):
    text = text.replace(PASTE_END, "")  # a paste cannot hold its own end mark
    stream = before + START + text + PASTE_END + after + START + text[::-1] + PASTE_END
    pieces = split(stream, cuts)
    assert keys(PasteParser, pieces) == keys(Vt100Parser, pieces)


def test_what_is_held_between_reads_of_a_paste_does_not_grow_with_it():
    """prompt_toolkit's parser holds the whole paste and searches it all at every 1 KiB read (a 5 MB log: 10 s)."""
    text = "2026-12-05 INFO worker 처리 완료 \x1b[31m\n" * 30_000  # ~1 MB
    got = []
    parser = PasteParser(got.append)
    parser.feed(START)
    held = []
    for i in range(0, len(text), 1024):
        parser.feed(text[i : i + 1024])
        held.append(len(parser._paste_buffer))
    parser.feed(PASTE_END + "x")
    assert max(held) < len(PASTE_END)
    assert [(p.key, p.data) for p in got[:1]] == [("<bracketed-paste>", text)]
    assert got[1].data == "x"


def test_a_pasted_log_is_one_question_sent_as_pasted(tmp_path, fake_ollama):
    log = "".join(f"2026-12-05T10:{i % 60:02}:00Z 오류 없음 line {i}\n" for i in range(3000))  # ~130 KB, many reads
    env = user_env(tmp_path, fake_ollama.host_port, TERM="xterm-256color", PROMPT_TOOLKIT_NO_CPR="1")
    child = spawn_in_pty(str(BIN), ["--num-ctx", "131072"], env)
    try:
        child.expect_exact("assistant> ")
        child.send(START + log + "요약해 줘" + PASTE_END)
        child.send("\r")
        child.expect_exact("echo: 2026-12-05T10:00:00Z", timeout=120)
        child.expect_exact("assistant> ", timeout=120)
        assert fake_ollama.chat_requests[-1]["messages"][-1]["content"] == log + "요약해 줘"
    finally:
        child.close(force=True)
