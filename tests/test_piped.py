"""Huge standard input, piped as the question or given as `-f -`: read in pieces and refused as soon as it cannot
fit the largest window it could go to, the rest unread and nothing sent; and no num_ctx suggested that could not
hold it."""

from __future__ import annotations

import io
import re

import pytest

from ollama_chat.chat.budget import OLLAMA_DEFAULT_WINDOW, bigger_window, holds

from ollama_chat.estimate import base_tokens
from ollama_chat.cli.main import main
from ollama_chat.environment import Environment
from ollama_chat.cli.stdin import PIECE, Ceiling, TooLong, read_within

PROSE = "The quick brown fox jumps over the lazy dog, and the index makes lookups faster. 빠른 갈색 여우. "


def run(fake, tmp_path, stdin: bytes, *args: str, host: str | None = None):
    """ollama-chat ARGS in-process with `stdin` piped; (code, stderr, how much of stdin was read)."""
    env = Environment.in_memory(stdin, {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "c"),
                                        "XDG_STATE_HOME": str(tmp_path / "s"), "XDG_DATA_HOME": str(tmp_path / "d"),
                                        "OLLAMA_HOST": host or fake.host_port})
    with pytest.raises(SystemExit) as exit_:
        main(list(args), env)
    return exit_.value.code, env.stderr.buffer.getvalue().decode(), env.stdin.buffer.tell()


@pytest.mark.parametrize("args", [[], ["-f", "-", "요약해 주세요"]], ids=["piped", "-f -"])
def test_a_huge_stdin_is_refused_after_reading_a_little_of_it_and_nothing_is_sent(fake_ollama, tmp_path, args):
    fake_ollama.add_model("llama3.2", context_length=8192)
    data = (PROSE * 300_000).encode()  # 30 MB
    code, err, read = run(fake_ollama, tmp_path, data, *args)
    text = " ".join(err.split())
    assert code == 2 and "Not sent: standard input is too long for llama3.2:latest." in text
    assert read < 4 * PIECE  # stopped within a piece of the point where it cannot fit, the rest unread
    said = re.search(r"The first ([\d,]+) bytes of it are already about ([\d,]+) tokens, more than its 8,192-token"
                     r" context window leaves for a question \(6,144\); the rest was not read\.", text)
    counted = int(said.group(1).replace(",", "")) if said else -1
    assert counted == read - 1 and int(said.group(2).replace(",", "")) > 6144  # one byte more looked at: not the end
    assert "not even llama3.2:latest's largest window (8,192 tokens) can hold it" in text and "--num-ctx" not in text
    assert fake_ollama.chat_requests == []


def test_input_that_fits_only_a_bigger_window_is_read_whole_and_the_suggested_one_holds_it(fake_ollama, tmp_path):
    fake_ollama.add_model("llama3.2", context_length=131072)
    data = (PROSE * 880).encode()  # about 24,700 tokens: past the 4,096 window, within what the model can take,
    # and just past what 32,768 leaves for a prompt (24,576), which a size from 1.25 times the need would suggest
    code, err, read = run(fake_ollama, tmp_path, data)
    text = " ".join(err.split())
    assert code == 2 and read == len(data) and fake_ollama.chat_requests == []
    needed = int(re.search(r"come to about ([\d,]+) tokens", text).group(1).replace(",", ""))
    size = int(re.search(r"--num-ctx (\d+)", text).group(1))
    assert holds(size, needed) and size <= 131072


def test_a_window_set_with_num_ctx_is_the_ceiling_and_leaving_it_out_is_suggested(fake_ollama, tmp_path):
    code, err, read = run(fake_ollama, tmp_path, (PROSE * 100_000).encode(), "--num-ctx", "2048")
    text = " ".join(err.split())
    assert code == 2 and "its 2,048-token context window leaves for a question (1,536)" in text
    assert "leave out --num-ctx 2048: ollama-chat then suggests a window that holds it" in text
    assert read < 4 * PIECE and fake_ollama.chat_requests == []


def test_input_read_whole_past_num_ctx_is_told_by_its_size_and_a_window_that_holds_it_suggested(fake_ollama, tmp_path):
    """All of it was read: it is not "the first N bytes, the rest unread", and the suggestion is a bigger window,
    never the one given."""
    data = (PROSE * 300).encode()  # about 8,400 tokens, within the first piece
    code, err, read = run(fake_ollama, tmp_path, data, "--num-ctx", "8192")
    text = " ".join(err.split())
    assert code == 2 and read == len(data) and fake_ollama.chat_requests == []
    said = re.search(r"It is about ([\d,]+) tokens \(([\d,]+) bytes\), more than its 8,192-token", text)
    assert said and int(said.group(2).replace(",", "")) == len(data)
    assert "the rest was not read" not in text and "--num-ctx 8192" not in text
    size = int(re.search(r"--num-ctx (\d+)", text).group(1))
    assert holds(size, int(said.group(1).replace(",", "")))


def test_an_openai_compatible_servers_fixed_window_is_the_ceiling_and_its_flag_the_hint(fake_ollama, fake_openai,
                                                                                     tmp_path):
    from fake_openai import DEFAULT_MODEL

    fake_openai.add_model(DEFAULT_MODEL, 4096)
    code, err, read = run(fake_ollama, tmp_path, (PROSE * 100_000).encode(), "-m", DEFAULT_MODEL,
                          host=fake_openai.url)
    text = " ".join(err.split())
    assert code == 2 and "4,096-token context window" in text and "--max-model-len" in text and "--num-ctx" not in text
    assert fake_openai.chat_requests == []


def test_a_short_piped_question_never_waits_for_the_server_to_say_its_window(fake_ollama, tmp_path):
    code, err, read = run(fake_ollama, tmp_path, "짧은 질문입니다".encode())
    assert code == 0 and [r.path for r in fake_ollama.requests] == ["/api/chat"]


def test_read_within_counts_across_pieces_as_the_whole_would_be_counted():
    """A wide character cut between two pieces is counted once, as in the whole text."""
    text = "가" * (PIECE // 3) + "x" * 10 + "나다" * 1000
    data = text.encode()
    assert read_within(io.BytesIO(data), lambda: Ceiling(10**7, "model"), quiet_below=0, name="-", model="m") == data
    with pytest.raises(TooLong) as e:
        read_within(io.BytesIO(data), lambda: Ceiling(1024, "model"), quiet_below=0, name="-", model="m")
    assert e.value.read == PIECE and PIECE % 3  # the first piece ends inside a character
    assert e.value.tokens == base_tokens(data[:PIECE].decode("utf-8", "ignore"))


def test_bigger_window_never_suggests_a_size_that_cannot_hold_it():
    assert bigger_window(100_000, 131072) is None  # 131,072 leaves 98,304 for a prompt
    assert bigger_window(90_000, 131072) == 131072 and holds(131072, 90_000)
    assert bigger_window(3000, None) == OLLAMA_DEFAULT_WINDOW and holds(bigger_window(25_000, None), 25_000)
    for needed in (1, 3072, 3073, 24_576, 24_577, 700_000):
        size = bigger_window(needed, None)
        assert holds(size, needed) and (size == OLLAMA_DEFAULT_WINDOW or not holds(size // 2, needed))
