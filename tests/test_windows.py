"""The context window as a server gives it is checked: 0, negative, absurd (over 10^8) or non-numeric values are
ignored, the default is used, and that is said once; never "more than the -1-token window"."""

from __future__ import annotations

import pytest

from ollama_chat.backends.ollama import OllamaBackend
from ollama_chat.backends.ollama_models import model_info_from
from ollama_chat.backends.openai_wire import models_from
from ollama_chat.chat.settings import Flags
from ollama_chat.ui.commands import handle_line

from test_session import make_chat, screen

BAD = [0, -1, -4096, 10**12, "4096", "big", True, 4096.5, None]


def show(value):
    return {"model_info": {"general.architecture": "llama", "llama.context_length": value}, "capabilities": []}


@pytest.mark.parametrize("value", BAD)
def test_a_window_that_cannot_be_one_is_ignored_and_kept_to_be_said(value):
    info = model_info_from("m", show(value))
    assert info.context_length is None and (info.bad_window != "") == (value is not None)


def test_a_window_that_can_be_one_is_taken():
    assert model_info_from("m", show(8192)).context_length == 8192
    assert model_info_from("m", show(8192.0)).context_length == 8192  # an integral JSON float
    assert model_info_from("m", show(100_000_000)).context_length == 100_000_000
    assert models_from({"data": [{"id": "a", "max_model_len": 32768}]})[0].context_length == 32768
    bad = models_from({"data": [{"id": "a", "max_model_len": -1}, {"id": "b", "max_model_len": "32k"}]})
    assert [(m.context_length, m.bad_window) for m in bad] == [(None, "-1"), (None, "'32k'")]


@pytest.mark.parametrize("value", [0, -1, 10**12, "big"])
def test_the_repl_says_once_that_the_default_is_used_and_never_shows_a_nonsense_window(fake_ollama, tmp_path, value):
    fake_ollama.add_model("llama3.2", context_length=value)
    chat = make_chat(fake_ollama, tmp_path, flags=Flags(max_messages=200))
    chat.session.check_model()
    handle_line(chat, "/model llama3.2")
    handle_line(chat, "긴 질문 " * 4000)
    text = " ".join(screen(chat).split())
    shown = repr(value) if isinstance(value, str) else str(value)
    assert text.count(f"The server says llama3.2:latest's context window is {shown}, which cannot be right:"
                      " ollama-chat uses 4,096 tokens instead.") == 1
    assert "more than the 4,096-token context window" in text and f"{shown}-token" not in text
    assert fake_ollama.chat_requests == []


def test_one_shot_says_it_too_and_counts_with_the_default(cli, fake_ollama):
    fake_ollama.add_model("llama3.2", context_length=-1)
    code, out, err = cli("긴 질문 " * 4000)
    text = " ".join(err.split())
    assert code == 2 and "context window is -1, which cannot be right: ollama-chat uses 4,096 tokens instead" in text
    assert "-1-token" not in text and "4,096-token context window" in text


def test_a_loaded_window_that_cannot_be_one_is_not_learnt(fake_ollama):
    fake_ollama.override("/api/ps", 200, {"models": [{"name": "llama3.2:latest", "model": "llama3.2:latest",
                                                      "context_length": -1}]})
    assert OllamaBackend(fake_ollama.url).loaded_window("llama3.2") is None


def test_set_refuses_an_option_out_of_its_range_before_anything_is_sent(fake_ollama, tmp_path):
    chat = make_chat(fake_ollama, tmp_path)
    for line, words in (("/set num_ctx 0", "option 'num_ctx' must be between 1 and 100,000,000, not 0"),
                        ("/set seed 99999999999999999999", "option 'seed' must be between -9,223,372,036,854,775,808"),
                        ("/set num_predict 100000001", "option 'num_predict' must be between -2 and 100,000,000")):
        handle_line(chat, line)
        assert words in " ".join(screen(chat).split())
    handle_line(chat, "안녕")
    assert fake_ollama.last_chat["options"] == {"temperature": 0.7, "top_p": 0.9, "top_k": 40}


def test_after_model_the_notice_names_the_window_of_the_model_switched_to(fake_ollama, tmp_path):
    """The notice is worded while the settings still name the model before: the window it gives must be the new
    model's (the default), not the small one of the model left."""
    fake_ollama.add_model("msmall", context_length=10)
    fake_ollama.add_model("mneg", context_length=-1)
    chat = make_chat(fake_ollama, tmp_path, flags=Flags(model="msmall"))
    chat.session.check_model()
    handle_line(chat, "/model mneg")
    text = " ".join(screen(chat).split())
    assert "mneg:latest's context window is -1, which cannot be right: ollama-chat uses 4,096 tokens instead." in text
    assert chat.session.context.window(chat.session.settings).tokens == 4096


def test_a_json_true_window_is_quoted_as_the_json_said_it():
    assert model_info_from("m", show(True)).bad_window == "true"


def test_show_says_the_window_is_the_most_the_model_supports_when_that_is_why(fake_ollama, tmp_path):
    fake_ollama.add_model("msmall", context_length=10)
    chat = make_chat(fake_ollama, tmp_path, flags=Flags(model="msmall"))
    chat.session.check_model()
    handle_line(chat, "/show")
    text = " ".join(screen(chat).split())
    assert "10 tokens (the most the model supports)" in text and "Ollama's default" not in text
