"""What a message echoes is cut: a value the user gave (a host, a model name, a path, an option's value) or a
server sent is shown up to a length, with how much more there was; whatever answers a port without speaking
HTTP is said to, not taken for a server that is down; a store that is a FIFO is "not a regular file"."""

from __future__ import annotations

import os

import pytest

from fake_openai import DEFAULT_MODEL
from raw_http import NotHTTPServer
from test_session import make_chat, screen

from ollama_chat.ui.commands import handle_line

HUGE = "a" * 100_000
MORE = "more characters)"


def short(text: str) -> bool:
    return len(text) < 3_000 and MORE in text and HUGE[:400] not in text


@pytest.mark.parametrize("host", [HUGE, f"127.0.0.1:{HUGE}", f"http://127.0.0.1/{HUGE}", f"{HUGE}:11434",
                                  f"http://{HUGE}.example:80"])
def test_a_huge_host_is_not_echoed_whole(cli, host):
    code, out, err = cli("--host", host, "질문")
    assert code == 2 and "malformed" in err and short(err), err[:500]


def test_a_huge_openai_address_is_not_echoed_whole(cli):
    code, out, err = cli("--api", "openai", "--host", f"http://127.0.0.1:9/{HUGE}", "질문")
    assert code == 2 and short(err), err[:500]


def test_a_huge_model_name_is_still_a_missing_model_and_cut(cli):
    code, out, err = cli("-m", HUGE, "질문")
    assert code == 1 and "is not available on the server" in err and short(err), err[:500]


def test_a_huge_option_value_is_cut(cli):
    code, out, err = cli("-o", f"num_ctx={HUGE}", "질문")
    assert code == 2 and "num_ctx" in err and short(err), err[:500]


def test_a_huge_unknown_option_is_cut(cli):
    code, out, err = cli(f"--{HUGE}", "질문")
    assert code == 2 and short(err), err[:500]


def test_a_huge_file_name_is_cut_and_said_to_be_unreadable(cli):
    code, out, err = cli("-f", HUGE, "질문")
    assert code != 0 and "Cannot attach" in err and "Cannot write the output" not in err and short(err), err[:500]


def test_a_huge_transcript_name_is_cut(cli):
    code, out, err = cli("--resume", HUGE + ".json", "질문")
    assert code == 2 and short(err), err[:500]


def test_the_repl_cuts_what_it_echoes(fake_ollama, tmp_path):
    chat = make_chat(fake_ollama, tmp_path)
    handle_line(chat, f"/persona {HUGE}")
    handle_line(chat, f"/set num_ctx {HUGE}")
    shown = screen(chat)
    assert shown.count(MORE) >= 2 and HUGE[:400] not in shown and len(shown) < 6_000, shown[:500]


def test_cut_keeps_short_values_and_says_how_much_more():
    from ollama_chat.errors import cut, cut_values

    assert cut("abc") == "abc" and cut_values("a b c") == "a b c"
    assert cut("x" * 250) == "x" * 200 + "… (50 more characters)"
    assert cut_values(f"Cannot attach {'p' * 1000}: too long.") == f"Cannot attach {'p' * 200}… (800 more characters): too long."
    assert len(cut_values("word " * 10_000)) < 4_100  # a long message of short words is cut as a whole


# -- not HTTP -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("answer", [b"HELLO\r\n", b"\x15\x03\x01\x00\x02\x02\x50", bytes(range(256)) * 8,
                                    b"SSH-2.0-OpenSSH_9.6\r\n"])
def test_a_port_that_does_not_speak_http_is_said_to(cli, answer):
    with NotHTTPServer(answer) as server:
        code, out, err = cli("질문", OLLAMA_HOST=server.host_port)
        assert code == 1 and "answer was not HTTP" in err and server.host_port in err, err
        assert "Is it running" not in err
        code, out, err = cli("--host", f"http://{server.host_port}/v1", "-m", DEFAULT_MODEL, "질문")
        assert code == 1 and "answer was not HTTP" in err and "Is it running" not in err, err
        code, out, err = cli("models", OLLAMA_HOST=server.host_port)
        assert code == 1 and "answer was not HTTP" in err


def test_a_server_that_closes_without_a_word_is_still_unreachable(cli):
    with NotHTTPServer(b"") as server:
        code, out, err = cli("질문", OLLAMA_HOST=server.host_port)
        assert code == 1 and "closed the connection" in err and "not HTTP" not in err, err


# -- a FIFO as the store ------------------------------------------------------------------------------------


@pytest.fixture
def fifo_store(tmp_path):
    folder = tmp_path / "data" / "ollama-chat"
    folder.mkdir(parents=True)
    os.mkfifo(folder / "conversations.db")
    return folder / "conversations.db"


def test_a_fifo_store_is_not_a_regular_file_when_asking(cli, fifo_store):
    code, out, err = cli("질문")
    assert code == 0 and out == "echo: 질문\n"
    assert "not a regular file" in err and "goes on without saving" in err, err


@pytest.mark.parametrize("args", [("history",), ("history", "search", "x"), ("-c", "질문")])
def test_a_fifo_store_is_not_a_regular_file_when_reading(cli, fifo_store, args):
    code, out, err = cli(*args)
    assert code == 1 and "not a regular file" in err and str(fifo_store) in err, err
